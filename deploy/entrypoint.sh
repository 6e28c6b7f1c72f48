#!/bin/sh
# The image's entrypoint. `web` (the default) sets up, then serves with gunicorn; `worker` and
# `beat` run Celery; `setup` only sets up; anything else runs as a command (e.g. `manage.py`).
#
# Setting up: migrate (manage.py migrate connects as DATABASE_OWNER_URL's role when that is
# set), create the first administrator once and print its password, register the managed
# PostgreSQL named by PROVISIONING_PG_URL and the PowerDNS primary named by PDNS_API_URL
# (PDNS_API_KEY, PDNS_DNS_ADDRESS) as the default DNS server, and the mail host named by
# MAIL_DATABASE_URL (MAIL_HOST, MAIL_DOVEADM_URL, ...) as the default mail server.
# HEARTH_SETUP=0 skips it on extra web nodes.
set -eu

setup() {
    python manage.py migrate --noinput
    python manage.py createadmin --if-none --email "${HEARTH_ADMIN_EMAIL:-admin@hearth.local}"
    if [ -n "${PROVISIONING_PG_URL:-}" ]; then
        python manage.py ensure_default_db_server --name "${HEARTH_MANAGED_PG_NAME:-managed}"
    fi
    if [ -n "${PDNS_API_URL:-}" ]; then
        python manage.py ensure_default_dns_server --name "${HEARTH_DNS_SERVER_NAME:-local-dns}"
    fi
    if [ -n "${MAIL_DATABASE_URL:-}" ]; then
        python manage.py ensure_default_mail_server --name "${HEARTH_MAIL_SERVER_NAME:-local-mail}"
    fi
}

command="${1:-web}"
[ "$#" -gt 0 ] && shift
case "$command" in
    setup)
        setup
        ;;
    web)
        [ "${HEARTH_SETUP:-1}" = 0 ] || setup
        # threads and workers sized to the machine (WEB_WORKERS / WEB_THREADS override)
        exec gunicorn -c python:panel.gunicorn_conf panel.wsgi \
            --bind "0.0.0.0:${PORT:-8000}" "$@"
        ;;
    worker)
        exec celery -A panel worker -l info --without-mingle --without-gossip \
            -Q "${CELERY_QUEUES:-celery}" "$@"
        ;;
    beat)
        exec celery -A panel beat -l info --schedule /tmp/celerybeat-schedule "$@"
        ;;
    manage.py)
        exec python manage.py "$@"
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
