"""Forms of the zone pages; the rules themselves live in validation.py and services.py."""

from __future__ import annotations

from django import forms

from provisioning.dns.choices import TEMPLATES, RecordType
from provisioning.dns.validation import RecordInput


class ZoneCreateForm(forms.Form):
    name = forms.CharField(
        max_length=253, label="Domain", help_text="For example example.com or bücher.example."
    )
    template = forms.ChoiceField(
        choices=[(key, value["label"]) for key, value in TEMPLATES.items()],
        required=False,
        label="Start with",
    )


class RecordForm(forms.Form):
    name = forms.CharField(max_length=253, required=False, help_text="@ for the zone itself")
    type = forms.ChoiceField(choices=RecordType.choices)
    ttl = forms.CharField(max_length=10, required=False, label="TTL", help_text="seconds")
    value = forms.CharField(max_length=4000, widget=forms.TextInput)

    def as_input(self) -> RecordInput:
        data = self.cleaned_data
        return RecordInput(data["name"], data["type"], data["ttl"], data["value"])


class RecordFilterForm(forms.Form):
    type = forms.ChoiceField(choices=[("", "All types"), *RecordType.choices], required=False)
    name = forms.CharField(max_length=253, required=False)


class ImportForm(forms.Form):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 12}), required=False, label="Zone file"
    )
    upload = forms.FileField(required=False, label="…or upload a file")

    def clean(self):
        data = super().clean()
        upload = data.get("upload")
        if upload is not None:
            if upload.size > 2_000_000:
                raise forms.ValidationError("The file is larger than 2 MB.")
            try:
                data["text"] = upload.read().decode()
            except UnicodeDecodeError:
                raise forms.ValidationError("The file is not UTF-8 text.") from None
        if not (data.get("text") or "").strip():
            raise forms.ValidationError("Paste a zone file or choose one to upload.")
        return data
