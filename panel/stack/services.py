"""The local services' lifecycle: up (with leases), release, down, status, clean."""

from __future__ import annotations

import fcntl
import json
import os
import pwd
import shlex
import shutil
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from panel.stack.bind import TSIG_NAME, BindServer, saved_bind, up_bind
from panel.stack.common import (
    HOST,
    ROOT,
    VAR,
    StackError,
    fallback_dir,
    install_packages,
    is_root,
    pid_alive,
    port_is_free,
    rel,
    say,
    service_user,
)
from panel.stack.mailhost import MailService, local_mail_services, up_mail
from panel.stack.pdns import PdnsServer, configured_ports, pdns_available, start_pdns
from panel.stack.postgres import (
    SUPERUSER,
    PgCluster,
    pg_available,
    pg_bindir,
    running_port,
    start_postgres,
)
from panel.stack.redis import RedisServer, configured_port, redis_available, start_redis
from panel.stack.roles import OWNER, RUNTIME, ensure_roles, new_password

STATE_FILE = VAR / "stack.json"
ENV_FILE = VAR / "stack.env"
LOCK_FILE = VAR / ".stack.lock"
PG_DIR = VAR / "postgres"
DBSERVER_DIR = VAR / "dbserver"
REDIS_DIR = VAR / "redis"
PDNS_DIR = VAR / "pdns"
BIND_DIR = VAR / "bind"
# HEARTH_DNS_SECONDARY=true: also run a BIND secondary of the local PowerDNS (make run).
WANT_BIND = "HEARTH_DNS_SECONDARY"
DB_NAME = "hearth"

Service = PgCluster | RedisServer | PdnsServer | BindServer | MailService


@dataclass
class Stack:
    env: dict[str, str] = field(default_factory=dict)  # DATABASE_URL, REDIS_URL, ...
    started: list[Service] = field(default_factory=list)  # what this `up` started


# --- state -------------------------------------------------------------------------------


@contextmanager
def locked() -> Iterator[None]:
    """Serialize concurrent `up`/`down` calls from several terminals."""
    VAR.mkdir(exist_ok=True)
    with LOCK_FILE.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


def load_state() -> dict:
    try:
        return json.loads(STATE_FILE.read_text())
    except (OSError, ValueError):
        return {}


def write_private(path: Path, text: str) -> None:
    """Write TEXT to PATH readable by us only (it holds database passwords)."""
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    path.write_text(text)


def save_state(state: dict) -> None:
    write_private(STATE_FILE, json.dumps(state, indent=2) + "\n")


def write_env(env: Mapping[str, str]) -> None:
    write_private(ENV_FILE, "".join(f"{key}={shlex.quote(value)}\n" for key, value in env.items()))


def written_env() -> dict[str, str]:
    """What the last `up` wrote to var/stack.env (the stack's own URLs)."""
    try:
        lines = ENV_FILE.read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.split("=", 1) for line in lines if "=" in line)
    return {key: "".join(shlex.split(value)) for key, value in pairs}


def configured_url(key: str, name: str) -> str | None:
    """KEY from the environment, unless it is this stack's own URL (as after sourcing
    var/stack.env): then the local server is meant, and is started if it is stopped."""
    value = os.environ.get(key)
    if value and value == written_env().get(key):
        say(f"{name + ':':9} {key} is this stack's own (var/stack.env): using the local server")
        return None
    return value or None


def name_of(service: Service) -> str:
    if hasattr(service, "describe"):  # the mail host's servers (mailhost.py)
        return service.name
    if isinstance(service, PdnsServer):
        return "pdns"
    if isinstance(service, BindServer):
        return "bind"
    return service.name if isinstance(service, PgCluster) else "redis"


def where(service: Service) -> str:
    """'127.0.0.1:PORT (data: DIR, runs as USER)' for messages."""
    if isinstance(service, PgCluster):
        owner = f", runs as {service.user}" if service.user else ""
        return f"{HOST}:{service.port} (data: {rel(service.datadir)}{owner})"
    if isinstance(service, PdnsServer):
        return f"{HOST}:{service.dns_port} dns, {service.api_url} (dir: {rel(service.dir)})"
    if isinstance(service, BindServer):
        return f"{service.address} dns, rndc {service.rndc_address} (dir: {rel(service.dir)})"
    if hasattr(service, "describe"):
        return f"{service.describe()} (dir: {rel(service.dir)})"
    return f"{HOST}:{service.port} (dir: {rel(service.dir)})"


def label(service: Service) -> str:
    return f"{name_of(service) + ':':9}"


def saved_port(entry: dict) -> int | None:
    port = entry.get("port")
    return port if isinstance(port, int) and port_is_free(port) else None


# --- up / down ---------------------------------------------------------------------------


def ensure_binaries(need_pg: bool, need_redis: bool) -> None:
    missing = [
        package
        for package, needed, available in (
            ("postgresql", need_pg, pg_available),
            ("redis-server", need_redis, redis_available),
            ("pdns-server pdns-backend-pgsql", need_pg, pdns_available),
        )
        if needed and not available()
    ]
    if missing:
        install_packages([name for entry in missing for name in entry.split()])


def up(*, lease: bool = False) -> Stack:
    """Start (or reuse) the local services; write var/stack.json and var/stack.env.

    With LEASE, this process is recorded as a user of the services until release():
    services it started are stopped then, unless another leaseholder still uses them.
    Without it (the `up` command) everything is meant to stay up until `down`.
    """
    stack = Stack()
    with locked():
        state = load_state()
        database = configured_url("DATABASE_URL", "postgres")
        redis = configured_url("REDIS_URL", "redis")
        dbserver = configured_url("PROVISIONING_PG_URL", "dbserver")
        ensure_binaries(not (database and dbserver), not redis)
        service_user()  # once, before the threads: it may create the system user
        starts = {
            "postgres": lambda: up_postgres(state, stack, database),
            "dbserver": lambda: {"PROVISIONING_PG_URL": up_dbserver(state, stack, dbserver)},
            "redis": lambda: {"REDIS_URL": up_redis(state, stack, redis)},
        }
        try:
            with ThreadPoolExecutor(max_workers=len(starts)) as pool:  # in parallel
                futures = {name: pool.submit(start) for name, start in starts.items()}
            for future in futures.values():
                stack.env.update(future.result())
            with ThreadPoolExecutor(max_workers=2) as pool:  # PowerDNS and the mail host
                dns = pool.submit(up_dns, state, stack, database)
                mail = pool.submit(up_mail_host, state, stack, database, dns)
            stack.env.update(dns.result())
            stack.env.update(mail.result())
        except BaseException:
            stop_services(stack.started)
            raise
        if lease:
            state["users"] = [*live_users(state), os.getpid()]
        else:
            state["stop_when_unused"] = []
        save_state(state)
        write_env(own_env(stack.env, database=database, redis=redis, dbserver=dbserver))
    return stack


def own_env(env: Mapping[str, str], *, database, redis, dbserver) -> dict[str, str]:
    """What var/stack.env may say: the stack's own URLs. When a URL is configured from
    elsewhere (a test's scratch database, an outside Redis), its line keeps the value the file
    had, and so do the lines of servers this run did not start because of it (the mail host
    needs the local database): sourcing the file, or a later `up` recognising its own URL,
    still means the local servers."""
    outside = set()
    if database:
        outside |= {"DATABASE_URL", "DATABASE_OWNER_URL"}
    if redis:
        outside.add("REDIS_URL")
    if dbserver:
        outside.add("PROVISIONING_PG_URL")
    if not outside:
        return dict(env)
    return {**written_env(), **{key: value for key, value in env.items() if key not in outside}}


def live_users(state: dict) -> list[int]:
    pids = state.get("users", [])
    return [pid for pid in pids if isinstance(pid, int) and pid != os.getpid() and pid_alive(pid)]


def release(stack: Stack) -> None:
    """End this process's lease: stop what it started unless another process still uses it."""
    with locked():
        state = load_state()
        users = live_users(state)
        pending = {*state.get("stop_when_unused", []), *(name_of(s) for s in stack.started)}
        state["users"] = users
        if users:
            state["stop_when_unused"] = sorted(pending)
            for service in stack.started:
                say(f"{label(service)} left running, still used by pid {users[0]}")
        else:
            state["stop_when_unused"] = []
            stop_services([s for s in local_services(state) if name_of(s) in pending])
        save_state(state)


def up_postgres(state: dict, stack: Stack, configured: str | None = None) -> dict[str, str]:
    """The panel's cluster: DATABASE_URL (runtime role) and DATABASE_OWNER_URL (migrations)."""
    if configured:
        say("postgres: using DATABASE_URL from the environment (no local server)")
        owner = os.environ.get("DATABASE_OWNER_URL", "")
        return {"DATABASE_URL": configured, **({"DATABASE_OWNER_URL": owner} if owner else {})}
    entry = state.get("postgres", {})
    datadir = Path(entry.get("datadir", PG_DIR))
    cluster = start_postgres(datadir, saved_port(entry), dbname=DB_NAME, fallback_key=str(ROOT))
    if cluster.started:
        stack.started.append(cluster)
    passwords = entry.get("passwords") or {"owner": new_password(), "runtime": new_password()}
    ensure_roles(cluster, DB_NAME, passwords)
    state["postgres"] = {
        "datadir": str(cluster.datadir),
        "port": cluster.port,
        "passwords": passwords,
    }
    base = f"{HOST}:{cluster.port}/{DB_NAME}"
    env = {
        "DATABASE_URL": f"postgres://{RUNTIME}:{passwords['runtime']}@{base}",
        "DATABASE_OWNER_URL": f"postgres://{OWNER}:{passwords['owner']}@{base}",
    }
    say(
        f"postgres: {'started' if cluster.started else 'already running'} on "
        f"{where(cluster)} -> database {DB_NAME!r} (owner {OWNER}, panel runs as {RUNTIME})"
    )
    return env


def up_dbserver(state: dict, stack: Stack, configured: str | None = None) -> str:
    """The managed database server for customers' databases: a cluster of its own.

    Every login is checked (SCRAM, the superuser too) and PUBLIC may not connect to its
    databases, so a customer's role reaches only the databases granted to it, and never
    the panel's (another cluster). `make run` registers it as the default database server.
    """
    if configured:
        say("dbserver: using PROVISIONING_PG_URL from the environment (no local server)")
        return configured
    entry = state.get("dbserver", {})
    password = entry.get("password") or new_password()
    cluster = start_postgres(
        Path(entry.get("datadir", DBSERVER_DIR)),
        saved_port(entry),
        fallback_key=str(ROOT),
        password=password,
    )
    cluster.name = "dbserver"
    if cluster.started:
        stack.started.append(cluster)
    cluster.psql("REVOKE CONNECT, TEMPORARY ON DATABASE postgres, template1 FROM PUBLIC")
    state["dbserver"] = {
        "datadir": str(cluster.datadir),
        "port": cluster.port,
        "password": password,
    }
    say(
        f"dbserver: {'started' if cluster.started else 'already running'} on "
        f"{where(cluster)} -> customers' databases (superuser {SUPERUSER}, SCRAM)"
    )
    return cluster.url("postgres")


def up_redis(state: dict, stack: Stack, configured: str | None = None) -> str:
    if configured:
        say("redis:    using REDIS_URL from the environment (no local server)")
        return configured
    entry = state.get("redis", {})
    server = start_redis(Path(entry.get("dir", REDIS_DIR)), saved_port(entry))
    if server.started:
        stack.started.append(server)
    state["redis"] = {"dir": str(server.dir), "port": server.port}
    url = server.url(0)
    say(
        f"redis:    {'started' if server.started else 'already running'} on "
        f"{where(server)} -> {url}"
    )
    return url


def up_dns(state: dict, stack: Stack, database: str | None) -> dict[str, str]:
    """PowerDNS (after PostgreSQL, which holds its zones) and, if asked, a BIND secondary.

    Its database is on the stack's own PostgreSQL (as the superuser), or, with DATABASE_URL
    set elsewhere, on the server PDNS_DATABASE_URL names (none: no PowerDNS).
    """
    if database:
        database_url = os.environ.get("PDNS_DATABASE_URL", "")
        if not database_url:
            say("pdns:     DATABASE_URL is not local and PDNS_DATABASE_URL is unset: not started")
            return {}
    else:
        database_url = f"postgres://{SUPERUSER}@{HOST}:{state['postgres']['port']}/postgres"
    env = up_pdns(state, stack, database_url)
    if os.environ.get(WANT_BIND, "").strip().lower() == "true":
        env.update(up_secondary(state, stack))
    return env


def up_pdns(state: dict, stack: Stack, database_url: str) -> dict[str, str]:
    """PowerDNS with its zones in the `pdns` database on the given PostgreSQL server."""
    server = start_pdns(Path(state.get("pdns", {}).get("dir", PDNS_DIR)), database_url)
    if server.started:
        stack.started.append(server)
    state["pdns"] = {"dir": str(server.dir)}
    say(f"pdns:     {'started' if server.started else 'already running'} on {where(server)}")
    return {
        "PDNS_API_URL": server.api_url,
        "PDNS_API_KEY": server.api_key(),
        "PDNS_DNS_ADDRESS": f"{server.host}:{server.dns_port}",
    }


def up_mail_host(state: dict, stack: Stack, database: str | None, dns) -> dict[str, str]:
    """Postfix + Dovecot + rspamd (mailhost.py), their database on the stack's PostgreSQL
    (none with DATABASE_URL set elsewhere), rspamd's DNS the stack's PowerDNS (DNS: the
    future of up_dns, which runs meanwhile)."""
    if database:
        say("mail:     DATABASE_URL is not local: no mail servers")
        return {}

    def dns_address() -> str:
        address = dns.result().get("PDNS_DNS_ADDRESS")
        if not address:
            raise StackError("the mail host needs the stack's PowerDNS, which did not start")
        return address

    return up_mail(
        state,
        stack.started,
        state["postgres"]["port"],
        dns_address,
        stack.env.get("REDIS_URL", ""),
    )


def up_secondary(state: dict, stack: Stack) -> dict[str, str]:
    server = up_bind(Path(state.get("bind", {}).get("dir", BIND_DIR)))
    if server.started:
        stack.started.append(server)
    state["bind"] = {"dir": str(server.dir)}
    say(f"bind:     {'started' if server.started else 'already running'} on {where(server)}")
    return {
        "BIND_DNS_ADDRESS": server.address,
        "BIND_RNDC_ADDRESS": server.rndc_address,
        "BIND_RNDC_SECRET": server.rndc_secret,
        "BIND_TSIG_NAME": TSIG_NAME,
        "BIND_TSIG_SECRET": server.tsig_secret,
    }


def local_services(state: dict) -> list[Service]:
    """The services recorded in var/stack.json (running or not)."""
    services: list[Service] = []
    for name, default in (("postgres", PG_DIR), ("dbserver", DBSERVER_DIR)):
        datadir = Path(state.get(name, {}).get("datadir", default))
        version_file = datadir / "PG_VERSION"
        if version_file.exists():
            bindir = pg_bindir(version_file.read_text().strip())
            port = running_port(datadir) or state.get(name, {}).get("port", 0)
            if bindir is not None:
                services.append(PgCluster(datadir, port, bindir, owner_of(datadir), name=name))
    redis_dir = Path(state.get("redis", {}).get("dir", REDIS_DIR))
    services.append(RedisServer(redis_dir, configured_port(redis_dir) or 0))
    pdns_dir = Path(state.get("pdns", {}).get("dir", PDNS_DIR))
    services.append(PdnsServer(pdns_dir, *(configured_ports(pdns_dir) or (0, 0))))
    bind = saved_bind(Path(state.get("bind", {}).get("dir", BIND_DIR)))
    if bind is not None:
        services.insert(len(services) - 1, bind)  # stopped after PowerDNS is
    if "mail" in state:
        services.extend(local_mail_services(state))  # stopped first
    return services


def owner_of(path: Path) -> str | None:
    """Whom to run pg_ctl as for PATH: its owner when we are root (None: ourselves)."""
    uid = path.stat().st_uid
    return pwd.getpwuid(uid).pw_name if is_root() and uid != 0 else None


def stop_services(services: Sequence[Service]) -> None:
    for service in reversed(services):
        if service.is_running():
            service.stop()
            say(f"{label(service)} stopped, was on {where(service)}")


def down() -> None:
    with locked():
        state = load_state()
        state["stop_when_unused"] = []
        save_state(state)
        services = local_services(state)
        for service in services:
            if not service.is_running():
                say(f"{label(service)} not running")
        stop_services(services)


def status() -> None:
    for service in local_services(load_state()):
        state = f"running on {where(service)}" if service.is_running() else "not running"
        say(f"{label(service)} {state}")


def clean() -> None:
    """down, then delete ./var and the /var/tmp fallback data dir, if any."""
    down()
    state = load_state()
    datadirs = [Path(state.get(n, {}).get("datadir", VAR / n)) for n in ("postgres", "dbserver")]
    for path in (VAR, fallback_dir(str(ROOT), "postgres").parent, *datadirs):
        if path.exists():
            shutil.rmtree(path)
            say(f"removed {rel(path)}")
