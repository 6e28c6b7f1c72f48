from __future__ import annotations

from django import forms
from django.contrib.auth import password_validation

from provisioning import names
from provisioning.choices import Privilege, ServerRole
from provisioning.models import Server

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


class ServerForm(forms.ModelForm):
    roles = forms.MultipleChoiceField(
        choices=ServerRole.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    db_port = forms.IntegerField(
        label="PostgreSQL port", min_value=1, max_value=65535, initial=5432, required=False
    )
    db_user = forms.CharField(label="PostgreSQL superuser", initial="postgres", required=False)
    db_name = forms.CharField(label="Maintenance database", initial="postgres", required=False)
    db_sslmode = forms.ChoiceField(
        label="SSL mode",
        choices=[(m, m) for m in ("prefer", "require", "verify-full", "disable")],
        initial="prefer",
    )
    db_password = forms.CharField(
        label="PostgreSQL password",
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="Stored encrypted. Leave empty to keep the current one.",
    )

    class Meta:
        model = Server
        fields = ["name", "address", "roles"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        current = self.instance.settings_for(ServerRole.DATABASE) if self.instance.pk else {}
        for key in ("port", "user", "dbname", "sslmode"):
            field = {"port": "db_port", "user": "db_user", "dbname": "db_name"}.get(
                key, "db_sslmode"
            )
            if key in current:
                self.initial[field] = current[key]

    def clean(self):
        data = super().clean()
        if ServerRole.DATABASE in data.get("roles", []) and not data.get("db_user"):
            self.add_error("db_user", "A database server needs a superuser login.")
        return data

    def database_settings(self) -> dict | None:
        data = self.cleaned_data
        if ServerRole.DATABASE not in data["roles"]:
            return None
        return {
            "port": data["db_port"] or 5432,
            "user": data["db_user"],
            "dbname": data["db_name"] or "postgres",
            "sslmode": data["db_sslmode"],
        }
