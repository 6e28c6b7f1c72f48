"""BIND zone files in and out: parsed entry by entry with dnspython, so each error has its line.

Directives: $ORIGIN and $TTL; parentheses may span lines; `;` starts a comment. The SOA is
the server's business and is skipped; a file without apex NS records keeps the zone's own.
"""

from __future__ import annotations

import re

import dns.exception
import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import dns.tokenizer

from provisioning.dns import names
from provisioning.dns.content import ContentError, canonical
from provisioning.dns.validation import TYPES, Issue, RecordInput

CLASSES = {"IN", "CH", "HS", "CS"}


def _scan(line: str) -> tuple[str, int]:
    """LINE without its comment, parentheses outside quotes made blanks, and how much they
    nest (+/-). Inside a quoted string everything is kept: `;`, `(`, `)` and every blank."""
    kept, depth, quoted, escaped = [], 0, False, False
    for char in line:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif not quoted and char == ";":
            break
        elif not quoted and char in "()":
            depth += 1 if char == "(" else -1
            char = " "
        kept.append(char)
    return "".join(kept), depth


def entries(text: str) -> list[tuple[int, str, bool]]:
    """(first line number, logical line, starts with blank) with parentheses joined.

    Lines end at LF (CRLF too); a CR or any other control character left inside a line is
    refused by `parse` with its line, where splitting there would make a line of its own.
    """
    found, buffer, start, depth, indented = [], [], 0, 0, False
    for number, raw in enumerate(text.split("\n"), start=1):
        line, nesting = _scan(raw.removesuffix("\r"))
        if not buffer:
            if not line.strip():
                continue
            start, indented = number, line[:1] in (" ", "\t")
        depth += nesting
        buffer.append(line)
        if depth <= 0:
            found.append((start, " ".join(buffer).strip(), indented))
            buffer, depth = [], 0
    if buffer:
        found.append((start, " ".join(buffer).strip(), indented))
    return found


def _friendly(rdata) -> str:
    rtype = dns.rdatatype.to_text(rdata.rdtype)
    if rtype == "TXT":
        return b"".join(rdata.strings).decode("latin-1")
    if rtype == "CAA":
        return f"{rdata.flags} {rdata.tag.decode('latin-1')} {rdata.value.decode('latin-1')}"
    return rdata.to_text()


def parse(text: str, zone: str) -> tuple[list[RecordInput], list[Issue]]:
    """The records of a zone file as RecordInputs (validate them next), and parse errors."""
    origin = dns.name.from_text(zone)
    default_ttl: int | None = None
    owner = zone
    inputs: list[RecordInput] = []
    issues: list[Issue] = []
    for line, entry, indented in entries(text):
        control = names.control_character(entry)
        if control:
            issues.append(Issue(len(inputs), "", f"It contains {control}.", line))
            continue
        words = list(re.finditer(r"\S+", entry))  # where each word starts and ends
        tokens = [word.group() for word in words]
        head = tokens[0].upper()
        if head == "$ORIGIN" and len(tokens) == 2:
            try:
                origin = dns.name.from_text(tokens[1], origin)
            except (dns.exception.DNSException, ValueError):
                issues.append(Issue(len(inputs), "name", f"{tokens[1]} is not a valid name.", line))
            continue
        if head == "$TTL" and len(tokens) == 2 and tokens[1].isdigit():
            default_ttl = int(tokens[1])
            continue
        if head.startswith("$"):
            issues.append(
                Issue(len(inputs), "", f"The directive {tokens[0]} is not supported.", line)
            )
            continue
        if not indented:
            owner = tokens.pop(0)
            words.pop(0)
            try:
                owner = zone if owner == "@" else dns.name.from_text(owner, origin).to_text()
            except (dns.exception.DNSException, ValueError):  # e.g. not valid in IDNA
                issues.append(Issue(len(inputs), "name", f"{owner} is not a valid name.", line))
                continue
        ttl, rtype, position = _ttl_type(tokens, default_ttl)
        # The data as written after the type: blanks inside quoted strings stay as they are.
        rest = entry[words[position].end() :].strip() if rtype else ""
        if rtype is None:
            issues.append(Issue(len(inputs), "type", "No record type found.", line))
            continue
        if rtype == "SOA":
            continue
        if rtype not in TYPES:
            issues.append(
                Issue(len(inputs), "type", f"Record type {rtype} is not supported here.", line)
            )
            continue
        try:
            rdata = dns.rdata.from_text(
                dns.rdataclass.IN, rtype, rest, origin=origin, relativize=False
            )
        except (dns.exception.DNSException, ValueError) as exc:
            issues.append(Issue(len(inputs), "value", _explain(rtype, rest, zone, exc), line))
            continue
        inputs.append(RecordInput(owner, rtype, ttl, _friendly(rdata), line))
    return inputs, issues


def _explain(rtype: str, text: str, zone: str, exc: Exception) -> str:
    """Our own validator's words for a value dnspython could not parse, if it has some."""
    try:
        canonical(rtype, text, zone)
    except (ContentError, names.InvalidName) as reason:
        return f"{rtype} value: {reason}"
    return f"{rtype} value: {exc}"


def _ttl_type(tokens: list[str], default_ttl: int | None):
    """TTL, type and the type's position among TOKENS (after the owner): `[ttl] [class] type`
    in either order. The type is None when there is none."""
    ttl = default_ttl
    for position, token in enumerate(tokens):
        word = token.upper()
        if word.isdigit():
            ttl = int(word)
        elif word not in CLASSES:
            return ttl, word, position
    return ttl, None, len(tokens)


def export(zone: str, records: list[tuple]) -> str:
    """A BIND zone file of RECORDS (no SOA: the server makes it)."""
    lines = [
        f"; {names.unicode_name(zone)} exported by Hearth (the SOA is managed by the server)",
        f"$ORIGIN {zone}",
    ]
    for name, rtype, ttl, content in sorted(records):
        lines.append(f"{name} {ttl} IN {rtype} {content}")
    return "\n".join(lines) + "\n"
