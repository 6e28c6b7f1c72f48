"""A throwaway Dovecot 2.3: IMAP, LMTP, SASL auth (for Postfix), quota-status (Postfix policy),
ManageSieve and the doveadm HTTP API, all on loopback ports, users from the mail database.

Mail is stored as Maildir under VHOSTS/<domain>/<local part>/ owned by the mail user; the
sieve scripts (vacation) sit in the same home. Passwords are checked in the scheme their
hash names ({ARGON2ID}, {BLF-CRYPT}, ...). Started as root, Dovecot drops to its own users.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from panel.stack.common import (
    StackError,
    port_accepts,
    short_hash,
    start_daemon,
    tool,
    wait_until,
    write_file,
)
from panel.stack.daemon import MailDaemon

CONF_NAME = "dovecot.conf"
SQL_NAME = "sql.conf.ext"
PORTS = ("imap", "lmtp", "auth", "quota", "sieve", "doveadm")
OVERQUOTA_REPLY = "552 5.2.2 Mailbox is full: the recipient is over quota"


def dovecot_available() -> bool:
    return Path("/usr/sbin/dovecot").exists() and Path("/usr/lib/dovecot/lmtp").exists()


@dataclass
class DovecotServer(MailDaemon):
    name: str = "dovecot"
    pid_marker: ClassVar[bytes] = b"dovecot"
    shown_ports: ClassVar[tuple[str, ...]] = ("imap", "lmtp")

    @property
    def conf(self) -> Path:
        return self.dir / CONF_NAME

    @property
    def pidfile(self) -> Path:
        return self.dir / "run" / "master.pid"

    def write_conf(
        self,
        *,
        db: str,
        vhosts: Path,
        uid: int,
        gid: int,
        smtp_port: int,
        api_key: str,
    ) -> None:
        p = self.ports
        h = self.listen

        def listen(listener: str, port: str) -> str:
            """An inet_listener block on the listening address and the port named PORT."""
            return f"  inet_listener {listener} {{\n    address = {h}\n    port = {p[port]}\n  }}"

        sql = f"""# Written by panel.stack on every start; edit panel/stack/dovecot.py instead.
driver = pgsql
connect = {db}
password_query = SELECT address AS user, password FROM mailboxes \\
  WHERE address = '%Lu' AND active
user_query = SELECT '*:storage=' || quota_mb || 'M' AS quota_rule FROM mailboxes \\
  WHERE address = '%Lu' AND active
iterate_query = SELECT address AS user FROM mailboxes WHERE active
"""  # noqa: S608 - Dovecot's own query templates
        write_file(self.dir / SQL_NAME, sql, mode=0o640, group="dovecot")
        conf = f"""# Written by panel.stack on every start; edit panel/stack/dovecot.py instead.
instance_name = hearth-{short_hash(str(self.dir))}
base_dir = {self.dir}/run
state_dir = {self.dir}/state
log_path = {"/dev/stderr" if self.console else self.logfile}
protocols = imap lmtp sieve
listen = {h}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
auth_cache_size = 0
login_trusted_networks = {" ".join(self.networks)}
default_login_user = dovenull
default_internal_user = dovecot
mail_uid = {uid}
mail_gid = {gid}
first_valid_uid = {uid}
first_valid_gid = {gid}
mail_home = {vhosts}/%Ld/%Ln
mail_location = maildir:~/Maildir
mail_plugins = $mail_plugins quota
hostname = localhost
postmaster_address = postmaster@localhost
submission_host = {self.peer("postfix")}:{smtp_port}
lmtp_save_to_detail_mailbox = no
doveadm_api_key = {api_key}

passdb {{
  driver = sql
  args = {self.dir}/{SQL_NAME}
}}
userdb {{
  driver = sql
  args = {self.dir}/{SQL_NAME}
}}

service imap-login {{
{listen("imap", "imap")}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
{listen("lmtp", "lmtp")}
}}
service auth {{
{listen("auth-postfix", "auth")}
}}
service managesieve-login {{
{listen("sieve", "sieve")}
}}
service quota-status {{
  executable = quota-status -p postfix
{listen("quota-postfix", "quota")}
  client_limit = 1
}}
service doveadm {{
{listen("http", "doveadm")}
}}

protocol lmtp {{
  mail_plugins = $mail_plugins sieve
}}
protocol imap {{
  mail_plugins = $mail_plugins imap_quota
}}

plugin {{
  quota = count:User quota
  quota_vsizes = yes
  quota_grace = 0%
  quota_status_success = DUNNO
  quota_status_nouser = DUNNO
  quota_status_overquota = "{OVERQUOTA_REPLY}"
  sieve = file:~/sieve;active=~/.dovecot.sieve
  sieve_vacation_send_from_recipient = yes
  sieve_vacation_min_period = 0
}}
"""
        write_file(self.conf, conf, mode=0o640, group="dovecot")

    def prepare(self) -> None:
        (self.dir / "state").mkdir(parents=True, exist_ok=True)
        self.pidfile.unlink(missing_ok=True)

    def foreground_argv(self) -> list[str]:
        """Dovecot in the foreground (a container's main process)."""
        return [tool("dovecot"), "-F", "-c", str(self.conf)]

    def start(self) -> None:
        self.prepare()
        code, said = start_daemon([tool("dovecot"), "-c", self.conf], self.dir / "start.out")
        if code != 0:
            raise StackError(f"dovecot did not start\n{said}\n{self.log_tail()}")
        ports = [self.ports[name] for name in ("imap", "lmtp", "auth", "quota")]
        if not wait_until(lambda: all(port_accepts(port) for port in ports), 20, 0.05):
            self.stop()
            raise StackError(f"dovecot did not come up\n{self.log_tail()}")
