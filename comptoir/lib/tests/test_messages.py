"""Messages written in one language and read later in another (comptoir.lib.i18n)."""

import pickle

from django.utils import translation

from comptoir.connectors.base import ConnectorError
from comptoir.lib.i18n import Message, code_and_params, gettext, render

NOT_FOUND = (
    "The host name %(host)s could not be found. Check the spelling of the address, or try again later if the "
    "site is temporarily unavailable."
)


def test_a_message_met_in_english_is_read_again_in_french():
    with translation.override("en"):
        error = gettext(NOT_FOUND) % {"host": "flux.example"}
    assert error.startswith("The host name flux.example could not be found.")

    code, params = code_and_params(error)

    assert (code, params) == (NOT_FOUND, {"host": "flux.example"})
    with translation.override("fr"):
        assert render(code, params).startswith("Le nom d'hôte flux.example est introuvable")
    with translation.override("en"):
        assert render(code, params) == error


def test_a_value_that_is_itself_a_message_is_translated_too():
    with translation.override("en"):
        error = gettext("Bluesky could not %(what)s: %(detail)s") % {"what": gettext("read posts"), "detail": "Boom"}
    code, params = code_and_params(error)
    assert params["what"] == {"_message": "read posts", "params": {}}
    with translation.override("fr"):
        assert render(code, params) == "Bluesky n'a pas pu lire des publications : Boom"


def test_a_connector_error_hands_over_its_code_and_values():
    with translation.override("fr"):
        exc = ConnectorError(gettext(NOT_FOUND) % {"host": "x.example"}, retryable=True)
    assert exc.message.startswith("Le nom d'hôte x.example")
    assert exc.code == NOT_FOUND and exc.params == {"host": "x.example"}


def test_a_plain_text_is_its_own_code_and_is_shown_as_it_is():
    assert code_and_params("Erreur 503 : site indisponible") == ("Erreur 503 : site indisponible", {})
    assert render("Erreur 503 : site indisponible", {}) == "Erreur 503 : site indisponible"
    assert render("100% broken", {}) == "100% broken"
    assert render("", {"host": "x"}) == ""


def test_values_that_do_not_fit_the_text_never_break_the_page():
    assert render("%(host)s did not answer.", {"other": 1}) == "%(host)s did not answer."
    assert render("%(count)d items", {"count": "many"}) == "%(count)d items"


def test_long_values_from_the_network_are_cut_and_odd_ones_kept_as_text():
    message = gettext("%(a)s %(b)s %(c)s") % {"a": "x" * 5000, "b": 3, "c": ValueError("no")}
    assert message.params == {"a": "x" * 500, "b": 3, "c": "no"}


def test_a_message_survives_pickling_with_its_code():
    message = gettext("%(host)s is down") % {"host": "a.example"}
    copy = pickle.loads(pickle.dumps(message))  # noqa: S301 - our own bytes, just made
    assert isinstance(copy, Message) and copy == message and code_and_params(copy) == code_and_params(message)


def test_positional_formatting_gives_a_plain_text():
    assert type(gettext("%s and %s") % ("a", "b")) is str
