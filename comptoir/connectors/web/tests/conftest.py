import pytest
from django.utils import translation


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
