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
from provisioning.databases.models import DatabaseRole
from provisioning.engine.models import ProvisioningJob
from security.models import AuditEvent, UserSession
from tests.api.conftest import expire, make_token, token_client
from tests.mailhosting.conftest import mail_world
from tests.provisioning.conftest import bulk_databases

PUBLIC = {"api:schema"}
ACCOUNT_KIND = {"account", "audit", "session", "token"}
MAIL_KIND = {"mail", "mailbox"}
SAFE = {"get", "head", "options"}


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
            yield pattern.name, basename, prefix + _plain(pattern.pattern), methods


def _plain(pattern) -> str:
    return str(pattern).lstrip("^").rstrip("$")


def _methods_of(view) -> list[str]:
    cls = view.view_class
    return [m for m in ("get", "post", "put", "patch", "delete") if hasattr(cls, m)]


def _path(regex: str, basename: str, objects: dict) -> str:
    path = regex.replace("\\.", ".")

    def fill(match):
        name = match.group(1)
        key = "database" if name == "database_pk" else basename
        return str(objects[key])

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", fill, path)
    return re.sub(r"<(?:\w+:)?(\w+)>", fill, path)


@pytest.fixture
def world(alice_account, bob_account, admin_user, db_server):
    owner = alice_account.owner
    db = bulk_databases(alice_account, db_server, 1)[0]
    role = DatabaseRole.objects.create(database=db, name=db.name, is_owner=True, state="active")
    token_raw = make_token(owner, name="mine")
    session = UserSession.objects.create(user=owner, session_key="k" * 40)
    event = AuditEvent.objects.create(action="database.created", account_id=alice_account.pk)
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
        "owner_token": token_raw,
    }


def _cases(world):
    for name, basename, regex, methods in _routes():
        for method in methods:
            yield name, method, _path(regex, basename, world)


def _call(client: Client, method: str, path: str):
    return getattr(client, method)(path, {}, content_type="application/json")


def _clients(world, alice_account, bob_account, admin_user):
    owner = alice_account.owner
    expired = make_token(owner)
    expire(expired)
    revoked = make_token(owner)
    ApiToken.objects.filter(pk=int(revoked.split("_")[1])).update(revoked_at=timezone.now())
    return {
        "anonymous": (Client(), 401),
        "expired": (token_client(expired), 401),
        "revoked": (token_client(revoked), 401),
        "wrong_cidr": (token_client(make_token(owner, cidrs=["10.9.0.0/16"]), "192.0.2.1"), 401),
        "no_scope": (token_client(make_token(owner, {"dns": "write"})), 403),
        "bob": (token_client(make_token(bob_account.owner)), None),
        "other_object": (
            token_client(
                make_token(
                    owner, {"databases": "write"}, objects=[f"databases:{world['database'] + 9}"]
                )
            ),
            None,
        ),
    }


def _expected_for_outsider(name: str, method: str, path: str, persona: str) -> set[int]:
    """Bob and a token restricted to another object: others' objects are 404, lists 200."""
    if name.startswith("admin-"):
        return {403}
    if persona == "other_object" and name.split("-")[0] in ACCOUNT_KIND | MAIL_KIND:
        return {403}  # its only scope is databases
    if name == "account":
        return {200}
    if name.endswith("-list") and method in ("get", "head"):
        return {200} if "/roles/" not in path else {404}
    if name.endswith("-list") and method == "post":
        if "/roles/" in path:
            return {404}
        return {400, 403}  # empty body (Bob) or restricted token (cannot create)
    return {404}


def test_every_route_answers_each_persona_as_expected(
    world, alice_account, bob_account, admin_user
):
    failures = []
    cases = list(_cases(world))
    assert len(cases) >= 15
    for persona, (client, expected) in _clients(
        world, alice_account, bob_account, admin_user
    ).items():
        for name, method, path in cases:
            status = _call(client, method, path).status_code
            want = {expected} if expected else _expected_for_outsider(name, method, path, persona)
            if persona == "no_scope" and name == "account":
                want = {403}
            if status >= 500 or status not in want:
                failures.append(f"{persona} {method.upper()} {path} → {status}, wanted {want}")
    assert not failures, "\n".join(failures)


def test_the_owner_and_an_admin_read_every_route(world, alice_account, admin_user, admin_api):
    owner = token_client(world["owner_token"])
    failures = []
    for name, method, path in _cases(world):
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
