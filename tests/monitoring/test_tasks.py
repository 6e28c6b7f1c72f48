"""Beat tasks run by a real Celery worker: storage maintenance, rollups, alert evaluation."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import timedelta

import pytest
from celery.signals import after_task_publish, task_postrun, task_retry
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from monitoring import storage, tasks
from monitoring.models import AlertEvent, HourRollup, MinuteRollup, Sample, ServerState
from panel.stack import free_port
from tests.mail import send_django_mail_to, start_smtp
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


class _TaskTracker:
    """Ids of the tasks named NAME published and finished while tracking (celery signals).

    The session worker runs in a thread of this process, so its signals are seen here.
    `wait_all` lets a test end only after the worker is done with the database: otherwise
    the teardown's flush (TRUNCATE) races a task still reading the rows it is removing.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self.published: set[str] = set()
        self.finished: set[str] = set()
        self.changed = threading.Condition()

    def on_publish(self, sender=None, headers=None, **kwargs) -> None:
        if sender == self.name and headers:
            with self.changed:
                self.published.add(headers["id"])

    def on_postrun(self, sender=None, task_id=None, state=None, **kwargs) -> None:
        # An attempt that ends in a retry is not finished: the same id runs again.
        if sender is not None and sender.name == self.name and state != "RETRY":
            with self.changed:
                self.finished.add(task_id)
                self.changed.notify_all()

    def wait_all(self, timeout: float) -> None:
        """Until every published task has finished (at least one was published)."""
        with self.changed:
            done = self.changed.wait_for(
                lambda: self.published and self.published <= self.finished, timeout
            )
        assert done, f"{self.name}: {len(self.published - self.finished)} task(s) still running"


@contextmanager
def _tracking(name: str):
    tracker = _TaskTracker(name)
    after_task_publish.connect(tracker.on_publish, weak=False)
    task_postrun.connect(tracker.on_postrun, weak=False)
    try:
        yield tracker
    finally:
        after_task_publish.disconnect(tracker.on_publish)
        task_postrun.disconnect(tracker.on_postrun)


def test_alert_evaluation_task_opens_an_alert(celery_worker, admin_user, settings):
    port = free_port()
    controller, inbox = start_smtp(port)
    send_django_mail_to(settings, port)
    try:
        with _tracking("monitoring.tasks.send_alert_email") as emails:
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
            # The opening queued the email task: the test ends once the worker has run it.
            emails.wait_all(timeout=60)
    finally:
        controller.stop()
    assert len(inbox.envelopes) == 1 and inbox.envelopes[0].rcpt_tos == [admin_user.email]
    assert b"quiet" in inbox.envelopes[0].content


def test_beat_creates_partitions_ahead_and_drops_expired_ones_with_their_rows(
    celery_worker, settings
):
    """The migration made partitions around its own day: beat must keep making new ones."""
    server = make_server("retained")
    today = timezone.now().date()
    ahead = today + timedelta(days=settings.MONITORING_PARTITIONS_AHEAD_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT monitoring_drop_sample_partition(%s)", [ahead])
    expired = timezone.now() - timedelta(days=settings.MONITORING_RAW_RETENTION_DAYS + 2)
    kept = timezone.now() - timedelta(days=settings.MONITORING_RAW_RETENTION_DAYS - 1)
    storage.insert_samples(
        [
            {"server_id": server.pk, "ts": expired, "cpu_percent": 1.0},
            {"server_id": server.pk, "ts": kept, "cpu_percent": 2.0},
        ]
    )
    result = tasks.maintain_storage.delay().get(timeout=30)
    assert storage.partition_name(ahead) in result["created"]
    assert storage.partition_name(expired.date()) in result["dropped"]
    partitions = storage.existing_partitions()
    assert ahead in partitions and expired.date() not in partitions and kept.date() in partitions
    assert list(Sample.objects.values_list("cpu_percent", flat=True)) == [2.0]


def test_beat_runs_the_monitoring_tasks():
    schedule = {entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "monitoring.tasks.maintain_storage",
        "monitoring.tasks.roll_up",
        "monitoring.tasks.evaluate_alerts",
    } <= schedule


def test_an_alert_email_waits_out_a_mail_outage(celery_worker, admin_user, settings):
    """SMTP is down when the alert opens: the task retries with backoff until it is back."""
    port = free_port()  # nothing listens there yet: the first send is refused
    send_django_mail_to(settings, port)
    retried = threading.Event()

    def on_retry(sender=None, **kwargs):
        if sender is not None and sender.name == "monitoring.tasks.send_alert_email":
            retried.set()

    task_retry.connect(on_retry, weak=False)
    try:
        with _tracking("monitoring.tasks.send_alert_email") as emails:
            server = make_server("unlucky")
            now = timezone.now()
            ServerState.objects.create(
                server=server, last_report_at=now, last_sample_at=now, disk_percent=97.0
            )
            assert tasks.evaluate_alerts.delay().get(timeout=30)["opened"] == 1
            assert retried.wait(timeout=60), "the refused send was not retried"

            controller, inbox = start_smtp(port)  # the mail server is back
            try:
                inbox.wait_for_count(1, timeout=120)
                emails.wait_all(timeout=60)  # returned, so done with the database
            finally:
                controller.stop()
    finally:
        task_retry.disconnect(on_retry)
    assert len(inbox.envelopes) == 1
    assert inbox.envelopes[0].rcpt_tos == [admin_user.email]
    assert b"ALERT" in inbox.envelopes[0].content and b"unlucky" in inbox.envelopes[0].content


def test_alert_email_retries_are_bounded():
    task = tasks.send_alert_email
    assert OSError in task.autoretry_for  # smtplib.SMTPException is an OSError
    assert 0 < task.max_retries < 100 and 0 < task.retry_backoff_max <= 3600
