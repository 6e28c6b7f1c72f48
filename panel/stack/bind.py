"""A throwaway BIND 9 secondary: loopback, free ports, zones added with rndc, AXFR with TSIG.

It serves no zone of its own: the panel adds each zone with `rndc addzone` as a secondary of
the PowerDNS primary; transfers (NOTIFY + AXFR) are signed with the TSIG key written here.
"""

from __future__ import annotations

import base64
import json
import os
import pwd
import re
import secrets
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from panel.stack.common import (
    HOST,
    StackError,
    free_port,
    is_root,
    pid_alive,
    pid_from_file,
    tool,
)
from panel.stack.daemon import Daemon, spawn_until_listening

BIND_USER = "bind"  # Debian's bind9 package creates it; named drops to it when run as root
TSIG_NAME = "hearth-axfr"
RNDC_KEY = "hearth-rndc"


def bind_available() -> bool:
    return shutil.which("named", path="/usr/sbin:/usr/bin") is not None


def new_secret() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass
class BindServer(Daemon):
    dir: Path
    dns_port: int
    rndc_port: int
    tsig_secret: str = field(default_factory=new_secret)
    rndc_secret: str = field(default_factory=new_secret)
    host: str = HOST
    pid: int | None = None

    @property
    def address(self) -> str:
        return f"{self.host}:{self.dns_port}"

    @property
    def rndc_address(self) -> str:
        return f"{self.host}:{self.rndc_port}"

    @property
    def logfile(self) -> Path:
        return self.dir / "named.log"

    def conf(self) -> str:
        return f"""// Written by panel.stack; edit panel/stack/bind.py instead.
key "{TSIG_NAME}" {{ algorithm hmac-sha256; secret "{self.tsig_secret}"; }};
key "{RNDC_KEY}" {{ algorithm hmac-sha256; secret "{self.rndc_secret}"; }};
controls {{
    inet {self.host} port {self.rndc_port} allow {{ {self.host}; }} keys {{ "{RNDC_KEY}"; }};
}};
options {{
    directory "{self.dir}";
    pid-file "{self.dir}/named.pid";
    session-keyfile "{self.dir}/session.key";
    listen-on port {self.dns_port} {{ {self.host}; }};
    listen-on-v6 {{ none; }};
    allow-new-zones yes;
    recursion no;
    notify no;
    allow-query {{ any; }};
    allow-transfer {{ none; }};
    dnssec-validation no;
    transfers-in 50;
}};
"""

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "named.conf"
        conf.touch(mode=0o600)
        conf.write_text(self.conf())
        argv = [tool("named"), "-g", "-c", str(conf)]
        if is_root():
            entry = pwd.getpwnam(BIND_USER)
            for path in (self.dir, conf):
                os.chown(path, entry.pw_uid, entry.pw_gid)
            argv += ["-u", BIND_USER]
        proc, up = spawn_until_listening(argv, self.logfile, [self.dns_port, self.rndc_port])
        self.pid = proc.pid
        if not up:
            self.stop()
            raise StackError(f"named did not come up\n{self.log_tail()}")

    started: bool = False

    def running_pid(self) -> int | None:
        if self.pid is not None and pid_alive(self.pid):
            return self.pid
        return pid_from_file(self.dir / "named.pid", b"named")

    def forget_pid(self) -> None:
        self.pid = None


def start_bind(directory: Path) -> BindServer:
    """Start a BIND secondary in DIRECTORY on free ports, with fresh TSIG and rndc keys."""
    server = BindServer(directory.absolute(), free_port(), free_port(), started=True)
    server.start()
    return server


def saved_bind(directory: Path) -> BindServer | None:
    """The BIND last started in DIRECTORY (ports and keys from its files), if any."""
    directory = directory.absolute()
    try:
        keys = json.loads((directory / "keys.json").read_text())
        conf = (directory / "named.conf").read_text()
    except (OSError, ValueError):
        return None
    ports = re.search(r"listen-on port (\d+)", conf), re.search(r"inet \S+ port (\d+)", conf)
    if not all(ports):
        return None
    return BindServer(directory, int(ports[0][1]), int(ports[1][1]), keys["tsig"], keys["rndc"])


def up_bind(directory: Path) -> BindServer:
    """Start (or reuse) the persistent secondary of `make run`; keys kept across restarts."""
    server = saved_bind(directory)
    if server is not None and server.is_running():
        return server
    if server is None:
        server = BindServer(directory.absolute(), free_port(), free_port())
    server.started = True
    server.dir.mkdir(parents=True, exist_ok=True)
    keyfile = server.dir / "keys.json"
    keyfile.touch(mode=0o600)
    keyfile.write_text(json.dumps({"tsig": server.tsig_secret, "rndc": server.rndc_secret}))
    server.start()
    return server
