"""Zones: created and deleted through the views as jobs, checked by asking PowerDNS over DNS."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.dns import services
from provisioning.dns.models import Zone
from provisioning.engine.models import ProvisioningJob
from tests.dns.conftest import pdns_zones, run_jobs
from tests.dns.dnsquery import answers, rcode, serial


def create(client, name, template=""):
    return client.post(reverse("dns:zone_create"), {"name": name, "template": template})


def test_creating_a_zone_serves_its_soa_and_ns(alice_client, dns_server, pdns_address, zone_name):
    response = create(alice_client, zone_name.rstrip(".").upper())
    zone = Zone.objects.get(name=zone_name)
    assert response.status_code == 302 and response["Location"].endswith(f"/{zone.pk}/")
    assert zone.state == "pending"
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    assert answers(pdns_address, zone_name, "NS") == {"ns1.hearth.test.", "ns2.hearth.test."}
    (soa,) = answers(pdns_address, zone_name, "SOA")
    assert soa.startswith("ns1.hearth.test. hostmaster.hearth.test. ")
    assert serial(pdns_address, zone_name) == zone.applied_revision().serial > 1
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk]))
    assert "Active" in page.content.decode() and "ns1.hearth.test." in page.content.decode()


def test_a_template_adds_its_records(alice_client, dns_server, pdns_address, zone_name):
    create(alice_client, zone_name, "web")
    run_jobs()
    assert answers(pdns_address, zone_name, "A") == {"192.0.2.10"}
    assert answers(pdns_address, f"www.{zone_name}", "CNAME") == {zone_name}


def test_a_unicode_name_is_stored_as_idna(alice_client, dns_server, pdns_address):
    create(alice_client, "bücher-test-zone.example")
    zone = Zone.objects.get()
    assert zone.name == "xn--bcher-test-zone-zvb.example."
    assert zone.display_name == "bücher-test-zone.example."
    run_jobs()
    assert rcode(pdns_address, zone.name) == "NOERROR"


def test_bad_names_are_refused_with_a_message_on_the_field(alice_client, dns_server):
    response = create(alice_client, "bad..name.example")
    assert response.status_code == 200
    assert "empty label" in response.content.decode()
    assert not Zone.objects.exists() and not ProvisioningJob.objects.exists()


def test_the_plan_quota_is_enforced(alice_client, alice_account, dns_server, zone_name):
    assert alice_account.plan.max_dns_zones == 2
    create(alice_client, "a-" + zone_name)
    create(alice_client, "b-" + zone_name)
    response = create(alice_client, "c-" + zone_name)
    assert "allows 2 DNS zones" in response.content.decode()
    assert Zone.objects.count() == 2


def test_a_zone_of_another_account_is_refused_without_saying_whose(
    alice_client, bob_client, bob_account, dns_server, zone_name
):
    create(bob_client, zone_name)
    for name in (zone_name, "shop." + zone_name):
        response = create(alice_client, name)
        text = response.content.decode()
        assert "already hosted on this panel" in text or "overlaps a zone" in text
        assert "Bob" not in text and "bob@" not in text
    assert Zone.objects.get().account == bob_account


def test_another_customers_zone_is_404_on_every_view(
    alice_client, bob_client, dns_server, zone_name
):
    create(bob_client, zone_name)
    run_jobs()
    zone = Zone.objects.get()
    record = zone.records.first()
    revision = zone.revisions.get()
    get_urls = [
        reverse("dns:zone_detail", args=[zone.pk]),
        reverse("dns:zone_delete", args=[zone.pk]),
        reverse("dns:record_edit", args=[zone.pk, record.pk]),
        reverse("dns:zone_import", args=[zone.pk]),
        reverse("dns:zone_export", args=[zone.pk]),
    ]
    post_urls = [
        reverse("dns:zone_delete", args=[zone.pk]),
        reverse("dns:record_add", args=[zone.pk]),
        reverse("dns:record_edit", args=[zone.pk, record.pk]),
        reverse("dns:record_delete", args=[zone.pk, record.pk]),
        reverse("dns:zone_apply", args=[zone.pk]),
        reverse("dns:zone_discard", args=[zone.pk]),
        reverse("dns:revision_revert", args=[zone.pk, revision.number]),
        reverse("dns:zone_import", args=[zone.pk]),
        reverse("dns:zone_dnssec", args=[zone.pk]),
    ]
    for url in get_urls:
        assert alice_client.get(url).status_code == 404, url
        assert bob_client.get(url).status_code == 200, url
    for url in post_urls:
        assert alice_client.post(url, {"confirm": zone.display_name}).status_code == 404, url
    assert zone.records.count() == 1 + 1  # both NS records still there
    Zone.objects.get(state="active")


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(reverse("dns:zone_list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_deleting_a_zone_removes_it_from_the_server(
    alice_client, dns_server, pdns_address, zone_name
):
    create(alice_client, zone_name)
    run_jobs()
    zone = Zone.objects.get()
    url = reverse("dns:zone_delete", args=[zone.pk])
    wrong = alice_client.post(url, {"confirm": "something else"})
    assert "exactly to confirm" in wrong.content.decode()
    response = alice_client.post(url, {"confirm": zone.display_name})
    assert response.status_code == 302
    run_jobs()
    assert not Zone.objects.exists()
    assert rcode(pdns_address, zone_name) == "REFUSED"
    assert zone_name not in pdns_zones()


def test_a_zone_whose_answers_cannot_be_checked_is_rolled_back(
    alice_account, dns_server, pdns_address, zone_name, fast_jobs
):
    """Its DNS port unreachable: verification retries, gives up, and the zone is removed."""
    from panel.stack.common import free_port

    config = dns_server.settings_for("dns")
    dns_server.set_role_connection(
        "dns", {**config, "dns_address": f"127.0.0.1:{free_port()}"}, None
    )
    dns_server.save()
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    job = ProvisioningJob.objects.get()
    assert job.state == "failed" and job.attempts == 0 and job.phase == "rollback"
    assert zone.state == "failed" and "did not answer" in zone.error_message
    assert "Gave up after 2 attempts" in zone.error_message
    assert zone_name not in pdns_zones()
    assert rcode(pdns_address, zone_name) == "REFUSED"


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_the_zone_job(
    alice_account, dns_server, pdns_address, zone_name, celery_worker
):
    from tests.provisioning.conftest import wait_for

    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    wait_for(lambda: Zone.objects.get(pk=zone.pk).state == "active", timeout=30)
    assert rcode(pdns_address, zone_name) == "NOERROR"


def test_admins_manage_templates_and_customers_start_from_them(
    admin_client, alice_client, dns_server, pdns_address, zone_name
):
    from provisioning.dns.models import ZoneTemplate

    url = reverse("dns:template_create")
    bad = admin_client.post(url, {"slug": "shop", "label": "Shop", "records_text": "@ A 1.2.3"})
    assert bad.status_code == 422 and "Line 1: A value: 1.2.3 is not a valid IPv4" in (
        bad.content.decode()
    )
    good = {"slug": "shop", "label": "Shop", "records_text": "@ A 192.0.2.80\nshop CNAME @"}
    assert admin_client.post(url, good).status_code == 302
    template = ZoneTemplate.objects.get(slug="shop")
    assert template.records == [["@", "A", "192.0.2.80"], ["shop", "CNAME", "@"]]
    form = alice_client.get(reverse("dns:zone_create")).content.decode()
    assert "Shop" in form and "Website: apex A/AAAA" in form
    create(alice_client, zone_name, "shop")
    run_jobs()
    assert answers(pdns_address, "shop." + zone_name, "CNAME") == {zone_name}
    assert alice_client.get(reverse("dns:template_list")).status_code in (403, 404)


def test_an_unknown_template_is_refused(alice_client, dns_server, zone_name):
    response = create(alice_client, zone_name, "nonexistent")
    assert response.status_code == 200 and not Zone.objects.exists()


def test_the_zone_list_uses_a_constant_number_of_queries(alice_client, alice_account, dns_server):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def list_queries(count):
        Zone.objects.bulk_create(
            Zone(
                account=alice_account,
                server=dns_server,
                name=f"bulk{i}-{count}.example.test.",
                display_name=f"bulk{i}-{count}.example.test.",
                state="active",
            )
            for i in range(count)
        )
        with CaptureQueriesContext(connection) as captured:
            text = alice_client.get(reverse("dns:zone_list")).content.decode()
        assert "bulk0-" in text
        return len(captured)

    assert list_queries(1) == list_queries(60)
