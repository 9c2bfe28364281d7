"""A real local Mastodon peer: mastodon_mock (FastAPI in a thread), started once per session."""

from __future__ import annotations

import pytest
from mastodon_mock.config import DatabaseConfig, MastodonMockConfig
from mastodon_mock.testing.seed import DEFAULT_TEST_SEED
from mastodon_mock.testing.server import MockServer

from comptoir.connectors.mastodon.client import MastodonConnector


def pytest_configure(config):
    # Proposed for pyproject's markers; registered here so --strict-markers accepts it meanwhile.
    config.addinivalue_line("markers", "peers: starts real local network peers")


@pytest.fixture(autouse=True)
def _allow_loopback_targets(settings):
    settings.COMPTOIR_FETCH_ALLOW_PRIVATE = True


@pytest.fixture(scope="session")
def mastodon_peer(tmp_path_factory):
    # Our own session server (not the plugin's per-test one): it leaves no /tmp/mastodon_mock_media_*.
    config = MastodonMockConfig(
        database=DatabaseConfig(path=":memory:"),
        seed=DEFAULT_TEST_SEED,
        media_storage_path=str(tmp_path_factory.mktemp("mastodon-media")),
    )
    try:
        server = MockServer(config=config).start()
    except (RuntimeError, TimeoutError) as exc:
        pytest.fail(f"mastodon_mock did not start: {exc}", pytrace=False)
    yield server
    server.stop()


@pytest.fixture
def masto(mastodon_peer):
    """The peer, back to its seed state (alice, bob, carol; alice follows bob)."""
    mastodon_peer.reset()
    return mastodon_peer


def connector_for(server, user: str, **config) -> MastodonConnector:
    return MastodonConnector(
        config={"server": server.base_url, "handle": f"@{user}@127.0.0.1", **config},
        credentials={"access_token": f"{user}_token"},
    )


@pytest.fixture
def alice(masto) -> MastodonConnector:
    return connector_for(masto, "alice")


@pytest.fixture
def bob(masto) -> MastodonConnector:
    return connector_for(masto, "bob")


@pytest.fixture(autouse=True)
def _messages_in_english():
    # Assertions read the English messages; the French catalogue is checked by comptoir/tests/test_i18n.py.
    from django.utils import translation

    with translation.override("en"):
        yield
