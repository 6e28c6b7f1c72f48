"""Server credentials at rest: JSON encrypted with the panel's field key (panel.field_crypto)."""

from __future__ import annotations

import json

from panel import field_crypto


def encrypt_json(value: dict) -> str:
    return field_crypto.encrypt_bytes(json.dumps(value, sort_keys=True).encode())


def decrypt_json(token: str) -> dict:
    if not token:
        return {}
    return json.loads(field_crypto.decrypt_bytes(token, what="Stored credentials"))
