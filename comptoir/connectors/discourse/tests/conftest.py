import pytest
from django.utils import translation

from comptoir.connectors.discourse.client import DiscourseConnector

API_KEY = "a3f1c9e07b5d4e2f8a6b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f60718293a4b5"
AUTH = {"Api-Key": API_KEY, "Api-Username": "system"}


@pytest.fixture(scope="session")
def httpserver_listen_address():
    # pytest-httpserver binds "localhost" by default; tests stay on IPv4 loopback.
    return ("127.0.0.1", 0)


@pytest.fixture(autouse=True)
def _allow_loopback_fetches(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def forum_url(httpserver):
    return httpserver.url_for("/").rstrip("/")


@pytest.fixture
def forum(forum_url):
    return DiscourseConnector(
        config={"base_url": forum_url, "mode": "posts", "default_category": 4, "mute_days": 7},
        credentials={"api_key": API_KEY, "api_username": "system"},
    )
