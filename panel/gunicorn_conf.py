"""gunicorn settings for the panel (`gunicorn -c panel/gunicorn_conf.py panel.wsgi`).

Threaded workers sized to the machine (panel/capacity.py; WEB_WORKERS / WEB_THREADS
override); each worker's database pool holds as many connections as it has threads.
"""

import os

from panel.capacity import web_threads, web_workers

worker_class = "gthread"
workers = web_workers()
threads = web_threads()
os.environ.setdefault("DATABASE_POOL_SIZE", str(threads))
# A request that waits this long is cut off (and logged) rather than holding its thread.
timeout = int(os.environ.get("WEB_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
accesslog = "-"
