"""A report stored in one statement: the key re-checked, the samples and the server state.

One round trip per report, of a statement prepared once per database session (psycopg's
protocol-level prepared statements; not behind pgbouncer, `DATABASE_PGBOUNCER`): PostgreSQL
then parses and plans it once instead of on every report, which cut its CPU time per report
from about 1 ms to 0.35 ms. The agent key is checked inside the statement (still active, its
server still active, the report's own server), so a key revoked a moment ago writes nothing
even when the web process remembers it as valid; `store` then returns None and the caller
answers 401. Samples already stored (same server and ts: a batch re-sent after a lost answer)
are skipped by ON CONFLICT, so a re-send never duplicates them. The server state moves only
forward: an older batch arriving late from an agent's buffer does not replace newer figures.
"""

from __future__ import annotations

import json
import weakref

import psycopg
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from monitoring import storage
from monitoring.metrics import BY_NAME, SAMPLE_COLUMNS, STATE_METRICS
from monitoring.validation import Report
from provisioning.servers.choices import ServerStatus
from provisioning.servers.models import Server

_SQL_TYPES = {"server_id": "bigint", "ts": "timestamptz", "detail": "jsonb"}


def _cast(column: str) -> str:
    if column in _SQL_TYPES:
        return _SQL_TYPES[column]
    return "bigint" if BY_NAME[column].integer else "double precision"


# The samples travel as one JSON parameter, unpacked by PostgreSQL: the statement is the same
# text for any batch size, and no per-value quoting happens in Python.
_RECORD = ", ".join(f"{col} {_cast(col)}" for col in ("ts", *SAMPLE_COLUMNS, "detail"))
_STATE_COLUMNS = ("last_sample_at", *STATE_METRICS)
# The state moves only forward: a late, older batch leaves the newer figures in place.
_STATE_FORWARD = ", ".join(
    f"{col} = CASE WHEN EXCLUDED.last_sample_at >= monitoring_serverstate.last_sample_at "
    f"THEN EXCLUDED.{col} ELSE monitoring_serverstate.{col} END"
    for col in _STATE_COLUMNS
)
STATEMENT = f"""
WITH agent AS (
    SELECT k.server_id FROM monitoring_agentkey k
    JOIN {Server._meta.db_table} s ON s.id = k.server_id
    WHERE k.key_hash = %s AND k.revoked_at IS NULL AND s.status = %s AND k.server_id = %s
), state AS (
    INSERT INTO monitoring_serverstate (server_id, last_report_at, interval_seconds,
        dropped_samples, {", ".join(_STATE_COLUMNS)})
    SELECT server_id, now(), %s::double precision, %s::bigint, %s::timestamptz,
        {", ".join(f"%s::{_cast(col)}" for col in STATE_METRICS)} FROM agent
    ON CONFLICT (server_id) DO UPDATE SET last_report_at = EXCLUDED.last_report_at,
        interval_seconds = EXCLUDED.interval_seconds,
        dropped_samples = EXCLUDED.dropped_samples,
        {_STATE_FORWARD}
), stored AS (
    INSERT INTO {storage.TABLE} ({", ".join(storage.INSERT_COLUMNS)})
    SELECT agent.server_id, {", ".join(f"x.{col}" for col in ("ts", *SAMPLE_COLUMNS, "detail"))}
    FROM agent, json_to_recordset(%s::json) AS x({_RECORD})
    ON CONFLICT (server_id, ts) DO NOTHING RETURNING 1
)
SELECT (SELECT count(*) FROM agent), (SELECT count(*) FROM stored)
"""  # noqa: S608 - built from constants only


# Django's psycopg connections are made with prepare_threshold None (nothing is ever
# prepared); this raises it so high that only an explicit prepare=True prepares. Django's
# own cursors bind client-side, which never prepares, so nothing else changes for them.
_ONLY_WHEN_ASKED = 2**31 - 1


class _PreparedCursor(psycopg.Cursor):
    """A server-side binding cursor that asks psycopg to prepare what it executes: the
    statement is parsed and planned once per session, then only bound and executed."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)

    def _convert_query(self, query, params=None):
        # psycopg keeps the converted query only when it sends it whole; Django's query log
        # (DEBUG, CaptureQueriesContext) reads it, so keep it for prepared executions too.
        self._query = converted = super()._convert_query(query, params)
        return converted


# psycopg connection -> its cursor for the statement (a connection belongs to one thread).
_cursors: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _params(key_hash: str, server_id: int, report: Report) -> list:
    latest = max(report.rows, key=lambda row: row["ts"])
    params = [key_hash, ServerStatus.ACTIVE.value, server_id, report.interval, report.dropped]
    params += [latest["ts"], *(latest[col] for col in STATE_METRICS)]
    records = [
        {col: row.get(col) for col in SAMPLE_COLUMNS}
        | {"ts": row["ts"].isoformat(), "detail": row.get("detail") or {}}
        for row in report.rows
    ]
    params.append(json.dumps(records, separators=(",", ":")))
    return params


def _prepared_cursor() -> _PreparedCursor:
    """This thread's cursor for the statement, kept with its database connection."""
    connection.ensure_connection()
    raw = connection.connection
    cursor = _cursors.get(raw)
    if cursor is None or cursor.closed:
        if raw.prepare_threshold is None:
            raw.prepare_threshold = _ONLY_WHEN_ASKED
        cursor = _cursors[raw] = _PreparedCursor(raw)
    return cursor


def _run(statement: str, params: list) -> tuple[int, int]:
    if settings.DATABASE_PGBOUNCER:  # a pooler may give each statement another session
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.fetchone()
    cursor = _prepared_cursor()
    if connection.queries_logged:  # DEBUG or a query count: through Django's logging wrapper
        logged = connection.make_debug_cursor(cursor)
        logged.execute(statement, params)
        return logged.fetchone()
    with connection.wrap_database_errors:  # psycopg's errors as Django's (IntegrityError)
        cursor.execute(statement, params)
        return cursor.fetchone()


def store(key_hash: str, server_id: int, report: Report) -> int | None:
    """Samples newly stored, or None when the key is no longer valid (nothing written).

    A single statement is atomic by itself; inside a caller's transaction (tests, scripts) a
    savepoint keeps a failed statement from aborting it, so the missing-partition retry works.
    """
    statement = STATEMENT
    params = _params(key_hash, server_id, report)
    try:
        if connection.in_atomic_block:
            with transaction.atomic():
                agents, stored = _run(statement, params)
        else:
            agents, stored = _run(statement, params)
    except IntegrityError as exc:
        if not storage.is_missing_partition(exc):
            raise
        # A sample on a day without a partition (an old buffered one): create it, try again.
        with transaction.atomic():
            storage.ensure_partitions(storage.days_of(report.rows))
        agents, stored = _run(statement, params)
    return stored if agents else None
