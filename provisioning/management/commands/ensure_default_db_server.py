"""Register the local PostgreSQL as the default database server (idempotent; `make run`)."""

from __future__ import annotations

from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server
from provisioning.servers.services import save_server

DEFAULT_NAME = "local"


class Command(BaseCommand):
    help = "Create or update the 'local' database server from PROVISIONING_PG_URL/DATABASE_URL."

    def add_arguments(self, parser):
        parser.add_argument("--name", default=DEFAULT_NAME)
        parser.add_argument("--url", default=None, help="postgres:// URL of a superuser login")

    def handle(self, *args, name: str, url: str | None, **options):
        parts = urlsplit(url or settings.PROVISIONING_PG_URL or "")
        if parts.scheme not in {"postgres", "postgresql"} or not parts.hostname:
            raise CommandError("PROVISIONING_PG_URL (or DATABASE_URL) must be a postgres:// URL")
        server = Server.objects.filter(name=name).first() or Server(name=name)
        created = server.pk is None
        server.address = parts.hostname
        if ServerRole.DATABASE not in server.roles:
            server.roles = [*server.roles, ServerRole.DATABASE]
        database = {
            "port": parts.port or 5432,
            "user": unquote(parts.username or "postgres"),
            "dbname": "postgres",
            "sslmode": "prefer",
        }
        password = unquote(parts.password) if parts.password else None
        if not created and server.settings_for(ServerRole.DATABASE) == database and not password:
            self.stdout.write(f"database server {name!r} already registered")
            return
        save_server(server, database=database, password=password, actor=None)
        verb = "registered" if created else "updated"
        self.stdout.write(f"database server {name!r} {verb} ({parts.hostname}:{database['port']})")
