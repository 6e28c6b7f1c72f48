"""Names of provisioned things: strict patterns, prefixes, length, reserved words."""

from __future__ import annotations

import re

from django.conf import settings

MAX_IDENTIFIER_BYTES = 63  # PostgreSQL silently truncates longer names
_NAME = re.compile(r"[a-z][a-z0-9_]*")
RESERVED = frozenset({"postgres", "template0", "template1", "public", "hearth"})


class InvalidName(ValueError):
    """The message says what is wrong, for a form error."""


def reserved_names() -> frozenset[str]:
    own = {db.get("NAME", "") for db in settings.DATABASES.values()}
    return RESERVED | {name.lower() for name in own if name}


def check_identifier(name: str) -> str:
    """Validate a full PostgreSQL database or role name; return it unchanged."""
    if not _NAME.fullmatch(name):
        raise InvalidName(
            "Use only lowercase letters, digits and underscores, starting with a letter."
        )
    if len(name.encode()) > MAX_IDENTIFIER_BYTES:
        raise InvalidName(f"The full name {name} is longer than {MAX_IDENTIFIER_BYTES} bytes.")
    if name in reserved_names() or name.startswith("pg_"):
        raise InvalidName(f"{name} is a reserved name.")
    return name


def prefixed(prefix: str, suffix: str) -> str:
    """The full name for SUFFIX in an account with PREFIX ("shop" -> "acme_shop")."""
    suffix = suffix.strip()
    if suffix.startswith(f"{prefix}_"):
        suffix = suffix[len(prefix) + 1 :]
    if not suffix:
        raise InvalidName("Enter a name.")
    if not _NAME.fullmatch(suffix):
        raise InvalidName(
            "Use only lowercase letters, digits and underscores, starting with a letter."
        )
    return check_identifier(f"{prefix}_{suffix}")
