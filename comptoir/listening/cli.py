"""Command line: ``comptoir query check QUERY`` and ``comptoir query test QUERY FILE``.

``check`` prints the query's canonical form and exits 0, or prints ``column N: message`` and exits 2.

``test`` reads FILE (``-`` for stdin), JSON Lines of ``{"id", "text", "title", "author", "url", "lang",
"channel"}`` (all but ``id`` and ``text`` optional, ``null`` as absent), and prints the ids of the messages
the query matches, one per line, in the file's order: a string id as it is, a number as written in the file.
A bad query exits 2 as ``check`` does. The whole file is read before anything is printed: a line that is not
UTF-8 or not a JSON object, a missing ``id`` or ``text``, an id that is not a string or a number, a field that
is not a string, prints ``FILE:LINE: what is wrong`` on stderr and exits 2 with nothing on stdout. Blank
lines are skipped. An unreadable file exits 2 too.

Both read and write UTF-8 whatever the locale (an argument that arrived undecodable under ``LC_ALL=C`` is
decoded again as UTF-8) and start without Django settings, a database or a model.
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO

from .matcher import Doc, Matcher
from .querylang import QueryError, parse

USAGE = """usage: comptoir query check QUERY
       comptoir query test QUERY FILE   (FILE: JSON Lines of {"id", "text", "title", "author", "url", "lang",
                                         "channel"}; - for stdin)"""
OPTIONAL = ("title", "author", "url", "lang", "channel")


class BadLine(ValueError):
    pass


class _Number:
    """A number read from JSON, kept as written (``1e3`` is printed back as ``1e3``, not ``1000.0``)."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def _argument(arg: str) -> str:
    """``arg`` as UTF-8: under a C locale, Python hands undecodable bytes over as surrogates."""
    return os.fsencode(arg).decode("utf-8")


def _doc(line: bytes) -> Doc | None:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        raise BadLine("not UTF-8") from None
    if not text.strip():
        return None
    try:
        obj = json.loads(text, parse_int=_Number, parse_float=_Number, parse_constant=_Number)
    except (ValueError, RecursionError) as exc:
        raise BadLine(f"not JSON ({exc})") from None
    if not isinstance(obj, dict):
        raise BadLine('not a JSON object with "id" and "text"')
    if "id" not in obj:
        raise BadLine('no "id"')
    item_id = obj["id"]
    if not isinstance(item_id, str | _Number):
        raise BadLine('"id" must be a string or a number')
    if not isinstance(obj.get("text"), str):
        raise BadLine('no "text"' if "text" not in obj else '"text" must be a string')
    for name in OPTIONAL:
        if obj.get(name) is not None and not isinstance(obj[name], str):
            raise BadLine(f'"{name}" must be a string')
    return Doc(item_id, obj["text"], **{name: obj.get(name) or "" for name in OPTIONAL})


def _read(stream: IO[bytes], name: str) -> list[Doc]:
    docs = []
    for number, line in enumerate(stream, 1):
        try:
            doc = _doc(line.rstrip(b"\r\n"))
        except BadLine as exc:
            raise BadLine(f"{name}:{number}: {exc}") from None
        if doc is not None:
            docs.append(doc)
    return docs


def _shown(item_id: str | _Number) -> str:
    return item_id if isinstance(item_id, str) else item_id.text


def main(argv: list[str]) -> int:
    for stream in (sys.stdout, sys.stderr):
        stream.reconfigure(encoding="utf-8")  # type: ignore[attr-defined]
    try:
        args = [_argument(a) for a in argv]
    except UnicodeDecodeError:
        print("comptoir query: an argument is not UTF-8", file=sys.stderr)
        return 2
    if len(args) < 2 or (args[0], len(args)) not in (("check", 2), ("test", 3)):
        print(USAGE, file=sys.stderr)
        return 2
    try:
        query = parse(args[1])
    except QueryError as exc:
        print(f"column {exc.column}: {exc.text()}")
        return 2
    if args[0] == "check":
        print(query)
        return 0
    path = args[2]
    try:
        if path == "-":
            docs = _read(sys.stdin.buffer, "<stdin>")
        else:
            with open(path, "rb") as stream:
                docs = _read(stream, path)
    except OSError as exc:
        print(f"comptoir query: cannot read {path}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except BadLine as exc:
        print(f"comptoir query: {exc}", file=sys.stderr)
        return 2
    matcher = Matcher({0: query})
    for doc, found in matcher.match_many(docs):
        if found:
            print(_shown(doc.id))
    return 0
