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


@pytest.fixture(autouse=True)
def _personas_read_english(request):
    """The moderation tests read pages in English: the personas (French by default) switch to English once made."""
    names = set(request.fixturenames)
    if not names & {"workspace", "other_workspace"}:
        yield
        return
    for name in ("workspace", "other_workspace"):
        if name in names:
            request.getfixturevalue(name)
    from comptoir.workspaces.models import User

    User.objects.update(language="en")
    yield
