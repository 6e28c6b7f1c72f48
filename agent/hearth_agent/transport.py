"""JSON over HTTP(S) with a timeout: a deliberately small HTTP/1.1 client.

`http.client` pulls in the `email` package and `ssl` (about 8 MB of resident memory), more
than the rest of the agent; this client speaks just what the agent needs (one POST per
connection, `Connection: close`) and loads `ssl` only for https URLs.
"""

from __future__ import annotations

import json
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from hearth_agent import __version__

API_PREFIX = "/api/agent/v1"
MAX_RESPONSE = 1024 * 1024


@dataclass
class Response:
    status: int  # 0 when the panel could not be reached
    body: dict

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def retryable(self) -> bool:
        """Unreachable, or a server-side error: keep the batch and try again later."""
        return self.status == 0 or self.status >= 500 or self.status == 429

    @property
    def invalid(self) -> bool:
        """The panel refused the report itself (4xx but 401, 403, 429): sending it again is futile.

        401 and 403 are about the key or the server id, not the samples: those are kept
        until the agent is re-registered.
        """
        return 400 <= self.status < 500 and self.status not in (401, 403, 429)


def _dechunk(data: bytes) -> bytes:
    out, rest = [], data
    while rest:
        size_line, _, rest = rest.partition(b"\r\n")
        size = int(size_line.split(b";")[0] or b"0", 16)
        if size == 0:
            break
        out.append(rest[:size])
        rest = rest[size + 2 :]
    return b"".join(out)


def parse_response(raw: bytes) -> tuple[int, bytes]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
        raise ValueError("not an HTTP response")
    if any(line.lower().replace(b" ", b"") == b"transfer-encoding:chunked" for line in lines[1:]):
        body = _dechunk(body)
    return int(parts[1]), body


class Transport:
    def __init__(self, url: str, timeout: float) -> None:
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"panel URL must be http(s)://host[:port], not {url!r}")
        self._https = parts.scheme == "https"
        self._host = parts.hostname
        self._port = parts.port or (443 if self._https else 80)
        self._netloc = parts.netloc.rpartition("@")[2]
        self._base = parts.path.rstrip("/") + API_PREFIX
        self._timeout = timeout

    def _exchange(self, request: bytes) -> bytes:
        sock = socket.create_connection((self._host, self._port), timeout=self._timeout)
        if self._https:
            import ssl  # only when needed: it is the largest import by far

            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self._host)
        with sock:
            sock.sendall(request)
            chunks, size = [], 0
            while size < MAX_RESPONSE and (chunk := sock.recv(65536)):
                chunks.append(chunk)
                size += len(chunk)
        return b"".join(chunks)

    def post(self, path: str, payload: dict, key: str = "") -> Response:
        body = json.dumps(payload, separators=(",", ":")).encode()
        head = [
            f"POST {self._base}{path} HTTP/1.1",
            f"Host: {self._netloc}",
            f"User-Agent: hearth-agent/{__version__}",
            "Content-Type: application/json",
            f"Content-Length: {len(body)}",
            "Connection: close",
        ]
        if key:
            head.append(f"Authorization: Bearer {key}")
        request = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        try:
            status, raw = parse_response(self._exchange(request))
        except (OSError, ValueError) as exc:
            return Response(0, {"error": f"{exc.__class__.__name__}: {exc}"})
        try:
            parsed = json.loads(raw) if raw else {}
        except ValueError:
            parsed = {"error": raw[:200].decode(errors="replace")}
        return Response(status, parsed if isinstance(parsed, dict) else {})
