"""Sudo mode: destructive pages ask for the password again, then trust it for a while."""

from urllib.parse import quote

from django.test import Client
from django.urls import reverse

from accounts.models import HostingAccount
from security.models import AuditEvent
from tests.conftest import PASSWORD, login_with_second_factor


def _fresh_admin(client, admin_user, admin_device):
    return login_with_second_factor(client, admin_user, admin_device)


def test_a_destructive_page_asks_for_the_password_first(
    client, admin_user, admin_device, alice_account
):
    admin = _fresh_admin(client, admin_user, admin_device)
    url = reverse("accounts:customer_delete", args=[alice_account.pk])
    response = admin.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('security:sudo')}?next={quote(url, safe='')}"
    # A POST straight to the action is refused the same way: nothing is deleted.
    admin.post(url, {"confirm": "alice"})
    assert HostingAccount.objects.filter(pk=alice_account.pk).exists()


def test_the_right_password_opens_the_page_and_is_remembered(
    client, admin_user, admin_device, alice_account
):
    admin = _fresh_admin(client, admin_user, admin_device)
    url = reverse("accounts:customer_delete", args=[alice_account.pk])
    response = admin.post(reverse("security:sudo"), {"password": PASSWORD, "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert admin.get(url).status_code == 200
    admin.post(url, {"confirm": "alice"})
    assert not HostingAccount.objects.filter(pk=alice_account.pk).exists()
    assert AuditEvent.objects.filter(action="auth.sudo_granted", actor=admin_user).exists()


def test_a_wrong_password_is_refused_and_audited(client, admin_user, admin_device, alice_account):
    admin = _fresh_admin(client, admin_user, admin_device)
    url = reverse("accounts:customer_delete", args=[alice_account.pk])
    response = admin.post(reverse("security:sudo"), {"password": "nope", "next": url})
    assert response.status_code == 200
    assert "That is not your password." in response.content.decode()
    assert admin.get(url).status_code == 302
    assert AuditEvent.objects.filter(action="auth.sudo_failed").count() == 1


def _locked_admin(client, admin_user, admin_device, settings, limit: str):
    """An admin who got the password wrong twice on the confirmation page, with a limit of 2."""
    setattr(settings, limit, 2)
    admin = _fresh_admin(client, admin_user, admin_device)
    for _ in range(2):
        admin.post(reverse("security:sudo"), {"password": "nope"})
    return admin


def test_wrong_passwords_lock_the_confirmation_like_logins(
    client, admin_user, admin_device, settings
):
    admin = _locked_admin(
        client, admin_user, admin_device, settings, "SECURITY_LOCKOUT_ACCOUNT_LIMIT"
    )
    response = admin.post(reverse("security:sudo"), {"password": PASSWORD})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0  # every throttled answer says when
    assert "Too many failed login attempts. Try again in 15 minutes." in response.content.decode()
    assert not AuditEvent.objects.filter(action="auth.sudo_granted").exists()
    locked = AuditEvent.objects.get(action="auth.locked_out", details__scope="account")
    assert locked.target_id == str(admin_user.pk)


def test_while_locked_the_page_does_not_tell_a_right_password_from_a_wrong_one(
    client, admin_user, admin_device, settings
):
    admin = _locked_admin(
        client, admin_user, admin_device, settings, "SECURITY_LOCKOUT_ACCOUNT_LIMIT"
    )
    wrong = admin.post(reverse("security:sudo"), {"password": "still-wrong"})
    assert wrong.status_code == 429
    assert int(wrong["Retry-After"]) > 0  # every throttled answer says when
    assert "That is not your password." not in wrong.content.decode()


def test_wrong_passwords_count_for_the_ip_too(client, admin_user, admin_device, settings):
    _locked_admin(client, admin_user, admin_device, settings, "SECURITY_LOCKOUT_IP_LIMIT")
    stranger = Client()  # same address, another browser
    response = stranger.post("/login/", {"username": "x@example.test", "password": "y"})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0  # every throttled answer says when


def test_next_must_stay_on_this_site(client, admin_user, admin_device):
    admin = _fresh_admin(client, admin_user, admin_device)
    response = admin.post(
        reverse("security:sudo"), {"password": PASSWORD, "next": "https://evil.example/x"}
    )
    assert response["Location"] == "/"


def test_customers_confirm_before_dropping_a_database_and_outsiders_get_404(
    client, alice_account, bob_account
):
    from provisioning.models import Database, Server

    server = Server.objects.create(name="db1", address="127.0.0.1", roles=["database"])
    db = Database.objects.create(
        account=alice_account, server=server, name="alice_shop", owner_role="alice_shop"
    )
    url = reverse("provisioning:database_delete", args=[db.pk])
    client.force_login(bob_account.owner)
    assert client.get(url).status_code == 404  # no password prompt for someone else's
    client.force_login(alice_account.owner)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("security:sudo"))
