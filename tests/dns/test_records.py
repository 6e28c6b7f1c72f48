"""Records: staged inline (htmx), applied as one PATCH job, checked over DNS; revisions, revert."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.dns import services
from provisioning.dns.models import Zone
from provisioning.engine.models import ProvisioningJob
from tests.dns.conftest import pdns_api, run_jobs
from tests.dns.dnsquery import answers, serial

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def zone(alice_account, dns_server, zone_name):
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active"
    return zone


def stage(client, zone, name, rtype, value, ttl="300"):
    url = reverse("dns:record_add", args=[zone.pk])
    return client.post(url, {"name": name, "type": rtype, "ttl": ttl, "value": value}, **HTMX)


def apply(client, zone):
    response = client.post(reverse("dns:zone_apply", args=[zone.pk]))
    assert response.status_code == 302
    run_jobs()
    zone.refresh_from_db()
    return zone


EVERY_TYPE = [
    ("@", "A", "192.0.2.1", "", "A", {"192.0.2.1"}),
    ("v6", "AAAA", "2001:db8::1", "v6.", "AAAA", {"2001:db8::1"}),
    ("alias", "CNAME", "v6", "alias.", "CNAME", {"v6.{zone}"}),
    ("@", "MX", "10 mail.example.net.", "", "MX", {"10 mail.example.net."}),
    ("@", "TXT", "v=spf1 -all", "", "TXT", {'"v=spf1 -all"'}),
    ("_sip._tcp", "SRV", "10 5 5060 v6", "_sip._tcp.", "SRV", {"10 5 5060 v6.{zone}"}),
    ("@", "CAA", "0 issue letsencrypt.org", "", "CAA", {'0 issue "letsencrypt.org"'}),
    ("sub", "NS", "ns1.example.net.", "sub.", "NS", {"ns1.example.net."}),
]


def test_every_type_is_staged_then_applied_in_one_job_and_answered(
    alice_client, zone, pdns_address
):
    before = serial(pdns_address, zone.name)
    for name, rtype, value, *_ in EVERY_TYPE:
        response = stage(alice_client, zone, name, rtype, value)
        assert response.status_code == 200
        assert "Staged changes" in response.content.decode()
    assert answers(pdns_address, "v6." + zone.name, "AAAA") == set()  # nothing applied yet
    jobs = ProvisioningJob.objects.count()
    apply(alice_client, zone)
    assert ProvisioningJob.objects.count() == jobs + 1
    assert zone.state == "active", zone.error_message
    for _, _, _, prefix, rtype, expected in EVERY_TYPE:
        wanted = {value.format(zone=zone.name) for value in expected}
        assert answers(pdns_address, prefix + zone.name, rtype) == wanted
    revision = zone.applied_revision()
    assert revision.number == 2 and revision.serial == serial(pdns_address, zone.name) > before
    assert len(revision.diff["added"]) == len(EVERY_TYPE) and revision.diff["removed"] == []


def test_a_long_dkim_key_round_trips(alice_client, zone, pdns_address):
    key = "v=DKIM1; k=rsa; p=" + "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA" * 12
    stage(alice_client, zone, "s1._domainkey", "TXT", key)
    apply(alice_client, zone)
    (served,) = answers(pdns_address, "s1._domainkey." + zone.name, "TXT")
    strings = served[1:-1].split('" "')
    assert "".join(strings) == key and max(len(s) for s in strings) == 255


def test_editing_and_deleting_records_are_applied_together(alice_client, zone, pdns_address):
    stage(alice_client, zone, "www", "A", "192.0.2.1")
    stage(alice_client, zone, "old", "A", "192.0.2.2")
    apply(alice_client, zone)
    www = zone.records.get(name="www." + zone.name)
    old = zone.records.get(name="old." + zone.name)
    edit = reverse("dns:record_edit", args=[zone.pk, www.pk])
    form = alice_client.get(edit, **HTMX)
    assert 'value="192.0.2.1"' in form.content.decode()
    response = alice_client.post(
        edit, {"name": "www", "type": "A", "ttl": "600", "value": "192.0.2.9"}, **HTMX
    )
    assert response.status_code == 200 and response["HX-Retarget"] == "#records"
    alice_client.post(reverse("dns:record_delete", args=[zone.pk, old.pk]), **HTMX)
    apply(alice_client, zone)
    assert answers(pdns_address, "www." + zone.name, "A") == {"192.0.2.9"}
    assert answers(pdns_address, "old." + zone.name, "A") == set()
    diff = zone.applied_revision().diff
    assert len(diff["added"]) == 1 and len(diff["removed"]) == 2


def test_invalid_records_are_refused_with_the_message_on_the_field(alice_client, zone):
    stage(alice_client, zone, "www", "A", "192.0.2.1")
    response = stage(alice_client, zone, "www", "CNAME", "host.example.net.")
    text = response.content.decode()
    assert "only record at its name" in text and "has-error" in text
    response = stage(alice_client, zone, "mail", "MX", "10 192.0.2.5")
    assert "not an IP address" in response.content.decode()
    assert zone.records.filter(type__in=["CNAME", "MX"]).count() == 0


def test_without_htmx_a_refused_record_gets_422_on_the_zone_page(alice_client, zone):
    url = reverse("dns:record_add", args=[zone.pk])
    response = alice_client.post(url, {"name": "@", "type": "A", "value": "300.1.1.1"})
    assert response.status_code == 422
    assert "not a valid IPv4 address" in response.content.decode()


def test_applying_without_changes_says_so(alice_client, zone):
    response = alice_client.post(reverse("dns:zone_apply", args=[zone.pk]), follow=True)
    assert "no changes to apply" in response.content.decode()
    assert ProvisioningJob.objects.filter(kind="dns_zone.change").count() == 0


def test_filtering_by_type_and_name(alice_client, zone):
    stage(alice_client, zone, "www", "A", "192.0.2.1")
    stage(alice_client, zone, "ftp", "A", "192.0.2.2")
    url = reverse("dns:zone_detail", args=[zone.pk])
    text = alice_client.get(url, {"type": "A", "name": "ww"}, **HTMX).content.decode()
    text = text.split("Staged changes")[0]
    assert "192.0.2.1" in text and "192.0.2.2" not in text and "ns1.hearth.test." not in text


def test_a_failed_change_restores_the_previous_revision(
    alice_client, zone, pdns_address, fast_jobs, dns_server
):
    from panel.stack.common import free_port

    stage(alice_client, zone, "www", "A", "192.0.2.1")
    apply(alice_client, zone)
    stage(alice_client, zone, "www", "A", "192.0.2.2")
    config = dns_server.settings_for("dns")
    unreachable = {**config, "dns_address": f"127.0.0.1:{free_port()}"}
    dns_server.set_role_connection("dns", unreachable, None)
    dns_server.save()
    apply(alice_client, zone)
    job = ProvisioningJob.objects.filter(kind="dns_zone.change").first()
    assert job.state == "failed" and job.phase == "rollback"
    assert zone.state == "active" and "Change #3 was not applied" in zone.error_message
    assert answers(pdns_address, "www." + zone.name, "A") == {"192.0.2.1"}
    rrsets = pdns_api("GET", f"/zones/{zone.name}").json()["rrsets"]
    www = [r for r in rrsets if r["name"] == "www." + zone.name]
    assert [rec["content"] for rec in www[0]["records"]] == ["192.0.2.1"]
    assert zone.revisions.get(number=3).state == "failed"
    assert zone.applied_revision().number == 2
    assert zone.records.filter(content="192.0.2.2").exists()  # the staged change is kept


def test_reverting_applies_an_old_revision_as_a_new_change(alice_client, zone, pdns_address):
    stage(alice_client, zone, "www", "A", "192.0.2.1")
    apply(alice_client, zone)
    www = zone.records.get(name="www." + zone.name)
    alice_client.post(reverse("dns:record_delete", args=[zone.pk, www.pk]), **HTMX)
    stage(alice_client, zone, "api", "AAAA", "2001:db8::5")
    apply(alice_client, zone)
    assert answers(pdns_address, "www." + zone.name, "A") == set()
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    assert "Revert to this" in page and "alice@example.test" in page
    response = alice_client.post(reverse("dns:revision_revert", args=[zone.pk, 2]))
    assert response.status_code == 302
    run_jobs()
    zone.refresh_from_db()
    assert answers(pdns_address, "www." + zone.name, "A") == {"192.0.2.1"}
    assert answers(pdns_address, "api." + zone.name, "AAAA") == set()
    latest = zone.applied_revision()
    assert latest.number == 4 and latest.reason == "revert to #2"


def test_the_zone_page_uses_a_constant_number_of_queries(
    alice_client, zone, django_assert_max_num_queries
):
    from provisioning.dns.models import Record

    def page_queries(count):
        Record.objects.filter(zone=zone, type="A").delete()
        Record.objects.bulk_create(
            Record(zone=zone, name=f"h{i}.{zone.name}", type="A", ttl=300, content="192.0.2.1")
            for i in range(count)
        )
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as captured:
            assert alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).status_code == 200
        return len(captured)

    assert page_queries(5) == page_queries(1000)
    second = alice_client.get(reverse("dns:zone_detail", args=[zone.pk]), {"page": 2})
    assert "Page 2 of 21" in second.content.decode()


def test_zones_are_listed_with_their_state(alice_client, zone):
    text = alice_client.get(reverse("dns:zone_list")).content.decode()
    assert zone.display_name in text and "Active" in text
    assert Zone.objects.count() == 1


def test_a_zone_without_apex_ns_records_is_not_applied(alice_client, zone):
    for record in zone.records.filter(type="NS"):
        alice_client.post(reverse("dns:record_delete", args=[zone.pk, record.pk]), **HTMX)
    response = alice_client.post(reverse("dns:zone_apply", args=[zone.pk]), follow=True)
    assert "at least one NS record at its apex" in response.content.decode()
    assert not ProvisioningJob.objects.filter(kind="dns_zone.change").exists()


CHANGED = {
    "A": ("192.0.2.2", {"192.0.2.2"}),
    "AAAA": ("2001:db8::2", {"2001:db8::2"}),
    "CNAME": ("other.example.net.", {"other.example.net."}),
    "MX": ("20 mx2.example.net.", {"20 mx2.example.net."}),
    "TXT": ("v=spf1 a -all", {'"v=spf1 a -all"'}),
    "SRV": ("20 10 5061 v6", {"20 10 5061 v6.{zone}"}),
    "CAA": ("0 issuewild ;", {'0 issuewild ";"'}),
    "NS": ("ns2.example.net.", {"ns2.example.net."}),
}


def test_every_type_is_changed_then_deleted_and_queried_back(alice_client, zone, pdns_address):
    for name, rtype, value, *_ in EVERY_TYPE:
        stage(alice_client, zone, name, rtype, value)
    apply(alice_client, zone)
    for name, rtype, *_ in EVERY_TYPE:
        fqdn = zone.name if name == "@" else f"{name}.{zone.name}"
        record = zone.records.get(name=fqdn, type=rtype)
        url = reverse("dns:record_edit", args=[zone.pk, record.pk])
        data = {"name": name, "type": rtype, "ttl": "300", "value": CHANGED[rtype][0]}
        assert alice_client.post(url, data, **HTMX).status_code == 200
    apply(alice_client, zone)
    assert zone.state == "active", zone.error_message
    for _, _, _, prefix, rtype, _ in EVERY_TYPE:
        wanted = {value.format(zone=zone.name) for value in CHANGED[rtype][1]}
        assert answers(pdns_address, prefix + zone.name, rtype) == wanted
    for _, rtype, _, prefix, *_ in EVERY_TYPE:
        record = zone.records.get(name=prefix + zone.name, type=rtype)
        alice_client.post(reverse("dns:record_delete", args=[zone.pk, record.pk]), **HTMX)
    apply(alice_client, zone)
    for _, _, _, prefix, rtype, _ in EVERY_TYPE:
        assert answers(pdns_address, prefix + zone.name, rtype) == set()
    assert answers(pdns_address, zone.name, "NS") == {"ns1.hearth.test.", "ns2.hearth.test."}


def test_ptr_records_are_served_in_a_reverse_zone(
    alice_client, alice_account, dns_server, pdns_address
):
    import secrets

    reverse_zone = f"{secrets.randbelow(256)}.{secrets.randbelow(256)}.10.in-addr.arpa."
    zone = services.create_zone(alice_account, reverse_zone, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    stage(alice_client, zone, "7", "PTR", "host.example.com.")
    apply(alice_client, zone)
    assert answers(pdns_address, "7." + reverse_zone, "PTR") == {"host.example.com."}


def history_diffs(client, zone) -> dict[int, list[str]]:
    """The zone page's history: each revision's number -> its diff lines, as shown."""
    import html
    import re

    page = client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    section = page.split("<h2>History</h2>", 1)[1].split("</section>", 1)[0]
    rows = re.findall(r'<tr data-revision="(\d+)">(.*?)</tr>', section, re.S)
    return {
        int(number): [html.unescape(line) for line in re.findall(r"<code>([+-] [^<]*)</code>", row)]
        for number, row in rows
    }


def test_the_history_shows_each_revisions_diff_and_revert_serves_the_old_records(
    alice_client, zone, pdns_address
):
    from tests.dns.dnsquery import query

    z = zone.name
    stage(alice_client, zone, "www", "A", "192.0.2.1")
    stage(alice_client, zone, "@", "TXT", "v=spf1 -all")
    apply(alice_client, zone)
    www = zone.records.get(name="www." + z)
    edit = reverse("dns:record_edit", args=[zone.pk, www.pk])
    alice_client.post(
        edit, {"name": "www", "type": "A", "ttl": "600", "value": "192.0.2.9"}, **HTMX
    )
    txt = zone.records.get(type="TXT")
    alice_client.post(reverse("dns:record_delete", args=[zone.pk, txt.pk]), **HTMX)
    stage(alice_client, zone, "api", "AAAA", "2001:db8::5")
    apply(alice_client, zone)
    assert answers(pdns_address, "www." + z, "A") == {"192.0.2.9"}

    created = [f"+ {z} 3600 NS ns1.hearth.test.", f"+ {z} 3600 NS ns2.hearth.test."]
    change_2 = [f'+ {z} 300 TXT "v=spf1 -all"', f"+ www.{z} 300 A 192.0.2.1"]
    added_3 = [f"+ api.{z} 300 AAAA 2001:db8::5", f"+ www.{z} 600 A 192.0.2.9"]
    removed_3 = [f'- {z} 300 TXT "v=spf1 -all"', f"- www.{z} 300 A 192.0.2.1"]
    history = history_diffs(alice_client, zone)
    assert sorted(history) == [1, 2, 3]
    assert sorted(history[1]) == created
    assert sorted(history[2]) == sorted(change_2)  # against #1: only what it added
    assert sorted(history[3]) == sorted(added_3 + removed_3)  # against #2

    response = alice_client.post(reverse("dns:revision_revert", args=[zone.pk, 2]))
    assert response.status_code == 302
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    (www_a,) = [r for r in query(pdns_address, "www." + z, "A").answer if r.rdtype == 1]
    assert {r.to_text() for r in www_a} == {"192.0.2.1"} and www_a.ttl == 300
    assert answers(pdns_address, z, "TXT") == {'"v=spf1 -all"'}
    assert answers(pdns_address, "api." + z, "AAAA") == set()
    history = history_diffs(alice_client, zone)
    # The revert is #4, and its diff against #3 is #3's the other way round.
    flipped = [{"+": "-", "-": "+"}[line[0]] + line[1:] for line in added_3 + removed_3]
    assert sorted(history[4]) == sorted(flipped)
