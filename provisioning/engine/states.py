"""Job and step state machines: every allowed transition, declared once.

A transition has a name, the states it may start from and the state it leads to (and, for
jobs, the phase it sets). The models apply them with one conditional UPDATE each
(`... WHERE pk = ? AND state = <the state we saw>`): a transition from a state not listed
raises IllegalTransition; a row another process changed first raises StaleTransition.
"""

from __future__ import annotations

from dataclasses import dataclass

from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.exceptions import JobStateError


class IllegalTransition(JobStateError):
    """The transition is not allowed from the object's current state (a bug, or a stale page)."""


class StaleTransition(JobStateError):
    """The row changed since it was read (another worker, the dispatcher or an admin)."""


@dataclass(frozen=True)
class Transition:
    name: str
    sources: frozenset[str]
    target: str
    phase: str | None = None  # jobs only: the phase the transition sets


def _table(*transitions: Transition) -> dict[str, Transition]:
    return {transition.name: transition for transition in transitions}


J, S = JobState, StepState

JOB_TRANSITIONS = _table(
    Transition("claim", frozenset({J.PENDING}), J.RUNNING),  # a worker takes the job
    # A worker holding the scope's lock finds the job running: its worker's session (and
    # lock) is gone, so the job is taken over at once.
    Transition("take_over", frozenset({J.RUNNING}), J.RUNNING),
    Transition("release", frozenset({J.RUNNING}), J.PENDING),  # scope busy, or next server's turn
    Transition("back_off", frozenset({J.RUNNING}), J.PENDING),  # transient error: later
    Transition("begin_rollback", frozenset({J.RUNNING}), J.RUNNING, JobPhase.ROLLBACK),
    Transition("succeed", frozenset({J.RUNNING}), J.DONE),
    Transition("fail", frozenset({J.RUNNING}), J.FAILED),
    Transition("revive", frozenset({J.RUNNING}), J.PENDING),  # its worker went silent
    Transition("retry", frozenset({J.FAILED}), J.PENDING, JobPhase.FORWARD),  # admin
    Transition("roll_back", frozenset({J.FAILED, J.PENDING}), J.PENDING, JobPhase.ROLLBACK),
)

STEP_TRANSITIONS = _table(
    # RUNNING -> RUNNING: a worker died inside the step; the step is idempotent, run it again.
    Transition("start", frozenset({S.PENDING, S.FAILED, S.RUNNING}), S.RUNNING),
    Transition("complete", frozenset({S.RUNNING}), S.DONE),
    Transition("fail", frozenset({S.RUNNING}), S.FAILED),
    Transition("start_undo", frozenset({S.DONE, S.UNDOING}), S.UNDOING),
    Transition("undone", frozenset({S.UNDOING}), S.ROLLED_BACK),
    Transition("undo_failed", frozenset({S.UNDOING}), S.DONE),  # what it made is still there
    Transition("skip_undo", frozenset({S.DONE}), S.ROLLED_BACK),  # the step has no undo
    Transition("reset", frozenset({S.PENDING, S.RUNNING, S.FAILED, S.ROLLED_BACK}), S.PENDING),
)


def check(table: dict[str, Transition], name: str, state: str, label: str) -> Transition:
    transition = table[name]
    if state not in transition.sources:
        raise IllegalTransition(f"{label}: '{name}' is not allowed from {state}.")
    return transition
