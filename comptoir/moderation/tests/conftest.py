"""Personas come from comptoir/conftest.py; the inbox tests' helpers bring messages (``bring``, ``message``)."""

import pytest
from django.utils import translation

from comptoir.inbox.tests.conftest import channel, other_channel  # noqa: F401 (fixtures)
from comptoir.publishing.tests.delivery_fixtures import masto, mastodon_peer  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def in_english():
    """Actions called directly speak the active language: these tests read their messages in English."""
    with translation.override("en"):
        yield
