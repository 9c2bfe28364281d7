"""The listening query language: what a community manager writes to follow a brand, a rival or a theme.

    "Vélo Cité" OR #velocite OR @velocite_lyon
    (livraison OR commande) NEAR/5 (retard OR perdu*) NOT concours lang:fr
    title:"piste cyclable" site:lyon.fr

:func:`parse` reads a query into a tree of frozen nodes (:class:`Word`, :class:`Phrase`, :class:`Field`,
:class:`Not`, :class:`And`, :class:`Or`, :class:`Near`) or raises :class:`QueryError` with the 1-based
column of what is wrong. ``str(node)`` (and :func:`normalise`) writes the tree back in canonical form:
folded words, upper-case operators, explicit ``AND``, the fewest parentheses; it parses back to an equal tree.

Words
    A term matches a whole word of the message's title or text, ignoring case and accents
    (``cafe`` finds ``Café``). Words are folded and split by the same normaliser as the Fil's search
    (:func:`comptoir.stream.search.marked_words`) but never stemmed (``café`` does not find ``cafés``; write
    ``caf*``) and never dropped (``le`` is a word like any other). Every sign splits words, so a term
    written with signs is a phrase: ``vélo-cargo`` is ``"velo cargo"``, ``aujourd'hui`` is
    ``"aujourd hui"``; a French elision goes (``l'association`` is ``association``). Letters of every
    script count, emoji do not (a term of emoji only is an error); a text with no spaces (Chinese,
    Japanese) is one long word, found whole or by prefix.
``#tag`` and ``@handle``
    A plain term also finds the word written as a hashtag or a mention; ``#velo`` finds only the
    hashtag, ``@velocite`` only the mention. A ``#`` or ``@`` marks every word of its
    whitespace-delimited token (``@jean_dupont`` is the mention ``"@jean @dupont"``); one that follows a
    letter, a digit, ``_`` or ``/`` marks nothing (``jean@example.org``, ``https://example.org/#top``).
``"exact phrase"``
    Consecutive words, in straight, curly “ ” or French « » quotes (each closed by its own pair: other
    quotes inside are signs between words). Signs between words do not count:
    ``"atelier vélo"`` finds ``atelier, vélo``. A phrase never runs from the title into the text.
    ``*`` inside quotes is an error (a phrase cannot end with a prefix).
``pref*``
    Words that start with ``pref``: at least 3 letters or digits, one word, ``*`` at its end only.
``AND``, ``OR``, ``NOT``, parentheses
    Upper case only (``and``, ``or``, ``not`` are words). Terms side by side mean ``AND``;
    ``a NOT b`` is ``a AND NOT b``.
``a NEAR/n b``, ``a ONEAR/n b``
    Both occur, at most ``n`` words apart (adjacent words are 1 apart), in any order (``NEAR``) or
    ``a`` first (``ONEAR``); ``n`` from 1 to :data:`MAX_DISTANCE`. Each side is a term, a phrase, a
    ``title:`` term or phrase, or a parenthesised ``OR`` of those. A phrase spans its first to its last
    word and the distance runs from the end of the earlier side to the start of the later one, so
    ``"service client" NEAR/1 nul`` finds ``service client nul``. The two sides must be different
    words of the message: ``velo NEAR/3 velo`` needs two ``velo``. Two NEARs are joined with AND,
    never chained (``a NEAR/2 b NEAR/2 c`` is an error).
Fields
    ``author:jean`` (the author's handle, with or without ``@``; ``jean`` also finds
    ``jean@any.instance``, ``jean@mastodon.social`` only that one), ``site:example.org`` (the link's
    host or one of its subdomains; not ``notexample.org``, not ``example.org.evil.com``),
    ``lang:fr`` (two or three letters: ``fr`` finds ``fr-CA``), ``channel:mastodon`` (the network),
    ``title:word``, ``title:"a phrase"``, ``title:pref*`` (in the title only). Field names are
    read in any case; values are folded, a site written back in punycode (``site:café.fr`` is
    ``site:xn--caf-dma.fr``). ``author``, ``site``, ``lang`` and ``channel`` may be quoted
    (``author:"jean"``), but hold one value with no space. Any other ``name:`` is an error (put a word
    with a colon in quotes: ``"12:30"``); ``http://…`` is an error pointing to ``site:``, which reads the
    message's link. A link written in the text is words like any other: ``"example.org"`` finds it.

Precedence, loosest first: ``OR`` < ``AND`` (written or implicit) < ``NOT`` < ``NEAR``/``ONEAR``.
``NOT a NEAR/3 b`` is ``NOT (a NEAR/3 b)``; ``a b OR c`` is ``(a AND b) OR c``.

What is rejected, and where the column points (the first character of the offending token, or of
the opening quote or parenthesis that is never closed; errors inside a word are found before errors
of the structure):

* an empty query, a query longer than :data:`MAX_LENGTH` characters;
* unbalanced quotes or parentheses, empty parentheses;
* an operator with nothing on one side (``a AND``, ``OR b``, ``a AND OR b``: the ``AND``);
* ``NEAR`` without ``/n``, ``n`` not a whole number from 1 to :data:`MAX_DISTANCE`, a NEAR side
  that is not a term, phrase or OR of those, two chained NEARs;
* a query with nothing to find (``NOT x``, ``NOT (a OR b)``), and an ``OR`` with a side that
  only excludes (``a OR NOT b`` would find almost every message); inside a ``NOT``, anything goes;
* a prefix shorter than 3, ``*`` elsewhere than at the end of one word or inside quotes;
* a term with no letter or digit (``🚲``, ``#``, ``""``), ``-word`` (write ``NOT word``);
* an unknown field, a field with no value or with a group, a bad language code, site or handle.

Nothing here needs Django settings: ``comptoir query`` imports it on any machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

# The public gettext_noop asks the settings whether translation is on; this one is the same identity without
# settings, and makemessages still finds every gettext_noop("…") by name.
from django.utils.translation.trans_null import gettext_noop

from comptoir.stream.search import marked_words

MAX_LENGTH = 2000
MAX_DISTANCE = 1000
FIELDS = ("author", "site", "lang", "channel", "title")
QUOTES = frozenset("\"“”«»„")
OPERATORS = frozenset(("AND", "OR", "NOT"))


# --- Errors -------------------------------------------------------------------------------------

EMPTY = gettext_noop("The query is empty.")
TOO_LONG = gettext_noop("The query is longer than %(max)s characters.")
UNCLOSED_QUOTE = gettext_noop("This quote is never closed.")
UNCLOSED_PAREN = gettext_noop("This parenthesis is never closed.")
UNOPENED_PAREN = gettext_noop("This parenthesis closes nothing.")
EMPTY_PARENS = gettext_noop("There is nothing between these parentheses.")
MISSING_LEFT = gettext_noop("%(operator)s needs something to find on its left.")
MISSING_RIGHT = gettext_noop("%(operator)s needs something to find on its right.")
NEAR_NO_DISTANCE = gettext_noop("%(operator)s needs a distance in words, as in %(operator)s/5.")
NEAR_BAD_DISTANCE = gettext_noop("The distance after %(operator)s/ must be a whole number from 1 to %(max)s.")
NEAR_OPERAND = gettext_noop(
    "Each side of %(operator)s must be a word, a phrase, or words joined by OR in parentheses.")
NEAR_CHAIN = gettext_noop("A NEAR has two sides only: join two NEARs with AND.")
NOTHING_TO_FIND = gettext_noop("This query only excludes: add a word that messages must contain.")
OR_NOTHING_TO_FIND = gettext_noop(
    "This side of OR only excludes, so it would match almost every message: add a word it must contain.")
PREFIX_SHORT = gettext_noop("Write at least 3 letters or digits before *.")
PREFIX_MISPLACED = gettext_noop("* goes at the end of a single word, as in velo*.")
PREFIX_IN_PHRASE = gettext_noop("* does not work inside quotes: write the prefix outside the phrase.")
NO_WORD = gettext_noop("There is no letter or digit to look for here.")
MINUS = gettext_noop("To exclude a word, write NOT before it, as in NOT %(word)s.")
UNKNOWN_FIELD = gettext_noop(
    "Unknown field “%(field)s”: the fields are author, site, lang, channel and title. "
    "Put a word that holds a colon in quotes.")
LINK = gettext_noop("To find messages that link to a site, write site: and its name, as in site:example.org.")
EMPTY_VALUE = gettext_noop("%(field)s: needs a value right after the colon.")
FIELD_GROUP = gettext_noop("%(field)s: takes one value, not a group in parentheses.")
BAD_LANGUAGE = gettext_noop("“%(value)s” is not a language code: write two or three letters, as in lang:fr.")
BAD_SITE = gettext_noop("“%(value)s” is not a site name: write it as in site:example.org, without http:// or a path.")
BAD_HANDLE = gettext_noop("“%(value)s” is not a handle: write it without spaces, as in author:jean.")
BAD_CHANNEL = gettext_noop("“%(value)s” is not a channel name: write it as in channel:mastodon.")


class QueryError(ValueError):
    """A query that cannot be read: where (1-based column) and why.

    ``message`` is an English message id marked for translation and ``params`` its values, as
    :func:`comptoir.lib.i18n.render` stores them; :meth:`text` formats it, translated by ``translate``
    (``django.utils.translation.gettext`` on a page).
    """

    def __init__(self, column: int, message: str, params: dict[str, Any] | None = None) -> None:
        self.column = column
        self.message = message
        self.params = dict(params or {})
        super().__init__(column, message, self.params)

    def text(self, translate=str) -> str:
        return translate(self.message) % self.params

    def __str__(self) -> str:
        return f"column {self.column}: {self.text()}"


# --- The tree -----------------------------------------------------------------------------------
# ``column`` is where the node starts in what was typed: for error messages only, never compared.


class Node:
    def __str__(self) -> str:
        return _unparse(self)


@dataclass(frozen=True, eq=True)
class Word(Node):
    """A folded word; ``marker`` ``"#"`` or ``"@"`` for only the hashtag or mention; ``prefix`` for ``word*``."""

    word: str
    marker: str = ""
    prefix: bool = False
    title: bool = False
    column: int = field(default=0, compare=False, repr=False)



@dataclass(frozen=True, eq=True)
class Phrase(Node):
    """Consecutive words, each ``(folded word, marker)``; two or more."""

    words: tuple[tuple[str, str], ...]
    title: bool = False
    column: int = field(default=0, compare=False, repr=False)



@dataclass(frozen=True, eq=True)
class Field(Node):
    """``author``, ``site``, ``lang`` or ``channel`` with its normalised value (``title:`` makes Words and Phrases)."""

    name: str
    value: str
    column: int = field(default=0, compare=False, repr=False)



@dataclass(frozen=True, eq=True)
class Not(Node):
    child: Node
    column: int = field(default=0, compare=False, repr=False)



@dataclass(frozen=True, eq=True)
class And(Node):
    children: tuple[Node, ...]
    column: int = field(default=0, compare=False, repr=False)



@dataclass(frozen=True, eq=True)
class Or(Node):
    children: tuple[Node, ...]
    column: int = field(default=0, compare=False, repr=False)



@dataclass(frozen=True, eq=True)
class Near(Node):
    """``left NEAR/distance right``; ``ordered`` for ONEAR (left first)."""

    left: Node
    right: Node
    distance: int
    ordered: bool = False
    column: int = field(default=0, compare=False, repr=False)



def is_positional(node: Node) -> bool:
    """Whether ``node`` has word positions, so that it can be a side of NEAR."""
    if isinstance(node, Word | Phrase):
        return True
    return isinstance(node, Or) and all(is_positional(c) for c in node.children)


def has_positive(node: Node) -> bool:
    """Whether every message ``node`` matches must contain something (it does not only exclude)."""
    if isinstance(node, Not):
        return False
    if isinstance(node, And):
        return any(has_positive(c) for c in node.children)
    if isinstance(node, Or):
        return all(has_positive(c) for c in node.children)
    return True


# --- Writing a tree back ------------------------------------------------------------------------

_LEVEL = {Or: 1, And: 2, Not: 3, Near: 4}


def _level(node: Node) -> int:
    return _LEVEL.get(type(node), 5)


def _wrap(node: Node, at_least: int) -> str:
    text = _unparse(node)
    return f"({text})" if _level(node) < at_least else text


def _unparse(node: Node) -> str:
    if isinstance(node, Word):
        return ("title:" if node.title else "") + node.marker + node.word + ("*" if node.prefix else "")
    if isinstance(node, Phrase):
        return ("title:" if node.title else "") + '"' + " ".join(m + w for w, m in node.words) + '"'
    if isinstance(node, Field):
        return f"{node.name}:{node.value}"
    if isinstance(node, Not):
        return "NOT " + _wrap(node.child, 3)
    if isinstance(node, And):
        return " AND ".join(_wrap(c, 3) for c in node.children)
    if isinstance(node, Or):
        return " OR ".join(_wrap(c, 2) for c in node.children)
    if isinstance(node, Near):
        op = "ONEAR" if node.ordered else "NEAR"
        return f"{_wrap(node.left, 5)} {op}/{node.distance} {_wrap(node.right, 5)}"
    raise TypeError(f"not a query node: {node!r}")


def normalise(query: str) -> str:
    """The canonical form of ``query`` (raises :class:`QueryError` if it cannot be read)."""
    return str(parse(query))


# --- Reading ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Token:
    kind: str  # "(", ")", "AND", "OR", "NOT", "NEAR", "TERM"
    text: str
    column: int
    node: Node | None = None  # TERM: the word, phrase or field
    distance: int = 0  # NEAR
    ordered: bool = False  # NEAR: ONEAR


_STARTS_OPERAND = frozenset(("(", "TERM", "NOT"))
_FIELD = re.compile(r"([^\W\d_]+):(.*)", re.DOTALL)
_NEAR = re.compile(r"(O?NEAR)(?:/(.*))?", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
_LANGUAGE = re.compile(r"[a-z]{2,3}")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOST = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_CHANNEL = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_HANDLE = re.compile(r"[^\s()\"“”«»„*]+")


def _is_stop(ch: str) -> bool:
    return ch.isspace() or ch in "()" or ch in QUOTES


def _term(raw: str, column: int, title: bool = False) -> Node:
    """A bare term (``velo``, ``#velo``, ``vélo-cargo``, ``velo*``) as a Word or a Phrase."""
    if raw.startswith("-") and len(raw) > 1 and (raw[1].isalnum() or raw[1] in "#@"):
        raise QueryError(column, MINUS, {"word": raw[1:]})
    prefix = "*" in raw
    if prefix:
        if raw.count("*") > 1 or not raw.endswith("*") or (len(raw) > 1 and not raw[-2].isalnum()):
            raise QueryError(column, PREFIX_MISPLACED)
        raw = raw[:-1]
    words = marked_words(raw)
    if prefix:
        if len(words) > 1:
            raise QueryError(column, PREFIX_MISPLACED)
        if not words or len(words[0][0]) < 3:
            raise QueryError(column, PREFIX_SHORT)
    if not words:
        raise QueryError(column, NO_WORD)
    if len(words) == 1:
        return Word(words[0][0], words[0][1], prefix, title, column=column)
    return Phrase(tuple(words), title, column=column)


def _phrase(text: str, column: int, title: bool = False) -> Node:
    if "*" in text:
        raise QueryError(column, PREFIX_IN_PHRASE)
    words = marked_words(text)
    if not words:
        raise QueryError(column, NO_WORD)
    if len(words) == 1:
        return Word(words[0][0], words[0][1], title=title, column=column)
    return Phrase(tuple(words), title, column=column)


def _field(name: str, value: str, quoted: bool, column: int) -> Node:
    """The node of ``name:value`` (``name`` already lower case and known)."""
    if name == "title":
        return _phrase(value, column, title=True) if quoted else _term(value, column, title=True)
    value = value.strip()
    if name == "author":
        value = value.removeprefix("@").casefold()
        if not value:
            raise QueryError(column, EMPTY_VALUE, {"field": name})
        if not _HANDLE.fullmatch(value):
            raise QueryError(column, BAD_HANDLE, {"value": value})
    elif name == "site":
        host = value.casefold().rstrip(".")
        if not host.isascii():
            try:
                host = host.encode("idna").decode("ascii")
            except UnicodeError:
                raise QueryError(column, BAD_SITE, {"value": value}) from None
        if not _HOST.fullmatch(host) or len(host) > 253:
            raise QueryError(column, BAD_SITE, {"value": value})
        value = host
    elif name == "lang":
        if not _LANGUAGE.fullmatch(value.casefold()):
            raise QueryError(column, BAD_LANGUAGE, {"value": value})
        value = value.casefold()
    else:  # channel
        if not _CHANNEL.fullmatch(value.casefold()):
            raise QueryError(column, BAD_CHANNEL, {"value": value})
        value = value.casefold()
    return Field(name, value, column=column)


# Which quotes close each opening one (its pair only): other quotes inside a phrase are signs between words,
# as in « le "super" vélo ».
_CLOSING = {'"': '"', "“": "”", "„": "“”", "«": "»", "”": "”", "»": "«»"}


def _closing_quote(query: str, start: int) -> int:
    """The index of the quote closing the one at ``start``, or -1."""
    closing = _CLOSING[query[start]]
    for j in range(start + 1, len(query)):
        if query[j] in closing:
            return j
    return -1


def _tokens(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        column = i + 1
        if ch.isspace():
            i += 1
        elif ch in "()":
            tokens.append(_Token(ch, ch, column))
            i += 1
        elif ch in QUOTES:
            end = _closing_quote(query, i)
            if end < 0:
                raise QueryError(column, UNCLOSED_QUOTE)
            tokens.append(_Token("TERM", query[i:end + 1], column, _phrase(query[i + 1:end], column)))
            i = end + 1
        else:
            j = i
            while j < n and not _is_stop(query[j]):
                j += 1
            raw = query[i:j]
            i = j
            if raw in OPERATORS:
                tokens.append(_Token(raw, raw, column))
            elif near := _NEAR.fullmatch(raw):
                op, distance = near.groups()
                if distance is None:
                    raise QueryError(column, NEAR_NO_DISTANCE, {"operator": op})
                if not _DIGITS.fullmatch(distance) or not 1 <= int(distance) <= MAX_DISTANCE:
                    raise QueryError(column, NEAR_BAD_DISTANCE, {"operator": op, "max": MAX_DISTANCE})
                tokens.append(_Token("NEAR", raw, column, distance=int(distance), ordered=op == "ONEAR"))
            elif named := _FIELD.fullmatch(raw):
                name, value = named.group(1).casefold(), named.group(2)
                if name in ("http", "https"):
                    raise QueryError(column, LINK)
                if name not in FIELDS:
                    raise QueryError(column, UNKNOWN_FIELD, {"field": named.group(1)})
                quoted = False
                if not value and i < n and query[i] in QUOTES:
                    end = _closing_quote(query, i)
                    if end < 0:
                        raise QueryError(i + 1, UNCLOSED_QUOTE)
                    value, quoted, i = query[i + 1:end], True, end + 1
                elif not value and i < n and query[i] == "(":
                    raise QueryError(column, FIELD_GROUP, {"field": name})
                if not value.strip():
                    raise QueryError(column, EMPTY_VALUE, {"field": name})
                tokens.append(_Token("TERM", query[column - 1:i], column, _field(name, value, quoted, column)))
            else:
                if raw == "-" and i < n and (query[i] in QUOTES or query[i] == "("):
                    raise QueryError(column, MINUS, {"word": query[i:].split()[0]})
                tokens.append(_Token("TERM", raw, column, _term(raw, column)))
    return tokens


class _Parser:
    def __init__(self, tokens: list[_Token]) -> None:
        self.tokens = tokens
        self.i = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.tokens[self.i]
        self.i += 1
        return token

    def need_operand(self, operator: _Token) -> None:
        following = self.peek()
        if following is None or following.kind not in _STARTS_OPERAND:
            raise QueryError(operator.column, MISSING_RIGHT, {"operator": operator.text})

    def query(self) -> Node:
        node = self.or_()
        leftover = self.peek()
        if leftover is not None:  # only a ")" stops an expression early
            raise QueryError(leftover.column, UNOPENED_PAREN)
        return node

    def or_(self) -> Node:
        children = [self.and_()]
        while (token := self.peek()) is not None and token.kind == "OR":
            self.take()
            self.need_operand(token)
            children.append(self.and_())
        return _flat(Or, children)

    def and_(self) -> Node:
        children = [self.unary()]
        while (token := self.peek()) is not None:
            if token.kind == "AND":
                self.take()
                self.need_operand(token)
            elif token.kind not in _STARTS_OPERAND:
                break
            children.append(self.unary())
        return _flat(And, children)

    def unary(self) -> Node:
        token = self.peek()
        if token is not None and token.kind == "NOT":
            self.take()
            self.need_operand(token)
            return Not(self.unary(), column=token.column)
        return self.near()

    def near(self) -> Node:
        left_column = self.tokens[self.i].column  # callers checked there is an operand
        left = self.primary()
        operator = self.peek()
        if operator is None or operator.kind != "NEAR":
            return left
        self.take()
        op_name = "ONEAR" if operator.ordered else "NEAR"
        if not is_positional(left):
            raise QueryError(left_column, NEAR_OPERAND, {"operator": op_name})
        following = self.peek()
        if following is not None and following.kind == "NOT":
            raise QueryError(following.column, NEAR_OPERAND, {"operator": op_name})
        self.need_operand(operator)
        right_column = self.peek().column
        right = self.primary()
        if not is_positional(right):
            raise QueryError(right_column, NEAR_OPERAND, {"operator": op_name})
        chained = self.peek()
        if chained is not None and chained.kind == "NEAR":
            raise QueryError(chained.column, NEAR_CHAIN)
        return Near(left, right, operator.distance, operator.ordered, column=left_column)

    def primary(self) -> Node:
        token = self.take()
        if token.kind == "TERM":
            return token.node
        if token.kind == "(":
            following = self.peek()
            if following is None:
                raise QueryError(token.column, UNCLOSED_PAREN)
            if following.kind == ")":
                raise QueryError(token.column, EMPTY_PARENS)
            node = self.or_()
            closing = self.peek()
            if closing is None or closing.kind != ")":
                raise QueryError(token.column, UNCLOSED_PAREN)
            self.take()
            return replace(node, column=token.column)
        if token.kind == ")":
            raise QueryError(token.column, UNOPENED_PAREN)
        raise QueryError(token.column, MISSING_LEFT, {"operator": token.text})  # AND, OR, NEAR


def _flat(kind: type[And] | type[Or], children: list[Node]) -> Node:
    if len(children) == 1:
        return children[0]
    flat: list[Node] = []
    for child in children:
        flat.extend(child.children if isinstance(child, kind) else (child,))
    return kind(tuple(flat), column=children[0].column)


def _check_positive(node: Node) -> None:
    """Every side of an OR must find something (inside a NOT, anything goes: it only excludes)."""
    if isinstance(node, Or):
        for child in node.children:
            if not has_positive(child):
                raise QueryError(child.column, OR_NOTHING_TO_FIND)
            _check_positive(child)
    elif isinstance(node, And):
        for child in node.children:
            _check_positive(child)


def parse(query: str) -> Node:
    """Read a listening query; raise :class:`QueryError` (column and message) if it cannot be read."""
    if len(query) > MAX_LENGTH:
        raise QueryError(MAX_LENGTH + 1, TOO_LONG, {"max": MAX_LENGTH})
    tokens = _tokens(query)
    if not tokens:
        raise QueryError(1, EMPTY)
    node = _Parser(tokens).query()
    _check_positive(node)  # first: ``a OR NOT b`` is told which side of its OR excludes only
    if not has_positive(node):
        raise QueryError(node.column, NOTHING_TO_FIND)
    return node
