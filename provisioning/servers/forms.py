"""The admin's server form: name, address, roles and the connections of the database and
DNS secondary roles."""

from __future__ import annotations

from django import forms

from outbox.headers import has_break
from provisioning.dns import secondary
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
    sec_dns_address = forms.CharField(
        label="Secondary: DNS address",
        required=False,
        help_text="host:port where BIND answers queries (and NOTIFY).",
    )
    sec_rndc_address = forms.CharField(
        label="Secondary: rndc address", required=False, help_text="host:port of its rndc."
    )
    sec_rndc_secret = forms.CharField(
        label="Secondary: rndc key secret",
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="base64 (hmac-sha256). Stored encrypted; leave empty to keep the current one.",
    )
    sec_tsig_name = forms.CharField(
        label="Secondary: TSIG key name",
        required=False,
        help_text="The key BIND signs its transfers from the primary with; one per secondary.",
    )
    sec_tsig_secret = forms.CharField(
        label="Secondary: TSIG key secret",
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text="base64 (hmac-sha256). Stored encrypted; leave empty to keep the current one.",
    )

    SECONDARY_FIELDS = {
        "sec_dns_address": ("dns_address", secondary.check_address),
        "sec_rndc_address": ("rndc_address", secondary.check_address),
        "sec_tsig_name": ("tsig_name", secondary.check_tsig_name),
    }
    SECONDARY_SECRETS = {
        "sec_rndc_secret": "rndc_secret",
        "sec_tsig_secret": "tsig_secret",
    }

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
        current = self.instance.settings_for(ServerRole.DNS_SECONDARY) if self.instance.pk else {}
        for field, (key, _check) in self.SECONDARY_FIELDS.items():
            if key in current:
                self.initial[field] = current[key]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if has_break(name):  # it reaches email subjects (alerts): one line only
            raise forms.ValidationError("A server name is a single line.")
        return name

    def clean(self):
        data = super().clean()
        roles = data.get("roles", [])
        if ServerRole.DATABASE in roles and not data.get("db_user"):
            self.add_error("db_user", "A database server needs a superuser login.")
        had_secondary = self.instance.pk and self.instance.has_role(ServerRole.DNS_SECONDARY)
        if ServerRole.DNS_SECONDARY in roles:
            self._clean_secondary(data, first_time=not had_secondary)
        elif had_secondary and self.instance.is_active:
            self.add_error(
                "roles", "To stop using a DNS secondary, retire it: its zones are taken off it."
            )
        return data

    def _clean_secondary(self, data: dict, *, first_time: bool) -> None:
        for field, (_key, check) in self.SECONDARY_FIELDS.items():
            try:
                data[field] = check(data.get(field) or "")
            except ValueError as exc:
                self.add_error(field, str(exc))
        for field in self.SECONDARY_SECRETS:
            if not data.get(field):
                if first_time:
                    self.add_error(field, "A new DNS secondary needs this key.")
                continue
            try:
                data[field] = secondary.check_secret(data[field])
            except ValueError as exc:
                self.add_error(field, str(exc))
        name = data.get("sec_tsig_name")
        if name and self._tsig_name_taken(name):
            self.add_error(
                "sec_tsig_name", "Another DNS secondary uses this key name: give each its own."
            )

    def _tsig_name_taken(self, name: str) -> bool:
        others = Server.objects.active().with_role(ServerRole.DNS_SECONDARY)
        others = others.exclude(pk=self.instance.pk) if self.instance.pk else others
        role = ServerRole.DNS_SECONDARY.value
        return others.filter(**{f"connection__{role}__tsig_name": name}).exists()

    def connections(self) -> dict:
        """Other roles' (settings, secrets) for save_server; secrets None: keep them."""
        data = self.cleaned_data
        if ServerRole.DNS_SECONDARY not in data["roles"]:
            return {}
        config = {key: data[field] for field, (key, _c) in self.SECONDARY_FIELDS.items()}
        secrets = {key: data[field] for field, key in self.SECONDARY_SECRETS.items()}
        if not all(secrets.values()):
            stored = self.instance.credentials_for(ServerRole.DNS_SECONDARY)
            secrets = {key: value or stored.get(key, "") for key, value in secrets.items()}
        return {ServerRole.DNS_SECONDARY.value: (config, secrets)}

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
