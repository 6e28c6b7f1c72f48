#!/bin/sh
# PowerDNS for compose: apply Debian's gpgsql schema to an empty database, write the config
# (API key and database password inside, mode 0600, never on a command line), then serve.
#
# Environment: PDNS_API_KEY, PDNS_DB_PASSWORD (both from `make env`), PDNS_DB_HOST
# (pdns-db), PDNS_DB_PORT (5432), PDNS_DB_NAME and PDNS_DB_USER (pdns), PDNS_DNS_PORT
# (5300), PDNS_API_PORT (8081), PDNS_API_ALLOW_FROM (who may reach the API: compose's
# network), PDNS_DEFAULT_SOA.
set -eu
: "${PDNS_API_KEY:?set PDNS_API_KEY (make env)}"
: "${PDNS_DB_PASSWORD:?set PDNS_DB_PASSWORD (make env)}"
host="${PDNS_DB_HOST:-pdns-db}"
port="${PDNS_DB_PORT:-5432}"
db="${PDNS_DB_NAME:-pdns}"
user="${PDNS_DB_USER:-pdns}"
schema=/usr/share/pdns-backend-pgsql/schema/schema.pgsql.sql
conf_dir=/run/pdns

export PGPASSWORD="$PDNS_DB_PASSWORD"
# (not information_schema.tables: it lists information_schema's own view "domains")
missing=$(psql -h "$host" -p "$port" -U "$user" -d "$db" -tAc \
    "SELECT to_regclass('public.domains') IS NULL")
if [ "$missing" = t ]; then
    echo "pdns: applying $schema to $db on $host"
    psql -v ON_ERROR_STOP=1 -q -h "$host" -p "$port" -U "$user" -d "$db" -f "$schema"
fi
unset PGPASSWORD

umask 077
cat > "$conf_dir/pdns.conf" <<CONF
launch=gpgsql
gpgsql-host=$host
gpgsql-port=$port
gpgsql-dbname=$db
gpgsql-user=$user
gpgsql-password=$PDNS_DB_PASSWORD
gpgsql-dnssec=yes
local-address=0.0.0.0, ::
local-port=${PDNS_DNS_PORT:-5300}
socket-dir=$conf_dir
api=yes
api-key=$PDNS_API_KEY
webserver=yes
webserver-address=0.0.0.0
webserver-port=${PDNS_API_PORT:-8081}
webserver-allow-from=${PDNS_API_ALLOW_FROM:-10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,127.0.0.0/8}
default-soa-content=${PDNS_DEFAULT_SOA:-ns1.hearth.test. hostmaster.hearth.test. 0 10800 3600 604800 3600}
primary=yes
# Transfers only with a TSIG key the zone allows (TSIG-ALLOW-AXFR), never by address.
allow-axfr-ips=
only-notify=0.0.0.0/0, ::/0
security-poll-suffix=
CONF
exec pdns_server --config-dir="$conf_dir" --daemon=no --guardian=no --disable-syslog \
    --write-pid=no "$@"
