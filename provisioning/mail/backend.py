"""The mail server's driver: writes the mail database Postfix and Dovecot read (psycopg, as
the writer role), the DKIM keys rspamd signs with (Redis), the sieve scripts and maildirs
Dovecot keeps (files on the mail host), and reads usage from Dovecot (doveadm HTTP API).

Server settings (role `mail`, not secret): smtp_host, smtp_port, submission_port, imap_port,
doveadm_url, mail_root (where the maildirs are, on the host the worker runs on).
Credentials (encrypted): database_url (writer role), doveadm_api_key, dkim_redis_url.
See docs/mail.md ("The servers").
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import httpx
import psycopg
import redis
from django.conf import settings

from provisioning.engine.backends import Backend, BackendError

# Stricter than RFC 5321 on purpose: these names reach SQL maps, file paths and headers.
LOCAL_PART = re.compile(r"[a-z0-9_+=-]+(?:\.[a-z0-9_+=-]+)*")
DOMAIN_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
SELECTOR = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
KEYS_HASH = "DKIM_KEYS"  # what panel/stack/rspamd.py configures rspamd to read
SELECTORS_HASH = "DKIM_SELECTORS"
VACATION_SCRIPT = "hearth-vacation"
MAX_DESTINATIONS = 50
MAX_TEXT = 10_000
PARENT_EXISTS = {
    "domain": "SELECT 1 FROM domains WHERE name = %s",
    "mailbox": "SELECT 1 FROM mailboxes WHERE address = %s",
}


def _outcome(removed: bool) -> str:
    return "removed" if removed else "already gone"


def _clean(value: str, what: str) -> str:
    if not isinstance(value, str) or any(ch in value for ch in "\r\n\0"):
        raise BackendError(f"The {what} contains a line break or NUL character.")
    return value.strip().lower()


def check_domain(name: str) -> str:
    name = _clean(name, "domain").rstrip(".")
    labels = name.split(".")
    if len(name) > 253 or len(labels) < 2 or not all(DOMAIN_LABEL.fullmatch(x) for x in labels):
        raise BackendError(f"{name!r} is not a valid mail domain.")
    return name


def check_address(address: str) -> tuple[str, str, str]:
    """(address, local part, domain), lower-cased and validated."""
    address = _clean(address, "address")
    local, at, domain = address.rpartition("@")
    if not at or len(address) > 254 or len(local) > 64 or not LOCAL_PART.fullmatch(local):
        raise BackendError(f"{address!r} is not a valid mail address.")
    return address, local, check_domain(domain)


def check_source(source: str) -> tuple[str, str]:
    """(source, domain) for an alias: an address, or '@domain' for the catch-all."""
    source = _clean(source, "alias")
    if source.startswith("@"):
        domain = check_domain(source[1:])
        return f"@{domain}", domain
    address, _, domain = check_address(source)
    return address, domain


class MailBackend(Backend):
    role = "mail"

    def __init__(self, server) -> None:
        super().__init__(server)
        config = server.settings_for("mail")
        secrets = server.credentials_for("mail")
        self.database_url = secrets.get("database_url", "")
        self.doveadm_url = config.get("doveadm_url", "")
        self.doveadm_key = secrets.get("doveadm_api_key", "")
        self.redis_url = secrets.get("dkim_redis_url", "")
        self.mail_root = Path(config.get("mail_root", "")) if config.get("mail_root") else None
        self._conn: psycopg.Connection | None = None
        self._keep = False

    # --- plumbing ------------------------------------------------------------------------

    def reuse_connections(self) -> None:
        self._keep = True

    def close(self) -> None:
        self._keep = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    @contextmanager
    def _db(self):
        """A transaction on the mail database (BackendError for what goes wrong)."""
        try:
            if self._conn is None or self._conn.closed:
                self._conn = psycopg.connect(
                    self.database_url, connect_timeout=settings.PROVISIONING_CONNECT_TIMEOUT
                )
            with self._conn.transaction(), self._conn.cursor() as cur:
                yield cur
        except psycopg.OperationalError as exc:
            self.close()
            raise BackendError.unreachable(
                "The mail server's database", "mail database", exc
            ) from None
        except psycopg.IntegrityError as exc:
            raise BackendError(
                "The mail server refused the change.", detail=f"mail database: {exc}"
            ) from None
        finally:
            if not self._keep and self._conn is not None:
                self._conn.close()
                self._conn = None

    def _redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url, socket_timeout=5, socket_connect_timeout=5)

    def _doveadm(self, command: str, parameters: dict) -> list:
        """One doveadm HTTP API command; its result list."""
        token = base64.b64encode(self.doveadm_key.encode()).decode()
        try:
            response = httpx.post(
                self.doveadm_url,
                json=[[command, parameters, "c"]],
                headers={"Authorization": f"X-Dovecot-API {token}"},
                timeout=settings.PROVISIONING_CONNECT_TIMEOUT,
            )
        except httpx.TransportError as exc:
            raise BackendError.unreachable(
                "The mail server (Dovecot)", f"doveadm {command}", exc
            ) from None
        if response.status_code != 200:
            raise BackendError(
                "The mail server (Dovecot) had a problem.",
                permanent=response.status_code < 500,
                detail=f"doveadm {command}: HTTP {response.status_code}",
            )
        kind, result, _tag = response.json()[0]
        if kind != "doveadmResponse":
            raise BackendError(
                "The mail server (Dovecot) refused the request.",
                detail=f"doveadm {command}: {result}",
            )
        return result

    def _home(self, address: str) -> Path | None:
        """The mailbox's home (maildir, sieve scripts) on this host, when it is known."""
        if self.mail_root is None:
            return None
        _, local, domain = check_address(address)
        return self.mail_root / domain / local

    def _give_to_mail_user(self, path: Path) -> None:
        if self.mail_root is not None and os.geteuid() == 0:
            owner = self.mail_root.stat()
            os.chown(path, owner.st_uid, owner.st_gid, follow_symlinks=False)

    def _write_under(self, parent: str, key: str, sql: str, params: tuple) -> None:
        """Insert or update a row that belongs to a domain or a mailbox (`parent`), in one
        transaction that first makes sure the mail server has that domain or mailbox."""
        with self._db() as cur:
            cur.execute(PARENT_EXISTS[parent], (key,))
            if cur.fetchone() is None:
                raise BackendError(f"The mail server has no {parent} {key}.")
            cur.execute(sql, params)

    def _delete(self, params: tuple, *statements: str) -> bool:
        """Run the DELETE statements in one transaction; whether the first one removed a row."""
        with self._db() as cur:
            cur.execute(statements[0], params)
            removed = cur.rowcount > 0
            for sql in statements[1:]:
                cur.execute(sql, params)
        return removed

    def _row(self, sql: str, params: tuple, fields: tuple[str, ...]) -> dict | None:
        """The one row the query finds, as a dict of `fields`; None when it finds none."""
        with self._db() as cur:
            cur.execute(sql, params)
            row = cur.fetchone()
        return None if row is None else dict(zip(fields, row, strict=True))

    # --- the vocabulary ------------------------------------------------------------------

    def check(self) -> str:
        with self._db() as cur:
            cur.execute("SELECT count(*) FROM domains")
            domains = cur.fetchone()[0]
        sessions = self._doveadm("who", {})
        return f"mail database: {domains} domains; Dovecot: {len(sessions)} users logged in"

    def ensure_domain(self, name: str) -> None:
        name = check_domain(name)
        with self._db() as cur:
            cur.execute(
                "INSERT INTO domains (name) VALUES (%s) ON CONFLICT (name) DO UPDATE "
                "SET active = true",
                (name,),
            )

    def remove_domain(self, name: str) -> str:
        name = check_domain(name)
        removed = self._delete((name,), "DELETE FROM domains WHERE name = %s")
        if self.redis_url:

            def forget(client: redis.Redis) -> None:
                suffix = f".{name}".encode()
                fields = [key for key in client.hkeys(KEYS_HASH) if key.endswith(suffix)]
                if fields:
                    client.hdel(KEYS_HASH, *fields)
                client.hdel(SELECTORS_HASH, name)

            self._redis_call(forget)
        if self.mail_root is not None:
            shutil.rmtree(self.mail_root / name, ignore_errors=True)
        return _outcome(removed)

    def inspect_domain(self, name: str) -> dict | None:
        name = check_domain(name)
        found = self._row(
            "SELECT d.name, d.active, "
            "(SELECT count(*) FROM mailboxes m WHERE m.domain = d.name), "
            "(SELECT count(*) FROM aliases a WHERE a.domain = d.name), "
            "(SELECT array_agg(k.selector ORDER BY k.created_at) FROM dkim_keys k "
            " WHERE k.domain = d.name) "
            "FROM domains d WHERE d.name = %s",
            (name,),
            ("name", "active", "mailboxes", "aliases", "dkim_selectors"),
        )
        if found is not None:
            found["dkim_selectors"] = list(found["dkim_selectors"] or [])
        return found

    def ensure_mailbox(
        self, address: str, password_hash: str, quota_mb: int, active: bool = True
    ) -> None:
        address, local, domain = check_address(address)
        password_hash = _check_hash(password_hash)
        quota_mb = _check_quota(quota_mb)
        self._write_under(
            "domain",
            domain,
            "INSERT INTO mailboxes (address, domain, local_part, password, quota_mb, active) "
            "VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT (address) DO UPDATE SET "
            "password = EXCLUDED.password, quota_mb = EXCLUDED.quota_mb, "
            "active = EXCLUDED.active",
            (address, domain, local, password_hash, quota_mb, bool(active)),
        )

    def remove_mailbox(self, address: str) -> str:
        address, _, _ = check_address(address)
        removed = self._delete(
            (address,),
            "DELETE FROM mailboxes WHERE address = %s",
            "DELETE FROM sent_log WHERE address = %s",
        )
        self._kick(address)
        home = self._home(address)
        if home is not None:
            shutil.rmtree(home, ignore_errors=True)
        return _outcome(removed)

    def inspect_mailbox(self, address: str) -> dict | None:
        address, _, _ = check_address(address)
        return self._row(
            "SELECT m.address, m.domain, m.quota_mb, m.active, m.send_limit_per_hour, "
            "v.subject IS NOT NULL FROM mailboxes m "
            "LEFT JOIN vacations v ON v.address = m.address WHERE m.address = %s",
            (address,),
            ("address", "domain", "quota_mb", "active", "send_limit_per_hour", "vacation"),
        )

    def _update_mailbox(self, address: str, column: str, value) -> None:
        address, _, _ = check_address(address)
        queries = {
            "password": "UPDATE mailboxes SET password = %s WHERE address = %s",
            "quota_mb": "UPDATE mailboxes SET quota_mb = %s WHERE address = %s",
            "active": "UPDATE mailboxes SET active = %s WHERE address = %s",
            "send_limit": "UPDATE mailboxes SET send_limit_per_hour = %s WHERE address = %s",
        }
        with self._db() as cur:
            cur.execute(queries[column], (value, address))
            if cur.rowcount == 0:
                raise BackendError(f"The mail server has no mailbox {address}.")

    def set_password(self, address: str, password_hash: str) -> None:
        self._update_mailbox(address, "password", _check_hash(password_hash))

    def set_quota(self, address: str, quota_mb: int) -> None:
        self._update_mailbox(address, "quota_mb", _check_quota(quota_mb))

    def set_active(self, address: str, active: bool) -> None:
        self._update_mailbox(address, "active", bool(active))
        if not active:
            self._kick(address)

    def set_send_limit(self, address: str, per_hour: int) -> None:
        if not isinstance(per_hour, int) or isinstance(per_hour, bool) or per_hour < 0:
            raise BackendError("A sending limit is a whole number of messages per hour (0: none).")
        self._update_mailbox(address, "send_limit", per_hour)

    def _kick(self, address: str) -> None:
        """End the mailbox's open IMAP sessions (best effort: it may have none)."""
        if self.doveadm_url:
            try:
                self._doveadm("kick", {"mask": [address]})
            except BackendError:
                pass

    def usage(self, address: str) -> tuple[int, int]:
        """(bytes, messages) over all the mailbox's folders, as Dovecot counts them."""
        address, _, _ = check_address(address)
        rows = self._doveadm(
            "mailboxStatus",
            {"user": address, "field": ["vsize", "messages"], "mailboxMask": ["*"]},
        )
        return (
            sum(int(row.get("vsize", 0)) for row in rows),
            sum(int(row.get("messages", 0)) for row in rows),
        )

    def ensure_alias(self, source: str, destinations: list[str]) -> None:
        source, domain = check_source(source)
        if not destinations or len(destinations) > MAX_DESTINATIONS:
            raise BackendError(f"An alias needs 1 to {MAX_DESTINATIONS} destinations.")
        targets = list(dict.fromkeys(check_address(d)[0] for d in destinations))
        if source in targets:
            raise BackendError(f"{source} cannot forward to itself.")
        self._write_under(
            "domain",
            domain,
            "INSERT INTO aliases (source, domain, destinations) VALUES (%s, %s, %s) "
            "ON CONFLICT (source) DO UPDATE SET destinations = EXCLUDED.destinations, "
            "active = true",
            (source, domain, targets),
        )

    def remove_alias(self, source: str) -> str:
        source, _ = check_source(source)
        return _outcome(self._delete((source,), "DELETE FROM aliases WHERE source = %s"))

    def inspect_alias(self, source: str) -> dict | None:
        source, _ = check_source(source)
        found = self._row(
            "SELECT source, domain, destinations, active FROM aliases WHERE source = %s",
            (source,),
            ("source", "domain", "destinations", "active"),
        )
        if found is not None:
            found["destinations"] = list(found["destinations"])
        return found

    def ensure_dkim_key(self, domain: str, selector: str, private_pem: str) -> None:
        """Store the key and sign with it, or neither: the key store failing (unreachable)
        rolls the row back, so a failed step leaves no key behind that a later change could
        start signing with before its public half is published."""
        domain = check_domain(domain)
        selector = _check_selector(selector)
        if "PRIVATE KEY-----" not in private_pem or "\0" in private_pem:
            raise BackendError("The DKIM key is not a PEM private key.")
        with self._db() as cur:
            cur.execute(PARENT_EXISTS["domain"], (domain,))
            if cur.fetchone() is None:
                raise BackendError(f"The mail server has no domain {domain}.")
            cur.execute(
                "INSERT INTO dkim_keys (domain, selector, private_key) VALUES (%s, %s, %s) "
                "ON CONFLICT (domain, selector) DO UPDATE SET private_key = EXCLUDED.private_key",
                (domain, selector, private_pem),
            )
            self._sign_with_newest(cur, domain)

    def remove_dkim_key(self, domain: str, selector: str) -> str:
        """Forget the key in the mail database and the key store together (or neither)."""
        domain = check_domain(domain)
        selector = _check_selector(selector)
        with self._db() as cur:
            cur.execute(
                "DELETE FROM dkim_keys WHERE domain = %s AND selector = %s", (domain, selector)
            )
            removed = cur.rowcount > 0
            self._sign_with_newest(cur, domain, drop=selector)
        return _outcome(removed)

    def _sign_with_newest(self, cur, domain: str, *, drop: str | None = None) -> None:
        """Point rspamd at the domain's newest key (none left: it stops signing) and drop
        DROP's key, in one Redis transaction; CUR is the mail database transaction that
        changed the keys, which a failing key store therefore undoes."""
        cur.execute(
            "SELECT selector, private_key FROM dkim_keys WHERE domain = %s "
            "ORDER BY created_at DESC, selector DESC LIMIT 1",
            (domain,),
        )
        row = cur.fetchone()

        def apply(client: redis.Redis) -> None:
            pipe = client.pipeline(transaction=True)  # MULTI ... EXEC: all or nothing
            if drop is not None:
                pipe.hdel(KEYS_HASH, f"{drop}.{domain}")
            if row is None:
                pipe.hdel(SELECTORS_HASH, domain)
            else:
                pipe.hset(KEYS_HASH, f"{row[0]}.{domain}", row[1])
                pipe.hset(SELECTORS_HASH, domain, row[0])
            pipe.execute()

        self._redis_call(apply)

    def _redis_call(self, action) -> None:
        if not self.redis_url:
            raise BackendError("The mail server has no DKIM key store configured.")
        try:
            action(self._redis())
        except redis.RedisError as exc:
            raise BackendError.unreachable(
                "The mail server's key store", "DKIM key store", exc
            ) from None

    def ensure_vacation(
        self,
        address: str,
        subject: str,
        body: str,
        start: date | None = None,
        end: date | None = None,
    ) -> None:
        address, _, _ = check_address(address)
        if any(ch in subject for ch in "\r\n\0") or "\0" in body:
            raise BackendError("The auto-reply's subject has a line break or NUL character.")
        if not subject.strip() or len(subject) > 200 or not body.strip() or len(body) > MAX_TEXT:
            raise BackendError("An auto-reply needs a subject (200) and a text (10,000 at most).")
        if start and end and end < start:
            raise BackendError("The auto-reply ends before it starts.")
        self._write_under(
            "mailbox",
            address,
            "INSERT INTO vacations (address, subject, body, start_date, end_date) "
            "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (address) DO UPDATE SET "
            "subject = EXCLUDED.subject, body = EXCLUDED.body, "
            "start_date = EXCLUDED.start_date, end_date = EXCLUDED.end_date",
            (address, subject, body, start, end),
        )
        self._write_sieve(address, vacation_script(subject, body, start, end))

    def remove_vacation(self, address: str) -> str:
        address, _, _ = check_address(address)
        removed = self._delete((address,), "DELETE FROM vacations WHERE address = %s")
        home = self._home(address)
        if home is not None:
            active = home / ".dovecot.sieve"
            if active.is_symlink() or active.exists():
                active.unlink()
            for path in (home / "sieve").glob(f"{VACATION_SCRIPT}.*"):
                path.unlink()
        return _outcome(removed)

    def _write_sieve(self, address: str, script: str) -> None:
        home = self._home(address)
        if home is None:
            raise BackendError("The mail server's mail folder is not configured.")
        sieve_dir = home / "sieve"
        for path in (home.parent, home, sieve_dir):
            if not path.exists():
                path.mkdir(mode=0o700)
                self._give_to_mail_user(path)
        target = sieve_dir / f"{VACATION_SCRIPT}.sieve"
        tmp = sieve_dir / f".{VACATION_SCRIPT}.tmp"
        tmp.write_text(script)
        self._give_to_mail_user(tmp)
        tmp.replace(target)
        (sieve_dir / f"{VACATION_SCRIPT}.svbin").unlink(missing_ok=True)
        active = home / ".dovecot.sieve"
        if active.is_symlink() or active.exists():
            active.unlink()
        active.symlink_to(Path("sieve") / target.name)
        self._give_to_mail_user(active)

    def inventory(self) -> dict:
        with self._db() as cur:
            cur.execute("SELECT name FROM domains ORDER BY name")
            domains = [row[0] for row in cur.fetchall()]
            cur.execute(
                "SELECT address, quota_mb, active FROM mailboxes ORDER BY address",
            )
            mailboxes = [
                {"address": a, "quota_mb": q, "active": active} for a, q, active in cur.fetchall()
            ]
            cur.execute("SELECT source, destinations FROM aliases ORDER BY source")
            aliases = [{"source": s, "destinations": list(d)} for s, d in cur.fetchall()]
        maildirs: list[str] = []
        if self.mail_root is not None and self.mail_root.is_dir():
            maildirs = sorted(
                f"{home.name}@{domain.name}"
                for domain in self.mail_root.iterdir()
                if domain.is_dir()
                for home in domain.iterdir()
                if home.is_dir()
            )
        return {
            "domains": domains,
            "mailboxes": mailboxes,
            "aliases": aliases,
            "maildirs": maildirs,
        }


def _check_hash(password_hash: str) -> str:
    if not isinstance(password_hash, str) or not re.fullmatch(
        r"\{(ARGON2ID|BLF-CRYPT)\}\S{20,500}", password_hash
    ):
        raise BackendError("The password hash is not in a scheme the mail server accepts.")
    return password_hash


def _check_quota(quota_mb: int) -> int:
    if not isinstance(quota_mb, int) or isinstance(quota_mb, bool) or not 0 <= quota_mb <= 10**7:
        raise BackendError("A mailbox quota is a whole number of MB (0: no limit).")
    return quota_mb


def _check_selector(selector: str) -> str:
    selector = _clean(selector, "DKIM selector")
    if not SELECTOR.fullmatch(selector):
        raise BackendError(f"{selector!r} is not a valid DKIM selector.")
    return selector


def _sieve_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def vacation_script(subject: str, body: str, start: date | None, end: date | None) -> str:
    """A sieve script answering once a day per sender, between START and END (inclusive)."""
    tests = []
    if start:
        tests.append(f'currentdate :value "ge" "date" "{start.isoformat()}"')
    if end:
        tests.append(f'currentdate :value "le" "date" "{end.isoformat()}"')
    action = f"vacation :days 1 :subject {_sieve_string(subject)} {_sieve_string(body)};"
    head = 'require ["vacation", "date", "relational"];\n'
    if not tests:
        return f"{head}{action}\n"
    return f"{head}if allof({', '.join(tests)}) {{\n    {action}\n}}\n"
