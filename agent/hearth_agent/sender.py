"""The agent loop: collect every interval, send batches, buffer what cannot be delivered."""

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
DRAIN_PER_FLUSH = 50  # buffered batches sent per flush, so collection keeps its pace


class Agent:
    def __init__(self, config: Config, *, collectors: Collectors | None = None) -> None:
        self.config = config
        self.collectors = collectors or Collectors()
        self.transport = Transport(config.url, config.timeout)
        self.buffer = DiskBuffer(config.buffer_dir, config.buffer_max_bytes)
        self.pending: list[dict] = []
        self.delivered = 0
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
            if not self._can_try() or self._send(self.buffer.read(path)) == "retry":
                return
            self.buffer.remove(path)

    def flush(self) -> None:
        batches = [self.pending[i : i + MAX_BATCH] for i in range(0, len(self.pending), MAX_BATCH)]
        self.pending = []
        for batch in batches:
            direct = len(self.buffer) == 0 and self._can_try()
            if not direct or self._send(batch) == "retry":
                self.buffer.append(batch)
        self.drain()

    # --- loop -----------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        interval, send_every = self.config.interval, self.config.send_interval
        next_tick = next_send = time.monotonic()
        while not stop.is_set():
            self.pending.append(self.collectors.sample(time.time()))
            if time.monotonic() >= next_send:
                self.flush()
                next_send = time.monotonic() + send_every
            next_tick = max(next_tick + interval, time.monotonic())  # no catch-up bursts
            stop.wait(max(0.0, next_tick - time.monotonic()))
        self.shutdown()

    def shutdown(self) -> None:
        """Send what is pending if the panel answers, otherwise keep it on disk."""
        self._retry_at = 0.0
        self.flush()
        logger.info("stopped; %d batches left in the buffer", len(self.buffer))
