"""Every limit of agent validation, just below, at and just above it (issue 10, item 20).

Each case builds a report with one value set and says whether the panel must accept it.
The clock is fixed (`parse_report(body, now=...)`), so time limits are tested to the second.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.conf import settings

from monitoring.exceptions import PayloadError
from monitoring.validation import MAX_INT, MAX_JSON_DEPTH, load_json, parse_report
from tests.monitoring.conftest import sample

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
SKEW = timedelta(seconds=300)  # MONITORING_MAX_CLOCK_SKEW_SECONDS (the default)
MAX_AGE = timedelta(days=7)  # MONITORING_MAX_SAMPLE_AGE_DAYS


def _report(samples=None, **fields) -> dict:
    body = {"server": 1, "interval": 10, "samples": samples or [sample(NOW.timestamp() - 5)]}
    body.update(fields)
    return body


def _with(path, value):
    def build():
        body = _report()
        target = body["samples"][0]
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value
        return body

    return build


def _fs(percent=40.0, mount="/", used=40):
    return {"mount": mount, "total": MAX_INT, "used": used, "percent": percent}


def _nic(name="eth0"):
    keys = ("rx_bps", "tx_bps", "rx_pps", "tx_pps", "errors_in", "errors_out")
    return {"name": name, **dict.fromkeys(keys, 0)}


def _ts(delta: timedelta):
    return lambda: _report([sample((NOW + delta).timestamp())])


def _memory_total(total: int):
    return _with(("memory",), {**sample(0)["memory"], "total": total})


def _limits():
    """(limit, value builder) → cases just below, at and just above the limit."""
    second = timedelta(seconds=1)
    return {
        "cpu percent": lambda v: _with(("cpu", "percent"), v),
        "per-core cpu percent": lambda v: _with(("cpu", "per_core"), [10.0, v]),
        "filesystem percent": lambda v: _with(("disk", "filesystems"), [_fs(percent=v)]),
        "per-core list": lambda n: _with(("cpu", "per_core"), [1.0] * n),
        "filesystems": lambda n: _with(
            ("disk", "filesystems"), [_fs(mount=f"/m{i}") for i in range(n)]
        ),
        "interfaces": lambda n: _with(("network", "interfaces"), [_nic(f"e{i}") for i in range(n)]),
        "mount length": lambda n: _with(("disk", "filesystems"), [_fs(mount="/" * n)]),
        "interface name length": lambda n: _with(("network", "interfaces"), [_nic("e" * n)]),
        "samples per report": lambda n: (
            lambda: _report([sample(NOW.timestamp() - 5 - i) for i in range(n)])
        ),
        "agent version length": lambda n: lambda: _report(agent_version="v" * n),
        "interval": lambda v: lambda: _report(interval=v),
        "integers": _memory_total,
        "clock skew ahead": lambda s: _ts(SKEW + s * second),
        "sample age": lambda s: _ts(-MAX_AGE - s * second),
    }


# limit: (just below, at, just above); the value at the limit is accepted, above is refused.
CASES = {
    "cpu percent": (99.99, 100.0, 100.01),
    "per-core cpu percent": (99.99, 100.0, 100.01),
    "filesystem percent": (99.99, 100.0, 100.01),
    "per-core list": (4095, 4096, 4097),
    "filesystems": (63, 64, 65),
    "interfaces": (63, 64, 65),
    "mount length": (254, 255, 256),
    "interface name length": (63, 64, 65),
    "samples per report": (499, 500, 501),
    "agent version length": (31, 32, 33),
    "interval": (86399, 86400, 86401),
    "integers": (MAX_INT - 1, MAX_INT, MAX_INT + 1),
    "clock skew ahead": (-1, 0, 1),
    "sample age": (-1, 0, 1),
}
PARAMS = [
    pytest.param(limit, value, position < 2, id=f"{limit}-{('below', 'at', 'above')[position]}")
    for limit, values in CASES.items()
    for position, value in enumerate(values)
]


def test_the_cases_cover_the_configured_limits():
    assert settings.MONITORING_MAX_SAMPLES_PER_BATCH == CASES["samples per report"][1]
    assert settings.MONITORING_MAX_CLOCK_SKEW_SECONDS == SKEW.total_seconds()
    assert settings.MONITORING_MAX_SAMPLE_AGE_DAYS == MAX_AGE.days
    assert settings.MONITORING_RAW_RETENTION_DAYS >= MAX_AGE.days


@pytest.mark.parametrize(("limit", "value", "accepted"), PARAMS)
def test_each_limit_accepts_up_to_it_and_refuses_beyond(limit, value, accepted):
    body = json.dumps(_limits()[limit](value)()).encode()
    if accepted:
        assert parse_report(body, now=NOW).rows
    else:
        with pytest.raises(PayloadError):
            parse_report(body, now=NOW)


@pytest.mark.parametrize(
    ("depth", "accepted"),
    [(MAX_JSON_DEPTH - 1, True), (MAX_JSON_DEPTH, True), (MAX_JSON_DEPTH + 1, False)],
)
def test_json_nesting_limit(depth, accepted):
    body = ("[" * depth + "]" * depth).encode()
    if accepted:
        load_json(body)
    else:
        with pytest.raises(PayloadError, match="nested deeper"):
            load_json(body)


def test_per_core_and_filesystem_percent_above_100_name_the_field():
    with pytest.raises(PayloadError, match=r"per_core\[\] must be between 0 and 100"):
        parse_report(json.dumps(_with(("cpu", "per_core"), [101.0])()).encode(), now=NOW)
    fs = _with(("disk", "filesystems"), [_fs(percent=100.5)])()
    with pytest.raises(PayloadError, match=r"filesystems\[\]\.percent must be between 0 and 100"):
        parse_report(json.dumps(fs).encode(), now=NOW)
