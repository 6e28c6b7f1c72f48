"""The panel's Celery app plus the test-only job kinds, for worker processes tests start:
`celery -A tests.provisioning.worker_app worker ...`."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
django.setup()

from panel.celery import app  # noqa: E402
from tests.provisioning import kinds  # noqa: E402, F401 - registers the test kinds

__all__ = ["app"]
