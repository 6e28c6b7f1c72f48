"""The four collectors. Each keeps its previous reading; rates appear from the second reading on.

A collector's `collect(tick)` returns a JSON-ready dict. Rates (CPU %, bytes/s, packets/s) are
computed between two readings, so the first call reports them as None rather than garbage.
`tick` is a monotonic clock reading (`time.monotonic()`): the interval between two readings
must not follow the wall clock, which NTP or an administrator can step (a jump back made every
rate 0, a jump ahead diluted them). The sample's own timestamp stays wall-clock time.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

import psutil

# Filesystems that are not real storage even when psutil lists them.
_SKIP_FSTYPES = {"squashfs", "iso9660", "tmpfs", "devtmpfs", "overlay", "nsfs", "tracefs"}
# Containers' virtual interfaces (one per container) would crowd out the real ones.
_SKIP_NIC_PREFIXES = ("veth", "cali", "flannel", "cni", "docker")
# The panel accepts at most this many filesystems and interfaces per sample.
MAX_ENTRIES = 64


def _rate(current: float, previous: float, seconds: float) -> float:
    # Counters can reset (reboot, interface re-created): never report a negative rate.
    return max(0.0, (current - previous) / seconds) if seconds > 0 else 0.0


def _total(times) -> float:
    # Linux counts guest (VM) time inside user, and guest_nice inside nice: count it once.
    return sum(times) - getattr(times, "guest", 0.0) - getattr(times, "guest_nice", 0.0)


def _busy_percent(now, before) -> float:
    total = _total(now) - _total(before)
    idle = (now.idle + getattr(now, "iowait", 0.0)) - (before.idle + getattr(before, "iowait", 0.0))
    if total <= 0:
        return 0.0
    return round(min(100.0, max(0.0, 100.0 * (total - idle) / total)), 2)


class CpuCollector:
    def __init__(self) -> None:
        self._previous = None

    def collect(self, tick: float) -> dict:
        cores = psutil.cpu_times(percpu=True)
        previous, self._previous = self._previous, cores
        percent = per_core = None
        if previous is not None and len(previous) == len(cores):
            per_core = [_busy_percent(c, p) for c, p in zip(cores, previous, strict=True)]
            percent = round(sum(per_core) / len(per_core), 2)
        return {"percent": percent, "per_core": per_core, "load": list(os.getloadavg())}


class MemoryCollector:
    def collect(self, tick: float) -> dict:
        memory = psutil.virtual_memory()
        swap = psutil.swap_memory()
        return {
            "total": memory.total,
            "used": memory.total - memory.available,
            "available": memory.available,
            "swap_total": swap.total,
            "swap_used": swap.used,
        }


def _real_mounts() -> list:
    seen, mounts = set(), []
    for part in psutil.disk_partitions(all=False):
        if part.fstype in _SKIP_FSTYPES or part.device in seen:
            continue
        seen.add(part.device)
        if len(part.mountpoint) <= 255:
            mounts.append(part.mountpoint)
    return mounts[:MAX_ENTRIES] or ["/"]


class DiskCollector:
    def __init__(self) -> None:
        self._previous = None  # (tick, read_bytes, write_bytes)

    def collect(self, tick: float) -> dict:
        filesystems = []
        for mount in _real_mounts():
            try:
                usage = psutil.disk_usage(mount)
            except OSError:
                continue
            filesystems.append(
                {"mount": mount, "total": usage.total, "used": usage.used, "percent": usage.percent}
            )
        io = psutil.disk_io_counters(perdisk=False)
        reading = (tick, io.read_bytes, io.write_bytes) if io is not None else None
        previous, self._previous = self._previous, reading
        read_bps = write_bps = None
        if previous is not None and reading is not None:
            seconds = tick - previous[0]
            read_bps = round(_rate(reading[1], previous[1], seconds), 1)
            write_bps = round(_rate(reading[2], previous[2], seconds), 1)
        return {"filesystems": filesystems, "read_bps": read_bps, "write_bps": write_bps}


class NetworkCollector:
    def __init__(self) -> None:
        self._previous: dict = {}
        self._previous_tick: float | None = None
        self._skip: dict[str, bool] = {}

    def _skipped(self, name: str) -> bool:
        """Loopback, and containers' virtual interfaces: not reported."""
        if name not in self._skip:
            stats = psutil.net_if_stats().get(name)
            flags = getattr(stats, "flags", "") if stats is not None else ""
            self._skip[name] = (
                name == "lo" or "loopback" in flags or name.startswith(_SKIP_NIC_PREFIXES)
            )
        return self._skip[name]

    def collect(self, tick: float) -> dict:
        counters = {
            name: c
            for name, c in psutil.net_io_counters(pernic=True).items()
            if not self._skipped(name)
        }
        seconds = tick - self._previous_tick if self._previous_tick is not None else None
        interfaces = [
            self._interface(name, c, self._previous.get(name), seconds)
            for name, c in sorted(counters.items())[:MAX_ENTRIES]
        ]
        self._previous, self._previous_tick = counters, tick
        return {"interfaces": interfaces}

    @staticmethod
    def _interface(name: str, c, before, seconds: float | None) -> dict:
        entry = {
            "name": name,
            "rx_bps": None,
            "tx_bps": None,
            "rx_pps": None,
            "tx_pps": None,
            "errors_in": None,
            "errors_out": None,
        }
        if before is None or not seconds:
            return entry
        entry.update(
            rx_bps=round(_rate(c.bytes_recv, before.bytes_recv, seconds), 1),
            tx_bps=round(_rate(c.bytes_sent, before.bytes_sent, seconds), 1),
            rx_pps=round(_rate(c.packets_recv, before.packets_recv, seconds), 1),
            tx_pps=round(_rate(c.packets_sent, before.packets_sent, seconds), 1),
            errors_in=max(0, c.errin - before.errin),
            errors_out=max(0, c.errout - before.errout),
        )
        return entry


class Collectors:
    """All four collectors; `sample(now)` is one report's worth of figures.

    `now` (wall-clock seconds) is the sample's timestamp; rates use `clock` (monotonic).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.cpu = CpuCollector()
        self.memory = MemoryCollector()
        self.disk = DiskCollector()
        self.network = NetworkCollector()

    def sample(self, now: float) -> dict:
        tick = self._clock()
        return {
            "ts": round(now, 3),
            "cpu": self.cpu.collect(tick),
            "memory": self.memory.collect(tick),
            "disk": self.disk.collect(tick),
            "network": self.network.collect(tick),
        }
