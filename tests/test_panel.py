import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import HostingAccount, Plan, User
from panel.tasks import ping


def test_healthz_reports_database_and_redis(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = json.loads(response.content)
    assert {key: body[key] for key in ("status", "database", "redis")} == {
        "status": "ok",
        "database": "ok",
        "redis": "ok",
    }


def test_healthz_reports_a_dead_redis(client, db, settings):
    # Overriding CACHES rebuilds the cache handlers (Django's setting_changed signal).
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = json.loads(response.content)
    assert body["database"] == "ok" and body["redis"].startswith("error")


def test_every_response_carries_a_request_id(client, db):
    assert len(client.get("/healthz")["X-Request-ID"]) == 32


def test_createadmin_prints_a_generated_password_once(db, capsys):
    call_command("createadmin", "--email", "root@example.test", "--if-none")
    out = capsys.readouterr().out
    password = out.split("password: ")[1].split()[0]
    assert User.objects.get(email="root@example.test").check_password(password)
    call_command("createadmin", "--email", "other@example.test", "--if-none")
    assert "already exists" in capsys.readouterr().out
    assert User.objects.filter(role="admin").count() == 1


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo")
    call_command("seed_demo")
    assert HostingAccount.objects.filter(prefix="acme").count() == 1
    assert Plan.objects.filter(name__in=["Starter", "Business"]).count() == 2


@pytest.mark.django_db(transaction=True)
def test_a_task_round_trips_through_the_real_broker_and_worker(celery_worker):
    result = ping.delay("hello")
    assert result.get(timeout=20) == "pong:hello"
    assert result.status == "SUCCESS"


def _seen_ip(client, **headers) -> str:
    from security.models import AuditEvent

    client.post(
        reverse("accounts:login"), {"username": "x@example.test", "password": "x"}, **headers
    )
    return AuditEvent.objects.filter(action="auth.login_failed").latest("id").ip


def test_behind_a_proxy_the_client_address_is_the_last_forwarded_entry(client, db, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    forged_then_real = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7"}
    assert _seen_ip(client, REMOTE_ADDR="10.0.0.2", **forged_then_real) == "198.51.100.7"
    assert _seen_ip(client, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="junk") == "10.0.0.2"


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client, db, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/24"]
    forged = {"HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert _seen_ip(client, REMOTE_ADDR="203.0.113.50", **forged) == "203.0.113.50"


def test_a_chain_of_trusted_proxies_is_walked_to_the_client(client, db, settings):
    settings.BEHIND_PROXY = True
    settings.TRUSTED_PROXIES = ["10.0.0.0/24", "10.0.1.5"]
    chain = {"HTTP_X_FORWARDED_FOR": "203.0.113.9, 198.51.100.7, 10.0.1.5"}
    assert _seen_ip(client, REMOTE_ADDR="10.0.0.2", **chain) == "198.51.100.7"


def test_without_a_proxy_forwarded_headers_are_ignored(client, db):
    headers = {"REMOTE_ADDR": "192.0.2.1", "HTTP_X_FORWARDED_FOR": "198.51.100.7"}
    assert _seen_ip(client, **headers) == "192.0.2.1"
