"""Provisioning jobs (a row per request to change a resource, with ordered steps: a saga)
and drift reports (what the panel believes versus what the servers hold)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models.functions import Coalesce
from django.utils import timezone

from provisioning.engine import states
from provisioning.engine.choices import JobPhase, JobState, StepState


class StateMachineMixin:
    """Applies a named transition of TRANSITIONS with one conditional UPDATE."""

    TRANSITIONS: dict[str, states.Transition]
    GUARDS: tuple[str, ...] = ("state",)  # fields that must still hold what we read

    def _apply(self, name: str, **fields) -> None:
        transition = states.check(self.TRANSITIONS, name, self.state, str(self))
        values = {"state": transition.target, **fields}
        if transition.phase:
            values["phase"] = transition.phase
        rows = type(self).objects.filter(pk=self.pk, **self._guards()).update(**values)
        if rows != 1:
            raise states.StaleTransition(f"{self}: changed by someone else before '{name}'.")
        for field, value in values.items():
            setattr(self, field, value)

    @classmethod
    def _apply_pair(cls, first: tuple, second: tuple) -> None:
        """Two rows' transitions, each a (row, name, fields), in one conditional UPDATE: both
        rows change if both still hold what we read, else neither (StaleTransition)."""
        changes = []
        for row, name, fields in (first, second):
            transition = states.check(cls.TRANSITIONS, name, row.state, str(row))
            changes.append((row, {"state": transition.target, **fields}))
        values = {
            field: models.Case(
                *(
                    models.When(pk=row.pk, then=models.Value(v[field], cls._meta.get_field(field)))
                    for row, v in changes
                    if field in v
                ),
                default=models.F(field),
            )
            for field in {field for _row, v in changes for field in v}
        }
        unchanged = [cls.objects.filter(pk=row.pk, **row._guards()) for row, _v in changes]
        rows = cls.objects.filter(pk__in=[row.pk for row, _v in changes])
        if rows.filter(*map(models.Exists, unchanged)).update(**values) != 2:
            raise states.StaleTransition(
                f"{first[0]}: changed by someone else before '{first[1]}'."
            )
        for row, fields in changes:
            for field, value in fields.items():
                setattr(row, field, value)

    def _guards(self) -> dict:
        return {field: getattr(self, field) for field in self.GUARDS}

    @classmethod
    def _apply_all(cls, queryset, name: str, **fields) -> int:
        """The transition NAME for every row of QUERYSET in one of its source states."""
        transition = cls.TRANSITIONS[name]
        values = {"state": transition.target, **fields}
        if transition.phase:
            values["phase"] = transition.phase
        return queryset.filter(state__in=transition.sources).update(**values)


class JobQuerySet(models.QuerySet):
    def for_resource(self, resource: models.Model) -> JobQuerySet:
        content_type = ContentType.objects.get_for_model(resource)
        return self.filter(resource_type=content_type, resource_id=resource.pk)

    def unfinished(self) -> JobQuerySet:
        return self.filter(state__in=[JobState.PENDING, JobState.RUNNING])


class ProvisioningJob(StateMachineMixin, models.Model):
    """One change to one resource, applied by a worker step by step.

    The row is the outbox: a job is sent to Celery after commit, and re-sent by the
    dispatcher if it stays pending or its worker dies (see provisioning.engine.dispatch).
    Its state changes only through the transition methods below (see engine/states.py).
    """

    kind = models.CharField(max_length=64)
    resource_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    resource_id = models.BigIntegerField()
    resource_label = models.CharField(max_length=255)
    # Jobs with the same scope never run at once and run in creation order.
    lock_scope = models.CharField(max_length=100, db_index=True)
    account = models.ForeignKey(
        "accounts.HostingAccount", null=True, blank=True, on_delete=models.SET_NULL
    )
    server = models.ForeignKey("provisioning.Server", on_delete=models.PROTECT, related_name="jobs")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.PENDING)
    phase = models.CharField(max_length=16, choices=JobPhase.choices, default=JobPhase.FORWARD)
    attempts = models.PositiveIntegerField(default=0)  # failed attempts in this phase
    attempts_total = models.PositiveIntegerField(default=0)  # every attempt that ended
    next_attempt_at = models.DateTimeField(default=timezone.now)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.CharField(max_length=255, blank=True, default="")
    error_message = models.CharField(max_length=500, blank=True, default="")
    error_detail = models.TextField(blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["state", "next_attempt_at"]),
            models.Index(fields=["resource_type", "resource_id"]),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.resource_label} (#{self.pk})"

    TRANSITIONS = states.JOB_TRANSITIONS
    GUARDS = ("state", "locked_by")  # a job taken over by another worker is not ours

    # --- transitions (the only code that changes a job's state or phase) ------------------

    @classmethod
    def claim(cls, pk: int, *, worker: str, due_within: float = 0.5) -> ProvisioningJob | None:
        """Take job PK if it is pending and due; None if another worker got there first.

        Call while holding the job's scope lock: a job found running then has lost its
        worker (a live worker holds the lock while the job runs) and is taken over.
        """
        now = timezone.now()
        job = cls.objects.filter(pk=pk)
        claimed = {"heartbeat_at": now, "locked_by": worker}
        due = job.filter(next_attempt_at__lte=now + timedelta(seconds=due_within))
        taken = cls._apply_all(due, "claim", started_at=Coalesce("started_at", now), **claimed)
        taken = taken or cls._apply_all(job, "take_over", **claimed)
        if not taken:
            return None
        # With it, in the same query: when the earliest unfinished job before it on its
        # scope runs next (None: no earlier job waits), as `earlier_due`.
        earlier = (
            cls.objects.unfinished()
            .filter(lock_scope=models.OuterRef("lock_scope"), pk__lt=models.OuterRef("pk"))
            .order_by("next_attempt_at")
            .values("next_attempt_at")[:1]
        )
        jobs = cls.objects.select_related("server")
        return jobs.annotate(earlier_due=models.Subquery(earlier)).get(pk=pk)

    def release(self, *, due) -> None:
        self._apply("release", locked_by="", next_attempt_at=due)

    def back_off(self, *, due, message: str, detail: str) -> None:
        self._apply(
            "back_off",
            locked_by="",
            next_attempt_at=due,
            attempts=self.attempts + 1,
            attempts_total=self.attempts_total + 1,
            error_message=message[:500],
            error_detail=detail,
        )

    def begin_rollback(self, *, message: str, detail: str) -> None:
        self._apply("begin_rollback", attempts=0, error_message=message[:500], error_detail=detail)

    def succeed(self) -> None:
        """Done: an earlier attempt's error no longer describes the job."""
        self._apply(
            "succeed",
            finished_at=timezone.now(),
            locked_by="",
            attempts_total=self.attempts_total + 1,
            error_message="",
            error_detail="",
        )

    def fail(self, *, message: str, detail: str) -> None:
        self._apply(
            "fail",
            finished_at=timezone.now(),
            locked_by="",
            attempts_total=self.attempts_total + 1,
            error_message=message[:500],
            error_detail=detail,
        )

    @classmethod
    def revive(cls, queryset, *, due) -> int:
        """Running jobs of QUERYSET whose worker went silent go back to pending, due DUE."""
        return cls._apply_all(queryset, "revive", locked_by="", next_attempt_at=due)

    def retry(self) -> None:
        self._reopen("retry", message="")

    def roll_back(self, *, message: str) -> None:
        self._reopen("roll_back", message=message)

    def _reopen(self, name: str, *, message: str) -> None:
        self._apply(
            name,
            attempts=0,
            next_attempt_at=timezone.now(),
            finished_at=None,
            locked_by="",
            error_message=message,
            error_detail="",
        )

    # --- reading ---------------------------------------------------------------------------

    @property
    def is_finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def cleanup_pending(self) -> bool:
        """The job failed and undoing its steps waits for a server to come back."""
        return self.phase == JobPhase.ROLLBACK and not self.is_finished and self.attempts > 0

    @property
    def phase_label(self) -> str:
        """Where the job is, or how it ended (not the phase it happened to end in)."""
        if self.state == JobState.DONE:
            return "Finished"
        if self.state == JobState.FAILED:
            return "Rollback incomplete" if self.has_done_steps else "Rolled back"
        if self.cleanup_pending:
            return "Cleanup pending (retrying)"
        return self.get_phase_display()

    @property
    def customer_message(self) -> str:
        """What the resource's owner reads: why it failed first, then that cleanup waits."""
        if self.cleanup_pending:
            pending = "Cleaning up on the server is pending; the panel keeps retrying."
            return f"{self.error_message} {pending}"[:500]
        return self.error_message

    @property
    def has_done_steps(self) -> bool:
        done = (StepState.DONE, StepState.UNDOING)
        return any(step.state in done for step in self.steps.all())

    @property
    def resource(self) -> models.Model | None:
        model = ContentType.objects.get_for_id(self.resource_type_id).model_class()
        return model.objects.filter(pk=self.resource_id).first() if model else None


class JobStep(StateMachineMixin, models.Model):
    job = models.ForeignKey(ProvisioningJob, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=64)
    # The server this step acts on: it runs on that server's queue and is undone there.
    server = models.ForeignKey(
        "provisioning.Server", on_delete=models.PROTECT, related_name="job_steps"
    )
    state = models.CharField(max_length=16, choices=StepState.choices, default=StepState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    log = models.CharField(max_length=500, blank=True, default="")
    # The worker (host:pid) that last ran this step's do or undo.
    worker = models.CharField(max_length=255, blank=True, default="")

    class Meta:
        ordering = ["job", "position"]
        constraints = [
            models.UniqueConstraint(fields=["job", "position"], name="jobstep_unique_position")
        ]

    TRANSITIONS = states.STEP_TRANSITIONS

    def __str__(self) -> str:
        return f"{self.position}. {self.name} ({self.state})"

    # --- transitions (the only code that changes a step's state) ---------------------------

    def start(self, *, worker: str = "") -> None:
        self._apply("start", started_at=timezone.now(), attempts=self.attempts + 1, worker=worker)

    def start_undo(self, *, worker: str = "") -> None:
        now = timezone.now()
        self._apply("start_undo", started_at=now, attempts=self.attempts + 1, worker=worker)

    def complete(self, log: str) -> None:
        self._finish("complete", log)

    def complete_and_start(self, log: str, following: JobStep, *, worker: str = "") -> None:
        """`complete` this step and `start` FOLLOWING in one UPDATE (one round trip)."""
        now = timezone.now()
        done = (self, "complete", {"finished_at": now, "log": log[:500]})
        start = {"started_at": now, "attempts": following.attempts + 1, "worker": worker}
        self._apply_pair(done, (following, "start", start))

    def fail(self, log: str) -> None:
        self._finish("fail", log)

    def undone(self, log: str) -> None:
        self._finish("undone", log)

    def undo_failed(self, log: str) -> None:
        self._finish("undo_failed", log)

    def skip_undo(self, log: str = "nothing to undo") -> None:
        self._finish("skip_undo", log)

    def _finish(self, name: str, log: str) -> None:
        self._apply(name, finished_at=timezone.now(), log=log[:500])

    @classmethod
    def reset(cls, queryset) -> int:
        """Steps of QUERYSET not done (and not being undone) start again from scratch."""
        return cls._apply_all(queryset, "reset", log="")


class DriftReport(models.Model):
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    checked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-started_at", "-pk"]

    def __str__(self) -> str:
        return f"Drift check {self.started_at:%Y-%m-%d %H:%M}"


class DriftFinding(models.Model):
    report = models.ForeignKey(DriftReport, on_delete=models.CASCADE, related_name="findings")
    server = models.ForeignKey(
        "provisioning.Server", null=True, blank=True, on_delete=models.SET_NULL
    )
    kind = models.CharField(max_length=32)  # e.g. "database"
    resource_id = models.BigIntegerField(null=True, blank=True)
    resource_label = models.CharField(max_length=255)
    problem = models.CharField(max_length=500)
    # Strays (on a server with an account's prefix, unknown to the panel) name the account.
    account = models.ForeignKey(
        "accounts.HostingAccount", null=True, blank=True, on_delete=models.SET_NULL
    )
    # What an admin did about it (a drop or re-create job requested, and how it ended).
    resolution = models.CharField(max_length=500, blank=True, default="")

    class Meta:
        ordering = ["kind", "resource_label"]

    def __str__(self) -> str:
        return f"{self.resource_label}: {self.problem}"
