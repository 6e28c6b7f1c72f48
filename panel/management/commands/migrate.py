"""`migrate` as the owner role (DATABASE_OWNER_URL), then grant the runtime role its share."""

from __future__ import annotations

from django.core.management.commands import migrate

from panel import dbroles


class Command(migrate.Command):
    help = migrate.Command.help + " Runs as DATABASE_OWNER_URL's role when it is set."

    def handle(self, *args, **options):
        alias = options["database"]
        with dbroles.as_owner(alias) as connection:
            super().handle(*args, **options)
            if connection.settings_dict["USER"] != dbroles.runtime_role(alias):
                dbroles.grant_runtime_privileges(connection, dbroles.runtime_role(alias))
