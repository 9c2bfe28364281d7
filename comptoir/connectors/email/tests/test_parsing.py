import datetime as dt

import pytest

from comptoir.connectors.base import ItemKind
from comptoir.connectors.email import parsing
from comptoir.connectors.email.tests.messages import BROKEN, THREAD


def test_it_reads_subject_author_date_and_threading_of_a_reply():
    item = parsing.build_item(THREAD[2])
    assert item.kind == ItemKind.EMAIL
    assert item.external_id == "<reply-3@example.test>"
    assert item.title == "Re: Réunion du jeudi"
    assert item.text == "Parfait, merci !"
    assert item.author.handle == "elodie@example.test"
    assert item.parent_external_id == "<reply-2@comptoir.test>"
    assert item.thread_external_id == "<root-1@example.test>"
    assert item.published_at == dt.datetime(2025, 3, 4, 9, 30, tzinfo=dt.UTC)


def test_a_message_starting_a_thread_is_its_own_thread():
    item = parsing.build_item(THREAD[0])
    assert item.author.display_name == "Élodie Martin"
    assert item.thread_external_id == item.external_id == "<root-1@example.test>"
    assert item.parent_external_id == ""
    assert item.raw["headers"]["subject"] == "Réunion du jeudi"
    assert item.raw["size"] == len(THREAD[0])


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_messages_still_give_an_item(name):
    item = parsing.build_item(BROKEN[name])
    assert item.kind == ItemKind.EMAIL
    assert item.external_id
    assert "\x00" not in item.text


def test_unknown_charsets_fall_back_to_something_readable():
    assert parsing.build_item(BROKEN["unknown_charset"]).text == "Un café ?"
    assert parsing.build_item(BROKEN["lying_utf8"]).text == "Déjà vu, ça va ?"
    assert parsing.build_item(BROKEN["rot13_charset"]).text == "plain body"


def test_raw_8bit_headers_are_decoded():
    item = parsing.build_item(BROKEN["raw_8bit_header"])
    assert item.title == "Résumé de la semaine"
    assert item.author.display_name == "François"
    assert item.text == "Sans charset déclaré"


def test_html_only_mail_gives_text_and_safe_html():
    item = parsing.build_item(BROKEN["html_only"])
    assert item.text.startswith("Bonjour à tous")
    assert "alert" not in item.text and "color:red" not in item.text
    assert "<script" not in item.html and "onclick" not in item.html and "javascript:" not in item.html
    assert "<b>à tous</b>" in item.html


def test_a_message_without_message_id_gets_a_stable_id_and_no_date():
    first = parsing.build_item(BROKEN["no_message_id"])
    again = parsing.build_item(BROKEN["no_message_id"])
    assert first.external_id.startswith("sha256:") and first.external_id == again.external_id
    assert first.published_at is None
    assert first.thread_external_id == first.external_id


def test_internaldate_is_the_fallback_date():
    received = dt.datetime(2025, 3, 5, 12, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    item = parsing.build_item(BROKEN["no_message_id"], internal_date=received)
    assert item.published_at == dt.datetime(2025, 3, 5, 11, 0, tzinfo=dt.UTC)


def test_attachments_are_listed_without_content():
    item = parsing.build_item(BROKEN["with_attachment"])
    assert item.text == "Voici le programme."
    assert item.media == (
        {"filename": "programme été.pdf", "content_type": "application/pdf", "size": 48},
        {"filename": "", "content_type": "image/png", "size": 8},
    )


def test_a_truncated_mime_tree_keeps_the_text_it_has():
    assert parsing.build_item(BROKEN["truncated_mime"]).text == "Le début seulement"


def test_broken_base64_does_not_raise():
    item = parsing.build_item(BROKEN["bad_base64"])
    assert item.title == "Broken base64"


def test_headers_in_raw_are_capped():
    many = b"".join(b"X-Spam-%d: %s\r\n" % (i, b"y" * 5000) for i in range(300))
    item = parsing.build_item(many + b"Subject: big\r\n\r\nbody")
    assert len(item.raw["headers"]) == parsing.MAX_HEADERS
    assert all(len(v) <= parsing.MAX_HEADER_CHARS for v in item.raw["headers"].values())


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Tue, 04 Mar 2025 09:15:00 +0100", dt.datetime(2025, 3, 4, 8, 15, tzinfo=dt.UTC)),
        ("4 Mar 2025 09:15:00 -0000", dt.datetime(2025, 3, 4, 9, 15, tzinfo=dt.UTC)),
        # Unknown zone names read as "-0000" (stdlib behaviour): UTC rather than nothing.
        ("Tue, 04 Mar 2025 09:15:00 CET", dt.datetime(2025, 3, 4, 9, 15, tzinfo=dt.UTC)),
        ("32 Foo 2025", None),
        ("Mon, 01 Jan 1900 00:00:00 +0000", None),
        ("Fri, 01 Jan 2100 00:00:00 +0000", None),
        ("", None),
    ],
)
def test_dates_are_aware_utc_or_none(value, expected):
    assert parsing.parse_date(value) == expected
