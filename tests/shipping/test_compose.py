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
from panel.stack import run, services

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "dbserver", "redis", "pdns-db", "pdns", "web", "worker", "beat"}
SERVICES |= {"postfix", "dovecot", "rspamd"}
ONE_SHOTS = {"mail-db"}  # runs on every `up`, then exits
MAIL = ("mail-db", "dovecot", "rspamd", "postfix")


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
    assert set(services) == SERVICES | ONE_SHOTS
    for name in SERVICES:
        assert services[name]["healthcheck"]["test"], name
        assert services[name]["restart"] == "unless-stopped", name
    for name in ONE_SHOTS:
        assert services[name]["restart"] == "no", name
        waiting = [
            s["depends_on"][name] for s in services.values() if name in s.get("depends_on", {})
        ]
        assert waiting and all(w["condition"] == "service_completed_successfully" for w in waiting)


def test_every_server_make_run_starts_is_a_compose_service(project):
    # what `python -m panel.stack run` starts: its servers (the mail host once var/stack.json
    # records one; the panel's PostgreSQL clusters only once initialised, so named here) and
    # the panel's processes. BIND is a secondary only the tests start.
    started = {services.name_of(s) for s in services.local_services({"mail": {}})}
    started |= {"postgres", "dbserver"} | set(run.child_commands(False, 8000, {}))
    assert {"postfix", "dovecot", "rspamd", "redis", "pdns", "web", "worker"} <= started
    assert started - {"bind"} <= set(project["services"])


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


def test_mail_secrets_come_from_the_env_file(project, env_file):
    secrets = _env(env_file)
    services = project["services"]
    web, mail_db = services["web"]["environment"], services["mail-db"]["environment"]
    writer, reader = secrets["MAIL_DB_WRITER_PASSWORD"], secrets["MAIL_DB_READER_PASSWORD"]
    assert web["MAIL_DATABASE_URL"] == (
        f"postgres://hearth_mail_writer:{writer}@postgres:5432/hearth_mail"
    )
    assert mail_db["MAIL_DB_WRITER_PASSWORD"] == writer
    assert mail_db["MAIL_DB_SUPERUSER_PASSWORD"] == secrets["POSTGRES_SUPERUSER_PASSWORD"]
    for name in ("mail-db", "dovecot", "postfix"):
        assert services[name]["environment"]["MAIL_DB_READER_PASSWORD"] == reader, name
    key = secrets["MAIL_DOVEADM_API_KEY"]
    assert web["MAIL_DOVEADM_API_KEY"] == services["dovecot"]["environment"]["MAIL_DOVEADM_API_KEY"]
    assert web["MAIL_DOVEADM_API_KEY"] == key
    assert services["rspamd"]["environment"]["REDIS_PASSWORD"] == secrets["REDIS_PASSWORD"]
    assert web["MAIL_DKIM_REDIS_URL"] == f"redis://:{secrets['REDIS_PASSWORD']}@redis:6379/5"
    assert all(
        re.fullmatch(r"[0-9a-f]{32}", secrets[n])
        for n in ("MAIL_DB_WRITER_PASSWORD", "MAIL_DB_READER_PASSWORD", "MAIL_DOVEADM_API_KEY")
    )  # what maildb.py takes
    # the superuser's password reaches the one-shot only, never a long-running mail server
    for name in ("dovecot", "postfix", "rspamd"):
        assert secrets["POSTGRES_SUPERUSER_PASSWORD"] not in str(services[name]), name


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


def test_the_panel_uses_the_compose_mail_host_once_it_is_healthy(project):
    services = project["services"]
    web = services["web"]["environment"]
    assert web["MAIL_HOST"] == "postfix"
    assert web["MAIL_DOVEADM_URL"] == "http://dovecot:8080/doveadm/v1"
    assert (web["EMAIL_HOST"], web["EMAIL_PORT"]) == ("postfix", "10025")  # its relay port
    assert services["web"]["depends_on"]["postfix"]["condition"] == "service_healthy"
    assert {services[name]["image"] for name in MAIL} == {"hearth-mail:local"}
    assert {services[name]["build"]["dockerfile"] for name in MAIL} == {"deploy/mail/Dockerfile"}
    assert [services[name]["command"] for name in MAIL] == [
        ["setup-db"],
        ["dovecot"],
        ["rspamd"],
        ["postfix"],
    ]
    waits = {name: services[name]["depends_on"] for name in MAIL}
    assert waits["mail-db"]["postgres"]["condition"] == "service_healthy"
    assert set(waits["postfix"]) == {"mail-db", "dovecot", "rspamd"}
    assert "mail-db" in waits["dovecot"] and "redis" in waits["rspamd"]
    for name in ("dovecot", "rspamd", "postfix"):
        check = services[name]["healthcheck"]["test"]
        assert check == ["CMD", "python3", "-m", "deploy.mail.serve", "healthcheck"], name


def test_the_worker_and_dovecot_share_the_maildirs(project):
    services = project["services"]
    root = services["worker"]["environment"]["MAIL_ROOT"]
    for name in ("worker", "dovecot"):
        mounts = {(v["source"], v["target"]) for v in services[name]["volumes"]}
        assert mounts == {("maildirs", root)}, name
    assert "volumes" not in services["web"]  # only the worker touches mail files


def test_the_servers_site_settings_reach_them_from_the_env_file(env_file, tmp_path):
    """What the images read to find their peers and whom to trust is passed on from .env
    (empty, the images' defaults; set, the value)."""
    site = {
        "MAIL_TRUSTED_NETWORKS": "10.9.0.0/16",
        "MAIL_DOVECOT_HOST": "imap.internal",
        "MAIL_POSTFIX_HOST": "smtp.internal",
        "MAIL_RSPAMD_HOST": "milter.internal",
    }
    extra = {**site, "RSPAMD_NAMESERVER": "10.9.0.53", "PDNS_API_ALLOW_FROM": "10.9.0.0/16"}
    unset = _config(env_file)
    custom = tmp_path / ".env"
    custom.write_text(env_file.read_text() + "".join(f"{k}={v}\n" for k, v in extra.items()))
    result = _config(custom)
    assert result.returncode == 0, result.stderr
    services = json.loads(result.stdout)["services"]
    defaults = json.loads(unset.stdout)["services"]
    for name in ("dovecot", "rspamd", "postfix"):
        assert site.items() <= services[name]["environment"].items(), name
        assert all(defaults[name]["environment"][key] == "" for key in site), name
    assert services["rspamd"]["environment"]["RSPAMD_NAMESERVER"] == "10.9.0.53"
    assert services["pdns"]["environment"]["PDNS_API_ALLOW_FROM"] == "10.9.0.0/16"
    assert defaults["pdns"]["environment"]["PDNS_API_ALLOW_FROM"] == ""


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
    assert set(project["volumes"]) == {
        *("pgdata", "dbserverdata", "redisdata", "pdnsdata"),
        *("maildirs", "mailqueue", "rspamddata"),
    }
    mounts = {
        name: {volume["source"] for volume in service.get("volumes", [])}
        for name, service in project["services"].items()
    }
    assert mounts["postgres"] == {"pgdata"} and mounts["dbserver"] == {"dbserverdata"}
    assert mounts["redis"] == {"redisdata"} and mounts["pdns-db"] == {"pdnsdata"}
    assert mounts["dovecot"] == {"maildirs"} and mounts["postfix"] == {"mailqueue"}
    assert mounts["rspamd"] == {"rspamddata"}


def test_only_the_panel_dns_and_mail_are_published_and_only_on_loopback_by_default(project):
    services = project["services"]
    published = {name: service["ports"] for name, service in services.items() if "ports" in service}
    assert sorted(published) == ["dovecot", "pdns", "postfix", "web"]
    assert all(p["host_ip"] == "127.0.0.1" for ports in published.values() for p in ports)
    assert {p["target"] for p in published["postfix"]} == {25, 587}
    assert {p["target"] for p in published["dovecot"]} == {143, 4190}  # not LMTP, auth, doveadm
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
