"""Messages that are read later than they are written, and in another language.

A worker meets an error in its own language; a community manager reads it hours later, in
theirs. :func:`gettext` works like Django's, but the text it returns remembers its message id
and, once formatted with ``%``, the values put into it. Store :func:`code_and_params` of it;
:func:`render` gives the same sentence again in the language active when it is shown::

    from comptoir.lib.i18n import gettext as _

    error = _("%(host)s did not answer.") % {"host": host}   # the text, in the active language
    code, params = code_and_params(error)                      # what to store
    render(code, params)                                       # later, in the reader's language

A value that is itself such a message (``_("read the posts")``) is stored as a message and
translated too. A text not made this way (a server's own words) is its own code, shown as is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils import translation
from django.utils.functional import Promise

__all__ = ["Message", "StoredMessage", "code_and_params", "gettext", "render"]

# Values come from the network (a server's reason, an address): stored, but not without bound.
MAX_VALUE_LENGTH = 500
_NESTED = "_message"


class Message(str):
    """A translated text that knows its message id and the values formatted into it."""

    msgid: str
    params: dict[str, Any]

    def __new__(cls, text: str, msgid: str, params: dict[str, Any] | None = None) -> Message:
        message = super().__new__(cls, text)
        message.msgid = msgid
        message.params = params or {}
        return message

    def __getnewargs__(self) -> tuple[str, str, dict[str, Any]]:  # pickling (exceptions cross processes)
        return str(self), self.msgid, self.params

    def __mod__(self, values: Any) -> str:
        text = str.__mod__(self, values)
        if not isinstance(values, Mapping) or self.params:
            return text  # positional values, or formatted twice: only the text is known
        return Message(text, self.msgid, {str(k): _storable(v) for k, v in values.items()})


def gettext(msgid: str) -> Message:
    """Django's ``gettext``, returning a :class:`Message` that can be shown again in another language."""
    return Message(translation.gettext(msgid), msgid)


def _msgid_of(value: Promise) -> str:
    with translation.override(None):  # no language: gettext gives the message id back
        return str(value)


def _storable(value: Any) -> Any:
    if isinstance(value, Message):
        return {_NESTED: value.msgid, "params": value.params}
    if isinstance(value, Promise):
        return {_NESTED: _msgid_of(value), "params": {}}
    if value is None or isinstance(value, bool | int | float):
        return value
    return str(value)[:MAX_VALUE_LENGTH]


def code_and_params(text: Any) -> tuple[str, dict[str, Any]]:
    """What to store to show ``text`` again later: its message id and values (a plain text is its own id)."""
    if isinstance(text, Message):
        return text.msgid, dict(text.params)
    if isinstance(text, Promise):
        return _msgid_of(text), {}
    return str(text or ""), {}


def _shown(value: Any) -> Any:
    if isinstance(value, Mapping) and _NESTED in value:
        return render(str(value[_NESTED]), value.get("params"))
    return value


def render(code: str, params: Mapping[str, Any] | None = None) -> str:
    """The message ``code`` with its ``params``, in the active language; never raises.

    A code that is not a message id (a text stored before codes existed, a server's words) is
    shown as it is; a translation whose placeholders do not fit falls back to the English text.
    """
    if not code:
        return ""
    text = translation.gettext(code)
    if not params:
        return text
    values = {key: _shown(value) for key, value in params.items()}
    for template in (text, code):
        try:
            return template % values
        except (KeyError, ValueError, TypeError):
            continue
    return text


class StoredMessage:
    """A model attribute showing a message stored as two fields (its code and its values).

    Reading it renders the message in the active language; assigning a text stores its code and values.
    """

    def __init__(self, code_field: str, params_field: str):
        self.code_field, self.params_field = code_field, params_field

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return render(getattr(instance, self.code_field), getattr(instance, self.params_field))

    def __set__(self, instance: Any, value: Any) -> None:
        code, params = code_and_params(value)
        setattr(instance, self.code_field, code)
        setattr(instance, self.params_field, params)
