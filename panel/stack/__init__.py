"""Hearth's local service stack (standard library only).

`python -m panel.stack up|down|status|test|exec|run|clean` -- see panel/stack/cli.py.

The building blocks are reusable, e.g. from test fixtures that need throwaway servers:

    from panel.stack import start_postgres, start_redis

    cluster = start_postgres(tmp_path / "pg", dbname="target")  # initdb + start, free port
    cluster.url("target")   # postgres://postgres@127.0.0.1:PORT/target (trust auth)
    cluster.destroy()       # stop + delete the data dir

    server = start_redis(tmp_path / "redis")
    server.url(0)           # redis://127.0.0.1:PORT/0
    server.destroy()
"""

from panel.stack.common import StackError, free_port, port_is_free
from panel.stack.postgres import PgCluster, pg_available, start_postgres
from panel.stack.redis import RedisServer, redis_available, start_redis

__all__ = [
    "PgCluster",
    "RedisServer",
    "StackError",
    "free_port",
    "pg_available",
    "port_is_free",
    "redis_available",
    "start_postgres",
    "start_redis",
]
