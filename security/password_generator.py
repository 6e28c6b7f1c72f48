"""The one generator of passwords the panel hands out (first admins, customers, database roles)."""

from __future__ import annotations

import secrets
import string

ALPHABET = string.ascii_letters + string.digits
LENGTH = 24  # 24 of 62 symbols: about 143 bits


def generate_password(length: int = LENGTH) -> str:
    """Letters and digits only, so the password survives shells, URLs and connection strings."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))
