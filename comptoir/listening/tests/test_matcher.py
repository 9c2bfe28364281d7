"""The compiled Matcher against the reference evaluator, on random queries and messages; the canonical form
against the parser, on random trees and strings; the normaliser listening shares with the Fil's search."""

import re
import unicodedata
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from comptoir.listening import querylang as ql
from comptoir.listening.matcher import _TEXT_OFFSET, Doc, Matcher, doc_from_item, evaluate, host_of
from comptoir.listening.querylang import QueryError, parse
from comptoir.stream import search

SETTINGS = settings(max_examples=300, deadline=None)

# --- Random queries and messages over a small vocabulary (so that they meet) ---------------------

WORDS = ["velo", "cargo", "atelier", "bus", "and", "12", "東京"]
PREFIXES = ["vel", "velo", "carg", "atel", "velocar", "ateli", "ca"]  # "ca" is shorter than the parser allows: a hand-built tree
markers = st.sampled_from(["", "", "#", "@"])
words = st.builds(ql.Word, st.sampled_from(WORDS), markers, st.just(False), st.booleans())
prefixes = st.builds(ql.Word, st.sampled_from(PREFIXES), markers, st.just(True), st.booleans())
phrases = st.builds(ql.Phrase, st.lists(st.tuples(st.sampled_from(WORDS), markers), min_size=2, max_size=3)
                    .map(tuple), st.booleans())
fields = st.one_of(
    st.builds(ql.Field, st.just("lang"), st.sampled_from(["fr", "en"])),
    st.builds(ql.Field, st.just("channel"), st.sampled_from(["mastodon", "rss"])),
    st.builds(ql.Field, st.just("site"), st.sampled_from(["example.org", "blog.example.org", "org"])),
    st.builds(ql.Field, st.just("author"), st.sampled_from(["jean", "jean@mastodon.social", "marie"])),
)
positional = st.recursive(st.one_of(words, prefixes, phrases),
                          lambda inner: st.lists(inner, min_size=2, max_size=3).map(lambda c: ql.Or(tuple(c))),
                          max_leaves=4)
distances = st.integers(1, 4)
any_tree = st.recursive(
    st.one_of(words, prefixes, prefixes, phrases, fields,
              st.builds(ql.Near, positional, positional, distances, st.booleans())),
    lambda inner: st.one_of(
        st.builds(ql.Not, inner),
        st.lists(inner, min_size=2, max_size=3).map(lambda c: ql.And(tuple(c))),
        st.lists(inner, min_size=2, max_size=3).map(lambda c: ql.Or(tuple(c))),
    ),
    max_leaves=8,
)

# Each query word is in a few tokens, written several ways, so that random queries and messages meet.
TOKENS = ["vélo", "Velo", "#velo", "#vélo", "@velo", "cargo", "velocargo", "#velocargo", "vélo-cargo", "atelier",
          "l'atelier", "ateliers", "@atelier_bus", "bus", "(#bus)", "and", "12", "東京", ",", "🚲", "jean@example.org",
          "https://example.org/#velo", "x"]
texts = st.lists(st.sampled_from(TOKENS), max_size=10).map(" ".join)
docs = st.builds(
    Doc, st.just("d"), texts, title=st.one_of(st.just(""), texts),
    author=st.sampled_from(["", "jean", "@Jean@mastodon.social", "marie@x.y", "jeanne"]),
    url=st.sampled_from(["", "https://example.org/a", "https://blog.example.org/b", "https://notexample.org/",
                         "https://example.org.evil.com/", "http://[::1/", "www.example.org/x"]),
    lang=st.sampled_from(["", "fr", "en", "fr-CA"]), channel=st.sampled_from(["", "mastodon", "RSS"]))


@SETTINGS
@given(st.lists(any_tree, min_size=1, max_size=5), st.lists(docs, min_size=1, max_size=6))
def test_the_compiled_matcher_agrees_with_the_reference_on_any_query(trees, messages):
    sample = messages[:2]  # learning from a sample changes the anchors, never the matches
    for matcher in (Matcher(dict(enumerate(trees))), Matcher(dict(enumerate(trees)), sample=sample)):
        for doc, found in matcher.match_many(messages):
            assert found == {i for i, tree in enumerate(trees) if evaluate(tree, doc)}, (doc.text, doc.title)


# --- The canonical form ---------------------------------------------------------------------------
# Trees the parser can give: AND and OR flattened, every OR side and the whole finding something, the
# sides of NEAR positional, values as the parser normalises them.

parsed_words = st.builds(ql.Word, st.sampled_from(WORDS + ["near", "not"]), markers, st.just(False), st.booleans())
parsed_prefixes = st.builds(ql.Word, st.sampled_from(PREFIXES[:6]), markers, st.just(True), st.booleans())
parsed_fields = st.one_of(
    st.builds(ql.Field, st.just("lang"), st.sampled_from(["fr", "en"])),
    st.builds(ql.Field, st.just("channel"), st.sampled_from(["mastodon"])),
    st.builds(ql.Field, st.just("site"), st.sampled_from(["example.org", "xn--caf-dma.fr"])),
    st.builds(ql.Field, st.just("author"), st.sampled_from(["jean", "jean@mastodon.social"])),
)
parsed_positional = st.one_of(
    parsed_words, parsed_prefixes, phrases,
    st.lists(st.one_of(parsed_words, parsed_prefixes, phrases), min_size=2, max_size=3).map(lambda c: ql.Or(tuple(c))),
)


def _flat(kind, children):
    flat = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat))


def _extend(finding):
    return st.one_of(
        st.builds(lambda yes, no: _flat(ql.And, [*yes, *no]), st.lists(finding, min_size=1, max_size=3),
                  st.lists(st.builds(ql.Not, finding), min_size=1, max_size=2)),
        st.lists(finding, min_size=2, max_size=3).map(lambda c: _flat(ql.And, c)),
        st.lists(finding, min_size=2, max_size=3).map(lambda c: _flat(ql.Or, c)),
    )


valid_trees = st.recursive(
    st.one_of(parsed_words, parsed_prefixes, phrases, parsed_fields,
              st.builds(ql.Near, parsed_positional, parsed_positional, st.integers(1, 1000), st.booleans())),
    _extend, max_leaves=10)


@SETTINGS
@given(valid_trees)
def test_the_canonical_form_of_a_tree_parses_back_to_the_same_tree(tree):
    assert parse(str(tree)) == tree


QUERY_PARTS = ["velo", "Vélo", "#velo", "@jean_dupont", "cargo", "l'atelier", "vélo-cargo", "velo*", "ve*", "AND",
               "OR", "NOT", "NEAR/2", "ONEAR/1", "NEAR", "(", ")", "\"", "«", "»", "title:", "lang:fr", "site:example.org",
               "author:@jean", "channel:rss", "foo:", "and", "🚲", " ", "*", "-", "12"]


@SETTINGS
@given(st.lists(st.sampled_from(QUERY_PARTS), max_size=14).map(" ".join) | st.text(max_size=40))
def test_any_text_parses_or_says_where_it_is_wrong_and_the_canonical_form_is_stable(text):
    try:
        tree = parse(text)
    except QueryError as error:
        assert 1 <= error.column <= max(len(text), 1) and error.text()
        return
    canonical = str(tree)
    assert parse(canonical) == tree
    assert str(parse(canonical)) == canonical


# --- Matcher and Doc ------------------------------------------------------------------------------


def test_queries_are_added_replaced_and_removed_one_by_one():
    matcher = Matcher({"brand": "velocite OR #velocite", "rival": "cyclix"})
    doc = Doc(1, "Merci #Vélocité et Cyclix")
    assert matcher.match(doc) == {"brand", "rival"}
    matcher.add("rival", "bicloo")
    matcher.remove("brand")
    assert matcher.match(doc) == set() and len(matcher) == 1
    matcher.add("brand", parse("velocite"))
    assert matcher.match(doc) == {"brand"}
    with pytest.raises(QueryError):
        matcher.add("bad", "velocite AND")


def test_removing_most_queries_keeps_the_others_matching():
    matcher = Matcher({i: f"mot{i}" for i in range(300)})
    for i in range(290):
        matcher.remove(i)
    assert len(matcher) == 10
    assert matcher.match(Doc(1, "mot295 mot3 mot299")) == {295, 299}


def test_a_tree_without_anything_to_anchor_on_is_still_matched():
    only_excludes = ql.Not(ql.Word("spam"))  # the parser refuses it; a hand-built tree may be so
    matcher = Matcher({"q": only_excludes, "short": ql.Word("ve", prefix=True)})
    assert matcher.match(Doc(1, "du vélo")) == {"q", "short"}
    assert matcher.match(Doc(2, "du spam")) == set()


def test_learning_from_a_sample_changes_no_match():
    queries = {i: q for i, q in enumerate(["le velo", "velo* NOT le", "\"le velo\" OR cargo", "lang:fr le"])}
    messages = [Doc(i, text, lang="fr") for i, text in enumerate(["le velo", "le cargo", "la velocargo", "le"])]
    guessed, learnt = Matcher(queries), Matcher(queries, sample=messages)
    learnt.learn(messages[:2])
    assert [guessed.match(d) for d in messages] == [learnt.match(d) for d in messages]


def test_a_stream_item_becomes_a_doc_without_importing_a_model():
    item = SimpleNamespace(pk=7, text="Bonjour", title="Titre", author=SimpleNamespace(handle="@jean"),
                           url="https://example.org/", language="fr", source=SimpleNamespace(network="mastodon"))
    doc = doc_from_item(item)
    assert (doc.id, doc.text, doc.title, doc.author, doc.url, doc.lang, doc.channel) == (
        7, "Bonjour", "Titre", "@jean", "https://example.org/", "fr", "mastodon")
    bare = doc_from_item(SimpleNamespace(id=8, text=None, title=None, author=None, url="", language=None,
                                         channel=SimpleNamespace(network="rss")))
    assert (bare.id, bare.text, bare.author, bare.channel) == (8, "", "", "rss")
    assert evaluate("author:jean channel:mastodon site:example.org", doc)


@pytest.mark.parametrize("url, host", [
    ("https://Blog.Example.org/x", "blog.example.org"), ("http://example.org", "example.org"),
    ("https://example.org:8080/", "example.org"), ("https://user@ex.org/", "ex.org"),
    ("https://café.fr/x", "xn--caf-dma.fr"), ("example.org/path", "example.org"), ("https://example.org./", "example.org"),
    ("https://a.b?q", "a.b"), ("https://exa\tmple.org/", "example.org"), ("http://[::1/", ""), ("", ""),
])
def test_the_host_of_a_link_is_lower_case_ascii(url, host):
    assert host_of(url) == host


# --- The shared normaliser ------------------------------------------------------------------------

_OLD_ELISION = re.compile(r"\b(?:qu|jusqu|lorsqu|puisqu|quoiqu|presqu|[cdjlmnst])['’ʼ‘`´]", re.IGNORECASE)


def old_fold(text):
    """search.fold before it was made faster: the new one must give exactly this."""
    text = unicodedata.normalize("NFKD", text.translate(search._LIGATURES))
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    return _OLD_ELISION.sub(" ", text)


def spec_marked_words(text):
    """The marker rule, written the plain way: token by token."""
    out = []
    for chunk in search.fold(text).split():
        marker = ""
        for match in search._WORD.finditer(chunk):
            start = match.start()
            if start and chunk[start - 1] in "#@":
                before = chunk[start - 2] if start >= 2 else " "
                if not (before.isalnum() or before in "_/"):
                    marker = chunk[start - 1]
            out.append((match.group(), marker))
    return out


FOLD_ALPHABET = "abcdjlmnqstuprsoie CDJLQ'’ʼ‘`´_-#@/.éÉèçœŒæßøłđıİſKﬁ\u0301\u034f\u0483\u00a0\t東京ǰẖ🚲x1"


LATIN1 = "".join(map(chr, range(256)))


@SETTINGS
@given(st.text(alphabet=FOLD_ALPHABET, max_size=40) | st.text(max_size=30) | st.text(alphabet=LATIN1, max_size=40))
def test_the_faster_fold_folds_exactly_as_before(text):
    assert search.fold(text) == old_fold(text)


def test_every_latin1_character_folds_as_before_alone_and_in_a_french_word():
    # Latin-1 text takes a short cut (one bytes.translate): each of its 256 characters, alone and inside a word.
    for ch in LATIN1:
        for text in (ch, f"L'{ch}été À{ch}", ch * 3):
            assert search.fold(text) == old_fold(text), repr(text)


def test_an_elision_is_only_looked_for_after_a_letter_that_can_end_one():
    # _elide tries the regex only where the character before an apostrophe is one of these (any case).
    ends = re.compile("[cdjlmnstu]", re.IGNORECASE)
    assert {ch for ch in map(chr, range(0x110000)) if ends.fullmatch(ch)} == set(search._ELISION_STARTS)


@SETTINGS
@given(st.text(alphabet=FOLD_ALPHABET, max_size=40))
def test_words_carry_their_markers_as_the_rule_says(text):
    assert search.marked_words(text) == spec_marked_words(text)
    assert [w for w, _m in search.marked_words(text)] == search.words(text) == search.words_and_marks(text)[0]


@pytest.mark.parametrize("text, expected", [
    ("@jean_dupont", [("jean", "@"), ("dupont", "@")]),
    ("#VéloCargo", [("velocargo", "#")]),
    ("Merci @velocite ! #velotaf", [("merci", ""), ("velocite", "@"), ("velotaf", "#")]),
    ("jean@example.org", [("jean", ""), ("example", ""), ("org", "")]),
    ("https://example.org/#top", [("https", ""), ("example", ""), ("org", ""), ("top", "")]),
    ("(#vélo)", [("velo", "#")]),
    ("l'asso qu'il", [("asso", ""), ("il", "")]),
    ("qzwsx le", [("qzwsx", ""), ("le", "")]),
])
def test_marked_words_keep_every_word_unstemmed(text, expected):
    assert search.marked_words(text) == expected



def plain_words_and_marks(text):
    """words_and_marks the straightforward way: the old fold, one regex for the words, the markers token by token."""
    found, marks = [], {}
    for chunk in old_fold(text).split():
        marker = ""
        for match in search._WORD.finditer(chunk):
            start = match.start()
            if start and chunk[start - 1] in "#@":
                before = chunk[start - 2] if start >= 2 else " "
                if not (before.isalnum() or before in "_/"):
                    marker = chunk[start - 1]
            if marker:
                marks[len(found)] = marker
            found.append(match.group())
    return found, marks


# Signs that fold to a space or to a marker, every whitespace character, French elisions, a link, a mention.
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())
READING_ALPHABET = FOLD_ALPHABET + WHITESPACE + "´¨¸˘＃＠ﬁ…"
reading_tokens = st.sampled_from(TOKENS + ["L'Atelier", "qu’il", "jusqu'au", "@Jean_Dupont", "#VéloCargo…",
                                           "a#b", "/#top", "x@y.org", "ÉTÉ", "Straße", "١٢", "ｖｅｌｏ"])


@SETTINGS
@given(st.text() | st.text(alphabet=READING_ALPHABET, max_size=60) | st.text(alphabet="abjlqu'#@/_-. \t1", max_size=40)
       | st.lists(st.tuples(reading_tokens | st.text(alphabet=READING_ALPHABET, max_size=6),
                            st.sampled_from(" " * 20 + WHITESPACE)), max_size=12).map(lambda parts: "".join(map("".join, parts))))
def test_the_fast_reading_gives_the_words_marks_and_positions_of_the_plain_one(text):
    # Folding by runs, the table's 0xFF refusals and splitting a spaced copy instead of a regex change no word.
    found, marks = plain_words_and_marks(text)
    assert search.words_and_marks(text) == (found, marks)
    assert search.words(text) == found
    features = Doc("d", text).features
    for key in {*found, *(marker + found[i] for i, marker in marks.items())}:
        marker, word = (key[0], key[1:]) if key[0] in "#@" else ("", key)
        expected = [i for i, w in enumerate(found) if w == word and (not marker or marks.get(i) == marker)]
        assert features.positions(key) == [_TEXT_OFFSET + i for i in expected], key
