"""docker-compose.yml, as a Compose v2 parser resolves it with a .env from `make env`."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from deploy import lint, make_env

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "dbserver", "redis", "pdns-db", "pdns", "web", "worker", "beat"}


def _env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {key: value for key, value in pairs if not key.startswith("#")}


def _config(env_file: Path) -> subprocess.CompletedProcess:
    argv = [lint.compose_binary(), "--project-directory", ROOT, "-f", ROOT / "docker-compose.yml"]
    argv += ["--env-file", env_file, "config", "--format", "json"]
    # Compose prefers the shell's variables to the .env file's; the test stack exports some
    # of the same names (PDNS_API_KEY), so they are left out.
    env = {k: v for k, v in os.environ.items() if k not in _env(env_file) and k not in _NAMES}
    return subprocess.run(
        [str(a) for a in argv], capture_output=True, text=True, check=False, env=env
    )


_NAMES = set(make_env.GENERATED) | set(make_env.SETTINGS)


@pytest.fixture(scope="module")
def env_file(tmp_path_factory):
    return lint.example_env(tmp_path_factory.mktemp("env"))


@pytest.fixture(scope="module")
def project(env_file):
    result = _config(env_file)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_it_runs_every_service_with_a_healthcheck(project):
    services = project["services"]
    assert set(services) == SERVICES
    for name, service in services.items():
        assert service["healthcheck"]["test"], name
        assert service["restart"] == "unless-stopped", name


def test_panel_services_share_one_image_in_production_mode(project):
    panel = [project["services"][name] for name in ("web", "worker", "beat")]
    assert len({service["image"] for service in panel}) == 1
    assert [service["command"] for service in panel] == [["web"], ["worker"], ["beat"]]
    for service in panel:
        assert service["environment"]["HEARTH_DEV"] == "0"
    assert project["services"]["web"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert project["services"]["worker"]["depends_on"]["web"]["condition"] == "service_healthy"


def test_secrets_come_from_the_env_file(project, env_file):
    secrets = _env(env_file)
    web = project["services"]["web"]["environment"]
    assert web["SECRET_KEY"] == secrets["SECRET_KEY"]
    assert web["FIELD_ENCRYPTION_KEY"] == secrets["FIELD_ENCRYPTION_KEY"]
    assert web["API_TOKEN_PEPPER"] == secrets["API_TOKEN_PEPPER"]
    assert f":{secrets['HEARTH_APP_DB_PASSWORD']}@postgres:" in web["DATABASE_URL"]
    assert f":{secrets['HEARTH_OWNER_DB_PASSWORD']}@postgres:" in web["DATABASE_OWNER_URL"]
    assert f":{secrets['REDIS_PASSWORD']}@redis:" in web["REDIS_URL"]
    assert f":{secrets['DBSERVER_PASSWORD']}@" in web["PROVISIONING_PG_URL"]
    pg = project["services"]["postgres"]["environment"]
    assert pg["POSTGRES_PASSWORD"] == secrets["POSTGRES_SUPERUSER_PASSWORD"]
    pdns = project["services"]["pdns"]["environment"]
    assert web["PDNS_API_KEY"] == pdns["PDNS_API_KEY"] == secrets["PDNS_API_KEY"]
    assert pdns["PDNS_DB_PASSWORD"] == secrets["PDNS_DB_PASSWORD"]
    pdns_db = project["services"]["pdns-db"]["environment"]
    assert pdns_db["POSTGRES_PASSWORD"] == secrets["PDNS_DB_SUPERUSER_PASSWORD"]
    assert pdns_db["PDNS_DB_PASSWORD"] == secrets["PDNS_DB_PASSWORD"]


def test_the_panel_uses_the_compose_powerdns_once_it_is_healthy(project):
    services = project["services"]
    web = services["web"]["environment"]
    assert web["PDNS_API_URL"] == "http://pdns:8081/api/v1"
    assert web["PDNS_DNS_ADDRESS"] == "pdns:5300"
    assert services["web"]["depends_on"]["pdns"]["condition"] == "service_healthy"
    assert services["pdns"]["depends_on"]["pdns-db"]["condition"] == "service_healthy"
    assert services["pdns"]["build"]["dockerfile"] == "deploy/pdns/Dockerfile"
    assert {p["target"] for p in services["pdns"]["ports"]} == {5300}
    assert all(p["host_ip"] == "127.0.0.1" for p in services["pdns"]["ports"])
    volumes = [v["source"] for v in services["pdns-db"]["volumes"] if v["type"] == "volume"]
    assert volumes == ["pdnsdata"] and "pdnsdata" in project["volumes"]


def test_no_secret_has_a_default_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text()
    for name in make_env.GENERATED:
        uses = re.findall(r"\$\{" + name + r"(:?[-?][^}]*)?\}", text)
        assert uses, name
        assert all(use.startswith(":?") for use in uses), name


def test_it_refuses_to_start_without_make_env(tmp_path):
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = _config(empty)
    assert result.returncode != 0 and "run make env" in result.stderr


def test_data_lives_in_named_volumes(project):
    assert set(project["volumes"]) == {"pgdata", "dbserverdata", "redisdata", "pdnsdata"}
    mounts = {
        name: {volume["source"] for volume in service.get("volumes", [])}
        for name, service in project["services"].items()
    }
    assert mounts["postgres"] == {"pgdata"} and mounts["dbserver"] == {"dbserverdata"}
    assert mounts["redis"] == {"redisdata"} and mounts["pdns-db"] == {"pdnsdata"}


def test_only_the_panel_and_dns_are_published_and_only_on_loopback_by_default(project):
    services = project["services"]
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert sorted(published) == ["pdns", "web"]
    assert published["web"][0]["host_ip"] == "127.0.0.1"
    assert {(p["protocol"], p["published"]) for p in published["pdns"]} == {
        ("udp", "5300"),
        ("tcp", "5300"),
    }


def test_make_env_writes_private_fresh_secrets_and_never_overwrites(tmp_path):
    path = tmp_path / ".env"
    assert make_env.write_env(path)
    first = path.read_text()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    Fernet(_env(path)["FIELD_ENCRYPTION_KEY"])
    assert not make_env.write_env(path)
    assert path.read_text() == first
    other = tmp_path / "other.env"
    make_env.write_env(other)
    assert _env(other)["SECRET_KEY"] != _env(path)["SECRET_KEY"]
