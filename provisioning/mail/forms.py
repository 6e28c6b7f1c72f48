"""Forms of the mail pages; the rules live in names.py (shapes) and the services (context)."""

from __future__ import annotations

from django import forms
from django.conf import settings

from provisioning.mail import names
from provisioning.mail.choices import DmarcPolicy
from security.validators import password_field_kwargs

PASSWORD_HELP = "Leave empty to generate a strong password, shown once."  # noqa: S105


def _clean(func, value, **kwargs):
    try:
        return func(value, **kwargs)
    except names.InvalidMailName as exc:
        raise forms.ValidationError(str(exc)) from None


class DomainCreateForm(forms.Form):
    name = forms.CharField(max_length=253, label="Domain", help_text="For example example.com.")
    dmarc_policy = forms.ChoiceField(
        choices=DmarcPolicy.choices, initial=DmarcPolicy.QUARANTINE, label="DMARC policy"
    )

    def clean_name(self) -> str:
        return _clean(names.domain_name, self.cleaned_data["name"])


class PasswordMixin(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        help_text=PASSWORD_HELP,
        strip=False,
        **password_field_kwargs(),
    )

    def clean_password(self) -> str:
        value = self.cleaned_data["password"]
        return _clean(names.password, value) if value else ""


class MailboxCreateForm(PasswordMixin):
    local_part = forms.CharField(
        max_length=200, label="Address", help_text="The part before the @ (letters, digits, . - _)."
    )
    quota_mb = forms.IntegerField(min_value=1, label="Quota (MB)")
    field_order = ["local_part", "quota_mb", "password"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["quota_mb"].initial = settings.MAIL_DEFAULT_QUOTA_MB

    def clean_local_part(self) -> str:
        return _clean(names.local_part, self.cleaned_data["local_part"])


class PasswordForm(PasswordMixin):
    pass


class QuotaForm(forms.Form):
    quota_mb = forms.IntegerField(min_value=1, label="Quota (MB)")


class AliasCreateForm(forms.Form):
    local_part = forms.CharField(
        max_length=200,
        required=False,
        label="Address",
        help_text="The part before the @; leave empty (or *) for the domain's catch-all.",
    )
    destinations = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=20000,
        help_text="Addresses here or elsewhere, separated by commas or lines.",
    )

    def clean_local_part(self) -> str:
        value = self.cleaned_data["local_part"].strip()
        return value if value in ("", "*") else _clean(names.local_part, value)

    def clean_destinations(self) -> list[str]:
        return _clean(names.destinations, self.cleaned_data["destinations"])


class VacationForm(forms.Form):
    subject = forms.CharField(max_length=200)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), max_length=4000, label="Message"
    )
    start = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean_subject(self) -> str:
        return _clean(
            names.single_line, self.cleaned_data["subject"], what="The subject", max_length=200
        )

    def clean(self):
        data = super().clean()
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", "The auto-reply cannot end before it starts.")
        return data
