"""A local SMTP sink for development: every message it accepts becomes one .eml file.

`python -m panel.stack.mailsink --port N --dir DIR` (`make run` starts it, supervised, and
points EMAIL_HOST/EMAIL_PORT at it unless EMAIL_HOST is set). Nothing is relayed anywhere;
the admin area lists what was caught (panel/dev_mail.py, development only).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import threading
import time
import uuid
from pathlib import Path

from panel.stack.common import HOST, say

NAME_RE = re.compile(r"^\d{8}T\d{6}-[0-9a-f]{32}\.eml$")


def message_name() -> str:
    """Sortable by arrival: UTC time, then a random part (several per second are fine)."""
    return f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex}.eml"


def store(directory: Path, content: bytes) -> Path:
    """Write CONTENT to DIRECTORY atomically (readers never see half a message)."""
    directory.mkdir(parents=True, exist_ok=True)
    final = directory / message_name()
    partial = directory / f".{final.name}.part"
    partial.write_bytes(content)
    os.replace(partial, final)
    return final


class EmlHandler:
    """aiosmtpd handler: accept every recipient, store each message's bytes as received."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        path = store(self.directory, envelope.original_content or envelope.content)
        say(f"mail: caught a message for {', '.join(envelope.rcpt_tos)} -> {path.name}")
        return "250 Message accepted for delivery"


def serve(directory: Path, port: int, host: str = HOST) -> None:
    """Serve until SIGTERM/SIGINT."""
    from aiosmtpd.controller import Controller

    controller = Controller(EmlHandler(directory), hostname=host, port=port)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    controller.start()
    say(f"mail: SMTP sink on {host}:{port}, writing to {directory}")
    try:
        stop.wait()
    finally:
        controller.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m panel.stack.mailsink")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    serve(args.dir.absolute(), args.port)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
