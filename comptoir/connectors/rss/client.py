"""Feeds as listening sources: RSS 2.0, RSS 1.0 (RDF), Atom 1.0 (and 0.3), JSON Feed 1.x.

Parser: feedparser, fed bytes we prepared. It is the reference Python feed parser, copes
with the date formats, namespaces and half-broken markup found in the wild (its loose mode
reads feeds that are not well-formed XML), resolves relative links and sanitises HTML. Writing
our own on top of ``lib/xml.py`` would mean re-learning twenty years of feed quirks. What we do
before handing it the bytes:

1. Decode them ourselves (:func:`decode_feed`): byte order mark, then strict UTF-8 (which
   also rescues feeds that declare ISO-8859-1 but are UTF-8), else the declared charset (latin-1
   read as windows-1252, like browsers do), else UTF-8 where each invalid byte is read as
   windows-1252 (smart quotes pasted into a UTF-8 feed) and bytes nothing maps become U+FFFD.
   Nothing fails on encoding; control characters XML forbids are dropped, and so are their
   character references (``&#1;``), while references to lone surrogates (``&#xD800;``) or
   past Unicode become U+FFFD. The result is re-encoded as UTF-8 with its declaration rewritten.
2. Refuse what is not a feed: an HTML page gives an error that names the feeds the page
   advertises (:func:`discover_feeds`).
3. Run the document through ``lib/xml.parse_xml`` (defusedxml): any entity declaration
   (billion laughs, external entities) refuses the whole feed. A document that is merely not
   well-formed goes on to feedparser's loose mode, unless it contains an entity declaration.
4. Call feedparser with a ``BytesIO`` — never with the bytes or a string, which feedparser
   would take for a file name or a URL to open.

Fetching goes through ``lib/fetch.safe_fetch`` with a conditional GET: the cursor keeps the
``ETag`` and ``Last-Modified`` of the last answer; a 304 gives no items. The cursor also keeps
short hashes of the last entries' ids so a poll returns only entries not seen before.

External ids are stable: the entry's guid/id, else its link, else a hash of title + date.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import hashlib
import io
import json
import re
from html.parser import HTMLParser
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import feedparser
from django.utils.translation import ngettext

from comptoir.connectors.base import (
    Action,
    Author,
    BaseConnector,
    Capabilities,
    ConnectionCheck,
    ConnectorError,
    FetchedItem,
    FetchResult,
    ItemKind,
    register,
)
from comptoir.lib.fetch import FetchError, FetchResponse, safe_fetch
from comptoir.lib.i18n import gettext as _
from comptoir.lib.sanitize import clean_html, clean_text, html_to_text
from comptoir.lib.timeutil import retry_after_seconds
from comptoir.lib.xml import InvalidXML, UnsafeXML, parse_xml

NETWORK = "rss"
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, application/json;q=0.7, */*;q=0.1"
)
MAX_ENTRIES = 500
SEEN_MEMORY = 1000
MAX_ID_LENGTH = 500
# Feeds rarely change more often; the scheduler may poll less often, never more.
MIN_INTERVAL_SECONDS = 15 * 60

_XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*?\?>", re.IGNORECASE)
_DECLARED_ENCODING = re.compile(
    rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:\-]{1,40})["']""", re.IGNORECASE
)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([A-Za-z0-9._:\-]{1,40})", re.IGNORECASE)
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_CHARACTER_REFERENCE = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,16})|([0-9]{1,20}));")
_FIRST_TAG = re.compile(r"<(?![?!])\s*([A-Za-z][\w.:\-]*)")
_HTML_DOCTYPE = re.compile(r"<!DOCTYPE\s+html", re.IGNORECASE)
_FEED_ROOTS = {"rss", "feed", "rdf:rdf", "rdf", "channel"}
_FEED_TYPES = {
    "application/rss+xml": "rss",
    "application/atom+xml": "atom",
    "application/feed+json": "json",
    "application/json": "json",
    "application/rdf+xml": "rdf",
    "application/xml": "xml",
    "text/xml": "xml",
}


def _cp1252_fallback(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read each invalid byte as windows-1252, U+FFFD if it maps to nothing."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start : error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error("comptoir.cp1252_fallback", _cp1252_fallback)


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        codec = codecs.lookup(name.strip()).name
    except LookupError:
        return None
    # WHATWG: these labels mean windows-1252 on the web, and feeds follow the web.
    return "cp1252" if codec in ("latin-1", "iso8859-1", "ascii") else codec


def decode_feed(data: bytes, content_type: str = "") -> str:
    """Return the text of a feed whatever its encoding claims; never raises."""
    for bom, codec in (
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF32_LE, "utf-32-le"),
        (codecs.BOM_UTF32_BE, "utf-32-be"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ):
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    match = _DECLARED_ENCODING.match(data[:512])
    declared = _codec(match.group(1).decode("ascii")) if match else None
    header = _CHARSET.search(content_type or "")
    # RFC 7303: the HTTP charset wins over the XML declaration.
    declared = _codec(header.group(1)) if header and _codec(header.group(1)) else declared
    if declared and declared.startswith(("utf-16", "utf-32")):
        return data.decode(declared, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    if declared and declared not in ("utf-8", "utf-8-sig"):
        return data.decode(declared, errors="replace")
    return data.decode("utf-8", errors="comptoir.cp1252_fallback")


def _allowed_reference(match: re.Match[str]) -> str:
    """A character reference to what XML forbids, as feedparser would choke on it: a lone
    surrogate (``&#xD800;``) or a number past Unicode becomes U+FFFD, a control character goes."""
    hexadecimal, decimal = match.groups()
    code = int(hexadecimal, 16) if hexadecimal else int(decimal)
    if code in (0x9, 0xA, 0xD) or 0x20 <= code <= 0xD7FF or 0xE000 <= code <= 0xFFFD or 0x10000 <= code <= 0x10FFFF:
        return match.group(0)
    return "" if code < 0x20 or code in (0x7F, 0xFFFE, 0xFFFF) else "\ufffd"


def _as_utf8_xml(text: str) -> bytes:
    text = _XML_FORBIDDEN.sub("", text).lstrip()
    text = _CHARACTER_REFERENCE.sub(_allowed_reference, text)
    data = text.encode("utf-8", errors="replace")
    declaration = _XML_DECLARATION.match(data)
    if declaration:
        fixed = re.sub(rb"""encoding\s*=\s*["'][^"']*["']""", b'encoding="utf-8"', declaration.group(0))
        data = fixed + data[declaration.end() :]
    return data


# --- Discovery --------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class DiscoveredFeed:
    url: str
    title: str = ""
    type: str = ""


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and values.get("href"):
            self.base = values["href"]
        elif tag == "link" and len(self.links) < 200:
            self.links.append(values)

    handle_startendtag = handle_starttag


def discover_feeds(html: str, base_url: str, *, limit: int = 10) -> list[DiscoveredFeed]:
    """Feeds a web page advertises with ``<link rel="alternate" type="application/rss+xml">``.

    Also Atom, RDF and JSON Feed types. Relative addresses are resolved against ``<base>`` or
    ``base_url``; only http(s) addresses are kept, in page order, without duplicates.
    """
    finder = _LinkFinder()
    try:
        finder.feed(html[:2_000_000])
        finder.close()
    except AssertionError:  # pragma: no cover - HTMLParser on pathological markup
        pass
    base = urljoin(base_url, finder.base) if finder.base else base_url
    found: list[DiscoveredFeed] = []
    seen: set[str] = set()
    for link in finder.links:
        rels = link.get("rel", "").lower().split()
        kind = link.get("type", "").lower().split(";")[0].strip()
        if "alternate" not in rels or kind not in _FEED_TYPES or kind in ("application/xml", "text/xml"):
            continue
        href = link.get("href", "").strip()
        if not href:
            continue
        url = urljoin(base, href)
        if urlsplit(url).scheme not in ("http", "https") or url in seen:
            continue
        seen.add(url)
        found.append(
            DiscoveredFeed(
                url=url, title=clean_text(link.get("title", "")).strip()[:200], type=_FEED_TYPES[kind]
            )
        )
        if len(found) >= limit:
            break
    return found


def _not_a_feed(text: str, url: str) -> ConnectorError:
    feeds = discover_feeds(text, url) if url else []
    if feeds:
        suggestions = ", ".join(f.url for f in feeds[:3])
        return ConnectorError(
            _("This address is a web page, not a feed; try %(feeds)s.") % {"feeds": suggestions}
        )
    return ConnectorError(
        _(
            "This address is a web page, not a feed; try the address behind the site's RSS icon, often "
            "ending in /feed or /rss.xml, or watch it as a web page instead."
        )
    )


# --- Parsing ----------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str
    items: list[FetchedItem]
    language: str = ""


def _http_url(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    value = clean_text(value).strip()
    return value if urlsplit(value).scheme in ("http", "https") and len(value) <= 2000 else ""


def _language(value: Any) -> str:
    if not isinstance(value, str):
        return ""
    primary = value.strip().lower().replace("_", "-").split("-")[0]
    return primary if re.fullmatch(r"[a-z]{2,3}", primary) else ""


def _plain(value: Any, *, html: bool = True) -> str:
    if not isinstance(value, str):
        return ""
    text = html_to_text(value) if html else clean_text(value)
    return re.sub(r"\s+", " ", text).strip()


def _stable_id(candidate: str, *fallback: str) -> str:
    candidate = clean_text(candidate).strip()
    if candidate and len(candidate) <= MAX_ID_LENGTH:
        return candidate
    basis = "\x1f".join([candidate, *fallback])
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:40]


def _struct_to_datetime(value: Any) -> dt.datetime | None:
    try:
        year, month, day, hour, minute, second = (int(part) for part in value[:6])
        return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _entry_item(entry: Any, feed_title: str, feed_language: str, base_url: str) -> FetchedItem:
    raw_link = entry.get("link")
    link = _http_url(urljoin(base_url, raw_link) if isinstance(raw_link, str) and base_url else raw_link)
    title = _plain(entry.get("title"))
    published = _struct_to_datetime(entry.get("published_parsed")) or _struct_to_datetime(
        entry.get("updated_parsed")
    )
    # The longest body wins: content:encoded over description, description over the short
    # media:description feedparser also files under "content".
    bodies = [c for c in entry.get("content") or [] if isinstance(c.get("value"), str)]
    summary = entry.get("summary_detail")
    if summary and isinstance(summary.get("value"), str):
        bodies.append(summary)
    body = max(bodies, key=lambda c: len(c["value"]), default={"value": "", "type": "text/html"})
    if body.get("type") == "text/plain":
        text = clean_text(body["value"]).strip()
        html = ""
    else:
        text = html_to_text(body["value"])
        html = clean_html(body["value"], base_url=link or base_url or None)
    detail = entry.get("author_detail") or {}
    name = _plain(detail.get("name") or entry.get("author") or "")
    author = None
    if name:
        author = Author(
            network=NETWORK, handle=name[:200], display_name=name[:200], url=_http_url(detail.get("href"))
        )
    media = []
    for enclosure in (entry.get("enclosures") or [])[:10]:
        url = _http_url(enclosure.get("href"))
        if url:
            media.append({"url": url, "type": str(enclosure.get("type") or "")[:100]})
    for content in (entry.get("media_content") or [])[:5]:
        url = _http_url(content.get("url"))
        if url:
            media.append({"url": url, "type": str(content.get("type") or content.get("medium") or "")[:100]})
    for thumbnail in (entry.get("media_thumbnail") or [])[:3]:
        url = _http_url(thumbnail.get("url"))
        if url:
            media.append({"url": url, "type": "image/*", "role": "thumbnail"})
    date_key = (
        published.isoformat() if published else str(entry.get("published") or entry.get("updated") or "")
    )
    return FetchedItem(
        external_id=_stable_id(str(entry.get("id") or "") or link, title, date_key, text[:200]),
        kind=ItemKind.ARTICLE,
        text=text or title,
        author=author,
        title=title,
        url=link,
        html=html,
        language=_language(body.get("language")) or feed_language,
        published_at=published,
        media=tuple(media),
        raw={
            "feed_title": feed_title,
            "tags": [t for tag in (entry.get("tags") or [])[:20] if (t := _plain(tag.get("term")))],
        },
    )


def _parse_json_feed(text: str, url: str) -> ParsedFeed:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise ConnectorError(_("This address returns JSON that is not a valid JSON Feed.")) from None
    if not isinstance(data, dict) or not str(data.get("version", "")).startswith(
        "https://jsonfeed.org/version/"
    ):
        raise ConnectorError(_("This address returns JSON, but not a JSON Feed (no jsonfeed.org version)."))
    feed_title = _plain(data.get("title"), html=False)
    feed_language = _language(data.get("language"))
    items: list[FetchedItem] = []
    entries: list[Any] = data["items"] if isinstance(data.get("items"), list) else []
    for entry in entries[:MAX_ENTRIES]:
        if not isinstance(entry, dict):
            continue
        link = _http_url(urljoin(url, entry["url"]) if isinstance(entry.get("url"), str) else "")
        title = _plain(entry.get("title"))
        body_html = entry.get("content_html") if isinstance(entry.get("content_html"), str) else ""
        text = (
            html_to_text(body_html)
            if body_html
            else clean_text(str(entry.get("content_text") or entry.get("summary") or ""))
        )
        published = None
        if isinstance(entry.get("date_published"), str):
            try:
                published = dt.datetime.fromisoformat(entry["date_published"])
                published = (published if published.tzinfo else published.replace(tzinfo=dt.UTC)).astimezone(
                    dt.UTC
                )
            except ValueError:
                published = None
        authors = entry.get("authors") or ([entry["author"]] if isinstance(entry.get("author"), dict) else [])
        name = next(
            (_plain(a.get("name"), html=False) for a in authors if isinstance(a, dict) and a.get("name")), ""
        )
        raw_id = entry.get("id")
        items.append(
            FetchedItem(
                external_id=_stable_id(
                    str(raw_id) if isinstance(raw_id, str | int) else link, title, str(published)
                ),
                kind=ItemKind.ARTICLE,
                text=text.strip() or title,
                author=Author(network=NETWORK, handle=name[:200], display_name=name[:200]) if name else None,
                title=title,
                url=link,
                html=clean_html(body_html, base_url=link or url or None) if body_html else "",
                language=_language(entry.get("language")) or feed_language,
                published_at=published,
                raw={
                    "feed_title": feed_title,
                    "tags": [t for t in entry.get("tags") or [] if isinstance(t, str)][:20],
                },
            )
        )
    return ParsedFeed(
        title=feed_title,
        link=_http_url(data.get("home_page_url")),
        items=_unique(items),
        language=feed_language,
    )


def _unique(items: list[FetchedItem]) -> list[FetchedItem]:
    """Keep ids unique inside one document: broken feeds reuse one guid for every entry."""
    seen: set[str] = set()
    result = []
    for item in items:
        if item.external_id in seen:
            basis = "\x1f".join(
                [item.external_id, item.url, item.title, str(item.published_at), item.text[:200]]
            )
            item = dataclasses.replace(
                item, external_id="sha256:" + hashlib.sha256(basis.encode()).hexdigest()[:40]
            )
            if item.external_id in seen:
                continue
        seen.add(item.external_id)
        result.append(item)
    return result


def parse_feed(data: bytes, *, url: str = "", content_type: str = "") -> ParsedFeed:
    """Parse a feed document; raise :class:`ConnectorError` for unsafe XML or a non-feed.

    ``url`` is where it came from (relative links and suggestions are resolved against it).
    """
    text = decode_feed(data, content_type)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped.startswith("{"):
        return _parse_json_feed(stripped, url)
    if not stripped:
        raise ConnectorError(_("This address returned an empty document, not a feed."))
    head = stripped[:4096]
    first_tag = _FIRST_TAG.search(head)
    root = first_tag.group(1).lower() if first_tag else ""
    if _HTML_DOCTYPE.search(head) or root in ("html", "head", "body"):
        raise _not_a_feed(text, url)
    xml = _as_utf8_xml(stripped)
    try:
        parse_xml(xml)
    except UnsafeXML as exc:
        raise ConnectorError(exc.message) from None
    except InvalidXML:
        # feedparser's loose mode reads many broken feeds, but never one declaring entities.
        if _ENTITY_DECLARATION.search(stripped):
            raise ConnectorError(
                _("This feed declares XML entities, which Comptoir refuses for security reasons.")
            ) from None
    parsed = feedparser.parse(
        io.BytesIO(xml),
        # No content-location: feedparser would turn relative guids into URLs of wherever we
        # fetched from, and ids must not change when a feed moves. Links are resolved below.
        response_headers={"content-type": "application/xml; charset=utf-8"},
        sanitize_html=True,
        resolve_relative_uris=True,
    )
    if not parsed.get("version") and root not in _FEED_ROOTS:
        if not root:
            raise ConnectorError(_("This address does not return an RSS or Atom feed."))
        raise ConnectorError(
            _("This address returns XML, but not an RSS or Atom feed (its root element is <%(root)s>).")
            % {"root": root[:40]}
        )
    feed = parsed.get("feed") or {}
    feed_title = _plain(feed.get("title"))
    feed_link = _http_url(
        urljoin(url, feed["link"]) if isinstance(feed.get("link"), str) and url else feed.get("link")
    )
    feed_language = _language(feed.get("language"))
    items = [
        _entry_item(entry, feed_title, feed_language, feed_link or url)
        for entry in parsed.entries[:MAX_ENTRIES]
    ]
    return ParsedFeed(title=feed_title, link=feed_link, items=_unique(items), language=feed_language)


# --- Connector --------------------------------------------------------------------------------


def _seen_key(external_id: str) -> str:
    return hashlib.sha256(external_id.encode("utf-8")).hexdigest()[:16]


@register
class RSSConnector(BaseConnector):
    """A feed followed as a listening source (``config["url"]``); read only."""

    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = "RSS / Atom"
    capabilities: ClassVar[Capabilities] = Capabilities(actions=frozenset({Action.READ}))
    min_interval_seconds: ClassVar[int] = MIN_INTERVAL_SECONDS

    @property
    def url(self) -> str:
        return str(self.config.get("url", "")).strip()

    def _get(self, headers: dict[str, str]) -> FetchResponse:
        if not self.url:
            raise ConnectorError(_("This source has no feed address; edit it and add one."))
        try:
            return safe_fetch(self.url, headers={"Accept": FEED_ACCEPT, **headers})
        except FetchError as exc:
            raise ConnectorError(
                exc.message, retryable=exc.retryable, status=getattr(exc, "status", None)
            ) from exc

    def _check_status(self, response: FetchResponse) -> None:
        status = response.status
        if status < 300:
            return
        if status in (429, 503):
            raise ConnectorError(
                _("The site asks Comptoir to slow down (error %(status)d); the feed will be read later.")
                % {"status": status},
                retryable=True,
                status=status,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        if status in (404, 410):
            raise ConnectorError(
                _(
                    "The feed no longer exists at this address (error %(status)d). Check the address on the site."
                )
                % {"status": status},
                status=status,
            )
        if status in (401, 403):
            raise ConnectorError(
                _("The site refuses to give this feed to Comptoir (error %(status)d): it may need a login.")
                % {"status": status},
                status=status,
            )
        raise ConnectorError(
            _("The site answered with the error %(status)d.") % {"status": status},
            retryable=status >= 500 or status == 408,
            status=status,
        )

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        cursor = dict(cursor or {})
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = str(cursor["etag"])
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = str(cursor["last_modified"])
        response = self._get(headers)
        if response.status == 304:
            return FetchResult(items=[], cursor=cursor)
        self._check_status(response)
        parsed = parse_feed(
            response.content, url=response.url, content_type=response.headers.get("content-type", "")
        )
        seen = list(cursor.get("seen") or [])
        known = set(seen)
        fresh = [item for item in parsed.items if _seen_key(item.external_id) not in known]
        seen.extend(_seen_key(item.external_id) for item in fresh)
        next_cursor = {
            "etag": response.headers.get("etag", ""),
            "last_modified": response.headers.get("last-modified", ""),
            "seen": seen[-SEEN_MEMORY:],
        }
        if response.url != self.url:
            # The app may offer to update the address after a permanent move.
            next_cursor["final_url"] = response.url
        # Oldest first, like every connector, so ingestion order follows publication order.
        fresh.sort(key=lambda i: i.published_at or dt.datetime.min.replace(tzinfo=dt.UTC))
        return FetchResult(items=fresh, cursor=next_cursor)

    def check_connection(self) -> ConnectionCheck:
        try:
            response = self._get({})
            self._check_status(response)
            parsed = parse_feed(
                response.content, url=response.url, content_type=response.headers.get("content-type", "")
            )
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        title = parsed.title or self.url
        return ConnectionCheck(
            ok=True,
            message=ngettext(
                "Feed “%(title)s”: %(count)d entry.",
                "Feed “%(title)s”: %(count)d entries.",
                len(parsed.items),
            )
            % {"title": title, "count": len(parsed.items)},
            account=title,
        )
