"""`runserver` that starts beside the bootstrap and serves once the database is migrated.

`make run` starts it together with `manage.py bootstrap`: Django is set up (here and in the
autoreloader's child) and the URLconf imported while migrations run; the server binds its
port only once the file --gate names exists, which `make run` creates when the bootstrap
says the database is migrated. A reloaded child finds the gate open and serves at once.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.core.management import get_commands, load_command_class
from django.urls import get_resolver

logger = logging.getLogger(__name__)
POLL_SECONDS = 0.02
WAITING = "gated_runserver: set up; serving once the database is migrated"
# The runserver that is installed (whitenoise's, without static files), whatever app has it.
RunserverCommand = type(load_command_class(get_commands()["runserver"], "runserver"))


class Command(RunserverCommand):
    help = __doc__.splitlines()[0]
    waited = False  # for the gate: the bootstrap migrated the database just now

    def add_arguments(self, parser):
        super().add_arguments(parser)
        parser.add_argument("--gate", required=True, help="serve once this file exists")

    def inner_run(self, *args, **options):
        warm_urlconf()
        gate = Path(options["gate"])
        if not gate.exists():
            self.stdout.write(WAITING)
            self.stdout.flush()
            while not gate.exists():
                time.sleep(POLL_SECONDS)
            self.waited = True
        super().inner_run(*args, **options)

    def check_migrations(self):
        """Skipped when the gate opened for us (migrate has just run); a reloaded server,
        which may bring new migration files, still warns of unapplied ones."""
        if not self.waited:
            super().check_migrations()


def warm_urlconf() -> None:
    """Import the URLconf (and with it every view) now rather than on the first request."""
    try:
        get_resolver().url_patterns  # noqa: B018 - the import is the point
    except Exception:  # the first request reports it, as it would without this
        logger.exception("the URLconf did not import")
