from django import forms, template
from django.forms.boundfield import BoundWidget

register = template.Library()


@register.filter
def as_control(field):
    """Render a form field's widget with Bootstrap's classes and its error state."""
    input_type = getattr(field.field.widget, "input_type", "")
    css = "form-select" if input_type == "select" else "form-check-input" if input_type == "checkbox" else "form-control"
    if field.errors:
        css += " is-invalid"
    existing = field.field.widget.attrs.get("class", "")
    return field.as_widget(attrs={"class": f"{existing} {css}".strip()})


# Bootstrap Icons for each network: the Fil's rows, the channel cards.
NETWORK_ICONS = {
    "mastodon": "bi-mastodon", "bluesky": "bi-bluesky", "matrix": "bi-chat-square-text", "discourse": "bi-chat-left-dots",
    "email": "bi-envelope", "rss": "bi-rss", "web": "bi-globe2", "webhook": "bi-box-arrow-in-down", "csv": "bi-filetype-csv",
}


@register.filter
def network_icon(network: str) -> str:
    return NETWORK_ICONS.get(network, "bi-broadcast")


@register.filter
def describe_event(event) -> str:
    """An activity-log event as a sentence in the reader's language."""
    from comptoir.workspaces.audit import describe

    return describe(event)


@register.filter
def event_changes(event) -> list:
    from comptoir.workspaces.audit import changes

    return changes(event)


@register.filter
def via_label(via: str) -> str:
    from django.utils.translation import gettext as _

    return {"web": _("on the web"), "api": _("through the API"), "cli": _("from the command line"),
            "system": _("by Comptoir itself")}.get(via, via)


@register.filter
def control_kind(field):
    """How ``_field.html`` lays a field out: ``choices`` (a group of checkboxes or radios), ``checkbox``
    (one box, a yes/no field) or ``control`` (everything else: inputs, selects, text areas)."""
    widget = field.field.widget
    if isinstance(widget, forms.RadioSelect):  # CheckboxSelectMultiple is one too
        return "choices"
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    return "control"


@register.filter
def choice_controls(field):
    """The checkboxes or radios of a ``choices`` field: each with its value, its tick and its own id."""
    widget = field.field.widget
    attrs = {"class": "form-check-input is-invalid" if field.errors else "form-check-input"}
    if field.auto_id:
        attrs["id"] = field.auto_id
    return [
        BoundWidget(widget, option, field.form.renderer)
        for option in widget.subwidgets(field.html_name, field.value(), attrs=field.build_widget_attrs(attrs))
    ]
