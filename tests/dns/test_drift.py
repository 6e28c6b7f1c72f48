"""Drift: the panel's revision against PowerDNS's rrsets, strays, re-apply and adopt."""

from __future__ import annotations

import pytest
from django.urls import reverse

from provisioning.dns import services
from tests.dns.conftest import pdns_api, run_jobs
from tests.dns.dnsquery import answers


@pytest.fixture
def zone(alice_account, dns_server, zone_name):
    zone = services.create_zone(alice_account, zone_name, template="web", actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    return zone


def tamper(zone):
    """Someone changes the zone behind the panel's back, straight through the API."""
    rrsets = [
        {
            "name": zone.name,
            "type": "A",
            "ttl": 3600,
            "changetype": "REPLACE",
            "records": [{"content": "198.51.100.66", "disabled": False}],
        }
    ]
    assert pdns_api("PATCH", f"/zones/{zone.name}", json={"rrsets": rrsets}).status_code == 204


def test_a_zone_changed_behind_the_panels_back_is_listed(admin_client, zone):
    tamper(zone)
    page = admin_client.get(reverse("dns:admin_drift")).content.decode()
    assert f"missing on the server: {zone.name} 3600 A 192.0.2.10" in page
    assert f"only on the server: {zone.name} 3600 A 198.51.100.66" in page


def test_a_matching_zone_is_not_listed(admin_client, zone):
    page = admin_client.get(reverse("dns:admin_drift")).content.decode()
    assert f"drift-{zone.pk}" not in page


def test_zones_no_account_owns_are_strays(admin_client, dns_server, zone_name):
    stray = "stray-" + zone_name
    body = {"name": stray, "kind": "Native", "nameservers": ["ns1.example.net."]}
    assert pdns_api("POST", "/zones", json=body).status_code == 201
    page = admin_client.get(reverse("dns:admin_drift")).content.decode()
    assert f"<code>{stray}</code>" in page


def test_reapplying_puts_the_panels_revision_back(admin_client, zone, pdns_address):
    tamper(zone)
    url = reverse("dns:admin_drift_fix", args=[zone.pk])
    assert admin_client.post(url, {"action": "reapply"}).status_code == 302
    run_jobs()
    assert answers(pdns_address, zone.name, "A") == {"192.0.2.10"}
    page = admin_client.get(reverse("dns:admin_drift")).content.decode()
    assert f"drift-{zone.pk}" not in page


def test_adopting_records_the_servers_state_as_a_revision(admin_client, zone, pdns_address):
    tamper(zone)
    url = reverse("dns:admin_drift_fix", args=[zone.pk])
    admin_client.post(url, {"action": "adopt"})
    latest = zone.applied_revision()
    assert latest.reason == "adopted from the server"
    assert [zone.name, "A", 3600, "198.51.100.66"] in latest.records
    assert zone.records.filter(content="198.51.100.66").exists()
    assert answers(pdns_address, zone.name, "A") == {"198.51.100.66"}


def test_customers_cannot_see_the_drift_page(alice_client, zone):
    assert alice_client.get(reverse("dns:admin_drift")).status_code in (403, 404)


def test_the_hourly_check_stores_zone_drift_and_strays(zone, dns_server, zone_name):
    from provisioning.engine.models import DriftReport
    from provisioning.tasks import drift_check

    tamper(zone)
    stray = "stray2-" + zone_name
    body = {"name": stray, "kind": "Native", "nameservers": ["ns1.example.net."]}
    assert pdns_api("POST", "/zones", json=body).status_code == 201
    report = DriftReport.objects.get(pk=drift_check())
    findings = {(f.kind, f.resource_label): f.problem for f in report.findings.all()}
    assert findings[("dns_zone", zone.name)] == (
        "1 records missing on the server, 1 only on the server."
    )
    assert "stray" in findings[("dns_zone", stray)]
