import time
from pathlib import Path

import pytest

from comptoir.connectors.web.page import (
    SelectorError,
    canonical_url,
    decode_html,
    parse_html,
    read_page,
    select,
)

DATA = Path(__file__).parent / "data"
MAIRIE = "https://www.mairie-sedb.example.fr/actualites/"


def mairie(**kwargs):
    return read_page((DATA / "mairie_actualites.html").read_text(encoding="utf-8"), MAIRIE, **kwargs)


def test_it_reads_title_language_and_canonical_address():
    page = mairie()
    assert page.title == "Actualités de la commune"  # og:title wins over <title>
    assert page.language == "fr"
    assert page.canonical == MAIRIE


def test_the_main_text_leaves_out_menus_scripts_and_footer():
    page = mairie()
    assert page.text.startswith("Actualités\n\nRetrouvez ici les dernières nouvelles")
    assert "Circulation alternée du 9 au 20 mars." in page.text
    assert (
        "Démarches" not in page.text and "dataLayer" not in page.text and "Mentions légales" not in page.text
    )


def test_links_are_canonical_and_unique():
    urls = [link.url for link in mairie().links]
    assert urls[:3] == [
        "https://www.mairie-sedb.example.fr/actualites/reunion-publique-place-eglise/",
        "https://www.mairie-sedb.example.fr/actualites/travaux-rue-des-tilleuls/",
        "https://www.mairie-sedb.example.fr/actualites/collecte-des-encombrants/",
    ]
    assert len(urls) == len(set(urls))
    assert not any(u.startswith("javascript") for u in urls)
    assert "https://www.mairie-sedb.example.fr/mairie/" not in urls  # navigation is not content


def test_a_selector_narrows_text_and_links():
    page = mairie(selector="main .news-list")
    assert [link.text for link in page.links] == [
        "Réunion publique : la place de l’Église",
        "Travaux rue des Tilleuls",
        "Collecte des encombrants",
    ]
    assert "Retrouvez ici" not in page.text


def test_selectors_support_ids_classes_descendants_and_alternatives():
    root = parse_html('<div id="a" class="x y"><p class="x">1</p><span><b>2</b></span></div><p>3</p>')
    assert [n.tag for n in select(root, "#a")] == ["div"]
    assert [n.tag for n in select(root, "div.x.y p.x")] == ["p"]
    assert [n.text() for n in select(root, "span b, p")] == ["1", "2", "3"]
    assert select(root, "div.z") == []
    for bad in ["a > b", "a[href]", "::before", "a:hover", ""]:
        with pytest.raises(SelectorError):
            select(root, bad)


def test_canonical_urls_drop_tracking_session_fragment_and_default_port():
    assert (
        canonical_url("HTTPS://Example.ORG:443/a/b?utm_source=x&id=3&fbclid=abc&sid=9f8e#top")
        == "https://example.org/a/b?id=3"
    )
    assert canonical_url("http://example.org:8080") == "http://example.org:8080/"


def test_a_page_declaring_windows_1252_reads_correctly():
    html = decode_html((DATA / "petanque_cp1252.html").read_bytes(), "text/html")
    page = read_page(html, "https://petanque.example.fr/")
    assert page.title == "Club de pétanque – Nouvelles"
    assert page.text == "“Concours du samedi” : inscriptions à la buvette.\n\nConcours du samedi"


def test_utf8_labelled_latin1_by_the_server_is_still_utf8():
    assert decode_html("Café".encode(), "text/html; charset=ISO-8859-1") == "Café"
    assert decode_html(b"caf\xe9 \x81", "text/html") == "café \ufffd"


def test_a_hostile_canonical_on_another_host_is_ignored():
    page = read_page(
        '<link rel="canonical" href="https://evil.example/"><p>x</p>', "https://good.example/page"
    )
    assert page.canonical == "https://good.example/page"


def test_deeply_nested_and_huge_markup_is_handled_quickly():
    started = time.monotonic()
    html = "<div>" * 100_000 + "<a href='/deep'>deep</a>" + "</div>" * 100_000 + "<p>" + "x " * 200_000
    page = read_page(html, "https://example.org/")
    assert time.monotonic() - started < 10
    assert page.title == ""


def test_unclosed_tags_and_stray_end_tags_do_not_lose_text():
    page = read_page("<body><p>Un<p>Deux</span></b><li>Trois</body>", "https://example.org/")
    assert page.text == "Un\n\nDeux\nTrois"


def test_a_forum_index_gives_stable_topic_links_without_session_ids():
    html = (DATA / "forum_index.html").read_text(encoding="utf-8")

    page = read_page(html, "https://makers.example.org/forum/index.php", selector=".lastpost")

    assert [(link.url, link.text) for link in page.links] == [
        ("https://makers.example.org/forum/viewtopic.php?t=1841", "Bed levelling issues"),
        ("https://makers.example.org/forum/viewtopic.php?t=1839", "ESP32 deep sleep current"),
    ]
    assert page.title == "Board index - Makers Forum"
    assert page.language == "en"
