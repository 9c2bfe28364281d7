"""What a source's or channel's failure leaves for people to read: a sentence, in the reader's language."""

import logging

import pytest
from django.utils import translation

from comptoir.conftest import membership_of
from comptoir.stream import actions, tasks
from comptoir.stream.models import Item, Source
from comptoir.workspaces.models import Channel, User


@pytest.fixture(autouse=True)
def _allow_loopback(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True
    settings.COMPTOIR_HOST_MIN_INTERVAL_SECONDS = 0


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def english_reader(analyst):
    User.objects.filter(pk=analyst.pk).update(language="en")
    analyst.refresh_from_db()
    return analyst


def _feed_source(workspace, cm, url):
    return actions.do_add_source(membership_of(cm, workspace), network="rss", label="Le Progrès", config={"url": url})


def test_a_feed_with_a_reference_to_a_lone_surrogate_is_read(workspace, cm, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Flux</title><item><guid>a-1</guid>'
        "<title>Caf&#xD800;</title><description>Ouvert &#xD800; demain</description></item></channel></rss>",
        content_type="application/rss+xml",
    )
    source = _feed_source(workspace, cm, httpserver.url_for("/feed.xml"))

    result = tasks.poll_source.call(source.pk)

    source.refresh_from_db()
    assert result == {"created": 1, "duplicates": 0}
    assert source.status == Source.Status.OK and source.last_error == ""
    assert Item.objects.get(source=source).text == "Ouvert \ufffd demain"


def test_an_unexpected_failure_is_a_sentence_for_people_and_a_traceback_for_the_admin(workspace, cm, caplog):
    # A channel whose connector is no longer installed: reading it fails inside Comptoir, not on the network.
    channel = Channel.objects.create(workspace=workspace, network="gone", handle="@gone")
    source = Source.objects.create(workspace=workspace, channel=channel, network="gone", label="Gone")

    with caplog.at_level(logging.ERROR, logger="comptoir.stream"), translation.override("en"):
        tasks.poll_source.call(source.pk)

    source.refresh_from_db()
    channel.refresh_from_db()
    assert "KeyError" in caplog.text and "Traceback" in caplog.text
    for obj in (source, channel):
        with translation.override("en"):
            assert obj.last_error.startswith("Comptoir could not read this source because of an unexpected problem")
            assert "Error" not in obj.last_error and "gone" not in obj.last_error
        with translation.override("fr"):
            assert obj.last_error.startswith("Comptoir n'a pas pu lire cette source")


def test_a_source_error_is_shown_in_the_language_of_whoever_reads_it(workspace, cm, english_reader, httpserver, as_user):
    httpserver.expect_request("/feed.xml").respond_with_data("busy", status=503)
    source = _feed_source(workspace, cm, httpserver.url_for("/feed.xml"))
    with translation.override("en"):  # the worker's language
        tasks.poll_source.call(source.pk)

    french = as_user(cm).get("/w/velo/sources/").content.decode()
    english = as_user(english_reader).get("/w/velo/sources/").content.decode()

    assert "Le site demande à Comptoir de ralentir (erreur 503)" in french
    assert "The site asks Comptoir to slow down (error 503)" in english
    assert "The site asks" not in french
