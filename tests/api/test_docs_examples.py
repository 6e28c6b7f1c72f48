"""docs/api.md's DNS and audit examples, run as written against a live panel, a real Celery
worker and the real PowerDNS (queried back over DNS)."""

from __future__ import annotations

import csv
import io

import pytest

from provisioning.dns.models import Zone
from tests.api.conftest import make_token
from tests.api.test_flow import run_example
from tests.dns.dnsquery import answers

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_dns_examples_create_a_zone_change_it_and_export_it(
    live_server, alice_account, dns_server, pdns_address, zone_name, celery_worker
):
    token = make_token(alice_account.owner, {"dns": "write"})
    env = {"HEARTH_URL": live_server.url, "HEARTH_TOKEN": token, "HEARTH_ZONE": zone_name}
    state, zone_id = run_example("dns-python", env).split()
    assert state == "active"
    zone = Zone.objects.get(pk=int(zone_id))
    assert zone.name == zone_name and zone.revisions.count() == 2
    assert answers(pdns_address, zone_name, "A") == {"192.0.2.80"}
    assert answers(pdns_address, "www." + zone_name, "CNAME") == {zone_name}
    assert answers(pdns_address, zone_name, "TXT") == {'"v=spf1 -all"'}
    exported = run_example("dns-curl", env | {"HEARTH_ZONE_ID": zone_id})
    assert "192.0.2.80" in exported and "v=spf1 -all" in exported


def test_the_audit_example_downloads_csv(live_server, admin_user, plan):
    from accounts import services

    services.save_plan(plan, actor=admin_user)  # a plan.updated event
    token = make_token(admin_user, {"admin": "read"})
    out = run_example("audit-curl", {"HEARTH_URL": live_server.url, "HEARTH_TOKEN": token})
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:2] == ["created_at", "action"]
    assert [row[1] for row in rows[1:]] == ["plan.updated"]
