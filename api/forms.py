from django import forms

from api.choices import Level, ScopeKind

LEVELS = [("", "No access"), *Level.choices]


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100)
    days = forms.IntegerField(min_value=1, initial=90, label="Expires after (days)", required=False)
    objects = forms.CharField(
        required=False,
        label="Only these objects",
        help_text="Optional, comma-separated kind:id, e.g. databases:12.",
    )
    cidrs = forms.CharField(
        required=False,
        label="Only from these networks",
        help_text="Optional, comma-separated CIDRs, e.g. 192.0.2.0/24.",
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in ScopeKind.choices:
            if kind == ScopeKind.ADMIN and not user.is_admin:
                continue
            self.fields[f"scope_{kind}"] = forms.ChoiceField(
                choices=LEVELS, required=False, label=label
            )

    def scopes(self) -> dict[str, str]:
        return {
            name.removeprefix("scope_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("scope_") and value
        }

    @staticmethod
    def _split(value: str) -> list[str]:
        return [item.strip() for item in value.split(",") if item.strip()]

    def objects_list(self) -> list[str]:
        return self._split(self.cleaned_data["objects"])

    def cidr_list(self) -> list[str]:
        return self._split(self.cleaned_data["cidrs"])
