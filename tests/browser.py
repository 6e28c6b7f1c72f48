"""Browser tests: Debian's Chromium driven by Playwright against the live test server."""

from __future__ import annotations

import contextlib
import shutil
import threading
import time
from dataclasses import dataclass, field

from django.db import connections
from playwright.sync_api import Page, sync_playwright

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# Without the background-networking flags Chromium keeps calling out to the internet.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@dataclass
class OpenedPage:
    page: Page
    problems: list[str] = field(default_factory=list)  # console errors and page errors
    htmx_requests: list[str] = field(default_factory=list)


class Browser:
    """Opens pages as the user logged in on a Django test client (its session cookie)."""

    def __init__(self, base_url: str):
        self.base_url = base_url
        self.stack = contextlib.ExitStack()

    def open(self, client, path: str, *, viewport: dict | None = None) -> OpenedPage:
        playwright = self.stack.enter_context(sync_playwright())
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        self.stack.callback(browser.close)
        context = browser.new_context(**({"viewport": viewport} if viewport else {}))
        session = client.cookies["sessionid"].value
        context.add_cookies([{"name": "sessionid", "value": session, "url": self.base_url}])
        opened = OpenedPage(context.new_page())
        page = opened.page
        page.on("console", lambda m: opened.problems.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda exc: opened.problems.append(str(exc)))
        page.on(
            "request",
            lambda r: opened.htmx_requests.append(r.url) if r.headers.get("hx-request") else None,
        )
        page.goto(self.base_url + path)
        return opened

    def close(self) -> None:
        connections.close_all()  # ORM calls made while Playwright ran used their own connection
        self.stack.close()
        wait_for_request_threads()


def wait_for_request_threads(limit: float = 10.0) -> None:
    """Let the live server's keep-alive request threads see the closed sockets and end
    (each closes its database connection), so the test database can be dropped."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and any(
        "process_request_thread" in thread.name for thread in threading.enumerate()
    ):
        time.sleep(0.05)
