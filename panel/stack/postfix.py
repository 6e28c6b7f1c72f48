"""A throwaway Postfix 3.7 instance (`postfix -c DIR`): inbound SMTP and submission on
loopback ports, virtual domains/mailboxes/aliases from the mail database (pgsql maps, read-only
role), delivery over LMTP to Dovecot, SASL through Dovecot, over-quota checks through
Dovecot's quota-status policy, rspamd as milter, and the hourly sending limit of each mailbox
through a pgsql check_sasl_access map (panel/stack/maildb.py: send_check).

Mail for other hosts is queued and held (defer_transports = smtp): the stack has no internet.
The master runs as root and drops to the `postfix` user, as Postfix always does.
"""

from __future__ import annotations

import json
import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from panel.stack.common import (
    StackError,
    is_root,
    port_accepts,
    run,
    start_daemon,
    tool,
    wait_until,
    write_file,
)
from panel.stack.daemon import MailDaemon

MASTER = "/usr/lib/postfix/sbin/master"
PORTS = ("smtp", "submission", "relay")
MAPS = {
    "domains": "SELECT name FROM domains WHERE name = '%s' AND active",
    "mailboxes": "SELECT address FROM mailboxes WHERE address = '%s' AND active",
    # Exact sources (and "@domain" catch-alls, which Postfix looks up after the address).
    "aliases": "SELECT array_to_string(destinations, ',') FROM aliases "
    "WHERE source = '%s' AND active",
    # Every mailbox maps to itself, so a catch-all never swallows an existing mailbox (a
    # suspended one too: it then fails virtual_mailbox_maps, and the sender gets a 550).
    "mailbox-self": "SELECT address FROM mailboxes WHERE address = '%s'",
    # A suspended mailbox: refused at RCPT (it is "listed" through mailbox-self).
    "suspended": "SELECT '550 5.2.1 This mailbox is suspended' FROM mailboxes "
    "WHERE address = '%s' AND NOT active",
    "sender-login": "SELECT address FROM mailboxes WHERE address = '%s' AND active",
    "send-limit": "SELECT verdict FROM send_check('%s') AS verdict WHERE verdict IS NOT NULL",
}

NO_OUTBOUND = """\
# No internet here: mail for other hosts waits in the queue (postqueue -j shows it).
defer_transports = smtp
smtp_dns_support_level = disabled
"""

MASTER_CF = """\
# Written by panel.stack on every start; edit panel/stack/postfix.py instead.
{listen}{smtp} inet n - n - - smtpd
  -o smtpd_relay_restrictions=reject_unauth_destination
{listen}{submission} inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
  -o smtpd_sender_login_maps=pgsql:{dir}/sender-login.cf
  -o smtpd_sender_restrictions=reject_sender_login_mismatch
  -o smtpd_data_restrictions=check_sasl_access,pgsql:{dir}/send-limit.cf
# Mail the host itself sends (Dovecot's auto-replies): its own networks only, may relay.
{listen}{relay} inet n - n - - smtpd
  -o syslog_name=postfix/internal
  -o smtpd_relay_restrictions=permit_mynetworks,reject
  -o smtpd_client_restrictions=permit_mynetworks,reject
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
proxywrite unix - - n - 1 proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"""


def postfix_available() -> bool:
    return Path("/usr/sbin/postfix").exists() and Path("/usr/lib/postfix/postfix-pgsql.so").exists()


@dataclass
class PostfixServer(MailDaemon):
    name: str = "postfix"
    pid_marker: ClassVar[bytes] = b"master"
    shown_ports: ClassVar[tuple[str, ...]] = ("smtp", "submission")

    @property
    def pidfile(self) -> Path:
        return self.dir / "queue" / "pid" / "master.pid"

    def write_conf(
        self,
        *,
        db: dict[str, str],
        lmtp_port: int,
        auth_port: int,
        quota_port: int,
        milter_port: int | None,
        myhostname: str = "mail.hearth.test",
        outbound: bool = False,
    ) -> None:
        """OUTBOUND: deliver mail for other hosts (else it waits in the queue: the stack
        has no internet)."""
        dovecot = self.peer("dovecot")
        for name, query in MAPS.items():
            text = (
                "# Written by panel.stack; edit panel/stack/postfix.py instead.\n"
                f"hosts = inet:{db['host']}:{db['port']}\n"
                f"user = {db['user']}\npassword = {db['password']}\ndbname = {db['dbname']}\n"
                f"query = {query}\n"
            )
            write_file(self.dir / f"{name}.cf", text, mode=0o640, group="postfix")
        milters = f"inet:{self.peer('rspamd')}:{milter_port}" if milter_port else ""
        log = "/dev/stdout" if self.console else self.logfile
        held = "" if outbound else NO_OUTBOUND
        main = f"""# Written by panel.stack on every start; edit panel/stack/postfix.py instead.
compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
mail_owner = postfix
setgid_group = postdrop
maillog_file_prefixes = {self.dir}, /dev/stdout
maillog_file = {log}
inet_interfaces = {"all" if self.listens_everywhere else self.listen}
inet_protocols = ipv4
myhostname = {myhostname}
mydomain = {myhostname.partition(".")[2] or myhostname}
myorigin = $myhostname
mydestination =
local_recipient_maps =
local_transport = error:5.1.1 local delivery is disabled
alias_maps =
alias_database =
mynetworks = {" ".join(self.networks)}
biff = no
smtputf8_enable = no
append_dot_mydomain = no
virtual_mailbox_domains = pgsql:{self.dir}/domains.cf
virtual_mailbox_maps = pgsql:{self.dir}/mailboxes.cf
virtual_alias_maps = pgsql:{self.dir}/aliases.cf, pgsql:{self.dir}/mailbox-self.cf
virtual_transport = lmtp:inet:{dovecot}:{lmtp_port}
lmtp_host_lookup = native
smtpd_sasl_type = dovecot
smtpd_sasl_path = inet:{dovecot}:{auth_port}
smtpd_sasl_auth_enable = no
smtpd_tls_security_level = none
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
    reject_unauth_destination
smtpd_recipient_restrictions = check_recipient_access pgsql:{self.dir}/suspended.cf,
    reject_unlisted_recipient,
    check_policy_service inet:{dovecot}:{quota_port}
smtpd_milters = {milters}
non_smtpd_milters = {milters}
milter_default_action = tempfail
milter_protocol = 6
delay_warning_time = 0
{held}"""
        write_file(self.dir / "main.cf", main)
        listen = "" if self.listens_everywhere else f"{self.listen}:"
        master = MASTER_CF.format(listen=listen, dir=self.dir, **self.ports)
        write_file(self.dir / "master.cf", master)

    def prepare(self) -> None:
        """The queue and data directories (the data one belongs to the `postfix` user)."""
        (self.dir / "queue").mkdir(parents=True, exist_ok=True)
        data = self.dir / "data"
        data.mkdir(parents=True, exist_ok=True)
        if is_root():
            entry = pwd.getpwnam("postfix")
            os.chown(data, entry.pw_uid, entry.pw_gid)
        self.pidfile.unlink(missing_ok=True)

    def foreground_argv(self) -> list[str]:
        """The master in the foreground (a container's main process)."""
        return [tool("postfix"), "-c", str(self.dir), "start-fg"]

    def start(self) -> None:
        self.prepare()
        # `postfix start` checks and creates the queue's layout (~2 s); once it exists,
        # the master starts by itself in a few ms (-w: returns once it is running).
        initialized = (self.dir / "queue" / "public").is_dir()
        if initialized:
            argv = [MASTER, "-c", self.dir, "-w"]
        else:
            argv = [tool("postfix"), "-c", self.dir, "start"]
        code, said = start_daemon(argv, self.dir / "start.out")
        if code != 0:
            raise StackError(f"postfix did not start\n{said}\n{self.log_tail()}")
        ports = list(self.ports.values())
        if not wait_until(lambda: all(port_accepts(port) for port in ports), 20, 0.05):
            self.stop()
            raise StackError(f"postfix did not come up\n{self.log_tail()}")

    def queue(self) -> list[dict]:
        """The messages in the queue (`postqueue -j`), one dict each."""
        out = run([tool("postqueue"), "-c", self.dir, "-j"]).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]
