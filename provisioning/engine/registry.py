"""Job kinds: ordered steps (do, undo, inspect), each on a named server, plus the outcomes.

A kind is registered once, when its module is imported (each kind's `steps.py`, imported by
the app's `ready()`), and reused by every job of that kind:

    register(JobKind(
        name="database.create",
        role="database",
        steps=[
            Step("create_role", do=create_role, undo=drop_role, inspect=role_exists),
            Step("publish_dns", do=add_record, undo=remove_record, role="dns",
                 server=lambda job, db: db.account.dns_server),
        ],
        running_state="pending",
        on_done=mark_active,
        on_failed=mark_failed,
    ))

`do` and `undo` receive a StepContext (the job, the resource, the step's server and the
backend for the step's role on that server) and must be idempotent; `undo` removes only
what `do` made (None: nothing to undo). `inspect`, if given, answers whether what `do`
made is really there; the runner asks it after `do` and fails the step if not. `server`
picks the server the step acts on when the job is created (default: the job's server);
the step records it, runs on that server's worker queue, and is undone there.
`each`, instead, returns a list of servers: the job gets one step of that name per server
in the list, in order (a server listed twice gets two steps, e.g. one batch each), and each
is run, retried and undone on its own.
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
    step: Any = None  # the JobStep being run
    server: Any = None  # the Server the step acts on
    backend: Backend | None = None  # the step's role's backend for that server
    log_lines: list[str] = field(default_factory=list)

    def log(self, line: str) -> None:
        self.log_lines.append(line)


StepFunc = Callable[[StepContext], None]
InspectFunc = Callable[[StepContext], bool]
ServerFunc = Callable[[Any, Any], Any]  # (job, resource) -> Server
ServersFunc = Callable[[Any, Any], list]  # (job, resource) -> [Server, ...]
Hook = Callable[[Any, Any], None]  # (job, resource)


@dataclass(frozen=True)
class Step:
    name: str
    do: StepFunc
    undo: StepFunc | None = None
    inspect: InspectFunc | None = None
    role: str | None = None  # the backend role; default: the kind's role
    server: ServerFunc | None = None  # default: the job's server
    each: ServersFunc | None = None  # one step per server returned (see the module's doc)


@dataclass(frozen=True)
class JobKind:
    name: str
    role: str  # the server role whose backend runs the steps (unless a step names another)
    steps: list[Step]
    running_state: str  # the resource's state while the job runs (e.g. "pending", "deleting")
    on_done: Hook  # resource reached its goal (in the transaction that finishes the job)
    on_failed: Hook  # job ended failed (after compensation); job.error_message is set

    def step(self, name: str) -> Step:
        return next(step for step in self.steps if step.name == name)

    def role_of(self, step: Step) -> str:
        return step.role or self.role


_KINDS: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    _KINDS[kind.name] = kind
    return kind


def get_kind(name: str) -> JobKind:
    return _KINDS[name]
