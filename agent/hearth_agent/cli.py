"""`hearth-agent run` and `hearth-agent register --url URL --token TOKEN`."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
import threading

from hearth_agent import __version__
from hearth_agent import config as agent_config
from hearth_agent.transport import Transport

logger = logging.getLogger("hearth_agent")


def register(args) -> int:
    config = agent_config.load(args.config)
    url = args.url.rstrip("/")
    response = Transport(url, config.timeout).post(
        "/register",
        {"token": args.token, "hostname": socket.gethostname(), "agent_version": __version__},
    )
    if not response.ok:
        reason = response.body.get("error", "no answer")
        print(
            f"registration failed ({response.status or 'unreachable'}): {reason}", file=sys.stderr
        )
        return 1
    agent_config.write_credentials(
        config.credentials, url=url, server=response.body["server"], key=response.body["key"]
    )
    print(
        f"registered as server {response.body.get('server_name', response.body['server'])}; "
        f"key saved to {config.credentials}"
    )
    return 0


def run(args) -> int:
    from hearth_agent.sender import Agent

    config = agent_config.read_credentials(agent_config.load(args.config))
    agent = Agent(config)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    agent.run(stop)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="hearth-agent")
    parser.add_argument("--config", help="INI file (default: $HEARTH_AGENT_CONFIG)")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("run", help="collect and send metrics until stopped")
    reg = sub.add_parser("register", help="exchange an enrolment token for this agent's key")
    reg.add_argument("--url", required=True, help="the panel's address, e.g. https://panel")
    reg.add_argument("--token", required=True, help="the one-time enrolment token")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        return register(args) if args.command == "register" else run(args)
    except agent_config.ConfigError as exc:
        print(f"hearth-agent: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
