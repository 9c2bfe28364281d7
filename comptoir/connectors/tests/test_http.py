"""What every account API's connector shares: timestamps, time limits and what an error status means."""

import datetime as dt

import pytest
from django.utils import translation

from comptoir.connectors.base import AuthenticationFailed, BaseConnector
from comptoir.connectors.http import parse_time, status_error
from comptoir.lib.i18n import gettext, render

REFUSED = AuthenticationFailed("token refused")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _error(status, retry_after=None):
    return status_error(status, server=gettext("Mastodon (%(host)s)") % {"host": "piaille.fr"}, refused=REFUSED,
                        retry_after=retry_after)


def test_a_refused_credential_is_the_connector_s_own_message():
    assert _error(401) is REFUSED


def test_a_rate_limit_is_retried_and_says_when_if_the_server_said():
    later, timed = _error(429), _error(429, retry_after=42.4)
    assert later.retryable and later.status == 429 and later.retry_after is None
    assert later.message == "Mastodon (piaille.fr) asks Comptoir to slow down (rate limit). Comptoir will try again later."
    assert timed.retry_after == 42.4 and timed.message.endswith("Comptoir will try again in 42 seconds.")


@pytest.mark.parametrize("status", [408, 425, 500, 502, 503, 504])
def test_an_unavailable_server_is_retried(status):
    error = _error(status, retry_after=5)
    assert error.retryable and error.status == status and error.retry_after == 5
    assert error.message == f"Mastodon (piaille.fr) is unavailable (error {status}). Comptoir will try again later."
    with translation.override("fr"):  # made in English, read again in French from its code
        assert render(error.code, error.params) == (
            f"Mastodon (piaille.fr) est indisponible (erreur {status}). Comptoir réessaiera plus tard.")


@pytest.mark.parametrize("status", [None, 200, 400, 403, 404, 422])
def test_other_statuses_are_worded_by_each_connector(status):
    assert _error(status) is None


def test_api_timestamps_are_aware_utc_and_anything_else_is_none():
    assert parse_time("2026-03-02T08:41:27.114Z") == dt.datetime(2026, 3, 2, 8, 41, 27, 114000, tzinfo=dt.UTC)
    assert parse_time("2026-03-02T09:41:27+01:00") == dt.datetime(2026, 3, 2, 8, 41, 27, tzinfo=dt.UTC)
    assert parse_time("2026-03-02T08:41:27") == dt.datetime(2026, 3, 2, 8, 41, 27, tzinfo=dt.UTC)
    assert [parse_time(v) for v in (None, "", "hier", 1700000000, ["2026"])] == [None] * 5


def test_a_connector_s_time_limit_is_its_own_setting_else_the_fetch_setting(settings):
    settings.COMPTOIR_FETCH_TIMEOUT_SECONDS = 12
    assert BaseConnector(config={"timeout": 3})._timeout() == 3.0
    assert [BaseConnector(config={"timeout": v})._timeout() for v in (None, 0, -1, True, "5")] == [12.0] * 5
