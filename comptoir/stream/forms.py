"""The Fil's filters, checked like any form: a value out of range gets a message naming the field."""

import datetime as dt

from django import forms
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from .models import Item, LabelCorrection

# Far enough for any archive and any plan; beyond, time zones would push instants out of what
# Python and the databases can hold (0001-01-01 in Paris is before year 1 in UTC).
FIRST_DAY = dt.date(1900, 1, 1)
LAST_DAY = dt.date(2999, 12, 31)
MAX_ID = 2**63 - 1


def _choices(values) -> list[tuple[str, str]]:
    return [("", "")] + [(v, v) for v in values]


class StreamFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, strip=True)
    source = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    kind = forms.ChoiceField(required=False, choices=_choices(Item.Kind.values))
    lang = forms.RegexField(required=False, regex=r"^[a-z]{2,3}$", max_length=3)
    sentiment = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["sentiment"]))
    intent = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["intent"]))
    toxicity = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["toxicity"]))
    spam = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["spam"]))
    complaint = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["complaint"]))
    reviewed = forms.TypedChoiceField(required=False, choices=[("", ""), ("yes", "yes"), ("no", "no")],
                                      coerce=lambda v: v == "yes", empty_value=None)
    tag = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    author = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    since = forms.DateField(required=False, input_formats=["%Y-%m-%d"])
    until = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    FIELD_NAMES = {
        "q": _("Search"), "source": _("Channel or source"), "kind": _("Kind"), "lang": _("Language"),
        "sentiment": _("Sentiment"), "intent": _("Intent"), "toxicity": _("Toxicity"), "spam": _("Spam"),
        "complaint": _("Complaint"), "reviewed": _("Reviewed"), "tag": _("Tag"), "author": _("Author"),
        "since": _("From"), "until": _("To"),
    }
    # The filters under "More filters" (the group opens by itself when one of them is set).
    MORE_FIELDS = ("kind", "lang", "toxicity", "spam", "complaint", "tag", "author", "since", "until")

    def __init__(self, data, *args, workspace=None, **kwargs):
        # Only the filters: other parameters of the page (page, format, view) are not this form's. ``workspace``
        # is for a screen's own filters that name the workspace's objects (listening: its topics).
        self.workspace = workspace
        super().__init__({k: data.get(k, "") for k in self.base_fields}, *args, **kwargs)
        self.fields["source"].error_messages["invalid"] = _("Choose a channel or source from the list.")
        for name in ("since", "until"):
            self.fields[name].error_messages["invalid"] = _("Enter a date as YYYY-MM-DD, e.g. 2026-03-31.")

    def _clean_day(self, name: str):
        day = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                _("Choose a date between %(first)s and %(last)s."),
                params={"first": date_format(FIRST_DAY), "last": date_format(LAST_DAY)}, code="out_of_range")
        return day

    def clean_since(self):
        return self._clean_day("since")

    def clean_until(self):
        return self._clean_day("until")

    def clean(self):
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return cleaned

    def error_summary(self) -> list[str]:
        """Each error with the name of its filter, for a banner and for a CSV caller."""
        return [f"{self.FIELD_NAMES.get(field, field)}: {message}"
                for field, messages in self.errors.items() for message in messages]
