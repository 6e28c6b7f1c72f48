"""Versions reported by /healthz: Hearth's own (pyproject.toml), Python, Django and the servers."""

from __future__ import annotations

import os
import platform
import tomllib
from functools import cache

import django
from django.conf import settings
from django.db import connection

from panel import redis_client


@cache
def hearth_version() -> str:
    with open(settings.BASE_DIR / "pyproject.toml", "rb") as handle:
        return tomllib.load(handle)["project"]["version"]


def postgresql_version() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0].split()[0]


def redis_version() -> str:
    return redis_client.client(settings.REDIS_URL).info("server")["redis_version"]


def software_versions() -> dict[str, str]:
    found = {
        "hearth": hearth_version(),
        "python": platform.python_version(),
        "django": django.get_version(),
    }
    # The commit an image was built from (the Dockerfile's HEARTH_REVISION build argument).
    if (revision := os.environ.get("HEARTH_REVISION", "unknown")) != "unknown":
        found["revision"] = revision
    return found
