"""The PowerDNS primary, driven only through its HTTP API (httpx), checked over DNS (dnspython).

Server settings (role `dns`, not secret): api_url, server_id (default "localhost"),
dns_address ("host:port" the primary answers DNS on), nameservers, hostmaster.
Credentials (encrypted): api_key.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
from django.conf import settings

from provisioning.engine.backends import Backend, BackendError


def split_address(address: str, default_port: int = 53) -> tuple[str, int]:
    host, _, port = address.rpartition(":")
    if not host:
        return address, default_port
    return host.strip("[]"), int(port)


class PowerDnsBackend(Backend):
    role = "dns"

    def __init__(self, server) -> None:
        super().__init__(server)
        config = server.settings_for("dns")
        self.api_url = config.get("api_url", "").rstrip("/")
        self.server_id = config.get("server_id", "localhost")
        self.dns_host, self.dns_port = split_address(config.get("dns_address") or server.address)
        self.nameservers = list(config.get("nameservers") or settings.DNS_NAMESERVERS)
        self.hostmaster = config.get("hostmaster") or settings.DNS_HOSTMASTER
        self._key = server.credentials_for("dns").get("api_key", "")

    # --- HTTP ----------------------------------------------------------------------------

    def _request(self, method: str, path: str, body: dict | list | None = None) -> httpx.Response:
        url = f"{self.api_url}/servers/{self.server_id}{path}"
        try:
            response = httpx.request(
                method,
                url,
                json=body,
                headers={"X-API-Key": self._key, "Accept": "application/json"},
                timeout=settings.PROVISIONING_CONNECT_TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise BackendError.unreachable(
                "The DNS server", f"PowerDNS API {method} {path}", exc
            ) from None
        if response.status_code >= 500:
            raise BackendError(
                "The DNS server had a problem; the change will be tried again.",
                permanent=False,
                detail=f"PowerDNS API {method} {path}: {response.status_code} {_error(response)}",
            )
        if response.status_code in (401, 403):
            raise BackendError(
                "The panel is not allowed to use this DNS server.",
                detail=f"PowerDNS API {method} {path}: {response.status_code} (check the API key)",
            )
        return response

    def _ok(self, response: httpx.Response, action: str) -> httpx.Response:
        if response.status_code >= 400:
            raise BackendError(
                f"The DNS server refused to {action}: {_error(response)}",
                detail=f"PowerDNS API: {response.status_code} {_error(response)}",
            )
        return response

    @staticmethod
    def _zone_path(zone: str) -> str:
        return f"/zones/{quote(zone, safe='')}"

    # --- the vocabulary ------------------------------------------------------------------

    def check(self) -> str:
        info = self._ok(self._request("GET", ""), "answer").json()
        return f"PowerDNS {info.get('version', '?')} ({info.get('daemon_type', '?')})"

    def inspect_zone(self, zone: str) -> dict | None:
        """The zone with its rrsets, or None if the server does not have it."""
        response = self._request("GET", self._zone_path(zone))
        if response.status_code in (404, 422):
            return None
        return self._ok(response, "show the zone").json()

    def list_zones(self) -> list[str]:
        zones = self._ok(self._request("GET", "/zones"), "list its zones").json()
        return sorted(zone["name"] for zone in zones)

    def soa_content(self, zone: str) -> str:
        primary = self.nameservers[0] if self.nameservers else f"ns1.{zone}"
        return f"{primary} {self.hostmaster} 1 10800 3600 604800 3600"

    def ensure_zone(self, zone: str, rrsets: list[dict]) -> bool:
        """Create ZONE with RRSETS (SOA included) unless it exists; True if created."""
        if self.inspect_zone(zone) is not None:
            return False
        body = {
            "name": zone,
            "kind": "Master",
            "nameservers": [],
            "soa_edit_api": "DEFAULT",
            "rrsets": rrsets,
        }
        self._ok(self._request("POST", "/zones", body), f"create {zone}")
        return True

    def remove_zone(self, zone: str) -> str:
        response = self._request("DELETE", self._zone_path(zone))
        if response.status_code in (404, 422):
            return "already gone"
        self._ok(response, f"delete {zone}")
        return "deleted"

    def patch_rrsets(self, zone: str, rrsets: list[dict]) -> None:
        """Apply RRSETS (REPLACE/DELETE) in one PATCH: all of it, or nothing."""
        if rrsets:
            response = self._request("PATCH", self._zone_path(zone), {"rrsets": rrsets})
            self._ok(response, "apply the change")

    # --- DNSSEC --------------------------------------------------------------------------

    def cryptokeys(self, zone: str) -> list[dict]:
        response = self._request("GET", f"{self._zone_path(zone)}/cryptokeys")
        return self._ok(response, "list the zone's keys").json()

    def ensure_dnssec(self, zone: str) -> bool:
        """Sign ZONE (one active CSK) unless it has an active key; True if a key was made."""
        if any(key.get("active") for key in self.cryptokeys(zone)):
            return False
        body = {"keytype": "csk", "active": True, "published": True, "algorithm": "ecdsa256"}
        response = self._request("POST", f"{self._zone_path(zone)}/cryptokeys", body)
        self._ok(response, "create a signing key")
        # Keep NSEC ordering right after every later PATCH, without a separate rectify call.
        settings_body = {"api_rectify": True}
        self._ok(self._request("PUT", self._zone_path(zone), settings_body), "sign the zone")
        self._rectify(zone)
        return True

    def remove_dnssec(self, zone: str) -> int:
        keys = self.cryptokeys(zone)
        for key in keys:
            path = f"{self._zone_path(zone)}/cryptokeys/{key['id']}"
            self._ok(self._request("DELETE", path), "remove a signing key")
        self._rectify(zone)
        return len(keys)

    def _rectify(self, zone: str) -> None:
        self._ok(self._request("PUT", f"{self._zone_path(zone)}/rectify"), "rectify the zone")

    def bump_serial(self, zone: str) -> None:
        """Publish a new SOA serial with no record changed, so secondaries transfer the zone
        again (keys made or removed do not change the serial by themselves): the SOA PATCHed
        as it is, and SOA-EDIT-API raises its serial."""
        shown = self.inspect_zone(zone)
        if shown is None:
            raise BackendError(f"The DNS server does not have {zone}.", detail=zone)
        soa = next(r for r in shown["rrsets"] if r["type"] == "SOA" and r["name"] == zone)
        records = [{"content": r["content"], "disabled": False} for r in soa["records"]]
        rrset = {"name": zone, "type": "SOA", "ttl": soa["ttl"], "changetype": "REPLACE"}
        self.patch_rrsets(zone, [{**rrset, "records": records}])

    # --- secondaries ---------------------------------------------------------------------

    def ensure_tsig_key(self, name: str, secret: str, algorithm: str = "hmac-sha256") -> str:
        """Store the TSIG key NAME (or replace its secret); returns its id."""
        key_id = name if name.endswith(".") else name + "."
        response = self._request("GET", f"/tsigkeys/{quote(key_id, safe='')}")
        body = {"name": name, "algorithm": algorithm, "key": secret}
        if response.status_code == 200:
            if response.json().get("key") == secret:
                return key_id
            # A new secret: PowerDNS 4.7's PUT inserts a duplicate row, so delete and re-add.
            path = f"/tsigkeys/{quote(key_id, safe='')}"
            self._ok(self._request("DELETE", path), "replace a TSIG key")
        created = self._ok(self._request("POST", "/tsigkeys", body), "store a TSIG key")
        return created.json().get("id", key_id)

    def allow_axfr(self, zone: str, key_ids: list[str]) -> None:
        """Transfers of ZONE need one of these TSIG keys (TSIG-ALLOW-AXFR)."""
        body = {"master_tsig_key_ids": key_ids}
        self._ok(self._request("PUT", self._zone_path(zone), body), "require TSIG for AXFR")

    def set_metadata(self, zone: str, kind: str, values: list[str]) -> None:
        path = f"{self._zone_path(zone)}/metadata/{kind}"
        body = {"kind": kind, "metadata": values}
        self._ok(self._request("PUT", path, body), f"set {kind}")

    def notify(self, zone: str) -> None:
        self._ok(self._request("PUT", f"{self._zone_path(zone)}/notify"), "send NOTIFY")


def _error(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.text))[:300]
    except ValueError:
        return response.text[:300]
