"""Generated: every panel URL of the URL conf × every method its view accepts × four roles.

- anonymous: sent to the login page (or 401/403/404), except the pages in PUBLIC;
- customer Bob asking for Alice's objects: 404 (never 403, which would say the object exists);
- customers (Alice and Bob) on admin pages: 403 or 404;
- an administrator on admin pages and Alice on her own objects: reached (GET answers 200), which
  shows the objects of the probe are the right ones and the refusals above mean something.

Nothing answers 5xx. The API has its own matrix (tests/api/test_authorisation_matrix.py); the
agent API takes an agent key, not a session (tests/monitoring). The expectations come from the
page's path and the tables below, never from the view's own decorators: a view that loses its
`admin_required` fails here. `make probes` prints the counts.
"""

from __future__ import annotations

from collections import Counter

from django.test import Client
from django.urls import reverse

from monitoring.models import AgentKey
from tests.api.conftest import dns_server, pdns_address, zone_name  # noqa: F401
from tests.api.test_authorisation_matrix import world  # noqa: F401
from tests.conftest import in_sudo_mode, login_with_second_factor
from tests.provisioning.conftest import db_server, target_pg  # noqa: F401
from tests.security.urlconf import methods, walk

# Pages anyone may open (the login and recovery flows, health, the Prometheus scrape with its own
# token, the development mail sink that is 404 outside development).
PUBLIC = {
    "home",
    "healthz",
    "accounts:login",
    "accounts:logout",
    "security:login_verify",
    "security:resend_verification",
    "security:verify_email",
    "security:password_reset",
    "security:password_reset_confirm",
    "prometheus_metrics",
    "dev_mail_list",
    "dev_mail_detail",
}
# Administrators' pages whose path has no "admin/" in it.
ADMIN_NAMES = {
    "security:admin_resend_verification",
    "security:admin_mark_verified",
    "security:admin_sessions",
    "security:admin_session_revoke",
    "outbox:message_list",
    "outbox:message_resend",
    "monitoring:overview",
    "monitoring:server_detail",
    "monitoring:server_data",
    "monitoring:server_export",
    "monitoring:enrol",
    "monitoring:revoke_key",
    "monitoring:alert_list",
    "monitoring:rule_list",
    "monitoring:rule_edit",
}
# A customer's own objects: URL name → the key of the object in `world` for each parameter.
OWNED = {
    "accounts:account_detail": {"pk": "admin-account"},
    "security:session_revoke": {"pk": "session"},
    "security:audit_detail": {"pk": "audit-event"},
    "api_token_revoke": {"pk": "token"},
    "provisioning:database_detail": {"pk": "database"},
    "provisioning:database_delete": {"pk": "database"},
    "provisioning:role_create": {"pk": "database"},
    "provisioning:role_password": {"pk": "database", "role_pk": "database-role"},
    "provisioning:role_remove": {"pk": "database", "role_pk": "database-role"},
    "dns:zone_detail": {"pk": "dns-zone"},
    "dns:zone_delete": {"pk": "dns-zone"},
    "dns:record_add": {"pk": "dns-zone"},
    "dns:record_edit": {"pk": "dns-zone", "record_pk": "dns-record"},
    "dns:record_delete": {"pk": "dns-zone", "record_pk": "dns-record"},
    "dns:zone_apply": {"pk": "dns-zone"},
    "dns:zone_discard": {"pk": "dns-zone"},
    "dns:revision_revert": {"pk": "dns-zone", "number": "dns-revision"},
    "dns:zone_dnssec": {"pk": "dns-zone"},
    "dns:zone_import": {"pk": "dns-zone"},
    "dns:zone_export": {"pk": "dns-zone"},
    "mail:domain_detail": {"pk": "mail-domain"},
    "mail:domain_check": {"pk": "mail-domain"},
    "mail:domain_delete": {"pk": "mail-domain"},
    "mail:domain_rotate_dkim": {"pk": "mail-domain"},
    "mail:mailbox_create": {"pk": "mail-domain"},
    "mail:alias_create": {"pk": "mail-domain"},
    "mail:mailbox_detail": {"pk": "mailbox"},
    "mail:mailbox_password": {"pk": "mailbox"},
    "mail:mailbox_quota": {"pk": "mailbox"},
    "mail:mailbox_vacation": {"pk": "mailbox"},
    "mail:mailbox_delete": {"pk": "mailbox"},
    "mail:alias_delete": {"pk": "mail-alias"},
}
# Admin pages' parameters (a missing object is a 404 for the admin, a refusal for the others).
ADMIN_OBJECTS = {
    "customer": "admin-account",
    "plan": "admin-plan",
    "server": "admin-server",
    "job": "admin-job",
    "rule": "admin-alert-rule",
    "users": "owner",
    "sessions": "session",
}
DENIED_TO_CUSTOMERS = {403, 404}


def _is_admin_page(route) -> bool:
    return "admin/" in route.path or route.name in ADMIN_NAMES


def _kwargs(route, objects) -> dict:
    if route.name in OWNED:
        missing = set(route.converters) - set(OWNED[route.name])
        assert not missing, f"{route.name}: no object for {missing} in OWNED"
        return {key: objects[OWNED[route.name][key]] for key in route.converters}
    kwargs = {}
    for key in route.converters:
        if key == "key_pk":
            kwargs[key] = objects["agent-key"]
        elif key != "pk":
            kwargs[key] = "x"
        else:
            segment = next((s for s in ADMIN_OBJECTS if f"/{s}" in route.path), None)
            kwargs[key] = objects[ADMIN_OBJECTS[segment]] if segment else objects["admin-account"]
    return kwargs


def _panel_routes(objects):
    for route in walk():
        if route.path.startswith("api/"):
            continue
        yield route, reverse(route.name, kwargs=_kwargs(route, objects)), methods(route.callback)


def _send(client, method, url):
    return client.generic(method, url, "", content_type="application/x-www-form-urlencoded")


def _anonymous_ok(response) -> bool:
    if response.status_code == 302:
        return response["Location"].startswith(reverse("accounts:login"))
    return response.status_code in (401, 403, 404)


def test_every_panel_url_method_and_role_is_authorised_as_its_rule_says(
    world,  # noqa: F811
    alice_account,
    bob_account,
    admin_user,
    admin_device,
    db_server,  # noqa: F811
):
    world = world | {
        "owner": alice_account.owner.pk,
        "agent-key": AgentKey.objects.create(
            server=db_server, key_hash="0" * 64, prefix="probe"
        ).pk,
    }
    alice = in_sudo_mode(_logged_in(alice_account.owner))
    bob = in_sudo_mode(_logged_in(bob_account.owner))
    admin = in_sudo_mode(login_with_second_factor(Client(), admin_user, admin_device))
    anonymous = Client()

    routes = list(_panel_routes(world))
    assert len(routes) > 80  # the walk found the panel's URL conf
    assert {name for name in OWNED} <= {route.name for route, _, _ in routes}
    unowned = [
        route.name
        for route, _, _ in routes
        if route.converters and not _is_admin_page(route) and route.name not in PUBLIC | set(OWNED)
    ]
    assert not unowned, f"customer pages with a parameter missing from OWNED: {unowned}"
    cells: Counter = Counter()
    failures = []

    def cell(role, route, method, url, client, ok):
        response = _send(client, method, url)
        status = response.status_code
        cells["cells"] += 1
        cells["5xx"] += status >= 500
        good = status < 500 and ok(response)
        cells["denied"] += good and role in ("anonymous", "bob", "customer")
        if not good:
            failures.append(f"{role} {method} {url} ({route.name}) → {status}")

    # The refusals first, while every object of the probe still exists.
    for route, url, accepted in routes:
        admin_page = _is_admin_page(route)
        for method in accepted:
            if route.name not in PUBLIC:
                cell("anonymous", route, method, url, anonymous, _anonymous_ok)
            if admin_page:
                for client in (alice, bob):
                    cell(
                        "customer",
                        route,
                        method,
                        url,
                        client,
                        lambda r: r.status_code in DENIED_TO_CUSTOMERS,
                    )
            elif route.name in OWNED:
                cell("bob", route, method, url, bob, lambda r: r.status_code == 404)
    # Then the roles that are let in, reading only (a POST would change or delete the objects).
    for route, url, accepted in routes:
        if "GET" not in accepted or route.name in PUBLIC:
            continue
        if _is_admin_page(route):
            cell("admin", route, "GET", url, admin, lambda r: r.status_code not in (401, 403))
        elif route.name in OWNED:
            cell("alice", route, "GET", url, alice, lambda r: r.status_code == 200)

    print(  # noqa: T201  (`make probes` shows these counts)
        f"\nprobes: authorisation: {len(routes)} panel URLs, {cells['cells']} URL × method × role "
        f"cells, {cells['denied']} refused as their rule says, {cells['5xx']} answered 5xx, "
        f"{len(failures)} wrong"
    )
    assert not failures, "\n".join(failures)


def _logged_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client
