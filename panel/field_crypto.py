"""Secrets at rest: Fernet with the key(s) from settings.FIELD_ENCRYPTION_KEY.

The setting is a comma-separated list: the first key encrypts, every key decrypts, so a new
key is rolled out by putting it first and re-encrypting (`rotate`), then dropping the old one.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


@cache
def _fernet(keys: str) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key.strip()) for key in keys.split(",") if key.strip()])
    except (ValueError, TypeError) as exc:
        message = f"FIELD_ENCRYPTION_KEY is not a valid Fernet key: {exc}"
        raise ImproperlyConfigured(message) from None


def fernet() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY)


def encrypt_bytes(value: bytes) -> str:
    return fernet().encrypt(value).decode()


def decrypt_bytes(token: str, *, what: str = "Stored secrets") -> bytes:
    try:
        return fernet().decrypt(token.encode())
    except InvalidToken:
        raise ImproperlyConfigured(
            f"{what} cannot be decrypted: FIELD_ENCRYPTION_KEY changed?"
        ) from None


def rotate(token: str) -> str:
    """The same secret encrypted with the first key (it may have been under an older one)."""
    try:
        return fernet().rotate(token.encode()).decode()
    except InvalidToken:
        raise ImproperlyConfigured(
            "A stored secret cannot be decrypted with any FIELD_ENCRYPTION_KEY key."
        ) from None
