"""Running things under the stack: `exec`/`test` (one command) and `run` (the whole panel)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from contextlib import suppress

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

MANAGE = ROOT / "manage.py"
CELERY_QUEUES: tuple[str, ...] = ("celery",)
BEAT_SCHEDULE = "var/celerybeat-schedule"
DEFAULT_WEB_PORT = 8000
CHILD_STOP_TIMEOUT = 15.0
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


def start_children(commands: Mapping[str, list[str]], env: Mapping[str, str]) -> dict:
    """Each child in its own session, so we (not the terminal) decide how it stops."""
    return {
        name: subprocess.Popen(  # noqa: S603 - argv list
            argv, env=dict(env), cwd=ROOT, stdin=subprocess.DEVNULL, start_new_session=True
        )
        for name, argv in commands.items()
    }


def stop_children(children: Mapping[str, subprocess.Popen]) -> None:
    for proc in children.values():
        if proc.poll() is None:
            with suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_TIMEOUT
    for name, proc in children.items():
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in time; killing it")
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # also any leftover grandchildren
        proc.wait()


def exited(children: Mapping[str, subprocess.Popen]) -> str | None:
    for name, proc in children.items():
        if proc.poll() is not None:
            return f"{name} exited with code {exit_code(proc.returncode)}"
    return None


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
    env = {**base_env(stack), "PYTHONUNBUFFERED": "1"}
    children: dict[str, subprocess.Popen] = {}
    previous = signal.signal(signal.SIGTERM, raise_interrupt)
    try:
        steps = [
            ["migrate", "--noinput"],
            ["createadmin", "--if-none"],
            ["seed_demo"],
            ["ensure_default_db_server"],
        ]
        if not debug:
            steps.append(["collectstatic", "--noinput", "-v", "0"])
        for step in steps:
            code = run_foreground([sys.executable, str(MANAGE), *step], env)
            if code != 0:
                say(f"manage.py {' '.join(step)} failed (exit {code}); stopping")
                return code
        children = start_children(child_commands(debug, port), env)
        wait_until(lambda: port_accepts(port) or exited(children) is not None, 120, 0.2)
        problem = exited(children) or (None if port_accepts(port) else "web did not start")
        if problem:
            say(f"{problem}; stopping")
            return 1
        say(f"Hearth is running at http://{HOST}:{port} (Ctrl-C to stop)")
        while (problem := exited(children)) is None:
            time.sleep(0.5)
        say(f"{problem}; stopping")
        return 1
    except KeyboardInterrupt:
        say("\nstopping Hearth ...")
        return 0
    finally:
        signal.signal(signal.SIGTERM, raise_interrupt)  # a second SIGTERM must not cut cleanup
        stop_children(children)
        release(stack)
        signal.signal(signal.SIGTERM, previous)
