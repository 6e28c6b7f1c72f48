"""Password length: a cap with a sentence, for new passwords and for every password typed in."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError


def max_password_length() -> int:
    return settings.SECURITY_PASSWORD_MAX_LENGTH


def too_long_message() -> str:
    return f"Passwords are at most {max_password_length()} characters long."


class MaximumLengthValidator:
    """AUTH_PASSWORD_VALIDATORS entry: refuses new passwords longer than the cap."""

    def validate(self, password: str, user=None) -> None:
        if len(password) > max_password_length():
            raise ValidationError(too_long_message(), code="password_too_long")

    def get_help_text(self) -> str:
        return f"Your password can be at most {max_password_length()} characters long."


def password_field_kwargs() -> dict:
    """For a form's password CharField: the cap and its message."""
    return {
        "max_length": max_password_length(),
        "error_messages": {"max_length": too_long_message()},
    }
