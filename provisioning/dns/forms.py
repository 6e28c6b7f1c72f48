"""Forms of the zone pages; the rules themselves live in validation.py and services.py."""

from __future__ import annotations

from django import forms

from provisioning.dns.choices import RecordType
from provisioning.dns.models import ZoneTemplate
from provisioning.dns.validation import RecordInput

# strip=False on what the DNS rules check: they refuse a CR or LF (even a trailing one)
# with a message on the field, where the form's stripping would quietly drop it.


class ZoneCreateForm(forms.Form):
    name = forms.CharField(
        max_length=253,
        strip=False,
        label="Domain",
        help_text="For example example.com or bücher.example.",
    )
    template = forms.ChoiceField(required=False, label="Start with")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        templates = ZoneTemplate.objects.values_list("slug", "label")
        self.fields["template"].choices = [("", "Empty zone (SOA and NS only)"), *templates]


class RecordForm(forms.Form):
    name = forms.CharField(
        max_length=253, required=False, strip=False, help_text="@ for the zone itself"
    )
    type = forms.ChoiceField(choices=RecordType.choices)
    ttl = forms.CharField(
        max_length=10, required=False, strip=False, label="TTL", help_text="seconds"
    )
    value = forms.CharField(max_length=4000, strip=False, widget=forms.TextInput)

    def as_input(self) -> RecordInput:
        data = self.cleaned_data
        return RecordInput(data["name"], data["type"], data["ttl"], data["value"])


class RecordFilterForm(forms.Form):
    type = forms.ChoiceField(choices=[("", "All types"), *RecordType.choices], required=False)
    name = forms.CharField(
        max_length=253,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "Name contains…", "aria-label": "Name"}),
    )


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


class ZoneTemplateForm(forms.ModelForm):
    records_text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 8}),
        required=False,
        label="Records",
        help_text="One per line: name type value, e.g. www CNAME @ (names relative to the zone).",
    )

    class Meta:
        model = ZoneTemplate
        fields = ["slug", "label"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["records_text"].initial = self.instance.as_text()

    def clean_records_text(self) -> list[list[str]]:
        """Each line checked like a record of a zone example.com (every rule, by line)."""
        from provisioning.dns.validation import validate_records

        records, inputs = [], []
        for number, line in enumerate(self.cleaned_data["records_text"].splitlines(), start=1):
            parts = line.split(None, 2)
            if not parts:
                continue
            if len(parts) < 3:
                raise forms.ValidationError(f"Line {number}: write name type value.")
            records.append([parts[0], parts[1].upper(), parts[2].strip()])
            inputs.append(RecordInput(parts[0], parts[1], None, parts[2], line=number))
        _, issues = validate_records("example.com.", inputs)
        if issues:
            raise forms.ValidationError([str(issue) for issue in issues])
        return records

    def save(self, commit: bool = True) -> ZoneTemplate:
        self.instance.records = self.cleaned_data["records_text"]
        return super().save(commit)
