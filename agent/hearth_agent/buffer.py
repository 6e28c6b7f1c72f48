"""A bounded on-disk queue of batches: one file per batch, named by a sequence number.

Files are written atomically (temporary name, then rename) and deleted only once the panel
has accepted them, so delivery is in order and nothing is sent twice by the agent (the panel
also ignores a sample it already has). When the buffer exceeds its size, the oldest batches
are dropped and their samples added to a persistent counter.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path

logger = logging.getLogger("hearth_agent.buffer")

_SUFFIX = ".batch"
_COUNTER = "dropped.count"


class DiskBuffer:
    def __init__(self, directory: Path, max_bytes: int) -> None:
        self.directory = directory
        self.max_bytes = max_bytes
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        files = self.files()
        self._next = int(files[-1].stem) + 1 if files else 1
        self._lock = threading.Lock()  # the collector spills while the sender drains
        self._in_flight: Path | None = None  # being sent: never dropped meanwhile

    def files(self) -> list[Path]:
        return sorted(self.directory.glob(f"*{_SUFFIX}"))

    def __len__(self) -> int:
        return len(self.files())

    @property
    def dropped(self) -> int:
        try:
            return int((self.directory / _COUNTER).read_text())
        except (FileNotFoundError, ValueError):
            return 0

    def append(self, samples: list[dict]) -> Path:
        with self._lock:
            path = self.directory / f"{self._next:012d}{_SUFFIX}"
            self._next += 1
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(json.dumps(samples, separators=(",", ":")).encode())
            os.replace(tmp, path)
            self._enforce_limit()
        return path

    @staticmethod
    def read(path: Path) -> list[dict]:
        """A batch's samples; none if it was dropped meanwhile (the buffer overflowed)."""
        try:
            return json.loads(path.read_bytes())
        except FileNotFoundError:
            return []

    def claim(self, path: Path) -> list[dict]:
        """Read a batch about to be sent; it is not dropped until `settle` (no double count)."""
        with self._lock:
            self._in_flight = path
            return self.read(path)

    def settle(self, *, sent: bool) -> None:
        """The claimed batch was sent (deleted) or must wait (kept, droppable again)."""
        with self._lock:
            if sent and self._in_flight is not None:
                self.remove(self._in_flight)
            self._in_flight = None

    @staticmethod
    def remove(path: Path) -> None:
        path.unlink(missing_ok=True)

    def _enforce_limit(self) -> None:
        files = [path for path in self.files() if path != self._in_flight]
        sizes = {path: path.stat().st_size for path in files}
        total = sum(sizes.values())
        while total > self.max_bytes and len(files) > 1:
            oldest = files.pop(0)
            lost = len(self.read(oldest))
            self.remove(oldest)
            total -= sizes[oldest]
            self._count_dropped(lost)
            logger.warning(
                "buffer full: dropped the oldest batch (%d samples; %d dropped so far, "
                "reported to the panel)",
                lost,
                self.dropped,
            )

    def _count_dropped(self, samples: int) -> None:
        counter = self.directory / _COUNTER
        tmp = counter.with_suffix(".tmp")
        tmp.write_text(str(self.dropped + samples))
        os.replace(tmp, counter)
