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
