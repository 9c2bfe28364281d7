"""Search a community manager can use: accents, case, elisions, plurals, prefixes, phrases, on both databases."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.conftest import membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.stream import actions, search, tasks
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, Source
from comptoir.stream.query import ItemQuery, cursor_value

# --- The normaliser, alone -----------------------------------------------------------------------


@pytest.mark.parametrize("text, expected", [
    ("Merci aux bénévoles de l'atelier, mon vélo roule !", ["merci", "aux", "benevole", "de", "atelier", "mon", "velo",
                                                             "roule"]),
    ("VÉLO", ["velo"]), ("Vélos", ["velo"]), ("ateliers", ["atelier"]), ("L’ATELIER", ["atelier"]),
    ("jusqu'au bout qu’il", ["au", "bout", "il"]), ("aujourd'hui", ["aujourd", "hui"]),
    ("chevaux journaux bureaux jeux bijoux", ["cheval", "journal", "bureau", "jeu", "bijou"]),
    ("cities city stories story", ["city", "city", "story", "story"]),
    ("amies amie séries série", ["amy", "amy", "sery", "sery"]), ("class bus vies", ["class", "bus", "vie"]),
    ("Œuvre cœur Straße", ["oeuvre", "coeur", "strasse"]), ("#vélotaf @camille_r", ["velotaf", "camille", "r"]),
    ("12h30 2026", ["12h30", "2026"]), ("qzwsx qzsneg", []),
])
def test_the_normaliser_folds_splits_and_stems(text, expected):
    assert search.tokens(text) == expected


def test_a_query_reads_words_phrases_prefixes_and_exclusions():
    query = search.parse('vélos «atelier du mardi» VÉLO* -spam le')
    assert query.terms == (
        search.Term(("velo",)), search.Term(("atelier", "du", "mardi")), search.Term(("velo",), prefix=True),
        search.Term(("spam",), excluded=True),
    )
    assert search.parse('"vélo-cargo" l\'atelier').terms == (search.Term(("velo", "cargo")), search.Term(("atelier",)))
    assert not search.parse("le la les \" * - ''")


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_text_normalises_and_any_query_parses(text):
    assert all(t and "_" not in t for t in search.tokens(text))
    query = search.parse(text)
    for term in query.terms:
        assert term.words and all(w.isalnum() for w in term.words)


def test_sort_keys_follow_publication_then_id_and_stay_in_64_bits():
    now = timezone.now()
    assert search.sort_key(now, None, 5) > search.sort_key(now - timedelta(seconds=1), None, 9)
    assert search.sort_key(now, None, 6) > search.sort_key(now, None, 5)
    far = timezone.datetime(9999, 12, 31, tzinfo=timezone.UTC)
    old = timezone.datetime(1, 1, 1, tzinfo=timezone.UTC)
    for when in (far, old):
        assert -(2**63) <= search.sort_key(when, None, 2**62) < 2**63
    assert search.sort_key(None, now, 1) == search.sort_key(now, None, 1)


# --- Against the index, through the query object ------------------------------------------------------


def _store(source, rows):
    now = timezone.now()
    fetched = [FetchedItem(external_id=f"x{n}", kind=kind, text=text, author=Author(source.network, f"auteur{n}"),
                           published_at=now - timedelta(hours=n), language=lang)
               for n, (text, kind, lang) in enumerate(rows)]
    return store_fetched(source, fetched).item_ids


@pytest.fixture
def source(workspace, cm):
    return actions.do_add_source(membership_of(cm, workspace), network="rss", label="Blog",
                                 config={"url": "https://blog.example/rss"})


@pytest.fixture
def corpus(source):
    _store(source, [
        ("Merci aux bénévoles de l'atelier, mon vélo roule comme neuf !", ItemKind.COMMENT, "fr"),
        ("L'atelier de réparation du mardi est-il maintenu pendant les vacances ?", ItemKind.COMMENT, "fr"),
        ("Je cherche un vélo cargo d'occasion", ItemKind.POST, "fr"),
        ("The new bike lanes in our cities are great", ItemKind.POST, "en"),
        ("One city, one bike lane: thanks!", ItemKind.COMMENT, "en"),
        ("Vélorution samedi, venez nombreux", ItemKind.ARTICLE, "fr"),
    ])
    return source


def _texts(workspace, **filters):
    query = ItemQuery(workspace, {"q": "", **filters})
    return [i.text for i in query.page().items]


@pytest.mark.parametrize("q", ["velo", "VÉLO", "vélos", "Velo"])
def test_a_search_ignores_case_accents_and_plurals(workspace, corpus, q):
    found = _texts(workspace, q=q)
    assert len(found) == 2 and all("vélo" in t for t in found)


@pytest.mark.parametrize("q", ["ateliers", "l'atelier", "ATELIER", "l’Atelier"])
def test_elisions_and_plurals_find_the_workshop(workspace, corpus, q):
    assert len(_texts(workspace, q=q)) == 2


def test_english_plurals_match_their_singular(workspace, corpus):
    assert len(_texts(workspace, q="city")) == 2 and len(_texts(workspace, q="bike lanes")) == 2


def test_prefixes_phrases_and_exclusions(workspace, corpus):
    assert len(_texts(workspace, q="vélo*")) == 3  # vélo, vélo, vélorution
    assert _texts(workspace, q='"vélo cargo"') == ["Je cherche un vélo cargo d'occasion"]
    assert _texts(workspace, q='"cargo vélo"') == []
    assert _texts(workspace, q="vélo -cargo") == ["Merci aux bénévoles de l'atelier, mon vélo roule comme neuf !"]
    assert _texts(workspace, q="auteur3") == ["The new bike lanes in our cities are great"]  # authors are searchable


def test_search_combines_with_filters_and_dates(workspace, corpus):
    assert _texts(workspace, q="vélo", kind="post") == ["Je cherche un vélo cargo d'occasion"]
    assert len(_texts(workspace, q="velo", lang="fr")) == 2 and _texts(workspace, q="velo", lang="en") == []
    today = timezone.localdate()
    assert len(_texts(workspace, q="atelier", since=today - timedelta(days=1), until=today)) == 2
    assert _texts(workspace, q="atelier", until=today - timedelta(days=2)) == []


def test_another_workspace_never_shows_up(workspace, other_workspace, corpus):
    outsider = Source.objects.create(workspace=other_workspace, network="rss", label="Autre")
    _store(outsider, [("Mon vélo chez les autres", ItemKind.POST, "fr")])
    assert len(_texts(workspace, q="velo")) == 2
    assert ItemQuery(workspace, {"q": "velo"}).count().value == 2
    assert _texts(other_workspace, q="velo") == ["Mon vélo chez les autres"]


def test_the_index_follows_analysis_and_label_corrections(workspace, moderator, corpus):
    tasks.analyse_items.call(list(Item.objects.values_list("id", flat=True)))
    item = Item.objects.get(text__startswith="Je cherche")
    actions.do_correct_label(membership_of(moderator, workspace), item, "intent", "purchase")
    assert _texts(workspace, q="velo", intent="purchase") == ["Je cherche un vélo cargo d'occasion"]
    actions.do_correct_label(membership_of(moderator, workspace), item, "intent", "question")
    assert _texts(workspace, q="velo", intent="purchase") == []
    assert _texts(workspace, q="velo", intent="question") == ["Je cherche un vélo cargo d'occasion"]


def test_keyset_pages_walk_everything_once_with_and_without_a_search(workspace, source):
    _store(source, [(f"Message {n} sur le vélo", ItemKind.COMMENT, "fr") for n in range(23)])
    for q in ("", "velo"):
        query = ItemQuery(workspace, {"q": q})
        seen, before = [], None
        while True:
            page = query.page(before=before, size=5)
            seen += [i.pk for i in page.items]
            if page.older is None:
                break
            before = page.older
        assert len(seen) == 23 == len(set(seen))
        assert [i.pk for i in query.page(after=query.page(before=query.page(size=5).older, size=5).items[0].sort_key,
                                         size=5).items] == seen[:5]


def test_counts_are_exact_until_the_cap_then_say_so(workspace, source):
    _store(source, [(f"Message {n} sur le vélo", ItemKind.COMMENT, "fr") for n in range(12)])
    for q in ("", "velo"):
        query = ItemQuery(workspace, {"q": q})
        assert query.count(cap=20).exact and query.count(cap=20).value == 12
        capped = query.count(cap=10)
        assert (capped.value, capped.exact) == (10, False) and query.exact_count() == 12


def test_erasing_messages_leaves_nothing_in_the_index(workspace, owner, cm, corpus):
    actions.do_remove_source(membership_of(cm, workspace), corpus)
    actions.do_erase_messages(membership_of(owner, workspace), corpus, "Blog")
    assert _texts(workspace, q="velo") == [] and ItemQuery(workspace, {"q": "velo"}).exact_count() == 0


def test_cursors_from_urls_are_64_bit_integers_or_nothing():
    assert cursor_value("-12") == -12 and cursor_value(str(2**63 - 1)) == 2**63 - 1
    for junk in (None, "", "abc", str(2**63), "1e5", "9" * 30, "\x00"):
        assert cursor_value(junk) is None


def test_the_fil_page_searches_and_counts(workspace, cm, as_user, corpus):
    body = as_user(cm).get("/w/velo/stream/?q=VÉLO").content.decode()
    assert body.count("vélo") >= 2 and "Vélorution" not in body
    assert "2 messages" in body.split('data-testid="stream-count"')[1][:200]


def test_a_deleted_workspace_leaves_nothing_in_the_index(workspace, corpus):
    from django.db import connection

    from comptoir.workspaces.models import Workspace

    Workspace.objects.filter(pk=workspace.pk).delete()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {search.SqliteIndex.TABLE}")  # noqa: S608
            assert cursor.fetchone()[0] == 0


@pytest.mark.parametrize("q", ["velo", "VÉLO", "vélos", "ateliers", "l'atelier", "L’ATELIER", "atelier vélo",
                               '"mon vélo"', "bénévole*"])
def test_the_demo_association_finds_its_workshop_message_however_it_is_typed(db, q):
    from comptoir.demo import create as create_demo
    from comptoir.workspaces.models import Workspace

    create_demo()
    query = ItemQuery(Workspace.objects.get(slug="velo-lyon"), {"q": q})
    assert "Merci aux bénévoles de l'atelier, mon vélo roule comme neuf !" in [i.text for i in query.page().items]


@pytest.mark.parametrize("q, expected", [("product", "Where can I buy your products in Toronto? Any retailer?"),
                                         ("retailers", "Where can I buy your products in Toronto? Any retailer?"),
                                         ("ships", "Do you ship to Canada? I'd love to order the whole night-care set."),
                                         ("sets", "Do you ship to Canada? I'd love to order the whole night-care set.")])
def test_the_demo_brand_finds_english_singulars_and_plurals(db, q, expected):
    from comptoir.demo import create as create_demo
    from comptoir.workspaces.models import Workspace

    create_demo()
    query = ItemQuery(Workspace.objects.get(slug="maison-lumiere"), {"q": q})
    assert expected in [i.text for i in query.page().items]


def test_a_search_with_many_matches_walks_back_through_time_windows_in_order(workspace, source, monkeypatch):
    from comptoir.stream import query as query_module

    monkeypatch.setattr(ItemQuery.count, "__defaults__", (3,))  # "many" matches from the fourth on
    now = timezone.now()
    ages = [1, 2, 10, 20, 45, 100, 200, 400, 800, 3]  # days: in the first week, the month, the year, beyond
    store_fetched(source, [FetchedItem(external_id=f"w{n}", kind=ItemKind.POST, text=f"Atelier vélo numéro {n}",
                                       published_at=now - timedelta(days=age)) for n, age in enumerate(ages)])
    # Messages that do not match, newest of all: the first week is walked message by message, and must skip them.
    store_fetched(source, [FetchedItem(external_id=f"other{n}", kind=ItemKind.POST, text=f"Balade du dimanche {n}",
                                       published_at=now - timedelta(hours=n + 1)) for n in range(6)])
    query = ItemQuery(workspace, {"q": "atelier"})
    assert not query.count().exact
    seen, before = [], None
    while True:
        page = query.page(before=before, size=3)
        seen += [i.external_id for i in page.items]
        if page.older is None:
            break
        before = page.older
    expected = [f"w{n}" for n, _age in sorted(enumerate(ages), key=lambda pair: pair[1])]
    assert seen == expected
    assert query_module.SEARCH_WINDOWS[0] == 7 * 86400
