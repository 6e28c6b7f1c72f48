"""Every check on what people type for mail, in one place (forms, services and the API).

Local parts are ASCII only: letters, digits, dot, hyphen and underscore (stored lower
case). Unicode local parts (RFC 6531, SMTPUTF8) are refused: the mail database, many
clients and remote servers do not handle them, and look-alike characters invite spoofing.
Destinations of aliases may be external addresses and may also carry `+`.
Domains may be Unicode; they are stored as IDNA (A-labels).
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError

from provisioning.dns import names as dns_names
from security.validators import max_password_length

MAX_LOCAL_PART = 64  # bytes (RFC 5321 4.5.3.1.1)
MAX_ADDRESS = 254  # bytes of a forward-path (RFC 5321 4.5.3.1.3 less the brackets)
FORBIDDEN = {"\r": "a carriage return", "\n": "a line break", "\x00": "a NUL character"}
_LOCAL = re.compile(r"[a-z0-9._-]+")
_DESTINATION_LOCAL = re.compile(r"[a-z0-9._+=-]+")
_SELECTOR = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


class InvalidMailName(ValueError):
    """The message says what is wrong, for a form error."""


def check_text(value: str, what: str = "The value") -> str:
    """CR, LF and NUL would inject into maps, sieve scripts and headers: refused anywhere."""
    for char, name in FORBIDDEN.items():
        if char in value:
            raise InvalidMailName(f"{what} contains {name}.")
    return value


def local_part(text: str, *, destination: bool = False) -> str:
    check_text(text, "The address")
    value = text.lower()
    if not value:
        raise InvalidMailName("Enter the part before the @.")
    if any(char.isspace() for char in value):
        raise InvalidMailName("An address cannot contain spaces.")
    if '"' in value or "'" in value:
        raise InvalidMailName("Quotes are not accepted in addresses.")
    if value.startswith(".") or value.endswith("."):
        raise InvalidMailName("The part before the @ cannot start or end with a dot.")
    if ".." in value:
        raise InvalidMailName("The part before the @ cannot contain two dots in a row.")
    if len(value.encode()) > MAX_LOCAL_PART:
        raise InvalidMailName(f"The part before the @ is longer than {MAX_LOCAL_PART} bytes.")
    if not value.isascii():
        raise InvalidMailName("Use ASCII letters only before the @ (no accented letters).")
    pattern = _DESTINATION_LOCAL if destination else _LOCAL
    if not pattern.fullmatch(value):
        allowed = "letters, digits, dots, hyphens and underscores"
        raise InvalidMailName(f"Use only {allowed} before the @.")
    return value


def domain_name(text: str) -> str:
    """A mail domain as typed -> ASCII, lower case, no trailing dot."""
    check_text(text, "The domain")
    try:
        ascii_name = dns_names.to_ascii(text)
    except dns_names.InvalidName as exc:
        raise InvalidMailName(f"Domain: {exc}") from None
    try:
        dns_names.check_labels(ascii_name, wildcard=False)
    except dns_names.InvalidName as exc:
        raise InvalidMailName(f"Domain: {exc}") from None
    name = ascii_name.rstrip(".")
    if "." not in name:
        raise InvalidMailName("Enter a full domain name, such as example.com.")
    return name


def address(text: str, *, destination: bool = False) -> str:
    """user@domain -> (checked, lower case, IDNA domain) 'user@domain'."""
    check_text(text, "The address")
    text = text.strip()
    local, at, domain = text.rpartition("@")
    if not at or not domain:
        raise InvalidMailName(f"{text[:60] or '(empty)'} is not an email address.")
    full = f"{local_part(local, destination=destination)}@{domain_name(domain)}"
    if len(full.encode()) > MAX_ADDRESS:
        raise InvalidMailName(f"An address is at most {MAX_ADDRESS} bytes long.")
    return full


def destinations(text: str | list[str]) -> list[str]:
    """Addresses separated by commas, spaces or lines (or a list); unique, in order."""
    if isinstance(text, str):
        if "\x00" in text:
            raise InvalidMailName("The destinations contain a NUL character.")
        items = re.split(r"[,\s]+", text)  # a line break only separates addresses here
    else:
        items = text
    result: list[str] = []
    for item in items:
        if not isinstance(item, str):
            raise InvalidMailName("Each destination must be an email address.")
        if item.strip() == "":
            continue
        value = address(item, destination=True)
        if value not in result:
            result.append(value)
    if not result:
        raise InvalidMailName("Enter at least one destination address.")
    limit = settings.MAIL_ALIAS_MAX_DESTINATIONS
    if len(result) > limit:
        raise InvalidMailName(f"An alias may forward to at most {limit} addresses.")
    return result


def password(plain: str, user=None) -> str:
    """A mailbox password: printable ASCII, within the cap, and strong enough."""
    if len(plain) > max_password_length():
        raise InvalidMailName(f"Passwords are at most {max_password_length()} characters long.")
    check_text(plain, "The password")
    if not all(33 <= ord(char) <= 126 for char in plain):
        raise InvalidMailName(
            "Use printable ASCII characters only (letters, digits, punctuation; no spaces)."
        )
    try:
        password_validation.validate_password(plain, user)
    except ValidationError as exc:
        raise InvalidMailName(" ".join(exc.messages)) from None
    return plain


def selector(text: str) -> str:
    if not _SELECTOR.fullmatch(text):
        raise InvalidMailName("A DKIM selector is letters, digits and hyphens.")
    return text


def single_line(text: str, what: str, max_length: int) -> str:
    check_text(text, what)
    if len(text) > max_length:
        raise InvalidMailName(f"{what} is longer than {max_length} characters.")
    return text


def body_text(text: str, what: str, max_length: int) -> str:
    """Multi-line text (an auto-reply body): line breaks allowed, NUL not."""
    if "\x00" in text:
        raise InvalidMailName(f"{what} contains a NUL character.")
    if len(text) > max_length:
        raise InvalidMailName(f"{what} is longer than {max_length} characters.")
    return text.replace("\r\n", "\n").replace("\r", "\n")
