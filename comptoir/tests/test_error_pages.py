"""The 500 page is the app's own, in the visitor's language, and renders with the database down."""

import pytest
from django.db import OperationalError, connection
from django.test import Client, RequestFactory

from comptoir import errors
from comptoir.conftest import client_for


@pytest.fixture
def raising_site(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "comptoir.tests.urls_raising"
    client = Client(raise_request_exception=False)
    return client


def _assert_is_our_page(response):
    body = response.content.decode()
    assert response.status_code == 500
    assert 'class="cpt-auth' in body and "comptoir.css" in body
    return body


@pytest.mark.django_db
@pytest.mark.parametrize("headers, expected, other", [
    ({"HTTP_ACCEPT_LANGUAGE": "en-GB,en;q=0.8"}, "Something went wrong", "Une erreur"),
    ({"HTTP_ACCEPT_LANGUAGE": "fr-FR"}, "Une erreur", "Something went wrong"),
    ({}, "Une erreur", "Something went wrong"),
])
def test_a_crashing_view_shows_the_apps_own_500_page_in_the_visitors_language(raising_site, headers, expected, other):
    body = _assert_is_our_page(raising_site.get("/raising/", **headers))
    assert expected in body and other not in body


@pytest.mark.django_db
def test_the_language_cookie_wins_over_the_browser_on_the_500_page(raising_site, settings):
    raising_site.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    body = _assert_is_our_page(raising_site.get("/raising/", HTTP_ACCEPT_LANGUAGE="fr"))
    assert "Something went wrong" in body


def test_the_500_page_renders_without_touching_the_database():
    # No database fixture: pytest-django makes any query in here an error.
    response = errors.server_error(RequestFactory().get("/w/velo/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "Something went wrong" in _assert_is_our_page(response)


def _database_down(execute, sql, params, many, context):
    raise OperationalError("could not connect to server: Connection refused")


def test_a_logged_in_member_gets_the_500_page_when_the_database_is_down(settings, workspace, cm):
    settings.DEBUG = False
    client = client_for(cm)
    client.raise_request_exception = False
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    with connection.execute_wrapper(_database_down):
        response = client.get("/w/velo/")
    assert "Something went wrong" in _assert_is_our_page(response)


def test_the_500_page_offers_no_form_that_would_need_the_session(settings):
    body = errors.server_error(RequestFactory().get("/")).content.decode()
    assert "<form" not in body and "csrfmiddlewaretoken" not in body
