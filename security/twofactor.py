"""TOTP devices (RFC 6238: 30 s, SHA-1, 6 digits) and hashed one-time backup codes."""

from __future__ import annotations

import re
import secrets
from base64 import b32encode

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django_otp import DEVICE_ID_SESSION_KEY

from panel import field_crypto
from security import audit, lockout, throttle, user_sessions
from security.exceptions import InvalidCode, RateLimited, SecurityError
from security.models import BackupCode, BackupCodeDevice, TOTPDevice

_TOTP_FORMAT = re.compile(r"^\d{6}$")
_BACKUP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def has_two_factor(user) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


def backup_codes_remaining(user) -> int:
    return BackupCode.objects.filter(device__user=user, used_at__isnull=True).count()


def pending_totp(user) -> TOTPDevice:
    """The unconfirmed device of the setup wizard (a fresh secret on first visit)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)
    return device


def secret_text(device: TOTPDevice) -> str:
    secret = b32encode(device.bin_key).decode()
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URI as an inline SVG (no external service sees the secret)."""
    image = qrcode.make(
        device.config_url,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=8,
        border=2,
    )
    return image.to_string(encoding="unicode")


def _mark_session_verified(request, device) -> None:
    request.session[DEVICE_ID_SESSION_KEY] = device.persistent_id


@transaction.atomic
def enable_totp(request, device: TOTPDevice, code: str) -> list[str]:
    """Confirm the wizard's device with a valid code; returns the new backup codes."""
    device = TOTPDevice.objects.select_for_update().get(pk=device.pk, user=request.user)
    if not _TOTP_FORMAT.match(code.strip()) or not device.verify_token(code.strip()):
        raise InvalidCode()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    TOTPDevice.objects.filter(user=request.user).exclude(pk=device.pk).delete()
    audit.record(request, "auth.2fa_enabled", target=request.user, device=device.name)
    # Completing 2FA is a privilege change: new session key, session marked verified.
    user_sessions.rotate_key(request)
    _mark_session_verified(request, device)
    return generate_backup_codes(request)


def _new_code() -> str:
    raw = "".join(secrets.choice(_BACKUP_ALPHABET) for _ in range(10))
    return f"{raw[:5]}-{raw[5:]}"


@transaction.atomic
def generate_backup_codes(request) -> list[str]:
    """A new set of codes, returned once in clear; the old set stops working."""
    user = request.user
    BackupCodeDevice.objects.filter(user=user).delete()
    device = BackupCodeDevice.objects.create(user=user, name="Backup codes")
    codes = [_new_code() for _ in range(settings.SECURITY_BACKUP_CODE_COUNT)]
    BackupCode.objects.bulk_create(
        BackupCode(device=device, code_hash=make_password(code.replace("-", ""))) for code in codes
    )
    audit.record(request, "auth.backup_codes_generated", target=user, count=len(codes))
    return codes


def verify_second_factor(user, code: str):
    """Check a TOTP code (replay and drift refused by django-otp) or a backup code.

    Returns the device that accepted it, or None.
    """
    code = code.strip()
    if _TOTP_FORMAT.match(code):
        with transaction.atomic():
            device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True)
            device = device.first()
            return device if device is not None and device.verify_token(code) else None
    backup = BackupCodeDevice.objects.filter(user=user).first()
    if backup is not None and backup.verify_token(code):
        return backup
    return None


def attempt_second_factor(request, user, code: str):
    """Verify a code under the second step's own sliding-window throttle.

    Raises RateLimited while too many wrong codes were entered, InvalidCode for a wrong one.
    """
    window, ident = throttle.second_factor(), f"user:{user.pk}"
    wait = window.retry_after(ident)
    if wait:
        raise RateLimited(
            f"Too many wrong codes. Try again in {throttle.minutes(wait)}.", retry_after=wait
        )
    device = verify_second_factor(user, code)
    if device is None:
        audit.record(request, "auth.2fa_failed", target=user, actor=user)
        if window.hit(ident) == window.limit:
            audit.record(request, "auth.locked_out", target=user, actor=user, scope="2fa")
        raise InvalidCode()
    window.reset(ident)
    return device


def disable_two_factor(request, *, password: str, code: str) -> None:
    """Needs the password and a current code (TOTP or backup)."""
    user = request.user
    # Wrong passwords count like failed logins, so a stolen session cannot guess on here.
    lockout.check_login_allowed(request, user.email)
    if not user.check_password(password):
        lockout.record_login_failure(request, user.email)
        raise SecurityError("Your password is not correct.")
    attempt_second_factor(request, user, code)
    _remove_devices(request, user)


@transaction.atomic
def _remove_devices(request, user) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    BackupCodeDevice.objects.filter(user=user).delete()
    request.session.pop(DEVICE_ID_SESSION_KEY, None)
    audit.record(request, "auth.2fa_disabled", target=user)
    # Other sessions were verified with the device that is gone; an admin's would otherwise
    # go on without 2FA, past the enrolment rule.
    user_sessions.revoke_other_sessions(
        user,
        keep_id=user_sessions.current_id(request),
        actor=user,
        request=request,
        reason="two-factor turned off",
    )


@transaction.atomic
def reencrypt_secrets() -> int:
    """Re-encrypt every authenticator secret with the first FIELD_ENCRYPTION_KEY key."""
    count = 0
    for device in TOTPDevice.objects.select_for_update().only("pk", "key_encrypted"):
        device.key_encrypted = field_crypto.rotate(device.key_encrypted)
        device.save(update_fields=["key_encrypted"])
        count += 1
    return count
