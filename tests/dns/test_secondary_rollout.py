"""Secondaries join and leave through the server form: every zone pushed, or taken off.

Real BIND secondaries answer SOA and TSIG-signed AXFR for the pushed zones; the primary's
transfer settings (TSIG-ALLOW-AXFR, ALSO-NOTIFY) are read back from PowerDNS's API.
"""

from __future__ import annotations

import dns.message
import dns.query
import dns.rdatatype
import dns.tsigkeyring
import pytest
from django.urls import reverse

from provisioning.dns import rollout, services
from provisioning.dns.models import Zone
from provisioning.engine.models import JobStep, ProvisioningJob
from provisioning.servers.models import Server
from security.models import AuditEvent
from tests.dns.conftest import pdns_api, run_jobs
from tests.dns.dnsquery import rcode, serial


def _form(bind, **overrides) -> dict:
    data = {
        "name": "bind-new",
        "address": bind.host,
        "roles": ["dns-secondary"],
        "db_sslmode": "prefer",
        "sec_dns_address": bind.address,
        "sec_rndc_address": bind.rndc_address,
        "sec_rndc_secret": bind.rndc_secret,
        "sec_tsig_name": bind.tsig_name,
        "sec_tsig_secret": bind.tsig_secret,
    }
    return {**data, **overrides}


def _axfr(bind, zone: str) -> set[tuple[str, str]]:
    keyring = dns.tsigkeyring.from_text({bind.tsig_name: ("hmac-sha256", bind.tsig_secret)})
    query = dns.message.make_query(zone, dns.rdatatype.AXFR)
    query.use_tsig(keyring, keyname=bind.tsig_name, algorithm="hmac-sha256")
    response = dns.query.tcp(query, bind.host, port=bind.dns_port, timeout=5)
    return {
        (rrset.name.to_text(), dns.rdatatype.to_text(rrset.rdtype)) for rrset in response.answer
    }


@pytest.fixture
def zones(alice_account, bob_account, dns_server, zone_name):
    """Three zones (two customers) hosted before the new secondary exists."""
    made = []
    for prefix, account in (("a", alice_account), ("b", alice_account), ("c", bob_account)):
        zone = services.create_zone(
            account, prefix + zone_name, template="web", actor=account.owner
        )
        made.append(zone)
    run_jobs()
    assert set(Zone.objects.values_list("state", flat=True)) == {"active"}
    return made


def test_a_new_secondary_gets_every_zone_in_a_job_with_progress(
    admin_client, zones, bind_server_2, pdns_address, monkeypatch
):
    monkeypatch.setattr(rollout, "BATCH", 2)
    response = admin_client.post(reverse("provisioning:server_create"), _form(bind_server_2))
    assert response.status_code == 302
    server = Server.objects.get(name="bind-new")
    job = ProvisioningJob.objects.get(kind="dns_secondary.push")
    run_jobs()
    job.refresh_from_db()
    assert job.state == "done", job.error_detail
    steps = JobStep.objects.filter(job=job).order_by("position")
    assert [(s.name, s.server.name, s.state) for s in steps] == [
        ("publish_transfers", "local-dns", "done"),
        ("push_zones", "bind-new", "done"),
        ("push_zones", "bind-new", "done"),
        ("check_serials", "bind-new", "done"),
    ]
    assert "2 zones added" in steps[1].log and "1 zones added" in steps[2].log
    assert "3 of 3 zones in sync" in steps[3].log
    for zone in zones:
        assert serial(bind_server_2.address_tuple, zone.name) == serial(pdns_address, zone.name)
        assert {(zone.name, "SOA"), (zone.name, "A"), ("www." + zone.name, "CNAME")} <= _axfr(
            bind_server_2, zone.name
        )
        assert zone.secondaries.get().server == server
    assert AuditEvent.objects.filter(action="dns.secondary_added", details__zones=3).exists()


def test_retiring_a_secondary_takes_its_zones_off_it_and_off_the_primarys_lists(
    admin_client, zones, bind_server_2
):
    admin_client.post(reverse("provisioning:server_create"), _form(bind_server_2))
    run_jobs()
    server = Server.objects.get(name="bind-new")
    metadata = pdns_api("GET", f"/zones/{zones[0].name}/metadata/ALSO-NOTIFY").json()
    assert metadata["metadata"] == [bind_server_2.address]
    admin_client.post(reverse("provisioning:server_retire", args=[server.pk]))
    run_jobs()
    job = ProvisioningJob.objects.get(kind="dns_secondary.retire")
    assert job.state == "done", job.error_detail
    for zone in zones:
        assert rcode(bind_server_2.address_tuple, zone.name) == "REFUSED"
        assert not zone.secondaries.exists()
        detail = pdns_api("GET", f"/zones/{zone.name}").json()
        assert detail["master_tsig_key_ids"] == []
        notify = pdns_api("GET", f"/zones/{zone.name}/metadata/ALSO-NOTIFY").json()
        assert notify.get("metadata", []) == []
    assert AuditEvent.objects.filter(action="dns.secondary_retired", details__zones=3).exists()


BAD_INPUT = [
    ({"sec_dns_address": "192.0.2.1"}, "sec_dns_address", "host:port"),
    ({"sec_rndc_address": "bind;rm:953"}, "sec_rndc_address", "neither an IP address"),
    ({"sec_dns_address": "192.0.2.1:70000"}, "sec_dns_address", "host:port"),
    ({"sec_tsig_name": 'key"; };'}, "sec_tsig_name", "DNS labels"),
    ({"sec_tsig_secret": "not base64!"}, "sec_tsig_secret", "base64"),
    ({"sec_rndc_secret": "c2hvcnQ="}, "sec_rndc_secret", "at least 16 bytes"),
    ({"sec_rndc_secret": ""}, "sec_rndc_secret", "needs this key"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_the_server_form_refuses_bad_secondary_settings_and_makes_nothing(
    admin_client, dns_server, bind_server_2, change, field, message
):
    response = admin_client.post(
        reverse("provisioning:server_create"), _form(bind_server_2, **change)
    )
    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors[field])
    assert not Server.objects.filter(name="bind-new").exists()
    assert not ProvisioningJob.objects.filter(kind="dns_secondary.push").exists()


def test_each_secondary_needs_its_own_tsig_key_name(
    admin_client, secondary, bind_server, bind_server_2
):
    data = _form(bind_server_2, sec_tsig_name=bind_server.tsig_name)
    response = admin_client.post(reverse("provisioning:server_create"), data)
    assert "Another DNS secondary uses this key name" in response.content.decode()
    assert not Server.objects.filter(name="bind-new").exists()


def test_editing_a_secondary_keeps_its_secrets_and_refuses_to_drop_the_role(
    admin_client, dns_server, bind_server_2
):
    admin_client.post(reverse("provisioning:server_create"), _form(bind_server_2))
    server = Server.objects.get(name="bind-new")
    url = reverse("provisioning:server_edit", args=[server.pk])
    page = admin_client.get(url).content.decode()
    assert bind_server_2.rndc_address in page and bind_server_2.tsig_secret not in page
    edit = _form(bind_server_2, sec_rndc_secret="", sec_tsig_secret="", address="localhost")
    assert admin_client.post(url, edit).status_code == 302
    server.refresh_from_db()
    assert server.address == "localhost"
    assert server.credentials_for("dns-secondary") == {
        "rndc_secret": bind_server_2.rndc_secret,
        "tsig_secret": bind_server_2.tsig_secret,
    }
    response = admin_client.post(url, {**edit, "roles": ["web"]})
    assert "retire it" in response.content.decode()
    server.refresh_from_db()
    assert server.roles == ["dns-secondary"]
    assert ProvisioningJob.objects.filter(kind="dns_secondary.push").count() == 1
