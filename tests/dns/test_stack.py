"""The stack's PowerDNS: API answers with the stack's key, and a zone made through it is served."""

from __future__ import annotations

from pathlib import Path

from panel.stack.pdns import configured_ports
from panel.stack.services import PDNS_DIR
from tests.dns.conftest import pdns_api
from tests.dns.dnsquery import answers, rcode


def test_the_api_answers_with_the_stacks_key_only(pdns_address):
    assert pdns_api("GET", "").json()["daemon_type"] == "authoritative"
    wrong = pdns_api("GET", "", headers={"X-API-Key": "wrong"})
    assert wrong.status_code == 401


def test_a_zone_created_through_the_api_is_answered_over_dns(pdns_address, zone_name):
    body = {
        "name": zone_name,
        "kind": "Native",
        "nameservers": ["ns1.example.net."],
        "rrsets": [
            {
                "name": f"www.{zone_name}",
                "type": "A",
                "ttl": 300,
                "changetype": "REPLACE",
                "records": [{"content": "192.0.2.7", "disabled": False}],
            }
        ],
    }
    try:
        assert pdns_api("POST", "/zones", json=body).status_code == 201
        assert answers(pdns_address, f"www.{zone_name}", "A") == {"192.0.2.7"}
    finally:
        pdns_api("DELETE", f"/zones/{zone_name}")
    assert rcode(pdns_address, zone_name) == "REFUSED"


def test_it_listens_on_loopback_ports_recorded_in_its_config(pdns_address):
    dns_port, api_port = configured_ports(Path(PDNS_DIR))
    assert pdns_address == ("127.0.0.1", dns_port)
    assert (Path(PDNS_DIR) / "pdns.conf").stat().st_mode & 0o077 == 0


def test_the_default_dns_server_is_registered_with_its_key_encrypted(db, pdns_address):
    from django.core.management import call_command

    from provisioning.servers.models import Server

    call_command("ensure_default_dns_server")
    server = Server.objects.get(name="local-dns")
    assert "dns" in server.roles
    assert server.credentials_for("dns")["api_key"]
    assert server.credentials_for("dns")["api_key"] not in server.credentials_encrypted
    assert server.settings_for("dns")["api_url"].startswith("http://127.0.0.1:")


def test_the_run_secondary_keeps_its_ports_and_keys_across_restarts():
    import secrets

    from panel.stack.bind import saved_bind, up_bind
    from panel.stack.common import VAR

    first = up_bind(VAR / f"bind-run-test-{secrets.token_hex(4)}")
    try:
        assert first.is_running() and first.started
        again = up_bind(first.dir)
        assert not again.started and again.dns_port == first.dns_port
        first.stop()
        restarted = up_bind(first.dir)
        assert restarted.started and restarted.is_running()
        assert (restarted.dns_port, restarted.rndc_port) == (first.dns_port, first.rndc_port)
        assert restarted.tsig_secret == first.tsig_secret == saved_bind(first.dir).tsig_secret
    finally:
        first.destroy()


def test_the_run_secondary_is_registered_when_the_stack_runs_one(db, settings, bind_server):
    from django.core.management import call_command

    from provisioning.servers.models import Server

    settings.BIND_DNS_ADDRESS = bind_server.address
    settings.BIND_RNDC_ADDRESS = bind_server.rndc_address
    settings.BIND_RNDC_SECRET = bind_server.rndc_secret
    settings.BIND_TSIG_SECRET = bind_server.tsig_secret
    call_command("ensure_default_dns_server")
    secondary = Server.objects.get(name="local-bind")
    assert secondary.roles == ["dns-secondary"]
    from provisioning.engine.backends import get_backend

    assert get_backend(secondary, "dns-secondary").check().startswith("version: BIND 9.18")
