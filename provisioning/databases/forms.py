"""Forms of the database pages: prefixed names and optional chosen passwords."""

from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from provisioning.databases import names
from provisioning.databases.choices import Privilege

PASSWORD_HELP = "Leave empty to generate a strong password, shown once."  # noqa: S105


def _check_password(password: str) -> str:
    if password:
        if not all(33 <= ord(char) <= 126 for char in password):
            raise forms.ValidationError(
                "Use printable ASCII characters only (letters, digits, punctuation; no spaces)."
            )
        password_validation.validate_password(password)
    return password


class PrefixedNameForm(forms.Form):
    """A name typed without (or with) the account prefix; cleaned to the full name."""

    name = forms.CharField(max_length=100)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, help_text=PASSWORD_HELP
    )

    def __init__(self, *args, prefix: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.account_prefix = prefix
        self.fields["name"].help_text = (
            f"Lowercase letters, digits and underscores, starting with a letter; "
            f"it becomes {prefix}_<name>."
        )

    def clean_name(self) -> str:
        try:
            return names.prefixed(self.account_prefix, self.cleaned_data["name"])
        except names.InvalidName as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_password(self) -> str:
        return _check_password(self.cleaned_data["password"])


class DatabaseCreateForm(PrefixedNameForm):
    pass


class RoleCreateForm(PrefixedNameForm):
    privilege = forms.ChoiceField(choices=Privilege.choices, initial=Privilege.ALL)


class PasswordForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False), required=False, help_text=PASSWORD_HELP
    )

    def clean_password(self) -> str:
        return _check_password(self.cleaned_data["password"])
