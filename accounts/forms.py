from __future__ import annotations

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import password_validation
from django.core.validators import RegexValidator

from accounts import usage
from accounts.models import HostingAccount, Plan, User, prefix_validator
from security.validators import password_field_kwargs

# Names and descriptions are one line: CR/LF would forge lines in logs, CSV and emails.
single_line = RegexValidator(
    r"[\r\n]", inverse_match=True, message="Use a single line (no line breaks)."
)


class LoginForm(auth_forms.AuthenticationForm):
    """A password over the cap is refused before anything is hashed."""

    password = forms.CharField(
        label="Password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        **password_field_kwargs(),
    )


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    old_password = forms.CharField(
        label="Old password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        **password_field_kwargs(),
    )


class CustomerCreateForm(forms.Form):
    name = forms.CharField(max_length=100, label="Account name", validators=[single_line])
    email = forms.EmailField(label="Owner's email")
    display_name = forms.CharField(max_length=150, required=False, validators=[single_line])
    prefix = forms.CharField(
        max_length=16,
        validators=[prefix_validator],
        help_text="2–16 lowercase letters or digits; resources are named prefix_name.",
    )
    plan = forms.ModelChoiceField(queryset=Plan.objects.all())
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        **password_field_kwargs(),
        help_text="Leave empty to generate a strong password, shown once.",
    )

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError("A user with this email already exists.")
        return email

    def clean_prefix(self) -> str:
        prefix = self.cleaned_data["prefix"]
        if HostingAccount.objects.filter(prefix=prefix).exists():
            raise forms.ValidationError("This prefix is already taken.")
        return prefix

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if password:
            password_validation.validate_password(password)
        return password


class AccountEditForm(forms.ModelForm):
    class Meta:
        model = HostingAccount
        fields = ["name", "plan"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].validators.append(single_line)


class PlanForm(forms.ModelForm):
    class Meta:
        model = Plan
        fields = [
            "name",
            "description",
            "max_databases",
            "max_mail_domains",
            "max_mailboxes",
            "mail_quota_mb",
            "mail_send_limit_per_hour",
            "max_dns_zones",
            "disk_quota_mb",
        ]
        labels = {
            "disk_quota_mb": "Disk quota (MB)",
            "max_dns_zones": "Max DNS zones",
            "max_mail_domains": "Max mail domains",
            "mail_quota_mb": "Total mail quota (MB)",
            "mail_send_limit_per_hour": "Messages each mailbox may send per hour",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("name", "description"):
            self.fields[name].validators.append(single_line)
        # Only quotas of capabilities that exist (an app counts them); the others keep their
        # stored value until their pages land.
        counted = {field for _, _, field in usage.available_quotas()}
        for _, _, field in usage.QUOTAS:
            if field not in counted:
                self.fields.pop(field, None)
        if "max_mailboxes" not in counted:  # the sending limit belongs to mail hosting too
            self.fields.pop("mail_send_limit_per_hour", None)
        # Mail limits came after the others: a form (or API call) that leaves them out keeps
        # the plan's value (a new plan's defaults) rather than being refused.
        for field in self.KEPT_WHEN_OMITTED:
            if field in self.fields:
                self.fields[field].required = False

    KEPT_WHEN_OMITTED = ("max_mail_domains", "mail_quota_mb", "mail_send_limit_per_hour")

    def clean(self):
        cleaned = super().clean()
        for field in self.KEPT_WHEN_OMITTED:
            if field in self.fields and cleaned.get(field) is None:
                cleaned[field] = getattr(self.instance, field)
        return cleaned


class ConfirmNameForm(forms.Form):
    """Destructive actions ask the user to type the object's name."""

    confirm = forms.CharField(max_length=255, label="Type the name to confirm")

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        value = self.cleaned_data["confirm"].strip()
        if value != self.expected:
            raise forms.ValidationError(f"Type {self.expected} exactly to confirm.")
        return value
