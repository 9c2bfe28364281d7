"""Listening's forms: a topic and its queries; the mentions' own filters on top of the Fil's."""

from django import forms
from django.utils.translation import gettext_lazy as _

from comptoir.stream.forms import MAX_ID, StreamFilterForm
from comptoir.stream.models import Source

from .models import MAX_QUERY_LENGTH, Topic

MAX_REACH = 10**12


COLOR_NAMES = dict(zip(Topic.COLORS, [_("Blue"), _("Orange"), _("Green"), _("Violet"), _("Pink"), _("Teal"), _("Amber"),
                                       _("Grey")], strict=True))


def _source_label(source: Source) -> str:
    from comptoir.connectors.base import registered_networks

    cls = registered_networks().get(source.network)
    return f"{source.label} · {cls.label if cls is not None else source.network}"


class TopicForm(forms.Form):
    """A topic's fields. Its queries are a list (``queries``, one text area each) checked one by one, each error
    shown under its own query with the column where it is (``query_rows``)."""

    name = forms.CharField(label=_("Name"), max_length=100,
                           help_text=_("As the team calls it: your brand, a competitor, a theme, a person."))
    kind = forms.ChoiceField(label=_("Kind"), choices=Topic.Kind.choices, widget=forms.RadioSelect(attrs={"class": "btn-check"}))
    color = forms.ChoiceField(label=_("Colour"), widget=forms.RadioSelect(attrs={"class": "visually-hidden"}),
                              error_messages={"invalid_choice": _("Choose one of the colours.")})
    description = forms.CharField(label=_("Description"), required=False, max_length=2000,
                                  widget=forms.Textarea(attrs={"rows": 2}),
                                  help_text=_("What the team watches here, and why."))
    sources = forms.ModelMultipleChoiceField(
        label=_("Sources"), required=False, queryset=Source.objects.none(),
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        help_text=_("None ticked: every message of the workspace. Ticked: only what these sources bring."),
        error_messages={"invalid_choice": _("Choose among the listening sources of this workspace."),
                        "invalid_pk_value": _("Choose among the listening sources of this workspace.")})

    def __init__(self, data=None, *, workspace, topic: Topic | None = None, extra_queries: int = 0):
        initial = {"kind": Topic.Kind.BRAND, "color": Topic.COLORS[0]}
        texts: list[str] = []
        if topic is not None:
            initial = {"name": topic.name, "kind": topic.kind, "color": topic.color, "description": topic.description,
                       "sources": list(topic.sources.values_list("pk", flat=True))}
            texts = list(topic.queries.order_by("pk").values_list("text", flat=True))
        super().__init__(data, initial=initial)
        self.workspace = workspace
        colors = list(Topic.COLORS)
        if topic is not None and topic.color not in colors:
            colors.append(topic.color)  # a colour set elsewhere (the API) stays choosable
        self.fields["color"].choices = [(c, COLOR_NAMES.get(c, c)) for c in colors]
        self.fields["sources"].queryset = Source.objects.current().filter(workspace=workspace).order_by("label")
        self.fields["sources"].label_from_instance = _source_label
        if data is not None:
            texts = [str(t)[: MAX_QUERY_LENGTH * 2] for t in data.getlist("queries")][:50]
        # The queries, and empty text areas to add one more without any script (``extra_queries`` more on demand).
        texts = [t for t in texts if t.strip()]
        texts += [""] * (1 + extra_queries)
        self.query_rows = [{"index": n, "text": t, "error": "", "test": None} for n, t in enumerate(texts)]
        self.queries_error = ""

    def clean(self):
        from . import actions

        cleaned = super().clean()
        texts = []
        for row in self.query_rows:
            if not row["text"].strip():
                continue
            try:
                actions.check_query(row["text"])
            except forms.ValidationError as exc:
                row["error"] = " ".join(exc.messages)
            texts.append(row["text"])
        if any(row["error"] for row in self.query_rows):
            raise forms.ValidationError(_("A query has a mistake: see below, where the column tells where it is."))
        if not texts:
            self.queries_error = str(_("Give the topic at least one query: the words that make a message one of "
                                       "its mentions."))
            raise forms.ValidationError(self.queries_error)
        if len(texts) > 20:
            self.queries_error = str(_("A topic has at most %(max)d queries: join some with OR.") % {"max": 20})
            raise forms.ValidationError(self.queries_error)
        cleaned["queries"] = texts
        return cleaned

    def action_fields(self) -> dict:
        data = self.cleaned_data
        return {"name": data["name"], "kind": data["kind"], "color": data["color"], "description": data["description"],
                "sources": [s.pk for s in data["sources"]], "queries": data["queries"]}

    def take_errors(self, exc: forms.ValidationError) -> None:
        """The action's errors (a name taken since, a source removed since) on the fields they name."""
        for name, errors in exc.message_dict.items():
            if name == "queries":
                self.queries_error = " ".join(errors)
                self.add_error(None, errors)
            else:
                self.add_error(name if name in self.fields else None, errors)


class MentionFilterForm(StreamFilterForm):
    """The Fil's filters, and a topic and a minimum reach."""

    topic = forms.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    reach = forms.IntegerField(required=False, min_value=0, max_value=MAX_REACH)

    FIELD_NAMES = {**StreamFilterForm.FIELD_NAMES, "topic": _("Topic"), "reach": _("Reach")}
    MORE_FIELDS = (*StreamFilterForm.MORE_FIELDS, "reach")

    def __init__(self, data, *args, **kwargs):
        super().__init__(data, *args, **kwargs)
        self.fields["topic"].error_messages["invalid"] = _("Choose a topic from the list.")
        self.fields["reach"].error_messages["invalid"] = _("Enter a whole number, e.g. 1000.")

    def clean_topic(self):
        topic = self.cleaned_data.get("topic")
        if topic is not None and not Topic.objects.filter(pk=topic, workspace=self.workspace).exists():
            raise forms.ValidationError(_("Choose a topic from the list."), code="unknown_topic")
        return topic
