"""Verification and password reset, delivered over SMTP to a real server on loopback."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from provisioning.models import Database, DatabaseRole, Server
from security.exceptions import EmailNotVerified
from security.models import AuditEvent, EmailToken, UserSession, session_key_digest
from security.tokens import uid_for
from security.verification import ensure_verified, require_verified_email
from tests.conftest import PASSWORD
from tests.security.conftest import link_path, parts, password_login

NEW_PASSWORD = "a-brand-new-passphrase-42"


def _with_uid(path: str, user) -> str:
    """The same token in a link naming another user."""
    *prefix, _, raw = path.strip("/").split("/")
    return "/" + "/".join([*prefix, uid_for(user), raw]) + "/"


@pytest.fixture
def carol(admin_client, plan, mailbox, django_capture_on_commit_callbacks):
    """A customer created by an admin through the panel; her verification email is out."""
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            reverse("accounts:customer_create"),
            {
                "name": "Carol Cafe",
                "email": "carol@example.test",
                "prefix": "carol",
                "plan": plan.pk,
                "password": PASSWORD,
            },
        )
    assert response.status_code == 201
    return User.objects.get(email="carol@example.test")


def test_admin_created_user_gets_a_verification_email_with_text_and_html(carol, mailbox):
    message = mailbox.wait_for("carol@example.test")
    assert message["Subject"] == "Confirm your email address for Hearth"
    text, html = parts(message)
    path = link_path(message)
    assert path in text and path in html and 'href="http' in html
    raw = path.rstrip("/").split("/")[-1]
    assert len(raw) == 43  # 32 bytes, URL-safe base64 without padding
    token = EmailToken.objects.get(user=carol)
    assert token.token_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(EmailToken.objects.filter(user=carol).values())
    assert (
        timedelta(hours=23, minutes=59) < token.expires_at - token.created_at <= timedelta(hours=24)
    )
    assert AuditEvent.objects.filter(action="auth.verification_sent", target_id=carol.pk).exists()


def test_opening_the_link_only_shows_a_button_so_mail_scanners_cannot_use_it(carol, mailbox):
    path = link_path(mailbox.wait_for("carol@example.test"))
    for _ in range(2):  # a scanner's fetch, then the person's
        page = Client().get(path)
        assert page.status_code == 200
        assert (
            'method="post"' in page.content.decode() and "Confirm my email" in page.content.decode()
        )
    carol.refresh_from_db()
    assert not carol.is_verified
    assert not AuditEvent.objects.filter(action="auth.email_verified").exists()


def test_clicking_the_link_verifies_the_address_once(carol, mailbox):
    path = link_path(mailbox.wait_for("carol@example.test"))
    visitor = Client()
    response = visitor.post(path)
    assert response.status_code == 302
    carol.refresh_from_db()
    assert carol.is_verified
    assert AuditEvent.objects.filter(action="auth.email_verified").count() == 1
    reused = visitor.post(path)
    assert reused.status_code == 400 and "already been used" in reused.content.decode()


def test_an_expired_link_is_refused(carol, mailbox):
    path = link_path(mailbox.wait_for("carol@example.test"))
    EmailToken.objects.filter(user=carol).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 400 and "expired" in response.content.decode()
    assert "to ask for a new verification email" in response.content.decode()
    assert "new password link" not in response.content.decode()
    carol.refresh_from_db()
    assert not carol.is_verified


def test_a_tampered_link_is_refused(carol, mailbox):
    path = link_path(mailbox.wait_for("carol@example.test"))
    raw = path.rstrip("/").split("/")[-1]
    tampered = path.replace(raw, raw[:-1] + ("A" if raw[-1] != "A" else "B"))
    response = Client().get(tampered)
    assert response.status_code == 400 and "invalid" in response.content.decode()
    carol.refresh_from_db()
    assert not carol.is_verified


def test_a_token_used_with_another_users_id_is_refused(carol, mailbox, alice_account):
    path = link_path(mailbox.wait_for("carol@example.test"))
    forged = _with_uid(path, alice_account.owner)
    assert Client().get(forged).status_code == 400
    carol.refresh_from_db()
    assert not carol.is_verified


def test_a_logged_in_user_cannot_confirm_someone_elses_address(carol, mailbox, alice_client):
    path = link_path(mailbox.wait_for("carol@example.test"))
    response = alice_client.get(path)
    assert response.status_code == 400 and "another account" in response.content.decode()
    carol.refresh_from_db()
    assert not carol.is_verified
    assert alice_client.post(path).status_code == 400
    carol.refresh_from_db()
    assert not carol.is_verified
    assert Client().post(path).status_code == 302  # still usable by its owner


def test_unverified_users_log_in_but_see_a_banner(carol):
    client = Client()
    password_login(client, carol.email)
    page = client.get(reverse("accounts:dashboard")).content.decode()
    assert "Confirm your email address" in page and "cannot create resources" in page


def test_verified_users_see_no_banner(alice_client):
    page = alice_client.get(reverse("accounts:dashboard")).content.decode()
    assert "Confirm your email address" not in page


def test_unverified_users_cannot_create_databases_or_roles(carol):
    """The provisioning services refuse them (the pages show why)."""
    server = Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])
    db = Database.objects.create(
        account=carol.hosting_account, server=server, name="carol_shop", owner_role="carol_shop"
    )
    client = Client()
    password_login(client, carol.email)
    create_pages = [
        (reverse("provisioning:database_create"), {"name": "shop"}),
        (
            reverse("provisioning:role_create", args=[db.pk]),
            {"name": "ro", "privilege": "readonly"},
        ),
    ]
    for url, data in create_pages:
        response = client.post(url, data)
        assert response.status_code == 403
        assert "Confirm your email address before creating resources." in response.content.decode()
    assert list(Database.objects.values_list("name", flat=True)) == ["carol_shop"]
    assert not DatabaseRole.objects.exists()


def test_unverified_users_cannot_create_resources(carol, alice_account):
    @require_verified_email
    def create_something(request):
        return HttpResponse("created", status=201)

    def build_request(user):
        request = RequestFactory().post("/create")
        SessionMiddleware(lambda r: None).process_request(request)
        MessageMiddleware(lambda r: None).process_request(request)
        request.user = user
        return request

    request = build_request(carol)
    response = create_something(request)
    assert response.status_code == 403
    page = response.content.decode()
    assert "Confirm your email address before creating resources." in page
    assert reverse("security:resend_verification") in page
    assert create_something(build_request(alice_account.owner)).status_code == 201
    with pytest.raises(EmailNotVerified):
        ensure_verified(carol)
    ensure_verified(alice_account.owner)


def test_resend_sends_a_new_link_and_is_rate_limited(
    carol, mailbox, settings, django_capture_on_commit_callbacks
):
    first_path = link_path(mailbox.wait_for("carol@example.test"))
    client = Client()
    password_login(client, carol.email)
    url = reverse("security:resend_verification")
    for _ in range(settings.SECURITY_EMAIL_LIMIT):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, follow=True)
        assert "A new link is on its way" in response.content.decode()
    assert (
        len([m for m in mailbox.messages if "carol@" in m["To"]])
        == 1 + settings.SECURITY_EMAIL_LIMIT
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, follow=True)
    assert "sent recently" in response.content.decode()
    assert (
        len([m for m in mailbox.messages if "carol@" in m["To"]])
        == 1 + settings.SECURITY_EMAIL_LIMIT
    )
    # Only the newest link works.
    assert Client().get(first_path).status_code == 400
    assert client.post(link_path(mailbox.wait_for("carol@example.test"))).status_code == 302


def _request_reset(client, email, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(reverse("security:password_reset"), {"email": email}, follow=True)


def test_password_reset_end_to_end_ends_every_session(
    alice_client, alice_account, mailbox, django_capture_on_commit_callbacks
):
    user = alice_account.owner
    assert UserSession.objects.active().filter(user=user).count() == 1
    response = _request_reset(Client(), user.email, django_capture_on_commit_callbacks)
    assert "If an account uses that address" in response.content.decode()
    message = mailbox.wait_for(user.email)
    assert message["Subject"] == "Reset your Hearth password"
    text, html = parts(message)
    path = link_path(message)
    assert path in html
    visitor = Client()
    assert visitor.get(path).status_code == 200
    response = visitor.post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD) and user.password.startswith("argon2")
    # The session that was open elsewhere is dead.
    assert alice_client.get(reverse("accounts:dashboard")).status_code == 302
    assert not UserSession.objects.active().filter(user=user).exists()
    assert AuditEvent.objects.filter(action="auth.password_reset", target_id=user.pk).exists()
    # The link is single-use.
    again = visitor.post(
        path, {"new_password1": "x" * 12 + "yz7", "new_password2": "x" * 12 + "yz7"}
    )
    assert again.status_code == 400 and "already been used" in again.content.decode()
    assert password_login(Client(), user.email, NEW_PASSWORD).status_code == 302


def test_password_reset_link_expires(alice_account, mailbox, django_capture_on_commit_callbacks):
    user = alice_account.owner
    _request_reset(Client(), user.email, django_capture_on_commit_callbacks)
    path = link_path(mailbox.wait_for(user.email))
    EmailToken.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = Client().post(path, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400 and "expired" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_reset_token_of_another_user_is_refused(
    alice_account, bob_account, mailbox, django_capture_on_commit_callbacks
):
    _request_reset(Client(), "alice@example.test", django_capture_on_commit_callbacks)
    path = link_path(mailbox.wait_for("alice@example.test"))
    forged = _with_uid(path, bob_account.owner)
    response = Client().post(forged, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 400
    bob_account.owner.refresh_from_db()
    assert bob_account.owner.check_password(PASSWORD)


def test_reset_for_an_unknown_address_says_the_same_and_sends_nothing(
    db, mailbox, django_capture_on_commit_callbacks
):
    response = _request_reset(Client(), "nobody@example.test", django_capture_on_commit_callbacks)
    assert "If an account uses that address" in response.content.decode()
    assert mailbox.messages == []


def test_changing_the_password_ends_all_other_sessions(alice_account):
    user = alice_account.owner
    here, elsewhere = Client(), Client()
    password_login(here, user.email)
    password_login(elsewhere, user.email)
    response = here.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    assert here.get(reverse("accounts:dashboard")).status_code == 200
    assert elsewhere.get(reverse("accounts:dashboard")).status_code == 302
    active = UserSession.objects.active().filter(user=user)
    assert list(active.values_list("session_key_hash", flat=True)) == [
        session_key_digest(here.session.session_key)
    ]
    assert SESSION_KEY in here.session


def test_wrong_current_passwords_on_the_change_page_lock_it_like_logins(alice_account, settings):
    settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT = 2
    user = alice_account.owner
    client = Client()
    password_login(client, user.email)
    url = reverse("accounts:password_change")
    for guess in ("nope", "nope2"):
        client.post(
            url,
            {"old_password": guess, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
    response = client.post(
        url,
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0  # every throttled answer says when
    page = response.content.decode()
    assert "Too many failed login attempts" in page and "incorrectly" not in page
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="auth.locked_out", target_id=user.pk).exists()
