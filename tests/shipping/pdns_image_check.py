"""Compose's PowerDNS image, started as compose runs it (`make image-test`, not `make test`).

HEARTH_PDNS_IMAGE names the image (`make pdns-image` builds it from deploy/pdns/). It runs
with podman on the host network against a PostgreSQL cluster holding the database and role
compose's `pdns-role` config makes; Hearth then drives it as it drives any DNS primary.
"""

from __future__ import annotations

import os
import secrets

import httpx
import psycopg
import pytest

from panel.stack import free_port
from provisioning.dns import services
from provisioning.dns.servers import register_dns_server
from tests.dns.conftest import run_jobs
from tests.dns.dnsquery import answers, rcode
from tests.provisioning.pgcluster import destroy_cluster, start_cluster
from tests.shipping.image_check import podman, wait_until

IMAGE = os.environ.get("HEARTH_PDNS_IMAGE", "")
# docker-compose.yml's pdns-role, with the password as a parameter.
ROLE_SQL = [
    "CREATE ROLE pdns LOGIN PASSWORD {pw}",
    "CREATE DATABASE pdns OWNER pdns",
    "REVOKE ALL ON DATABASE pdns FROM PUBLIC",
]


@pytest.fixture(scope="module")
def pdns_db():
    assert IMAGE, "set HEARTH_PDNS_IMAGE (make image-test does)"
    target = start_cluster()
    password = secrets.token_urlsafe(16)
    with target.connect() as conn:
        for statement in ROLE_SQL:
            conn.execute(psycopg.sql.SQL(statement).format(pw=psycopg.sql.Literal(password)))
    yield target, password
    destroy_cluster(target)


def _api(container, path: str, key: str | None = None) -> httpx.Response:
    headers = {"X-API-Key": key} if key else {}
    url = f"http://127.0.0.1:{container['api_port']}/api/v1/servers/localhost{path}"
    return httpx.get(url, headers=headers, timeout=5)


def _start(container) -> None:
    podman("rm", "--force", container["name"], check=False)
    podman(
        "run",
        "--detach",
        "--name",
        container["name"],
        "--network",
        "host",
        *container["env"],
        IMAGE,
    )
    assert wait_until(lambda: _is_up(container)), _logs(container)[-3000:]


@pytest.fixture(scope="module")
def container(pdns_db):
    target, password = pdns_db
    key, dns_port, api_port = secrets.token_urlsafe(24), free_port(), free_port()
    env = {
        "PDNS_API_KEY": key,
        "PDNS_DB_PASSWORD": password,
        "PDNS_DB_HOST": "127.0.0.1",
        "PDNS_DB_PORT": str(target.port),
        "PDNS_DNS_PORT": str(dns_port),
        "PDNS_API_PORT": str(api_port),
    }
    pairs = [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]
    made = {
        "name": f"hearth-pdns-{secrets.token_hex(4)}",
        "env": pairs,
        "key": key,
        "dns": ("127.0.0.1", dns_port),
        "api_port": api_port,
        "api_url": f"http://127.0.0.1:{api_port}/api/v1",
        "db": (target, password),
    }
    _start(made)
    yield made
    podman("rm", "--force", made["name"], check=False)


def test_it_applies_the_schema_and_its_tables_belong_to_the_pdns_role(container):
    target, password = container["db"]
    url = f"postgresql://pdns:{password}@127.0.0.1:{target.port}/pdns"
    with psycopg.connect(url) as conn:
        owner = conn.execute("SELECT tableowner FROM pg_tables WHERE tablename = 'domains'")
        assert owner.fetchone() == ("pdns",)


def test_the_api_needs_the_key(container):
    assert _api(container, "").status_code == 401
    assert _api(container, "", "wrong").status_code == 401
    info = _api(container, "", container["key"]).json()
    assert info["daemon_type"] == "authoritative" and info["version"].startswith("4.7")


def test_it_runs_unprivileged_and_passes_its_healthcheck(container):
    assert podman("exec", container["name"], "id", "-u").stdout.strip() != "0"
    result = wait_until(
        lambda: podman("healthcheck", "run", container["name"], check=False).returncode == 0
    )
    assert result, podman("logs", container["name"], check=False).stderr[-3000:]
    ps = podman("exec", container["name"], "cat", "/proc/1/cmdline").stdout
    assert container["key"] not in ps and container["db"][1] not in ps


def test_hearth_hosts_a_zone_on_it_and_it_survives_a_restart(container, alice_account):
    register_dns_server(
        "local-dns",
        api_url=container["api_url"],
        api_key=container["key"],
        dns_address=f"localhost:{container['dns'][1]}",
    )
    name = f"z{secrets.token_hex(5)}.example.test."
    zone = services.create_zone(alice_account, name, template="web", actor=alice_account.owner)
    run_jobs()
    zone.refresh_from_db()
    assert zone.state == "active", zone.error_message
    assert answers(container["dns"], name, "A") == {"192.0.2.10"}
    before = podman("logs", container["name"], check=False)
    assert "applying" in before.stdout + before.stderr
    podman("stop", container["name"])
    podman("start", container["name"])
    assert wait_until(lambda: _is_up(container)), _logs(container)[-3000:]
    assert answers(container["dns"], name, "A") == {"192.0.2.10"}
    after = podman("logs", container["name"], check=False)
    assert (after.stdout + after.stderr).count("applying") == 1  # the schema only once
    services.delete_zone(zone, actor=alice_account.owner)
    run_jobs()
    assert rcode(container["dns"], name) == "REFUSED"


def _logs(container) -> str:
    result = podman("logs", container["name"], check=False)
    return result.stdout + result.stderr


def _is_up(container) -> bool:
    try:
        return _api(container, "", container["key"]).status_code == 200
    except httpx.TransportError:
        return False
