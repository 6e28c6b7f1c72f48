"""Shared fixtures: personas (an admin, a customer who owns things, one who does not)."""

from __future__ import annotations

import time
from contextlib import ExitStack

import pytest
from django.conf import settings as django_settings
from django.db import connections
from django.test import Client
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY

from accounts import services
from accounts.models import Plan
from panel import dbroles
from security import session_limits, sudo, throttle
from security.models import TOTPDevice

PASSWORD = "correct-horse-battery-staple"

_owner_for_setup = ExitStack()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database is created and migrated by the owner role (DATABASE_OWNER_URL),
    as in production; pytest-django's set-up runs right after this."""
    _owner_for_setup.enter_context(dbroles.as_owner())


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """...and every test then runs as the runtime role (DATABASE_URL), like the panel."""
    _owner_for_setup.close()
    yield
    connections.close_all()  # the owner drops the test database next: leave it first


@pytest.fixture
def plan(db):
    return Plan.objects.create(
        name="Standard", max_databases=3, max_mailboxes=10, max_dns_zones=2, disk_quota_mb=500
    )


@pytest.fixture
def admin_user(db):
    user, _ = services.create_admin("admin@example.test", password=PASSWORD)
    return user


def _verified_customer(name: str, prefix: str, plan):
    account, _ = services.create_customer(
        name=name,
        email=f"{prefix}@example.test",
        prefix=prefix,
        plan=plan,
        password=PASSWORD,
        actor=None,
    )
    account.owner.email_verified_at = timezone.now()
    account.owner.save(update_fields=["email_verified_at"])
    return account


@pytest.fixture
def alice_account(plan):
    return _verified_customer("Alice Shop", "alice", plan)


@pytest.fixture
def bob_account(plan):
    return _verified_customer("Bob Garage", "bob", plan)


@pytest.fixture(autouse=True)
def _clear_throttles():
    """Login/code/email counters live in Redis, outside the test transaction."""
    throttle.clear_all()
    yield
    throttle.clear_all()


# The queue a job goes to when no worker of this session may take it (nothing consumes it).
UNCONSUMED_QUEUE = "tests.unconsumed"


@pytest.fixture(autouse=True)
def _jobs_stay_with_the_test(request, settings):
    """Once a test of this process has started the session's `celery_worker`, that worker
    takes every job dispatched afterwards, also from tests that run jobs themselves (and
    then race it). A test that did not ask for the worker sends its jobs to a queue no
    worker consumes; per-server queues are unchanged (their tests start their own workers).
    The setting is the engine's own: Celery reads its CELERY_* settings once, whichever test
    is running then, so overriding one of those would move every later task.
    """
    if "celery_worker" not in request.fixturenames:
        settings.PROVISIONING_DEFAULT_QUEUE = UNCONSUMED_QUEUE
    yield


def login_with_second_factor(client, user, device):
    """Log `client` in as `user` with a session that passed the second step."""
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def admin_device(admin_user):
    """Administrators must enrol in 2FA: the admin persona has a confirmed TOTP device."""
    return TOTPDevice.objects.create(user=admin_user, name="Authenticator app", confirmed=True)


# Each persona has its own Client: a test can use several at once (they used to share
# pytest-django's `client`, so the last one requested silently won).
@pytest.fixture
def admin_client(admin_user, admin_device):
    return in_sudo_mode(login_with_second_factor(Client(), admin_user, admin_device))


@pytest.fixture
def alice_client(alice_account):
    client = Client()
    client.force_login(alice_account.owner)
    return in_sudo_mode(client)


@pytest.fixture
def bob_client(bob_account):
    client = Client()
    client.force_login(bob_account.owner)
    return in_sudo_mode(client)


def in_sudo_mode(client):
    """The personas confirmed their password a moment ago (sudo mode), so destructive
    pages open directly; tests of sudo mode itself log in a fresh client."""
    session = client.session
    session[sudo.SESSION_KEY] = time.time() + 600
    session_limits.stamp(session)  # as a login through the login page does
    session.save()
    return client


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker consuming the real Redis broker, in a thread of this process.

    Tests that use it must commit their data (`django_db(transaction=True)`), since the
    worker reads through its own database connection.
    """
    from celery.contrib.testing.worker import start_worker

    from panel.celery import app

    # Only the default queue: left to itself, the worker consumes every queue the app knows
    # by now, which are the queues sent to so far. After tests that ran their own jobs, that
    # includes UNCONSUMED_QUEUE, and the worker would take their jobs after all.
    default_queue = django_settings.CELERY_TASK_DEFAULT_QUEUE
    assert default_queue != UNCONSUMED_QUEUE
    with (
        django_db_blocker.unblock(),
        start_worker(
            app,
            queues=[default_queue],
            pool="solo",
            concurrency=1,
            perform_ping_check=False,
            loglevel="WARNING",
            shutdown_timeout=10,
        ) as worker,
    ):
        yield worker


@pytest.fixture
def browser(live_server, monkeypatch):
    """A Chromium to open pages as a test client's user: `browser.open(client, path)`.

    Create the test's data before opening a page: once Playwright's event loop runs in this
    thread, Django refuses ORM calls unless told it is safe (it is: tests are synchronous).
    """
    from tests.browser import Browser

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    opened = Browser(live_server.url)
    yield opened
    opened.close()
