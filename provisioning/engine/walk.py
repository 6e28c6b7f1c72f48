"""Walking a job's steps: forward in order, back in reverse order, each on its own server."""

from __future__ import annotations

import logging
import os
import socket
import time

from django.conf import settings

from provisioning.engine.backends import Backend, BackendError, get_backend
from provisioning.engine.choices import StepState
from provisioning.engine.models import JobStep, ProvisioningJob
from provisioning.engine.registry import JobKind, Step, StepContext

logger = logging.getLogger(__name__)


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class HandOff(Exception):  # noqa: N818 - a signal to the runner, not an error
    """The next step acts on another server, whose own worker must run it."""

    def __init__(self, server_id: int) -> None:
        super().__init__(server_id)
        self.server_id = server_id


class Backends:
    """The backends of one job attempt: one per (server, role), made when first needed."""

    def __init__(self) -> None:
        self._made: dict[tuple[int, str], Backend] = {}

    def get(self, server, role: str) -> Backend:
        key = (server.pk, role)
        if key not in self._made:
            backend = get_backend(server, role)
            backend.reuse_connections()
            self._made[key] = backend
        return self._made[key]

    def close(self) -> None:
        for backend in self._made.values():
            backend.close()
        self._made.clear()


class Walk:
    """One attempt at a job's steps. ROUTED_TO is the server whose queue brought the job
    here (None: wherever the first step to run is); with per-server queues a step on
    another server ends the attempt with HandOff."""

    def __init__(self, job: ProvisioningJob, kind: JobKind, routed_to: int | None) -> None:
        self.job, self.kind, self.routed_to = job, kind, routed_to
        self.steps = list(job.steps.select_related("server").order_by("position"))
        self.resource = job.resource
        self.context = StepContext(job=job, resource=self.resource)
        self.backends = Backends()
        self._completed: tuple[JobStep, str] | None = None  # done, not yet written

    def forward(self) -> None:
        for step in self.steps:
            if step.state != StepState.DONE:
                self._run(step, self.kind.step(step.name), undoing=False)
        self._record_completed()

    def _record_completed(self) -> None:
        """Write the completion of the step that finished last, if not written yet.

        Between two forward steps one UPDATE records the first as done and the next as
        started; this writes a completion that no step follows (the last one, a hand-off).
        """
        if self._completed is not None:
            (step, line), self._completed = self._completed, None
            step.complete(line)

    def backward(self) -> None:
        for step in reversed(self.steps):
            if step.state not in (StepState.DONE, StepState.UNDOING):
                continue
            spec = self.kind.step(step.name)
            if spec.undo is None:
                step.skip_undo()
            else:
                self._run(step, spec, undoing=True)

    def close(self) -> None:
        self.backends.close()

    def _here(self, step: JobStep) -> None:
        if not settings.PROVISIONING_PER_SERVER_QUEUES:
            return
        if self.routed_to is None:
            self.routed_to = step.server_id
        elif step.server_id != self.routed_to:
            raise HandOff(step.server_id)

    def _run(self, step: JobStep, spec: Step, *, undoing: bool) -> None:
        """Run the step's do (or undo) on its server and record the outcome.

        A failed `do` leaves the step failed; a failed `undo` leaves it done (what it made
        is still there), so a later rollback tries again.
        """
        try:
            self._here(step)
        except HandOff:
            self._record_completed()
            raise
        context, previous_log = self.context, step.log
        context.step, context.server, context.log_lines = step, step.server, []
        self._start(step, undoing=undoing)
        _test_pause(step.name)
        try:
            context.backend = self.backends.get(step.server, self.kind.role_of(spec))
            (spec.undo if undoing else spec.do)(context)
            if not undoing and spec.inspect is not None and not spec.inspect(context):
                raise BackendError(
                    f"The step {step.name} did not take effect on {step.server.name}."
                )
        except Exception as exc:
            self._failed(step, exc, undoing=undoing, previous_log=previous_log)
        line = "; ".join(context.log_lines) or "ok"
        if undoing:
            step.undone(f"{previous_log} | undone: {line}")
        else:
            self._completed = (step, line)  # written with the next step's start

    def _start(self, step: JobStep, *, undoing: bool) -> None:
        worker = worker_id()
        if undoing:
            step.start_undo(worker=worker)
        elif self._completed is not None:
            (done, line), self._completed = self._completed, None
            done.complete_and_start(line, step, worker=worker)
        else:
            step.start(worker=worker)

    def _failed(self, step: JobStep, exc: Exception, *, undoing: bool, previous_log: str):
        if not isinstance(exc, BackendError):
            logger.exception("job %s step %s crashed", self.job.pk, step.name)
        detail = exc.detail if isinstance(exc, BackendError) else f"internal error: {exc!r}"
        if undoing:
            step.undo_failed(f"{previous_log} | undo failed: {detail}")
        else:
            step.fail(detail)
        if isinstance(exc, BackendError):
            raise exc
        raise BackendError("An internal error stopped the operation.", detail=repr(exc)) from exc


def _test_pause(step_name: str) -> None:
    """Test-only fault injection (dev mode only): pause a named step so a test can kill us."""
    name, _, seconds = (settings.PROVISIONING_TEST_PAUSE or "").partition(":")
    if name and name == step_name:
        time.sleep(float(seconds or 30))
