"""The agent: collectors on this machine, buffer, registration and delivery to a live panel."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest
from hearth_agent import cli
from hearth_agent.buffer import DiskBuffer
from hearth_agent.collectors import Collectors
from hearth_agent.config import Config, load, read_credentials
from hearth_agent.sender import Agent

from monitoring import services
from monitoring.models import AgentKey, Sample
from tests.monitoring.conftest import Forwarder, make_key, make_server

ROOT = Path(__file__).resolve().parents[2]


def test_collectors_report_sane_values_on_this_machine():
    collectors = Collectors()
    first = collectors.sample(time.time())
    assert first["cpu"]["percent"] is None  # no rate from a single reading
    assert first["disk"]["read_bps"] is None
    assert all(nic["rx_bps"] is None for nic in first["network"]["interfaces"])
    time.sleep(0.3)
    second = collectors.sample(time.time())

    cpu = second["cpu"]
    assert 0 <= cpu["percent"] <= 100
    assert len(cpu["per_core"]) == psutil.cpu_count()
    assert all(0 <= value <= 100 for value in cpu["per_core"])
    assert len(cpu["load"]) == 3 and all(value >= 0 for value in cpu["load"])
    memory = second["memory"]
    assert memory["total"] > 0 and 0 <= memory["used"] <= memory["total"]
    assert 0 <= memory["available"] <= memory["total"]
    assert 0 <= memory["swap_used"] <= memory["swap_total"] or memory["swap_total"] == 0
    filesystems = second["disk"]["filesystems"]
    assert filesystems and all(0 <= fs["percent"] <= 100 and fs["total"] > 0 for fs in filesystems)
    assert second["disk"]["read_bps"] >= 0 and second["disk"]["write_bps"] >= 0
    nics = second["network"]["interfaces"]
    assert "lo" not in {nic["name"] for nic in nics}
    for nic in nics:
        assert all(nic[k] >= 0 for k in ("rx_bps", "tx_bps", "rx_pps", "tx_pps"))
        assert nic["errors_in"] >= 0 and nic["errors_out"] >= 0


def test_cpu_busy_counts_guest_time_once():
    """The kernel reports VM guest time inside user time (psutil's own percent does too)."""
    from hearth_agent.collectors import _busy_percent

    times = type(psutil.cpu_times())  # this machine's field set, with guest on Linux
    before = times(*[0.0] * len(times._fields))
    after = before._replace(user=50.0, idle=50.0, guest=50.0)
    assert _busy_percent(after, before) == 50.0


class _Clock:
    """A monotonic clock the test advances by hand."""

    def __init__(self) -> None:
        self.value = 1000.0

    def __call__(self) -> float:
        return self.value


def _write_to_disk(directory: Path, size: int) -> None:
    path = directory / "written.bin"
    with path.open("wb") as handle:
        handle.write(os.urandom(size))
        handle.flush()
        os.fsync(handle.fileno())


@pytest.mark.parametrize("wall_jump", [-3600.0, 86400.0])
def test_a_wall_clock_jump_does_not_distort_rates(tmp_path, wall_jump):
    """Rates divide by the monotonic interval (10 s here), whatever the wall clock did."""
    clock = _Clock()
    collectors = Collectors(clock=clock)
    size = 4 * 1024 * 1024
    before = psutil.disk_io_counters().write_bytes
    wall = time.time()
    first = collectors.sample(wall)
    _write_to_disk(tmp_path, size)  # real I/O on this machine's disk, counted by the kernel
    clock.value += 10.0
    second = collectors.sample(wall + wall_jump)
    after = psutil.disk_io_counters().write_bytes

    assert first["ts"] == round(wall, 3) and second["ts"] == round(wall + wall_jump, 3)
    # The collector's two readings lie between ours, and at least `size` bytes went to disk
    # between them: the rate is their difference over 10 s, not over the wall-clock jump.
    assert size / 10.0 <= second["disk"]["write_bps"] <= (after - before) / 10.0


def test_buffer_keeps_order_and_drops_the_oldest_when_full(tmp_path):
    buffer = DiskBuffer(tmp_path, max_bytes=2000)
    for n in range(40):
        buffer.append([{"n": n, "pad": "x" * 50}])
    kept = [DiskBuffer.read(path)[0]["n"] for path in buffer.files()]
    assert kept == sorted(kept) and kept[-1] == 39
    assert sum(path.stat().st_size for path in buffer.files()) <= 2000
    assert buffer.dropped == 40 - len(kept) > 0
    # A new buffer on the same directory continues the numbering (order survives restarts).
    again = DiskBuffer(tmp_path, max_bytes=2000)
    again.append([{"n": 40}])
    assert DiskBuffer.read(again.files()[-1])[0]["n"] == 40


def _config(tmp_path: Path, url: str, key: str, server: int, **overrides) -> Config:
    values = dict(
        url=url,
        interval=1,
        send_interval=0,
        timeout=5,
        buffer_dir=tmp_path / "buffer",
        buffer_max_bytes=10_000_000,
        credentials=tmp_path / "credentials.json",
        retry_max=0.01,
        key=key,
        server=server,
    )
    values.update(overrides)
    return Config(**values)


@pytest.mark.django_db(transaction=True)
def test_register_saves_a_private_key_and_reports_reach_the_panel(
    live_server, tmp_path, monkeypatch
):
    server = make_server("agent1")
    _, token = services.create_enrolment_token(server, actor=None)
    credentials = tmp_path / "credentials.json"
    monkeypatch.setenv("HEARTH_AGENT_CREDENTIALS", str(credentials))
    monkeypatch.setenv("HEARTH_AGENT_CONFIG", str(tmp_path / "absent.conf"))

    assert cli.main(["register", "--url", live_server.url, "--token", token]) == 0
    assert stat.S_IMODE(credentials.stat().st_mode) == 0o600
    saved = json.loads(credentials.read_text())
    assert saved["server"] == server.pk
    stored = AgentKey.objects.get(server=server)
    assert stored.key_hash == hashlib.sha256(saved["key"].encode()).hexdigest()
    assert not AgentKey.objects.filter(key_hash=saved["key"]).exists()
    # The token was single-use.
    assert cli.main(["register", "--url", live_server.url, "--token", token]) == 1

    config = read_credentials(load())
    config.interval, config.send_interval, config.buffer_dir = 1, 0, tmp_path / "buffer"
    agent = Agent(config)
    for _ in range(3):
        agent.pending.append(agent.collectors.sample(time.time()))
        time.sleep(0.05)
    agent.flush()
    assert agent.delivered == 3 and len(agent.buffer) == 0
    assert Sample.objects.filter(server=server).count() == 3


@pytest.mark.django_db(transaction=True)
def test_panel_outage_buffers_reports_then_delivers_all_in_order(live_server, tmp_path):
    server = make_server("agent2")
    key = make_key(server)
    host, port = live_server.thread.host, live_server.thread.port
    forwarder = Forwarder((host, port))
    agent = Agent(_config(tmp_path, forwarder.url, key, server.pk))
    start = time.time() - 60
    timestamps = [start + n for n in range(30)]

    # Panel down: nothing listens on the agent's URL. Three batches go to the disk buffer.
    for batch in range(3):
        for ts in timestamps[batch * 5 : batch * 5 + 5]:
            agent.pending.append(agent.collectors.sample(ts))
        agent.flush()
    assert len(agent.buffer) == 3
    assert Sample.objects.filter(server=server).count() == 0

    # Panel back: the buffer drains oldest first, then the new batches follow.
    forwarder.start()
    try:
        for batch in range(3, 6):
            time.sleep(0.02)  # past the (tiny) retry delay
            for ts in timestamps[batch * 5 : batch * 5 + 5]:
                agent.pending.append(agent.collectors.sample(ts))
            agent.flush()
    finally:
        forwarder.stop()

    assert len(agent.buffer) == 0 and agent.buffer.dropped == 0
    assert agent.delivered == 30  # each sample delivered exactly once
    rows = list(Sample.objects.filter(server=server).order_by("received_at", "ts"))
    assert [round(r.ts.timestamp(), 3) for r in rows] == [round(ts, 3) for ts in timestamps]


@pytest.mark.django_db(transaction=True)
def test_a_refused_key_keeps_the_batch_for_a_re_registered_agent(live_server, tmp_path, caplog):
    server = make_server("agent3")
    key = make_key(server)
    services.revoke_agent_key(AgentKey.objects.get(server=server), actor=None)
    agent = Agent(_config(tmp_path, live_server.url, key, server.pk))
    agent.pending.append(agent.collectors.sample(time.time()))
    with caplog.at_level("WARNING", logger="hearth_agent"):
        agent.flush()
    assert len(agent.buffer) == 1 and agent.delivered == 0
    assert "refused the agent key (401" in caplog.text
    assert Sample.objects.filter(server=server).count() == 0
    # Re-registered (a new key): the kept samples are delivered.
    agent.config.key = make_key(server)
    time.sleep(0.02)  # past the (tiny) retry delay
    agent.drain()
    assert len(agent.buffer) == 0 and agent.delivered == 1
    assert Sample.objects.filter(server=server).count() == 1


def _with_interface_name(sample: dict, name: str) -> dict:
    sample["network"]["interfaces"] = [
        {"name": name, "rx_bps": 0, "tx_bps": 0, "rx_pps": 0, "tx_pps": 0}
        | {"errors_in": 0, "errors_out": 0}
    ]
    return sample


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["eth\udcff", "eth\x000"], ids=["lone-surrogate", "nul"])
def test_a_report_the_panel_rejects_as_invalid_is_dropped_and_logged(
    live_server, tmp_path, caplog, name
):
    """An interface name psutil decoded with surrogateescape, or with a NUL: 400, dropped."""
    server = make_server("agent5")
    agent = Agent(_config(tmp_path, live_server.url, make_key(server), server.pk))
    agent.pending.append(_with_interface_name(agent.collectors.sample(time.time() - 5), name))
    with caplog.at_level("WARNING", logger="hearth_agent"):
        agent.flush()
    assert len(agent.buffer) == 0 and agent.delivered == 0
    assert "rejected a report of 1 samples as invalid (400" in caplog.text
    assert "dropped, not retried" in caplog.text
    # The dropped report does not block the next ones.
    agent.pending.append(agent.collectors.sample(time.time()))
    agent.flush()
    assert agent.delivered == 1 and len(agent.buffer) == 0
    assert Sample.objects.filter(server=server).count() == 1


@pytest.mark.django_db(transaction=True)
def test_sigterm_sends_pending_samples_and_exits_cleanly(live_server, tmp_path):
    server = make_server("agent4")
    key = make_key(server)
    credentials = tmp_path / "credentials.json"
    credentials.write_text(json.dumps({"url": live_server.url, "server": server.pk, "key": key}))
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT / "agent"),
        HEARTH_AGENT_CONFIG=str(tmp_path / "absent.conf"),
        HEARTH_AGENT_CREDENTIALS=str(credentials),
        HEARTH_AGENT_BUFFER_DIR=str(tmp_path / "buffer"),
        HEARTH_AGENT_INTERVAL="0.2",
        HEARTH_AGENT_SEND_INTERVAL="3600",  # nothing is sent before SIGTERM
    )
    process = subprocess.Popen([sys.executable, "-m", "hearth_agent", "run"], env=env)
    time.sleep(1.5)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert Sample.objects.filter(server=server).count() >= 3
    assert not list((tmp_path / "buffer").glob("*.batch"))


def test_run_refuses_missing_or_damaged_credentials(tmp_path, monkeypatch, capsys):
    credentials = tmp_path / "credentials.json"
    monkeypatch.setenv("HEARTH_AGENT_CONFIG", str(tmp_path / "absent.conf"))
    monkeypatch.setenv("HEARTH_AGENT_CREDENTIALS", str(credentials))
    assert cli.main(["run"]) == 2
    assert "register" in capsys.readouterr().err
    credentials.write_text("{not json")
    assert cli.main(["run"]) == 2
    assert "damaged" in capsys.readouterr().err


def test_config_file_is_overridden_by_environment(tmp_path, monkeypatch):
    conf = tmp_path / "agent.conf"
    conf.write_text("[agent]\nurl = http://panel.test\ninterval = 30\nbuffer_dir = /x\n")
    monkeypatch.setenv("HEARTH_AGENT_INTERVAL", "5")
    config = load(str(conf))
    assert config.url == "http://panel.test" and config.interval == 5
    assert config.buffer_dir == Path("/x") and config.send_interval == 30  # the default


def _unit_options(path: Path) -> dict[str, list[str]]:
    options: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            options.setdefault(key.strip(), []).append(value.strip())
    return options


def test_the_systemd_unit_runs_unprivileged_restarts_and_is_hardened():
    from hearth_agent import config

    unit = _unit_options(ROOT / "agent" / "hearth-agent.service")
    assert unit["User"] == ["hearth-agent"] and unit["Group"] == ["hearth-agent"]
    # The README installs the agent into its own virtualenv there (PEP 668 systems).
    assert unit["ExecStart"] == ["/opt/hearth-agent/bin/hearth-agent run"]
    assert "/opt/hearth-agent/bin/pip install ./agent" in (ROOT / "agent/README.md").read_text()
    assert unit["Restart"] == ["on-failure"] and unit["KillSignal"] == ["SIGTERM"]
    # The agent's defaults live where systemd makes them: config and a private state dir.
    assert unit["Environment"] == [f"HEARTH_AGENT_CONFIG={config.DEFAULT_CONFIG}"]
    assert unit["StateDirectory"] == [Path(config.DEFAULT_STATE).name]
    hardening = {
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "ProtectSystem": "strict",
        "ProtectHome": "read-only",
        "PrivateTmp": "yes",
        "PrivateDevices": "yes",
        "ProtectKernelTunables": "yes",
        "ProtectKernelModules": "yes",
        "ProtectControlGroups": "yes",
        "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX",
        "RestrictNamespaces": "yes",
        "RestrictSUIDSGID": "yes",
        "MemoryDenyWriteExecute": "yes",
        "UMask": "0077",
    }
    assert {key: unit.get(key, [None])[0] for key in hardening} == hardening
    assert "@system-service" in unit["SystemCallFilter"]
