"""The listening query language, case by case, as the issue specifies it (see querylang's docstring).

Each case is run through the reference evaluator and through the compiled Matcher: both must give the
expected answer. A case's message is a text, or a Doc when a title, link, language, channel or author matters.
"""

import pytest

from comptoir.listening import querylang as ql
from comptoir.listening.matcher import Doc, Matcher, evaluate
from comptoir.listening.querylang import QueryError, normalise, parse


def D(text="", **fields):  # noqa: N802 — reads like a constructor in the tables below
    return Doc("d", text, **fields)


# (query, message, matches?)
CASES = [
    # Case and accents fold; a term is a whole word, never stemmed.
    ("cafe", "Un Café, s'il vous plaît", True),
    ("CAFÉ", "un cafe noir", True),
    ("café", "trois cafés", False),
    ("cafe", "cafeteria", False),
    ("caf*", "trois cafés", True),
    ("ÉCOLE", "école", True),
    ("noel", "Joyeux Noël", True),
    ("oeuvre", "Une œuvre d'art", True),
    ("coeur", "CŒUR", True),
    ("strasse", "Straße", True),
    ("naive", "naïve", True),
    ("garcon", "Garçon !", True),
    ("resume", "Résumé", True),
    ("élan", "elan", True),
    ("le", "Le vélo", True),
    ("the", "The bike", True),
    # French elisions split; other apostrophes split words.
    ("association", "J'aime l'association", True),
    ("l'association", "une association", True),
    ("association", "l’association (apostrophe courbe)", True),
    ("il", "qu'il vienne", True),
    ("qu'il", "il vient", True),
    ("aujourd'hui", "Aujourd'hui il pleut", True),
    ("hui", "aujourd'hui", True),
    ("aujourd'hui", "hui aujourd", False),
    ("jusqu'au", "au bout", True),
    ("atelier", "L'ATELIER", True),
    ("lasso", "l'asso", False),
    ("asso", "d'asso en asso", True),
    ("presqu'île", "la presqu'ile", True),
    ("c'est", "est", True),
    # Words split on every sign; a term written with signs is a phrase.
    ("velo", "vélo-cargo", True),
    ("velo-cargo", "un vélo cargo", True),
    ("velo-cargo", "vélo, cargo", True),
    ("velo-cargo", "cargo vélo", False),
    ("velocargo", "vélo-cargo", False),
    ("cargo", "#VéloCargo", False),
    ("velocargo", "#VéloCargo", True),
    ("jean", "jean_dupont", True),
    ("dupont", "jean.dupont@example.org", True),
    ("example", "jean@example.org", True),
    ("2024", "En 2024, on roule", True),
    ("covid-19", "Covid-19", True),
    ("covid19", "Covid-19", False),
    ("12h30", "rdv à 12h30", True),
    ("12", "rdv à 12h30", False),
    ("12:30", "à 12h30", False),
    ("\"12:30\"", "à 12:30 pile", True),
    # Emoji are not words; other scripts are; a text without spaces is one word.
    ("velo", "J'adore mon vélo🚲!", True),
    ("mot", "🎉mot🎉", True),
    ("東京タワー", "東京タワー に行った", True),
    ("東京", "東京タワー に行った", False),
    ("東京タ*", "東京タワー", True),
    ("привет", "Привет, мир", True),
    ("ελλαδα", "ΕΛΛΆΔΑ", True),
    # A plain term also finds the hashtag and the mention; #term and @handle only those.
    ("velotaf", "#velotaf ce matin", True),
    ("#velotaf", "#velotaf ce matin", True),
    ("#velotaf", "velotaf ce matin", False),
    ("#velotaf", "@velotaf ce matin", False),
    ("@velotaf", "@velotaf ce matin", True),
    ("@velotaf", "#velotaf", False),
    ("velotaf", "merci @velotaf", True),
    ("#VÉLOTAF", "#velotaf", True),
    ("#velotaf", "#VéloTaf", True),
    ("@jean_dupont", "merci @jean_dupont !", True),
    ("@jean_dupont", "merci @jean dupont", False),
    ("@jean", "merci @jean_dupont", True),
    ("@dupont", "merci @jean_dupont", True),
    ("dupont", "merci @jean_dupont", True),
    ("#velo", "(#velo)", True),
    ("#velo", "vive le #velo, le vrai", True),
    ("@example", "jean@example.org", False),
    ("#top", "https://example.org/#top", False),
    ("#velo*", "#velotaf", True),
    ("#velo*", "velotaf", False),
    ("@velocite", "@velocite@mastodon.social", True),
    ("@mastodon", "@velocite@mastodon.social", True),
    ("\"#velo cargo\"", "#velo cargo", True),
    ("\"#velo cargo\"", "velo cargo", False),
    ("#velo cargo", "cargo #velo", True),
    # Phrases: consecutive words, signs between them do not count, never from the title into the text.
    ("\"atelier vélo\"", "L'atelier vélo du samedi", True),
    ("\"atelier vélo\"", "vélo atelier", False),
    ("\"atelier vélo\"", "atelier de vélo", False),
    ("\"atelier vélo\"", "Atelier, vélo !", True),
    ("“atelier vélo”", "atelier vélo", True),
    ("«atelier vélo»", "atelier vélo", True),
    ("« atelier vélo »", "atelier vélo", True),
    ("\"la « vélorution » arrive\"", "La vélorution arrive", True),
    ("« le \"super\" vélo »", "le super vélo", True),
    ("\"service client\"", "Service Client", True),
    ("\"le service client\"", "le service client", True),
    ("\"l'atelier\"", "un atelier", True),
    ("\"atelier vélo\"", D("vélo", title="atelier"), False),
    ("\"a b c\"", "a b c", True),
    ("\"a b c\"", "a b x c", False),
    ("\"velo velo\"", "velo velo", True),
    ("\"velo velo\"", "velo", False),
    ("\"and\"", "this and that", True),
    ("\"foo:bar\"", "foo:bar", True),
    # Prefixes.
    ("rembours*", "remboursement", True),
    ("rembours*", "Rembourser", True),
    ("rembours*", "rembours", True),
    ("rembours*", "un remb", False),
    ("rem*", "remise", True),
    ("velo*", "le vélo", True),
    ("velo*", "#velotaf", True),
    ("velo*", "bicyclette", False),
    ("cyclab*", "piste cyclable", True),
    ("title:velo*", D("rien", title="Vélos"), True),
    ("title:velo*", D("velo"), False),
    # AND, OR, NOT; side by side means AND; NOT > AND > OR; lower-case and/or/not are words.
    ("velo AND cargo", "vélo cargo", True),
    ("velo AND cargo", "vélo", False),
    ("velo cargo", "cargo et puis vélo", True),
    ("velo OR cargo", "cargo", True),
    ("velo OR cargo", "bus", False),
    ("velo NOT cargo", "vélo", True),
    ("velo NOT cargo", "vélo cargo", False),
    ("velo AND NOT cargo", "vélo cargo", False),
    ("velo OR bus cargo", "vélo", True),
    ("velo OR bus cargo", "bus", False),
    ("velo OR bus cargo", "bus cargo", True),
    ("(velo OR bus) cargo", "vélo", False),
    ("(velo OR bus) cargo", "bus cargo", True),
    ("NOT spam velo", "vélo", True),
    ("NOT spam velo", "vélo spam", False),
    ("velo NOT spam OR bus", "bus spam", True),
    ("velo NOT (spam OR pub)", "vélo pub", False),
    ("velo NOT (spam OR pub)", "vélo", True),
    ("velo and cargo", "vélo and cargo", True),
    ("velo and cargo", "vélo cargo", False),
    ("velo or bus", "velo", False),
    ("not velo", "not velo", True),
    ("velo AND (bus OR (tram AND metro))", "velo tram metro", True),
    ("velo AND (bus OR (tram AND metro))", "velo tram", False),
    ("a NOT b NOT c", "a c", False),
    ("a NOT b NOT c", "a d", True),
    # NEAR/n: |i - j| <= n, adjacent words are 1 apart, any order; ONEAR: left first.
    ("velo NEAR/1 cargo", "vélo cargo", True),
    ("velo NEAR/1 cargo", "cargo vélo", True),
    ("velo NEAR/1 cargo", "vélo x cargo", False),
    ("velo NEAR/2 cargo", "vélo x cargo", True),
    ("velo NEAR/2 cargo", "vélo x y cargo", False),
    ("velo NEAR/2 cargo", "vélo, x: cargo", True),
    ("velo ONEAR/2 cargo", "vélo x cargo", True),
    ("velo ONEAR/2 cargo", "cargo x vélo", False),
    ("velo ONEAR/2 cargo", "cargo x vélo cargo", True),
    ("velo NEAR/3 velo", "velo a b velo", True),
    ("velo NEAR/3 velo", "velo", False),
    ("velo NEAR/3 velo", "velo a b c velo", False),
    ("\"service client\" NEAR/1 nul", "service client nul", True),
    ("\"service client\" NEAR/1 nul", "nul service client", True),
    ("\"service client\" NEAR/1 nul", "service client très nul", False),
    ("\"service client\" NEAR/2 nul", "service client très nul", True),
    ("\"service client\" ONEAR/1 nul", "nul service client", False),
    ("nul ONEAR/1 \"service client\"", "nul service client", True),
    ("(livraison OR commande) NEAR/3 (retard OR perdu*)", "ma commande est en retard", True),
    ("(livraison OR commande) NEAR/2 (retard OR perdu*)", "ma commande est en retard", False),
    ("(livraison OR commande) NEAR/3 (retard OR perdu*)", "livraison perdue", True),
    ("(livraison OR commande) NEAR/3 (retard OR perdu*)", "livraison, commande", False),
    ("velo NEAR/5 cargo", D("velo", title="cargo"), False),
    ("velo NEAR/1 cargo", D("", title="Vélo cargo"), True),
    ("title:velo NEAR/1 title:cargo", D("", title="velo cargo"), True),
    ("title:velo NEAR/1 cargo", D("cargo", title="velo"), False),
    ("#velo NEAR/1 cargo", "#velo cargo", True),
    ("#velo NEAR/1 cargo", "velo cargo", False),
    ("NOT spam velo NEAR/2 cargo", "vélo cargo", True),
    ("NOT velo NEAR/2 cargo AND bus", "velo cargo bus", False),
    ("NOT velo NEAR/2 cargo AND bus", "velo x y cargo bus", True),
    ("a NEAR/1 b AND c NEAR/1 d", "a b c d", True),
    ("velo NEAR/1 \"cargo bike\"", "velo cargo bike", True),
    ("\"a b\" NEAR/1 \"c d\"", "a b c d", True),
    ("\"a b\" NEAR/1 \"b c\"", "a b c", False),
    ("velo NEAR/1000 cargo", "velo " + "x " * 999 + "cargo", True),
    ("velo NEAR/999 cargo", "velo " + "x " * 999 + "cargo", False),
    # Fields.
    ("author:jean", D("x", author="jean"), True),
    ("author:@jean", D("x", author="jean"), True),
    ("author:jean", D("x", author="@Jean"), True),
    ("author:jean", D("x", author="jean@mastodon.social"), True),
    ("author:jean@mastodon.social", D("x", author="@jean@mastodon.social"), True),
    ("author:jean@other.social", D("x", author="jean@mastodon.social"), False),
    ("author:jean", D("x", author="jeanne"), False),
    ("author:jean", D("jean"), False),
    ("author:\"jean\"", D("x", author="jean"), True),
    ("site:example.org", D("x", url="https://example.org/a"), True),
    ("site:example.org", D("x", url="https://blog.example.org/x"), True),
    ("site:example.org", D("x", url="https://notexample.org/"), False),
    ("site:example.org", D("x", url="https://example.org.evil.com/"), False),
    ("site:example.org", D("x", url="HTTPS://WWW.EXAMPLE.ORG:443/"), True),
    ("site:blog.example.org", D("x", url="https://example.org/"), False),
    ("site:café.fr", D("x", url="https://café.fr/menu"), True),
    ("site:xn--caf-dma.fr", D("x", url="https://café.fr/menu"), True),
    ("site:example.org", D("https://example.org"), False),
    ("lang:fr", D("x", lang="fr"), True),
    ("lang:FR", D("x", lang="fr-CA"), True),
    ("lang:fr", D("x", lang="en"), False),
    ("lang:fr", D("x"), False),
    ("velo lang:fr", D("vélo", lang="fr"), True),
    ("velo lang:fr", D("vélo", lang="en"), False),
    ("channel:mastodon", D("x", channel="Mastodon"), True),
    ("channel:mastodon", D("x", channel="bluesky"), False),
    ("title:velo", D("x", title="Le vélo"), True),
    ("title:velo", D("velo", title="autre"), False),
    ("title:\"atelier vélo\"", D("x", title="L'atelier vélo"), True),
    ("title:\"atelier vélo\"", D("atelier vélo", title="x"), False),
    ("Title:velo", D("x", title="velo"), True),
    ("velo", D("x", title="Vélo"), True),
    ("#velo", D("x", title="#velo"), True),
    ("title:#velo", D("#velo", title="velo"), False),
]


@pytest.mark.parametrize("query, message, expected", CASES)
def test_a_query_matches_what_the_grammar_says(query, message, expected):
    doc = message if isinstance(message, Doc) else D(message)
    assert evaluate(query, doc) is expected
    assert (Matcher({"q": query}).match(Doc(doc.id, doc.text, doc.title, doc.author, doc.url, doc.lang,
                                               doc.channel)) == {"q"}) is expected


# (query, column, message id): every way a query can be wrong, and where.
ERRORS = [
    ("", 1, ql.EMPTY),
    ("   ", 1, ql.EMPTY),
    ("a" * 2001, 2001, ql.TOO_LONG),
    ("\"velo", 1, ql.UNCLOSED_QUOTE),
    ("velo \"cargo", 6, ql.UNCLOSED_QUOTE),
    ("velo «cargo", 6, ql.UNCLOSED_QUOTE),
    ("«velo» “cargo\" bus", 8, ql.UNCLOSED_QUOTE),
    ("title:\"velo", 7, ql.UNCLOSED_QUOTE),
    ("(velo", 1, ql.UNCLOSED_PAREN),
    ("velo (cargo OR (bus)", 6, ql.UNCLOSED_PAREN),
    ("a AND (b OR", 10, ql.MISSING_RIGHT),
    ("velo)", 5, ql.UNOPENED_PAREN),
    (")", 1, ql.UNOPENED_PAREN),
    ("(a) b)", 6, ql.UNOPENED_PAREN),
    ("()", 1, ql.EMPTY_PARENS),
    ("velo ()", 6, ql.EMPTY_PARENS),
    ("a AND", 3, ql.MISSING_RIGHT),
    ("OR b", 1, ql.MISSING_LEFT),
    ("a AND OR b", 3, ql.MISSING_RIGHT),
    ("a OR", 3, ql.MISSING_RIGHT),
    ("a OR OR b", 3, ql.MISSING_RIGHT),
    ("AND", 1, ql.MISSING_LEFT),
    ("NOT", 1, ql.MISSING_RIGHT),
    ("a NOT", 3, ql.MISSING_RIGHT),
    ("NOT NOT", 5, ql.MISSING_RIGHT),
    ("(a OR) b", 4, ql.MISSING_RIGHT),
    ("(AND a)", 2, ql.MISSING_LEFT),
    ("a (OR b)", 4, ql.MISSING_LEFT),
    ("NEAR/2 a", 1, ql.MISSING_LEFT),
    ("a NEAR/2", 3, ql.MISSING_RIGHT),
    ("a NEAR/2 )", 3, ql.MISSING_RIGHT),
    ("a NEAR b", 3, ql.NEAR_NO_DISTANCE),
    ("a ONEAR b", 3, ql.NEAR_NO_DISTANCE),
    ("a NEAR/0 b", 3, ql.NEAR_BAD_DISTANCE),
    ("a NEAR/-1 b", 3, ql.NEAR_BAD_DISTANCE),
    ("a NEAR/x b", 3, ql.NEAR_BAD_DISTANCE),
    ("a NEAR/ b", 3, ql.NEAR_BAD_DISTANCE),
    ("a NEAR/2.5 b", 3, ql.NEAR_BAD_DISTANCE),
    ("a NEAR/1001 b", 3, ql.NEAR_BAD_DISTANCE),
    ("a ONEAR/0 b", 3, ql.NEAR_BAD_DISTANCE),
    ("(a AND b) NEAR/2 c", 1, ql.NEAR_OPERAND),
    ("a NEAR/2 NOT b", 10, ql.NEAR_OPERAND),
    ("lang:fr NEAR/2 b", 1, ql.NEAR_OPERAND),
    ("a NEAR/2 site:example.org", 10, ql.NEAR_OPERAND),
    ("a NEAR/2 (b AND c)", 10, ql.NEAR_OPERAND),
    ("a NEAR/2 (b OR lang:fr)", 10, ql.NEAR_OPERAND),
    ("a NEAR/2 b NEAR/2 c", 12, ql.NEAR_CHAIN),
    ("a NEAR/2 b ONEAR/2 c", 12, ql.NEAR_CHAIN),
    ("NOT x", 1, ql.NOTHING_TO_FIND),
    ("NOT (a OR b)", 1, ql.NOTHING_TO_FIND),
    ("  NOT x", 3, ql.NOTHING_TO_FIND),
    ("NOT a NOT b", 1, ql.NOTHING_TO_FIND),
    ("NOT a AND NOT b", 1, ql.NOTHING_TO_FIND),
    ("NOT NOT a", 1, ql.NOTHING_TO_FIND),
    ("a OR NOT b", 6, ql.OR_NOTHING_TO_FIND),
    ("NOT b OR a", 1, ql.OR_NOTHING_TO_FIND),
    ("x (a OR NOT b)", 9, ql.OR_NOTHING_TO_FIND),
    ("a OR (NOT b AND NOT c)", 6, ql.OR_NOTHING_TO_FIND),
    ("ve*", 1, ql.PREFIX_SHORT),
    ("x é*", 3, ql.PREFIX_SHORT),
    ("*", 1, ql.PREFIX_SHORT),
    ("l'a*", 1, ql.PREFIX_SHORT),
    ("*velo", 1, ql.PREFIX_MISPLACED),
    ("ve*lo", 1, ql.PREFIX_MISPLACED),
    ("velo**", 1, ql.PREFIX_MISPLACED),
    ("velo-car*", 1, ql.PREFIX_MISPLACED),
    ("velo-*", 1, ql.PREFIX_MISPLACED),
    ("\"velo*\"", 1, ql.PREFIX_IN_PHRASE),
    ("title:\"velo car*\"", 1, ql.PREFIX_IN_PHRASE),
    ("🚲", 1, ql.NO_WORD),
    ("velo !!!", 6, ql.NO_WORD),
    ("\"\"", 1, ql.NO_WORD),
    ("#", 1, ql.NO_WORD),
    ("velo \"🚲\"", 6, ql.NO_WORD),
    ("-spam", 1, ql.MINUS),
    ("velo -spam", 6, ql.MINUS),
    ("velo -\"spam\"", 6, ql.MINUS),
    ("foo:bar", 1, ql.UNKNOWN_FIELD),
    ("velo note:x", 6, ql.UNKNOWN_FIELD),
    ("été:x", 1, ql.UNKNOWN_FIELD),
    ("http://example.org", 1, ql.LINK),
    ("velo https://example.org/x", 6, ql.LINK),
    ("author:", 1, ql.EMPTY_VALUE),
    ("author:@", 1, ql.EMPTY_VALUE),
    ("lang: fr", 1, ql.EMPTY_VALUE),
    ("site:\"\"", 1, ql.EMPTY_VALUE),
    ("title:", 1, ql.EMPTY_VALUE),
    ("title:(a OR b)", 1, ql.FIELD_GROUP),
    ("lang:french", 1, ql.BAD_LANGUAGE),
    ("lang:f", 1, ql.BAD_LANGUAGE),
    ("lang:fr-ca", 1, ql.BAD_LANGUAGE),
    ("velo lang:12", 6, ql.BAD_LANGUAGE),
    ("site:localhost", 1, ql.BAD_SITE),
    ("site:https://example.org", 1, ql.BAD_SITE),
    ("site:example.org/path", 1, ql.BAD_SITE),
    ("site:-bad.org", 1, ql.BAD_SITE),
    ("site:exa_mple.org", 1, ql.BAD_SITE),
    ("author:\"jean dupont\"", 1, ql.BAD_HANDLE),
    ("channel:!!", 1, ql.BAD_CHANNEL),
]


@pytest.mark.parametrize("query, column, message", ERRORS)
def test_a_bad_query_is_rejected_with_its_column(query, column, message):
    with pytest.raises(QueryError) as caught:
        parse(query)
    assert (caught.value.column, caught.value.message) == (column, message)
    assert caught.value.text() == message % caught.value.params  # every %(name)s has its value


def test_an_error_reads_in_the_language_it_is_given():
    with pytest.raises(QueryError) as caught:
        parse("velo note:x")
    french = {ql.UNKNOWN_FIELD: "Champ « %(field)s » inconnu."}
    assert caught.value.text(lambda msgid: french.get(msgid, msgid)) == "Champ « note » inconnu."
    assert str(caught.value).startswith("column 6: Unknown field “note”")


# (query, canonical form)
NORMAL_FORMS = [
    ("Vélo  cargo", "velo AND cargo"),
    ("velo OR bus cargo", "velo OR bus AND cargo"),
    ("(velo OR bus) cargo", "(velo OR bus) AND cargo"),
    ("((velo))", "velo"),
    ("a AND (b AND c)", "a AND b AND c"),
    ("a OR (b OR c)", "a OR b OR c"),
    ("(a OR b) OR (c AND d)", "a OR b OR c AND d"),
    ("«Atelier  Vélo»", "\"atelier velo\""),
    ("l'Association", "association"),
    ("#VéloTaf @Jean_Dupont", "#velotaf AND \"@jean @dupont\""),
    ("NOT (a NEAR/3 b) c", "NOT a NEAR/3 b AND c"),
    ("NOT (a AND b) c", "NOT (a AND b) AND c"),
    ("(a OR b) NEAR/03 c", "(a OR b) NEAR/3 c"),
    ("a ONEAR/2 \"b c\"", "a ONEAR/2 \"b c\""),
    ("Title:Vélo* LANG:FR site:WWW.Example.ORG. author:@Jean", "title:velo* AND lang:fr AND site:www.example.org "
                                                             "AND author:jean"),
    ("\"velo\"", "velo"),
    ("\"AND\"", "and"),
    ("a NOT b", "a AND NOT b"),
    ("x NOT NOT a", "x AND NOT NOT a"),
    ("velo-cargo", "\"velo cargo\""),
    ("title:«Atelier vélo»", "title:\"atelier velo\""),
    ("site:café.fr", "site:xn--caf-dma.fr"),
    ("NOT a OR b", None),
]


@pytest.mark.parametrize("query, expected", NORMAL_FORMS)
def test_the_canonical_form_is_folded_explicit_and_reads_back_the_same(query, expected):
    if expected is None:
        with pytest.raises(QueryError):
            normalise(query)
        return
    assert normalise(query) == expected
    assert parse(expected) == parse(query)
    assert normalise(expected) == expected


def test_precedence_is_or_then_and_then_not_then_near():
    a, b, c = (ql.Word(w) for w in "abc")
    assert parse("a OR b AND c") == ql.Or((a, ql.And((b, c))))
    assert parse("a b OR c") == ql.Or((ql.And((a, b)), c))
    assert parse("NOT a NEAR/2 b c") == ql.And((ql.Not(ql.Near(a, b, 2)), c))
    assert parse("a NOT b c") == ql.And((a, ql.Not(b), c))
    assert parse("a ONEAR/1 b") == ql.Near(a, b, 1, ordered=True)


def test_the_conformance_suite_is_as_large_as_the_issue_asks():
    assert len(CASES) + len(ERRORS) + len(NORMAL_FORMS) >= 150
    assert {message for _q, _c, message in ERRORS} == {
        value for name, value in vars(ql).items() if name.isupper() and isinstance(value, str)
        and name not in ("QUOTES",) and value.endswith(".")}
