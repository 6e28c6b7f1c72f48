"""The mail database: what Postfix and Dovecot read (domains, mailboxes, aliases) and the
panel's mail backend writes. It lives on the stack's panel PostgreSQL (database
`hearth_mail`, beside PowerDNS's `pdns`), with two roles:

- `hearth_mail_writer`: the backend (provisioning/mail/backend.py); reads and writes rows,
  owns nothing, cannot change the schema.
- `hearth_mail_reader`: the servers' maps (Postfix pgsql tables, Dovecot passdb/userdb);
  SELECT on the map tables only (never the DKIM keys), plus the send-limit function.

The schema is created here (idempotent, on every `up`) by the cluster's superuser.
"""

from __future__ import annotations

import re

from panel.stack.pdns import PgTarget

DB_NAME = "hearth_mail"
WRITER = "hearth_mail_writer"
READER = "hearth_mail_reader"
_PASSWORD = re.compile(r"[0-9a-f]{32}")

SCHEMA = """
CREATE TABLE IF NOT EXISTS domains (
    name text PRIMARY KEY CHECK (name = lower(name) AND length(name) <= 253),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS mailboxes (
    address text PRIMARY KEY CHECK (address = lower(address) AND length(address) <= 254),
    domain text NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
    local_part text NOT NULL,
    password text NOT NULL,
    quota_mb integer NOT NULL CHECK (quota_mb >= 0),
    active boolean NOT NULL DEFAULT true,
    send_limit_per_hour integer NOT NULL DEFAULT 0 CHECK (send_limit_per_hour >= 0),
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (domain, local_part)
);
-- source is an address, or "@domain" for the domain's catch-all.
CREATE TABLE IF NOT EXISTS aliases (
    source text PRIMARY KEY CHECK (source = lower(source) AND length(source) <= 254),
    domain text NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
    destinations text[] NOT NULL CHECK (cardinality(destinations) > 0),
    active boolean NOT NULL DEFAULT true,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS dkim_keys (
    domain text NOT NULL REFERENCES domains (name) ON DELETE CASCADE,
    selector text NOT NULL,
    private_key text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (domain, selector)
);
CREATE TABLE IF NOT EXISTS vacations (
    address text PRIMARY KEY REFERENCES mailboxes (address) ON DELETE CASCADE,
    subject text NOT NULL,
    body text NOT NULL,
    start_date date,
    end_date date
);
-- One row per message a mailbox submitted (SASL), for its hourly sending limit.
CREATE TABLE IF NOT EXISTS sent_log (
    address text NOT NULL,
    sent_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS sent_log_address_time ON sent_log (address, sent_at);

-- Postfix asks this (check_sasl_access in smtpd_data_restrictions) once per submitted
-- message: NULL lets it through (and counts it), else the rejection Postfix replies with.
CREATE OR REPLACE FUNCTION send_check(login text) RETURNS text
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    lim integer;
    used integer;
BEGIN
    SELECT send_limit_per_hour INTO lim FROM mailboxes WHERE address = lower(login);
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    DELETE FROM sent_log WHERE address = lower(login) AND sent_at < now() - interval '1 hour';
    IF lim > 0 THEN
        SELECT count(*) INTO used FROM sent_log WHERE address = lower(login);
        IF used >= lim THEN
            RETURN format('REJECT 5.7.1 Sending limit reached: %s messages per hour for %s; '
                          'try again later', lim, lower(login));
        END IF;
    END IF;
    INSERT INTO sent_log (address) VALUES (lower(login));
    RETURN NULL;
END $$;
"""


def _literal(password: str) -> str:
    if not _PASSWORD.fullmatch(password):
        raise ValueError("unexpected password format")
    return f"'{password}'"


def ensure_mail_db(superuser_url: str, passwords: dict[str, str]) -> None:
    """Create the database, its roles (passwords set every time) and schema (idempotent)."""
    target = PgTarget.from_url(superuser_url, DB_NAME)
    writer, reader = _literal(passwords["writer"]), _literal(passwords["reader"])
    query = f"SELECT 1 FROM pg_database WHERE datname = '{DB_NAME}'"  # noqa: S608 - const
    target.psql(  # constants and checked values only
        "-c",
        f"""
        DO $$ BEGIN
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{WRITER}') THEN
                CREATE ROLE {WRITER};
            END IF;
            IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
                CREATE ROLE {READER};
            END IF;
        END $$;
        ALTER ROLE {WRITER} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD {writer};
        ALTER ROLE {READER} LOGIN NOSUPERUSER NOCREATEROLE NOCREATEDB PASSWORD {reader};
        """,  # noqa: S608
        dbname="postgres",
    )
    if target.psql("-c", query, dbname="postgres") != "1":
        target.psql("-c", f"CREATE DATABASE {DB_NAME}", dbname="postgres")
    target.psql("-c", SCHEMA)
    target.psql(
        "-c",
        f"""
        REVOKE ALL ON DATABASE {DB_NAME} FROM PUBLIC;
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
        GRANT CONNECT ON DATABASE {DB_NAME} TO {WRITER}, {READER};
        GRANT USAGE ON SCHEMA public TO {WRITER}, {READER};
        GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {WRITER};
        REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {READER};
        GRANT SELECT ON domains, mailboxes, aliases TO {READER};
        REVOKE ALL ON FUNCTION send_check(text) FROM PUBLIC;
        GRANT EXECUTE ON FUNCTION send_check(text) TO {READER};
        ALTER FUNCTION send_check(text) OWNER TO {WRITER};
        """,  # noqa: S608
    )


def writer_url(host: str, port: int, password: str) -> str:
    return f"postgres://{WRITER}:{password}@{host}:{port}/{DB_NAME}"
