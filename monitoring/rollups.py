"""Per-minute and per-hour rollups, computed incrementally.

Minute level: for each server with samples *received* since the last run, the minutes from
the earliest to the latest of those samples are recomputed from the raw samples (so late
samples from an agent's buffer are counted too). Hour level: likewise from the minute rows
updated since its last run (weighted by sample count).
Each level keeps its position in RollupCursor.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from monitoring.metrics import ROLLUP_COLUMNS, ROLLUP_MAXIMA, ROLLUP_METRICS
from monitoring.models import RollupCursor

# Samples in transactions still open at "now" may not be visible yet: stay a bit behind.
SAFETY_MARGIN = timedelta(seconds=10)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_COLUMNS = ", ".join(ROLLUP_COLUMNS)
_UPDATE = ", ".join(f"{col} = EXCLUDED.{col}" for col in ("samples", *ROLLUP_COLUMNS, "updated_at"))

MINUTE_SQL = f"""
WITH touched AS (
    SELECT server_id, date_trunc('minute', min(ts)) AS lo,
           date_trunc('minute', max(ts)) + interval '1 minute' AS hi
    FROM monitoring_sample WHERE received_at > %(since)s AND received_at <= %(until)s
    GROUP BY server_id
)
INSERT INTO monitoring_minuterollup (server_id, bucket, samples, {_COLUMNS}, updated_at)
SELECT s.server_id, date_trunc('minute', s.ts), count(*),
       {", ".join(f"avg(s.{m})" for m in ROLLUP_METRICS)},
       {", ".join(f"max(s.{src})" for _, src in ROLLUP_MAXIMA)}, %(run_at)s
FROM touched t
JOIN monitoring_sample s ON s.server_id = t.server_id AND s.ts >= t.lo AND s.ts < t.hi
GROUP BY s.server_id, date_trunc('minute', s.ts)
ON CONFLICT (server_id, bucket) DO UPDATE SET {_UPDATE}
"""  # noqa: S608 - built from constants only


def _weighted(col: str) -> str:
    return (
        f"sum(m.{col} * m.samples) / nullif(sum(m.samples) FILTER (WHERE m.{col} IS NOT NULL), 0)"
    )


HOUR_SQL = f"""
WITH touched AS (
    SELECT server_id, date_trunc('hour', min(bucket)) AS lo,
           date_trunc('hour', max(bucket)) + interval '1 hour' AS hi
    FROM monitoring_minuterollup WHERE updated_at > %(since)s AND updated_at <= %(until)s
    GROUP BY server_id
)
INSERT INTO monitoring_hourrollup (server_id, bucket, samples, {_COLUMNS}, updated_at)
SELECT m.server_id, date_trunc('hour', m.bucket), sum(m.samples),
       {", ".join(_weighted(col) for col in ROLLUP_METRICS)},
       {", ".join(f"max(m.{name})" for name, _ in ROLLUP_MAXIMA)}, %(run_at)s
FROM touched t
JOIN monitoring_minuterollup m ON m.server_id = t.server_id AND m.bucket >= t.lo AND m.bucket < t.hi
GROUP BY m.server_id, date_trunc('hour', m.bucket)
ON CONFLICT (server_id, bucket) DO UPDATE SET {_UPDATE}
"""  # noqa: S608


@transaction.atomic
def _advance(level: str, statement: str, until: datetime, run_at: datetime) -> int:
    cursor_row, _ = RollupCursor.objects.select_for_update().get_or_create(
        level=level, defaults={"position": EPOCH}
    )
    if until <= cursor_row.position:
        return 0
    with connection.cursor() as cursor:
        params = {"since": cursor_row.position, "until": until, "run_at": run_at}
        cursor.execute(statement, params)
        count = cursor.rowcount
    cursor_row.position = until
    cursor_row.save(update_fields=["position"])
    return count


def roll_up(now: datetime | None = None) -> dict[str, int]:
    """Bring both levels up to date; returns the number of buckets written per level."""
    run_at = now or timezone.now()
    minutes = _advance("minute", MINUTE_SQL, run_at - SAFETY_MARGIN, run_at)
    hours = _advance("hour", HOUR_SQL, run_at, run_at)
    return {"minute": minutes, "hour": hours}
