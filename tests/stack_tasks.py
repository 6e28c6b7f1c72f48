"""A task for the worker-resilience tests (loaded into a test's worker with `-I`)."""

from __future__ import annotations

import time
from pathlib import Path

from celery import shared_task


@shared_task(name="tests.stack.hold")
def hold(marker: str, seconds: float) -> str:
    """Write MARKER.started, keep the worker busy SECONDS, then write MARKER.done."""
    Path(f"{marker}.started").touch()
    time.sleep(seconds)
    Path(f"{marker}.done").touch()
    return "held"
