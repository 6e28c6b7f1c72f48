"""DNS through the API: the zone services as jobs, checked by asking the real PowerDNS over DNS."""

from __future__ import annotations

import dns.dnssec
import dns.name
import dns.rdatatype
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import ApiToken
from provisioning.dns.models import Record, Zone, ZoneRevision
from security.models import AuditEvent
from tests.api.conftest import make_token, token_client
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers, query, rcode

JSON = "application/json"
DNS_WRITE = {"dns": "write"}


def post(client, path, body, **headers):
    return client.post(path, body, content_type=JSON, **headers)


@pytest.fixture
def dns_api(alice_account):
    return token_client(make_token(alice_account.owner, DNS_WRITE))


@pytest.fixture
def zone(dns_api, dns_server, zone_name):
    response = post(dns_api, "/api/v1/dns/zones/", {"name": zone_name, "template": "web"})
    assert response.status_code == 202, response.content
    run_jobs()
    return Zone.objects.get(name=zone_name)


def change(client, zone, *rrsets, **headers):
    return post(
        client, f"/api/v1/dns/zones/{zone.pk}/changes/", {"rrsets": list(rrsets)}, **headers
    )


def test_creating_a_zone_answers_202_and_powerdns_serves_it(
    dns_api, dns_server, pdns_address, zone_name
):
    response = post(dns_api, "/api/v1/dns/zones/", {"name": zone_name.rstrip(".").upper()})
    assert response.status_code == 202
    body = response.json()
    assert body["zone"]["name"] == zone_name and body["zone"]["state"] == "pending"
    assert response["Location"] == body["job"]
    assert dns_api.get(body["job"]).json()["kind"] == "dns_zone.create"
    run_jobs()
    assert dns_api.get(body["job"]).json()["state"] == "done"
    detail = dns_api.get(f"/api/v1/dns/zones/{body['zone']['id']}/")
    assert detail.status_code == 200 and detail.json()["state"] == "active"
    assert detail["ETag"]
    assert answers(pdns_address, zone_name, "NS") == {"ns1.hearth.test.", "ns2.hearth.test."}
    event = AuditEvent.objects.get(action="dns.zone_created")
    assert (
        event.details["via"] == "api" and event.details["credential"] == ApiToken.objects.get().pk
    )


def test_a_change_set_is_applied_as_one_revision_and_served(dns_api, zone, pdns_address):
    long_text = "v=DKIM1; k=rsa; p=" + "A" * 400
    response = change(
        dns_api,
        zone,
        {"name": "www", "type": "CNAME", "changetype": "DELETE"},
        {"name": "www", "type": "A", "ttl": 300, "values": ["192.0.2.7", "192.0.2.8"]},
        {"name": "key._domainkey", "type": "TXT", "values": [long_text]},
        {"name": "@", "type": "MX", "values": ["10 mail"]},
        {"name": "mail", "type": "A", "values": ["192.0.2.25"]},
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["revision"]["reason"] == "API change set"
    assert ["www." + zone.name, "CNAME", 3600, zone.name] in body["revision"]["diff"]["removed"]
    assert ZoneRevision.objects.filter(zone=zone).count() == 2
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    job = dns_api.get(body["job"]).json()
    assert job["state"] == "done", (job["error_message"], [st["log"] for st in job["steps"]])
    assert answers(pdns_address, "www." + zone.name, "A") == {"192.0.2.7", "192.0.2.8"}
    txt = answers(pdns_address, "key._domainkey." + zone.name, "TXT")
    assert "".join(txt.pop().split('"')[1::2]) == long_text
    assert answers(pdns_address, zone.name, "MX") == {"10 mail." + zone.name}
    rrsets = dns_api.get(f"/api/v1/dns/zones/{zone.pk}/rrsets/").json()
    assert rrsets["staged"] is False
    www = [r for r in rrsets["rrsets"] if r["name"] == "www." + zone.name]
    assert www == [
        {"name": "www." + zone.name, "type": "A", "ttl": 300, "values": ["192.0.2.7", "192.0.2.8"]}
    ]
    revisions = dns_api.get(f"/api/v1/dns/zones/{zone.pk}/revisions/").json()["results"]
    assert [r["number"] for r in revisions] == [2, 1] and revisions[0]["state"] == "applied"


@pytest.mark.parametrize(
    ("rrset", "where", "words"),
    [
        ({"name": "mx", "type": "MX", "values": ["10 www"]}, (1, "value"), "is a CNAME"),
        ({"name": "bad", "type": "A", "values": ["300.1.1.1"]}, (1, "value"), "valid IPv4"),
        # The conflict is reported on the CNAME the zone already holds (index -1).
        ({"name": "www", "type": "TXT", "values": ["x"]}, (-1, "type"), "a CNAME and other"),
        ({"name": "a.other.test.", "type": "A", "values": ["192.0.2.1"]}, (1, "name"), "outside"),
        ({"name": "x", "type": "A", "ttl": 5, "values": ["192.0.2.1"]}, (1, "ttl"), "between"),
        ({"name": "bad\nname", "type": "A", "values": ["192.0.2.1"]}, (1, "name"), "Name"),
    ],
)
def test_a_bad_rrset_refuses_the_whole_change_set(dns_api, zone, rrset, where, words):
    before = sorted(Record.objects.filter(zone=zone).values_list("name", "type", "content"))
    good = {"name": "fine", "type": "A", "values": ["192.0.2.99"]}
    response = change(dns_api, zone, good, rrset)
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["code"] == "records_refused"
    issue = problem["issues"][0]
    assert (issue["index"], issue["field"]) == where
    assert words in issue["message"]
    after = sorted(Record.objects.filter(zone=zone).values_list("name", "type", "content"))
    assert after == before and ZoneRevision.objects.filter(zone=zone).count() == 1


def test_shape_errors_are_400_with_the_field(dns_api, zone):
    empty = change(dns_api, zone)
    assert empty.status_code == 400 and "rrsets" in empty.json()["errors"]
    no_values = change(dns_api, zone, {"name": "x", "type": "A"})
    assert no_values.status_code == 400 and "values" in str(no_values.json()["errors"])
    twice = change(
        dns_api,
        zone,
        {"name": "x", "type": "A", "values": ["192.0.2.1"]},
        {"name": "x", "type": "A", "changetype": "DELETE"},
    )
    assert twice.status_code == 400 and "twice" in twice.json()["detail"]
    unchanged = change(dns_api, zone, {"name": "@", "type": "A", "values": ["192.0.2.10"]})
    assert unchanged.status_code == 409 and unchanged.json()["code"] == "nothing_to_apply"


def test_import_previews_lists_errors_by_line_applies_and_exports(dns_api, zone, pdns_address):
    url = f"/api/v1/dns/zones/{zone.pk}/import/"
    broken = "@ 300 IN A 192.0.2.1\nwww 300 IN A 999.0.0.1\n@ 300 IN CNAME other\n"
    refused = post(dns_api, url, {"text": broken})
    assert refused.status_code == 400
    assert sorted({i["line"] for i in refused.json()["issues"]}) == [2, 3]
    not_a_name = post(dns_api, url, {"text": "\u00b6x 300 IN A 192.0.2.1\n"})
    assert not_a_name.status_code == 400  # found by the stateful run: was a 500
    assert not_a_name.json()["issues"][0]["field"] == "name"
    text = "@ 300 IN A 192.0.2.1\napi 300 IN AAAA 2001:db8::1\n"
    preview = post(dns_api, url, {"text": text})
    assert preview.status_code == 200
    added = {(r["name"], r["type"]) for r in preview.json()["added"]}
    assert added == {("api." + zone.name, "AAAA")}
    assert {r["type"] for r in preview.json()["removed"]} == {"AAAA", "CNAME"}
    (apex_a,) = preview.json()["changed"]
    assert apex_a["before"]["values"] == ["192.0.2.10"] and apex_a["after"]["ttl"] == 300
    assert ZoneRevision.objects.filter(zone=zone).count() == 1  # a preview changes nothing
    applied = post(dns_api, url, {"text": text, "apply": True})
    assert applied.status_code == 202
    run_jobs()
    assert answers(pdns_address, "api." + zone.name, "AAAA") == {"2001:db8::1"}
    assert rcode(pdns_address, "www." + zone.name, "A") == "NXDOMAIN"
    exported = dns_api.get(f"/api/v1/dns/zones/{zone.pk}/export/")
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/plain")
    assert "2001:db8::1" in exported.content.decode()


def test_revert_is_one_more_change_set(dns_api, zone, pdns_address):
    change(dns_api, zone, {"name": "@", "type": "A", "values": ["192.0.2.55"]})
    run_jobs()
    response = post(dns_api, f"/api/v1/dns/zones/{zone.pk}/revisions/1/revert/", {})
    assert response.status_code == 202 and response.json()["revision"]["number"] == 3
    run_jobs()
    assert answers(pdns_address, zone.name, "A") == {"192.0.2.10"}


def test_dnssec_on_shows_the_ds_computed_from_the_served_dnskey(dns_api, zone, pdns_address):
    url = f"/api/v1/dns/zones/{zone.pk}/dnssec/"
    assert dns_api.get(url).json() == {"enabled": False, "ds_records": [], "dnskey_records": []}
    response = post(dns_api, url, {"enabled": True})
    assert response.status_code == 202 and response.json()["zone"]["state"] == "updating"
    run_jobs()
    shown = dns_api.get(url).json()
    assert shown["enabled"] is True
    keys = [r for r in query(pdns_address, zone.name, "DNSKEY").answer if r.rdtype == 48][0]
    origin = dns.name.from_text(zone.name)
    computed = {dns.dnssec.make_ds(origin, k, "SHA256").to_text() for k in keys if k.flags & 1}
    assert set(shown["ds_records"]) == computed
    again = post(dns_api, url, {"enabled": True})
    assert again.status_code == 409 and again.json()["code"] == "nothing_to_apply"
    assert post(dns_api, url, {"enabled": "maybe"}).status_code == 400


def test_delete_answers_202_and_the_zone_is_gone(dns_api, zone, pdns_address):
    response = dns_api.delete(f"/api/v1/dns/zones/{zone.pk}/")
    assert response.status_code == 202 and response.json()["zone"]["state"] == "deleting"
    run_jobs()
    assert not Zone.objects.filter(pk=zone.pk).exists()
    assert rcode(pdns_address, zone.name) == "REFUSED"


def test_an_idempotency_key_creates_one_zone(dns_api, dns_server, zone_name):
    key = {"HTTP_IDEMPOTENCY_KEY": "zone-1"}
    first = post(dns_api, "/api/v1/dns/zones/", {"name": zone_name}, **key)
    second = post(dns_api, "/api/v1/dns/zones/", {"name": zone_name}, **key)
    assert first.status_code == second.status_code == 202
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert Zone.objects.count() == 1
    other = post(dns_api, "/api/v1/dns/zones/", {"name": "x" + zone_name}, **key)
    assert other.status_code == 409 and other.json()["code"] == "idempotency_conflict"


def test_an_idempotency_key_applies_a_change_set_once(dns_api, zone):
    key = {"HTTP_IDEMPOTENCY_KEY": "change-1"}
    rrset = {"name": "once", "type": "A", "values": ["192.0.2.1"]}
    assert change(dns_api, zone, rrset, **key).status_code == 202
    replay = change(dns_api, zone, rrset, **key)
    assert replay.status_code == 202 and replay["Idempotent-Replayed"] == "true"
    assert ZoneRevision.objects.filter(zone=zone).count() == 2


def test_others_zone_is_404_on_every_endpoint(zone, bob_account, admin_user):
    bob = token_client(make_token(bob_account.owner, DNS_WRITE))
    base = f"/api/v1/dns/zones/{zone.pk}/"
    gets = ["", "rrsets/", "export/", "dnssec/", "records/", "revisions/", "revisions/1/"]
    for suffix in gets:
        assert bob.get(base + suffix).status_code == 404, suffix
    posts = ["changes/", "import/", "dnssec/", "revisions/1/revert/"]
    for suffix in posts:
        assert post(bob, base + suffix, {"enabled": True}).status_code == 404, suffix
    assert bob.delete(base).status_code == 404
    assert bob.get("/api/v1/dns/zones/").json()["results"] == []
    admin = token_client(make_token(admin_user, {"dns": "read", "admin": "read"}))
    assert admin.get(base).status_code == 200
    assert Zone.objects.get(pk=zone.pk).state == "active"


def test_scopes_read_write_and_restriction_to_one_zone(alice_account, zone, dns_server):
    owner = alice_account.owner
    reader = token_client(make_token(owner, {"dns": "read"}))
    assert reader.get(f"/api/v1/dns/zones/{zone.pk}/").status_code == 200
    refused = change(reader, zone, {"name": "r", "type": "A", "values": ["192.0.2.1"]})
    assert refused.status_code == 403 and refused.json()["code"] == "scope_missing"
    databases_only = token_client(make_token(owner, {"databases": "write"}))
    assert databases_only.get("/api/v1/dns/zones/").status_code == 403
    assert databases_only.get("/api/v1/jobs/").json()["results"] == []  # no dns: no zone jobs
    only_this = token_client(make_token(owner, DNS_WRITE, objects=[f"dns:{zone.pk}"]))
    assert [z["id"] for z in only_this.get("/api/v1/dns/zones/").json()["results"]] == [zone.pk]
    assert {j["kind"] for j in only_this.get("/api/v1/jobs/").json()["results"]} == {
        "dns_zone.create"
    }
    other = token_client(make_token(owner, DNS_WRITE, objects=[f"dns:{zone.pk + 1}"]))
    assert other.get(f"/api/v1/dns/zones/{zone.pk}/").status_code == 404
    assert other.get(f"/api/v1/dns/zones/{zone.pk}/records/").status_code == 404
    assert other.get("/api/v1/jobs/").json()["results"] == []
    create = post(only_this, "/api/v1/dns/zones/", {"name": "n" + zone.name})
    assert create.status_code == 403


def test_the_records_list_costs_the_same_queries_for_many_records(dns_api, zone):
    url = f"/api/v1/dns/zones/{zone.pk}/records/"
    with CaptureQueriesContext(connection) as few:
        assert dns_api.get(url).status_code == 200
    Record.objects.bulk_create(
        Record(zone=zone, name=f"h{i}.{zone.name}", type="A", ttl=300, content="192.0.2.1")
        for i in range(40)
    )
    with CaptureQueriesContext(connection) as many:
        page = dns_api.get(url + "?type=A").json()
    assert len(page["results"]) == 41
    assert page["results"][0]["name"].startswith("h") and page["results"][0]["value"]
    assert len(many) == len(few)
