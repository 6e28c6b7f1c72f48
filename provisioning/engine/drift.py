"""Drift checks: each kind declares a rule that compares the panel's rows with its servers.

A rule is a function returning findings (`Finding`); the engine runs every registered rule,
stores one report and audits it. Nothing on a server is changed by a check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from provisioning.engine.choices import JobPhase, JobState, StepState
from provisioning.engine.models import DriftFinding, DriftReport, JobStep
from security import audit


@dataclass(frozen=True)
class Finding:
    server: object | None  # the Server the difference is on
    resource_id: int | None  # the panel's row, None for a stray the panel does not know
    label: str
    problem: str
    account: object | None = None  # the account a stray belongs to, by its name's prefix
    kind: str = ""  # default: the rule's kind


@dataclass(frozen=True)
class DriftRule:
    kind: str  # e.g. "database"
    check: Callable[[], tuple[int, Iterable[Finding]]]  # (rows checked, findings)


_RULES: dict[str, DriftRule] = {}


def register_drift_rule(rule: DriftRule) -> DriftRule:
    _RULES[rule.kind] = rule
    return rule


def drift_rules() -> list[DriftRule]:
    return list(_RULES.values())


def run_drift_check(*, actor=None) -> DriftReport:
    """Run every kind's rule; record the differences in one report, change nothing."""
    report = DriftReport.objects.create(requested_by=actor)
    rows, checked = [], 0
    for rule in drift_rules():
        count, findings = rule.check()
        checked += count
        rows.extend(
            DriftFinding(
                report=report,
                server=finding.server,
                kind=finding.kind or rule.kind,
                resource_id=finding.resource_id,
                resource_label=finding.label,
                problem=finding.problem,
                account=finding.account,
            )
            for finding in findings
        )
    with transaction.atomic():
        DriftFinding.objects.bulk_create(rows)
        report.checked, report.finished_at = checked, timezone.now()
        report.save(update_fields=["checked", "finished_at"])
        audit.record(actor, "drift.checked", target=report, checked=checked, findings=len(rows))
    return report


def check_cleanup_pending() -> tuple[int, list[Finding]]:
    """The engine's own rule: steps of failed jobs not undone yet (their server is away),
    so an admin sees what is left on which server while the cleanup keeps retrying."""
    left = JobStep.objects.filter(
        job__phase=JobPhase.ROLLBACK,
        job__state__in=[JobState.PENDING, JobState.RUNNING],
        state__in=[StepState.DONE, StepState.UNDOING],
    ).select_related("job", "server")
    findings = [
        Finding(
            step.server,
            None,
            f"job #{step.job_id} {step.job.resource_label}: {step.name}",
            "Cleanup pending: not undone yet, retried automatically.",
        )
        for step in left.order_by("job_id", "-position")
    ]
    return len({step.job_id for step in left}), findings


register_drift_rule(DriftRule(kind="cleanup", check=check_cleanup_pending))
