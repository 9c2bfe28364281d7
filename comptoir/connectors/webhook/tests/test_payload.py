import datetime as dt
import json
from pathlib import Path

import pytest

from comptoir.connectors.base import Action, ConnectorError, ItemKind, get_connector_class
from comptoir.connectors.webhook.client import MAX_ITEMS, WebhookConnector, parse_payload

DATA = Path(__file__).parent / "data"


def payload(*items, **extra):
    return json.dumps({"items": list(items), **extra}).encode()


def refusal(body: bytes) -> str:
    with pytest.raises(ConnectorError) as excinfo:
        parse_payload(body)
    return excinfo.value.message


def test_it_turns_a_batch_into_items():
    items = parse_payload((DATA / "support_tickets.json").read_bytes())

    assert [i.external_id for i in items] == ["ticket-1842", "1843", "survey-77"]
    ticket, answer, review = items
    assert ticket.kind == ItemKind.DIRECT_MESSAGE
    assert ticket.title == "Commande n°18422 toujours pas arrivée"
    assert ticket.text.startswith("Bonjour,\nj'ai commandé")
    assert ticket.author.handle == "marie.dupont@example.fr"
    assert ticket.author.display_name == "Marie Dupont"
    assert ticket.author.network == "webhook"
    assert ticket.published_at == dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)
    assert ticket.language == "fr"
    assert ticket.raw == {"meta": {"priority": "high", "channel": "contact-form"}}
    assert answer.parent_external_id == "ticket-1842"
    assert answer.thread_external_id == "ticket-1842"
    assert answer.published_at == dt.datetime(2026, 3, 2, 8, 45, 12, tzinfo=dt.UTC)
    assert review.kind == ItemKind.REVIEW
    assert review.language == "en-gb"
    assert review.published_at is None


def test_a_single_object_is_one_item_of_kind_post():
    [item] = parse_payload(b'{"id": "x1", "text": "Salut"}')
    assert (item.external_id, item.kind, item.text, item.author) == ("x1", ItemKind.POST, "Salut", None)


def test_an_empty_batch_is_no_items():
    assert parse_payload(b'{"items": []}') == []


def test_a_utf8_bom_is_accepted():
    [item] = parse_payload("\ufeff".encode() + '{"id": "x1", "text": "Œuvre"}'.encode())
    assert item.text == "Œuvre"


def test_it_names_the_bad_field_and_its_index():
    good = {"id": "ok", "text": "fine"}
    body = payload(good, dict(good, id="b"), dict(good, id="c"), {"id": "d", "text": 42})
    assert "items[3].text: must be a string" in refusal(body)


def test_one_bad_item_refuses_the_whole_batch():
    body = payload({"id": "a", "text": "fine"}, {"id": "b"})
    message = refusal(body)
    assert "nothing was kept" in message
    assert "items[1].text: is required" in message


def test_it_lists_every_problem_at_once():
    body = payload({"text": "no id"}, {"id": "b", "text": "x", "kind": "tweet", "url": "javascript:alert(1)"})
    message = refusal(body)
    assert "items[0].id: is required" in message
    assert "items[1].kind: must be one of" in message
    assert "items[1].url: must be an absolute http:// or https:// address" in message


def test_it_refuses_unknown_fields_so_typos_are_noticed():
    assert "items[0].txt: unknown field" in refusal(payload({"id": "a", "text": "x", "txt": "y"}))
    assert "items[0].author.nickname: unknown field" in refusal(
        payload({"id": "a", "text": "x", "author": {"handle": "h", "nickname": "n"}})
    )


def test_it_refuses_an_author_without_handle():
    assert "items[0].author.handle: is required" in refusal(
        payload({"id": "a", "text": "x", "author": {"name": "Bob"}})
    )


def test_it_refuses_dates_without_time_zone_or_not_iso():
    assert "items[0].published_at: must include a time zone" in refusal(
        payload({"id": "a", "text": "x", "published_at": "2026-03-02T09:30:00"})
    )
    assert "items[0].published_at: must be an ISO 8601" in refusal(
        payload({"id": "a", "text": "x", "published_at": "2 mars 2026"})
    )


def test_it_refuses_repeated_ids_in_one_batch():
    body = payload({"id": "a", "text": "x"}, {"id": 7, "text": "y"}, {"id": "7", "text": "z"})
    assert "items[2].id: repeats the id of items[1]" in refusal(body)


def test_it_refuses_boolean_or_blank_ids_and_empty_text():
    message = refusal(
        payload({"id": True, "text": "x"}, {"id": " a", "text": "x"}, {"id": "c", "text": "  "})
    )
    assert "items[0].id: must be a string or an integer" in message
    assert "items[1].id: must not contain control characters or surrounding spaces" in message
    assert "items[2].text: must not be empty" in message


def test_it_refuses_more_than_500_items():
    body = payload(*({"id": str(n), "text": "x"} for n in range(MAX_ITEMS + 1)))
    assert "501 items" in refusal(body)


def test_it_accepts_exactly_500_items():
    body = payload(*({"id": str(n), "text": "x"} for n in range(MAX_ITEMS)))
    assert len(parse_payload(body)) == MAX_ITEMS


def test_it_refuses_a_body_over_one_megabyte():
    body = payload({"id": "a", "text": "x" * 1_100_000})
    assert "at most 1048576 bytes" in refusal(body)


def test_it_refuses_a_text_over_100_kilobytes():
    assert "items[0].text: is 100001 characters long; at most 100000" in refusal(
        payload({"id": "a", "text": "é" * 100_001})
    )


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "empty"),
        (b"not json", "not valid JSON"),
        (b'{"id": "a", "text": "x"', "not valid JSON"),
        (b'[{"id": "a", "text": "x"}]', "must be a JSON object"),
        (b'"hello"', "must be a JSON object"),
        (b'{"id": "a", "text": NaN}', "NaN is not valid JSON"),
        (b'{"id": "a", "id": "b", "text": "x"}', "appears twice"),
        (b'{"items": {"id": "a"}}', "items: must be a list of objects"),
        (b'{"items": ["a", 3]}', "items[0]: must be an object"),
        (b'{"items": [], "source": "x"}', "source: unknown field"),
        (b'\xff\xfe{"id": "a"}', "not UTF-8"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
    ],
)
def test_it_refuses_hostile_or_broken_bodies_with_a_clear_message(body, expected):
    assert expected in refusal(body)


def test_control_characters_in_text_do_not_survive():
    [item] = parse_payload(
        json.dumps({"id": "a", "text": "Bon\x00jour\x1b[31m", "title": "T\x07itre"}).encode()
    )
    assert "\x00" not in item.text and "\x1b" not in item.text
    assert "\x07" not in item.title


def test_the_connector_is_registered_and_read_only():
    cls = get_connector_class("webhook")
    assert cls is WebhookConnector
    assert cls.capabilities.actions == frozenset({Action.READ})


def test_polling_a_webhook_channel_collects_nothing_and_keeps_the_cursor():
    result = WebhookConnector(credentials={"secret": "s" * 30}).fetch({"k": 1})
    assert result.items == [] and result.cursor == {"k": 1}


def test_check_connection_says_when_the_secret_is_missing():
    assert not WebhookConnector(credentials={}).check_connection().ok
    assert WebhookConnector(credentials={"secret": "s" * 30}).check_connection().ok


def test_a_long_list_of_problems_is_summarised():
    message = refusal(payload(*({"id": str(n)} for n in range(25))))
    assert "items[19].text: is required" in message
    assert "items[20]" not in message
    assert message.endswith("and 5 more problems")
