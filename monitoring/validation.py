"""Strict validation of agent reports: shape, types, ranges, sizes and clock skew.

`parse_report(body)` returns a `Report` whose rows are ready for storage, or raises
`PayloadError` with a sentence saying what is wrong.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.utils import timezone

from monitoring.exceptions import PayloadError

MAX_INT = 2**62
_REPORT_KEYS = {"server", "interval", "agent_version", "dropped", "samples"}
_SAMPLE_KEYS = {"ts", "cpu", "memory", "disk", "network"}
_MEMORY_KEYS = ("total", "used", "available", "swap_total", "swap_used")
_INTERFACE_RATES = ("rx_bps", "tx_bps", "rx_pps", "tx_pps")


@dataclass
class Report:
    server: int
    interval: float
    dropped: int
    agent_version: str
    rows: list[dict]


def _object(value, where: str, keys: set[str], required: set[str] | None = None) -> dict:
    if not isinstance(value, dict):
        raise PayloadError(f"{where} must be an object")
    unknown = set(value) - keys
    if unknown:
        raise PayloadError(f"{where} has unknown fields: {', '.join(sorted(unknown))}")
    missing = (keys if required is None else required) - set(value)
    if missing:
        raise PayloadError(f"{where} is missing: {', '.join(sorted(missing))}")
    return value


def _number(value, where: str, *, maximum: float = MAX_INT, nullable: bool = False):
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PayloadError(f"{where} must be a number")
    if not math.isfinite(value) or value < 0 or value > maximum:
        raise PayloadError(f"{where} must be between 0 and {maximum:g}")
    return value


def _integer(value, where: str, *, nullable: bool = False):
    if value is None and nullable:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise PayloadError(f"{where} must be an integer")
    return _number(value, where)


def _percent(value, where: str, *, nullable: bool = False):
    return _number(value, where, maximum=100.0, nullable=nullable)


def _list(value, where: str, limit: int, *, nullable: bool = False):
    if value is None and nullable:
        return None
    if not isinstance(value, list):
        raise PayloadError(f"{where} must be a list")
    if len(value) > limit:
        raise PayloadError(f"{where} has more than {limit} items")
    return value


def _text(value, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value or len(value) > limit:
        raise PayloadError(f"{where} must be a text of 1 to {limit} characters")
    return value


def _timestamp(value, where: str, now: datetime) -> datetime:
    seconds = _number(value, where, maximum=1e11)
    ts = datetime.fromtimestamp(seconds, tz=UTC)
    if ts > now + timedelta(seconds=settings.MONITORING_MAX_CLOCK_SKEW_SECONDS):
        raise PayloadError(f"{where} is in the future (check the server's clock)")
    max_age = min(settings.MONITORING_MAX_SAMPLE_AGE_DAYS, settings.MONITORING_RAW_RETENTION_DAYS)
    if ts < now - timedelta(days=max_age):
        raise PayloadError(f"{where} is too old to be accepted")
    return ts


def _cpu(value, where: str) -> dict:
    cpu = _object(value, where, {"percent", "per_core", "load"})
    load = _list(cpu["load"], f"{where}.load", 3)
    if len(load) != 3:
        raise PayloadError(f"{where}.load must hold 3 load averages")
    cores = _list(cpu["per_core"], f"{where}.per_core", 4096, nullable=True)
    return {
        "cpu_percent": _percent(cpu["percent"], f"{where}.percent", nullable=True),
        "load1": _number(load[0], f"{where}.load[0]"),
        "load5": _number(load[1], f"{where}.load[1]"),
        "load15": _number(load[2], f"{where}.load[2]"),
        "per_core": [_percent(c, f"{where}.per_core[]") for c in cores] if cores else None,
    }


def _ratio(part, total) -> float | None:
    return round(100.0 * part / total, 2) if total else None


def _memory(value, where: str) -> dict:
    memory = _object(value, where, set(_MEMORY_KEYS))
    m = {key: _integer(memory[key], f"{where}.{key}") for key in _MEMORY_KEYS}
    if m["used"] > m["total"] or m["available"] > m["total"] or m["swap_used"] > m["swap_total"]:
        raise PayloadError(f"{where}: used or available exceeds total")
    return {
        "mem_total": m["total"],
        "mem_used": m["used"],
        "mem_available": m["available"],
        "mem_percent": _ratio(m["used"], m["total"]),
        "swap_total": m["swap_total"],
        "swap_used": m["swap_used"],
        "swap_percent": _ratio(m["swap_used"], m["swap_total"]) if m["swap_total"] else 0.0,
    }


def _filesystem(value, where: str) -> dict:
    fs = _object(value, where, {"mount", "total", "used", "percent"})
    return {
        "mount": _text(fs["mount"], f"{where}.mount", 255),
        "total": _integer(fs["total"], f"{where}.total"),
        "used": _integer(fs["used"], f"{where}.used"),
        "percent": _percent(fs["percent"], f"{where}.percent"),
    }


def _disk(value, where: str) -> dict:
    disk = _object(value, where, {"filesystems", "read_bps", "write_bps"})
    filesystems = [
        _filesystem(fs, f"{where}.filesystems[]")
        for fs in _list(disk["filesystems"], f"{where}.filesystems", 64)
    ]
    return {
        "filesystems": filesystems,
        "disk_percent": max((fs["percent"] for fs in filesystems), default=None),
        "disk_read_bps": _number(disk["read_bps"], f"{where}.read_bps", nullable=True),
        "disk_write_bps": _number(disk["write_bps"], f"{where}.write_bps", nullable=True),
    }


def _interface(value, where: str) -> dict:
    keys = {"name", *_INTERFACE_RATES, "errors_in", "errors_out"}
    nic = _object(value, where, keys)
    entry = {"name": _text(nic["name"], f"{where}.name", 64)}
    for key in _INTERFACE_RATES:
        entry[key] = _number(nic[key], f"{where}.{key}", nullable=True)
    for key in ("errors_in", "errors_out"):
        entry[key] = _integer(nic[key], f"{where}.{key}", nullable=True)
    return entry


def _sum(entries: list[dict], key: str):
    values = [e[key] for e in entries if e[key] is not None]
    return sum(values) if values else None


def _network(value, where: str) -> dict:
    network = _object(value, where, {"interfaces"})
    nics = [
        _interface(nic, f"{where}.interfaces[]")
        for nic in _list(network["interfaces"], f"{where}.interfaces", 64)
    ]
    errors_in, errors_out = _sum(nics, "errors_in"), _sum(nics, "errors_out")
    return {
        "interfaces": nics,
        "net_rx_bps": _sum(nics, "rx_bps"),
        "net_tx_bps": _sum(nics, "tx_bps"),
        "net_rx_pps": _sum(nics, "rx_pps"),
        "net_tx_pps": _sum(nics, "tx_pps"),
        "net_errors": None if errors_in is None else errors_in + (errors_out or 0),
    }


def parse_sample(value, index: int, server: int, now: datetime) -> dict:
    where = f"samples[{index}]"
    sample = _object(value, where, _SAMPLE_KEYS)
    row = {"server_id": server, "ts": _timestamp(sample["ts"], f"{where}.ts", now)}
    cpu = _cpu(sample["cpu"], f"{where}.cpu")
    disk = _disk(sample["disk"], f"{where}.disk")
    network = _network(sample["network"], f"{where}.network")
    row.update(cpu, **_memory(sample["memory"], f"{where}.memory"), **disk, **network)
    row["detail"] = {
        "per_core": row.pop("per_core"),
        "filesystems": row.pop("filesystems"),
        "interfaces": row.pop("interfaces"),
    }
    return row


def parse_report(body: bytes, now: datetime | None = None) -> Report:
    now = now or timezone.now()
    report = _object(load_json(body), "the report", _REPORT_KEYS, {"server", "samples"})
    server = _integer(report["server"], "server")
    samples = _list(report["samples"], "samples", settings.MONITORING_MAX_SAMPLES_PER_BATCH)
    if not samples:
        raise PayloadError("samples must not be empty")
    version = report.get("agent_version", "")
    if not isinstance(version, str) or len(version) > 32:
        raise PayloadError("agent_version must be a text of at most 32 characters")
    return Report(
        server=server,
        interval=_number(report.get("interval", 10), "interval", maximum=86400) or 10,
        dropped=_integer(report.get("dropped", 0), "dropped"),
        agent_version=version,
        rows=[parse_sample(s, i, server, now) for i, s in enumerate(samples)],
    )


MAX_JSON_DEPTH = 16  # arrays and objects inside one another; a report nests 5 deep

# A JSON text's strings (valid JSON: it parsed), and every byte that is not a bracket.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def load_json(body: bytes):
    """Parse an agent API body; every text (keys too) must be storable Unicode without NUL.

    Too deep a nesting (e.g. 50,000 `[`), NUL characters and lone surrogates (`\\ud800`) are
    refused with a PayloadError (400) instead of crashing later in parsing or storage.

    A body with no escape sequence, no NUL byte and no byte that may start an encoded
    surrogate (0xED) cannot hold such texts: only its nesting is checked, on the bytes.
    """
    try:
        data = json.loads(body, parse_constant=_reject_constant)
    except RecursionError:
        raise PayloadError("the body is nested too deeply") from None
    except ValueError:  # UnicodeDecodeError included
        raise PayloadError("the body is not valid JSON") from None
    if b"\\u" in body or b"\x00" in body or b"\xed" in body:
        _check_texts(data)
    else:
        _check_depth(body)
    return data


def _check_depth(body: bytes) -> None:
    """Nesting of a UTF-8 JSON text, from its brackets alone (strings taken out first)."""
    brackets = _STRING.sub(b"", body).translate(None, _NOT_BRACKETS)
    for _level in range(MAX_JSON_DEPTH):
        if not brackets:
            return
        brackets = brackets.replace(b"[]", b"").replace(b"{}", b"")  # the innermost level
    if brackets:
        raise PayloadError(f"the body is nested deeper than {MAX_JSON_DEPTH} levels")


def _check_texts(data) -> None:
    """Walk DATA without recursion: depth at most MAX_JSON_DEPTH, texts clean."""
    todo = [(data, 1)]
    while todo:
        value, depth = todo.pop()
        if isinstance(value, dict):
            _check_depth_of(depth)
            _check_text_list(value.keys())
            todo.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            _check_depth_of(depth)
            todo.extend((item, depth + 1) for item in value)
        elif isinstance(value, str):
            _check_text_list((value,))


def _check_depth_of(depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise PayloadError(f"the body is nested deeper than {MAX_JSON_DEPTH} levels")


def _check_text_list(texts) -> None:
    for text in texts:
        if "\x00" in text:
            raise PayloadError("texts must not contain NUL characters")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise PayloadError("texts must be valid Unicode (no lone surrogates)") from None


def _reject_constant(name: str):
    raise PayloadError(f"{name} is not a number")
