"""Redis stopped under a running panel: every Redis-backed feature answers as decided, never
with a traceback, and comes back by itself when Redis does (issue 16, item 3).

One table walks the pages and endpoints that use Redis (cache, counters, broker, statistics).
The panel is a real web server started as `make run` starts it, on the test database, with
a Redis of the test's own (started by panel/stack/redis.py): the stack's Redis, which the
other tests use, stays up. Each row says what the feature does without Redis:

- fail closed, 503 + Retry-After + "temporarily unavailable": the brute-force counters
  (login, second factor, password reset, verification email), the API's rate limits, and
  actions that need the task queue now (a drift check);
- fall back to the database: the admin's open-alert badge;
- carry on: pages that only read the database, a create whose job waits in its row (the
  outbox) for the dispatcher, agent reports (statistics are best effort), /metrics without
  the ingestion counters, /healthz saying "degraded" with 503.
"""

from __future__ import annotations

import json
import secrets
import time
import urllib.parse
from dataclasses import dataclass, field

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services as accounts
from api import services as api_services
from monitoring import alerts
from monitoring.models import AlertEvent, AlertRule, Sample
from panel.stack.common import free_port
from panel.stack.redis import RedisServer, start_redis
from provisioning.engine.choices import JobState
from provisioning.models import ProvisioningJob
from security import login_flow
from security.session_store import SessionStore
from tests.conftest import PASSWORD
from tests.monitoring.conftest import make_key, make_server, now_ts, report
from tests.stack_web import ask, web_server

METRICS_TOKEN = "redis-down-metrics-token"  # noqa: S105 - a test's own scrape token
CSRF = secrets.token_hex(16)  # 32 characters: a valid unmasked CSRF secret


@dataclass
class Row:
    name: str
    who: str  # anonymous, admin, alice, carol (unverified), pending (between the two steps)
    method: str
    path: str
    down: int  # the status while Redis is down
    says: str = ""  # text the answer contains while Redis is down
    up: int | None = None  # the status once Redis is back (None: not asked again)
    data: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


ROWS = [
    Row("health", "anonymous", "GET", "/healthz", 503, '"redis": "error', up=200),
    Row("login page", "anonymous", "GET", "accounts:login", 200),
    Row(
        "login",
        "anonymous",
        "POST",
        "accounts:login",
        503,
        "temporarily unavailable",
        up=302,
        data={"username": "alice@example.test", "password": PASSWORD},
    ),
    Row(
        "password reset",
        "anonymous",
        "POST",
        "security:password_reset",
        503,
        "temporarily unavailable",
        data={"email": "alice@example.test"},
    ),
    Row(
        "second factor",
        "pending",
        "POST",
        "security:login_verify",
        503,
        "temporarily unavailable",
        data={"code": "000000"},
    ),
    Row(
        "verification email",
        "carol",
        "POST",
        "security:resend_verification",
        503,
        "temporarily unavailable",
    ),
    Row("admin overview + badge", "admin", "GET", "accounts:admin_overview", 200, "1 critical"),
    Row("alert list", "admin", "GET", "monitoring:alert_list", 200, up=200),
    Row("jobs", "admin", "GET", "provisioning:job_list", 200),
    Row(
        "drift check",
        "admin",
        "POST",
        "provisioning:drift_run",
        503,
        "temporarily unavailable",
    ),
    Row("customer dashboard", "alice", "GET", "accounts:dashboard", 200),
    Row("database list", "alice", "GET", "provisioning:database_list", 200),
    Row(
        "create database",
        "alice",
        "POST",
        "provisioning:database_create",
        201,  # the new database's password, shown once
        data={"name": "redisdown"},
    ),
    Row(
        "API",
        "token",
        "GET",
        "/api/v1/databases/",
        503,
        "throttle_unavailable",
        up=200,
        headers={"Accept": "application/json"},
    ),
    Row("agent report", "agent", "POST", "/api/agent/v1/metrics", 200, '"stored": 1'),
    Row("prometheus", "metrics", "GET", "/metrics", 200, "hearth_server_online", up=200),
]


@pytest.fixture
def own_redis(tmp_path):
    server = start_redis(tmp_path / "redis", free_port())
    yield server
    RedisServer(server.dir, server.port).destroy()


@pytest.fixture
def panel(own_redis, tmp_path):
    """The development web server `make run` starts, on our Redis and the test database."""
    environment = {"REDIS_URL": own_redis.url(0), "MONITORING_METRICS_TOKEN": METRICS_TOKEN}
    with web_server(tmp_path, **environment) as port:
        yield port


@pytest.fixture
def carol_client(plan):
    account, _ = accounts.create_customer(
        name="Carol Unverified",
        email="carol@example.test",
        prefix="carol",
        plan=plan,
        password=PASSWORD,
        actor=None,
    )
    client = Client()
    client.force_login(account.owner)
    return client


def _session_of(client) -> str:
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def _pending_session(user) -> str:
    """A session between the two login steps (password accepted, code not yet given)."""
    store = SessionStore()
    store[login_flow.PENDING] = {
        "user": user.pk,
        "backend": "django.contrib.auth.backends.ModelBackend",
        "since": int(time.time()),
        "next": "/",
    }
    store.create()
    return store.session_key


def _credentials(admin_client, alice_client, alice_account, admin_user, carol_client) -> dict:
    server = make_server("redisdown")
    rule = AlertRule.objects.get(kind="cpu")
    AlertEvent.objects.create(rule=rule, server=server, opened_at=timezone.now(), value=99.0)
    _, token = api_services.create_token(
        alice_account.owner,
        name="redis-down",
        scopes={"databases": "read"},
        request=None,
    )
    return {
        "admin": {"session": _session_of(admin_client)},
        "alice": {"session": _session_of(alice_client)},
        "carol": {"session": _session_of(carol_client)},
        "pending": {"session": _pending_session(admin_user)},
        "token": {"bearer": token},
        "agent": {"bearer": make_key(server), "server": server},
        "metrics": {"bearer": METRICS_TOKEN},
        "anonymous": {},
    }


def _body(row: Row, who: dict) -> bytes | None:
    if row.who == "agent":
        return json.dumps(report(who["server"], [now_ts(-5)])).encode()
    if row.method == "POST":
        return urllib.parse.urlencode(row.data).encode()
    return None


def _ask(port: int, row: Row, who: dict) -> tuple[int, dict, str]:
    path = row.path if row.path.startswith("/") else reverse(row.path)
    headers = {"Accept": "text/html", **row.headers}
    cookies = [f"csrftoken={CSRF}"]
    if "session" in who:
        cookies.append(f"{settings.SESSION_COOKIE_NAME}={who['session']}")
    if "bearer" in who:
        headers["Authorization"] = f"Bearer {who['bearer']}"
    if row.method == "POST":
        headers["X-CSRFToken"] = CSRF
        headers["Content-Type"] = (
            "application/json" if row.who == "agent" else "application/x-www-form-urlencoded"
        )
    headers["Cookie"] = "; ".join(cookies)
    return ask(port, row.method, path, _body(row, who), headers)


def _check(row: Row, status: int, headers: dict, body: str, expected: int) -> list[str]:
    wrong = []
    if status != expected:
        wrong.append(f"{row.name}: {status}, expected {expected}: {body[:300]}")
    if "Traceback" in body:
        wrong.append(f"{row.name}: a traceback in the answer")
    if status == 503 and row.path != "/healthz" and not headers.get("Retry-After"):
        wrong.append(f"{row.name}: 503 without Retry-After")
    if status == expected == row.down and row.says and row.says not in body:
        wrong.append(f"{row.name}: {row.says!r} not in the answer: {body[:300]}")
    return wrong


@pytest.mark.django_db(transaction=True)
def test_every_redis_backed_feature_answers_as_decided_while_redis_is_down(
    panel, own_redis, admin_client, admin_user, alice_client, alice_account, carol_client
):
    alerts.ensure_default_rules()  # a transactional test's flush empties the seeded rules
    call_command("ensure_default_db_server")
    who = _credentials(admin_client, alice_client, alice_account, admin_user, carol_client)
    alice = who["alice"]
    assert _ask(panel, Row("warm", "alice", "GET", "accounts:dashboard", 200), alice)[0] == 200

    own_redis.stop()
    wrong = []
    for row in ROWS:
        wrong += _check(row, *_ask(panel, row, who[row.who]), row.down)
    assert not wrong, "\n".join(wrong)
    # Nothing half-made: the create's job waits in its row for the dispatcher.
    job = ProvisioningJob.objects.get(account=alice_account)
    assert (job.state, job.attempts) == (JobState.PENDING, 0)
    assert Sample.objects.filter(server=who["agent"]["server"]).count() == 1

    RedisServer(own_redis.dir, own_redis.port, started=True).start()
    wrong = []
    for row in (row for row in ROWS if row.up is not None):
        status, headers, body = _ask(panel, row, who[row.who])
        wrong += _check(row, status, headers, body, row.up)
    assert not wrong, "\n".join(wrong)
