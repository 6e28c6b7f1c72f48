"""Running things under the stack: `exec`/`test` (one command) and `run` (the whole panel)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Mapping, Sequence

from panel.stack.common import (
    HOST,
    ROOT,
    StackError,
    exit_code,
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


def child_commands(debug: bool, port: int) -> dict[str, list[str]]:
    py = sys.executable
    celery = [py, "-m", "celery", "-A", "panel"]
    web = (
        [py, str(MANAGE), "runserver", f"{HOST}:{port}"]
        if debug
        else [py, "-m", "gunicorn", "panel.wsgi", "-b", f"{HOST}:{port}"]
    )
    return {
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


def panel_env(stack_env: Mapping[str, str], port: int) -> dict[str, str]:
    """The children's environment: emailed links point where `make run` serves unless set."""
    env = {**stack_env, "PYTHONUNBUFFERED": "1"}
    if not env.get("PANEL_BASE_URL", "").strip():
        env["PANEL_BASE_URL"] = f"http://{HOST}:{port}"
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


def run_panel() -> int:
    """up, migrate, createadmin, seed_demo, then web + celery worker + beat until Ctrl-C."""
    os.environ.setdefault("HEARTH_DEV", "1")
    debug = os.environ.get("DEBUG", os.environ["HEARTH_DEV"]).strip().lower() in TRUE
    port = int(os.environ.get("HEARTH_PORT", DEFAULT_WEB_PORT))
    if not port_is_free(port):
        raise StackError(
            f"port {port} is in use (is Hearth already running?); stop it or set HEARTH_PORT"
        )
    stack = up(lease=True)
    env = panel_env(base_env(stack), port)
    supervisor = Supervisor(child_commands(debug, port), env, ROOT)
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        steps = [
            ["migrate", "--noinput"],
            ["createadmin", "--if-none"],
            ["seed_demo"],
            ["ensure_default_db_server"],
            ["ensure_default_dns_server"],
        ]
        if not debug:
            steps.append(["collectstatic", "--noinput", "-v", "0"])
        for step in steps:
            code = run_foreground([sys.executable, str(MANAGE), *step], env)
            if code != 0:
                say(f"manage.py {' '.join(step)} failed (exit {code}); stopping")
                return code
        supervisor.start()
        if problem := web_ready(supervisor, port):
            say(f"{problem}; stopping")
            return 1
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
        finally:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, previous)
