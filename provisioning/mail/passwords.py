"""Mailbox password hashes in a scheme Dovecot verifies: {ARGON2ID} (libsodium's format).

Never reversible; the panel keeps only the hash and hands it to the mail backend.
"""

from __future__ import annotations

from argon2 import PasswordHasher, Type

SCHEME = "{ARGON2ID}"
# OWASP's Argon2id minimum (19 MiB, 2 passes): Dovecot verifies one per IMAP/SMTP login.
_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1, type=Type.ID)
MAX_LENGTH = 1024


def hash_password(plain: str) -> str:
    """'{ARGON2ID}$argon2id$v=19$m=19456,t=2,p=1$salt$hash' for PLAIN."""
    if not plain or len(plain) > MAX_LENGTH or any(ch in plain for ch in "\r\n\0"):
        raise ValueError("a password must be 1 to 1024 characters without line breaks or NUL")
    return SCHEME + _HASHER.hash(plain)


def verify_password(stored: str, plain: str) -> bool:
    """True if PLAIN matches STORED (as Dovecot would decide)."""
    if not stored.startswith(SCHEME):
        return False
    try:
        return _HASHER.verify(stored[len(SCHEME) :], plain)
    except Exception:  # noqa: BLE001 - any mismatch or malformed hash is a "no"
        return False
