"""Reading an HTML page: title, main text, links, and a small CSS-like selector.

A deliberately small toolkit for watching pages, on the standard library's HTMLParser: it
builds a forgiving tree (unclosed tags are fine, nesting is capped), finds the main region,
and matches selectors made of tag names, ``#id`` and ``.class`` joined by spaces (descendant)
and commas (alternatives): ``main .news-list``, ``article h2 a``, ``#content, .posts``.
"""

from __future__ import annotations

import codecs
import html as htmllib
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from comptoir.lib.sanitize import clean_text, html_to_text

MAX_DEPTH = 256
MAX_NODES = 60_000
MAX_HTML_CHARS = 5_000_000
MAX_LINKS = 300
VOID = frozenset(
    {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "param",
        "source",
        "track",
        "wbr",
    }
)
# Chrome around the content: left out of the main text when no selector says otherwise.
BOILERPLATE = frozenset(
    {"nav", "header", "footer", "aside", "form", "script", "style", "noscript", "template", "svg"}
)
# Tracking and session parameters: the same article behind a different one is the same article.
VOLATILE_PARAMS = re.compile(
    r"^(utm_[a-z]+|fbclid|gclid|dclid|msclkid|mc_cid|mc_eid|_hsenc|_hsmi|yclid|igshid|sid|phpsessid|jsessionid|sessionid)$",
    re.IGNORECASE,
)
_COMPOUND = re.compile(r"^(?P<tag>[a-zA-Z][a-zA-Z0-9-]*|\*)?(?P<rest>(?:[#.][A-Za-z0-9_-]+)*)$")


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)
    parent: Node | None = None

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def iter(self) -> list[Node]:
        """This node and its descendants, in document order (iterative: no recursion limit)."""
        found: list[Node] = []
        stack: list[Node] = [self]
        while stack:
            node = stack.pop()
            found.append(node)
            stack.extend(child for child in reversed(node.children) if isinstance(child, Node))
        return found

    def to_html(self, *, skip: frozenset[str] = frozenset()) -> str:
        """Serialise the subtree (escaped), leaving out elements named in ``skip``."""
        parts: list[str] = []
        stack: list[Node | str | tuple[str]] = [self]
        while stack:
            item = stack.pop()
            if isinstance(item, tuple):
                parts.append(f"</{item[0]}>")
            elif isinstance(item, str):
                parts.append(htmllib.escape(item, quote=False))
            elif item.tag in skip and item is not self:
                continue
            else:
                if item.tag != "#root":
                    attrs = "".join(
                        f' {k}="{htmllib.escape(v)}"' for k, v in item.attrs.items() if k in ("href",)
                    )
                    parts.append(f"<{item.tag}{attrs}>")
                    if item.tag not in VOID:
                        stack.append((item.tag,))
                stack.extend(reversed(item.children))
        return "".join(parts)

    def text(self, *, skip: frozenset[str] = frozenset()) -> str:
        return html_to_text(self.to_html(skip=skip))


class _TreeBuilder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root")
        self.stack: list[Node] = [self.root]
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.count >= MAX_NODES:
            return
        self.count += 1
        parent = self.stack[-1]
        node = Node(tag, {k.lower(): clean_text(v or "") for k, v in attrs}, parent=parent)
        parent.children.append(node)
        if tag not in VOID and len(self.stack) < MAX_DEPTH:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID and self.stack[-1].tag == tag and len(self.stack) > 1:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Close up to the matching open element; a stray end tag closes nothing.
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if self.count < MAX_NODES and data:
            self.stack[-1].children.append(data)


def parse_html(html: str) -> Node:
    """A forgiving tree of ``html``; parsing stops after ``MAX_NODES`` elements."""
    builder = _TreeBuilder()
    # Fed in slices so a page made of millions of tags costs no more than MAX_NODES of them.
    for start in range(0, min(len(html), MAX_HTML_CHARS), 64 * 1024):
        builder.feed(html[start : start + 64 * 1024])
        if builder.count >= MAX_NODES:
            break
    builder.close()
    return builder.root


# --- Selectors --------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Compound:
    tag: str | None
    id: str | None
    classes: frozenset[str]

    def matches(self, node: Node) -> bool:
        if self.tag and self.tag != "*" and node.tag != self.tag:
            return False
        if self.id and node.attrs.get("id") != self.id:
            return False
        return self.classes <= node.classes


class SelectorError(ValueError):
    pass


def parse_selector(selector: str) -> list[list[_Compound]]:
    """Parse ``a b, c`` into alternatives of descendant chains; raise :class:`SelectorError`."""
    alternatives = []
    for alternative in selector.split(","):
        chain = []
        for part in alternative.split():
            match = _COMPOUND.match(part)
            if not match or not part:
                raise SelectorError(part)
            rest = re.findall(r"([#.])([A-Za-z0-9_-]+)", match.group("rest") or "")
            ids = [name for kind, name in rest if kind == "#"]
            if len(ids) > 1:
                raise SelectorError(part)
            chain.append(
                _Compound(
                    tag=(match.group("tag") or "").lower() or None,
                    id=ids[0] if ids else None,
                    classes=frozenset(name for kind, name in rest if kind == "."),
                )
            )
        if not chain:
            raise SelectorError(alternative)
        alternatives.append(chain)
    if not alternatives:
        raise SelectorError(selector)
    return alternatives


def _matches_chain(node: Node, chain: list[_Compound]) -> bool:
    if not chain[-1].matches(node):
        return False
    ancestor = node.parent
    for compound in reversed(chain[:-1]):
        while ancestor is not None and not compound.matches(ancestor):
            ancestor = ancestor.parent
        if ancestor is None:
            return False
        ancestor = ancestor.parent
    return True


def select(root: Node, selector: str) -> list[Node]:
    """Elements matching ``selector``, outermost only (a match inside a match is not repeated)."""
    alternatives = parse_selector(selector)
    found: list[Node] = []
    inside: set[int] = set()
    for node in root.iter():  # document order: parents come before their children
        if node.parent is not None and id(node.parent) in inside:
            inside.add(id(node))
            continue
        if node.tag != "#root" and any(_matches_chain(node, chain) for chain in alternatives):
            found.append(node)
            inside.add(id(node))
    return found


# --- Page reading -----------------------------------------------------------------------------


def canonical_url(url: str) -> str:
    """Normalise a link so the same article always gets the same id.

    Lower-cases scheme and host, drops the default port, the fragment, tracking parameters
    (utm_*, fbclid, gclid…) and session ids (sid, PHPSESSID…); keeps the rest of the query.
    """
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    port = parts.port
    netloc = (
        host if port is None or (parts.scheme, port) in (("http", 80), ("https", 443)) else f"{host}:{port}"
    )
    query = urlencode(
        [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not VOLATILE_PARAMS.match(k)]
    )
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", query, ""))


@dataclass(frozen=True)
class Link:
    url: str
    text: str


@dataclass(frozen=True)
class Page:
    title: str
    text: str
    links: list[Link]
    canonical: str
    language: str


def _main_region(root: Node) -> tuple[list[Node], frozenset[str]]:
    for tag in ("main",):
        found = [n for n in root.iter() if n.tag == tag or n.attrs.get("role") == "main"]
        if found:
            return found[:1], frozenset({"script", "style", "noscript", "template", "svg", "form"})
    articles = [n for n in root.iter() if n.tag == "article"]
    if len(articles) == 1:
        return articles, frozenset({"script", "style", "noscript", "template", "svg", "form"})
    bodies = [n for n in root.iter() if n.tag == "body"]
    return (bodies[:1] or [root]), BOILERPLATE


def read_page(html: str, page_url: str, *, selector: str = "") -> Page:
    """Title, main text and links of ``html`` fetched from ``page_url``.

    With ``selector`` the text and links come from the matching elements only; without it,
    from ``<main>`` (or the page's single ``<article>``, else the body without its navigation,
    header, footer and asides).
    """
    root = parse_html(html)
    nodes = root.iter()
    base = page_url
    base_tag = next((n for n in nodes if n.tag == "base" and n.attrs.get("href")), None)
    if base_tag is not None:
        base = urljoin(page_url, base_tag.attrs["href"])
    og_title = next(
        (
            n.attrs.get("content", "")
            for n in nodes
            if n.tag == "meta" and n.attrs.get("property") == "og:title"
        ),
        "",
    )
    title_node = next((n for n in nodes if n.tag == "title"), None)
    title = og_title or (
        html_to_text("".join(c for c in title_node.children if isinstance(c, str))) if title_node else ""
    )
    if not title:
        h1 = next((n for n in nodes if n.tag == "h1"), None)
        title = h1.text() if h1 else ""
    canonical_tag = next(
        (
            n
            for n in nodes
            if n.tag == "link"
            and "canonical" in n.attrs.get("rel", "").lower().split()
            and n.attrs.get("href")
        ),
        None,
    )
    canonical = canonical_url(page_url)
    if canonical_tag is not None:
        candidate = urljoin(base, canonical_tag.attrs["href"])
        # A canonical on another host would let a page claim another site's identity.
        if urlsplit(candidate).hostname == urlsplit(page_url).hostname and urlsplit(candidate).scheme in (
            "http",
            "https",
        ):
            canonical = canonical_url(candidate)
    html_node = next((n for n in nodes if n.tag == "html"), None)
    language = (html_node.attrs.get("lang", "") if html_node else "").split("-")[0].lower()

    if selector:
        regions, skip = select(root, selector), frozenset({"script", "style", "noscript", "template"})
    else:
        regions, skip = _main_region(root)
    text = "\n\n".join(t for region in regions if (t := region.text(skip=skip)))

    links: list[Link] = []
    seen: set[str] = set()
    for region in regions:
        for node in region.iter():
            if (
                node.tag != "a"
                or not node.attrs.get("href")
                or any(a.tag in skip for a in _ancestors(node, region))
            ):
                continue
            target = urljoin(base, node.attrs["href"].strip())
            if urlsplit(target).scheme not in ("http", "https"):
                continue
            target = canonical_url(target)
            if target in seen:
                continue
            seen.add(target)
            label = re.sub(r"\s+", " ", node.text()).strip() or node.attrs.get("title", "").strip()
            links.append(Link(url=target, text=label[:500]))
            if len(links) >= MAX_LINKS:
                break
    return Page(
        title=re.sub(r"\s+", " ", clean_text(title)).strip()[:500],
        text=text,
        links=links,
        canonical=canonical,
        language=language if re.fullmatch(r"[a-z]{2,3}", language) else "",
    )


def _ancestors(node: Node, stop: Node) -> list[Node]:
    found = []
    current = node.parent
    while current is not None and current is not stop:
        found.append(current)
        current = current.parent
    return found


_META_CHARSET = re.compile(
    rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9._:\-]{1,40})""", re.IGNORECASE
)
_HEADER_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:\-]{1,40})", re.IGNORECASE)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    # WHATWG: pages labelled latin-1 or ASCII are read as windows-1252 by every browser.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode_html(data: bytes, content_type: str = "") -> str:
    """The text of an HTML page: BOM, then valid UTF-8, then the declared charset; never raises."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    header = _HEADER_CHARSET.search(content_type or "")
    meta = _META_CHARSET.search(data[:4096])
    declared = _codec(header.group(1)) if header else None
    declared = declared or (_codec(meta.group(1).decode("ascii")) if meta else None)
    if declared and declared.startswith(("utf-16", "utf-32")):
        # A page cannot really be UTF-16 when its <meta> was readable as ASCII.
        declared = None
    try:
        # Sites often label UTF-8 pages as latin-1; valid UTF-8 is almost never an accident.
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    return data.decode(declared or "cp1252", errors="replace")
