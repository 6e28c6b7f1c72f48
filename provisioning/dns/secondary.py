"""BIND secondaries: zones added and removed with rndc (argv, key in a private temp file).

Server settings (role `dns-secondary`): dns_address and rndc_address ("host:port"),
tsig_name. Credentials (encrypted): tsig_secret (AXFR from the primary), rndc_secret.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile

from django.conf import settings

from provisioning.dns import verify
from provisioning.dns.backend import split_address
from provisioning.dns.choices import SECONDARY_ROLE
from provisioning.engine.backends import Backend, BackendError

RNDC_KEY = "hearth-rndc"
SAFE_ZONE = re.compile(r"^[a-z0-9_.-]+\.$")


def _rndc_binary() -> str:
    for path in ("/usr/sbin/rndc", "/usr/bin/rndc"):
        if os.path.exists(path):
            return path
    raise BackendError("rndc is not installed on the panel.", detail="rndc not found")


class BindSecondaryBackend(Backend):
    role = SECONDARY_ROLE

    def __init__(self, server) -> None:
        super().__init__(server)
        config = server.settings_for(SECONDARY_ROLE)
        secrets = server.credentials_for(SECONDARY_ROLE)
        self.dns_host, self.dns_port = split_address(config.get("dns_address", server.address))
        self.rndc_host, self.rndc_port = split_address(config.get("rndc_address", ""), 953)
        self.tsig_name = config.get("tsig_name", "")
        self.tsig_secret = secrets.get("tsig_secret", "")
        self._rndc_secret = secrets.get("rndc_secret", "")

    def _rndc(self, *args: str) -> tuple[int, str]:
        with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as handle:
            os.chmod(handle.name, 0o600)
            handle.write(
                f'key "{RNDC_KEY}" {{ algorithm hmac-sha256; secret "{self._rndc_secret}"; }};\n'
                f'options {{ default-key "{RNDC_KEY}"; default-server {self.rndc_host}; '
                f"default-port {self.rndc_port}; }};\n"
            )
        try:
            proc = subprocess.run(  # noqa: S603 - argv list, no shell
                [_rndc_binary(), "-c", handle.name, *args],
                capture_output=True,
                text=True,
                timeout=settings.PROVISIONING_CONNECT_TIMEOUT + 5,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise BackendError(
                f"The DNS secondary {self.server.name} did not answer.",
                permanent=False,
                detail=f"rndc {args[0]} timed out",
            ) from None
        finally:
            os.unlink(handle.name)
        output = (proc.stdout + proc.stderr).strip()
        if proc.returncode != 0 and "connection refused" in output.lower():
            raise BackendError(
                f"The DNS secondary {self.server.name} cannot be reached.",
                permanent=False,
                detail=f"rndc {args[0]}: {output[:300]}",
            )
        return proc.returncode, output

    def check(self) -> str:
        code, output = self._rndc("status")
        if code != 0:
            raise BackendError("rndc status failed.", detail=output[:300])
        return output.splitlines()[0] if output else "BIND answers"

    def ensure_zone(self, zone: str, primary: tuple[str, int]) -> bool:
        if not SAFE_ZONE.match(zone):
            raise BackendError("This zone name cannot be used on the secondary.", detail=zone)
        host, port = primary
        config = (
            f'{{ type secondary; primaries port {port} {{ {host} key "{self.tsig_name}"; }}; '
            f'file "{zone}db"; }};'
        )
        code, output = self._rndc("addzone", zone, config)
        if code == 0:
            return True
        if "already exists" in output:
            return False
        raise BackendError(
            f"The DNS secondary {self.server.name} refused the zone.", detail=output[:300]
        )

    def remove_zone(self, zone: str) -> str:
        code, output = self._rndc("delzone", "-clean", zone)
        if code == 0:
            return "deleted"
        if "not found" in output:
            return "already gone"
        raise BackendError(
            f"The DNS secondary {self.server.name} could not remove the zone.",
            detail=output[:300],
        )

    def serial(self, zone: str) -> int | None:
        try:
            return verify.soa_serial(self.dns_host, self.dns_port, zone)
        except BackendError:
            return None
