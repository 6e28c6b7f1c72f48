"""The admin's server form: name, address, roles and the database role's connection."""

from __future__ import annotations

from django import forms

from outbox.headers import has_break
from provisioning.engine import backends
from provisioning.servers.choices import ServerRole
from provisioning.servers.models import Server


def available_roles() -> list[tuple[str, str]]:
    return [(value, label) for value, label in ServerRole.choices if value in backends.BACKENDS]


class ServerForm(forms.ModelForm):
    # Only roles some kind handles (a registered backend): no checkbox without pages behind it.
    roles = forms.MultipleChoiceField(
        choices=available_roles, widget=forms.CheckboxSelectMultiple, required=False
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

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if has_break(name):  # it reaches email subjects (alerts): one line only
            raise forms.ValidationError("A server name is a single line.")
        return name

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
