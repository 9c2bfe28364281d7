import datetime as dt
import hashlib
import hmac
from pathlib import Path

import pytest

from comptoir.connectors.base import ConnectorError, ItemKind
from comptoir.connectors.discourse.client import parse_webhook, verify_webhook

DATA = Path(__file__).parent / "data"
# Discourse's own spec: spec/jobs/emit_web_hook_event_spec.rb with the secret of
# spec/fabricators/web_hook_fabricator.rb signs the ping body to this value.
DISCOURSE_SECRET = "my_lovely_secret_for_web_hook"
DISCOURSE_PING_SIGNATURE = "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6"


def headers(event, event_type="post"):
    return {
        "X-Discourse-Instance": "https://forum.example.org",
        "X-Discourse-Event-Id": "31",
        "X-Discourse-Event-Type": event_type,
        "X-Discourse-Event": event,
    }


def test_it_reproduces_discourses_own_signature_value():
    assert verify_webhook(DISCOURSE_SECRET, b'{"ping":"OK"}', DISCOURSE_PING_SIGNATURE)


def test_it_refuses_a_wrong_secret_a_tampered_body_or_a_missing_secret():
    assert not verify_webhook("another secret", b'{"ping":"OK"}', DISCOURSE_PING_SIGNATURE)
    assert not verify_webhook(DISCOURSE_SECRET, b'{"ping":"OK!"}', DISCOURSE_PING_SIGNATURE)
    unsigned = "sha256=" + hmac.new(b"", b'{"ping":"OK"}', hashlib.sha256).hexdigest()
    assert not verify_webhook("", b'{"ping":"OK"}', unsigned)


@pytest.mark.parametrize(
    "header", ["", None, "162f107f", "sha1=162f107f", "sha256=", "sha256=ZZ", "sha256=é"]
)
def test_it_refuses_malformed_signature_headers(header):
    assert not verify_webhook(DISCOURSE_SECRET, b'{"ping":"OK"}', header)


def test_post_created_gives_the_post():
    body = (DATA / "webhook_post_created.json").read_bytes()

    [item] = parse_webhook(body, headers("post_created"))

    assert item.external_id == "4817"
    assert item.kind == ItemKind.FORUM_POST
    assert item.title == "L’appli plante à l’ouverture des favoris"
    assert item.text.startswith("Bonjour à tous,\n\nDepuis la mise à jour")
    assert item.thread_external_id == "topic:912"
    assert item.parent_external_id == ""
    assert item.raw["reply_to_post_number"] == 2
    assert item.raw["event"] == "post_created"
    assert item.author.handle == "camille_m"
    assert item.author.external_id == "211"
    assert item.url == "https://forum.example.org/t/lappli-plante-a-louverture-des-favoris/912/3"
    assert item.published_at == dt.datetime(2026, 3, 2, 8, 41, 27, 114000, tzinfo=dt.UTC)


def test_post_edited_gives_the_same_external_id():
    body = (DATA / "webhook_post_created.json").read_bytes()
    [item] = parse_webhook(body, {k.lower(): v for k, v in headers("post_edited").items()})
    assert item.external_id == "4817"
    assert item.raw["event"] == "post_edited"


def test_topic_created_gives_a_topic_item():
    body = (DATA / "webhook_topic_created.json").read_bytes()

    [item] = parse_webhook(body, headers("topic_created", "topic"))

    assert item.external_id == "topic:913"
    assert item.title == "Proposition : un mode sombre pour l’appli"
    assert item.author.handle == "hugo.l"
    assert item.raw["tags"] == ["application", "bug"]


@pytest.mark.parametrize("event", ["ping", "post_destroyed", "user_created", ""])
def test_other_events_give_nothing(event):
    assert parse_webhook(b'{"ping":"OK"}', headers(event)) == []


def test_a_broken_body_is_a_clear_error():
    with pytest.raises(ConnectorError, match="not valid JSON"):
        parse_webhook(b"{not json", headers("post_created"))
    with pytest.raises(ConnectorError, match="not a JSON object"):
        parse_webhook(b"[1, 2]", headers("post_created"))


def test_a_hostile_post_is_sanitised():
    body = (
        b'{"post": {"id": 1, "topic_id": 2, "post_number": 1, "topic_title": "<img src=x onerror=alert(1)>Titre",'
        b' "cooked": "<p>ok</p><script>document.cookie</script><a href=\\"javascript:alert(1)\\">lien</a>"}}'
    )
    [item] = parse_webhook(body, headers("post_created"))
    assert item.title == "Titre"
    assert "document.cookie" not in item.text
    assert "javascript:" not in item.html and "<script" not in item.html
