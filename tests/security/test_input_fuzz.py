"""Generated: every URL of the URL conf, as admin and as customer, gets input no field can
store (NUL, lone surrogates, CR/LF, 100 kB, 4,000 levels of nesting) in its query string,
its form fields and a JSON body. Nothing may answer 5xx; the guard itself answers 400."""

from __future__ import annotations

import json
import re

import pytest
from django.test import Client

from tests.conftest import in_sudo_mode, login_with_second_factor
from tests.security.urlconf import urls as all_urls

NASTY = {
    "nul": "a\x00b",
    "crlf": "line one\r\nline two",
    "huge": "x" * 100_000,
    "nested": "[" * 4000,
}
# The test client cannot encode a lone surrogate: it goes as raw bytes (a form body) or as a
# JSON escape (which json.loads turns into a real lone surrogate).
SURROGATE_FORM = b"%ED%A0%80"
FALLBACK_FIELDS = ["name", "email", "q", "password", "username", "code", "description"]
FIELD_NAME = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


def _fields(client, url) -> list[str]:
    response = client.get(url)
    if response.status_code == 200 and "html" in response.get("Content-Type", ""):
        names = set(FIELD_NAME.findall(response.content.decode())) - {"csrfmiddlewaretoken"}
        if names:
            return sorted(set(names))
    return FALLBACK_FIELDS


def _probe(fresh_client, url, sent: list[int]) -> list[str]:
    """Every nasty input at URL; returns 'METHOD url what: status' for each 5xx.

    Appends one entry to SENT per request made (the probe count `make probes` prints)."""
    failures = []

    def check(what, response):
        sent.append(response.status_code)
        if response.status_code >= 500:
            failures.append(f"{what} {url}: {response.status_code}")

    client = fresh_client()  # one login per URL; a logout URL only ends its own session
    fields = _fields(client, url)
    for label, value in NASTY.items():
        check(f"GET ?{label}", client.get(url, dict.fromkeys(fields, value)))
        check(f"POST form {label}", client.post(url, dict.fromkeys(fields, value)))
        body = json.dumps(dict.fromkeys(fields, value))
        check(f"POST json {label}", client.post(url, body, content_type="application/json"))
    surrogate = b"&".join(f.encode() + b"=" + SURROGATE_FORM for f in fields)
    check(
        "POST form surrogate",
        client.post(url, surrogate, content_type="application/x-www-form-urlencoded"),
    )
    check("GET ?surrogate", client.get(url + "?" + surrogate.decode()))
    escaped = json.dumps(dict.fromkeys(fields, "\ud800"))
    check("POST json surrogate", client.post(url, escaped, content_type="application/json"))
    check(
        "POST json nesting",
        client.post(url, "[" * 4000, content_type="application/json"),
    )
    return failures


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_no_url_answers_5xx_to_unstorable_input(
    role, alice_account, bob_account, admin_user, admin_device
):
    def fresh_client():
        client = Client(raise_request_exception=False)
        if role == "admin":
            return in_sudo_mode(login_with_second_factor(client, admin_user, admin_device))
        client.force_login(alice_account.owner)
        return in_sudo_mode(client)

    urls = all_urls(alice_account.pk)
    assert len(urls) > 30  # the walk found the URL conf, not an empty list
    sent: list[int] = []
    failures = [failure for url in urls for failure in _probe(fresh_client, url, sent)]
    refused = sum(1 for status in sent if 400 <= status < 500)
    print(  # noqa: T201  (`make probes` shows these counts)
        f"\nprobes: input fuzz as {role}: {len(urls)} URLs, {len(sent)} requests, "
        f"{refused} answered 4xx, {len(failures)} answered 5xx"
    )
    assert failures == []
