"""Read the hash-pinned lock files that `make lock` writes (uv pip compile --generate-hashes)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.utils import canonicalize_name

_PIN = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)(\[[A-Za-z0-9._,-]+\])?"  # extras (make lock keeps them)
    r"==(?P<version>[^\s;\\]+)\s*(;(?P<marker>[^\\]+))?"
)
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass
class Pin:
    name: str
    version: str
    marker: Marker | None
    hashes: list[str] = field(default_factory=list)

    def applies(self, environment: dict | None = None) -> bool:
        return self.marker is None or self.marker.evaluate(environment)


def read_lock(path: Path) -> dict[str, Pin]:
    """Pins by canonical name. Raises ValueError on a line that is neither pin, hash nor comment."""
    pins: dict[str, Pin] = {}
    current: Pin | None = None
    for number, raw in enumerate(path.read_text().splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if match := _PIN.match(line):
            marker = match["marker"]
            current = Pin(
                canonicalize_name(match["name"]),
                match["version"],
                Marker(marker.strip()) if marker else None,
            )
            pins[current.name] = current
            line = line[match.end() :]
        elif current is None or not line.startswith("--hash="):
            raise ValueError(f"{path.name}:{number}: unexpected line {raw!r}")
        current.hashes.extend(_HASH.findall(line))
    return pins
