"""Running things under the stack: `exec`/`test` (one command) and `run` (the whole panel)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from panel.stack.common import (
    HOST,
    ROOT,
    VAR,
    StackError,
    exit_code,
    free_port,
    port_accepts,
    port_is_free,
    say,
    wait_until,
)
from panel.stack.services import Stack, release, up
from panel.stack.supervise import Supervisor, quiet_signals

MANAGE = ROOT / "manage.py"
CELERY_QUEUES: tuple[str, ...] = ("celery",)
BEAT_SCHEDULE = "var/celerybeat-schedule"
MAIL_DIR = VAR / "mail"
GUNICORN_CONF = "python:panel.gunicorn_conf"  # workers x threads sized to the machine
# runserver starts a thread per request: its database pool caps the connections it opens.
DEV_POOL_SIZE = "8"
DEFAULT_WEB_PORT = 8000
TRUE = {"1", "true", "yes", "on"}

# --- running commands under the stack ----------------------------------------------------


def base_env(stack: Stack) -> dict[str, str]:
    env = {**os.environ, **stack.env}
    env.setdefault("HEARTH_DEV", "1")
    env.setdefault("DJANGO_SETTINGS_MODULE", "panel.settings")
    return env


def run_foreground(argv: Sequence[str], env: Mapping[str, str]) -> int:
    """Run ARGV in our process group (Ctrl-C reaches it); forward SIGTERM; its exit code."""
    proc = subprocess.Popen(list(argv), env=dict(env), cwd=ROOT)  # noqa: S603 - argv list
    previous = signal.signal(signal.SIGTERM, lambda signum, _frame: proc.send_signal(signum))
    interrupted = False
    try:
        while True:
            try:
                return exit_code(proc.wait())
            except KeyboardInterrupt:
                if interrupted:  # a second Ctrl-C: stop waiting politely
                    proc.kill()
                interrupted = True
    finally:
        signal.signal(signal.SIGTERM, previous)


def exec_in_stack(argv: Sequence[str]) -> int:
    """up, run ARGV with DATABASE_URL/REDIS_URL set, stop what this call started."""
    stack = up(lease=True)
    try:
        return run_foreground(argv, base_env(stack))
    finally:
        release(stack)


# --- make run ----------------------------------------------------------------------------


def child_commands(
    debug: bool, port: int, env: Mapping[str, str], gate: Path | None = None
) -> dict[str, list[str]]:
    """The children's command lines. With GATE, the development server may start before
    the database is migrated: it binds its port once GATE exists (gated_runserver)."""
    py = sys.executable
    celery = [py, "-m", "celery", "-A", "panel"]
    runserver = ["gated_runserver", "--gate", str(gate)] if gate else ["runserver"]
    web = (
        [py, str(MANAGE), *runserver, "--skip-checks", f"{HOST}:{port}"]  # bootstrap checked
        if debug
        else [py, "-m", "gunicorn", "-c", GUNICORN_CONF, "panel.wsgi", "-b", f"{HOST}:{port}"]
    )
    sink = mail_sink(env)
    return {
        **({"mail": sink} if sink else {}),
        "worker": [
            *celery,
            "worker",
            "-l",
            "info",
            "--without-mingle",
            "--without-gossip",
            "-Q",
            ",".join(CELERY_QUEUES),
        ],
        "beat": [*celery, "beat", "-l", "info", "--schedule", BEAT_SCHEDULE],
        "web": web,
    }


def mail_sink(env: Mapping[str, str]) -> list[str] | None:
    """The SMTP sink's command line, when panel_env pointed the panel's mail at it."""
    if env.get("HEARTH_MAIL_SINK_PORT"):
        return [
            sys.executable,
            "-m",
            "panel.stack.mailsink",
            "--port",
            env["HEARTH_MAIL_SINK_PORT"],
            "--dir",
            env["HEARTH_MAIL_SINK_DIR"],
        ]
    return None


def panel_env(stack_env: Mapping[str, str], port: int) -> dict[str, str]:
    """The children's environment: emailed links point where `make run` serves unless set;
    in development without EMAIL_HOST, mail goes to a local SMTP sink (mailsink.py)."""
    env = {**stack_env, "PYTHONUNBUFFERED": "1"}
    if not env.get("PANEL_BASE_URL", "").strip():
        env["PANEL_BASE_URL"] = f"http://{HOST}:{port}"
    if env.get("HEARTH_DEV", "").strip().lower() in TRUE and not env.get("EMAIL_HOST"):
        sink = str(free_port())
        env.update(EMAIL_HOST=HOST, EMAIL_PORT=sink, HEARTH_MAIL_SINK_PORT=sink)
        env.setdefault("HEARTH_MAIL_SINK_DIR", str(MAIL_DIR))
    return env


def web_ready(supervisor: Supervisor, port: int) -> str | None:
    """None once the web server answers; else why it did not (the first start only)."""
    wait_until(lambda: port_accepts(port) or not supervisor.alive("web"), 120, 0.2)
    if port_accepts(port):
        return None
    down = [name for name in supervisor.children if not supervisor.alive(name)]
    return f"{', '.join(down) or 'web'} did not start"


def raise_interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def web_env(debug: bool, env: Mapping[str, str]) -> dict[str, str]:
    """The web server's own additions: the development server gets a bounded database pool
    (gunicorn sizes its own from its threads, panel/gunicorn_conf.py)."""
    if debug and not env.get("DATABASE_POOL_SIZE"):
        return {"DATABASE_POOL_SIZE": DEV_POOL_SIZE}
    return {}


def bootstrap_command(debug: bool) -> list[str]:
    """The one process that prepares everything before serving (panel bootstrap command)."""
    return [sys.executable, str(MANAGE), "bootstrap", *([] if debug else ["--static"])]


MIGRATED = "bootstrap: database migrated"  # printed by panel/management/commands/bootstrap.py


def run_bootstrap(argv: Sequence[str], env: Mapping[str, str], on_migrated) -> int:
    """Run the bootstrap, echoing its output; call ON_MIGRATED once it says MIGRATED (the
    services start while it creates the admin, demo data and servers)."""
    proc = subprocess.Popen(  # noqa: S603 - argv list
        list(argv), env=dict(env), cwd=ROOT, stdout=subprocess.PIPE, text=True, bufsize=1
    )
    try:
        for line in proc.stdout:
            print(line, end="", flush=True)
            if line.strip() == MIGRATED:
                on_migrated()
        return exit_code(proc.wait())
    finally:
        if proc.poll() is None:
            proc.terminate()
            proc.wait()


def start_mail_sink(supervisor: Supervisor, env: Mapping[str, str]) -> None:
    """With the bootstrap (not waited for: it listens in ~0.2 s, well before the bootstrap's
    seed_demo sends the demo customer's verification mail)."""
    if "mail" in supervisor.children:
        supervisor.start(["mail"])
        say(
            f"mail:     SMTP sink on {HOST}:{env['EMAIL_PORT']}; caught mail in "
            f"{env['HEARTH_MAIL_SINK_DIR']} and at /dev/mail/"
        )


def web_gate() -> Path:
    """The file whose existence lets this run's development server serve (gated_runserver)."""
    gate = VAR / f"web-gate-{os.getpid()}"
    gate.unlink(missing_ok=True)
    return gate


def run_panel() -> int:
    """up (services in parallel), one bootstrap process (migrate, first admin, demo data,
    default servers), the web server serving once migrated (the development server starts
    beside the bootstrap, gunicorn after it has migrated), then celery worker + beat once
    it answers (+ mail sink from the start) until Ctrl-C."""
    os.environ.setdefault("HEARTH_DEV", "1")
    debug = os.environ.get("DEBUG", os.environ["HEARTH_DEV"]).strip().lower() in TRUE
    port = int(os.environ.get("HEARTH_PORT", DEFAULT_WEB_PORT))
    if not port_is_free(port):
        raise StackError(
            f"port {port} is in use (is Hearth already running?); stop it or set HEARTH_PORT"
        )
    stack = up(lease=True)
    env = panel_env(base_env(stack), port)
    gate = web_gate() if debug else None
    supervisor = Supervisor(
        child_commands(debug, port, env, gate), env, ROOT, child_env={"web": web_env(debug, env)}
    )
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        start_mail_sink(supervisor, env)
        # The web server first: the first answer does not wait for the worker and beat,
        # which start once it answers (the bootstrap's last steps run meanwhile).
        if gate:  # Django set up and the URLconf imported while the bootstrap migrates
            supervisor.start(["web"])
        migrated = gate.touch if gate else lambda: supervisor.start(["web"])
        code = run_bootstrap(bootstrap_command(debug), env, migrated)
        if code != 0:
            say(f"manage.py bootstrap failed (exit {code}); stopping")
            return code
        if problem := web_ready(supervisor, port):
            say(f"{problem}; stopping")
            return 1
        supervisor.start()  # the worker and beat
        say(f"Hearth is running at http://{HOST}:{port} (Ctrl-C to stop)")
        supervisor.run()  # restarts a crashed web/worker/beat; returns only by Ctrl-C/SIGTERM
        return 0
    except KeyboardInterrupt:
        say("\nstopping Hearth ...")
        return 0
    finally:
        quiet_signals()  # a second Ctrl-C/SIGTERM must not cut cleanup short
        try:
            supervisor.stop()
            release(stack)
            if gate:
                gate.unlink(missing_ok=True)
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
