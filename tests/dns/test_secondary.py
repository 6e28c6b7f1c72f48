"""A BIND 9.18 secondary fed by NOTIFY + AXFR (TSIG) from PowerDNS, listed on the zone page."""

from __future__ import annotations

import dns.message
import dns.query
import dns.rdatatype
import dns.tsigkeyring
import pytest
from django.urls import reverse

from provisioning.dns import services, sync
from provisioning.engine.models import JobStep
from tests.dns.conftest import pdns_api, register_bind, run_jobs
from tests.dns.dnsquery import answers, rcode, serial


def bind_address(bind_server):
    return (bind_server.host, bind_server.dns_port)


@pytest.fixture
def zone(secondary_zone):
    return secondary_zone


def apply_new_a(client, zone, name: str, address: str) -> None:
    """Stage one A record on the zone page and apply it; run the jobs it makes."""
    url = reverse("dns:record_add", args=[zone.pk])
    client.post(url, {"name": name, "type": "A", "ttl": "300", "value": address})
    client.post(reverse("dns:zone_apply", args=[zone.pk]))
    run_jobs()


def test_a_new_zone_is_served_by_the_secondary_at_the_primarys_serial(
    alice_client, zone, bind_server, pdns_address
):
    secondary = bind_address(bind_server)
    assert serial(secondary, zone.name) == serial(pdns_address, zone.name)
    assert answers(secondary, zone.name, "NS") == {"ns1.hearth.test.", "ns2.hearth.test."}
    assert answers(secondary, zone.name, "A") == {"192.0.2.10"}
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    assert "bind-1" in page and "in sync" in page and str(serial(secondary, zone.name)) in page


def test_changes_reach_the_secondary_by_notify(alice_client, zone, bind_server, pdns_address):
    apply_new_a(alice_client, zone, "new", "192.0.2.77")
    secondary = bind_address(bind_server)
    assert answers(secondary, "new." + zone.name, "A") == {"192.0.2.77"}
    assert serial(secondary, zone.name) == serial(pdns_address, zone.name)


def test_the_primary_refuses_transfers_without_the_tsig_key(zone, pdns_address, bind_server):
    unsigned = dns.message.make_query(zone.name, dns.rdatatype.AXFR)
    response = dns.query.tcp(unsigned, pdns_address[0], port=pdns_address[1], timeout=3)
    assert response.rcode() != 0 or not response.answer
    keyring = dns.tsigkeyring.from_text({"hearth-axfr": ("hmac-sha256", bind_server.tsig_secret)})
    signed = dns.message.make_query(zone.name, dns.rdatatype.AXFR)
    signed.use_tsig(keyring, keyname="hearth-axfr", algorithm="hmac-sha256")
    response = dns.query.tcp(signed, pdns_address[0], port=pdns_address[1], timeout=3)
    assert any(rrset.rdtype == dns.rdatatype.SOA for rrset in response.answer)


def test_deleting_the_zone_removes_it_from_primary_and_secondary(
    alice_client, zone, bind_server, pdns_address
):
    alice_client.post(reverse("dns:zone_delete", args=[zone.pk]), {"confirm": zone.display_name})
    run_jobs()
    assert rcode(pdns_address, zone.name) == "REFUSED"
    assert rcode(bind_address(bind_server), zone.name) == "REFUSED"


def _steps(kind: str) -> list[tuple[str, str, str]]:
    steps = JobStep.objects.filter(job__kind=kind).select_related("server").order_by("position")
    return [(step.name, step.server.name, step.state) for step in steps]


def test_each_secondary_is_a_step_of_its_own(
    alice_account, second_secondary, zone_name, bind_server, bind_server_2, pdns_address
):
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    assert _steps("dns_zone.create") == [
        ("create_zone", "local-dns", "done"),
        ("verify", "local-dns", "done"),
        ("add_to_secondary", "bind-1", "done"),
        ("add_to_secondary", "bind-2", "done"),
        ("wait_secondaries", "local-dns", "done"),
    ]
    primary_serial = serial(pdns_address, zone_name)
    for bind in (bind_server, bind_server_2):
        assert serial(bind_address(bind), zone_name) == primary_serial
    assert {(s.server.name, s.serial) for s in zone.secondaries.all()} == {
        ("bind-1", primary_serial),
        ("bind-2", primary_serial),
    }


def test_a_failure_on_the_second_secondary_undoes_the_first_and_the_primary(
    alice_account, secondary, stopped_bind, zone_name, bind_server, pdns_address, fast_jobs
):
    register_bind("bind-down", stopped_bind)
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "failed"
    assert "bind-down cannot be reached" in zone.error_message
    assert _steps("dns_zone.create") == [
        ("create_zone", "local-dns", "rolled_back"),
        ("verify", "local-dns", "rolled_back"),
        ("add_to_secondary", "bind-1", "rolled_back"),
        ("add_to_secondary", "bind-down", "failed"),
        ("wait_secondaries", "local-dns", "pending"),
    ]
    assert rcode(pdns_address, zone_name) == "REFUSED"
    assert rcode(bind_address(bind_server), zone_name) == "REFUSED"
    assert not zone.secondaries.exists()


def test_deleting_names_each_secondary_and_a_failure_puts_the_zone_back_on_the_first(
    alice_client, zone, bind_server, stopped_bind, pdns_address, fast_jobs
):
    register_bind("bind-down", stopped_bind)
    run_jobs()  # the new secondary's push job fails: it cannot be reached
    alice_client.post(reverse("dns:zone_delete", args=[zone.pk]), {"confirm": zone.display_name})
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active"
    assert _steps("dns_zone.delete") == [
        ("remove_from_secondary", "bind-1", "rolled_back"),
        ("remove_from_secondary", "bind-down", "failed"),
        ("remove_zone", "local-dns", "pending"),
        ("verify_gone", "local-dns", "pending"),
    ]
    assert rcode(pdns_address, zone.name) == "NOERROR"
    assert serial(bind_address(bind_server), zone.name) == serial(pdns_address, zone.name)


def test_a_secondary_that_is_away_does_not_undo_a_change(
    alice_client, zone, stopped_bind, pdns_address, fast_jobs
):
    register_bind("bind-down", stopped_bind)
    fast_jobs.DNS_SECONDARY_WAIT_SECONDS = 0.5
    run_jobs()
    apply_new_a(alice_client, zone, "new", "192.0.2.77")
    zone.refresh_from_db()
    assert zone.state == "active" and not zone.error_message
    assert answers(pdns_address, "new." + zone.name, "A") == {"192.0.2.77"}
    step = JobStep.objects.get(job__kind="dns_zone.change", name="wait_secondaries")
    assert step.state == "done" and "bind-down (serves None)" in step.log.split("lagging: ")[1]
    assert zone.secondaries.get(server__name="bind-down").serial is None


def _row(page: str, server_name: str) -> str:
    """The zone page's row of one secondary."""
    section = page.split('id="secondaries"', 1)[1].split("</section>", 1)[0]
    return next(row for row in section.split("<tr>") if f"<td>{server_name}</td>" in row)


def test_secondaries_are_waited_for_together_within_one_bound(
    alice_client,
    admin_client,
    zone,
    second_secondary,
    stopped_bind,
    bind_server_2,
    pdns_address,
    fast_jobs,
):
    """Two real BIND secondaries in sync and one that is away: one wait for all of them."""
    register_bind("bind-down", stopped_bind)
    fast_jobs.DNS_SECONDARY_WAIT_SECONDS = 3.0
    run_jobs()  # bind-2's push job; bind-down's fails (it cannot be reached)
    apply_new_a(alice_client, zone, "both", "192.0.2.88")
    zone.refresh_from_db()
    assert zone.state == "active" and not zone.error_message
    assert _steps("dns_zone.change") == [
        ("apply", "local-dns", "done"),
        ("verify", "local-dns", "done"),
        ("sync_secondary", "bind-1", "done"),
        ("sync_secondary", "bind-2", "done"),
        ("sync_secondary", "bind-down", "done"),
        ("wait_secondaries", "local-dns", "done"),
    ]
    job_steps = JobStep.objects.filter(job__kind="dns_zone.change")
    # The secondary that is away is reported on its own step...
    assert "bind-down cannot be reached" in job_steps.get(server__name="bind-down").log
    # ...and the one wait names who is in sync and who lags, within one bound of rounds.
    wait = job_steps.get(name="wait_secondaries").log
    assert "in sync: bind-1, bind-2" in wait and "lagging: bind-down (serves None)" in wait
    rounds = int(wait.split(" after ", 1)[1].split(" rounds", 1)[0])
    assert 1 <= rounds <= int(fast_jobs.DNS_SECONDARY_WAIT_SECONDS / sync.POLL_INTERVAL) + 1
    primary_serial = serial(pdns_address, zone.name)
    assert serial(bind_address(bind_server_2), zone.name) == primary_serial
    assert answers(bind_address(bind_server_2), "both." + zone.name, "A") == {"192.0.2.88"}
    page = alice_client.get(reverse("dns:zone_detail", args=[zone.pk])).content.decode()
    for name in ("bind-1", "bind-2"):
        assert "in sync" in _row(page, name) and str(primary_serial) in _row(page, name)
    assert "lagging" in _row(page, "bind-down") and "none" in _row(page, "bind-down")
    job = JobStep.objects.get(job__kind="dns_zone.change", name="wait_secondaries").job
    job_page = admin_client.get(reverse("provisioning:job_detail", args=[job.pk])).content
    assert b"lagging: bind-down" in job_page


def test_servers_named_by_host_name_work_as_in_compose(
    alice_account, dns_server, bind_server, zone_name, pdns_address
):
    """`pdns:53` in compose: dnspython, BIND's primaries and ALSO-NOTIFY need addresses."""
    from django.conf import settings

    from provisioning.dns.servers import register_dns_server, register_secondary

    register_dns_server(
        "local-dns",
        api_url=settings.PDNS_API_URL,
        api_key=settings.PDNS_API_KEY,
        dns_address=f"localhost:{pdns_address[1]}",
    )
    register_secondary(
        "bind-1",
        dns_address=f"localhost:{bind_server.dns_port}",
        rndc_address=bind_server.rndc_address,
        rndc_secret=bind_server.rndc_secret,
        tsig_name=bind_server.tsig_name,
        tsig_secret=bind_server.tsig_secret,
    )
    zone = services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    assert serial(bind_address(bind_server), zone_name) == serial(pdns_address, zone_name)
    notify = pdns_api("GET", f"/zones/{zone_name}/metadata/ALSO-NOTIFY").json()["metadata"]
    assert notify == [f"127.0.0.1:{bind_server.dns_port}"]
