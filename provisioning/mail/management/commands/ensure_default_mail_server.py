"""Register the stack's mail host (Postfix + Dovecot + rspamd) as the default mail server."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server
from security import audit

DEFAULT_NAME = "local-mail"


@transaction.atomic
def register_mail_server(name: str, actor=None) -> tuple[Server, bool]:
    """Create or update NAME (role mail) from the MAIL_* settings; secrets stored encrypted."""
    server = Server.objects.select_for_update().filter(name=name).first() or Server(name=name)
    created = server.pk is None
    server.address = settings.MAIL_HOST
    if ServerRole.MAIL not in server.roles:
        server.roles = [*server.roles, ServerRole.MAIL.value]
    config = {
        "smtp_host": settings.MAIL_HOST,
        "smtp_port": settings.MAIL_SMTP_PORT,
        "submission_port": settings.MAIL_SUBMISSION_PORT,
        "imap_port": settings.MAIL_IMAP_PORT,
        "doveadm_url": settings.MAIL_DOVEADM_URL,
        "mail_root": settings.MAIL_ROOT,
    }
    secrets = {
        "database_url": settings.MAIL_DATABASE_URL,
        "doveadm_api_key": settings.MAIL_DOVEADM_API_KEY,
        "dkim_redis_url": settings.MAIL_DKIM_REDIS_URL,
    }
    server.set_role_connection(ServerRole.MAIL.value, config, secrets)
    server.save()
    audit.record(actor, "server.created" if created else "server.updated", target=server)
    return server, created


class Command(BaseCommand):
    help = "Create or update the 'local-mail' server from the MAIL_* settings "
    help += "(written to var/stack.env by python -m panel.stack up)."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=DEFAULT_NAME)

    def handle(self, *args, name: str, **options):
        if not (settings.MAIL_DATABASE_URL and settings.MAIL_HOST and settings.MAIL_DOVEADM_URL):
            raise CommandError("MAIL_DATABASE_URL, MAIL_HOST and MAIL_DOVEADM_URL must be set")
        _, created = register_mail_server(name)
        verb = "registered" if created else "updated"
        self.stdout.write(
            f"mail server {name!r} {verb} (smtp {settings.MAIL_HOST}:{settings.MAIL_SMTP_PORT})"
        )
