"""The activity log reads as sentences in the reader's language, never as codes and Python dicts."""

import re
from pathlib import Path

from django.utils import translation

from comptoir.conftest import membership_of
from comptoir.connectors.base import FetchedItem, ItemKind
from comptoir.stream import actions as stream_actions
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item
from comptoir.workspaces import actions, audit
from comptoir.workspaces.models import AuditEvent, Channel

ROOT = Path(__file__).resolve().parents[2]


def _busy_log(workspace, owner, cm, moderator):
    member = membership_of(cm, workspace)
    channel = actions.do_connect_channel(member, network="webhook", handle="forum-hook", label="Forum des adhérents",
                                         config={"name": "F"}, credentials={"secret": "s" * 40})
    actions.do_set_channel_status(member, channel, Channel.Status.PAUSED)
    actions.do_update_workspace(member, {"time_zone": "America/Montreal", "description": "Nouvelle description"})
    actions.do_invite(membership_of(owner, workspace), "lea@asso.test", "moderator")
    feed = stream_actions.do_add_source(member, network="rss", label="Le Progrès", config={"url": "https://x.example/rss"})
    store_fetched(feed, [FetchedItem(external_id="1", kind=ItemKind.ARTICLE, text="Bonjour")])
    item = Item.objects.get()
    mod = membership_of(moderator, workspace)
    stream_actions.do_correct_label(mod, item, "sentiment", "negative")
    stream_actions.do_set_reviewed(mod, [item.pk], True)
    stream_actions.do_tag(mod, [item.pk], "à relayer")
    stream_actions.do_remove_source(member, feed)
    stream_actions.do_erase_messages(membership_of(owner, workspace), feed, "Le Progrès")
    actions.do_remove_channel(member, channel)


def test_every_event_reads_as_a_sentence_in_french_and_english(workspace, owner, cm, moderator, as_user):
    _busy_log(workspace, owner, cm, moderator)
    events = list(AuditEvent.objects.filter(workspace=workspace))
    assert len(events) >= 12
    for language, expected in (("fr", "Camille CM a mis en pause le canal Forum des adhérents."),
                               ("en", "Camille CM paused the channel Forum des adhérents.")):
        with translation.override(language):
            lines = [audit.describe(e) for e in events]
        assert expected in lines, lines
        for line in lines:
            assert line.endswith("."), line
            assert not re.search(r"\b\w+\.\w+\b", line.replace("Forum des adhérents.", "")) or "@" in line, line
            assert "{" not in line and "made a change" not in line and "a fait une modification" not in line, line


def test_the_activity_page_shows_sentences_and_readable_details(workspace, owner, cm, moderator, as_user):
    _busy_log(workspace, owner, cm, moderator)
    owner.language = "fr"
    owner.save()
    body = as_user(owner).get("/w/velo/activity/").content.decode()
    assert "a mis en pause le canal Forum des adhérents" in body
    assert "<code>channel.status</code>" not in body and "{&#x27;" not in body
    assert "Fuseau horaire" in body or "fuseau horaire" in body  # the details name the changed field
    assert "Europe/Paris → America/Montreal" in body
    csv = b"".join(as_user(owner).get("/w/velo/activity/?format=csv").streaming_content).decode("utf-8-sig")
    assert "a mis en pause le canal Forum des adhérents" in csv.splitlines()[-4] or "a mis en pause" in csv


def test_every_action_the_code_records_has_its_sentence(db):
    import comptoir.stream.activity  # noqa: F401 - registered by the app, imported here to be explicit

    recorded = set()
    for path in ROOT.rglob("*.py"):
        if "/tests/" in str(path) or "/migrations/" in str(path):
            continue
        recorded |= set(re.findall(r'audit\.record\([^"]*?"([a-z_]+\.[a-z_]+)"', path.read_text()))
        recorded |= set(re.findall(r'"(item\.(?:review|unreview))"', path.read_text()))
        recorded |= {f"account.password_{reason}" for reason in ("change", "reset")
                     if 'f"account.password_{reason}"' in path.read_text()}
    missing = sorted(recorded - set(audit._SENTENCES))
    assert recorded and not missing, f"actions without a sentence in the activity log: {missing}"
