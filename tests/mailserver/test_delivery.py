"""Domain + mailbox made through the backend, mail in over SMTP, out over IMAP."""

from __future__ import annotations

import imaplib
import smtplib

import pytest

from tests.mailstack import make_mailbox, message, send, wait_for_message


def test_mailbox_receives_over_smtp_and_reads_over_imap(mail_backend, mail_domain):
    address, password = make_mailbox(mail_backend, mail_domain)

    send("someone@example.org", address, message("someone@example.org", address, "first one"))

    raw = wait_for_message(address, password, "first one")
    assert b"hello" in raw
    assert mail_backend.inspect_mailbox(address)["active"] is True


def test_unknown_mailbox_is_refused_at_rcpt(mail_backend, mail_domain):
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send("a@example.org", f"nobody@{mail_domain}", message("a@example.org", "x", "s"))
    code, _ = refused.value.recipients[f"nobody@{mail_domain}"]
    assert code == 550


def test_wrong_password_is_refused_over_imap(mail_backend, mail_domain):
    address, _ = make_mailbox(mail_backend, mail_domain)
    with pytest.raises(imaplib.IMAP4.error):
        from tests.mailstack import imap_login

        imap_login(address, "not-the-password")
