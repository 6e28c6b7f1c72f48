"""Passwords, submission with SASL, quotas, the sending limit, usage, auto-replies."""

from __future__ import annotations

import imaplib
import smtplib
from datetime import date, timedelta

import pytest

from provisioning.mail.passwords import hash_password
from tests.mailstack import (
    SUBMISSION,
    fetch_messages,
    imap_login,
    make_mailbox,
    message,
    send,
    wait_for_message,
)


def test_changed_password_old_refused_new_works(mail_backend, mail_domain):
    alice, old = make_mailbox(mail_backend, mail_domain)
    imap_login(alice, old).logout()

    mail_backend.set_password(alice, hash_password("a-brand-new-secret"))

    with pytest.raises(imaplib.IMAP4.error):
        imap_login(alice, old)
    imap_login(alice, "a-brand-new-secret").logout()


def test_submission_with_sasl_delivers(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")

    send(alice, bob, message(alice, bob, "submitted"), port=SUBMISSION, login=(alice, alice_pw))

    wait_for_message(bob, bob_pw, "submitted")


def test_submission_needs_a_login_and_the_right_password(mail_backend, mail_domain):
    alice, _ = make_mailbox(mail_backend, mail_domain, "alice")
    with pytest.raises(smtplib.SMTPAuthenticationError):
        send(alice, "x@example.org", message(alice, "x", "s"), port=SUBMISSION, login=(alice, "no"))
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send(alice, "x@example.org", message(alice, "x", "s"), port=SUBMISSION)


def test_submission_refuses_someone_elses_sender_address(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, _ = make_mailbox(mail_backend, mail_domain, "bob")
    with pytest.raises((smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused)):
        send(bob, alice, message(bob, alice, "forged"), port=SUBMISSION, login=(alice, alice_pw))


def test_over_quota_mail_is_refused_at_smtp_time(mail_backend, mail_domain):
    alice, password = make_mailbox(mail_backend, mail_domain, "alice", quota_mb=1)
    big = message("x@example.org", alice, "too big", body="x" * 76 + "\n")
    big.set_content(("x" * 76 + "\n") * 20_000)  # ~1.5 MB

    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send("x@example.org", alice, big)
    code, reply = refused.value.recipients[alice]
    assert code == 552 and b"over quota" in reply

    mail_backend.set_quota(alice, 5)
    send("x@example.org", alice, big)
    wait_for_message(alice, password, "too big")


def test_sending_limit_refuses_the_message_over_it(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, _ = make_mailbox(mail_backend, mail_domain, "bob")
    mail_backend.set_send_limit(alice, 2)
    login = (alice, alice_pw)

    send(alice, bob, message(alice, bob, "one"), port=SUBMISSION, login=login)
    send(alice, bob, message(alice, bob, "two"), port=SUBMISSION, login=login)
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send(alice, bob, message(alice, bob, "three"), port=SUBMISSION, login=login)
    assert refused.value.smtp_code == 554
    assert b"Sending limit reached: 2 messages per hour" in refused.value.smtp_error

    mail_backend.set_send_limit(alice, 0)  # no limit
    send(alice, bob, message(alice, bob, "four"), port=SUBMISSION, login=login)
    assert mail_backend.inspect_mailbox(alice)["send_limit_per_hour"] == 0


def test_usage_counts_what_dovecot_stores(mail_backend, mail_domain):
    alice, password = make_mailbox(mail_backend, mail_domain, "alice")
    assert mail_backend.usage(alice) == (0, 0)
    for subject in ("u1", "u2"):
        send("x@example.org", alice, message("x@example.org", alice, subject, body="y" * 5000))
    wait_for_message(alice, password, "u1")
    wait_for_message(alice, password, "u2")

    stored = fetch_messages(alice, password)
    assert mail_backend.usage(alice) == (sum(len(raw) for raw in stored), 2)


def test_vacation_answers_the_sender(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")
    today = date.today()
    mail_backend.ensure_vacation(
        bob, "Bob is away", "Back on Monday.", today - timedelta(days=1), today + timedelta(days=1)
    )

    send(alice, bob, message(alice, bob, "are you there?"))

    wait_for_message(bob, bob_pw, "are you there?")
    reply = wait_for_message(alice, alice_pw, "Bob is away")
    assert b"Back on Monday." in reply
    assert mail_backend.inspect_mailbox(bob)["vacation"] is True

    assert mail_backend.remove_vacation(bob) == "removed"
    assert mail_backend.inspect_mailbox(bob)["vacation"] is False


def test_vacation_outside_its_dates_stays_quiet(mail_backend, mail_domain):
    alice, alice_pw = make_mailbox(mail_backend, mail_domain, "alice")
    bob, bob_pw = make_mailbox(mail_backend, mail_domain, "bob")
    past = date.today() - timedelta(days=10)
    mail_backend.ensure_vacation(bob, "Was away", "Old news.", past, past + timedelta(days=2))

    send(alice, bob, message(alice, bob, "hello bob"))
    wait_for_message(bob, bob_pw, "hello bob")
    send(bob, alice, message(bob, alice, "marker"))  # queued after any auto-reply would be
    wait_for_message(alice, alice_pw, "marker")
    assert not any(b"Was away" in raw for raw in fetch_messages(alice, alice_pw))


def test_inventory_lists_domains_mailboxes_aliases(mail_backend, mail_domain):
    alice, _ = make_mailbox(mail_backend, mail_domain, "alice")
    mail_backend.ensure_alias(f"info@{mail_domain}", [alice])

    inventory = mail_backend.inventory()

    assert mail_domain in inventory["domains"]
    assert {"address": alice, "quota_mb": 100, "active": True} in inventory["mailboxes"]
    assert {"source": f"info@{mail_domain}", "destinations": [alice]} in inventory["aliases"]
