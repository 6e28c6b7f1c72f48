"""Raw sample storage: daily partitions, bulk writes, retention by dropping partitions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone
from psycopg import sql
from psycopg.types.json import Jsonb

from monitoring.models import SAMPLE_COLUMNS

TABLE = "monitoring_sample"
INSERT_COLUMNS = ("server_id", "ts", *SAMPLE_COLUMNS, "detail")
_PARTITION_RE = re.compile(rf"^{TABLE}_p(\d{{8}})$")


def partition_name(day: date) -> str:
    return f"{TABLE}_p{day:%Y%m%d}"


def existing_partitions() -> dict[date, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = %s::regclass",
            [TABLE],
        )
        names = [row[0] for row in cursor.fetchall()]
    found = {}
    for name in names:
        match = _PARTITION_RE.match(name)
        if match:
            found[datetime.strptime(match.group(1), "%Y%m%d").date()] = name
    return found


def ensure_partitions(days: Iterable[date]) -> list[str]:
    """Create the daily partitions that are missing; return the names created."""
    wanted = sorted(set(days))
    if not wanted:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT d FROM unnest(%s::text[]) AS d WHERE to_regclass(d) IS NULL",
            [[partition_name(day) for day in wanted]],
        )
        missing = {row[0] for row in cursor.fetchall()}
        for day in wanted:
            if partition_name(day) in missing:
                # As the tables' owner (a SECURITY DEFINER function, migration 0005).
                cursor.execute("SELECT monitoring_create_sample_partition(%s)", [day])
    return sorted(missing)


def drop_partitions_before(day: date) -> list[str]:
    """Retention: drop whole partitions that end on or before `day` (no row-by-row delete)."""
    dropped = []
    with connection.cursor() as cursor:
        for partition_day, name in sorted(existing_partitions().items()):
            if partition_day + timedelta(days=1) <= day:
                cursor.execute("SELECT monitoring_drop_sample_partition(%s)", [partition_day])
                dropped.append(name)
    return dropped


def maintain_partitions(now: datetime | None = None) -> dict[str, list[str]]:
    today = (now or timezone.now()).astimezone(UTC).date()
    ahead = settings.MONITORING_PARTITIONS_AHEAD_DAYS
    created = ensure_partitions(today + timedelta(days=n) for n in range(-1, ahead + 1))
    dropped = drop_partitions_before(today - timedelta(days=settings.MONITORING_RAW_RETENTION_DAYS))
    return {"created": created, "dropped": dropped}


def _row_values(row: dict) -> list:
    return [row.get(name) for name in INSERT_COLUMNS[:-1]] + [Jsonb(row.get("detail") or {})]


def days_of(rows: Sequence[dict]) -> set[date]:
    return {row["ts"].astimezone(UTC).date() for row in rows}


def is_missing_partition(exc: Exception) -> bool:
    """True for PostgreSQL's "no partition of relation ... found for row" (check_violation)."""
    cause = exc.__cause__ or exc
    return getattr(getattr(cause, "diag", None), "sqlstate", None) == "23514"


def insert_samples(rows: Sequence[dict], *, ensure: bool = True) -> int:
    """One multi-row INSERT; a sample already stored (same server and ts) is skipped.

    With ensure=False the caller handles a missing partition (see is_missing_partition):
    ingestion does, to save a round trip on every report.
    """
    if not rows:
        return 0
    if ensure:
        ensure_partitions(days_of(rows))
    placeholders = "(" + ",".join(["%s"] * len(INSERT_COLUMNS)) + ")"
    statement = (
        f"INSERT INTO {TABLE} ({','.join(INSERT_COLUMNS)}) VALUES "  # noqa: S608 - constants
        + ",".join([placeholders] * len(rows))
        + " ON CONFLICT (server_id, ts) DO NOTHING"
    )
    params = [value for row in rows for value in _row_values(row)]
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def copy_samples(rows: Sequence[dict]) -> int:
    """COPY rows in (bulk loads and benchmarks); duplicates are an error here."""
    ensure_partitions(days_of(rows))
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(TABLE), sql.SQL(",").join(map(sql.Identifier, INSERT_COLUMNS))
    )
    with connection.cursor() as cursor:
        raw = cursor.connection
        with raw.cursor() as pg_cursor, pg_cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(_row_values(row))
    return len(rows)
