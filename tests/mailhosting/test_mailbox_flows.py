"""Mailboxes, aliases, catch-all, password, suspension, quota, auto-reply and deletion, each
through the services and their jobs, checked on the real Postfix and Dovecot."""

from __future__ import annotations

import imaplib
import secrets
import smtplib

import pytest

from provisioning.mail import aliases, domains, drift, mailboxes
from provisioning.mail.models import Mailbox, MailDomain
from provisioning.mail.usage import refresh
from tests.dns.conftest import run_jobs
from tests.mailstack import (
    SUBMISSION,
    fetch_messages,
    imap_login,
    message,
    send,
    wait_for_message,
)

pytestmark = pytest.mark.django_db(transaction=True)
PASSWORD = "Zx9!kq2#Lmwe"  # noqa: S105


@pytest.fixture
def domain(alice_account, mail_server, backend):
    name = f"f{secrets.token_hex(4)}.hearth-mail.test"  # no zone here: records published elsewhere
    made = domains.create_domain(alice_account, name, actor=alice_account.owner)
    run_jobs()
    made.refresh_from_db()
    assert made.state == "active" and made.dns_mode == "external"
    yield made
    backend.remove_domain(name)


def _box(domain, local, owner, password=PASSWORD, quota_mb=20) -> Mailbox:
    box, shown = mailboxes.create_mailbox(
        domain, local, quota_mb=quota_mb, password=password, actor=owner
    )
    assert shown == password
    run_jobs()
    box.refresh_from_db()
    assert box.state == "active", box.error_message
    return box


def _refused_login(address: str, password: str) -> None:
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(address, password).logout()


def test_aliases_catch_all_password_suspension_and_deletion(domain, alice_account, backend):
    owner = alice_account.owner
    joe, ann = _box(domain, "joe", owner), _box(domain, "ann", owner)
    aliases.create_alias(domain, "sales", [joe.address, "boss@elsewhere.test"], actor=owner)
    aliases.create_alias(domain, "*", [ann.address], actor=owner)
    run_jobs()
    assert backend.inspect_alias(f"sales@{domain.name}") is not None

    send("x@example.org", f"sales@{domain.name}", message("x@example.org", "s", "via alias"))
    wait_for_message(joe.address, PASSWORD, "via alias")
    send("x@example.org", f"who@{domain.name}", message("x@example.org", "w", "via catch-all"))
    wait_for_message(ann.address, PASSWORD, "via catch-all")
    send("x@example.org", joe.address, message("x@example.org", "j", "exact wins"))
    wait_for_message(joe.address, PASSWORD, "exact wins")
    assert not [m for m in _inbox(ann.address) if b"Subject: exact wins" in m]

    new = mailboxes.change_password(joe, None, actor=owner)  # generated, shown once
    run_jobs()
    _refused_login(joe.address, PASSWORD)
    imap_login(joe.address, new).logout()

    refresh([joe])
    joe.refresh_from_db()
    assert joe.message_count == 2 and joe.used_bytes > 0

    mailboxes.set_suspended(ann, True, actor=None)
    run_jobs()
    ann.refresh_from_db()
    assert ann.suspended and ann.state == "active"
    _refused_login(ann.address, PASSWORD)
    mailboxes.set_suspended(ann, False, actor=None)
    run_jobs()
    imap_login(ann.address, PASSWORD).logout()

    mailboxes.change_quota(ann, 30, actor=owner)
    run_jobs()
    assert backend.inspect_mailbox(ann.address)["quota_mb"] == 30

    mailboxes.set_vacation(
        ann, subject="Away", body="Back soon.", start=None, end=None, actor=owner
    )
    run_jobs()
    assert backend.inspect_mailbox(ann.address)["vacation"] is True
    mailboxes.clear_vacation(ann, actor=owner)
    run_jobs()
    assert backend.inspect_mailbox(ann.address)["vacation"] is False

    mailboxes.delete_mailbox(joe, actor=owner)
    run_jobs()
    assert not Mailbox.objects.filter(pk=joe.pk).exists()
    assert backend.inspect_mailbox(joe.address) is None
    _refused_login(joe.address, new)
    send("x@example.org", joe.address, message("x@example.org", "j", "to the catch-all now"))
    wait_for_message(ann.address, PASSWORD, "to the catch-all now")
    aliases.delete_alias(domain.aliases.get(local_part=""), actor=owner)
    run_jobs()
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send("x@example.org", joe.address, message("x@example.org", "j", "gone"))
    assert refused.value.recipients[joe.address][0] == 550


def _inbox(address: str) -> list[bytes]:
    from tests.mailstack import fetch_messages

    return fetch_messages(address, PASSWORD)


def test_drift_lists_missing_rows_and_strays(domain, alice_account, backend, mail_server):
    box = _box(domain, "kim", alice_account.owner)
    backend.remove_mailbox(box.address)  # lost on the server
    stray = f"stray@{domain.name}"
    backend.ensure_mailbox(stray, "{ARGON2ID}" + "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA", 5)
    found = {(d.kind, d.label): d for d in drift.check_server(mail_server)}
    assert found[("mailbox", box.address)].problem == "Missing on the mail server."
    assert found[("mailbox", box.address)].resource_id == box.pk
    assert "stray" in found[("mailbox", stray)].problem
    assert found[("mailbox", stray)].account == alice_account
    assert ("mail_domain", domain.name) not in found
    assert MailDomain.objects.get(pk=domain.pk).state == "active"  # nothing changed


def test_the_plans_sending_limit_is_enforced_over_submission(domain, alice_account, backend):
    """End to end: the plan's limit, given to a new mailbox by its job, is what Postfix
    applies when the mailbox sends with SASL on the submission port."""
    alice_account.plan.mail_send_limit_per_hour = 2
    alice_account.plan.save()
    owner = alice_account.owner
    sender, reader = _box(domain, "sender", owner), _box(domain, "reader", owner)
    assert backend.inspect_mailbox(sender.address)["send_limit_per_hour"] == 2
    login = (sender.address, PASSWORD)

    def submit(subject: str) -> dict:
        msg = message(sender.address, reader.address, subject)
        return send(sender.address, reader.address, msg, port=SUBMISSION, login=login)

    assert submit("first") == {} and submit("second") == {}  # accepted for every recipient
    with pytest.raises(smtplib.SMTPDataError) as refused:
        submit("third")
    assert refused.value.smtp_code == 554
    # Postfix starts every access-map refusal with the name it looked up and the map's kind.
    assert refused.value.smtp_error.decode() == (
        f"5.7.1 <{sender.address}>: SASL login name rejected: Sending limit reached: "
        f"2 messages per hour for {sender.address}; try again later"
    )
    wait_for_message(reader.address, PASSWORD, "first")
    wait_for_message(reader.address, PASSWORD, "second")
    subjects = [raw for raw in fetch_messages(reader.address, PASSWORD) if b"Subject: third" in raw]
    assert subjects == []  # the refused message went nowhere
