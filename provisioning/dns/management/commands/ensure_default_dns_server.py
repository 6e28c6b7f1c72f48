"""Register the stack's PowerDNS as the default DNS server (idempotent; `make run`)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from provisioning.dns.servers import register_dns_server, register_secondary

DEFAULT_NAME = "local-dns"
SECONDARY_NAME = "local-bind"


class Command(BaseCommand):
    help = "Create or update the 'local-dns' server from PDNS_API_URL, PDNS_API_KEY and "
    help += "PDNS_DNS_ADDRESS (written to var/stack.env by python -m panel.stack up)."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=DEFAULT_NAME)

    def handle(self, *args, name: str, **options):
        if not (settings.PDNS_API_URL and settings.PDNS_API_KEY and settings.PDNS_DNS_ADDRESS):
            raise CommandError("PDNS_API_URL, PDNS_API_KEY and PDNS_DNS_ADDRESS must be set")
        server, created = register_dns_server(
            name,
            api_url=settings.PDNS_API_URL,
            api_key=settings.PDNS_API_KEY,
            dns_address=settings.PDNS_DNS_ADDRESS,
        )
        verb = "registered" if created else "updated"
        self.stdout.write(f"DNS server {name!r} {verb} ({settings.PDNS_API_URL})")
        if settings.BIND_DNS_ADDRESS and settings.BIND_RNDC_SECRET:
            register_secondary(
                SECONDARY_NAME,
                dns_address=settings.BIND_DNS_ADDRESS,
                rndc_address=settings.BIND_RNDC_ADDRESS,
                rndc_secret=settings.BIND_RNDC_SECRET,
                tsig_name=settings.BIND_TSIG_NAME,
                tsig_secret=settings.BIND_TSIG_SECRET,
            )
            self.stdout.write(f"DNS secondary {SECONDARY_NAME!r} registered")
