"""The container image, started as production runs it (`make image-test`, not `make test`).

HEARTH_IMAGE names the image (`make image` builds it). Its web and worker run with podman on
the host network against a PostgreSQL cluster of the stack's own making (SCRAM passwords,
the compose file's roles) and the stack's Redis; the checks are what a person deploying it
would look at: /healthz, the login page and its static files, migrations, the first
administrator printed once, the managed server registered, a worker answering.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import psycopg
import pytest
from celery import Celery
from django.conf import settings
from django.contrib.auth.hashers import check_password

from deploy.make_env import render
from panel.stack import free_port
from tests.provisioning.pgcluster import destroy_cluster, start_cluster

ROOT = Path(__file__).resolve().parents[2]
IMAGE = os.environ.get("HEARTH_IMAGE", "")
PODMAN_ENV = {**os.environ, "CONTAINERS_CONF": str(ROOT / "deploy/podman/containers.conf")}
MAIL_DB_PASSWORD = secrets.token_hex(16)
MAIL_DB_URL = f"postgres://hearth_mail_writer:{MAIL_DB_PASSWORD}@postgres:5432/hearth_mail"
# The compose file's panel-roles, with passwords as parameters.
ROLES_SQL = [
    "CREATE ROLE hearth_owner LOGIN CREATEDB PASSWORD {owner}",
    "CREATE ROLE hearth_app LOGIN NOINHERIT PASSWORD {app}",
    "CREATE DATABASE hearth OWNER hearth_owner",
    "REVOKE ALL ON DATABASE hearth FROM PUBLIC",
    "GRANT CONNECT, TEMPORARY ON DATABASE hearth TO hearth_app",
]


def podman(*args, check=True, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["podman", *args],
        env=PODMAN_ENV,
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def run_image(env_file: Path, *command: str) -> subprocess.CompletedProcess:
    return podman(
        "run",
        "--rm",
        "--network",
        "host",
        "--env-file",
        str(env_file),
        IMAGE,
        *command,
        check=False,
    )


def wait_until(check, timeout=120.0):
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()
    except OSError:
        return 0, ""


@pytest.fixture(scope="module")
def cluster():
    assert IMAGE, "set HEARTH_IMAGE (make image-test does)"
    target = start_cluster()
    yield target
    destroy_cluster(target)


@pytest.fixture(scope="module")
def deployment(cluster, tmp_path_factory):
    """An .env as `make env` writes it, pointed at loopback servers; the panel's URLs."""
    owner_pw, app_pw = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    with cluster.connect() as conn:
        for statement in ROLES_SQL:
            query = psycopg.sql.SQL(statement).format(
                owner=psycopg.sql.Literal(owner_pw), app=psycopg.sql.Literal(app_pw)
            )
            conn.execute(query)
    with cluster.connect("hearth") as conn:
        conn.execute("ALTER SCHEMA public OWNER TO hearth_owner")
    base = f"127.0.0.1:{cluster.port}/hearth"
    owner_url = f"postgres://hearth_owner:{owner_pw}@{base}"
    app_url = f"postgres://hearth_app:{app_pw}@{base}"
    port = free_port()
    redis_url = re.sub(r"/\d+$", "/9", settings.REDIS_URL)
    env_file = tmp_path_factory.mktemp("image") / "image.env"
    made = [line for line in render().splitlines() if not line.startswith("PDNS_API_KEY=")]
    env_file.write_text(
        "\n".join(made)
        + f"\nHEARTH_DEV=0\nDATABASE_URL={app_url}\nDATABASE_OWNER_URL={owner_url}\n"
        f"REDIS_URL={redis_url}\nPORT={port}\nALLOWED_HOSTS=127.0.0.1\nHTTPS=false\n"
        f"PROVISIONING_PG_URL=postgres://postgres:{cluster.password}@127.0.0.1:{cluster.port}/postgres\n"
        "HEARTH_ADMIN_EMAIL=owner@example.test\n"
        # The stack's PowerDNS stands in for compose's pdns service.
        f"PDNS_API_URL={settings.PDNS_API_URL}\nPDNS_API_KEY={settings.PDNS_API_KEY}\n"
        f"PDNS_DNS_ADDRESS={settings.PDNS_DNS_ADDRESS}\n"
        # compose's mail host, as its MAIL_* settings name it (registering contacts nothing)
        f"MAIL_DATABASE_URL={MAIL_DB_URL}\nMAIL_HOST=postfix\n"
        "MAIL_DOVEADM_URL=http://dovecot:8080/doveadm/v1\n"
    )
    return {
        "env_file": env_file,
        "panel": f"http://127.0.0.1:{port}",
        "redis": redis_url,
        "owner_url": owner_url,
    }


@pytest.fixture(scope="module")
def setup_output(deployment):
    result = run_image(deployment["env_file"], "setup")
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def running_container(deployment, command: str, *options: str):
    """Run the image's COMMAND (web, worker, beat) in the background until the module ends."""
    name = f"hearth-image-{command}-{secrets.token_hex(4)}"
    env_file = str(deployment["env_file"])
    podman(
        "run",
        "--detach",
        "--name",
        name,
        "--network",
        "host",
        "--env-file",
        env_file,
        *options,
        IMAGE,
        command,
    )
    yield name
    podman("rm", "--force", name, check=False)


@pytest.fixture(scope="module")
def web(deployment, setup_output):
    yield from running_container(deployment, "web", "-e", "HEARTH_SETUP=0")


@pytest.fixture(scope="module")
def worker(deployment, setup_output):
    yield from running_container(deployment, "worker")


def test_setup_creates_the_first_administrator_once_and_prints_the_password(
    deployment, setup_output
):
    assert "Created administrator owner@example.test" in setup_output
    password = setup_output.split("password: ")[1].split()[0]
    with psycopg.connect(deployment["owner_url"]) as conn:
        rows = conn.execute(
            "SELECT email, password FROM accounts_user WHERE role = 'admin'"
        ).fetchall()
    assert [row[0] for row in rows] == ["owner@example.test"]
    assert check_password(password, rows[0][1])
    again = run_image(deployment["env_file"], "setup")
    assert again.returncode == 0 and "already exists" in again.stdout
    assert "password:" not in again.stdout


def test_setup_registers_the_managed_postgresql(deployment, setup_output, cluster):
    with psycopg.connect(deployment["owner_url"]) as conn:
        rows = conn.execute("SELECT name, address FROM provisioning_server").fetchall()
    assert ("managed", "127.0.0.1") in rows


def test_setup_registers_the_powerdns_primary_as_the_default_dns_server(deployment, setup_output):
    assert "DNS server 'local-dns' registered" in setup_output
    with psycopg.connect(deployment["owner_url"]) as conn:
        row = conn.execute(
            "SELECT roles, connection, credentials_encrypted FROM provisioning_server"
            " WHERE name = 'local-dns'"
        ).fetchone()
    roles, connection, sealed = row
    assert roles == ["dns"] and connection["dns"]["api_url"] == settings.PDNS_API_URL
    assert sealed and settings.PDNS_API_KEY not in sealed  # encrypted at rest


def test_setup_registers_the_compose_mail_host_as_the_default_mail_server(deployment, setup_output):
    assert "mail server 'local-mail' registered" in setup_output
    with psycopg.connect(deployment["owner_url"]) as conn:
        row = conn.execute(
            "SELECT roles, address, connection, credentials_encrypted FROM provisioning_server"
            " WHERE name = 'local-mail'"
        ).fetchone()
    roles, address, connection, sealed = row
    assert roles == ["mail"] and address == "postfix"
    assert connection["mail"]["doveadm_url"] == "http://dovecot:8080/doveadm/v1"
    assert sealed and MAIL_DB_PASSWORD not in sealed  # encrypted at rest


def test_the_image_has_every_migration_applied_and_none_missing(deployment, setup_output):
    applied = run_image(deployment["env_file"], "manage.py", "migrate", "--check")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    missing = run_image(
        deployment["env_file"], "manage.py", "makemigrations", "--check", "--dry-run"
    )
    assert missing.returncode == 0, missing.stdout + missing.stderr


def test_healthz_answers_200_with_versions(deployment, web):
    status, body = wait_until(lambda: (r := get(deployment["panel"] + "/healthz"))[0] and r)
    assert status == 200, podman("logs", web, check=False).stderr[-3000:]
    health = json.loads(body)
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert health["status"] == "ok" and health["versions"]["hearth"] == project["version"]
    assert health["versions"]["postgresql"] and health["versions"]["redis"]


def test_the_image_healthcheck_passes(deployment, web):
    wait_until(lambda: get(deployment["panel"] + "/healthz")[0] == 200)
    result = podman("healthcheck", "run", web, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_login_page_and_its_collected_static_files_are_served(deployment, web):
    wait_until(lambda: get(deployment["panel"] + "/healthz")[0] == 200)
    status, page = get(deployment["panel"] + "/login/")
    assert status == 200 and 'name="password"' in page
    stylesheet = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', page)
    assert stylesheet, "the page links the manifest's hashed name (collected at build)"
    assert get(deployment["panel"] + stylesheet[1])[0] == 200


def test_web_runs_as_an_unprivileged_user(web):
    assert podman("exec", web, "id", "-u").stdout.strip() == "10001"


@pytest.fixture(scope="module")
def beat(deployment, setup_output):
    yield from running_container(deployment, "beat")


def test_worker_and_beat_pass_the_image_healthcheck(worker, beat):
    for name in (worker, beat):
        result = wait_until(
            lambda n=name: podman("healthcheck", "run", n, check=False).returncode == 0
        )
        assert result, podman("logs", name, check=False).stderr[-3000:]


def test_the_worker_answers_on_the_broker(deployment, worker):
    app = Celery(broker=deployment["redis"])
    replies = wait_until(lambda: app.control.ping(timeout=1.0), timeout=90)
    assert replies, podman("logs", worker, check=False).stderr[-3000:]
    assert any(name.startswith("celery@") for reply in replies for name in reply)
