"""BIND secondaries: zones added and removed with rndc (argv, key in a private temp file).

Server settings (role `dns-secondary`): dns_address and rndc_address ("host:port"),
tsig_name. Credentials (encrypted): tsig_secret (AXFR from the primary), rndc_secret.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
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
# A TSIG key name as named.conf and PowerDNS take it: DNS labels, no quotes or spaces.
TSIG_NAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*\.?$")
HOSTNAME = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*$")
MIN_SECRET_BYTES = 16


# --- connection settings, checked by the server form and again here ----------------------


def check_address(value: str) -> str:
    """'host:port' ([v6]:port) with an IP or hostname and a port; ValueError says why."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("Give host:port, e.g. 192.0.2.53:53 or [2001:db8::53]:53.")
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        if bare != host or len(host) > 253 or not HOSTNAME.match(host.lower()):
            raise ValueError(f"{host} is neither an IP address nor a host name.") from None
    return f"{host.lower()}:{int(port)}"


def check_tsig_name(value: str) -> str:
    name = value.strip().lower()
    if len(name) > 253 or not TSIG_NAME.match(name):
        raise ValueError("A key name is DNS labels (letters, digits, hyphens) joined by dots.")
    return name


def check_secret(value: str) -> str:
    """A base64 HMAC-SHA256 secret of at least MIN_SECRET_BYTES bytes."""
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("A key secret is base64 (as tsig-keygen prints it).") from None
    if len(raw) < MIN_SECRET_BYTES:
        raise ValueError(f"A key secret holds at least {MIN_SECRET_BYTES} bytes.")
    return value.strip()


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
        try:  # they reach named.conf syntax (rndc's config, addzone): checked once more
            self.tsig_name = check_tsig_name(config.get("tsig_name", ""))
            self.tsig_secret = check_secret(secrets.get("tsig_secret", ""))
            self._rndc_secret = check_secret(secrets.get("rndc_secret", ""))
        except ValueError as exc:
            raise BackendError(
                f"The DNS secondary {server.name} is not set up right: {exc}",
                detail=f"{server.name}: bad connection settings",
            ) from None

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
        host, port = verify.resolve(primary[0]), primary[1]  # BIND takes addresses only
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

    def refresh(self, zone: str) -> None:
        """Have the secondary check the primary's serial now (and transfer if it is newer).

        PowerDNS signs its NOTIFYs with the zone's first TSIG-ALLOW-AXFR key only, which
        every other secondary refuses (BADKEY): this reaches each one with its own rndc key.
        """
        if not SAFE_ZONE.match(zone):
            raise BackendError("This zone name cannot be used on the secondary.", detail=zone)
        code, output = self._rndc("refresh", zone)
        if code != 0:
            raise BackendError(
                f"The DNS secondary {self.server.name} did not refresh the zone.",
                permanent=False,
                detail=output[:300],
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
