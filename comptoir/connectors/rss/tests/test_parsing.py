import codecs
import datetime as dt
import time
from pathlib import Path

import pytest

from comptoir.connectors.base import ConnectorError, ItemKind
from comptoir.connectors.rss.client import DiscoveredFeed, decode_feed, discover_feeds, parse_feed

DATA = Path(__file__).parent / "data"


def parse(name, url="https://feeds.example.net/feed"):
    return parse_feed((DATA / name).read_bytes(), url=url)


def refusal(data: bytes, **kwargs) -> str:
    with pytest.raises(ConnectorError) as excinfo:
        parse_feed(data, **kwargs)
    return excinfo.value.message


# --- Real-world feeds ---------------------------------------------------------------------------


def test_a_french_news_feed():
    feed = parse("french_news.xml")

    assert feed.title == "L'Écho du Val – Actualités"
    assert feed.language == "fr"
    first = feed.items[0]
    assert first.kind == ItemKind.ARTICLE
    assert first.external_id.endswith("greve-des-transports-le-trafic-sera-tres-perturbe-jeudi_6214.html")
    assert first.title == "Grève des transports : le trafic sera « très perturbé » jeudi"
    assert first.text.startswith("Les syndicats appellent")  # the description, not the photo caption
    assert first.published_at == dt.datetime(2026, 3, 2, 8, 30, 45, tzinfo=dt.UTC)
    assert first.author.handle == "Claire Dumas"
    assert first.language == "fr"
    assert first.media[0]["url"].endswith("a1b2c3_gare.jpg")
    assert feed.items[1].published_at == dt.datetime(2026, 3, 2, 8, 5, tzinfo=dt.UTC)  # GMT
    assert feed.items[1].author is None


def test_a_wordpress_feed_uses_the_full_content():
    first = parse("wordpress.xml").items[0]

    assert first.external_id == "https://jardins-belleville.example.org/?p=1284"
    assert first.author.handle == "Nadia B."
    assert "l’équilibre carbone / azote" in first.text
    assert "jQuery" not in first.text and "<script" not in first.html
    assert 'href="https://jardins-belleville.example.org/inscriptions/"' in first.html
    assert first.raw["tags"] == ["Ateliers", "compost"]
    assert first.raw["feed_title"] == "Les Jardins Partagés de Belleville"


def test_an_atom_blog():
    feed = parse("atom_blog.xml")

    first, second = feed.items
    assert first.external_id == "tag:blog.example.com,2026-02-20:/posts/backups-you-test/"
    assert first.title == "Backups you actually test"
    assert first.url == "https://blog.example.com/posts/backups-you-test/"
    assert first.published_at == dt.datetime(2026, 2, 20, 9, 15, tzinfo=dt.UTC)
    assert first.author.handle == "Sam Okafor"
    assert 'href="https://blog.example.com/posts/restore-drill/"' in first.html
    assert first.text.startswith("A backup you never restored is a hope, not a backup.")
    assert first.language == "en"
    assert second.external_id == "https://blog.example.com/posts/no-id/"  # no id: the link
    assert second.published_at == dt.datetime(2026, 1, 5, 12, tzinfo=dt.UTC)  # only <updated>
    assert second.text == "XHTML content with bold."


def test_an_rss_1_0_rdf_feed():
    [item] = parse("rdf.xml").items
    assert item.external_id == "https://lists.example.net/news/2026/release-4.2"
    assert item.published_at == dt.datetime(2026, 2, 11, 17, 30, tzinfo=dt.UTC)
    assert item.author.handle == "Release team"


def test_a_json_feed():
    feed = parse_feed(
        (DATA / "jsonfeed.json").read_bytes(),
        url="https://carnet.example.fr/feed.json",
        content_type="application/feed+json",
    )
    first, second = feed.items
    assert feed.title == "Carnet de route"
    assert first.title == "Lyon à vélo, trois itinéraires"
    assert first.text == "Des quais du Rhône à la Croix-Rousse, sans voiture."
    assert first.published_at == dt.datetime(2026, 2, 27, 17, tzinfo=dt.UTC)
    assert first.author.handle == "Léa"
    assert second.external_id == "2"
    assert second.text == "Note courte sans titre."


def test_ids_are_stable_and_do_not_depend_on_where_the_feed_was_fetched():
    one = [i.external_id for i in parse("hostile_markup.xml", url="https://a.example/feed").items]
    two = [i.external_id for i in parse("hostile_markup.xml", url="https://b.example/rss").items]
    assert one == two
    assert len(set(one)) == 3
    assert one[2].startswith("sha256:")  # no guid, no link: title + date


def test_a_relative_guid_stays_as_written():
    [item] = parse("latin1_declared_latin1.xml").items
    assert item.external_id == "ete-2026"


# --- Broken encodings ---------------------------------------------------------------------------


def test_a_feed_declared_latin1_but_written_in_utf8_reads_correctly():
    feed = parse("broken_encoding_declared_latin1.xml")
    assert feed.title == "Mairie de Saint-Étienne-du-Bois"
    assert feed.items[0].title == "Réunion publique : aménagement de la place de l’Église"
    assert "–" in feed.items[0].text


def test_cp1252_smart_quotes_in_a_utf8_feed_survive_and_junk_bytes_become_replacement_characters():
    [item] = parse("broken_encoding_cp1252_in_utf8.xml").items
    assert item.title == "Café du jeudi : “on refait le monde”"
    assert item.text == "Ouvert à tous, même aux « curieux » \ufffd entrée libre."


def test_a_real_latin1_feed_reads_correctly():
    [item] = parse("latin1_declared_latin1.xml").items
    assert item.title == "Fête de l'été : bénévoles recherchés"


def test_byte_order_marks_are_honoured():
    text = (DATA / "wordpress.xml").read_text(encoding="utf-8")
    for encoded in (codecs.BOM_UTF8 + text.encode("utf-8"), codecs.BOM_UTF16_LE + text.encode("utf-16-le")):
        assert parse_feed(encoded).items[0].title == "Atelier compost : inscriptions ouvertes"


def test_the_http_charset_wins_over_the_xml_declaration():
    data = (DATA / "latin1_declared_latin1.xml").read_bytes().replace(b"ISO-8859-1", b"UTF-8")
    assert decode_feed(data, "application/rss+xml; charset=ISO-8859-1").count("é") >= 3


def test_control_characters_and_invalid_utf8_do_not_stop_parsing():
    data = (
        (DATA / "french_news.xml")
        .read_bytes()
        .replace(b"Toute l", b"Toute\x00\x0b\x1b l")
        .replace(b"Pluie, gr", b"Pluie\xc3\x28 gr")
    )
    feed = parse_feed(data)
    assert len(feed.items) == 3
    assert "\x00" not in feed.items[2].text and feed.items[2].text.startswith("Pluie")


def test_references_to_characters_xml_forbids_do_not_stop_parsing():
    # A lone surrogate cannot be encoded: feedparser used to raise UnicodeEncodeError on it.
    data = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>Flux &#xD800; cass\xc3\xa9</title>'
        b"<item><title>Un &#xDFFF; titre</title><guid>id-&#55296;-1</guid>"
        b"<description>Texte &#1; &#x110000; &#x1F600; &#233;t&#xE9;</description></item></channel></rss>"
    )
    feed = parse_feed(data)
    item = feed.items[0]
    assert feed.title == "Flux \ufffd cass\u00e9"
    assert item.title == "Un \ufffd titre"
    assert item.external_id == "id-\ufffd-1"
    assert item.text == "Texte \ufffd \U0001f600 \u00e9t\u00e9"


# --- Hostile input ------------------------------------------------------------------------------


def test_billion_laughs_is_refused_quickly_and_returns_nothing():
    started = time.monotonic()
    message = refusal((DATA / "billion_laughs.xml").read_bytes())
    assert "entities" in message
    assert time.monotonic() - started < 2


def test_external_entities_are_refused():
    message = refusal((DATA / "xxe.xml").read_bytes())
    assert "security" in message


def test_an_entity_declaration_in_a_broken_document_is_refused_too():
    data = b'<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><title>&x;<item>'
    assert "entities" in refusal(data)


def test_html_and_scripts_in_titles_and_bodies_are_neutralised():
    feed = parse("hostile_markup.xml")
    spam = feed.items[0]
    assert feed.title == "Promo"
    assert spam.title == "Gagnez un iPhone maintenant"
    assert spam.url == ""  # javascript: link dropped
    assert "document.cookie" not in spam.text and "display:none" not in spam.text
    for bad in ("<script", "<iframe", "onclick", "javascript:", "<style"):
        assert bad not in spam.html


def test_a_guid_reused_by_every_entry_gets_distinct_ids():
    ids = [i.external_id for i in parse("hostile_markup.xml").items]
    assert ids[0] == "spam-1"
    assert ids[1] != "spam-1"


def test_a_body_that_looks_like_a_file_name_is_never_opened():
    assert "not return an RSS or Atom feed" in refusal(b"/etc/passwd")
    assert "not return an RSS or Atom feed" in refusal(b"https://169.254.169.254/latest/meta-data/")


# --- Not a feed ---------------------------------------------------------------------------------


def test_a_web_page_is_not_a_feed_and_the_error_names_its_feeds():
    message = refusal((DATA / "site_home.html").read_bytes(), url="https://jardins-belleville.example.org/")
    assert message.startswith("This address is a web page, not a feed; try ")
    assert "https://jardins-belleville.example.org/feed/" in message


def test_a_web_page_without_feeds_gets_a_hint():
    message = refusal(b"<!doctype html><html><body>Hello</body></html>", url="https://example.org/")
    assert "web page, not a feed" in message and "/feed" in message


def test_other_xml_and_empty_answers_are_not_feeds():
    assert "root element is <svg>" in refusal(
        b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>'
    )
    assert "empty" in refusal(b"  \n ")
    assert "not a JSON Feed" in refusal(b'{"hello": "world"}')


# --- Discovery ----------------------------------------------------------------------------------


def test_discovery_reads_alternate_links_resolved_against_base():
    html = (DATA / "site_home.html").read_text(encoding="utf-8")

    feeds = discover_feeds(html, "https://jardins-belleville.example.org/accueil")

    assert feeds == [
        DiscoveredFeed(
            url="https://jardins-belleville.example.org/feed/",
            title="Les Jardins Partagés » Flux",
            type="rss",
        ),
        DiscoveredFeed(
            url="https://jardins-belleville.example.org/comments/feed/",
            title="Les Jardins Partagés » Flux des commentaires",
            type="rss",
        ),
    ]


def test_discovery_without_base_tag_uses_the_page_address_and_ignores_other_links():
    html = (
        '<html><head><link rel="Alternate" type="application/atom+xml" href="atom.xml">'
        '<link rel="alternate stylesheet" type="text/css" href="x.css">'
        '<link rel="alternate" type="application/feed+json" href="//cdn.example.org/feed.json">'
        '<link rel="alternate" type="application/rss+xml" href="ftp://example.org/rss">'
    )
    feeds = discover_feeds(html, "https://example.org/blog/")
    assert [(f.url, f.type) for f in feeds] == [
        ("https://example.org/blog/atom.xml", "atom"),
        ("https://cdn.example.org/feed.json", "json"),
    ]


def test_discovery_survives_broken_and_huge_pages():
    html = "<link rel=alternate type=application/rss+xml href=/a>" * 5000 + "<html<<<body"
    assert [f.url for f in discover_feeds(html, "https://example.org/")] == ["https://example.org/a"]
