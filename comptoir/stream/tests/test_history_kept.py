"""Nothing a community stored is lost: removing a channel or a source keeps its messages; only an owner erases."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import RestrictedError
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.stream import actions, clock, tasks
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, LabelCorrection, Source
from comptoir.workspaces import actions as ws_actions
from comptoir.workspaces.models import AuditEvent, Channel, Workspace


def _fetched(n: int, prefix: str = "m") -> list[FetchedItem]:
    return [FetchedItem(external_id=f"{prefix}-{i}", kind=ItemKind.COMMENT, text=f"Message numéro {i} sur l'atelier vélo",
                        author=Author("webhook", f"membre{i}"), published_at=timezone.now()) for i in range(n)]


@pytest.fixture
def hook(workspace, cm):
    return ws_actions.do_connect_channel(membership_of(cm, workspace), network="webhook", handle="Formulaire contact",
                                         config={"name": "Formulaire", "require_timestamp": True},
                                         credentials={"secret": "s" * 40})


@pytest.fixture
def hook_with_history(hook, workspace, moderator):
    source = Source.objects.get(channel=hook)
    store_fetched(source, _fetched(3))
    item = Item.objects.filter(source=source).first()
    actions.do_correct_label(membership_of(moderator, workspace), item, "sentiment", "negative")
    return hook


@pytest.fixture
def feed(workspace, cm):
    source = actions.do_add_source(membership_of(cm, workspace), network="rss", label="Le Progrès",
                                   config={"url": "https://www.leprogres.fr/rss"})
    store_fetched(source, _fetched(4, "rss"))
    return source


def test_removing_a_channel_keeps_its_messages_and_corrections(workspace, cm, hook_with_history):
    kept = ws_actions.do_remove_channel(membership_of(cm, workspace), hook_with_history)
    assert kept == 3
    assert Item.objects.filter(channel=hook_with_history).count() == 3
    assert LabelCorrection.objects.count() == 1
    hook_with_history.refresh_from_db()
    assert hook_with_history.removed_at and hook_with_history.credentials == {}
    source = Source.objects.get(channel=hook_with_history)
    assert source.removed_at and source.next_poll_at is None
    event = AuditEvent.objects.get(action="channel.remove")
    assert event.after["messages_kept"] == 3 and "s" * 40 not in str(event.before)


def test_removing_a_listening_source_keeps_its_messages(workspace, cm, feed):
    assert actions.do_remove_source(membership_of(cm, workspace), feed) == 4
    assert Item.objects.filter(source=feed).count() == 4
    feed.refresh_from_db()
    assert feed.removed_at and feed.status == Source.Status.PAUSED
    assert AuditEvent.objects.get(action="source.remove").after == {"messages_kept": 4}


def test_no_cascade_from_a_channel_or_a_source_to_what_came_in(hook_with_history, feed):
    # Deleting the rows by accident (a shell, a future bug) must fail rather than take the history along.
    with pytest.raises(RestrictedError):
        feed.delete()
    with pytest.raises(RestrictedError):
        Source.objects.get(channel=hook_with_history).delete()
    with pytest.raises(RestrictedError):
        hook_with_history.delete()
    with pytest.raises(RestrictedError):
        Item.objects.filter(corrections__isnull=False).first().delete()
    assert Item.objects.count() == 7 and LabelCorrection.objects.count() == 1


def test_deleting_a_whole_workspace_still_takes_everything_along(workspace, hook_with_history, feed):
    Workspace.objects.filter(pk=workspace.pk).delete()
    assert not Item.objects.exists() and not LabelCorrection.objects.exists() and not Source.objects.exists()


def test_removed_sources_are_no_longer_polled(workspace, cm, feed):
    actions.do_remove_source(membership_of(cm, workspace), feed)
    # Even if something scheduled it and called it healthy, a removed source is not read again.
    Source.objects.filter(pk=feed.pk).update(next_poll_at=timezone.now(), status=Source.Status.OK)
    assert feed.pk not in clock.claim_due_sources()
    assert tasks.poll_source.call(feed.pk) == {"skipped": True}


def test_connecting_a_removed_account_again_brings_back_its_history(workspace, cm, hook_with_history):
    member = membership_of(cm, workspace)
    source_id = Source.objects.get(channel=hook_with_history).pk
    ws_actions.do_remove_channel(member, hook_with_history)
    again = ws_actions.do_connect_channel(member, network="webhook", handle="Formulaire contact",
                                          config={"name": "Formulaire"}, credentials={"secret": "t" * 40})
    assert again.pk == hook_with_history.pk and again.removed_at is None and again.credentials == {"secret": "t" * 40}
    source = Source.objects.get(channel=again)
    assert source.pk == source_id and source.removed_at is None
    assert store_fetched(source, _fetched(3)).created == 0  # the same messages are not stored twice
    assert AuditEvent.objects.filter(action="channel.reconnect").count() == 1


def test_the_stream_shows_where_kept_messages_came_from(workspace, cm, as_user, hook_with_history, feed):
    member = membership_of(cm, workspace)
    ws_actions.do_remove_channel(member, hook_with_history)
    actions.do_remove_source(member, feed)
    body = as_user(cm).get("/w/velo/stream/?q=atelier").content.decode()
    assert body.count("Message numéro 0") == 2
    assert "from a removed channel" in body or "d’un canal supprimé" in body or "canal supprimé" in body
    assert body.count('data-testid="removed-origin"') == 7


def test_the_channel_removal_page_says_how_many_messages_are_kept(workspace, cm, as_user, hook_with_history):
    client = as_user(cm)
    page = client.get(f"/w/velo/channels/{hook_with_history.pk}/remove/")
    assert page.status_code == 200 and 'data-testid="kept"' in page.content.decode()
    assert "3" in page.content.decode().split('data-testid="kept"')[1][:200]
    assert Channel.objects.connected().filter(pk=hook_with_history.pk).exists()  # a GET changes nothing
    response = client.post(f"/w/velo/channels/{hook_with_history.pk}/remove/")
    assert response.status_code == 302
    assert Item.objects.filter(channel=hook_with_history).count() == 3
    listing = client.get("/w/velo/channels/").content.decode()
    assert 'data-testid="removed-channels"' in listing


def test_a_source_is_removed_only_after_a_confirmation_page(workspace, cm, as_user, feed):
    client = as_user(cm)
    assert client.post(f"/w/velo/sources/{feed.pk}/", {"action": "remove"}).status_code == 302
    feed.refresh_from_db()
    assert feed.removed_at is None  # the old one-click removal is gone
    page = client.get(f"/w/velo/sources/{feed.pk}/remove/").content.decode()
    assert 'data-testid="kept"' in page and "4" in page.split('data-testid="kept"')[1][:200]
    client.post(f"/w/velo/sources/{feed.pk}/remove/")
    feed.refresh_from_db()
    assert feed.removed_at and Item.objects.filter(source=feed).count() == 4


def test_only_an_owner_erases_and_only_a_removed_channel_or_source(workspace, owner, cm, as_user, feed):
    assert as_user(cm).get(f"/w/velo/sources/{feed.pk}/erase/").status_code == 403
    assert as_user(owner).get(f"/w/velo/sources/{feed.pk}/erase/").status_code == 404  # not removed yet
    with pytest.raises(ValidationError):  # the action refuses too, whatever the entry point
        actions.do_erase_messages(membership_of(owner, workspace), feed, "Le Progrès")
    actions.do_remove_source(membership_of(cm, workspace), feed)
    with pytest.raises(PermissionDenied):  # a manager removes; only an owner erases
        actions.do_erase_messages(membership_of(cm, workspace), feed, "Le Progrès")
    assert Item.objects.filter(source=feed).count() == 4


def test_erasing_needs_the_name_typed_and_logs_the_counts(workspace, owner, cm, moderator, as_user, feed):
    actions.do_correct_label(membership_of(moderator, workspace), Item.objects.filter(source=feed).first(), "spam", "spam")
    actions.do_remove_source(membership_of(cm, workspace), feed)
    client = as_user(owner)
    page = client.get(f"/w/velo/sources/{feed.pk}/erase/").content.decode()
    assert 'data-testid="erase-counts"' in page
    counts = page.split('data-testid="erase-counts"')[1][:300]
    assert "4" in counts and "1" in counts
    wrong = client.post(f"/w/velo/sources/{feed.pk}/erase/", {"confirmation": "le progres"})
    assert wrong.status_code == 400 and Item.objects.filter(source=feed).count() == 4
    done = client.post(f"/w/velo/sources/{feed.pk}/erase/", {"confirmation": "Le Progrès"})
    assert done.status_code == 302
    assert not Item.objects.filter(source_id=feed.pk).exists() and not LabelCorrection.objects.exists()
    assert not Source.objects.filter(pk=feed.pk).exists()
    event = AuditEvent.objects.get(action="stream.erase")
    assert event.before["messages"] == 4 and event.before["corrections"] == 1 and event.actor == owner


def test_erasing_a_removed_channel_takes_its_row_along(workspace, owner, cm, hook_with_history):
    ws_actions.do_remove_channel(membership_of(cm, workspace), hook_with_history)
    source = Source.objects.get(channel=hook_with_history)
    counts = actions.do_erase_messages(membership_of(owner, workspace), source, source.label)
    assert counts == {"messages": 3, "corrections": 1}
    assert not Channel.objects.filter(pk=hook_with_history.pk).exists() and not Item.objects.exists()


def test_outsiders_cannot_reach_removal_or_erasure(workspace, cm, outsider, as_user, feed, hook):
    actions.do_remove_source(membership_of(cm, workspace), feed)
    client = as_user(outsider)
    assert client.get(f"/w/velo/sources/{feed.pk}/erase/").status_code == 404
    assert client.post(f"/w/velo/sources/{feed.pk}/erase/", {"confirmation": "Le Progrès"}).status_code == 404
    assert client.post(f"/w/velo/channels/{hook.pk}/remove/").status_code == 404
    assert client.get(f"/w/autre/sources/{feed.pk}/erase/").status_code in (403, 404)
    assert Item.objects.filter(source=feed).count() == 4
    assert Channel.objects.connected().filter(pk=hook.pk).exists()
