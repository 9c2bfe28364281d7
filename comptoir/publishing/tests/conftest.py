"""Channels a post can go out on, and a helper to save posts, for the publishing tests."""

import pytest
from django.utils import translation

from comptoir.conftest import membership_of
from comptoir.publishing import posts
from comptoir.publishing.models import MediaAsset
from comptoir.workspaces.models import Channel


@pytest.fixture(autouse=True)
def in_english():
    """Actions called directly speak the active language: these tests read their messages in English (pages
    speak their reader's language, French for the personas, and tests of pages read them so)."""
    with translation.override("en"):
        yield


@pytest.fixture
def mastodon(workspace):
    return Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@masto.example",
                                  label="Mastodon @velo", config={"base_url": "https://masto.example"})


@pytest.fixture
def bluesky(workspace):
    return Channel.objects.create(workspace=workspace, network="bluesky", handle="velo.bsky.example",
                                  label="Bluesky velo")


@pytest.fixture
def other_channel(other_workspace):
    return Channel.objects.create(workspace=other_workspace, network="mastodon", handle="@autre@masto.example")


@pytest.fixture
def image(workspace):
    return MediaAsset.objects.create(workspace=workspace, file="media/x/affiche.png", filename="affiche.png",
                                     kind=MediaAsset.Kind.IMAGE, content_type="image/png", size=120_000,
                                     alt_text="Une affiche jaune")


@pytest.fixture
def save(cm, workspace):
    """Save a post as the workspace's community manager (``post`` None: a new one)."""

    def _save(post=None, **data):
        return posts.do_save_post(membership_of(cm, workspace), post, data)

    return _save


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The editor keeps hashtag candidates a few minutes per workspace id; ids come back between tests."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
