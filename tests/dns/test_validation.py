"""Every validation rule, record by record and across the set, with its boundary cases."""

from __future__ import annotations

import pytest

from provisioning.dns.content import canonical, friendly
from provisioning.dns.names import InvalidName, zone_name
from provisioning.dns.validation import RecordInput, validate_records

ZONE = "example.com."
REVERSE = "2.0.192.in-addr.arpa."


def check(*records, zone=ZONE, max_records=None):
    inputs = [
        RecordInput(*r) if len(r) == 4 else RecordInput(r[0], r[1], 300, r[2]) for r in records
    ]
    return validate_records(zone, inputs, max_records=max_records)


def only_issue(*records, zone=ZONE, **kwargs):
    clean, issues = check(*records, zone=zone, **kwargs)
    assert len(issues) == 1, issues
    return issues[0]


# --- single records: accepted, and normalised -------------------------------------------

ACCEPTED = [
    (("@", "A", "192.0.2.1"), (ZONE, "A", "192.0.2.1")),
    (("www", "AAAA", "2001:DB8:0:0::1"), ("www.example.com.", "AAAA", "2001:db8::1")),
    (
        ("WWW.Example.COM.", "CNAME", "host.example.net."),
        ("www.example.com.", "CNAME", "host.example.net."),
    ),
    (("shop", "CNAME", "@"), ("shop.example.com.", "CNAME", ZONE)),
    (("@", "MX", "10 mail"), (ZONE, "MX", "10 mail.example.com.")),
    (("@", "MX", "65535 mx.example.net."), (ZONE, "MX", "65535 mx.example.net.")),
    (
        ("_sip._tcp", "SRV", "10 5 5060 sip"),
        ("_sip._tcp.example.com.", "SRV", "10 5 5060 sip.example.com."),
    ),
    (("_x._tcp", "SRV", "0 0 0 ."), ("_x._tcp.example.com.", "SRV", "0 0 0 .")),
    (("@", "TXT", "v=spf1 mx -all"), (ZONE, "TXT", '"v=spf1 mx -all"')),
    (("@", "CAA", "0 issue letsencrypt.org"), (ZONE, "CAA", '0 issue "letsencrypt.org"')),
    (("@", "CAA", "128 issuewild ;"), (ZONE, "CAA", '128 issuewild ";"')),
    (
        ("@", "CAA", "0 tbs unknown-but-not-critical"),
        (ZONE, "CAA", '0 tbs "unknown-but-not-critical"'),
    ),
    (
        ("@", "CAA", "0 iodef mailto:sec@example.com"),
        (ZONE, "CAA", '0 iodef "mailto:sec@example.com"'),
    ),
    (("dev", "NS", "ns1.example.net."), ("dev.example.com.", "NS", "ns1.example.net.")),
    (("*.dev", "A", "192.0.2.9"), ("*.dev.example.com.", "A", "192.0.2.9")),
    (("_dmarc", "TXT", "v=DMARC1; p=none"), ("_dmarc.example.com.", "TXT", '"v=DMARC1; p=none"')),
    (("bücher", "A", "192.0.2.3"), ("xn--bcher-kva.example.com.", "A", "192.0.2.3")),
    (("a" * 63, "A", "192.0.2.4"), ("a" * 63 + ".example.com.", "A", "192.0.2.4")),
]


@pytest.mark.parametrize(("given", "expected"), ACCEPTED)
def test_valid_records_are_accepted_in_canonical_form(settings, given, expected):
    clean, issues = check(given)
    assert issues == []
    assert (clean[0].name, clean[0].type, clean[0].content) == expected


def test_ptr_records_are_accepted_in_reverse_zones():
    clean, issues = check(("7", "PTR", "host.example.com."), zone=REVERSE)
    assert issues == []
    assert clean[0].name == "7.2.0.192.in-addr.arpa."


# --- single records: refused, with the field and a message ------------------------------

LONG_NAME = ".".join(["a" * 60] * 4)  # 243 bytes + the zone: over 253

REFUSED = [
    (("a" * 64, "A", "192.0.2.1"), "name", "longer than 63"),
    ((LONG_NAME, "A", "192.0.2.1"), "name", "longer than 253"),
    (("www.other.org.", "A", "192.0.2.1"), "name", "outside the zone"),
    (("a.*", "A", "192.0.2.1"), "name", "leftmost"),
    (("w*w", "A", "192.0.2.1"), "name", "whole label"),
    (("-bad", "A", "192.0.2.1"), "name", "cannot start or end with a hyphen"),
    (("a..b", "A", "192.0.2.1"), "name", "empty label"),
    (("www\n", "A", "192.0.2.1"), "name", "line break"),
    (("w\rw", "A", "192.0.2.1"), "name", "carriage return"),
    (("w\x00w", "A", "192.0.2.1"), "name", "NUL"),
    (("w\\032w", "A", "192.0.2.1"), "name", "Backslash"),
    (('"www"', "A", "192.0.2.1"), "name", "Quotes"),
    (("@", "A", "192.0.2.256"), "value", "not a valid IPv4"),
    (("@", "A", "192.0.2.01"), "value", "not a valid IPv4"),
    (("@", "A", "2001:db8::1"), "value", "not a valid IPv4"),
    (("@", "AAAA", "2001:db8::g"), "value", "not a valid IPv6"),
    (("@", "AAAA", "192.0.2.1"), "value", "not a valid IPv6"),
    (("@", "CNAME", "host.example.net."), "type", "apex cannot be a CNAME"),
    (("@", "MX", "10 192.0.2.1"), "value", "not an IP address"),
    (("@", "MX", "65536 mail"), "value", "0 to 65535"),
    (("@", "MX", "mail"), "value", "preference and host"),
    (("dev", "NS", "192.0.2.1"), "value", "not an IP address"),
    (("_s._tcp", "SRV", "10 5 5060 2001:db8::1"), "value", "not an IP address"),
    (("_s._tcp", "SRV", "10 5 70000 sip"), "value", "0 to 65535"),
    (("@", "TXT", 'say "hi"'), "value", "Quotes"),
    (("@", "TXT", "back\\slash"), "value", "Backslash"),
    (("@", "TXT", "line\nbreak"), "value", "line break"),
    (("@", "TXT", "tab\there"), "value", "printable ASCII"),
    (("@", "TXT", "x" * 4001), "value", "longer than 4000"),
    (("@", "CAA", "1 issue ca.example"), "value", "0, or 128"),
    (("@", "CAA", "0 Issue ca.example"), "value", "tag is 1 to 15"),
    (("@", "CAA", "0 averyveryverylongtag ca.example"), "value", "tag is 1 to 15"),
    (("@", "CAA", "0 iodef ca.example"), "value", "mailto:"),
    (("@", "CAA", "0 issue"), "value", "flags tag value"),
    (("@", "CAA", "128 tbs ca.example"), "value", "unknown tag tbs would block every CA"),
    (("@", "A", "300\n", "192.0.2.1"), "ttl", "TTL: It contains a line break"),
    (("@", "A", "3\r00", "192.0.2.1"), "ttl", "TTL: It contains a carriage return"),
    (("@", "A", "300\x00", "192.0.2.1"), "ttl", "TTL: It contains a NUL"),
    (("@", "A", "192.0.2.1\n"), "value", "line break"),
    (("@", "MX", "10 mail\r"), "value", "carriage return"),
    (("@", "PTR", "host.example.com."), "type", "reverse zones"),
    (("@", "SOA", "x"), "type", "not supported"),
    (("@", "SPF", "v=spf1"), "type", "not supported"),
]


@pytest.mark.parametrize(("given", "field", "message"), REFUSED)
def test_invalid_records_are_refused_on_their_field(given, field, message):
    issue = only_issue(given)
    assert issue.field == field
    assert message in issue.message


@pytest.mark.parametrize(
    ("ttl", "ok"),
    [(59, False), (60, True), (604800, True), (604801, False), ("ten", False), ("", True)],
)
def test_ttl_bounds_come_from_the_settings(settings, ttl, ok):
    settings.DNS_TTL_MIN, settings.DNS_TTL_MAX = 60, 604800
    clean, issues = check(("@", "A", ttl, "192.0.2.1"))
    assert (issues == []) is ok
    if not ok:
        assert issues[0].field == "ttl" and "TTL" in issues[0].message


def test_a_missing_ttl_takes_the_default(settings):
    settings.DNS_DEFAULT_TTL = 1234
    clean, _ = check(("@", "A", None, "192.0.2.1"))
    assert clean[0].ttl == 1234


def test_the_longest_name_that_fits_is_accepted():
    # 253 bytes in all: three 63-byte labels, one of 49, and the zone (11 bytes + dots).
    name = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 49])
    clean, issues = check((name, "A", "192.0.2.1"))
    assert issues == []
    assert len(clean[0].name.rstrip(".")) == 253
    issue = only_issue(("e" + name, "A", "192.0.2.1"))
    assert "253" in issue.message or "63" in issue.message


# --- TXT splitting ----------------------------------------------------------------------


def test_long_txt_values_split_into_255_byte_strings_and_round_trip():
    key = "v=DKIM1; k=rsa; p=" + "A" * 700
    content = canonical("TXT", key, ZONE)
    strings = content.split('" "')
    assert [len(s.strip('"')) for s in strings] == [255, 255, 208]
    assert friendly("TXT", content) == key


def test_a_txt_of_exactly_255_bytes_is_one_string():
    assert canonical("TXT", "x" * 255, ZONE) == '"' + "x" * 255 + '"'
    assert canonical("TXT", "x" * 256, ZONE).count('"') == 4


# --- rules across the set ---------------------------------------------------------------


def test_a_cname_cannot_share_its_name_with_other_records():
    issue = only_issue(("www", "CNAME", "host.example.net."), ("www", "A", "192.0.2.1"))
    assert issue.field == "type" and "only record at its name" in issue.message


def test_two_cnames_at_one_name_are_refused():
    _, issues = check(("www", "CNAME", "a.example.net."), ("www", "CNAME", "b.example.net."))
    assert issues and all("only record" in i.message for i in issues)


@pytest.mark.parametrize(
    "record",
    [("@", "MX", "10 alias"), ("dev", "NS", "alias"), ("_s._tcp", "SRV", "1 1 80 alias")],
)
def test_mx_ns_and_srv_targets_may_not_be_cnames_in_the_zone(record):
    issue = only_issue(("alias", "CNAME", "host.example.net."), record)
    assert issue.field == "value" and "is a CNAME in this zone" in issue.message


def test_targets_outside_the_zone_are_not_checked_for_cnames():
    _, issues = check(("alias", "CNAME", "host.example.net."), ("@", "MX", "10 alias.example.org."))
    assert issues == []


def test_duplicate_records_are_refused_with_the_first_ones_line():
    inputs = [
        RecordInput("www", "A", 300, "192.0.2.1", line=3),
        RecordInput("WWW", "A", 300, "192.0.2.1", line=9),
    ]
    _, issues = validate_records(ZONE, inputs)
    assert [str(i) for i in issues] == ["Line 9: Duplicate of an earlier record (line 3)."]


def test_records_of_one_rrset_share_a_ttl():
    issue = only_issue(("www", "A", 300, "192.0.2.1"), ("www", "A", 600, "192.0.2.2"))
    assert issue.field == "ttl" and "share one TTL (300)" in issue.message


def test_the_records_per_zone_quota_is_enforced_at_its_boundary():
    records = [(f"h{i}", "A", "192.0.2.1") for i in range(5)]
    assert check(*records, max_records=5)[1] == []
    issue = only_issue(*records, ("h5", "A", "192.0.2.1"), max_records=5)
    assert "at most 5 records" in issue.message


def test_issues_of_an_import_are_sorted_by_line():
    inputs = [
        RecordInput("b", "A", 300, "bad", line=7),
        RecordInput("a", "AAAA", 300, "bad", line=2),
    ]
    _, issues = validate_records(ZONE, inputs)
    assert [i.line for i in issues] == [2, 7]


# --- zone names -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Example.COM", "example.com."),
        ("example.com.", "example.com."),
        (" bücher.example ", "xn--bcher-kva.example."),
        ("2.0.192.in-addr.arpa", "2.0.192.in-addr.arpa."),
    ],
)
def test_zone_names_are_normalised(given, expected):
    assert zone_name(given) == expected


@pytest.mark.parametrize("given", ["com", "", "exa mple.com", "*.example.com", "a..com", "x\n.com"])
def test_bad_zone_names_are_refused(given):
    with pytest.raises(InvalidName):
        zone_name(given)
