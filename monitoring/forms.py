from django import forms

from monitoring.choices import Range, Resolution, RuleKind
from monitoring.models import AlertRule


class AlertRuleForm(forms.ModelForm):
    class Meta:
        model = AlertRule
        fields = ["name", "threshold", "duration_seconds", "enabled"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.kind in (RuleKind.DISK, RuleKind.SILENT):
            # These rules look at the latest report only: a duration would be ignored.
            del self.fields["duration_seconds"]

    def clean_threshold(self):
        threshold = self.cleaned_data["threshold"]
        if self.instance.kind == RuleKind.SILENT:
            if not 1 <= threshold <= 1000:
                raise forms.ValidationError("Give a number of missed intervals between 1 and 1000.")
        elif not 0 < threshold < 100:
            raise forms.ValidationError("Give a percentage between 0 and 100.")
        return threshold

    def clean_duration_seconds(self):
        duration = self.cleaned_data["duration_seconds"]
        if duration > 86400:
            raise forms.ValidationError("At most one day (86400 seconds).")
        return duration


class ExportForm(forms.Form):
    range = forms.ChoiceField(choices=Range.choices, initial=Range.DAY)
    resolution = forms.ChoiceField(choices=Resolution.choices, initial=Resolution.MINUTE)
