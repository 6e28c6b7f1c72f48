"""SCRAM-SHA-256 verifiers, computed here so a password never travels or rests in clear.

PostgreSQL accepts a verifier in place of a password (`PASSWORD 'SCRAM-SHA-256$...'`) and
stores it as is; clients then log in with the password itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

ITERATIONS = 4096


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def verifier(password: str, *, salt: bytes | None = None) -> str:
    """The verifier PostgreSQL would store for PASSWORD (printable ASCII: SASLprep is a no-op)."""
    salt = salt or secrets.token_bytes(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    return f"SCRAM-SHA-256${ITERATIONS}:{_b64(salt)}${_b64(stored_key)}:{_b64(server_key)}"
