"""TOTP setup, the two-step login, replay/drift/throttle, backup codes, disabling, admins."""

from __future__ import annotations

import re
import time
from base64 import b32decode

import pytest
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY

from security.models import AuditEvent, BackupCode, BackupCodeDevice, TOTPDevice
from tests.conftest import PASSWORD
from tests.security.conftest import code_at, code_for, password_login

SETUP = reverse("security:two_factor_setup")
VERIFY = reverse("security:login_verify")


def _secret_from_page(html: str) -> bytes:
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    return b32decode(secret.replace(" ", ""))


def _enable(client) -> tuple[bytes, list[str]]:
    """Go through the wizard like a person: read the secret, enter a code, get backup codes."""
    page = client.get(SETUP).content.decode()
    key = _secret_from_page(page)
    response = client.post(SETUP, {"code": code_at(key, time.time())})
    assert response.status_code == 200
    codes = re.findall(
        r"<li><code>([a-z0-9]{5}-[a-z0-9]{5})</code></li>", response.content.decode()
    )
    return key, codes


@pytest.fixture
def alice_2fa(alice_client, alice_account):
    key, codes = _enable(alice_client)
    alice_client.post(reverse("accounts:logout"))
    device = TOTPDevice.objects.get(user=alice_account.owner, confirmed=True)
    return alice_account.owner, device, codes


def test_setup_page_shows_an_inline_svg_qr_code_and_the_secret(alice_client):
    response = alice_client.get(SETUP)
    html = response.content.decode()
    assert response.status_code == 200
    qr = re.search(r'<div class="qr"[^>]*>(.*?)</div>', html, re.S).group(1).strip()
    # Rendered inline: an SVG of paths, nothing fetched from anywhere, no style attribute.
    assert qr.startswith("<svg") and qr.endswith("</svg>") and "<path" in qr
    assert "<img" not in qr and "href=" not in qr and "style=" not in qr
    device = TOTPDevice.objects.get(user__email="alice@example.test")
    assert device.confirmed is False
    assert _secret_from_page(html) == device.bin_key
    assert "otpauth://totp/Hearth%3Aalice%40example.test" in device.config_url
    assert "algorithm=SHA1" in device.config_url and "period=30" in device.config_url


def test_wrong_code_does_not_activate_the_device(alice_client):
    alice_client.get(SETUP)
    response = alice_client.post(SETUP, {"code": "000000"})
    assert response.status_code == 200
    assert "That code is not valid" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()


def test_valid_code_activates_and_shows_ten_hashed_backup_codes_once(alice_client, alice_account):
    session_key_before = alice_client.session.session_key
    key, codes = _enable(alice_client)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=alice_account.owner).confirmed
    stored = list(BackupCode.objects.filter(device__user=alice_account.owner))
    assert len(stored) == 10
    for code, row in zip(codes, stored, strict=False):
        assert code.replace("-", "") not in row.code_hash
        assert row.code_hash.startswith("argon2$")
    # 2FA completion rotates the session key and marks the session verified.
    assert alice_client.session.session_key != session_key_before
    assert alice_client.session[DEVICE_ID_SESSION_KEY]
    assert AuditEvent.objects.filter(action="auth.2fa_enabled").count() == 1
    page = alice_client.get(reverse("security:settings")).content.decode()
    assert 'id="backup-remaining">10<' in page
    assert not any(code in page for code in codes)


def test_login_takes_two_steps_and_a_computed_code_logs_in(anon, alice_2fa):
    user, device, _ = alice_2fa
    response = password_login(anon, user.email)
    assert response.status_code == 302 and response["Location"] == VERIFY
    assert SESSION_KEY not in anon.session  # not logged in after the password alone
    assert anon.get(reverse("accounts:dashboard")).status_code == 302
    key_before = anon.session.session_key
    response = anon.post(VERIFY, {"code": code_for(device, 1)})
    assert response.status_code == 302
    assert anon.session[SESSION_KEY] == str(user.pk)
    assert anon.session.session_key != key_before
    assert anon.get(reverse("accounts:dashboard")).status_code == 200
    event = AuditEvent.objects.filter(action="auth.login_succeeded").latest("id")
    assert event.details == {"method": "totp"}


def test_wrong_code_is_refused(anon, alice_2fa):
    user, _, _ = alice_2fa
    password_login(anon, user.email)
    response = anon.post(VERIFY, {"code": "123456"})
    assert response.status_code == 200 and "That code is not valid" in response.content.decode()
    assert SESSION_KEY not in anon.session
    assert AuditEvent.objects.filter(action="auth.2fa_failed").count() == 1


def test_a_code_already_used_cannot_be_replayed(anon, client, alice_2fa):
    user, device, _ = alice_2fa
    code = code_for(device, 1)
    password_login(anon, user.email)
    assert anon.post(VERIFY, {"code": code}).status_code == 302
    password_login(client, user.email)
    response = client.post(VERIFY, {"code": code})
    assert response.status_code == 200 and SESSION_KEY not in client.session
    assert "That code is not valid" in response.content.decode()


@pytest.mark.parametrize("steps", [-10, -3, 3, 10])
def test_codes_outside_the_allowed_drift_are_refused(anon, alice_2fa, steps):
    user, device, _ = alice_2fa
    password_login(anon, user.email)
    response = anon.post(VERIFY, {"code": code_for(device, steps)})
    assert response.status_code == 200 and SESSION_KEY not in anon.session


def test_the_second_step_is_throttled(anon, alice_2fa, settings):
    user, device, _ = alice_2fa
    password_login(anon, user.email)
    for _ in range(settings.SECURITY_OTP_LIMIT):
        assert anon.post(VERIFY, {"code": "000000"}).status_code == 200
    response = anon.post(VERIFY, {"code": code_for(device, 1)})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0  # every throttled answer says when
    assert "Too many wrong codes" in response.content.decode()
    assert SESSION_KEY not in anon.session
    event = AuditEvent.objects.get(action="auth.locked_out")
    assert event.details == {"scope": "2fa"} and event.target_id == str(user.pk)


def test_the_second_step_needs_the_password_step_first(anon, alice_2fa):
    response = anon.post(VERIFY, {"code": "123456"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:login")


def test_a_backup_code_works_once_then_fails(anon, client, alice_2fa):
    user, _, codes = alice_2fa
    password_login(anon, user.email)
    response = anon.post(VERIFY, {"code": codes[3].upper()}, follow=True)
    assert anon.session[SESSION_KEY] == str(user.pk)
    assert "9 remain" in response.content.decode()
    assert AuditEvent.objects.get(action="auth.backup_code_used").details == {"remaining": 9}
    password_login(client, user.email)
    response = client.post(VERIFY, {"code": codes[3]})
    assert response.status_code == 200 and SESSION_KEY not in client.session
    page = anon.get(reverse("security:settings")).content.decode()
    assert 'id="backup-remaining">9<' in page


def test_regenerating_backup_codes_revokes_the_old_set(anon, client, alice_2fa):
    user, device, old_codes = alice_2fa
    password_login(anon, user.email)
    anon.post(VERIFY, {"code": code_for(device, 1)})
    url = reverse("security:backup_codes")
    # It revokes the old set: the password first, then a confirmation page.
    assert anon.get(url)["Location"].startswith(reverse("security:sudo"))
    assert anon.post(url)["Location"].startswith(reverse("security:sudo"))
    assert BackupCode.objects.filter(device__user=user, used_at__isnull=True).count() == 10
    anon.post(reverse("security:sudo"), {"password": PASSWORD, "next": url})
    confirm = anon.get(url).content.decode()
    assert "stop working" in confirm and 'method="post"' in confirm
    generated = AuditEvent.objects.filter(action="auth.backup_codes_generated", target_id=user.pk)
    assert generated.count() == 1  # at enrolment
    response = anon.post(url)
    assert generated.count() == 2 and generated.first().details == {"count": 10}
    new_codes = re.findall(r"<code>([a-z0-9]{5}-[a-z0-9]{5})</code>", response.content.decode())
    assert len(new_codes) == 10 and not set(new_codes) & set(old_codes)
    password_login(client, user.email)
    assert client.post(VERIFY, {"code": old_codes[0]}).status_code == 200
    assert SESSION_KEY not in client.session
    assert client.post(VERIFY, {"code": new_codes[0]}).status_code == 302


def test_disabling_needs_the_password_and_a_current_code(anon, alice_2fa):
    user, device, codes = alice_2fa
    password_login(anon, user.email)
    login_code = code_for(device, 1)  # computed once: a step boundary may pass during the test
    anon.post(VERIFY, {"code": login_code})
    url = reverse("security:two_factor_disable")
    wrong_password = anon.post(url, {"password": "nope", "code": code_for(device)})
    assert "Your password is not correct" in wrong_password.content.decode()
    wrong_code = anon.post(url, {"password": PASSWORD, "code": "000000"})
    assert "That code is not valid" in wrong_code.content.decode()
    assert TOTPDevice.objects.filter(user=user).exists()
    # The TOTP code of the login was used up (replay); a backup code is a current code too.
    replayed = anon.post(url, {"password": PASSWORD, "code": login_code})
    assert "That code is not valid" in replayed.content.decode()
    response = anon.post(url, {"password": PASSWORD, "code": codes[0]})
    assert response.status_code == 302
    assert not TOTPDevice.objects.filter(user=user).exists()
    assert not BackupCode.objects.filter(device__user=user).exists()
    assert AuditEvent.objects.filter(action="auth.2fa_disabled").count() == 1
    # Next login is the password alone.
    anon.post(reverse("accounts:logout"))
    assert password_login(anon, user.email)["Location"] == "/"


def test_wrong_passwords_on_the_disable_page_lock_it_like_logins(anon, alice_2fa, settings):
    settings.SECURITY_LOCKOUT_ACCOUNT_LIMIT = 2
    user, device, codes = alice_2fa
    password_login(anon, user.email)
    anon.post(VERIFY, {"code": code_for(device, 1)})
    url = reverse("security:two_factor_disable")
    for guess in ("nope", "nope2"):
        anon.post(url, {"password": guess, "code": codes[0]})
    response = anon.post(url, {"password": PASSWORD, "code": codes[1]})
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0  # every throttled answer says when
    assert "Too many failed login attempts" in response.content.decode()
    assert TOTPDevice.objects.filter(user=user, confirmed=True).exists()
    assert AuditEvent.objects.filter(action="auth.locked_out", target_id=user.pk).exists()


def test_admin_without_a_device_is_sent_to_the_wizard_first(client, admin_user):
    admin_user.totpdevice_set.all().delete()
    response = password_login(client, admin_user.email)
    assert response.status_code == 302
    for url in ["/", reverse("accounts:customer_list"), reverse("security:audit")]:
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == SETUP
    assert client.get(SETUP).status_code == 200
    _enable(client)
    assert client.get(reverse("accounts:customer_list")).status_code == 200


def test_turning_2fa_off_ends_the_other_sessions_so_admins_cannot_keep_using_them(
    admin_user, admin_device
):
    here, other = Client(), Client()
    for session_client, step in ((other, 0), (here, 1)):
        password_login(session_client, admin_user.email)
        assert (
            session_client.post(VERIFY, {"code": code_for(admin_device, step)}).status_code == 302
        )
    assert other.get(reverse("accounts:customer_list")).status_code == 200
    backup = BackupCodeDevice.objects.create(user=admin_user)
    BackupCode.objects.create(device=backup, code_hash=make_password("abcdefghij"))
    response = here.post(
        reverse("security:two_factor_disable"), {"password": PASSWORD, "code": "abcde-fghij"}
    )
    assert response.status_code == 302
    assert other.get(reverse("accounts:customer_list"))["Location"].startswith("/login/")
    assert here.get(reverse("accounts:customer_list"))["Location"] == SETUP


def test_admin_session_without_the_second_step_is_not_enough(client, admin_user, admin_device):
    client.force_login(admin_user)  # password-only session of an enrolled admin
    assert client.get(reverse("accounts:customer_list"))["Location"] == SETUP
    response = client.get(SETUP)
    assert response["Location"] == reverse("accounts:login")
    assert SESSION_KEY not in client.session


def test_admin_client_fixture_is_two_factor_complete(admin_client):
    assert admin_client.get(reverse("accounts:customer_list")).status_code == 200


def test_customers_are_not_forced_to_enrol(alice_client):
    assert alice_client.get(reverse("accounts:dashboard")).status_code == 200
