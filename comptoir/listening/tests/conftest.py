"""Listening's fixtures: a workspace's sources and messages, topics made through the actions as a CM makes them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.listening import actions, tasks
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, Source


@pytest.fixture(autouse=True)
def fresh_matcher():
    """Each test compiles its own queries (ids start again after a test's rollback)."""
    tasks._compiled = None
    yield
    tasks._compiled = None


@pytest.fixture
def blog(workspace):
    return Source.objects.create(workspace=workspace, network="rss", label="Lyon Vélo Actu")


@pytest.fixture
def masto(workspace):
    return Source.objects.create(workspace=workspace, network="mastodon", label="Mastodon @velo")


def add(source, rows, *, minutes_apart: int = 10) -> list[Item]:
    """Store messages as a connector would hand them: (text, extras) or text; newest first."""
    now = timezone.now()
    fetched = []
    for n, row in enumerate(rows):
        text, extra = (row, {}) if isinstance(row, str) else row
        extra = {"language": "fr", "author": Author(source.network, f"auteur{n}"),
                 "published_at": now - timedelta(minutes=minutes_apart * n), **extra}
        fetched.append(FetchedItem(external_id=f"{source.pk}-{n}-{len(text)}", kind=ItemKind.POST, text=text, **extra))
    ids = store_fetched(source, fetched).item_ids
    return sorted(Item.objects.filter(pk__in=ids), key=lambda i: -i.sort_key)


def match(items) -> int:
    return tasks.match_items.call([i.pk for i in items])


def make_topic(member_user, workspace, name="Amis du Vélo", queries=("vélo",), **fields):
    data = {"name": name, "kind": "brand", "color": "#2f6fdf", "description": "", "sources": [], "queries": list(queries),
            **fields}
    return actions.do_create_topic(membership_of(member_user, workspace), **data)
