"""Every API route × method × persona → the expected status, never a 500.

Routes come from the URL conf (api.urls), so a new endpoint is covered by default: its
path parameters are filled from `OBJECTS` (a new parameter name fails loudly here).
"""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver
from django.utils import timezone

from api import urls as api_urls
from api.models import ApiToken
from monitoring.alerts import ensure_default_rules
from monitoring.models import AlertEvent, AlertRule
from provisioning.databases.models import DatabaseRole
from provisioning.dns import services as dns_services
from provisioning.dns.models import ZoneTemplate
from provisioning.engine.drift import run_drift_check
from provisioning.engine.models import DriftFinding, ProvisioningJob
from security.models import AuditEvent, UserSession
from tests.api.conftest import expire, make_token, token_client
from tests.mailhosting.conftest import mail_world
from tests.provisioning.conftest import bulk_databases

PUBLIC = {"api:schema", "api:docs"}
SAFE = {"get", "head", "options"}
# Path parameters naming a parent object → the key of that object in `world`.
PARENTS = {"database_pk": "database", "zone_pk": "dns-zone", "report_pk": "admin-drift-report"}
NESTED = ("/roles/", "/records/", "/revisions/")
EVERYTHING = {"databases": "write", "dns": "write", "account": "write", "mail": "write"}


def _routes(patterns=None, prefix="/api/v1/"):
    for pattern in patterns if patterns is not None else api_urls.urlpatterns:
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + _plain(pattern.pattern))
        elif isinstance(pattern, URLPattern) and f"api:{pattern.name}" not in PUBLIC:
            actions = getattr(pattern.callback, "actions", None)
            methods = list(actions) if actions else _methods_of(pattern.callback)
            basename = (
                pattern.callback.initkwargs.get("basename", pattern.name)
                if actions
                else (pattern.name)
            )
            yield pattern.name, basename, prefix + _plain(pattern.pattern), methods, _kinds(pattern)


def _kinds(pattern) -> tuple[str, ...]:
    """The scope kinds a route is reached with (any one of them will do)."""
    view = getattr(pattern.callback, "cls", None) or pattern.callback.view_class
    return getattr(view, "scope_kinds", None) or (view.scope_kind,)


def _plain(pattern) -> str:
    return str(pattern).lstrip("^").rstrip("$")


def _methods_of(view) -> list[str]:
    cls = view.view_class
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]


def _path(regex: str, basename: str, objects: dict) -> str:
    path = regex.replace("\\.", ".")

    def fill(match):
        name = match.group(1)
        return str(objects[PARENTS.get(name, basename)])

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", fill, path)
    return re.sub(r"<(?:\w+:)?(\w+)>", fill, path)


@pytest.fixture
def world(alice_account, bob_account, admin_user, db_server, dns_server):
    owner = alice_account.owner
    db = bulk_databases(alice_account, db_server, 1)[0]
    role = DatabaseRole.objects.create(database=db, name=db.name, is_owner=True, state="active")
    zone = dns_services.create_zone(alice_account, "matrix.example.test", actor=owner)
    ensure_default_rules()
    token_raw = make_token(owner, EVERYTHING, name="mine")
    session = UserSession.objects.create(user=owner, session_key_hash="k" * 64)
    event = AuditEvent.objects.create(action="database.created", account_id=alice_account.pk)
    # The drift check before the mail objects: their server is a row with no mail host behind it.
    drift_report = run_drift_check(actor=admin_user)
    stray = {"kind": "role_stray", "resource_label": "matrix_stray", "problem": "stray"}
    finding = DriftFinding.objects.create(report=drift_report, server=db_server, **stray)
    template = ZoneTemplate.objects.create(slug="matrix", label="Matrix", records=[])
    mail = mail_world(alice_account)
    return {
        **mail,
        "database": db.pk,
        "database-role": role.pk,
        "job": ProvisioningJob.objects.filter(account=alice_account).first().pk,
        "audit-event": event.pk,
        "session": session.pk,
        "token": ApiToken.objects.get(name="mine").pk,
        "admin-account": alice_account.pk,
        "admin-job": ProvisioningJob.objects.filter(account=alice_account).first().pk,
        "admin-plan": alice_account.plan.pk,
        "admin-server": db_server.pk,
        "admin-drift-report": drift_report.pk,
        "admin-drift-finding": finding.pk,
        "admin-dns-template": template.pk,
        "admin-alert-rule": AlertRule.objects.first().pk,
        "admin-alert-event": AlertEvent.objects.create(
            rule=AlertRule.objects.first(), server=db_server, opened_at=timezone.now(), message="x"
        ).pk,
        "admin-audit-event": event.pk,
        "dns-zone": zone.pk,
        "dns-record": zone.records.first().pk,
        "dns-revision": zone.revisions.get().number,
        "owner_token": token_raw,
    }


def _cases(world):
    for name, basename, regex, methods, kinds in _routes():
        for method in methods:
            yield name, method, _path(regex, basename, world), kinds


def _call(client: Client, method: str, path: str):
    return getattr(client, method)(path, {}, content_type="application/json")


def _clients(world, alice_account, bob_account, admin_user):
    """Persona → (client, the scope kinds its token has, the status every route answers)."""
    owner = alice_account.owner
    expired = make_token(owner)
    expire(expired)
    revoked = make_token(owner)
    ApiToken.objects.filter(pk=int(revoked.split("_")[1])).update(revoked_at=timezone.now())
    other_database = [f"databases:{world['database'] + 9}"]
    other_zone = [f"dns:{world['dns-zone'] + 9}"]
    return {
        "anonymous": (Client(), (), 401),
        "expired": (token_client(expired), (), 401),
        "revoked": (token_client(revoked), (), 401),
        "wrong_cidr": (
            token_client(make_token(owner, cidrs=["10.9.0.0/16"]), "192.0.2.1"),
            (),
            401,
        ),
        "only_dns": (token_client(make_token(owner, {"dns": "write"})), ("dns",), None),
        "only_account": (token_client(make_token(owner, {"account": "write"})), ("account",), None),
        "bob": (token_client(make_token(bob_account.owner, EVERYTHING)), tuple(EVERYTHING), None),
        "other_database": (
            token_client(make_token(owner, {"databases": "write"}, objects=other_database)),
            ("databases",),
            None,
        ),
        "other_zone": (
            token_client(make_token(owner, {"dns": "write"}, objects=other_zone)),
            ("dns",),
            None,
        ),
    }


def _expected(persona: str, has: tuple, name: str, method: str, path: str, kinds) -> set[int]:
    """A token without the route's scope: 403. Bob, and the owner's tokens restricted to
    another object: others' objects are 404, lists 200, creating 400 (Bob's empty body) or
    403 (a restricted token creates nothing)."""
    if name.startswith("admin-"):
        return {403}
    if not set(kinds) & set(has):
        return {403}
    mine = persona in ("only_dns", "only_account")
    if name == "account":
        return {200}
    nested = any(part in path for part in NESTED)
    if name.endswith("-list") and method in ("get", "head"):
        return {404} if nested and not mine else {200}
    if name.endswith("-list") and method == "post":
        if nested:
            return {404} if not mine else {400, 404, 409}
        return {400} if persona == "bob" or mine else {403}
    if mine:
        return {200, 202, 204, 400, 404, 405, 409}  # the owner's own objects: never 403/5xx
    return {404}


def test_every_route_answers_each_persona_as_expected(
    world, alice_account, bob_account, admin_user
):
    failures = []
    cases = list(_cases(world))
    assert len(cases) >= 30
    clients = _clients(world, alice_account, bob_account, admin_user)
    for persona, (client, has, expected) in clients.items():
        for name, method, path, kinds in cases:
            status = _call(client, method, path).status_code
            want = {expected} if expected else _expected(persona, has, name, method, path, kinds)
            if status >= 500 or status not in want:
                failures.append(f"{persona} {method.upper()} {path} → {status}, wanted {want}")
    assert not failures, "\n".join(failures)


def test_the_owner_and_an_admin_read_every_route(world, alice_account, admin_user, admin_api):
    owner = token_client(world["owner_token"])
    failures = []
    for name, method, path, _kinds in _cases(world):
        if method != "get":
            continue
        status = owner.get(path).status_code
        wanted = 403 if name.startswith("admin-") else 200
        if status != wanted:
            failures.append(f"owner GET {path} → {status}")
        admin_status = admin_api.get(path).status_code
        admin_ok = (
            {200, 404}
            if name in ("account", "session-list", "token-detail", "session-detail")
            else {200}
        )
        if name == "token-detail":
            admin_ok = {404}  # tokens are personal, even for administrators
        if admin_status not in admin_ok:
            failures.append(f"admin GET {path} → {admin_status}")
    assert not failures, "\n".join(failures)
