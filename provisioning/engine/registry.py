"""Job kinds: an ordered list of (do, undo) steps plus what to do with the resource at the end.

A kind is registered once (at import, from provisioning.jobs.kinds) and reused by every job
of that kind; mail and DNS register their own kinds the same way:

    register(JobKind(
        name="database.create",
        role="database",
        steps=[Step("create_role", do=create_role, undo=drop_role), ...],
        on_done=mark_active,
        on_failed=mark_failed,
    ))

A step function receives a StepContext and talks to the backend; it must be idempotent.
`undo` undoes only what `do` made (None: nothing to undo).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from provisioning.engine.backends import Backend


@dataclass
class StepContext:
    job: Any  # ProvisioningJob
    resource: Any  # the resource row (None if it was deleted)
    backend: Backend
    log_lines: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        self.log_lines.append(line)


StepFunc = Callable[[StepContext], None]
Hook = Callable[[Any, Any], None]  # (job, resource)


@dataclass(frozen=True)
class Step:
    name: str
    do: StepFunc
    undo: StepFunc | None = None


@dataclass(frozen=True)
class JobKind:
    name: str
    role: str  # the server role whose backend runs the steps
    steps: list[Step]
    running_state: str  # the resource's state while the job runs (e.g. "pending", "deleting")
    on_done: Hook  # resource reached its goal (in the transaction that finishes the job)
    on_failed: Hook  # job ended failed (after compensation); job.error_message is set

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    return _KINDS[name]
