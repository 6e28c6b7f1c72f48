"""Beat tasks run by a real Celery worker: storage maintenance, rollups, alert evaluation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from monitoring import storage, tasks
from monitoring.models import AlertEvent, HourRollup, MinuteRollup, Sample, ServerState
from tests.monitoring.conftest import make_server

pytestmark = pytest.mark.django_db(transaction=True)


def test_rollup_and_maintenance_tasks_run_on_the_worker(celery_worker, settings):
    server = make_server("tasked")
    now = timezone.now()
    storage.insert_samples(
        [
            {"server_id": server.pk, "ts": now - timedelta(seconds=30 + s), "cpu_percent": 50.0}
            for s in range(0, 30, 10)
        ]
    )
    Sample.objects.update(received_at=now - timedelta(seconds=20))
    old = (now - timedelta(days=settings.MONITORING_MINUTE_RETENTION_DAYS + 2)).replace(
        minute=0, second=0, microsecond=0
    )
    MinuteRollup.objects.create(server=server, bucket=old, samples=1, updated_at=old)
    HourRollup.objects.create(server=server, bucket=old, samples=1, updated_at=old)

    written = tasks.roll_up.delay().get(timeout=30)
    assert written["minute"] >= 1
    assert MinuteRollup.objects.filter(server=server, bucket__gt=old).exists()

    result = tasks.maintain_storage.delay().get(timeout=30)
    assert result["minute_rows_deleted"] == 1 and result["hour_rows_deleted"] == 1
    assert (now + timedelta(days=settings.MONITORING_PARTITIONS_AHEAD_DAYS)).date() in (
        storage.existing_partitions()
    )


def test_alert_evaluation_task_opens_an_alert(celery_worker, admin_user):
    server = make_server("quiet")
    now = timezone.now()
    ServerState.objects.create(
        server=server,
        last_report_at=now - timedelta(hours=1),
        last_sample_at=now - timedelta(hours=1),
        interval_seconds=10,
    )
    assert tasks.evaluate_alerts.delay().get(timeout=30)["opened"] == 1
    assert AlertEvent.objects.open().get(server=server).rule.kind == "silent"
