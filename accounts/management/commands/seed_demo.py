"""Demo data for `make run`: a plan and a customer. Running it again changes nothing."""

from django.core.management.base import BaseCommand
from django.utils import timezone

from accounts import services
from accounts.models import HostingAccount, Plan, User

DEMO_PLANS = [
    dict(
        name="Starter",
        description="For a small site",
        max_databases=2,
        max_mailboxes=5,
        max_dns_zones=2,
        disk_quota_mb=1024,
    ),
    dict(
        name="Business",
        description="For growing shops",
        max_databases=10,
        max_mailboxes=50,
        max_dns_zones=10,
        disk_quota_mb=10240,
    ),
]


class Command(BaseCommand):
    help = "Create demo plans and a demo customer (idempotent)."

    def handle(self, *args, **options):
        for fields in DEMO_PLANS:
            Plan.objects.get_or_create(name=fields["name"], defaults=fields)
        if HostingAccount.objects.filter(prefix="acme").exists():
            self.stdout.write("Demo data already present.")
            return
        account, password = services.create_customer(
            name="Acme Corp",
            email="demo@acme.test",
            prefix="acme",
            plan=Plan.objects.get(name="Starter"),
            display_name="Acme Demo",
            actor=None,
        )
        # The demo address cannot receive mail; treat it as verified.
        User.objects.filter(pk=account.owner_id).update(email_verified_at=timezone.now())
        self.stdout.write(self.style.SUCCESS("Created demo customer demo@acme.test"))
        self.stdout.write(f"  password: {password}  (shown once)")
