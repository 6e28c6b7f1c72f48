"""Partitions, rollups and range queries on known data; the point budget over 30 days."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from monitoring import queries, rollups, storage
from monitoring.models import HourRollup, MinuteRollup, Sample

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)


def rows(server, start: datetime, cpu_values, step_seconds=10):
    return [
        {
            "server_id": server.pk,
            "ts": start + timedelta(seconds=i * step_seconds),
            "cpu_percent": cpu,
            "mem_percent": 50.0,
            "disk_percent": 10.0 + i,
            "detail": {},
        }
        for i, cpu in enumerate(cpu_values)
    ]


def test_partitions_are_created_ahead_and_expired_ones_dropped(db, settings):
    settings.MONITORING_RAW_RETENTION_DAYS = 30
    now = timezone.now()
    old_day = (now - timedelta(days=40)).date()
    storage.ensure_partitions([old_day])
    result = storage.maintain_partitions(now)
    partitions = storage.existing_partitions()
    assert storage.partition_name(old_day) in result["dropped"]
    assert old_day not in partitions
    for ahead in range(settings.MONITORING_PARTITIONS_AHEAD_DAYS + 1):
        assert (now + timedelta(days=ahead)).date() in partitions


def test_minute_and_hour_rollups_hold_the_right_aggregates(server):
    storage.copy_samples(rows(server, T0, [10, 20, 30, 40, 50, 60]))  # minute 10:00
    storage.copy_samples(rows(server, T0 + timedelta(minutes=1), [90, 90, 90]))  # minute 10:01
    Sample.objects.update(received_at=T0 + timedelta(minutes=2))
    written = rollups.roll_up(now=T0 + timedelta(minutes=3))
    assert written == {"minute": 2, "hour": 1}

    first = MinuteRollup.objects.get(server=server, bucket=T0)
    assert first.samples == 6 and first.cpu_percent == pytest.approx(35.0)
    assert first.cpu_max == 60 and first.disk_max == 15.0
    hour = HourRollup.objects.get(server=server, bucket=T0)
    assert hour.samples == 9
    assert hour.cpu_percent == pytest.approx((10 + 20 + 30 + 40 + 50 + 60 + 270) / 9)
    assert hour.cpu_max == 90


def test_late_samples_update_their_rollups_incrementally(server):
    storage.copy_samples(rows(server, T0, [10, 20]))
    Sample.objects.update(received_at=T0 + timedelta(seconds=30))
    rollups.roll_up(now=T0 + timedelta(minutes=1))
    # A buffered sample for the same minute arrives later.
    storage.copy_samples(rows(server, T0 + timedelta(seconds=40), [60]))
    Sample.objects.filter(ts=T0 + timedelta(seconds=40)).update(
        received_at=T0 + timedelta(minutes=5)
    )
    assert rollups.roll_up(now=T0 + timedelta(minutes=6)) == {"minute": 1, "hour": 1}
    minute = MinuteRollup.objects.get(server=server, bucket=T0)
    assert minute.samples == 3 and minute.cpu_percent == pytest.approx(30.0)
    assert HourRollup.objects.get(server=server, bucket=T0).cpu_percent == pytest.approx(30.0)
    # Nothing new: nothing recomputed.
    assert rollups.roll_up(now=T0 + timedelta(minutes=7)) == {"minute": 0, "hour": 0}


def test_range_query_buckets_raw_samples_and_averages_them(server):
    now = timezone.now().replace(microsecond=0)
    start = now - timedelta(minutes=10)
    storage.copy_samples(rows(server, start, [float(i) for i in range(60)]))
    plan = queries.plan_for("1h", now)
    assert plan.resolution == "raw" and plan.bucket_seconds == 10
    data = queries.series(server.pk, plan)
    assert len(data["t"]) == 60
    assert sorted(data["cpu_percent"]) == [float(i) for i in range(60)]

    coarse = queries.Plan("raw", 60, start - timedelta(seconds=start.timestamp() % 60), now)
    averaged = queries.series(server.pk, coarse)
    assert sum(averaged["cpu_percent"][i] * 0 + 1 for i in range(len(averaged["t"]))) <= 11
    total = sum(v for v in averaged["cpu_percent"])
    assert total == pytest.approx(sum(range(60)) / 6, rel=0.25)


def _generate_30_days(server_id: int, now: datetime) -> int:
    start = now - timedelta(days=30)
    storage.ensure_partitions((start + timedelta(days=d)).date() for d in range(32))
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO monitoring_sample (server_id, ts, received_at, cpu_percent, load1, "
            "mem_percent, swap_percent, disk_percent, disk_read_bps, disk_write_bps, net_rx_bps, "
            "net_tx_bps) SELECT %s, g, g, 50 + 40 * sin(extract(epoch FROM g) / 3600), 1, 60, 0, "
            "70, 100, 200, 1000, 2000 FROM generate_series(%s::timestamptz, %s, interval '10 s') g",
            [server_id, start, now],
        )
        return cursor.rowcount


def test_dashboard_json_stays_within_the_point_budget_for_30_days(admin_client, server):
    now = timezone.now()
    assert _generate_30_days(server.pk, now) >= 30 * 8640
    rollups.roll_up(now=now + timedelta(minutes=1))
    for range_key in ("1h", "24h", "7d", "30d"):
        response = admin_client.get(f"/monitoring/servers/{server.pk}/data.json?range={range_key}")
        assert response.status_code == 200
        body = response.json()
        series = body["series"]
        assert 0 < len(series["t"]) <= 500, (range_key, len(series["t"]))
        assert all(len(values) == len(series["t"]) for values in series.values())
        assert all(v is None or 10 <= v <= 90 for v in series["cpu_percent"])
    assert (
        admin_client.get(f"/monitoring/servers/{server.pk}/data.json?range=1y").status_code == 400
    )


@pytest.mark.parametrize(
    ("range_key", "resolution", "bucket"),
    [("1h", "raw", 10), ("24h", "minute", 180), ("7d", "hour", 3600), ("30d", "hour", 7200)],
)
def test_the_picker_reads_the_coarsest_source_within_the_budget(range_key, resolution, bucket):
    now = datetime(2026, 6, 1, 12, 0, 5, tzinfo=UTC)
    plan = queries.plan_for(range_key, now)
    assert (plan.resolution, plan.bucket_seconds) == (resolution, bucket)
    points = (plan.end - plan.start).total_seconds() / plan.bucket_seconds
    assert 120 <= points <= 500
