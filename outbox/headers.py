"""Values bound for an email header never carry a line break (no header injection)."""

from __future__ import annotations

import re

_BREAKS = re.compile(r"[\r\n\x00\u2028\u2029\x85\x0b\x0c]+")


def one_line(value: str) -> str:
    """Line breaks (and NUL) become single spaces; the result has no CR or LF at all."""
    return " ".join(_BREAKS.sub(" ", value).split())


def has_break(value: str) -> bool:
    return bool(_BREAKS.search(value))
