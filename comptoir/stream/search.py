"""French-aware search: one normaliser for every search box, and the index behind it on both databases.

A community manager types ``velo``, ``VÉLO``, ``ateliers`` or ``l'atelier`` and expects the message
that says "l'atelier … mon vélo". The same :func:`tokens` reads the messages when they are indexed
and the words of a query, so both sides always agree:

* case and accents folded (``É`` → ``e``, ``œ`` → ``oe``), French elisions split (``l'atelier``,
  ``qu’il``, ``jusqu'au``), words are runs of letters and digits in any script;
* a light plural stemmer for French and English (:func:`stem`): ``ateliers`` → ``atelier``,
  ``chevaux`` → ``cheval``, ``bureaux`` → ``bureau``, ``cities`` and ``city`` → ``city``.

A query (:func:`parse`) is words that must all appear, ``"exact phrases"`` (straight, curly or
French quotes), ``prefix*`` and ``-excluded`` words; very common short words (le, la, the…) are
ignored outside phrases. The listening query language (:mod:`comptoir.listening`) reads words with
the same normaliser, unstemmed and with their ``#`` and ``@`` marks (:func:`words_and_marks`); it
never copies it.

The index (:class:`Index`, one per database vendor) holds, per message, its words and one token
per filterable label (workspace, source, kind, language, sentiment…), so that a search with filters
is answered by the index alone, in the Fil's order: the index's row id is the message's
``sort_key`` (publication second, then id), newest first. SQLite uses an FTS5 table
(``unicode61 remove_diacritics 2``); PostgreSQL a ``tsvector`` column with a GIN index and a text
search configuration that runs ``unaccent``. Ingestion, analysis and label corrections keep it in
step (:func:`index_items`); erasing forgets (:func:`forget`).

The normaliser (:func:`fold`, :func:`words`, :func:`marked_words`, :func:`tokens`) needs no Django:
the ``comptoir query`` command imports it without settings, so the database is imported where it
is used.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

# --- Normalising --------------------------------------------------------------------------------

# The lookahead only lets the engine skip positions that cannot start an elision (twice as fast, same matches).
_ELISION = re.compile(r"(?=[cdjlmnstpq])\b(?:qu|jusqu|lorsqu|puisqu|quoiqu|presqu|[cdjlmnst])['’ʼ‘`´]",
                      re.IGNORECASE)
_APOSTROPHE = re.compile(r"['’ʼ‘`´]")
_WORD = re.compile(r"[^\W_]+")
# The same words in folded ASCII text (no upper case is left), a third faster to find.
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ß": "ss", "ø": "o", "Ø": "o",
                            "ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ı": "i"})
# str.translate looks every character of a non-ASCII text up in the table (50 µs for a tweet): only texts
# that hold a ligature go through it.
_LIGATURE_CHARS = re.compile("[" + "".join(map(chr, _LIGATURES)) + "]")
# Almost every accent left by NFKD in French or English is one of these; removing them in one C pass leaves
# the rare others to the character-by-character test.
_COMMON_MARKS = re.compile("[" + "".join(ch for ch in map(chr, range(0x300, 0x370)) if unicodedata.combining(ch))
                           + "]+")
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
# Our label tokens start with this; no French or English word does, and none from a text is indexed as one.
LABEL_PREFIX = "qz"
STOPWORDS = frozenset(
    "a au aux avec ce ces dans de des du en et il je la le les leur lui ma mais me mes mon ne nos notre nous on ou "
    "par pas pour qu que qui sa se ses son sur ta te tes ton tu un une vos votre vous y est sont "
    "an and are as at be by for from in is it of on or that the this to was were with".split()
)


def _drop_marks(match: re.Match) -> str:
    return "".join(ch for ch in match.group() if not unicodedata.combining(ch))


def _slow_fold_char(ch: str) -> str:
    text = unicodedata.normalize("NFKD", ch.translate(_LIGATURES))
    return "".join(c for c in text if not unicodedata.combining(c)).casefold()


# French and English text is almost always Latin-1: each of its characters folds alone to one ASCII character
# (é → e, À → a, NBSP → space), so one bytes.translate does the work of NFKD, mark removal and casefold. The
# few that fold to several characters or to none (ß, æ, ¼, µ…), and those beyond Latin-1 (…, ’, emoji), go the
# general way, the text around them still through the table.
_LATIN1_FOLDS = [_slow_fold_char(chr(code)) for code in range(256)]
# What the table cannot fold becomes 0xFF, which decoding as ASCII refuses.
_LATIN1_TABLE = bytes(ord(f) if len(f) == 1 and f.isascii() else 0xFF for f in _LATIN1_FOLDS)
_LATIN1_FAST = "".join(chr(code) for code, f in enumerate(_LATIN1_FOLDS) if len(f) == 1 and f.isascii())
# Runs of the characters the table cannot fold: the few Latin-1 ones, and every one above.
_SLOW_RUNS = re.compile("([^" + "".join(f"\\x{ord(ch):02x}" for ch in _LATIN1_FAST) + "]+)")
# Past this many pieces (16 runs: a text in another script) the whole text goes the general way at once; a French
# text with a dozen ’ and « » is still far faster run by run.
_MAX_RUNS = 33


def fold(text: str) -> str:
    """Lower case, accents removed, ligatures spelled out, elisions split: what both sides of a search compare."""
    if text.isascii():
        return _elide(text.lower())  # nothing to decompose, and lower() is casefold() on ASCII
    try:
        return _elide(text.encode("latin-1").translate(_LATIN1_TABLE).decode("ascii"))
    except UnicodeError:  # a character above Latin-1, or one of the few the table cannot fold
        pass
    runs = _SLOW_RUNS.split(text)  # what the table folds, what it cannot, …, what the table folds
    if len(runs) <= _MAX_RUNS:
        # Folding goes character by character (NFKD only reorders the marks it then removes): a tweet with
        # one emoji or "…" folds mostly by the table, its few other characters the general way.
        text = "".join([_fold_run(run) if i % 2 else _fold_latin1(run) for i, run in enumerate(runs)])
    else:
        text = _fold_other(text)
    return _elide(text)


def _fold_latin1(text: str) -> str:
    return text.encode("latin-1").translate(_LATIN1_TABLE).decode("ascii") if text else text


def _fold_other(text: str) -> str:
    if _LIGATURE_CHARS.search(text):
        text = text.translate(_LIGATURES)
    text = _COMMON_MARKS.sub("", unicodedata.normalize("NFKD", text))
    if not text.isascii():
        text = _NON_ASCII.sub(_drop_marks, text)
    return text.casefold()


# The same few short runs come back in message after message (…, ’, œ, «, an emoji): each is folded once.
_fold_short_run = functools.lru_cache(maxsize=4096)(_fold_other)


def _fold_run(run: str) -> str:
    return _fold_short_run(run) if len(run) <= 8 else _fold_other(run)  # a long run (another script) is not kept


# Where an elision can start, from its apostrophe back, by the letter before the apostrophe (what _ELISION
# matches there, case folded as re.IGNORECASE does, ſ included): lorsqu' puisqu' quoiqu' presqu', jusqu', qu';
# l', d'… Any other letter ends no elision.
_ELISION_STARTS = {**dict.fromkeys("uU", (6, 5, 2)), **dict.fromkeys("cdjlmnstCDJLMNSTſ", (1,))}


def _elide(text: str) -> str:
    """``_ELISION.sub(" ", text)``, tried only where an elision can be (it ends with an apostrophe): twice as fast,
    and ``text`` itself when it has no apostrophe.

    Trying each apostrophe's possible starts from the farthest finds what the regex's left-to-right scan
    finds: a match cannot hold an apostrophe before its last character, so matches of two apostrophes never
    compete.
    """
    parts: list[str] = []
    done = 0
    for apostrophe in _APOSTROPHE.finditer(text):
        at = apostrophe.start()
        for back in _ELISION_STARTS.get(text[at - 1:at], ()):
            start = at - back
            if start >= done:
                match = _ELISION.match(text, start)
                if match is not None and match.end() == at + 1:
                    parts += (text[done:start], " ")
                    done = at + 1
                    break
    if not parts:
        return text
    parts.append(text[done:])
    return "".join(parts)


def stem(word: str) -> str:
    """A light plural stemmer for French and English: singular and plural land on the same form.

    Conservative on purpose: it only removes what plurals add, and the same function reads the
    messages and the queries, so a word that stems oddly (``prix`` → ``pri``) still finds itself.
    """
    if len(word) < 4 or not word.isalpha():
        return word
    if len(word) >= 5 and word.endswith("ies"):
        return word[:-3] + "y"  # cities, séries → city, sery (with "ie" below: série → sery)
    if word.endswith("eaux"):
        return word[:-1]  # bureaux → bureau
    if len(word) >= 5 and word.endswith("aux"):
        return word[:-3] + "al"  # chevaux → cheval, journaux → journal
    if word.endswith(("eux", "oux")):
        return word[:-1]  # jeux → jeu, bijoux → bijou
    if word.endswith("ie"):
        return word[:-2] + "y"
    if word.endswith("s") and not word.endswith("ss"):
        return stem(word[:-1]) if word[:-1].endswith("ie") else word[:-1]
    return word


def words(text: str) -> list[str]:
    """The words of ``text``, folded, in order, none dropped and none stemmed (what listening compares).

    A word is a run of letters and digits in any script: ``_``, ``-``, ``'``, ``#``, ``@``, spaces and
    every other sign split words, and so does a French elision (``l'association`` → ``association``).
    """
    folded = _ascii_signs(fold(text))
    if folded.isascii():
        return folded.translate(_ASCII_SPACED).split()
    return _WORD.findall(folded)


# Folded ASCII text with every character but a-z and 0-9 made a space: its str.split() is _ASCII_WORD.findall
# (a third of the time), and a slice of it splits into the words of the same slice of the folded text.
_ASCII_SPACED = str.maketrans({chr(code): chr(code) if chr(code) in "abcdefghijklmnopqrstuvwxyz0123456789" else " "
                               for code in range(128)})
# Emoji and other signs beyond ASCII separate words as "-" does, and are no marker, letter, digit nor space.
_NON_ASCII_SIGNS = re.compile(r"[^\x00-\x7f\w\s]+")


def _ascii_signs(folded: str) -> str:
    """``folded`` with its emoji and other non-ASCII signs made "-": the same words and marks, and often ASCII."""
    return folded if folded.isascii() else _NON_ASCII_SIGNS.sub("-", folded)


# A # or @ right after one of these is part of an address or a link (jean@example.org, /#top), not a marker.
_NOT_BEFORE_MARKER = frozenset("_/")
_MARKER = re.compile(r"[#@]")
_SPACE = re.compile(r"\s")


def words_and_marks(text: str) -> tuple[list[str], dict[int, str]]:
    """The :func:`words` of ``text``, and which of them were written as a hashtag or a mention.

    The marks map a word's index to ``"#"`` or ``"@"``. A ``#`` or ``@`` right before a word marks it and
    the following words of the same whitespace-delimited token: ``@jean_dupont`` marks ``jean`` and
    ``dupont``, ``#VéloCargo`` marks ``velocargo``. A ``#`` or ``@`` that follows a letter, a digit, ``_``
    or ``/`` marks nothing (``jean@example.org``, ``https://example.org/#top``).
    """
    folded = _ascii_signs(fold(text))
    ascii_ = folded.isascii()
    spaced = folded.translate(_ASCII_SPACED) if ascii_ else ""
    if "#" not in folded and "@" not in folded:
        return (spaced.split() if ascii_ else _WORD.findall(folded)), {}
    word = _ASCII_WORD if ascii_ else _WORD
    # Only the tokens that hold a # or @ are read word by word; the words between them, at once.
    found: list[str] = []
    marks: dict[int, str] = {}
    done = 0
    for sign in _MARKER.finditer(folded):
        if sign.start() < done:
            continue  # a second # or @ of a token already read
        start = sign.start()
        while start > done and not folded[start - 1].isspace():
            start -= 1
        space = _SPACE.search(folded, sign.start())
        end = space.start() if space else len(folded)
        found += spaced[done:start].split() if ascii_ else word.findall(folded, done, start)
        marker = ""
        for run in word.finditer(folded, start, end):
            at = run.start()
            if at > start and folded[at - 1] in "#@":
                before = folded[at - 2] if at - 2 >= start else " "
                if not (before.isalnum() or before in _NOT_BEFORE_MARKER):
                    marker = folded[at - 1]
            if marker:
                marks[len(found)] = marker
            found.append(run.group())
        done = end
    found += spaced[done:].split() if ascii_ else word.findall(folded, done)
    return found, marks


def marked_words(text: str) -> list[tuple[str, str]]:
    """The :func:`words` of ``text``, each with how it was written: ``""``, ``"#"`` (hashtag) or ``"@"`` (mention).

    ``@jean_dupont`` gives ``("jean", "@"), ("dupont", "@")``; see :func:`words_and_marks`.
    """
    found, marks = words_and_marks(text)
    return [(w, marks.get(i, "")) for i, w in enumerate(found)]


def tokens(text: str) -> list[str]:
    """The searchable words of ``text``, folded and stemmed, in order (phrases need the order)."""
    return [stem(w) for w in words(text) if not w.startswith(LABEL_PREFIX)]


# --- Queries ------------------------------------------------------------------------------------

_QUOTES = re.compile(r"[\"“”«»„]")
_QUERY_PART = re.compile(r"(-?)\"([^\"]*)\"?|(\S+)")


@dataclass(frozen=True)
class Term:
    """One part of a query: a word, a ``prefix*`` or a ``"phrase"`` (several words), maybe excluded."""

    words: tuple[str, ...]
    prefix: bool = False
    excluded: bool = False

    @property
    def is_phrase(self) -> bool:
        return len(self.words) > 1


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...] = ()

    @property
    def required(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if not t.excluded)

    @property
    def excluded(self) -> tuple[Term, ...]:
        return tuple(t for t in self.terms if t.excluded)

    def __bool__(self) -> bool:
        return bool(self.terms)


def parse(text: str) -> Query:
    """Read what a person typed in a search box. Never fails: odd input gives fewer terms, or none."""
    text = _QUOTES.sub('"', text or "")[:1000]
    terms: list[Term] = []
    for match in _QUERY_PART.finditer(text):
        negation, phrase, bare = match.groups()
        if phrase is not None:
            words = tuple(tokens(phrase))
            if words:
                terms.append(Term(words, excluded=bool(negation)))
            continue
        excluded = bare.startswith("-") and len(bare) > 1
        prefix = bare.rstrip("'’").endswith("*")
        words = tuple(tokens(bare))
        if not words:
            continue
        if len(words) > 1:  # vélo-cargo, l'atelier's, 12/03: the parts, next to each other
            terms.append(Term(words, excluded=excluded))
        elif prefix or words[0] not in STOPWORDS or excluded:
            terms.append(Term(words, prefix=prefix, excluded=excluded))
    return Query(tuple(dict.fromkeys(terms)))


# --- Documents ----------------------------------------------------------------------------------

LABELS = {  # filter name → (item attribute, token code)
    "source": ("source_id", "src"), "kind": ("kind", "k"), "lang": ("language", "l"),
    "sentiment": ("sentiment", "s"), "intent": ("intent", "i"), "toxicity": ("toxicity", "t"),
    "spam": ("spam", "p"), "complaint": ("complaint", "c"), "reviewed": ("reviewed", "r"), "author": ("author_id", "a"),
}
TAG_CODE = "g"


def label_token(code: str, value: object) -> str:
    return LABEL_PREFIX + code + re.sub(r"[^a-z0-9]", "", str(value).lower())


def workspace_token(workspace_id: int) -> str:
    return label_token("ws", workspace_id)


def document(item) -> str:
    """What the index holds for ``item``: its words (title, text, author), then its label tokens."""
    author = item.author
    words = tokens(" ".join(filter(None, [item.title, item.text, author and author.handle,
                                          author and author.display_name])))
    labels = [workspace_token(item.workspace_id)]
    labels += [label_token(code, value) for attr, code in LABELS.values()
               if (value := getattr(item, attr, None)) is not None and value != ""]
    item_tags = getattr(item, "item_tags", None)  # absent from the model in early migrations
    if item_tags is not None:
        labels += [label_token(TAG_CODE, it.tag_id) for it in item_tags.all()]
    return " ".join(words + labels)


# --- Sort keys ----------------------------------------------------------------------------------

_ID_SPACE = 2**31
_FIRST, _LAST = -2_208_988_800, 4_102_444_799  # 1900-01-01 and 2099-12-31, in seconds since 1970


def sort_key(published_at: datetime | None, fetched_at: datetime | None, item_id: int) -> int:
    """The Fil's order as one signed 64-bit integer: newest publication first, then newest id.

    Seconds since 1970 (clamped to 1900–2099) times 2³¹, plus the id modulo 2³¹. Two messages share
    a key only if published in the same second with ids 2³¹ apart.
    """
    when = published_at or fetched_at or datetime(1970, 1, 1, tzinfo=UTC)
    seconds = min(max(int(when.timestamp()), _FIRST), _LAST)
    return seconds * _ID_SPACE + item_id % _ID_SPACE


def bound_key(when: datetime) -> int:
    """The first sort key of messages published at ``when`` (for date filters: ``low <= key < high``)."""
    return min(max(int(when.timestamp()), _FIRST), _LAST + 1) * _ID_SPACE


# --- The index ----------------------------------------------------------------------------------


@dataclass
class Match:
    """What the index is asked: a workspace, label filters, a query, a key range, a cursor."""

    workspace_id: int
    query: Query
    labels: dict[str, object] = field(default_factory=dict)  # filter name → value, names of LABELS
    tags: tuple[int, ...] = ()  # every one of these tags
    low: int | None = None  # sort_key >= low
    high: int | None = None  # sort_key < high
    before: int | None = None  # keyset cursor: sort_key < before
    after: int | None = None  # keyset cursor: sort_key > after (the newer page, read oldest first)

    def bounds(self) -> list[tuple[str, int]]:
        pairs = ((">=", self.low), ("<", self.high), ("<", self.before), (">", self.after))
        return [(op, value) for op, value in pairs if value is not None]


class Index:
    """The search index of one database vendor."""

    def write(self, cursor, rows: Sequence[tuple[int, int, str]]) -> None:
        """Index ``rows`` of (item id, sort key, document), replacing what was there."""
        raise NotImplementedError

    def forget(self, cursor, keys: Sequence[int]) -> None:
        raise NotImplementedError

    def count(self, cursor, match: Match, cap: int) -> int:
        """How many messages match, counting no further than ``cap``."""
        raise NotImplementedError

    def condition(self, match: Match, limit: int, ascending: bool = False, few: bool = False,
                  walk: bool = False) -> tuple[str, list]:
        """A WHERE condition on ``stream_item`` keeping the first ``limit`` matches in order: one query a page.

        ``few``: the caller counted the matches and there are not many, so reading them all is cheap.
        ``walk``: there are many, and the range is short: test the messages newest first instead of asking the
        index for all the matches (PostgreSQL; SQLite's index answers in order anyway).
        """
        raise NotImplementedError


def _required_tokens(match: Match) -> list[str]:
    tokens_ = [workspace_token(match.workspace_id)]
    tokens_ += [label_token(LABELS[name][1], value) for name, value in match.labels.items()
                if value is not None and value != ""]
    tokens_ += [label_token(TAG_CODE, tag) for tag in match.tags]
    return tokens_


# The SQL below is built from constant table and configuration names and placeholders only (hence the
# S608 waivers): every value, the search expression included, goes as a parameter.


class SqliteIndex(Index):
    """An FTS5 table ``stream_item_fts(body)`` whose row id is the message's sort key."""

    TABLE = "stream_item_fts"
    CREATE = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {TABLE} USING fts5(body, tokenize = 'unicode61 remove_diacritics 2',"
              " columnsize = 0)")

    @staticmethod
    def _expression(match: Match) -> str:
        def term(t: Term) -> str:
            quoted = '"' + " ".join(t.words) + '"'
            return quoted + "*" if t.prefix else quoted

        parts = [f'"{tok}"' for tok in _required_tokens(match)] + [term(t) for t in match.query.required]
        expression = " AND ".join(parts)
        for t in match.query.excluded:
            expression = f"({expression}) NOT {term(t)}"
        return expression

    @staticmethod
    def _range(match: Match) -> tuple[str, list[int]]:
        bounds = match.bounds()
        return "".join(f" AND rowid {op} %s" for op, _v in bounds), [value for _op, value in bounds]

    def write(self, cursor, rows):
        self.forget(cursor, [key for _id, key, _doc in rows])
        cursor.executemany(f"INSERT INTO {self.TABLE}(rowid, body) VALUES (%s, %s)", [(k, d) for _i, k, d in rows])  # noqa: S608

    def forget(self, cursor, keys):
        for start in range(0, len(keys), 500):
            chunk = list(keys[start:start + 500])
            cursor.execute(f"DELETE FROM {self.TABLE} WHERE rowid IN ({', '.join(['%s'] * len(chunk))})", chunk)  # noqa: S608

    def condition(self, match, limit, ascending=False, few=False, walk=False):
        where, params = self._range(match)
        order = "ASC" if ascending else "DESC"
        return (f'"stream_item"."sort_key" IN (SELECT rowid FROM {self.TABLE} WHERE {self.TABLE} MATCH %s{where} '  # noqa: S608
                f"ORDER BY rowid {order} LIMIT %s)", [self._expression(match), *params, limit])

    def count(self, cursor, match, cap):
        where, params = self._range(match)
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM {self.TABLE} WHERE {self.TABLE} MATCH %s{where} LIMIT %s)",  # noqa: S608
                       [self._expression(match), *params, cap])
        return cursor.fetchone()[0]


class PostgresIndex(Index):
    """The ``search_vector`` column of ``stream_item`` (GIN), in the ``comptoir_search`` configuration."""

    CONFIG = "comptoir_search"

    @staticmethod
    def _tsquery(match: Match) -> str:
        def term(t: Term) -> str:
            text = " <-> ".join(t.words)
            return f"({text})" if t.is_phrase else (text + ":*" if t.prefix else text)

        parts = _required_tokens(match) + [term(t) for t in match.query.required]
        parts += ["!" + term(t) for t in match.query.excluded]
        return " & ".join(parts)

    @classmethod
    def create(cls, cursor) -> None:
        # unaccent is a trusted extension (PostgreSQL 13+): the database's owner may create it. The
        # documents are folded by our normaliser already; unaccent also folds what a future writer forgets.
        cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {cls.CONFIG}")
        cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {cls.CONFIG} (COPY = simple)")
        cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {cls.CONFIG} ALTER MAPPING FOR asciiword, asciihword, "
                       "hword_asciipart, word, hword, hword_part, numword, numhword, hword_numpart WITH unaccent, simple")
        cursor.execute("ALTER TABLE stream_item ADD COLUMN IF NOT EXISTS search_vector tsvector")
        cursor.execute("CREATE INDEX IF NOT EXISTS stream_item_search_gin ON stream_item USING gin (search_vector)")

    def _where(self, match: Match, walk: bool = False) -> tuple[str, list]:
        sql = f"workspace_id = %s AND search_vector @@ to_tsquery('{self.CONFIG}', %s)"
        if walk:
            # The function form of @@ cannot use the GIN index: the planner walks the filter's sort_key index from
            # the newest message and stops at the page's last match (a few thousand rows in a week of a busy
            # workspace) instead of building the bitmap of every match (70 ms for 26,000 of a million).
            sql = f"workspace_id = %s AND ts_match_vq(search_vector, to_tsquery('{self.CONFIG}', %s))"
        params: list = [match.workspace_id, self._tsquery(match)]
        for op, value in match.bounds():
            sql += f" AND sort_key {op} %s"
            params.append(value)
        return sql, params

    def write(self, cursor, rows):
        cursor.execute(f"UPDATE stream_item SET search_vector = to_tsvector('{self.CONFIG}', v.doc) "  # noqa: S608
                       "FROM unnest(%s::bigint[], %s::text[]) AS v(id, doc) WHERE stream_item.id = v.id",
                       [[item_id for item_id, _k, _d in rows], [doc for _i, _k, doc in rows]])

    def forget(self, cursor, keys):
        pass  # the vector lives on the message's row and leaves with it

    def condition(self, match, limit, ascending=False, few=False, walk=False):
        where, params = self._where(match, walk=walk)
        if few:
            # Few matches: read them all through the GIN index (OFFSET 0 keeps the planner from walking the
            # sort_key index hoping to meet them soon, which reads the whole table when they are rare).
            order = "ASC" if ascending else "DESC"
            return (f'"stream_item"."sort_key" IN (SELECT m.sort_key FROM (SELECT sort_key FROM stream_item '  # noqa: S608
                    f"WHERE {where} OFFSET 0) AS m ORDER BY m.sort_key {order} LIMIT %s)", [*params, limit])
        # Many matches: the sort_key index meets enough of them soon (the caller narrows the time range too).
        return where.replace("workspace_id", '"stream_item"."workspace_id"', 1), params

    def count(self, cursor, match, cap):
        where, params = self._where(match)
        cursor.execute(f"SELECT count(*) FROM (SELECT 1 FROM stream_item WHERE {where} LIMIT %s) AS m", [*params, cap])  # noqa: S608
        return cursor.fetchone()[0]


def create_structures(connection_) -> None:
    """Create the index's tables, columns and configuration (the migration calls this)."""
    with connection_.cursor() as cursor:
        if connection_.vendor == "postgresql":
            PostgresIndex.create(cursor)
        else:
            cursor.execute(SqliteIndex.CREATE)


def drop_structures(connection_) -> None:
    with connection_.cursor() as cursor:
        if connection_.vendor == "postgresql":
            cursor.execute("DROP INDEX IF EXISTS stream_item_search_gin")
            cursor.execute("ALTER TABLE stream_item DROP COLUMN IF EXISTS search_vector")
            cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PostgresIndex.CONFIG}")
        else:
            cursor.execute(f"DROP TABLE IF EXISTS {SqliteIndex.TABLE}")


def backend() -> Index:
    from django.db import connection

    return PostgresIndex() if connection.vendor == "postgresql" else SqliteIndex()


def index_items(item_ids: Iterable[int]) -> int:
    """(Re)index these messages: their sort key, and their words and labels in the search index."""
    from django.db import connection

    from .models import Item

    ids = list(item_ids)
    done = 0
    index = backend()
    for start in range(0, len(ids), 500):
        items = list(Item.objects.filter(pk__in=ids[start:start + 500]).select_related("author")
                     .prefetch_related("item_tags"))
        moved = []
        for item in items:
            key = sort_key(item.published_at, item.fetched_at, item.pk)
            if item.sort_key != key:
                moved.append(item)
                if item.sort_key is not None:
                    forget([item.sort_key])  # its date changed: its old place in the index goes
                item.sort_key = key
        Item.objects.bulk_update(moved, ["sort_key"], batch_size=500)
        with connection.cursor() as cursor:
            index.write(cursor, [(item.pk, item.sort_key, document(item)) for item in items])
        done += len(items)
    return done


def forget(keys: Iterable[int | None]) -> None:
    """Remove these sort keys from the index (erased messages)."""
    from django.db import connection

    keys = [k for k in keys if k is not None]
    if keys:
        with connection.cursor() as cursor:
            backend().forget(cursor, keys)


def count(match: Match, cap: int) -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        return backend().count(cursor, match, cap)


def optimize() -> None:
    """Merge the index's segments after a large load (SQLite FTS5's 'optimize'; PostgreSQL needs nothing)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {SqliteIndex.TABLE}({SqliteIndex.TABLE}) VALUES ('optimize')")  # noqa: S608
