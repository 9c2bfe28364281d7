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
