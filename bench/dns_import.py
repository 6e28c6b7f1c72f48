"""A 1,000-record zone file applied through Hearth next to one raw PowerDNS API PATCH.

Hearth: the import form (parse + validate every record + preview data), the service (working
copy, revision, job row), then the job as a worker runs it (one PATCH, then every changed
rrset and the SOA serial checked over DNS). Baseline, same run: one PATCH of the very same
rrsets to a second zone straight through the API. Prints both times and their ratio, and
the ratio without the DNS verification.

    .venv/bin/python -m panel.stack exec -- .venv/bin/python bench/dns_import.py --records 1000
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
os.environ.setdefault("HEARTH_DEV", "1")
os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")


def zone_file(count: int) -> str:
    lines = ["$TTL 3600", "@ IN MX 10 mail", "mail IN A 192.0.2.25", '@ IN TXT "v=spf1 mx -all"']
    for i in range(count - 3):
        lines.append(f"host{i} 600 IN A 10.{i // 65536}.{i // 256 % 256}.{i % 256}")
    return "\n".join(lines) + "\n"


def setup(prefix: str):
    from django.core.management import call_command
    from django.utils import timezone

    from accounts import services as accounts
    from accounts.models import Plan

    call_command("migrate", verbosity=0)
    call_command("ensure_default_dns_server", verbosity=0)
    plan, _ = Plan.objects.get_or_create(
        name="Bench DNS", defaults={"max_databases": 1, "max_dns_zones": 5, "disk_quota_mb": 10}
    )
    account, _ = accounts.create_customer(
        name=f"Bench {prefix}",
        email=f"{prefix}@bench.invalid",
        prefix=prefix,
        plan=plan,
        password=secrets.token_urlsafe(16),
        actor=None,
    )
    account.owner.email_verified_at = timezone.now()
    account.owner.save(update_fields=["email_verified_at"])
    return account


def run_pending() -> None:
    from provisioning.engine import runner
    from provisioning.engine.models import ProvisioningJob

    for job_id in ProvisioningJob.objects.filter(state="pending").values_list("pk", flat=True):
        runner.run_job(job_id)


def through_hearth(account, name: str, text: str) -> tuple[float, float]:
    """Seconds for form -> job -> verified, and the verification step's share of it."""
    from django.test import Client
    from django.urls import reverse

    from provisioning.dns import services
    from provisioning.engine.models import JobStep

    zone = services.create_zone(account, name, actor=account.owner)
    run_pending()
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(account.owner)
    url = reverse("dns:zone_import", args=[zone.pk])
    started = time.perf_counter()
    response = client.post(url, {"text": text, "action": "apply"})
    assert response.status_code == 302, response.content[:2000]
    run_pending()
    elapsed = time.perf_counter() - started
    zone.refresh_from_db()
    assert zone.state == "active" and not zone.error_message, zone.error_message
    step = JobStep.objects.filter(job__kind="dns_zone.change", name="verify").latest("pk")
    return elapsed, (step.finished_at - step.started_at).total_seconds()


def raw_patch(name: str, text: str, zone) -> float:
    """One PATCH with the same rrsets, renamed into zone NAME, straight through the API."""
    from provisioning.dns import rrsets
    from provisioning.engine.backends import get_backend

    backend = get_backend(zone.server, "dns")
    records = [
        (r[0].replace(zone.name, name), r[1], int(r[2]), r[3].replace(zone.name, name))
        for r in zone.applied_revision().records
        if r[1] != "NS"
    ]
    soa = {
        "name": name,
        "type": "SOA",
        "ttl": 3600,
        "records": [{"content": backend.soa_content(name), "disabled": False}],
    }
    backend.ensure_zone(name, [soa])
    body = rrsets.full_rrsets(records)
    started = time.perf_counter()
    backend.patch_rrsets(name, body)
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=1000)
    args = parser.parse_args()
    import django

    django.setup()
    from provisioning.dns.models import Zone
    from provisioning.engine.backends import get_backend

    prefix = f"bench{secrets.token_hex(3)}"
    account = setup(prefix)
    hearth_zone, raw_zone = f"{prefix}.bench.test.", f"raw-{prefix}.bench.test."
    text = zone_file(args.records)
    try:
        hearth, verification = through_hearth(account, hearth_zone, text)
        zone = Zone.objects.get(name=hearth_zone)
        raw = raw_patch(raw_zone, text, zone)
    finally:
        for zone in Zone.objects.filter(account=account):
            backend = get_backend(zone.server, "dns")
            backend.remove_zone(zone.name)
            backend.remove_zone(raw_zone)
            zone.delete()
    print(f"records: {args.records}")
    print(f"hearth (form -> job -> verified): {hearth:.3f} s (verification {verification:.3f} s)")
    print(f"raw PowerDNS API PATCH:          {raw:.3f} s")
    print(f"ratio hearth/raw: {hearth / raw:.2f}")
    print(f"ratio without verification: {(hearth - verification) / raw:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
