"""Cleaning text and HTML that comes from outside (feeds, e-mails, social networks).

* :func:`clean_html` keeps a small, safe subset of HTML for display inside our pages.
* :func:`html_to_text` turns HTML into the visible text, for search, NLP and plain-text e-mail.
* :func:`clean_text` makes any string safe to store and show: no control characters, no NUL
  (PostgreSQL refuses it in text columns), no lone surrogates (they cannot be encoded).
* :func:`clean_input` and :func:`clean_data` are what every entry point applies once to what
  comes from outside (query strings, forms, cookies, API bodies, fetched items): NUL and other
  control characters removed, lone surrogates replaced, everything else untouched.
"""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

import nh3

__all__ = ["ALLOWED_TAGS", "clean_data", "clean_html", "clean_input", "clean_text", "html_to_text"]

ALLOWED_TAGS = frozenset(
    {
        "a", "b", "blockquote", "br", "code", "em", "h1", "h2", "h3", "h4", "h5", "h6", "i", "li",
        "ol", "p", "pre", "strong", "u", "ul",
    }
)
_IMAGE_ATTRIBUTES = frozenset({"src", "alt", "title", "width", "height"})
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer nofollow"
# Their content is code or metadata, never meant to be read.
_DROPPED_CONTENT = frozenset({"script", "style", "template", "noscript", "title", "iframe", "object"})

_NEWLINES = re.compile(r"\r\n|[\r\x85\u2028\u2029]")


def clean_text(text: str, *, max_length: int | None = None) -> str:
    """Return ``text`` safe to store and display.

    Joins surrogate pairs and replaces lone surrogates with U+FFFD, turns every newline
    convention (CRLF, CR, NEL, U+2028/U+2029) into ``\\n``, and removes control characters
    (NUL included) except ``\\n`` and ``\\t``. ``max_length`` cuts the result to that many
    characters, without adding an ellipsis.
    """
    # Round-tripping through UTF-16 pairs up surrogates that belong together and replaces
    # the rest, which no encoder would accept later.
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    text = _NEWLINES.sub("\n", text)
    text = "".join(
        ch for ch in text if ch in "\n\t" or unicodedata.category(ch) != "Cc"
    )
    if max_length is not None:
        text = text[: max(max_length, 0)]
    return text


# C0 controls but tab, LF and CR, DEL, and the surrogate range (only ever lone in a Python str).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_CONTROLS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_input(text: str) -> str:
    """Return ``text`` as it can be stored in any database: without NUL or other control characters
    (tab and newlines kept) and with lone surrogates replaced by U+FFFD. Fast when there is nothing to do.
    """
    if not _UNSAFE.search(text):
        return text
    text = text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    return _CONTROLS.sub("", text)


def clean_data(value):
    """:func:`clean_input` applied to every string (dict keys included) of a JSON-like value."""
    if isinstance(value, str):
        return clean_input(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_data(v) for v in value)
    return value


def clean_html(html: str, *, base_url: str | None = None, allow_images: bool = False) -> str:
    """Return ``html`` reduced to a safe subset for display in our pages.

    Kept: ``p br strong em b i u ul ol li blockquote code pre h1``–``h6`` and ``a`` with
    ``href``/``title``; links get ``rel="noopener noreferrer nofollow"`` and only http, https
    and mailto targets. Scripts and styles are removed with their content, every other tag
    is removed and its text kept, comments and event attributes (``on*``) disappear.
    Relative links are resolved against ``base_url`` (the page the HTML came from) or dropped
    without one, since they would otherwise point into Comptoir itself. ``allow_images`` keeps
    ``img`` (``src alt title width height``); it is off by default because remote images let
    their owner see who reads.
    """
    tags = set(ALLOWED_TAGS)
    attributes: dict[str, set[str]] = {"a": {"href", "title"}}
    if allow_images:
        tags.add("img")
        attributes["img"] = set(_IMAGE_ATTRIBUTES)
    return nh3.clean(
        clean_text(html),
        tags=tags,
        clean_content_tags={"script", "style"},
        attributes=attributes,
        url_schemes=set(_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
        url_relative=("rewrite_with_base", base_url) if base_url else "deny",
    )


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "body", "dd", "details", "dialog", "div", "dl",
        "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
        "h6", "header", "hr", "html", "li", "main", "nav", "ol", "p", "pre", "section", "summary",
        "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
    }
)
# Items of a list or rows of a table follow each other line by line; other blocks are
# paragraphs separated by a blank line.
_LINE_TAGS = frozenset({"li", "tr", "dt", "dd", "td", "th"})
_HTML_SPACE = re.compile(r"[ \t\n\r\f]+")


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip: list[str] = []
        self._pre = 0
        self._pending = 0  # newlines owed before the next text
        self._at_line_start = True

    def _block(self, newlines: int) -> None:
        self._pending = max(self._pending, newlines)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "body":
            # An unclosed <title> or <noscript> in the head must not swallow the whole page.
            self._skip.clear()
        if tag in _DROPPED_CONTENT:
            self._skip.append(tag)
            return
        if tag == "br":
            if not self._skip:
                self._pending = min(self._pending + 1, 2)
            return
        if tag == "pre":
            self._pre += 1
        if tag in _BLOCK_TAGS:
            self._block(1 if tag in _LINE_TAGS else 2)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # <br/>, <hr/>: a self-closing tag never opens a dropped section.
        if tag in _DROPPED_CONTENT:
            return
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED_CONTENT:
            if tag in self._skip:
                while self._skip and self._skip.pop() != tag:
                    pass
            return
        if tag == "pre" and self._pre:
            self._pre -= 1
        if tag in _BLOCK_TAGS:
            self._block(1 if tag in _LINE_TAGS else 2)

    def handle_data(self, data: str) -> None:
        if self._skip or not data:
            return
        if not self._pre:
            data = _HTML_SPACE.sub(" ", data)
            if self._pending or self._at_line_start:
                data = data.lstrip(" ")
            if not data:
                return
        if self._pending and self.parts:
            self.parts[-1] = self.parts[-1].rstrip(" ")
            self.parts.append("\n" * self._pending)
        self._pending = 0
        self.parts.append(data)
        self._at_line_start = data.endswith("\n")


def html_to_text(html: str) -> str:
    """Return the visible text of ``html``, with paragraphs separated by blank lines.

    Entities are unescaped, script/style/template/noscript/title content is dropped, runs of
    spaces are collapsed as a browser would (except inside ``pre``), ``br`` and list items
    start new lines. The result also goes through :func:`clean_text`.
    """
    parser = _TextExtractor()
    parser.feed(clean_text(html))
    parser.close()
    lines = "".join(parser.parts).split("\n")
    text = "\n".join(line.rstrip(" \t") for line in lines)
    return text.strip("\n ")
