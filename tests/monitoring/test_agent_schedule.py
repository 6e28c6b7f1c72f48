"""The agent keeps collecting while a slow panel holds its send (issue 16, item 11).

The panel here is a real HTTP server on loopback that holds each request until the test
releases it: the sender thread blocks on it exactly as on an overloaded panel.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from hearth_agent.config import Config
from hearth_agent.sender import Agent

from panel.stack import free_port


class HeldPanel:
    """Answers 200 to every report, but only once `release` is set."""

    def __init__(self) -> None:
        self.port = free_port()
        self.release = threading.Event()
        self.reports: list[dict] = []
        self.arrived = 0
        self._lock = threading.Lock()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self.release.set()
        self._listener.close()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._answer, args=(client,), daemon=True).start()

    def _answer(self, client: socket.socket) -> None:
        with client:
            data = b""
            while b"\r\n\r\n" not in data:
                data += client.recv(65536)
            head, _, body = data.partition(b"\r\n\r\n")
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            while len(body) < length:
                body += client.recv(65536)
            with self._lock:
                self.arrived += 1
            self.release.wait()
            report = json.loads(body)
            with self._lock:
                self.reports.append(report)
            answer = json.dumps({"accepted": len(report["samples"])}).encode()
            client.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n"
                + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                + answer
            )

    def delivered(self) -> list[float]:
        with self._lock:
            return [s["ts"] for report in self.reports for s in report["samples"]]


def wait_until(condition, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(0.01)


@pytest.fixture
def panel():
    held = HeldPanel()
    yield held
    held.close()


def _agent(tmp_path: Path, url: str, **overrides) -> Agent:
    values = dict(
        url=url,
        interval=0.02,
        send_interval=0.02,
        timeout=60,
        buffer_dir=tmp_path / "buffer",
        buffer_max_bytes=10_000_000,
        credentials=tmp_path / "credentials.json",
        retry_max=0.01,
        key="hak_test",
        server=1,
    )
    values.update(overrides)
    return Agent(Config(**values))


def _running(agent: Agent):
    stop = threading.Event()
    thread = threading.Thread(target=agent.run, args=(stop,))
    thread.start()
    return stop, thread


def test_collection_keeps_its_schedule_while_a_send_is_held(tmp_path, panel):
    agent = _agent(tmp_path, panel.url)
    stop, thread = _running(agent)
    try:
        wait_until(lambda: panel.arrived == 1)  # the first send is now held by the panel
        held_at = agent.collected
        wait_until(lambda: agent.collected >= held_at + 25)
        assert panel.arrived == 1 and panel.reports == []  # still held: nothing answered
        panel.release.set()
        wait_until(lambda: len(panel.delivered()) >= held_at + 25)
    finally:
        panel.release.set()
        stop.set()
        thread.join(timeout=30)
    delivered = panel.delivered()
    assert len(delivered) == len(set(delivered)) == agent.collected  # each sample once
    assert agent.buffer.dropped == 0


def test_memory_and_disk_stay_bounded_and_drops_are_counted_and_reported(tmp_path, panel, caplog):
    agent = _agent(tmp_path, panel.url, buffer_max_bytes=4000)
    agent.max_pending = 5
    stop, thread = _running(agent)
    try:
        with caplog.at_level("WARNING", logger="hearth_agent"):
            wait_until(lambda: panel.arrived == 1)
            wait_until(lambda: agent.buffer.dropped >= 10)
            assert len(agent.pending) <= agent.max_pending
            on_disk = sum(path.stat().st_size for path in agent.buffer.files())
            largest = max(path.stat().st_size for path in agent.buffer.files())
            assert on_disk <= max(4000, largest)  # one batch may exceed a tiny limit alone
        assert "buffer full: dropped the oldest batch" in caplog.text
        assert "reported to the panel" in caplog.text
        panel.release.set()
        wait_until(lambda: any(report["dropped"] >= 10 for report in panel.reports))
    finally:
        panel.release.set()
        stop.set()
        thread.join(timeout=30)
    delivered = panel.delivered()
    assert len(delivered) == len(set(delivered))
    assert len(delivered) + agent.buffer.dropped == agent.collected  # nothing unaccounted
    assert max(report["dropped"] for report in panel.reports) <= agent.buffer.dropped


def test_the_log_says_what_the_agent_does(tmp_path, panel, caplog):
    agent = _agent(tmp_path, panel.url, interval=10, send_interval=30)
    stop = threading.Event()
    stop.set()
    panel.release.set()
    with caplog.at_level("INFO", logger="hearth_agent"):
        agent.run(stop)
    assert (
        f"collecting a sample every 10 s; sending them every 30 s to {panel.url} "
        "(at most 100 per request)"
    ) in caplog.text
    assert "every 1.0s" not in caplog.text
