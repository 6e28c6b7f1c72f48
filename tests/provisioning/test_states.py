"""The job and step state machines: every allowed transition works, every other one raises."""

from __future__ import annotations

import pytest
from django.utils import timezone

from provisioning.engine import states
from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.engine.models import JobStep, ProvisioningJob
from tests.provisioning.conftest import bulk_databases

P, R, D, F = JobState.PENDING, JobState.RUNNING, JobState.DONE, JobState.FAILED
# Every allowed job transition: (name, from) -> to. Written out so that a change to the
# table in engine/states.py must be made here too, on purpose.
JOB_ALLOWED = {
    ("claim", P): R,
    ("take_over", R): R,
    ("release", R): P,
    ("back_off", R): P,
    ("begin_rollback", R): R,
    ("succeed", R): D,
    ("fail", R): F,
    ("revive", R): P,
    ("retry", F): P,
    ("roll_back", F): P,
    ("roll_back", P): P,
}
SP, SR, SD, SF = StepState.PENDING, StepState.RUNNING, StepState.DONE, StepState.FAILED
SU, SB = StepState.UNDOING, StepState.ROLLED_BACK
STEP_ALLOWED = {
    ("start", SP): SR,
    ("start", SF): SR,
    ("start", SR): SR,
    ("complete", SR): SD,
    ("fail", SR): SF,
    ("start_undo", SD): SU,
    ("start_undo", SU): SU,
    ("undone", SU): SB,
    ("undo_failed", SU): SD,
    ("skip_undo", SD): SB,
    ("reset", SP): SP,
    ("reset", SR): SP,
    ("reset", SF): SP,
    ("reset", SB): SP,
}


def _pairs(table: dict[str, states.Transition]) -> dict[tuple[str, str], str]:
    return {(t.name, source): t.target for t in table.values() for source in t.sources}


def test_the_tables_declare_exactly_the_listed_transitions():
    assert _pairs(states.JOB_TRANSITIONS) == JOB_ALLOWED
    assert _pairs(states.STEP_TRANSITIONS) == STEP_ALLOWED
    phases = {t.name: t.phase for t in states.JOB_TRANSITIONS.values() if t.phase}
    assert phases == {
        "begin_rollback": JobPhase.ROLLBACK,
        "retry": JobPhase.FORWARD,
        "roll_back": JobPhase.ROLLBACK,
    }


@pytest.fixture
def job(alice_account, db_server) -> ProvisioningJob:
    bulk_databases(alice_account, db_server, 1)
    return ProvisioningJob.objects.get()


def _job_call(job: ProvisioningJob, name: str):
    now = timezone.now()
    calls = {
        "claim": lambda: ProvisioningJob._apply_all(ProvisioningJob.objects.all(), "claim"),
        "take_over": lambda: ProvisioningJob._apply_all(ProvisioningJob.objects.all(), "take_over"),
        "release": lambda: job.release(due=now),
        "back_off": lambda: job.back_off(due=now, message="m", detail="d"),
        "begin_rollback": lambda: job.begin_rollback(message="m", detail="d"),
        "succeed": job.succeed,
        "fail": lambda: job.fail(message="m", detail="d"),
        "revive": lambda: ProvisioningJob.revive(ProvisioningJob.objects.all(), due=now),
        "retry": job.retry,
        "roll_back": lambda: job.roll_back(message="m"),
    }
    return calls[name]()


BULK = {
    "claim",
    "take_over",
    "revive",
    "reset",
}  # conditional UPDATEs on a set: 0 rows, no exception


@pytest.mark.parametrize("name", sorted(states.JOB_TRANSITIONS))
@pytest.mark.parametrize("source", [P, R, D, F])
def test_each_job_transition_from_each_state(job, name, source):
    ProvisioningJob.objects.filter(pk=job.pk).update(state=source)
    job.refresh_from_db()
    target = JOB_ALLOWED.get((name, source))
    if target is not None:
        _job_call(job, name)
        assert ProvisioningJob.objects.get(pk=job.pk).state == target
    elif name in BULK:
        _job_call(job, name)
        assert ProvisioningJob.objects.get(pk=job.pk).state == source
    else:
        with pytest.raises(states.IllegalTransition):
            _job_call(job, name)
        assert ProvisioningJob.objects.get(pk=job.pk).state == source


def _step_call(step: JobStep, name: str):
    if name == "reset":
        return JobStep.reset(JobStep.objects.filter(pk=step.pk))
    if name in {"complete", "fail", "undone", "undo_failed"}:
        return getattr(step, name)("log line")
    return getattr(step, name)()


@pytest.mark.parametrize("name", sorted(states.STEP_TRANSITIONS))
@pytest.mark.parametrize("source", [SP, SR, SD, SF, SU, SB])
def test_each_step_transition_from_each_state(job, name, source):
    step = job.steps.first()
    JobStep.objects.filter(pk=step.pk).update(state=source)
    step.refresh_from_db()
    target = STEP_ALLOWED.get((name, source))
    if target is not None:
        _step_call(step, name)
        assert JobStep.objects.get(pk=step.pk).state == target
    elif name in BULK:
        _step_call(step, name)
        assert JobStep.objects.get(pk=step.pk).state == source
    else:
        with pytest.raises(states.IllegalTransition):
            _step_call(step, name)
        assert JobStep.objects.get(pk=step.pk).state == source


def test_a_transition_on_a_row_changed_meanwhile_raises_and_changes_nothing(job):
    claimed = ProvisioningJob.claim(job.pk, worker="test:1")
    ProvisioningJob.revive(ProvisioningJob.objects.filter(pk=job.pk), due=timezone.now())
    with pytest.raises(states.StaleTransition):
        claimed.succeed()  # the dispatcher took it back: this worker no longer owns it
    assert ProvisioningJob.objects.get(pk=job.pk).state == JobState.PENDING


def test_a_claim_of_a_running_job_takes_it_over_and_the_old_worker_loses_it(job):
    """claim() is called holding the scope lock: a running job found then has no worker."""
    first = ProvisioningJob.claim(job.pk, worker="test:1")
    assert (first.state, first.locked_by) == (JobState.RUNNING, "test:1")
    assert first.started_at is not None and first.heartbeat_at is not None
    second = ProvisioningJob.claim(job.pk, worker="test:2")
    assert (second.state, second.locked_by) == (JobState.RUNNING, "test:2")
    with pytest.raises(states.StaleTransition):
        first.succeed()
    second.succeed()
    assert ProvisioningJob.objects.get(pk=job.pk).state == JobState.DONE


def test_transitions_write_their_fields(job):
    claimed = ProvisioningJob.claim(job.pk, worker="test:1")
    claimed.back_off(due=timezone.now(), message="cannot be reached", detail="refused")
    claimed = ProvisioningJob.claim(job.pk, worker="test:1")
    claimed.succeed()
    row = ProvisioningJob.objects.get(pk=job.pk)
    assert (row.state, row.attempts_total, row.locked_by) == (JobState.DONE, 2, "")
    assert (row.error_message, row.error_detail) == ("", "")  # the earlier attempt's error
    assert row.finished_at is not None


def test_completing_a_step_and_starting_the_next_is_one_write_of_both(job):
    first, second = job.steps.order_by("position")[:2]
    first.start(worker="test:1")
    first.complete_and_start("role made", second, worker="test:1")
    rows = {step.pk: step for step in JobStep.objects.filter(pk__in=[first.pk, second.pk])}
    done, started = rows[first.pk], rows[second.pk]
    assert (done.state, done.log, done.finished_at is not None) == (SD, "role made", True)
    assert (started.state, started.attempts, started.worker) == (SR, 1, "test:1")
    assert started.started_at is not None and started.finished_at is None
    assert (first.state, second.state) == (SD, SR)  # the objects follow


def test_a_step_pair_where_one_row_changed_meanwhile_changes_neither(job):
    first, second = job.steps.order_by("position")[:2]
    first.start(worker="test:1")
    JobStep.objects.filter(pk=second.pk).update(state=SF)  # someone else touched it
    with pytest.raises(states.StaleTransition):
        first.complete_and_start("role made", second, worker="test:1")
    states_now = dict(
        JobStep.objects.filter(pk__in=[first.pk, second.pk]).values_list("pk", "state")
    )
    assert states_now == {first.pk: SR, second.pk: SF}
