"""Write the .env file docker-compose.yml reads: fresh secrets, never overwriting a file.

    python3 deploy/make_env.py .env        (what `make env` runs)

Standard library only, so it runs before any virtualenv exists.
"""

from __future__ import annotations

import base64
import os
import secrets
import sys
from pathlib import Path

# Variable -> how to make its value. Passwords are URL-safe: they go inside postgres:// URLs.
GENERATED = {
    "SECRET_KEY": lambda: secrets.token_urlsafe(50),
    "FIELD_ENCRYPTION_KEY": lambda: base64.urlsafe_b64encode(os.urandom(32)).decode(),
    "API_TOKEN_PEPPER": lambda: secrets.token_urlsafe(48),
    "POSTGRES_SUPERUSER_PASSWORD": lambda: secrets.token_urlsafe(24),
    "HEARTH_OWNER_DB_PASSWORD": lambda: secrets.token_urlsafe(24),
    "HEARTH_APP_DB_PASSWORD": lambda: secrets.token_urlsafe(24),
    "DBSERVER_PASSWORD": lambda: secrets.token_urlsafe(24),
    "REDIS_PASSWORD": lambda: secrets.token_urlsafe(24),
    "PDNS_API_KEY": lambda: secrets.token_urlsafe(32),
    "PDNS_DB_PASSWORD": lambda: secrets.token_urlsafe(24),
    "PDNS_DB_SUPERUSER_PASSWORD": lambda: secrets.token_urlsafe(24),
    # The mail database's roles (panel/stack/maildb.py takes 32 hex digits) and Dovecot's API.
    "MAIL_DB_WRITER_PASSWORD": lambda: secrets.token_hex(16),
    "MAIL_DB_READER_PASSWORD": lambda: secrets.token_hex(16),
    "MAIL_DOVEADM_API_KEY": lambda: secrets.token_hex(16),
}
SETTINGS = {
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "HTTPS": "false",
    "HEARTH_PORT": "8000",
}


def render() -> str:
    lines = ["# Made by `make env`. Secrets for docker-compose.yml: keep this file private."]
    lines += [f"{name}={make()}" for name, make in GENERATED.items()]
    lines += ["", "# Set these for your host (docs/deploy.md)."]
    lines += [f"{name}={value}" for name, value in SETTINGS.items()]
    return "\n".join(lines) + "\n"


def write_env(path: Path) -> bool:
    """Create PATH (mode 0600) and return True; leave an existing file alone and return False."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(render())
    return True


def main(argv: list[str]) -> int:
    path = Path(argv[1] if len(argv) > 1 else ".env")
    if write_env(path):
        print(f"wrote {path} (mode 0600) with new secrets")
    else:
        print(f"{path} exists; left as it is (delete it to make new secrets)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
