"""Aliases, the catch-all, forwarding to another host; suspended and removed mailboxes."""

from __future__ import annotations

import imaplib
import smtplib
from pathlib import Path

import pytest
from django.conf import settings

from tests.mailstack import (
    drop_from_queue,
    fetch_messages,
    imap_login,
    make_mailbox,
    message,
    queued_for,
    send,
    wait_for_message,
)


def refused_code(address: str, sender: str = "x@example.org") -> int:
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send(sender, address, message(sender, address, "refused?"))
    return refused.value.recipients[address][0]


def test_alias_delivers_to_each_destination(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")
    mail_backend.ensure_alias(f"team@{mail_domain}", [alice, bob])

    send("x@example.org", f"team@{mail_domain}", message("x@example.org", "team", "to the team"))

    wait_for_message(alice, alice_pw, "to the team")
    wait_for_message(bob, bob_pw, "to the team")
    assert mail_backend.inspect_alias(f"team@{mail_domain}")["destinations"] == [alice, bob]


def test_catch_all_takes_unknown_addresses_but_not_existing_mailboxes(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")
    mail_backend.ensure_alias(f"@{mail_domain}", [alice])

    send("x@example.org", f"whoever@{mail_domain}", message("x@example.org", "w", "for anyone"))
    send("x@example.org", bob, message("x@example.org", bob, "for bob only"))

    wait_for_message(alice, alice_pw, "for anyone")
    wait_for_message(bob, bob_pw, "for bob only")
    assert not any(b"for bob only" in raw for raw in fetch_messages(alice, alice_pw))

    mail_backend.remove_alias(f"@{mail_domain}")
    assert refused_code(f"whoever@{mail_domain}") == 550


def test_forward_to_another_host_is_queued_for_that_recipient(mail_backend, mail_domain):
    outside = "friend@elsewhere.example"
    mail_backend.ensure_alias(f"fwd@{mail_domain}", [outside])

    send("x@example.org", f"fwd@{mail_domain}", message("x@example.org", "fwd", "passed on"))

    entries = queued_for(outside)
    try:
        assert len(entries) == 1
        assert [r["address"] for r in entries[0]["recipients"]] == [outside]
    finally:
        drop_from_queue(entries)


def test_suspended_mailbox_refuses_delivery_and_login_and_keeps_mail(mail_backend, mail_domain):
    alice, password = make_mailbox(mail_backend, mail_domain, "alice")
    send("x@example.org", alice, message("x@example.org", alice, "before"))
    wait_for_message(alice, password, "before")

    mail_backend.set_active(alice, False)

    assert refused_code(alice) == 550
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(alice, password)
    assert mail_backend.inspect_mailbox(alice)["active"] is False

    mail_backend.set_active(alice, True)
    wait_for_message(alice, password, "before")  # kept while suspended


def test_suspended_mailbox_is_not_swallowed_by_the_catch_all(mail_backend, mail_domain):
    alice, _ = make_mailbox(mail_backend, mail_domain, "alice")
    bob, _ = make_mailbox(mail_backend, mail_domain, "bob")
    mail_backend.ensure_alias(f"@{mail_domain}", [bob])
    mail_backend.set_active(alice, False)
    assert refused_code(alice) == 550


def test_removed_mailbox_refuses_delivery_and_login_and_its_maildir_is_gone(
    mail_backend, mail_domain
):
    alice, password = make_mailbox(mail_backend, mail_domain, "alice")
    send("x@example.org", alice, message("x@example.org", alice, "soon gone"))
    wait_for_message(alice, password, "soon gone")
    home = Path(settings.MAIL_ROOT) / mail_domain / "alice"
    assert (home / "Maildir").is_dir()

    assert mail_backend.remove_mailbox(alice) == "removed"

    assert refused_code(alice) == 550
    with pytest.raises(imaplib.IMAP4.error):
        imap_login(alice, password)
    assert not home.exists()
    assert mail_backend.inspect_mailbox(alice) is None
    assert mail_backend.remove_mailbox(alice) == "already gone"


def test_removed_domain_refuses_delivery(mail_backend):
    from tests.mailstack import unique_domain

    domain = unique_domain()
    mail_backend.ensure_domain(domain)
    alice, _ = make_mailbox(mail_backend, domain, "alice")
    assert mail_backend.remove_domain(domain) == "removed"
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send("x@example.org", alice, message("x@example.org", alice, "no domain"))
    assert refused.value.recipients[alice][0] == 554  # relay access denied: not ours now
    assert mail_backend.inspect_domain(domain) is None
