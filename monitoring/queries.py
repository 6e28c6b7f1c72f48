"""Range queries for the dashboard and the CSV export.

The server picks the source and the bucket width (`plan_for`): the coarsest source that
still gives a chart its shape, in buckets small enough to use it and few enough to stay within
the point budget (1 h: raw/10 s, 24 h: minute/3 min, 7 d: hour/1 h, 30 d: hour/2 h). Values
within a bucket are averaged (weighted by sample count for rollups).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import connection

from monitoring.choices import RANGE_SECONDS, Resolution
from monitoring.metrics import ROLLUP_COLUMNS, ROLLUP_METRICS, SAMPLE_COLUMNS
from monitoring.models import HourRollup, MinuteRollup, Sample

STEPS = (
    10,
    15,
    30,
    60,
    120,
    180,
    300,
    600,
    900,
    1200,
    1800,
    3600,
    7200,
    10800,
    21600,
    43200,
    86400,
)
SOURCES = {
    Resolution.RAW: ("monitoring_sample", "ts", None),
    Resolution.MINUTE: ("monitoring_minuterollup", "bucket", "samples"),
    Resolution.HOUR: ("monitoring_hourrollup", "bucket", "samples"),
}


# Sources, coarsest first, with the step of their rows (raw: the agent's default interval).
SOURCE_STEPS = ((Resolution.HOUR, 3600), (Resolution.MINUTE, 60), (Resolution.RAW, 10))
MIN_POINTS = 120  # fewer points than this and a chart shows steps rather than a shape


@dataclass(frozen=True)
class Plan:
    resolution: str
    bucket_seconds: int
    start: datetime
    end: datetime


def plan_for(range_key: str, now: datetime, max_points: int | None = None) -> Plan:
    """The coarsest source that still draws a shape, in the finest buckets within the budget.

    Hour rollups serve every range they give at least MIN_POINTS points for (7 d: 168,
    30 d: 720 hours in 2-hour buckets), minute rollups the next (24 h), raw samples the rest.
    A coarse source reads a few rows per point instead of aggregating many scattered ones.
    """
    seconds = RANGE_SECONDS[range_key]
    budget = (max_points or settings.MONITORING_MAX_POINTS) - 1
    resolution, native = next(
        ((res, step) for res, step in SOURCE_STEPS if seconds / step >= MIN_POINTS),
        SOURCE_STEPS[-1],
    )
    bucket = next(
        (step for step in STEPS if step >= native and seconds / step <= budget), STEPS[-1]
    )
    epoch = now.timestamp()
    start = datetime.fromtimestamp(math.floor((epoch - seconds) / bucket) * bucket + bucket, UTC)
    return Plan(resolution, bucket, start, now)


def _aggregate(col: str, weight: str | None) -> str:
    if weight is None:
        return f"avg({col})"
    return f"sum({col} * {weight}) / nullif(sum({weight}) FILTER (WHERE {col} IS NOT NULL), 0)"


def series_sql(plan: Plan) -> tuple[str, list]:
    """The series statement: one row per bucket, its time and the average of each figure."""
    table, time_col, weight = SOURCES[plan.resolution]
    statement = (
        f"SELECT date_bin(%s, {time_col}, %s) AS b, "  # noqa: S608 - constants only
        + ", ".join(f"{_aggregate(col, weight)} AS {col}" for col in ROLLUP_METRICS)
        + f" FROM {table} WHERE server_id = %s AND {time_col} >= %s AND {time_col} < %s"
        " GROUP BY b"
    )
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    return statement, [timedelta(seconds=plan.bucket_seconds), epoch, plan.start, plan.end]


def _json_array(expression: str) -> str:
    return f"coalesce(json_agg({expression} ORDER BY b), '[]')"


def series_json(server_id: int, plan: Plan) -> str:
    """The series as JSON text, built by PostgreSQL: {"t": [ms...], "<figure>": [...], ...}.

    Flat arrays, one per figure, values rounded to 2 decimals; Python never touches a row.
    """
    inner, params = series_sql(plan)
    params.insert(2, server_id)
    # Float arithmetic only (numeric rounding and extract() cost as much as the query itself).
    fields = ["'t'", _json_array("(date_part('epoch', b) * 1000)::bigint")]
    for col in ROLLUP_METRICS:
        fields += [f"'{col}'", _json_array(f"round({col} * 100) / 100")]
    statement = f"SELECT json_build_object({', '.join(fields)})::text FROM ({inner}) AS q"  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()[0]


def series(server_id: int, plan: Plan) -> dict[str, list]:
    return json.loads(series_json(server_id, plan))


EXPORT_COLUMNS = {
    Resolution.RAW: ("ts", *SAMPLE_COLUMNS),
    Resolution.MINUTE: ("bucket", "samples", *ROLLUP_COLUMNS),
    Resolution.HOUR: ("bucket", "samples", *ROLLUP_COLUMNS),
}


def export_rows(server_id: int, resolution: str, start: datetime, end: datetime):
    """Rows for the CSV export, read with a server-side cursor (chunks, not all at once)."""
    columns = EXPORT_COLUMNS[resolution]
    if resolution == Resolution.RAW:
        queryset = Sample.objects.filter(server_id=server_id, ts__gte=start, ts__lt=end)
        order = "ts"
    else:
        model = MinuteRollup if resolution == Resolution.MINUTE else HourRollup
        queryset = model.objects.filter(server_id=server_id, bucket__gte=start, bucket__lt=end)
        order = "bucket"
    return columns, queryset.order_by(order).values_list(*columns).iterator(chunk_size=2000)
