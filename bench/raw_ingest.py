"""The ingestion baselines: a bare WSGI app on psycopg doing the same database work as Hearth.

No Django, no validation, no statistics: read the body, parse the JSON, find the key (once
per process, as Hearth caches it), write. Two paths:
- `/statement`: the samples and the server state in one statement, autocommit (Hearth's
  database work, written the plainest way);
- `/copy`: the samples by COPY, then the state, in one transaction (the fastest way
  PostgreSQL takes many rows).
Served by gunicorn with the same workers as Hearth: `gunicorn bench.raw_ingest:application`.
"""

from __future__ import annotations

import hashlib
import json
import os

import psycopg
from psycopg.types.json import Jsonb

COLUMNS = (
    "server_id", "ts", "cpu_percent", "load1", "load5", "load15", "mem_total", "mem_used",
    "mem_available", "mem_percent", "swap_total", "swap_used", "swap_percent", "disk_percent",
    "disk_read_bps", "disk_write_bps", "net_rx_bps", "net_tx_bps", "net_rx_pps", "net_tx_pps",
    "net_errors", "detail",
)  # fmt: skip
STATE_COLUMNS = ("cpu_percent", "load1", "mem_percent", "swap_percent", "disk_percent",
                 "disk_read_bps", "disk_write_bps", "net_rx_bps", "net_tx_bps")  # fmt: skip
STATE = (
    "INSERT INTO monitoring_serverstate (server_id, last_report_at, last_sample_at, "
    f"interval_seconds, dropped_samples, {', '.join(STATE_COLUMNS)}) "
    f"VALUES (%s, now(), to_timestamp(%s), 10, 0, {', '.join(['%s'] * len(STATE_COLUMNS))}) "
    "ON CONFLICT (server_id) DO UPDATE SET last_report_at = now(), "
    "last_sample_at = EXCLUDED.last_sample_at, "
    + ", ".join(f"{c} = EXCLUDED.{c}" for c in STATE_COLUMNS)
)
_STATE_AT = [COLUMNS.index(c) for c in STATE_COLUMNS]
_conn = None
_keys: dict[str, int] = {}


def _connection():
    global _conn
    if _conn is None or _conn.closed:
        _conn = psycopg.connect(os.environ["DATABASE_URL"], autocommit=True)
    return _conn


def _row(server: int, s: dict) -> tuple:
    cpu, memory, disk, nics = s["cpu"], s["memory"], s["disk"], s["network"]["interfaces"]
    return (
        server, s["ts"], cpu["percent"], *cpu["load"],
        memory["total"], memory["used"], memory["available"],
        100.0 * memory["used"] / memory["total"],
        memory["swap_total"], memory["swap_used"],
        100.0 * memory["swap_used"] / memory["swap_total"] if memory["swap_total"] else 0.0,
        max(fs["percent"] for fs in disk["filesystems"]), disk["read_bps"], disk["write_bps"],
        *(sum(n[k] for n in nics) for k in ("rx_bps", "tx_bps", "rx_pps", "tx_pps")),
        sum(n["errors_in"] + n["errors_out"] for n in nics),
        Jsonb({"per_core": cpu["per_core"], "filesystems": disk["filesystems"],
               "interfaces": nics}),
    )  # fmt: skip


def _store(conn, path: str, server: int, rows: list[tuple]) -> None:
    last = rows[-1]
    state = (server, last[1], *(last[i] for i in _STATE_AT))
    if path == "/copy":
        with conn.transaction(), conn.cursor() as cur:
            with cur.copy(f"COPY monitoring_sample ({','.join(COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row((row[0], _ts(row[1]), *row[2:]))
            cur.execute(STATE, state)
        return
    one = "(%s, to_timestamp(%s), " + ", ".join(["%s"] * (len(COLUMNS) - 2)) + ")"
    values = ",".join([one] * len(rows))
    conn.execute(
        f"WITH s AS ({STATE} RETURNING 1) INSERT INTO monitoring_sample ({','.join(COLUMNS)}) "
        f"VALUES {values} ON CONFLICT (server_id, ts) DO NOTHING",
        [*state, *(value for row in rows for value in row)],
    )


def _ts(epoch: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(epoch, UTC)


def application(environ, start_response):
    if environ["REQUEST_METHOD"] != "POST":
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found"]
    body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    report = json.loads(body)
    conn = _connection()
    digest = hashlib.sha256(environ["HTTP_AUTHORIZATION"][7:].encode()).hexdigest()
    if digest not in _keys:
        found = conn.execute(
            "SELECT server_id FROM monitoring_agentkey WHERE key_hash = %s AND revoked_at IS NULL",
            [digest],
        ).fetchone()
        if found is None:
            start_response("401 Unauthorized", [("Content-Type", "application/json")])
            return [b'{"error": "unknown key"}']
        _keys[digest] = found[0]
    server = _keys[digest]
    rows = [_row(server, s) for s in report["samples"]]
    _store(conn, environ["PATH_INFO"], server, rows)
    answer = json.dumps({"accepted": len(rows)}).encode()
    start_response("200 OK", [("Content-Type", "application/json"),
                              ("Content-Length", str(len(answer)))])  # fmt: skip
    return [answer]
