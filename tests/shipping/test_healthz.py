"""/healthz (the image's HEALTHCHECK) reports the versions of Hearth and of what it reached."""

from __future__ import annotations

import json
import platform
import tomllib
from pathlib import Path

import django
from django.db import connection
from redis import Redis

ROOT = Path(__file__).resolve().parents[2]


def test_healthz_reports_the_versions_of_what_it_checked(client, db, settings):
    body = json.loads(client.get("/healthz").content)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        major = cursor.fetchone()[0] // 10000
    redis_info = Redis.from_url(settings.REDIS_URL).info("server")
    assert body["versions"]["hearth"] == project["version"]
    assert body["versions"]["python"] == platform.python_version()
    assert body["versions"]["django"] == django.get_version()
    assert body["versions"]["postgresql"].split(".")[0] == str(major)
    assert body["versions"]["redis"] == redis_info["redis_version"]


def test_healthz_omits_the_version_of_a_server_it_cannot_reach(client, db, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
        }
    }
    response = client.get("/healthz")
    body = json.loads(response.content)
    assert response.status_code == 503
    assert body["redis"].startswith("error") and "redis" not in body["versions"]
    assert body["versions"]["postgresql"]


def test_healthz_answers_without_a_login_and_is_never_cached(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_names_the_commit_an_image_was_built_from(client, db, monkeypatch):
    monkeypatch.delenv("HEARTH_REVISION", raising=False)
    assert "revision" not in json.loads(client.get("/healthz").content)["versions"]
    monkeypatch.setenv("HEARTH_REVISION", "49ae8b9")
    assert json.loads(client.get("/healthz").content)["versions"]["revision"] == "49ae8b9"


def test_healthz_answers_plain_http_when_https_redirects_everything_else(db, settings):
    from django.test import Client

    settings.SECURE_SSL_REDIRECT = True
    client = Client()  # a new client loads SecurityMiddleware with the setting on
    assert client.get("/login/").status_code == 301
    assert client.get("/healthz").status_code == 200
