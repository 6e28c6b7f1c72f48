"""`flush` (emptying every table, TRUNCATE) is the owner's act, like migrate."""

from __future__ import annotations

from django.core.management.commands import flush

from panel import dbroles


class Command(flush.Command):
    def handle(self, **options):
        with dbroles.as_owner(options["database"]):
            super().handle(**options)
