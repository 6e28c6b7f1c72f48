"""Drift checks: each kind declares a rule that compares the panel's rows with its servers.

A rule is a function returning findings (`Finding`); the engine runs every registered rule,
stores one report and audits it. Nothing on a server is changed by a check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from provisioning.engine.models import DriftFinding, DriftReport
from security import audit


@dataclass(frozen=True)
class Finding:
    server: object | None  # the Server the difference is on
    resource_id: int | None  # the panel's row, None for a stray the panel does not know
    label: str
    problem: str


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
                kind=rule.kind,
                resource_id=finding.resource_id,
                resource_label=finding.label,
                problem=finding.problem,
            )
            for finding in findings
        )
    with transaction.atomic():
        DriftFinding.objects.bulk_create(rows)
        report.checked, report.finished_at = checked, timezone.now()
        report.save(update_fields=["checked", "finished_at"])
        audit.record(actor, "drift.checked", target=report, checked=checked, findings=len(rows))
    return report
