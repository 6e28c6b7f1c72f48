"""Input the DNS rules refuse, through every way in: the zone page's form (htmx), the REST API
and a zone-file import. Each refusal is a message on its field (or import line), and nothing
is staged, applied or sent to PowerDNS; a valid CAA goes all the way and is served."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from provisioning.dns import services
from provisioning.dns.models import ZoneRevision
from provisioning.engine.models import ProvisioningJob
from tests.api.conftest import make_token, token_client
from tests.dns.conftest import pdns_api, run_jobs
from tests.dns.dnsquery import answers, serial

HTMX = {"HTTP_HX_REQUEST": "true"}
JSON = "application/json"
WORDS = {"\n": "a line break", "\r": "a carriage return", "\x00": "a NUL character"}
CRITICAL = "The critical flag on the unknown tag"
# A NUL never reaches a view: the input guard (panel/input_guard.py) answers 400 first, naming
# the field; CR and LF are the DNS rules' to refuse, on the field.


@pytest.fixture
def zone(alice_account, dns_server, zone_name):
    zone = services.create_zone(alice_account, zone_name, template="web", actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    return zone


def server_state(zone, pdns_address):
    """What PowerDNS holds and serves for the zone (its rrsets and SOA serial)."""
    rrsets = pdns_api("GET", f"/zones/{zone.name}").json()["rrsets"]
    shown = sorted(
        (r["name"], r["type"], r["ttl"], sorted(rec["content"] for rec in r["records"]))
        for r in rrsets
    )
    return shown, serial(pdns_address, zone.name)


def panel_state(zone):
    records = sorted(zone.records.values_list("name", "type", "ttl", "content"))
    return records, ZoneRevision.objects.filter(zone=zone).count(), ProvisioningJob.objects.count()


def field_errors(page: str) -> dict[str, list[str]]:
    """The form's errors by field name, as the page shows them (partials/_form.html)."""
    found = {}
    for block in page.split('<div class="field has-error">')[1:]:
        name = re.search(r'<label for="id_(\w+)"', block).group(1)
        messages = re.findall(r'<small class="error" role="alert">(.*?)</small>', block)
        found[name] = [html.unescape(m) for m in messages]
    return found


# (field, the form's data) with one control character each, in the name, TTL and a non-TXT value.
def control_cases():
    good = {"name": "host", "type": "A", "ttl": "300", "value": "192.0.2.33"}
    for char in WORDS:
        yield "name", char, {**good, "name": f"host{char}"}  # trailing: no trimming hides it
        yield "name", char, {**good, "name": f"ho{char}st"}
        yield "ttl", char, {**good, "ttl": f"300{char}"}
        yield "ttl", char, {**good, "ttl": f"3{char}00"}
        yield "value", char, {**good, "value": f"192.0.2.33{char}"}
        yield "value", char, {**good, "type": "MX", "value": f"10 mail{char}"}
        yield "value", char, {**good, "type": "CNAME", "value": f"other{char}.example.net."}
        yield "value", char, {**good, "type": "SRV", "value": f"1 1 80 sip{char}"}


def test_the_zone_page_refuses_control_characters_on_their_field(alice_client, zone, pdns_address):
    before_server, before_panel = server_state(zone, pdns_address), panel_state(zone)
    add = reverse("dns:record_add", args=[zone.pk])
    www = zone.records.get(name="www." + zone.name)
    edit = reverse("dns:record_edit", args=[zone.pk, www.pk])
    for field, char, data in control_cases():
        for url in (add, edit):
            response = alice_client.post(url, data, **HTMX)
            text = html.unescape(response.content.decode())
            if char == "\x00":
                assert response.status_code == 400, (url, data)
                assert f"The field “{field}” in the form contains a NUL character." in text
                continue
            assert response.status_code == 200, (url, data)
            errors = field_errors(text)
            assert list(errors) == [field], (url, data, errors)
            assert any(f"contains {WORDS[char]}" in m for m in errors[field]), (data, errors)
    assert panel_state(zone) == before_panel  # nothing staged
    assert services.staged_changes(zone) == {"added": [], "removed": []}
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    assert "Staged changes" not in page
    assert server_state(zone, pdns_address) == before_server  # nothing sent


def test_the_zone_page_refuses_a_critical_unknown_caa_tag_and_applies_a_valid_one(
    alice_client, zone, pdns_address
):
    add = reverse("dns:record_add", args=[zone.pk])
    before_server = server_state(zone, pdns_address)
    critical = {"name": "@", "type": "CAA", "ttl": "300", "value": "128 tbs ca.example.net"}
    response = alice_client.post(add, critical, **HTMX)
    errors = field_errors(response.content.decode())
    assert list(errors) == ["value"] and CRITICAL in errors["value"][0], errors
    assert "tbs would block every CA" in errors["value"][0]
    assert not zone.records.filter(type="CAA").exists()
    assert server_state(zone, pdns_address) == before_server
    for value in ("128 issue letsencrypt.org", "0 tbs anything"):  # known tag; not critical
        data = {**critical, "value": value}
        assert field_errors(alice_client.post(add, data, **HTMX).content.decode()) == {}
    alice_client.post(reverse("dns:zone_apply", args=[zone.pk]))
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    served = answers(pdns_address, zone.name, "CAA")
    assert served == {'128 issue "letsencrypt.org"', '0 tbs "anything"'}


@pytest.fixture
def api(alice_account):
    return token_client(make_token(alice_account.owner, {"dns": "write"}))


def api_change(api, zone, rrset):
    body = {"rrsets": [{"name": "fine", "type": "A", "values": ["192.0.2.99"]}, rrset]}
    return api.post(f"/api/v1/dns/zones/{zone.pk}/changes/", body, content_type=JSON)


def api_problem(response) -> tuple[str, list[str]]:
    """The field of the second rrset a 400 names, and its messages: a rule's issue
    (records_refused) or a shape error of the request."""
    problem = response.json()
    if problem.get("code") == "records_refused":
        (issue,) = problem["issues"]
        assert issue["index"] == 1, issue
        return issue["field"], [issue["message"]]
    (errors,) = [e for e in problem["errors"]["rrsets"] if e]
    (field,) = errors
    messages = errors[field]
    return ("value" if field == "values" else field), [str(m) for m in _flat(messages)]


def _flat(messages):
    if isinstance(messages, dict):
        for value in messages.values():
            yield from _flat(value)
    elif isinstance(messages, list):
        for value in messages:
            yield from _flat(value)
    else:
        yield messages


def test_the_api_refuses_control_characters_on_their_field(api, zone, pdns_address):
    before_server, before_panel = server_state(zone, pdns_address), panel_state(zone)
    for field, char, data in control_cases():
        rrset = {"name": data["name"], "type": data["type"], "values": [data["value"]]}
        if data["ttl"].isdigit():
            rrset["ttl"] = int(data["ttl"])
        else:
            rrset["ttl"] = data["ttl"]  # a JSON string, as a client may send it
        response = api_change(api, zone, rrset)
        assert response.status_code == 400, (rrset, response.content)
        if char == "\x00":
            at = {"name": "name", "ttl": "ttl", "value": "values[0]"}[field]
            assert response.json()["detail"] == (
                f"The text at “rrsets[1].{at}” in the JSON body contains a NUL character."
            )
            continue
        where, messages = api_problem(response)
        assert where == field, (rrset, where, messages)
        assert any(f"contains {WORDS[char]}" in m for m in messages), (rrset, messages)
    assert panel_state(zone) == before_panel
    assert server_state(zone, pdns_address) == before_server


def test_the_api_refuses_a_critical_unknown_caa_tag_and_applies_a_valid_one(
    api, zone, pdns_address
):
    before_server = server_state(zone, pdns_address)
    response = api_change(api, zone, {"name": "@", "type": "CAA", "values": ["128 tbs x.example"]})
    assert response.status_code == 400
    field, messages = api_problem(response)
    assert field == "value" and CRITICAL in messages[0]
    assert server_state(zone, pdns_address) == before_server
    valid = {"name": "@", "type": "CAA", "values": ["128 issue letsencrypt.org"]}
    assert api_change(api, zone, valid).status_code == 202
    run_jobs()
    assert answers(pdns_address, zone.name, "CAA") == {'128 issue "letsencrypt.org"'}


# A zone file with one bad line of each kind after two good ones. An uploaded file reaches
# the import as it is, NULs included; pasted text and JSON bodies meet the input guard first.
BAD_LINES = [
    ("host 300 IN A\r192.0.2.7", "It contains a carriage return."),  # a lone CR, no line end
    ("host 300 IN MX 10 mail\rx", "It contains a carriage return."),
    ("ho\rst 300 IN A 192.0.2.7", "It contains a carriage return."),
    ("host 3\r00 IN A 192.0.2.7", "It contains a carriage return."),
    ('@ 300 IN TXT "two\\010lines"', "TXT value: It contains a line break."),
    ("@ 300 IN CAA 128 tbs x.example", f"CAA value: {CRITICAL} tbs would block every CA."),
]
NUL_LINES = [
    ("host 300 IN A 192.0.2.7\x00", "It contains a NUL character."),
    ("ho\x00st 300 IN A 192.0.2.7", "It contains a NUL character."),
    ("host 30\x000 IN A 192.0.2.7", "It contains a NUL character."),
]


def zone_file(bad) -> str:
    lines = ["$TTL 300", "ok 300 IN A 192.0.2.1"] + [line for line, _ in bad]
    return "\r\n".join(lines) + "\r\n"  # CRLF line ends are fine


def line_messages(bad) -> list[str]:
    return [f"Line {number}: {words}" for number, (_, words) in enumerate(bad, start=3)]


def test_an_import_refuses_each_bad_line_with_its_number(alice_client, zone, pdns_address):
    before_server, before_panel = server_state(zone, pdns_address), panel_state(zone)
    url = reverse("dns:zone_import", args=[zone.pk])
    uploaded = zone_file(BAD_LINES + NUL_LINES).encode()
    cases = [
        ({"text": zone_file(BAD_LINES)}, line_messages(BAD_LINES)),
        ({"upload": uploaded}, line_messages(BAD_LINES + NUL_LINES)),
    ]
    for data, expected in cases:
        for action in ("preview", "apply"):
            if "upload" in data:
                data = {"upload": SimpleUploadedFile("zone.txt", uploaded, "text/plain")}
            response = alice_client.post(url, {**data, "action": action})
            assert response.status_code == 422, response.content
            page = html.unescape(response.content.decode())
            assert re.findall(r"<li>(Line \d+: .*?)</li>", page) == expected
    pasted = alice_client.post(url, {"text": zone_file(NUL_LINES), "action": "apply"})
    assert pasted.status_code == 400
    assert "The field “text” in the form contains a NUL character." in html.unescape(
        pasted.content.decode()
    )
    assert panel_state(zone) == before_panel
    assert server_state(zone, pdns_address) == before_server


def test_an_api_import_refuses_each_bad_line_with_its_number(api, zone, pdns_address):
    before_server, before_panel = server_state(zone, pdns_address), panel_state(zone)
    url = f"/api/v1/dns/zones/{zone.pk}/import/"
    for apply in (False, True):
        body = {"text": zone_file(BAD_LINES), "apply": apply}
        response = api.post(url, body, content_type=JSON)
        assert response.status_code == 400, response.content
        issues = response.json()["issues"]
        assert [f"Line {i['line']}: {i['message']}" for i in issues] == line_messages(BAD_LINES)
    nul = api.post(url, {"text": zone_file(NUL_LINES), "apply": True}, content_type=JSON)
    assert nul.status_code == 400
    assert nul.json()["detail"] == "The text at “text” in the JSON body contains a NUL character."
    assert panel_state(zone) == before_panel
    assert server_state(zone, pdns_address) == before_server
    good = "$TTL 300\r\nok 300 IN A 192.0.2.1\r\n@ 300 IN CAA 0 issue letsencrypt.org\r\n"
    assert api.post(url, {"text": good, "apply": True}, content_type=JSON).status_code == 202
    run_jobs()
    assert answers(pdns_address, "ok." + zone.name, "A") == {"192.0.2.1"}
    assert answers(pdns_address, zone.name, "CAA") == {'0 issue "letsencrypt.org"'}


def test_a_zone_name_with_a_line_break_is_refused_on_its_field(
    alice_client, api, dns_server, zone_name
):
    from provisioning.dns.models import Zone

    before = pdns_api("GET", "/zones").json()
    for name in (zone_name + "\n", zone_name.rstrip(".") + "\r\n", "shop\n" + zone_name):
        page = alice_client.post(reverse("dns:zone_create"), {"name": name, "template": ""})
        assert page.status_code == 200
        errors = field_errors(page.content.decode())
        assert list(errors) == ["name"] and "It contains a" in errors["name"][0], errors
        response = api.post("/api/v1/dns/zones/", {"name": name}, content_type=JSON)
        assert response.status_code == 400, response.content
        assert "It contains a" in response.json()["detail"]
    assert not Zone.objects.exists() and not ProvisioningJob.objects.exists()
    assert pdns_api("GET", "/zones").json() == before
