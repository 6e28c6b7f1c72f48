"""DNS fixtures: the stack's real PowerDNS (started by `python -m panel.stack`), queried back."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from provisioning.dns.backend import split_address
from provisioning.dns.models import Zone
from provisioning.dns.servers import register_dns_server
from provisioning.engine import runner
from provisioning.engine.models import ProvisioningJob


def pdns_api(method: str, path: str, **kwargs) -> httpx.Response:
    """The PowerDNS API itself, as a test checks it (not through Hearth)."""
    url = f"{settings.PDNS_API_URL}/servers/localhost{path}"
    headers = {"X-API-Key": settings.PDNS_API_KEY, **kwargs.pop("headers", {})}
    return httpx.request(method, url, headers=headers, timeout=10, **kwargs)


def pdns_zones() -> set[str]:
    return {zone["name"] for zone in pdns_api("GET", "/zones").json()}


@pytest.fixture(scope="session")
def pdns_address() -> tuple[str, int]:
    assert settings.PDNS_API_URL, "run the tests with `make test` (it starts PowerDNS)"
    return split_address(settings.PDNS_DNS_ADDRESS)


@pytest.fixture
def dns_server(db, pdns_address):
    """The stack's PowerDNS registered as the DNS server; zones a test leaves are removed."""
    before = pdns_zones()
    server, _ = register_dns_server(
        "local-dns",
        api_url=settings.PDNS_API_URL,
        api_key=settings.PDNS_API_KEY,
        dns_address=settings.PDNS_DNS_ADDRESS,
    )
    yield server
    # Only names tests make: a `make run` sharing this PowerDNS keeps its own new zones.
    for name in pdns_zones() - before:
        if name.endswith((".example.test.", ".10.in-addr.arpa.")):
            pdns_api("DELETE", f"/zones/{name}")


@pytest.fixture(scope="session")
def bind_server():
    """A real BIND 9 secondary for the session (the stack's PowerDNS is its primary).

    Its directory is under ./var: pytest's temporary directories are private to us, and
    named runs as the `bind` user when the tests run as root.
    """
    from panel.stack.bind import start_bind
    from panel.stack.common import VAR

    server = start_bind(VAR / f"bind-test-{secrets.token_hex(4)}")
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def bind_server_2():
    """A second BIND secondary with its own TSIG key name (PowerDNS keys them by name)."""
    from panel.stack.bind import start_bind
    from panel.stack.common import VAR

    server = start_bind(VAR / f"bind-test-{secrets.token_hex(4)}", tsig_name="hearth-axfr-2")
    yield server
    server.destroy()


@pytest.fixture
def stopped_bind():
    """A BIND secondary of this test only, started and then stopped: it cannot be reached."""
    from panel.stack.bind import start_bind
    from panel.stack.common import VAR

    server = start_bind(VAR / f"bind-test-{secrets.token_hex(4)}", tsig_name="hearth-axfr-3")
    server.stop()
    yield server
    server.destroy()


def register_bind(name: str, bind):
    from provisioning.dns.servers import register_secondary

    return register_secondary(
        name,
        dns_address=bind.address,
        rndc_address=bind.rndc_address,
        rndc_secret=bind.rndc_secret,
        tsig_name=bind.tsig_name,
        tsig_secret=bind.tsig_secret,
    )


@pytest.fixture
def secondary(db, bind_server, dns_server):
    return register_bind("bind-1", bind_server)


@pytest.fixture
def secondary_zone(alice_client, secondary, zone_name):
    """A zone made through the zone form, like a customer does, with bind-1 its secondary."""
    data = {"name": zone_name, "template": "web"}
    assert alice_client.post(reverse("dns:zone_create"), data).status_code == 302
    run_jobs()
    zone = Zone.objects.get(name=zone_name)
    assert zone.state == "active", zone.error_message
    return zone


@pytest.fixture
def second_secondary(db, bind_server_2, secondary):
    return register_bind("bind-2", bind_server_2)


@pytest.fixture
def zone_name() -> str:
    """A zone name no other test (or helper's stack) uses."""
    return f"z{secrets.token_hex(5)}.example.test."


def run_jobs(max_rounds: int = 50) -> None:
    """Run every due pending job in this process (the real runner, without a worker)."""
    for _ in range(max_rounds):
        pending = list(ProvisioningJob.objects.filter(state="pending").order_by("pk"))
        if not pending:
            return
        for job in pending:
            while job.next_attempt_at > timezone.now():
                time.sleep(0.01)
            runner.run_job(job.pk)
    raise AssertionError("jobs still pending")


@pytest.fixture
def fast_jobs(settings):
    settings.PROVISIONING_RETRY_BASE_SECONDS = 0.05
    settings.PROVISIONING_RETRY_MAX_SECONDS = 0.2
    settings.PROVISIONING_MAX_ATTEMPTS = 2
    settings.DNS_QUERY_TIMEOUT = 0.5
    return settings
