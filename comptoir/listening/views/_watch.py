"""Small helpers shared by the dashboard, alerts, incidents and curation screens."""

from django.contrib import messages
from django.core.exceptions import ValidationError

MAX_ID = 2**63 - 1


def as_id(value) -> int | None:
    """A primary key from a form or a query string, or None for anything else (text, negatives, huge numbers)."""
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def form_errors(form, exc: ValidationError) -> None:
    """Put an action's errors on the form's fields (or on the form when the field is not one of its own)."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)
