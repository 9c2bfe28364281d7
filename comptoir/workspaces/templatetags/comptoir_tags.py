from django import template

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
