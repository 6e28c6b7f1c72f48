"""The whole path through HTTP: docs/api.md's examples against a live panel and a real Celery
worker — create a database with a token, follow its job, connect with the returned
credentials, delete it."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import httpx
import psycopg
import pytest

from tests.api.conftest import make_token
from tests.provisioning.conftest import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"


def example(kind: str) -> str:
    text = DOC.read_text()
    match = re.search(rf"<!-- example: {kind} -->\n```\w+\n(.*?)```", text, re.S)
    assert match, f"docs/api.md has no {kind} example"
    return match.group(1)


def run_example(kind: str, env: dict) -> str:
    code = example(kind)
    if kind.endswith("python"):
        argv = [sys.executable, "-c", code]
    else:  # the curl line, with $VARS filled in and split like a shell would (no shell)
        line = re.sub(r"\$(\w+)", lambda m: env[m.group(1)], code.strip())
        argv = shlex.split(line)
    result = subprocess.run(  # noqa: S603
        argv, env=os.environ | env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_documented_examples_create_a_usable_database_and_it_is_deleted(
    live_server, alice_account, db_server, target_pg, celery_worker
):
    env = {"HEARTH_URL": live_server.url, "HEARTH_TOKEN": make_token(alice_account.owner)}
    assert '"results":[]' in run_example("curl", env).replace(" ", "")

    state, connection = run_example("python", env).split()
    assert state == "done"
    with psycopg.connect(connection, connect_timeout=5) as conn:
        assert conn.execute("SELECT current_database()").fetchone()[0] == "alice_shop"
        conn.execute("CREATE TABLE orders (id int)")
        conn.commit()

    api = httpx.Client(
        base_url=live_server.url + "/api/v1",
        headers={"Authorization": "Bearer " + env["HEARTH_TOKEN"]},
    )
    [db] = api.get("/databases/").json()["results"]
    assert db["state"] == "active"
    deleted = api.delete(f"/databases/{db['id']}/")
    assert deleted.status_code == 202
    wait_for(lambda: api.get(deleted.json()["job"]).json()["state"] == "done")
    assert api.get(f"/databases/{db['id']}/").status_code == 404
    with target_pg.connect() as conn:
        names = [r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()]
    assert "alice_shop" not in names
