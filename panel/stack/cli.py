"""`python -m panel.stack COMMAND`: the command line over services.py and run.py."""

from __future__ import annotations

import sys
from collections.abc import Sequence

from panel.stack.common import StackError, rel, say
from panel.stack.run import exec_in_stack, run_panel
from panel.stack.services import ENV_FILE, clean, down, status, up

USAGE = """\
usage: python -m panel.stack COMMAND [ARGS...]

  up              start PostgreSQL + Redis in ./var (each unless DATABASE_URL / REDIS_URL
                  is set) or reuse running ones; write var/stack.env
  down            stop the services in ./var
  status          show whether they run
  test [ARGS]     up, `python -m pytest ARGS`, stop what this started; pytest's exit code
  exec CMD [ARGS] up, run CMD with the stack's environment, stop what this started
  run             up, `manage.py bootstrap` (migrate, first admin, demo data, default
                  servers), then web + celery worker + beat (+ SMTP sink in development)
  clean           down, then delete ./var (and a /var/tmp fallback data dir, if any)
"""


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help", "help"}:
        print(USAGE, end="")
        return 0 if args else 2
    command, rest = args[0], args[1:]
    try:
        if command == "up":
            up()
            say(f"environment: {rel(ENV_FILE)} (set -a; . {rel(ENV_FILE)}; set +a)")
        elif command == "down":
            down()
        elif command == "status":
            status()
        elif command == "clean":
            clean()
        elif command == "test":
            return exec_in_stack([sys.executable, "-m", "pytest", *rest])
        elif command == "exec":
            rest = rest[1:] if rest[:1] == ["--"] else rest
            if not rest:
                raise StackError("exec needs a command")
            return exec_in_stack(rest)
        elif command == "run":
            return run_panel()
        else:
            print(USAGE, end="", file=sys.stderr)
            return 2
    except StackError as exc:
        print(f"panel.stack: {exc}", file=sys.stderr)
        return 1
    return 0
