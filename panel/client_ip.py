"""The client's address: the one helper every app uses (lockout, sessions, the audit log).

Without BEHIND_PROXY it is REMOTE_ADDR. With it, X-Forwarded-For is believed only when the
connection comes from a TRUSTED_PROXIES address or network: the entries are read from the
right (each proxy appends the address it saw) and the first one that is not itself a trusted
proxy is the client. A client talking to the panel directly cannot forge its address.
"""

from __future__ import annotations

from functools import lru_cache
from ipaddress import ip_address, ip_network

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]):
    return tuple(ip_network(entry.strip(), strict=False) for entry in entries if entry.strip())


def is_trusted_proxy(address: str) -> bool:
    try:
        parsed = ip_address(address)
    except ValueError:
        return False
    return any(parsed in network for network in _networks(tuple(settings.TRUSTED_PROXIES)))


def forwarded_client(remote_addr: str, forwarded: str) -> str:
    """The client's address given the connection's peer and its X-Forwarded-For header."""
    if not is_trusted_proxy(remote_addr):
        return remote_addr
    for entry in reversed(forwarded.split(",")):
        try:
            candidate = str(ip_address(entry.strip()))
        except ValueError:
            return remote_addr  # a malformed hop: believe nothing further left
        if not is_trusted_proxy(candidate):
            return candidate
    return remote_addr


def client_ip(request) -> str | None:
    """The address ProxyClientAddressMiddleware settled on, or None when there is none."""
    return request.META.get("REMOTE_ADDR") or None
