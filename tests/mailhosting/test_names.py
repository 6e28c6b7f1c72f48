"""Every bad input to mail names is refused with a sentence saying what is wrong."""

from __future__ import annotations

import pytest

from provisioning.mail import names
from provisioning.mail.names import InvalidMailName


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("jo hn", "spaces"),
        ('"john"', "Quotes"),
        ("o'brien", "Quotes"),
        (".john", "start or end with a dot"),
        ("john.", "start or end with a dot"),
        ("jo..hn", "two dots"),
        ("a" * 65, "longer than 64 bytes"),
        ("jo\rhn", "carriage return"),
        ("jo\nhn", "line break"),
        ("jo\x00hn", "NUL"),
        ("jöhn", "ASCII"),
        ("jo/hn", "Use only letters"),
        ("jo+hn", "Use only letters"),
        ("", "Enter the part"),
    ],
)
def test_it_refuses_bad_local_parts(value, message):
    with pytest.raises(InvalidMailName, match=message):
        names.local_part(value)


def test_it_lowers_and_keeps_good_local_parts():
    assert names.local_part("John.Doe_1-x") == "john.doe_1-x"
    assert names.local_part("a" * 64) == "a" * 64


def test_destinations_may_carry_plus():
    assert names.address("Me+Tag@Example.ORG", destination=True) == "me+tag@example.org"


def test_it_refuses_addresses_over_254_bytes():
    domain = ".".join(["d" * 60] * 4) + ".com"  # 247 bytes
    with pytest.raises(InvalidMailName, match="254"):
        names.address(f"abcdefgh@{domain}")


@pytest.mark.parametrize(
    ("value", "message"),
    [("localhost", "full domain"), ("exa mple.com", "Domain"), ("a\nb.com", "line break")],
)
def test_it_refuses_bad_domains(value, message):
    with pytest.raises(InvalidMailName, match=message):
        names.domain_name(value)


def test_unicode_domains_become_idna():
    assert names.domain_name("Bücher.Example") == "xn--bcher-kva.example"


def test_destinations_are_split_deduplicated_and_limited(settings):
    assert names.destinations("a@x.org, b@y.org\nA@x.org") == ["a@x.org", "b@y.org"]
    settings.MAIL_ALIAS_MAX_DESTINATIONS = 2
    with pytest.raises(InvalidMailName, match="at most 2"):
        names.destinations("a@x.org b@x.org c@x.org")
    with pytest.raises(InvalidMailName, match="at least one"):
        names.destinations(" , ")
    with pytest.raises(InvalidMailName, match="carriage return"):
        names.destinations(["a@x.org\r\nBcc: evil@x.org"])


def test_passwords_are_capped_and_checked(settings):
    with pytest.raises(InvalidMailName, match="at most 1024"):
        names.password("Aa1!" * 300)
    with pytest.raises(InvalidMailName, match="too common|too short"):
        names.password("password")
    with pytest.raises(InvalidMailName, match="printable ASCII"):
        names.password("correct horse battery staple")
    with pytest.raises(InvalidMailName, match="line break|printable"):
        names.password("Zx9!kq2#Lm\nwe")
    assert names.password("Zx9!kq2#Lmwe") == "Zx9!kq2#Lmwe"
