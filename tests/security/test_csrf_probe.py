"""Generated: every URL of the URL conf whose view accepts POST, PUT, PATCH or DELETE, sent by a
signed-in customer and a signed-in administrator (a session cookie, as a browser has) without a
CSRF token, answers 403 — the panel's pages through Django's CSRF middleware, the API through
its session authentication. The client holds the CSRF cookie, as a browser that opened a page of
the panel does (without it every request fails on the missing cookie, a weaker check), and sends
the body each URL reads: a form to the pages, JSON to the API (a form there is a 415 before the
CSRF check can say anything). Only the agent API is exempt: it takes an agent key in a header and
no session (see EXEMPT). `make probes` prints the counts."""

from __future__ import annotations

from collections import Counter

import pytest
from django.test import Client

from tests.conftest import in_sudo_mode, login_with_second_factor
from tests.security.urlconf import UNSAFE, methods, url_of, walk

# Authenticated by an agent key in the Authorization header; a browser's cookie gives no access.
EXEMPT = {"monitoring_agent_register", "monitoring_agent_metrics"}


def _client(role, alice_account, admin_user, admin_device) -> Client:
    client = Client(enforce_csrf_checks=True)
    if role == "admin":
        return in_sudo_mode(login_with_second_factor(client, admin_user, admin_device))
    client.force_login(alice_account.owner)
    return in_sudo_mode(client)


@pytest.mark.parametrize("role", ["customer", "admin"])
def test_every_unsafe_method_without_a_csrf_token_is_refused(
    role, alice_account, admin_user, admin_device
):
    client = _client(role, alice_account, admin_user, admin_device)
    assert client.get("/security/settings/").status_code == 200
    assert (
        "csrftoken" in client.cookies
    )  # the page set the cookie; the requests below lack the token
    cells: Counter = Counter()
    failures = []
    urls = set()
    for route in walk():
        if route.name in EXEMPT:
            continue
        url = url_of(route, alice_account.pk)
        for method in (m for m in methods(route.callback) if m in UNSAFE):
            urls.add(url)
            if route.path.startswith("api/"):
                response = client.generic(method, url, '{"a": 1}', "application/json")
            else:
                response = client.generic(method, url, "a=1", "application/x-www-form-urlencoded")
            cells["cells"] += 1
            cells["denied"] += response.status_code == 403
            cells["5xx"] += response.status_code >= 500
            if response.status_code != 403:
                failures.append(f"{method} {url} ({route.name}) → {response.status_code}")
    # The session was good all along: a safe request still gets in.
    assert client.get("/dashboard/" if role == "customer" else "/admin/").status_code == 200
    assert len(urls) > 50  # the walk found the URL conf's forms and API actions
    print(  # noqa: T201  (`make probes` shows these counts)
        f"\nprobes: CSRF as {role}: {len(urls)} URLs taking POST/PUT/PATCH/DELETE, "
        f"{cells['cells']} requests without a token, {cells['denied']} answered 403, "
        f"{cells['5xx']} answered 5xx"
    )
    assert not failures, "\n".join(failures)
