"""Mail hosting fixtures: a mail server row, domains made directly, and job running."""

from __future__ import annotations

import secrets

import pytest

from provisioning.dns import services as dns_services
from provisioning.dns.servers import register_dns_server
from provisioning.engine.choices import ResourceState
from provisioning.mail.backend import MailBackend
from provisioning.mail.choices import DnsMode
from provisioning.mail.models import Alias, Mailbox, MailDomain
from provisioning.servers.models import Server

# The real servers' fixtures: PowerDNS (the stack's, or one a test may stop) and the mail host.
from tests.dns.conftest import dns_server, fast_jobs, pdns_address, run_jobs, zone_name  # noqa: F401
from tests.dns.test_outage import own_pdns  # noqa: F401
from tests.mailstack import hosted_zone, mail_server  # noqa: F401


@pytest.fixture
def backend(mail_server):  # noqa: F811 - the fixture imported above
    """The stack's mail backend, as the jobs use it (to look at the mail database)."""
    made = MailBackend(mail_server)
    yield made
    made.close()


@pytest.fixture
def pdns_zone(alice_account, own_pdns, zone_name):  # noqa: F811
    """A zone of ALICE_ACCOUNT, active, on a PowerDNS of the test's own (it may stop it)."""
    pdns, _target = own_pdns
    register_dns_server(
        "own-pdns",
        api_url=pdns.api_url,
        api_key=pdns.api_key(),
        dns_address=f"127.0.0.1:{pdns.dns_port}",
    )
    zone = dns_services.create_zone(alice_account, zone_name, actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active"
    return pdns, zone


@pytest.fixture
def mail_server_row(db):
    """A mail server the services can pick (no job runs against it in these tests)."""
    server = Server.objects.create(name="mail-row", address="127.0.0.1", roles=["mail"])
    server.set_role_connection("mail", {"hostname": "mx.hearth.test"}, {})
    server.save()
    return server


@pytest.fixture
def domain_name() -> str:
    return f"m{secrets.token_hex(5)}.example.test"


def make_domain(account, name: str, server, *, state=ResourceState.ACTIVE) -> MailDomain:
    """A mail domain row as if its job had finished (for tests of what comes after)."""
    return MailDomain.objects.create(
        account=account,
        server=server,
        name=name,
        display_name=name,
        dns_mode=DnsMode.EXTERNAL,
        dkim_selector="hearth1",
        dkim_txt="v=DKIM1; k=rsa; p=MIIB",
        state=state,
    )


def mail_world(account) -> dict[str, int]:
    """One domain, mailbox and alias of ACCOUNT, keyed by their API basenames."""
    server = Server.objects.create(name="mail-world", address="127.0.0.1", roles=["mail"])
    domain = make_domain(account, "world.example.test", server)
    box = Mailbox.objects.create(
        domain=domain, local_part="w", address=f"w@{domain.name}", quota_mb=5, state="active"
    )
    alias = Alias.objects.create(
        domain=domain,
        local_part="a",
        address=f"a@{domain.name}",
        destinations=["x@elsewhere.test"],
        state="active",
    )
    return {
        "mail-domain": domain.pk,
        "mailbox": box.pk,
        "mail-alias": alias.pk,
        "admin-mailbox": box.pk,
    }
