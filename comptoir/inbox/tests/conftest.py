"""Personas come from comptoir/conftest.py; here: English messages, owned channels and a way to bring messages in."""

import datetime as dt

import pytest
from django.utils import timezone, translation

from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.publishing.tests.delivery_fixtures import masto, mastodon_peer  # noqa: F401 (fixtures)
from comptoir.stream.actions import source_for_channel
from comptoir.stream.ingest import store_fetched
from comptoir.stream.tasks import analyse_items
from comptoir.workspaces.models import Channel


@pytest.fixture(autouse=True)
def in_english():
    """Actions called directly speak the active language: these tests read their messages in English."""
    with translation.override("en"):
        yield


@pytest.fixture
def channel(workspace):
    """An owned Mastodon channel (not connected to a peer: for tests that only store messages)."""
    return Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@masto.example",
                                  label="Mastodon @velo", config={"server": "https://masto.example"})


@pytest.fixture
def other_channel(other_workspace):
    return Channel.objects.create(workspace=other_workspace, network="mastodon", handle="@autre@masto.example",
                                  label="Mastodon @autre", config={"server": "https://masto.example"})


def message(external_id: str, text: str, *, who: str = "lea@masto.example", kind=ItemKind.REPLY, parent: str = "",
            thread: str = "", minutes: int = 0, title: str = "") -> FetchedItem:
    return FetchedItem(external_id=external_id, kind=kind, text=text, title=title,
                       author=Author("mastodon", who, display_name=who.split("@")[0].title()),
                       published_at=timezone.now() - dt.timedelta(minutes=60 - minutes),
                       parent_external_id=parent, thread_external_id=thread)


def bring(channel, *fetched: FetchedItem) -> list[int]:
    """Messages arrive on ``channel`` as a poll brings them: stored, then analysed (which threads them)."""
    source = source_for_channel(channel)
    stored = store_fetched(source, list(fetched))
    analyse_items.call(stored.item_ids, fast=True)
    return stored.item_ids
