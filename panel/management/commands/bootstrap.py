"""Everything `make run` does before serving, in one process (one `django.setup()`):
with --static the collected static files, migrate (as the owner role), the first
administrator, demo data and the default servers. Each step is idempotent.

Once migrations are applied it prints MIGRATED on a line of its own: `make run` starts
the web server, worker and beat then, while the remaining steps finish."""

from __future__ import annotations

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

MIGRATED = "bootstrap: database migrated"


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--static", action="store_true", help="also run collectstatic")

    def handle(self, *args, static: bool, **options):
        verbosity = options["verbosity"]
        if static:  # first: whitenoise reads the collected files when the web server starts
            call_command("collectstatic", interactive=False, verbosity=0)
        call_command("migrate", interactive=False, verbosity=verbosity)
        self.stdout.write(MIGRATED)
        self.stdout.flush()
        call_command("createadmin", if_none=True, verbosity=verbosity)
        call_command("seed_demo", verbosity=verbosity)
        if settings.PROVISIONING_PG_URL and settings.PROVISIONING_PG_URL != settings.DATABASE_URL:
            call_command("ensure_default_db_server", verbosity=verbosity)
        else:  # the panel's own database is never a customers' database server
            self.stdout.write("PROVISIONING_PG_URL is not set: no default database server.")
        if settings.PDNS_API_URL:  # the stack's PowerDNS (and BIND secondary, if it runs one)
            call_command("ensure_default_dns_server", verbosity=verbosity)
        if settings.MAIL_DATABASE_URL:  # the stack's Postfix + Dovecot + rspamd
            call_command("ensure_default_mail_server", verbosity=verbosity)
