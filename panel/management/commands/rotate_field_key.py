"""Re-encrypt every secret kept at rest with the first FIELD_ENCRYPTION_KEY key.

Rotation: put the new key first (`FIELD_ENCRYPTION_KEY=new,old`), run this, then drop the old
key. Covers authenticator secrets and managed servers' credentials.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db import transaction

from panel import field_crypto
from provisioning.servers.models import Server
from security.twofactor import reencrypt_secrets


class Command(BaseCommand):
    help = "Re-encrypt stored secrets with the first FIELD_ENCRYPTION_KEY key."

    def handle(self, *args, **options):
        devices = reencrypt_secrets()
        servers = 0
        with transaction.atomic():
            for server in Server.objects.select_for_update().exclude(credentials_encrypted=""):
                server.credentials_encrypted = field_crypto.rotate(server.credentials_encrypted)
                server.save(update_fields=["credentials_encrypted"])
                servers += 1
        self.stdout.write(f"re-encrypted {devices} authenticator secrets, {servers} servers")
