from __future__ import annotations

from datetime import date

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from security.validators import password_field_kwargs


class CodeForm(forms.Form):
    code = forms.CharField(
        max_length=32,
        label="Code",
        help_text="The 6-digit code from your app, or one of your backup codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
    )


class ConfirmDeviceForm(forms.Form):
    code = forms.RegexField(
        regex=r"^\s*\d{6}\s*$",
        label="6-digit code",
        error_messages={"invalid": "Enter the 6 digits your app shows."},
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


class DisableTwoFactorForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        **password_field_kwargs(),
    )
    code = forms.CharField(
        max_length=32,
        label="Current code",
        help_text="From your app, or a backup code.",
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code"}),
    )


class EmailForm(forms.Form):
    email = forms.EmailField(widget=forms.EmailInput(attrs={"autocomplete": "email"}))


# A day is searched up to the next midnight: the last day must leave room for one more.
AUDIT_DATE_RANGE = [
    MinValueValidator(date(1970, 1, 1), message="Enter a date in 1970 or later."),
    MaxValueValidator(date(9999, 12, 30), message="Enter a date before 31 December 9999."),
]


class AuditFilterForm(forms.Form):
    actor = forms.CharField(required=False, max_length=254, label="Actor")
    action = forms.CharField(required=False, max_length=100, label="Action starts with")
    target = forms.CharField(required=False, max_length=255, label="Target")
    since = forms.DateField(
        required=False,
        label="From",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=AUDIT_DATE_RANGE,
    )
    until = forms.DateField(
        required=False,
        label="To",
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=AUDIT_DATE_RANGE,
    )
    q = forms.CharField(required=False, max_length=200, label="Text")


class SudoForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        label="Your password",
        **password_field_kwargs(),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
