"""A throwaway rspamd 3.4: one proxy worker in milter mode that scans by itself (self_scan),
on a loopback port, for Postfix's smtpd_milters.

Its own LOCAL_CONFDIR (this directory) replaces /etc/rspamd/local.d and override.d, so the
machine's rspamd settings never leak in. DNS goes to the stack's PowerDNS (no internet here,
and DKIM keys published there verify). DKIM signing keys are read from Redis, where the mail
backend writes them: hash DKIM_KEYS field "<selector>.<domain>" = PEM, hash DKIM_SELECTORS
field "<domain>" = the selector to sign with.
"""

from __future__ import annotations

import os
import pwd
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from panel.stack.common import (
    StackError,
    is_root,
    port_accepts,
    start_daemon,
    tool,
    wait_until,
    write_file,
)
from panel.stack.daemon import MailDaemon

RSPAMD_USER = "_rspamd"  # Debian's package creates it
KEYS_HASH = "DKIM_KEYS"
SELECTORS_HASH = "DKIM_SELECTORS"
# Modules that would only ask the internet (blocklists, fuzzy hashes, ASN lookups).
DISABLED = ("fuzzy_check", "rbl", "asn", "emails", "url_redirector", "phishing")


def rspamd_available() -> bool:
    return Path("/usr/bin/rspamd").exists()


@dataclass
class RspamdServer(MailDaemon):
    name: str = "rspamd"
    pid_marker: ClassVar[bytes] = b"rspamd"
    shown_ports: ClassVar[tuple[str, ...]] = ("milter",)

    @property
    def pidfile(self) -> Path:
        return self.dir / "rspamd.pid"

    def write_conf(
        self,
        *,
        dns_address: str,
        redis_host: str,
        redis_port: int,
        redis_db: int,
        redis_password: str = "",
    ):
        """DNS_ADDRESS "" keeps the system's resolvers (/etc/resolv.conf)."""
        d = self.dir
        log = '"console"' if self.console else f'"file";\n    filename = "{self.logfile}"'
        nameserver = f'    nameserver = ["{dns_address}"];\n' if dns_address else ""
        networks = ", ".join(f'"{network}"' for network in self.networks)
        password = f'password = "{redis_password}";\n' if redis_password else ""
        write_file(
            d / "rspamd.conf",
            f"""# Written by panel.stack on every start; edit panel/stack/rspamd.py instead.
.include "$CONFDIR/common.conf"
options {{
    pidfile = "{self.pidfile}";
    .include "$CONFDIR/options.inc"
    .include(try=true; priority=10) "$LOCAL_CONFDIR/override.d/options.inc"
}}
logging {{
    type = {log};
    level = "warning";
}}
worker "rspamd_proxy" {{
    bind_socket = "{self.listen}:{self.ports["milter"]}";
    milter = yes;
    timeout = 120s;
    count = 1;
    upstream "local" {{
        default = yes;
        self_scan = yes;
    }}
}}
""",
        )
        write_file(
            d / "override.d" / "options.inc",
            f"""dns {{
{nameserver}    timeout = 1s;
    retransmits = 1;
}}
local_addrs = [{networks}];
# Compiling Hyperscan's databases takes a core for ~30 s at the first start: not for a stack.
disable_hyperscan = true;
""",
        )
        write_file(
            d / "local.d" / "dkim_signing.conf",
            mode=0o640 if password else 0o644,  # the Redis password: _rspamd's group only
            group=RSPAMD_USER if password else None,
            text=f"""enabled = true;
use_redis = true;
servers = "{redis_host}:{redis_port}";
db = "{redis_db}";
{password}key_prefix = "{KEYS_HASH}";
selector_prefix = "{SELECTORS_HASH}";
sign_local = true;
sign_authenticated = true;
allow_username_mismatch = true;
use_esld = false;
try_fallback = true;  # with use_redis: "fall back" to the keys in Redis
""",
        )
        for module in DISABLED:
            write_file(d / "override.d" / f"{module}.conf", "enabled = false;\n")

    def prepare(self) -> list[str]:
        """Its directories (the `_rspamd` user's when root); the command that starts it."""
        for sub in ("db", "run"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        argv = [tool("rspamd"), "-c", str(self.dir / "rspamd.conf")]
        argv += [f"--var=LOCAL_CONFDIR={self.dir}", f"--var=DBDIR={self.dir}/db"]
        argv += [f"--var=RUNDIR={self.dir}/run", f"--var=LOGDIR={self.dir}"]
        if is_root():
            entry = pwd.getpwnam(RSPAMD_USER)
            for path in (self.dir, self.dir / "db", self.dir / "run"):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            if self.logfile.exists():
                os.chown(self.logfile, entry.pw_uid, entry.pw_gid)
            argv += ["-u", RSPAMD_USER, "-g", RSPAMD_USER]
        self.pidfile.unlink(missing_ok=True)
        return argv

    def foreground_argv(self) -> list[str]:
        """rspamd in the foreground (a container's main process)."""
        return [*self.prepare(), "-f"]

    def start(self) -> None:
        argv = self.prepare()
        code, said = start_daemon(argv, self.dir / "start.out")
        if code != 0:
            raise StackError(f"rspamd did not start\n{said}\n{self.log_tail()}")
        if not wait_until(lambda: port_accepts(self.ports["milter"]), 30, 0.05):
            self.stop()
            raise StackError(f"rspamd did not come up\n{self.log_tail()}")
