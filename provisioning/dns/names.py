"""DNS names as customers type them -> absolute ASCII names (IDNA, lower case, trailing dot)."""

from __future__ import annotations

import ipaddress
import re
import unicodedata

import dns.exception
import dns.name

MAX_LABEL = 63
MAX_NAME = 253  # without the trailing dot
LABEL = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?$")
FORBIDDEN = {"\r": "a carriage return", "\n": "a line break", "\x00": "a NUL character"}


class InvalidName(ValueError):
    pass


def check_characters(text: str) -> None:
    """Refuse CR, LF, NUL, backslash escapes and quotes (every field of every record)."""
    for char, what in FORBIDDEN.items():
        if char in text:
            raise InvalidName(f"It contains {what}.")
    if "\\" in text:
        raise InvalidName("Backslash escapes are not accepted; write the characters themselves.")
    if '"' in text:
        raise InvalidName("Quotes are not accepted; write the value without them.")


def control_character(text: str) -> str | None:
    """The first control character of TEXT in words (CR, LF, NUL, another C0/C1 control, a
    Unicode line separator), or None; tabs are blanks. For zone-file lines, refused as a
    whole: which field such a character belongs to is not known before the line is split."""
    for char in text:
        if char in FORBIDDEN:
            return FORBIDDEN[char]
        category = unicodedata.category(char)
        if category in ("Zl", "Zp"):
            return f"a line separator (U+{ord(char):04X})"
        if category == "Cc" and char != "\t":
            return f"a control character (U+{ord(char):04X})"
    return None


def to_ascii(text: str) -> str:
    """Lower case, IDNA (A-labels) for Unicode, always with the trailing dot."""
    check_characters(text)
    text = text.strip()
    if not text or text == ".":
        raise InvalidName("Enter a name.")
    if ".." in text:
        raise InvalidName("A name cannot contain an empty label (two dots in a row).")
    try:
        name = dns.name.from_unicode(text if text.endswith(".") else text + ".")
    except dns.name.LabelTooLong:
        raise InvalidName(f"A label is longer than {MAX_LABEL} bytes.") from None
    except dns.name.NameTooLong:
        raise InvalidName(f"The name is longer than {MAX_NAME} bytes.") from None
    except (dns.exception.DNSException, UnicodeError) as exc:
        raise InvalidName(f"This is not a valid DNS name ({exc}).") from None
    ascii_name = name.to_text().lower()
    check_lengths(ascii_name)
    return ascii_name


def check_lengths(ascii_name: str) -> None:
    labels = ascii_name.rstrip(".").split(".")
    for label in labels:
        if len(label.encode()) > MAX_LABEL:
            raise InvalidName(f"The label {label[:20]}… is longer than {MAX_LABEL} bytes.")
    if len(ascii_name.rstrip(".")) > MAX_NAME:
        raise InvalidName(f"The name is longer than {MAX_NAME} bytes.")


def check_labels(ascii_name: str, *, wildcard: bool) -> None:
    labels = ascii_name.rstrip(".").split(".")
    for position, label in enumerate(labels):
        if label == "*":
            if not wildcard:
                raise InvalidName("A wildcard is not allowed here.")
            if position != 0:
                raise InvalidName("A wildcard (*) is only allowed as the leftmost label.")
            continue
        if "*" in label:
            raise InvalidName("A wildcard must be a whole label (*), and only the leftmost one.")
        if not LABEL.match(label):
            raise InvalidName(
                f"The label {label!r} may use letters, digits, hyphens and underscores, "
                "and cannot start or end with a hyphen."
            )


def zone_name(text: str) -> str:
    """A zone name a customer typed -> its canonical ASCII form."""
    name = to_ascii(text)
    if name.count(".") < 2:
        raise InvalidName("Enter a domain with at least two labels, such as example.com.")
    check_labels(name, wildcard=False)
    return name


def in_zone(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def owner_name(text: str, zone: str) -> str:
    """A record's name: "@" or empty is the apex, relative names are under ZONE."""
    check_characters(text)
    text = text.strip()
    if text in ("", "@"):
        return zone
    name = to_ascii(text if text.endswith(".") else f"{text}.{zone}")
    check_labels(name, wildcard=True)
    if not in_zone(name, zone):
        raise InvalidName(f"{name} is outside the zone {zone}.")
    return name


def target_name(text: str, zone: str, *, what: str = "The target") -> str:
    """A host name a record points at (MX, NS, SRV, CNAME, PTR); never an IP literal."""
    check_characters(text)
    text = text.strip()
    if text == "@":
        return zone
    bare = text.rstrip(".")
    try:
        ipaddress.ip_address(bare)
    except ValueError:
        pass
    else:
        raise InvalidName(f"{what} must be a host name, not an IP address.")
    name = to_ascii(text if text.endswith(".") else f"{text}.{zone}")
    check_labels(name, wildcard=False)
    return name


def relative(name: str, zone: str) -> str:
    """NAME as shown on the zone page: "@" for the apex, else without the zone suffix."""
    if name == zone:
        return "@"
    if name.endswith("." + zone):
        return name[: -len(zone) - 1]
    return name


def unicode_name(ascii_name: str) -> str:
    try:
        return dns.name.from_text(ascii_name).to_unicode()
    except (dns.exception.DNSException, UnicodeError):
        return ascii_name
