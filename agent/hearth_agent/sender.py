"""The agent: collect on schedule, send on a thread of its own, buffer what cannot be sent.

Collection (the main thread) keeps its schedule whatever the network does: a panel that
answers slowly, or not at all, holds only the sender thread. Samples wait in memory, at
most `MAX_PENDING` of them; beyond that the oldest go to the disk buffer, which is bounded
too (its oldest batches are dropped, counted in the log and in every later report's
`dropped`). Samples may therefore reach the panel out of order; the panel stores them by
timestamp and keeps the newest as the server's state.
"""

from __future__ import annotations

import logging
import threading
import time

from hearth_agent import __version__
from hearth_agent.buffer import DiskBuffer
from hearth_agent.collectors import Collectors
from hearth_agent.config import Config
from hearth_agent.transport import Transport

logger = logging.getLogger("hearth_agent")

MAX_BATCH = 100  # samples per request; the panel accepts up to 500
DRAIN_PER_FLUSH = 50  # buffered batches sent per flush, so new samples are not held back
MAX_PENDING = 10 * MAX_BATCH  # samples kept in memory while a send is under way


class Agent:
    def __init__(self, config: Config, *, collectors: Collectors | None = None) -> None:
        self.config = config
        self.collectors = collectors or Collectors()
        self.transport = Transport(config.url, config.timeout)
        self.buffer = DiskBuffer(config.buffer_dir, config.buffer_max_bytes)
        self.pending: list[dict] = []
        self.max_pending = MAX_PENDING
        self.collected = 0
        self.delivered = 0
        self._lock = threading.Lock()  # guards pending
        self._retry_at = 0.0
        self._base_delay = min(1.0, config.retry_max)
        self._retry_delay = self._base_delay

    # --- delivery -------------------------------------------------------------------
    def _send(self, samples: list[dict]) -> str:
        """'ok', 'rejected' (an invalid report: logged and dropped) or 'retry' (kept)."""
        payload = {
            "server": self.config.server,
            "interval": max(self.config.interval, self.config.send_interval),
            "agent_version": __version__,
            "dropped": self.buffer.dropped,
            "samples": samples,
        }
        response = self.transport.post("/metrics", payload, key=self.config.key)
        if response.ok:
            self.delivered += len(samples)
            self._retry_delay = self._base_delay
            return "ok"
        if response.invalid:
            logger.error(
                "panel rejected a report of %d samples as invalid (%s: %s): dropped, not retried",
                len(samples),
                response.status,
                response.body.get("error", ""),
            )
            return "rejected"
        self._retry_at = time.monotonic() + self._retry_delay
        self._retry_delay = min(self.config.retry_max, self._retry_delay * 2)
        if response.status in (401, 403):
            logger.error(
                "panel refused the agent key (%s: %s): keeping %d samples; re-register the agent",
                response.status,
                response.body.get("error", ""),
                len(samples),
            )
        else:
            logger.warning(
                "panel unavailable (%s): keeping %d samples",
                response.status or response.body.get("error"),
                len(samples),
            )
        return "retry"

    def _can_try(self) -> bool:
        return time.monotonic() >= self._retry_at

    def drain(self) -> None:
        """Send buffered batches oldest first; stop at the first one that must wait."""
        for path in self.buffer.files()[:DRAIN_PER_FLUSH]:
            if not self._can_try():
                return
            samples = self.buffer.claim(path)
            sent = not samples or self._send(samples) != "retry"
            self.buffer.settle(sent=sent)
            if not sent:
                return

    def add(self, sample: dict) -> None:
        """Queue a sample; past `max_pending` the oldest batch moves to the disk buffer."""
        with self._lock:
            self.pending.append(sample)
            self.collected += 1
            spill = []
            if len(self.pending) > self.max_pending:
                spill, self.pending = self.pending[:MAX_BATCH], self.pending[MAX_BATCH:]
        if spill:
            self.buffer.append(spill)

    def flush(self) -> None:
        with self._lock:
            pending, self.pending = self.pending, []
        batches = [pending[i : i + MAX_BATCH] for i in range(0, len(pending), MAX_BATCH)]
        for batch in batches:
            direct = len(self.buffer) == 0 and self._can_try()
            if not direct or self._send(batch) == "retry":
                self.buffer.append(batch)
        self.drain()

    # --- loop -----------------------------------------------------------------------
    def describe(self) -> str:
        config = self.config
        every = max(config.send_interval, config.interval)
        return (
            f"collecting a sample every {config.interval:g} s; sending them every {every:g} s "
            f"to {config.url} (at most {MAX_BATCH} per request); "
            f"buffering up to {config.buffer_max_bytes} bytes in {config.buffer_dir}"
        )

    def _send_loop(self, stop: threading.Event) -> None:
        """The sender thread: flush every send interval until stopped."""
        every = max(self.config.send_interval, 0.05)
        while not stop.wait(every):
            self.flush()

    def run(self, stop: threading.Event) -> None:
        logger.info("%s", self.describe())
        sender = threading.Thread(target=self._send_loop, args=(stop,), name="sender")
        sender.start()
        interval = self.config.interval
        next_tick = time.monotonic()
        while not stop.is_set():
            self.add(self.collectors.sample(time.time()))
            next_tick += interval
            if next_tick < time.monotonic():  # collecting itself overran: skip, no burst
                next_tick = time.monotonic()
            stop.wait(max(0.0, next_tick - time.monotonic()))
        sender.join()
        self.shutdown()

    def shutdown(self) -> None:
        """Send what is pending if the panel answers, otherwise keep it on disk."""
        self._retry_at = 0.0
        self.flush()
        logger.info("stopped; %d batches left in the buffer", len(self.buffer))
