"""Issue 10 item 17: pages show audit actions, job kinds and model labels in words, never as
codes ("database.created", "provisioning.database")."""

from __future__ import annotations

import re
from pathlib import Path

from django.apps import apps
from django.urls import reverse

from provisioning.databases.models import Database
from provisioning.servers.models import Server
from security import audit
from security.audit_words import action_words, humanize_code, target_words

ROOT = Path(__file__).resolve().parents[2]
# audit.record(who, "subject.verb", ...) and audit.build(...) calls anywhere in the panel.
RECORDED = re.compile(r"audit\.(?:record|build)\(\s*[^,()]+(?:\([^()]*\))?,\s*\"([a-z0-9_.]+)\"")


def recorded_actions() -> set[str]:
    found = set()
    for path in ROOT.glob("**/*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {"tests", ".venv", "node_modules", "var", "bench"}:
            continue
        found |= set(RECORDED.findall(path.read_text()))
    return found


def test_every_recorded_action_reads_as_words():
    actions = recorded_actions()
    assert {"auth.login_succeeded", "database.created", "auth.2fa_enabled"} <= actions
    for code in actions:
        words = action_words(code)
        assert words and "." not in words and "_" not in words, (code, words)
        assert words[0].isupper(), (code, words)


def test_codes_without_an_entry_still_read_as_words():
    assert humanize_code("dns.zone_created") == "DNS zone created"
    assert humanize_code("database.role_add") == "Database role add"
    assert action_words("mail.mailbox_created") == "Mail mailbox created"


def test_every_model_label_reads_as_its_name():
    for model in apps.get_models():
        words = target_words(model._meta.label_lower)
        assert "." not in words and words == str(model._meta.verbose_name)
    assert target_words("provisioning.database") == "database"
    assert target_words("gone.thing_removed") == "thing removed"


def test_the_audit_pages_and_the_overview_show_words(admin_client, admin_user, alice_account):
    server = Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])
    db = Database.objects.create(
        account=alice_account, server=server, name="alice_shop", owner_role="alice_shop"
    )
    audit.record(admin_user, "database.created", target=db)
    event = audit.record(admin_user, "auth.2fa_enabled", target=admin_user)
    pages = [
        reverse("security:audit"),
        reverse("accounts:admin_overview"),
        reverse("security:audit_detail", args=[event.pk]),
    ]
    for url in pages:
        page = admin_client.get(url).content.decode()
        visible = re.sub(r'(title|datetime)="[^"]*"', "", page)
        assert "Two-factor authentication turned on" in visible, url
        assert "provisioning.database" not in visible, url
    listed = re.sub(r'(title|datetime)="[^"]*"', "", admin_client.get(pages[0]).content.decode())
    assert "Database created" in listed and "(database)" in listed
    assert "auth.2fa_enabled" not in listed and "database.created" not in listed
