"""Which listening queries a message matches: a reference evaluator and a compiled matcher for thousands of queries.

A message is a :class:`Doc` (:func:`doc_from_item` makes one from a stream item, or anything shaped like
it). It is read once, whatever the number of queries: :attr:`Doc.features` holds its words with their
markers (``#``, ``@``), the host of its link, its language, channel and author; word positions are found
when a phrase or a NEAR first asks for them, and kept for the next query.

:func:`evaluate` is the reference: it walks one query's tree over one message. :class:`Matcher` holds every
query of every workspace at once. From each query it takes groups of keys such that any message the query
matches holds a key of every group: a word (``velo``, ``#velo``), a title word, the first four letters of a
prefix, a field value (``lang:fr``, ``site:example.org``); an OR gives one group of all its sides' keys.
The rarest group is the query's anchor, filed in one table that a message looks its own keys up in (one C
set intersection); the next two rarest groups are checked against the message's keys (a C set operation
each) before the query's compiled test runs. So a message costs its reading, a few look-ups and the tests of
the few queries it may match, whether there are ten queries or ten thousand; adding a query files its
anchor only. A query without an anchor (``vel*`` alone, or a tree built by hand that only excludes) is
tested on every message: the result never depends on the anchors, only the speed. Which keys are rare is
learnt from a sample of recent messages (``Matcher(queries, sample=…)``, :meth:`Matcher.learn`), or guessed.

Positions: the title's words are numbered from 0 and the text's from past the title plus
:data:`~comptoir.listening.querylang.MAX_DISTANCE`, so that no phrase nor NEAR spans both.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping
from operator import itemgetter
from typing import Any
from urllib.parse import urlsplit

from comptoir.stream.search import STOPWORDS, words_and_marks

from .querylang import MAX_DISTANCE, And, Field, Near, Node, Not, Or, Phrase, Word, parse

_TEXT_OFFSET = MAX_DISTANCE + 1
# Prefixes are filed under their first four letters: three would file rembours* with remise and remerciements.
PREFIX_KEY = 4
_PREFIX_OF = itemgetter(slice(PREFIX_KEY))  # word[:4], called from C
_EMPTY: frozenset[str] = frozenset()
Words = tuple[list[str], dict[int, str]]  # what words_and_marks gives: the words, and index → "#" or "@"


class Doc:
    """One message as listening reads it. ``author`` is a handle; ``url`` gives ``site:``; ``lang`` and
    ``channel`` are codes such as ``fr`` and ``mastodon``."""

    __slots__ = ("id", "text", "title", "author", "url", "lang", "channel", "_features")

    def __init__(self, id: Any, text: str, title: str = "", author: str = "", url: str = "",
                 lang: str = "", channel: str = "") -> None:
        self.id = id
        self.text = text or ""
        self.title = title or ""
        self.author = author or ""
        self.url = url or ""
        self.lang = lang or ""
        self.channel = channel or ""
        self._features: Features | None = None

    @property
    def features(self) -> Features:
        """What queries look at, computed on first use and kept (one reading for every query)."""
        if self._features is None:
            self._features = Features(self)
        return self._features

    def __repr__(self) -> str:
        return f"Doc({self.id!r}, {self.text[:40]!r})"


def doc_from_item(item: Any) -> Doc:
    """A :class:`Doc` of a stream item, or of any object with ``text``, ``title``, ``author`` (``None`` or with
    ``.handle``), ``url``, ``language`` and ``source.network`` or ``channel.network``. No model is imported."""
    author = getattr(item, "author", None)
    network = ""
    for holder in ("source", "channel"):
        network = getattr(getattr(item, holder, None), "network", None) or ""
        if network:
            break
    pk = getattr(item, "pk", None)
    return Doc(pk if pk is not None else getattr(item, "id", None), getattr(item, "text", "") or "",
               title=getattr(item, "title", "") or "",
               author=(getattr(author, "handle", "") or "") if author is not None else "",
               url=getattr(item, "url", "") or "", lang=getattr(item, "language", "") or "", channel=network)


# What urlsplit(url).hostname gives for the usual link, read by one regex (urlsplit is pure Python, 5 µs).
_PLAIN_HOST = re.compile(r"https?://([A-Za-z0-9.-]+)(?=[/:?#]|\Z)")


def host_of(url: str) -> str:
    """The lower-case ASCII (punycode) host of ``url``, without a final dot; ``""`` if there is none."""
    if not url:
        return ""
    plain = _PLAIN_HOST.match(url)
    if plain is not None:
        return plain.group(1).lower().rstrip(".")
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname or ""
    except ValueError:  # a malformed IPv6 literal
        return ""
    host = host.rstrip(".")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            pass  # not a name IDNA can spell: kept as written, so no site: (always ASCII) matches it
    return host


def _keys(words: Words) -> set[str]:
    found, marks = words
    keys = set(found)
    if marks:
        keys.update([marker + found[i] for i, marker in marks.items()])
    return keys


def _find(words: Words, key: str, offset: int) -> list[int]:
    """Positions of ``key`` (a word, ``#word`` or ``@word``) in ``words``, plus ``offset``."""
    found, marks = words
    marker = key[0] if key[0] in "#@" else ""
    word = key[1:] if marker else key
    count = found.count(word)
    positions = []
    at = -1
    for _ in range(count):
        at = found.index(word, at + 1)  # list.index and count run in C: cheaper than a Python loop
        if not marker or marks.get(at) == marker:
            positions.append(at + offset)
    return positions


class Features:
    """A :class:`Doc` as queries see it. ``words``: its title's and text's words, plain and as ``#word`` and
    ``@word`` when so written; ``title_words`` the title's alone; positions and prefixes found on demand."""

    __slots__ = ("words", "title_words", "field_keys", "lang", "channel", "host", "author", "author_local",
                 "_title", "_text", "_positions", "_title_positions", "_prefixed", "_index", "_sorted", "_keys")

    def __init__(self, doc: Doc) -> None:
        self._title: Words = words_and_marks(doc.title) if doc.title else ([], {})
        self._text: Words = words_and_marks(doc.text)
        self.words = _keys(self._text)
        if self._title[0]:
            self.title_words: set[str] | frozenset[str] = _keys(self._title)
            self.words |= self.title_words
        else:
            self.title_words = _EMPTY
        self.lang = doc.lang.casefold().replace("_", "-").split("-")[0]
        self.channel = doc.channel.casefold()
        self.host = host_of(doc.url)
        self.author = doc.author.casefold().removeprefix("@")
        self.author_local = self.author.split("@", 1)[0]
        keys = []
        if self.lang:
            keys.append("lang:" + self.lang)
        if self.channel:
            keys.append("channel:" + self.channel)
        if self.host:
            labels = self.host.split(".")
            keys += ["site:" + ".".join(labels[i:]) for i in range(len(labels))]
        if self.author:
            keys.append("author:" + self.author_local)
        self.field_keys = keys
        self._positions: dict[str, list[int]] = {}
        self._title_positions: dict[str, list[int]] = {}
        self._prefixed: dict[tuple[str, bool], list[str]] = {}
        self._index: tuple[dict[str, list[int]], dict[str, list[int]]] | None = None
        self._sorted: tuple[list[str], list[str]] | None = None
        self._keys: set[str] | None = None

    def positions(self, key: str, title: bool = False) -> list[int]:
        """Ascending positions of ``key`` (``word``, ``#word``, ``@word``) in the title and text, or the title."""
        cache = self._title_positions if title else self._positions
        cached = cache.get(key)
        if cached is None:
            cached = _find(self._title, key, 0) if self._title[0] else []
            if not title:
                cached += _find(self._text, key, len(self._title[0]) + _TEXT_OFFSET)
            cache[key] = cached
        return cached

    def prefixed(self, prefix: str, title: bool = False) -> list[str]:
        """The distinct plain words of the title and text (or the title) that start with ``prefix``."""
        key = (prefix, title)
        cached = self._prefixed.get(key)
        if cached is None:
            if self._sorted is None:
                # "#…" and "@…" keys never start with a prefix's letter or digit: the scan stops before them.
                self._sorted = sorted(self.words), sorted(self.title_words)
            ordered = self._sorted[1] if title else self._sorted[0]
            cached = []
            for i in range(bisect_left(ordered, prefix), len(ordered)):
                if not ordered[i].startswith(prefix):
                    break
                cached.append(ordered[i])
            self._prefixed[key] = cached
        return cached

    def keys(self) -> set[str]:
        """What the matcher's anchor table is looked up with: the words, the first four letters of each word
        (for prefixes), ``"title:"`` and each title word, the field keys (``lang:fr``…).

        A prefix key is spelled like a word (``velo`` for ``velocargo``): the table then gives a query on
        the word ``velo`` to a message that holds ``velocargo`` too, which only adds a candidate, and a
        message is read faster.
        """
        if self._keys is None:
            keys = set(self.words)
            keys.update(map(_PREFIX_OF, self.words))  # no set of the prefixes alone
            if self.title_words:
                keys.update(["title:" + w for w in self.title_words])
            keys.update(self.field_keys)
            self._keys = keys
        return self._keys

    def index(self) -> tuple[dict[str, list[int]], dict[str, list[int]]]:
        """Every word, ``#word`` and ``@word`` → its positions, in the title and text and in the title: what the
        reference evaluator reads (built whole, the plain way, once per message)."""
        if self._index is None:
            everywhere: dict[str, list[int]] = {}
            title: dict[str, list[int]] = {}
            offset = len(self._title[0]) + _TEXT_OFFSET
            for (found, marks), start, tables in ((self._title, 0, (everywhere, title)),
                                                  (self._text, offset, (everywhere,))):
                for i, word in enumerate(found):
                    keys = (word, marks[i] + word) if i in marks else (word,)
                    for table in tables:
                        for key in keys:
                            table.setdefault(key, []).append(start + i)
            self._index = everywhere, title
        return self._index


def _features(doc: Doc | Features) -> Features:
    return doc.features if isinstance(doc, Doc) else doc


# --- Shared by both evaluators ------------------------------------------------------------------


def _near(left: list[tuple[int, int]], right: list[tuple[int, int]], distance: int, ordered: bool) -> bool:
    """Whether an occurrence (first, last position) of ``left`` and one of ``right`` that share no word are
    at most ``distance`` apart, counted from the end of the earlier to the start of the later."""
    for s1, e1 in left:
        for s2, e2 in right:
            if s2 > e1:
                if s2 - e1 <= distance:
                    return True
            elif not ordered and s1 > e2 and s1 - e2 <= distance:
                return True
    return False


def _field_matches(name: str, value: str, x: Features) -> bool:
    if name == "lang":
        return x.lang == value
    if name == "channel":
        return x.channel == value
    if name == "site":
        return x.host == value or x.host.endswith("." + value)
    if name == "author":
        return x.author == value or ("@" not in value and x.author_local == value)
    raise ValueError(f"unknown field {name!r}")


# --- The reference ------------------------------------------------------------------------------


def _occurrences(node: Node, x: Features) -> list[tuple[int, int]]:
    """Every (first, last) position of a Word, Phrase or OR of them."""
    if isinstance(node, Or):
        return [o for child in node.children for o in _occurrences(child, x)]
    index = x.index()[1 if node.title else 0]  # type: ignore[attr-defined]
    if isinstance(node, Word) and node.prefix:
        found = [i for key in index if key[0] not in "#@" and key.startswith(node.word)
                 for i in index.get(node.marker + key, ())]
        return [(i, i) for i in sorted(found)]
    if isinstance(node, Word):
        return [(i, i) for i in index.get(node.marker + node.word, ())]
    if isinstance(node, Phrase):
        keys = [m + w for w, m in node.words]
        return [(i, i + len(keys) - 1) for i in index.get(keys[0], ())
                if all(i + k in index.get(key, ()) for k, key in enumerate(keys))]
    raise TypeError(f"no positions in {node!r}")


def evaluate(query: Node | str, doc: Doc | Features) -> bool:
    """Whether ``doc`` matches ``query``, by walking the query's tree (the reference for :class:`Matcher`)."""
    node = parse(query) if isinstance(query, str) else query
    return _evaluate(node, _features(doc))


def _evaluate(node: Node, x: Features) -> bool:
    if isinstance(node, Word) and not node.prefix:
        return node.marker + node.word in (x.title_words if node.title else x.words)
    if isinstance(node, Word | Phrase):
        return bool(_occurrences(node, x))
    if isinstance(node, Field):
        return _field_matches(node.name, node.value, x)
    if isinstance(node, Not):
        return not _evaluate(node.child, x)
    if isinstance(node, And):
        return all(_evaluate(c, x) for c in node.children)
    if isinstance(node, Or):
        return any(_evaluate(c, x) for c in node.children)
    if isinstance(node, Near):
        return _near(_occurrences(node.left, x), _occurrences(node.right, x), node.distance, node.ordered)
    raise TypeError(f"not a query node: {node!r}")


# --- Compiled -----------------------------------------------------------------------------------

Test = Callable[[Features], bool]
Occurrences = Callable[[Features], list[tuple[int, int]]]


def _compile_occurrences(node: Node) -> tuple[Test, Occurrences]:
    """(a quick test that fails when there can be no occurrence, the occurrences) of a positional node."""
    if isinstance(node, Or):
        parts = [_compile_occurrences(c) for c in node.children]
        maybes = [maybe for maybe, _ in parts]
        return (lambda x: any(maybe(x) for maybe in maybes),
                lambda x: [o for _, occurrences in parts for o in occurrences(x)])
    title = node.title  # type: ignore[attr-defined]
    if isinstance(node, Word) and node.prefix:
        word, marker = node.word, node.marker

        def prefixed(x: Features) -> list[tuple[int, int]]:
            found = sorted(i for w in x.prefixed(word, title) for i in x.positions(marker + w, title))
            return [(i, i) for i in found]
        return (lambda x: True), prefixed
    if isinstance(node, Word):
        key = node.marker + node.word

        def maybe_word(x: Features) -> bool:
            return key in (x.title_words if title else x.words)

        def word_occurrences(x: Features) -> list[tuple[int, int]]:
            if key not in (x.title_words if title else x.words):
                return []
            return [(i, i) for i in x.positions(key, title)]
        return maybe_word, word_occurrences
    if isinstance(node, Phrase):
        keys = tuple(m + w for w, m in node.words)
        first, rest, last = keys[0], keys[1:], len(keys) - 1

        def maybe(x: Features) -> bool:
            words = x.title_words if title else x.words
            for key in keys:
                if key not in words:
                    return False
            return True

        def occurrences(x: Features) -> list[tuple[int, int]]:
            if not maybe(x):
                return []
            following = [x.positions(key, title) for key in rest]
            return [(i, i + last) for i in x.positions(first, title)
                    if all(i + k in where for k, where in enumerate(following, 1))]
        return maybe, occurrences
    raise TypeError(f"no positions in {node!r}")


def _compile(node: Node) -> Test:
    if isinstance(node, Word) and not node.prefix:
        key = node.marker + node.word
        if node.title:
            return lambda x: key in x.title_words
        return lambda x: key in x.words
    if isinstance(node, Word):
        word, marker, title = node.word, node.marker, node.title

        def prefixed(x: Features) -> bool:
            words = x.title_words if title else x.words
            return any(marker + w in words for w in x.prefixed(word, title))
        return prefixed
    if isinstance(node, Phrase):
        occurrences = _compile_occurrences(node)[1]
        return lambda x: bool(occurrences(x))
    if isinstance(node, Field):
        name, value = node.name, node.value
        return lambda x: _field_matches(name, value, x)
    if isinstance(node, Not):
        child = _compile(node.child)
        return lambda x: not child(x)
    if isinstance(node, And | Or):
        # Cheap tests first (set look-ups), positions last: the answer does not depend on the order.
        parts = [_compile(c) for c in sorted(node.children, key=_cost)]
        if isinstance(node, And):
            def every(x: Features) -> bool:
                for part in parts:
                    if not part(x):
                        return False
                return True
            return every

        def some(x: Features) -> bool:
            for part in parts:
                if part(x):
                    return True
            return False
        return some
    if isinstance(node, Near):
        (left_maybe, left), (right_maybe, right) = map(_compile_occurrences, (node.left, node.right))
        distance, ordered = node.distance, node.ordered

        def near(x: Features) -> bool:
            if not (left_maybe(x) and right_maybe(x)):
                return False
            a = left(x)
            if not a:
                return False
            b = right(x)
            return bool(b) and _near(a, b, distance, ordered)
        return near
    raise TypeError(f"not a query node: {node!r}")


def _cost(node: Node) -> int:
    """How long a node takes to test, roughly (to test cheap children first)."""
    if isinstance(node, Word):
        return 2 if node.prefix else 0
    if isinstance(node, Field):
        return 1
    if isinstance(node, Not):
        return _cost(node.child)
    if isinstance(node, And | Or):
        return max(_cost(c) for c in node.children)
    return 3


# --- Anchors ------------------------------------------------------------------------------------
# A group is (share of messages expected to hold one of its keys, its keys). Keys are those of
# Features.keys(): a word or #word, "title:" and a title word, the first four letters of a prefix,
# a field value ("lang:fr", "site:example.org", "author:jean"). Shares come from a sample of messages, else
# from rough guesses: either way they only choose anchors, never the answer.

Group = tuple[float, list[str]]
MAX_CHECKS = 2
_GUESSED_FIELD_SHARE = {"lang": 0.5, "channel": 0.3, "site": 0.02, "author": 0.001, "title": 0.002}


def _guess(key: str) -> float:
    """A share of messages holding ``key`` when no sample told it."""
    if ":" in key:
        return _GUESSED_FIELD_SHARE[key.split(":", 1)[0]]
    word = key.lstrip("#@")
    share = 0.3 if word in STOPWORDS or len(word) <= 2 else 0.005 + 0.05 / len(word)
    return share / 4 if key[0] in "#@" else share


class _Shares:
    """How common each key is, from a sample of messages (or guessed)."""

    def __init__(self, sample: Iterable[Doc | Features] = ()) -> None:
        self.seen = 0
        self.counts: dict[str, int] = {}
        for doc in sample:
            self.seen += 1
            for key in _features(doc).keys():
                self.counts[key] = self.counts.get(key, 0) + 1

    def __call__(self, key: str) -> float:
        if not self.seen:
            return _guess(key)
        return (self.counts.get(key, 0) + 0.5) / (self.seen + 1)


def _groups(node: Node, share: Callable[[str], float]) -> list[Group]:
    """Groups of keys such that every message ``node`` matches holds a key of each group (maybe no group)."""
    if isinstance(node, Word):
        if node.prefix:
            if len(node.word) < PREFIX_KEY:
                return []  # vel* alone is tried on every message; velo* is filed under *velo
            key = node.word[:PREFIX_KEY]
        else:
            key = ("title:" if node.title else "") + node.marker + node.word
        return [(share(key), [key])]
    if isinstance(node, Phrase):
        keys = dict.fromkeys(("title:" if node.title else "") + m + w for w, m in node.words)
        return [(share(key), [key]) for key in keys]
    if isinstance(node, Field):
        value = node.value.split("@", 1)[0] if node.name == "author" else node.value
        key = f"{node.name}:{value}"
        return [(share(key), [key])]
    if isinstance(node, Not):
        return []
    if isinstance(node, And | Near):
        children = node.children if isinstance(node, And) else (node.left, node.right)
        return [group for child in children for group in _groups(child, share)]
    if isinstance(node, Or):
        best = []
        for child in node.children:
            groups = _groups(child, share)
            if not groups:
                return []
            best.append(min(groups, key=lambda g: g[0]))
        return [(min(1.0, sum(g[0] for g in best)), [key for g in best for key in g[1]])]
    raise TypeError(f"not a query node: {node!r}")


def _anchor_and_checks(node: Node, share: Callable[[str], float]) -> tuple[list[str] | None,
                                                                           tuple[frozenset[str], ...]]:
    """The keys of the rarest group (filed in the table) and of the next rarest groups (checked on sight)."""
    groups = sorted(_groups(node, share), key=lambda g: g[0])
    if not groups:
        return None, ()
    anchor = list(dict.fromkeys(groups[0][1]))
    checks: list[frozenset[str]] = []
    for _share, keys in groups[1:]:
        group = frozenset(keys)
        if not group & set(anchor) and group not in checks:
            checks.append(group)
        if len(checks) == MAX_CHECKS:
            break
    return anchor, tuple(checks)


class Matcher:
    """Many queries (``{key: query text or tree}``) against many messages; each message is read once.

    ``match(doc)`` gives the keys of the queries ``doc`` matches; it agrees with :func:`evaluate` on every
    query. Queries are parsed (a bad one raises :class:`~comptoir.listening.querylang.QueryError`) and
    compiled when added; :meth:`add` and :meth:`remove` change one query without touching the others.
    ``sample``: some recent messages, to learn which words are rare (see :meth:`learn`).
    """

    def __init__(self, queries: Mapping[Hashable, str | Node] | None = None,
                 sample: Iterable[Doc | Features] = ()) -> None:
        self._keys: list[Hashable] = []
        self._nodes: list[Node | None] = []
        self._tests: list[Test | None] = []
        self._checks: list[tuple[frozenset[str], ...]] = []
        self._anchors: list[list[str] | None] = []
        self._slots: dict[Hashable, int] = {}
        self._table: dict[str, list[int]] = {}
        self._everywhere: list[int] = []
        self._share = _Shares(sample)
        for key, query in (queries or {}).items():
            self.add(key, query)

    def __len__(self) -> int:
        return len(self._slots)

    def learn(self, sample: Iterable[Doc | Features]) -> None:
        """Count how many of ``sample``'s messages hold each key, then anchor every query on its rarest keys.

        The matches do not change; only how many queries are tried on each message (the speed).
        """
        self._share = _Shares(sample)
        self._refile()

    def add(self, key: Hashable, query: str | Node) -> None:
        """Add (or replace) the query under ``key``."""
        node = parse(query) if isinstance(query, str) else query
        if key in self._slots:
            self.remove(key)
        self._file(key, node, _compile(node))

    def remove(self, key: Hashable) -> None:
        slot = self._slots.pop(key)
        anchor = self._anchors[slot]
        if anchor is None:
            self._everywhere.remove(slot)
        else:
            for value in anchor:
                slots = self._table[value]
                slots.remove(slot)
                if not slots:
                    del self._table[value]
        self._tests[slot] = self._anchors[slot] = self._nodes[slot] = None
        self._checks[slot] = ()
        if len(self._keys) > 2 * len(self._slots) + 64:
            self._refile()  # mostly removed queries: number the rest afresh

    def _file(self, key: Hashable, node: Node, test: Test) -> None:
        slot = len(self._keys)
        anchor, checks = _anchor_and_checks(node, self._share)
        self._keys.append(key)
        self._nodes.append(node)
        self._tests.append(test)
        self._checks.append(checks)
        self._anchors.append(anchor)
        self._slots[key] = slot
        if anchor is None:
            self._everywhere.append(slot)
        else:
            for value in anchor:
                self._table.setdefault(value, []).append(slot)

    def _refile(self) -> None:
        live = [(key, self._nodes[slot], self._tests[slot]) for key, slot in self._slots.items()]
        self._keys, self._nodes, self._tests, self._checks, self._anchors = [], [], [], [], []
        self._slots, self._table, self._everywhere = {}, {}, []
        for key, node, test in live:
            self._file(key, node, test)  # type: ignore[arg-type]

    def candidates(self, x: Features) -> list[int]:
        """The queries that may match (every one that does, and a few more)."""
        table, keys = self._table, x.keys()
        hits = table.keys() & keys
        if len(hits) == 1 and not self._everywhere:
            found: Iterable[int] = table[hits.pop()]  # the usual case: no set to build (a key files a query once)
        else:
            found = set(self._everywhere)
            for key in hits:
                found.update(table[key])
        checks = self._checks
        kept = []
        for slot in found:
            for group in checks[slot]:
                if keys.isdisjoint(group):
                    break
            else:
                kept.append(slot)
        return kept

    def match(self, doc: Doc | Features) -> set[Hashable]:
        x = _features(doc)
        tests, keys = self._tests, self._keys
        return {keys[slot] for slot in self.candidates(x) if tests[slot](x)}  # type: ignore[misc]

    def match_many(self, docs: Iterable[Doc]) -> Iterator[tuple[Doc, set[Hashable]]]:
        for doc in docs:
            yield doc, self.match(doc)
