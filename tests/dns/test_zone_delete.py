"""Deleting a zone: sudo mode first, then the typed name; afterwards no server answers for it."""

from __future__ import annotations

from urllib.parse import quote

from django.test import Client
from django.urls import reverse

from provisioning.dns.models import Zone
from provisioning.engine.models import ProvisioningJob
from security.models import AuditEvent
from tests.conftest import PASSWORD
from tests.dns.conftest import pdns_zones, run_jobs
from tests.dns.dnsquery import rcode, serial


def test_deleting_needs_a_fresh_password_and_the_typed_name_then_nothing_answers(
    alice_account, secondary, bind_server, pdns_address, zone_name
):
    alice = Client()
    alice.force_login(alice_account.owner)  # a fresh login: no recent password confirmation
    data = {"name": zone_name, "template": "web"}
    assert alice.post(reverse("dns:zone_create"), data).status_code == 302
    run_jobs()
    zone = Zone.objects.get(name=zone_name)
    bind = (bind_server.host, bind_server.dns_port)
    assert serial(bind, zone_name) == serial(pdns_address, zone_name)
    url = reverse("dns:zone_delete", args=[zone.pk])
    confirm_page = f"{reverse('security:sudo')}?next={quote(url, safe='')}"

    for response in (alice.get(url), alice.post(url, {"confirm": zone.display_name})):
        assert response.status_code == 302 and response["Location"] == confirm_page
    zone.refresh_from_db()
    assert zone.state == "active"
    assert not ProvisioningJob.objects.filter(kind="dns_zone.delete").exists()
    assert not AuditEvent.objects.filter(action="dns.zone_deleted").exists()
    assert rcode(pdns_address, zone_name) == rcode(bind, zone_name) == "NOERROR"

    wrong = alice.post(reverse("security:sudo"), {"password": "not-it", "next": url})
    assert wrong.status_code == 200 and alice.get(url).status_code == 302
    granted = alice.post(reverse("security:sudo"), {"password": PASSWORD, "next": url})
    assert granted.status_code == 302 and granted["Location"] == url
    page = alice.get(url)
    assert page.status_code == 200 and zone.display_name in page.content.decode()

    mistyped = alice.post(url, {"confirm": zone.display_name.upper()})
    assert mistyped.status_code == 200 and "exactly to confirm" in mistyped.content.decode()
    assert Zone.objects.get(pk=zone.pk).state == "active"
    assert not ProvisioningJob.objects.filter(kind="dns_zone.delete").exists()

    done = alice.post(url, {"confirm": zone.display_name})
    assert done.status_code == 302
    assert AuditEvent.objects.filter(action="dns.zone_deleted", actor=alice_account.owner).exists()
    run_jobs()
    assert not Zone.objects.filter(pk=zone.pk).exists()
    assert zone_name not in pdns_zones()
    for server in (pdns_address, bind):
        for name in (zone_name, "www." + zone_name):
            assert rcode(server, name, "A") in ("REFUSED", "NXDOMAIN"), (server, name)
