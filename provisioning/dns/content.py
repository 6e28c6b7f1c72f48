"""Record values by type: as people write them <-> PowerDNS's canonical presentation format."""

from __future__ import annotations

import ipaddress
import re

from provisioning.dns import names

TXT_CHUNK = 255  # bytes per character-string (RFC 1035 3.3)
TXT_MAX = 4000  # bytes of one TXT value (a 4096-bit DKIM key fits)
CAA_TAG = re.compile(r"^[a-z0-9]{1,15}$")
CAA_FLAGS = (0, 128)  # no flag, or "issuer critical"
CAA_KNOWN_TAGS = ("issue", "issuewild", "iodef")
QUOTED = re.compile(r'"([^"]*)"')


class ContentError(ValueError):
    pass


def _number(text: str, what: str, high: int = 65535) -> int:
    if not text.isdigit() or int(text) > high:
        raise ContentError(f"{what} must be a whole number from 0 to {high}.")
    return int(text)


def _parts(value: str, count: int, shape: str) -> list[str]:
    parts = value.split()
    if len(parts) != count:
        raise ContentError(f"Write it as {shape}.")
    return parts


def _a(value: str, zone: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError:
        raise ContentError(f"{value or '(empty)'} is not a valid IPv4 address.") from None


def _aaaa(value: str, zone: str) -> str:
    try:
        return str(ipaddress.IPv6Address(value))
    except ValueError:
        raise ContentError(f"{value or '(empty)'} is not a valid IPv6 address.") from None


def _host(value: str, zone: str) -> str:
    if not value:
        raise ContentError("Enter a host name.")
    return names.target_name(value, zone)


def _mx(value: str, zone: str) -> str:
    preference, target = _parts(value, 2, "preference and host, e.g. 10 mail.example.com")
    return f"{_number(preference, 'The preference')} {_host(target, zone)}"


def _srv(value: str, zone: str) -> str:
    shape = "priority weight port target, e.g. 10 5 5060 sip.example.com"
    priority, weight, port, target = _parts(value, 4, shape)
    numbers = [
        _number(priority, "The priority"),
        _number(weight, "The weight"),
        _number(port, "The port"),
    ]
    host = "." if target == "." else _host(target, zone)
    return " ".join(str(n) for n in numbers) + f" {host}"


def _txt(value: str, zone: str) -> str:
    if not value:
        raise ContentError("Enter the text.")
    if any(not 0x20 <= ord(char) <= 0x7E for char in value):
        raise ContentError("Use printable ASCII characters only (no tabs or accented letters).")
    data = value.encode()
    if len(data) > TXT_MAX:
        raise ContentError(f"The text is longer than {TXT_MAX} bytes.")
    chunks = [data[i : i + TXT_CHUNK].decode() for i in range(0, len(data), TXT_CHUNK)]
    return " ".join(f'"{chunk}"' for chunk in chunks)


def _caa(value: str, zone: str) -> str:
    parts = value.split(None, 2)
    if len(parts) != 3:
        raise ContentError("Write it as flags tag value, e.g. 0 issue letsencrypt.org.")
    flags, tag, data = parts
    if not flags.isdigit() or int(flags) not in CAA_FLAGS:
        raise ContentError("CAA flags must be 0, or 128 (issuer critical).")
    if not CAA_TAG.match(tag):
        raise ContentError("A CAA tag is 1 to 15 lower-case letters or digits (e.g. issue).")
    if tag not in CAA_KNOWN_TAGS and int(flags) == 128:
        raise ContentError(f"The critical flag on the unknown tag {tag} would block every CA.")
    if tag == "iodef" and not data.startswith(("mailto:", "https://", "http://")):
        raise ContentError("An iodef value is a mailto:, https:// or http:// URL.")
    if tag in ("issue", "issuewild") and data != ";" and not re.match(r"^[a-z0-9.-]+", data):
        raise ContentError("An issue value starts with the CA's domain (or is ; to forbid all).")
    if any(not 0x20 <= ord(char) <= 0x7E for char in data):
        raise ContentError("Use printable ASCII characters only.")
    return f'{int(flags)} {tag} "{data}"'


def _ptr(value: str, zone: str) -> str:
    if not value.endswith("."):
        raise ContentError("Write the full host name with its trailing dot, e.g. host.example.com.")
    return _host(value, zone)


CANONICAL = {
    "A": _a,
    "AAAA": _aaaa,
    "CNAME": _host,
    "NS": _host,
    "PTR": _ptr,
    "MX": _mx,
    "SRV": _srv,
    "TXT": _txt,
    "CAA": _caa,
}


def canonical(rtype: str, value: str, zone: str) -> str:
    """VALUE as written by a person -> canonical content; ContentError/InvalidName if invalid."""
    names.check_characters(value)
    return CANONICAL[rtype](value.strip(), zone)


def friendly(rtype: str, content: str) -> str:
    """Canonical content -> how the zone page shows it (and what its edit form holds)."""
    if rtype == "TXT":
        return "".join(QUOTED.findall(content))
    if rtype == "CAA":
        return content.replace('"', "")
    return content
