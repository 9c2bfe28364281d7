"""The inbox's filters, checked like the Fil's: a value out of range gets a message naming the filter."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.stream.forms import MAX_ID
from comptoir.stream.models import LabelCorrection

from .models import Conversation

# How long a member has waited for an answer: filter value → seconds.
WAITING = {"1h": 3600, "4h": 4 * 3600, "24h": 86400, "72h": 3 * 86400}


def _choices(values) -> list[tuple[str, str]]:
    return [("", "")] + [(v, v) for v in values]


class _PersonOrSpecial(forms.CharField):
    """A member's id, or "me", or "none" (nobody)."""

    def clean(self, value):
        value = super().clean(value)
        if value in ("", "me", "none"):
            return value
        if value.isdigit() and 0 < int(value) <= MAX_ID:
            return int(value)
        raise forms.ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")


class InboxFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=500, strip=True)
    status = forms.ChoiceField(required=False, choices=[*_choices(Conversation.Status.values), ("all", "all")])
    unread = forms.TypedChoiceField(required=False, choices=[("", ""), ("yes", "yes"), ("no", "no")],
                                    coerce=lambda v: v == "yes", empty_value=None)
    channel = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    assignee = _PersonOrSpecial(required=False, max_length=20)
    team = _PersonOrSpecial(required=False, max_length=20)
    intent = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["intent"]))
    sentiment = forms.ChoiceField(required=False, choices=_choices(LabelCorrection.TASKS["sentiment"]))
    lang = forms.RegexField(required=False, regex=r"^[a-z]{2,3}$", max_length=3)
    waiting = forms.ChoiceField(required=False, choices=_choices(WAITING))
    priority = forms.TypedChoiceField(required=False, choices=_choices([str(v) for v in Conversation.Priority.values]),
                                      coerce=int, empty_value=None)
    tag = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    person = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    identity = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    breached = forms.TypedChoiceField(required=False, choices=[("", ""), ("yes", "yes")], coerce=lambda v: v == "yes",
                                      empty_value=None)

    FIELD_NAMES = {
        "q": _("Search"), "status": _("Status"), "unread": _("Unread"), "channel": _("Channel"),
        "assignee": _("Assigned to"), "team": _("Team"), "intent": _("Intent"), "sentiment": _("Sentiment"),
        "lang": _("Language"), "waiting": _("Waiting for"), "priority": _("Priority"), "tag": _("Tag"),
        "person": _("Member"), "identity": _("Account"), "breached": _("Target missed"),
    }
    MORE_FIELDS = ("sentiment", "lang", "waiting", "priority", "tag", "breached")

    def __init__(self, data, *args, workspace=None, **kwargs):
        self.workspace = workspace
        super().__init__({k: data.get(k, "") for k in self.base_fields}, *args, **kwargs)
        self.fields["channel"].error_messages["invalid"] = _("Choose a channel from the list.")
        for name in ("assignee", "team"):
            self.fields[name].error_messages["invalid_choice"] = _("Choose someone from the list, “me” or “nobody”.")

    def error_summary(self) -> list[str]:
        return [f"{self.FIELD_NAMES.get(field, field)}: {message}"
                for field, messages in self.errors.items() for message in messages]
