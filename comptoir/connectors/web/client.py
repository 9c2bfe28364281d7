"""Watching a web page that has no feed: a news list, a forum index, a page of notices.

Two modes (``config["mode"]``), kept deliberately simple:

``links`` (default)
  One item per *new link* on the page: the page is a list (news, topics, job offers) and each
  link is an article. External id = the link's canonical URL (lower-cased host, no fragment,
  no utm_*/fbclid/gclid parameters), so an article keeps its id whatever page lists it. Only
  links on the page's own host are kept, or those under ``config["link_prefix"]`` (a path such
  as ``/actualites/`` on the same host, or a full ``https://…`` prefix). Item text = the link's
  text; linked pages are not fetched (one request per poll). The first poll gives every link
  currently listed; later polls only links not seen before (the cursor keeps short hashes).

``changes``
  One item per *change of the page's main text*. External id = canonical page URL +
  ``#sha256:`` + the first 16 hex digits of the SHA-256 of the whitespace-normalised text, so
  returning to an earlier text is a new change only once. The first poll gives the page as it is.

``config["selector"]`` (optional) narrows both modes to part of the page with a small CSS-like
selector (tags, ``#id``, ``.class``, descendant spaces, commas: ``main .news-list``, see
``page.py``). Without it the main region is ``<main>``, else the single ``<article>``, else
the body minus navigation, header, footer and asides — menus then do not count as changes.

Politeness: robots.txt is read through ``safe_fetch`` and checked with
``urllib.robotparser`` for our user-agent token (``Comptoir``); it is cached in the cursor with
its fetch time and read again after 24 hours. A page robots.txt disallows is not fetched: the
poll fails with a :class:`ConnectorError` saying so. A robots.txt that answers 4xx allows
everything (RFC 9309); a 5xx or a network error postpones the poll (retryable) rather than
guessing. ``min_interval_seconds`` (class default, raised by ``config["min_interval_seconds"]``
and by robots.txt's ``Crawl-delay``) is written to the cursor as ``min_interval_seconds``: the
scheduler spaces polls by at least that; the ingestion layer enforces the per-host rate limit.
Conditional GET (ETag / Last-Modified) avoids downloading an unchanged page.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit
from urllib.robotparser import RobotFileParser

from django.conf import settings
from django.utils.translation import gettext_lazy, ngettext

from comptoir.connectors.base import (
    Action,
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
from comptoir.lib.timeutil import retry_after_seconds

from .page import Page, SelectorError, decode_html, read_page

NETWORK = "web"
MIN_INTERVAL_SECONDS = 30 * 60
ROBOTS_MAX_AGE_SECONDS = 24 * 3600
ROBOTS_MAX_BYTES = 512 * 1024
# What we keep of robots.txt in the cursor; real files are a few kB.
ROBOTS_KEEP_CHARS = 256 * 1024
SEEN_MEMORY = 2000
MAX_TEXT_LENGTH = 100_000
HTML_ACCEPT = "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"


def robots_agent() -> str:
    """Our product token in robots.txt terms: ``Comptoir`` from ``Comptoir/0.1 (+…)``."""
    agent = str(getattr(settings, "COMPTOIR_FETCH_USER_AGENT", "Comptoir"))
    return agent.split("/")[0].split()[0] or "Comptoir"


def _seen_key(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()[:16]


def _same_site(host_a: str | None, host_b: str | None) -> bool:
    if not host_a or not host_b:
        return False
    return host_a.lower().removeprefix("www.") == host_b.lower().removeprefix("www.")


@register
class WebPageConnector(BaseConnector):
    """A web page watched for new links or changes (see the module docstring). Read only."""

    network: ClassVar[str] = NETWORK
    label: ClassVar[str] = gettext_lazy("Web page")  # type: ignore[assignment]
    capabilities: ClassVar[Capabilities] = Capabilities(actions=frozenset({Action.READ}))
    min_interval_seconds: ClassVar[int] = MIN_INTERVAL_SECONDS

    @property
    def url(self) -> str:
        return str(self.config.get("url", "")).strip()

    # --- robots.txt ---

    def _robots_url(self) -> str:
        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, "/robots.txt", "", ""))

    def _robots(self, cursor: dict[str, Any]) -> tuple[RobotFileParser, dict[str, Any]]:
        """The robots.txt rules for our page, from the cursor when younger than a day."""
        robots_url = self._robots_url()
        cached = cursor.get("robots") if isinstance(cursor.get("robots"), dict) else None
        now = dt.datetime.now(dt.UTC)
        if cached and cached.get("url") == robots_url:
            try:
                fetched_at = dt.datetime.fromisoformat(str(cached.get("fetched_at")))
            except ValueError:
                fetched_at = None
            if (
                fetched_at
                and fetched_at.tzinfo
                and 0 <= (now - fetched_at).total_seconds() < ROBOTS_MAX_AGE_SECONDS
            ):
                return self._robot_parser(cached), cached
        try:
            response = safe_fetch(robots_url, headers={"Accept": "text/plain"}, max_bytes=ROBOTS_MAX_BYTES)
        except FetchError as exc:
            raise ConnectorError(
                _("Could not read %(robots)s, so the page was not fetched: %(error)s")
                % {"robots": robots_url, "error": exc.message},
                retryable=exc.retryable,
            ) from exc
        if response.status == 429 or response.status >= 500:
            raise ConnectorError(
                _("%(robots)s answered with the error %(status)d; the page will be checked later.")
                % {"robots": robots_url, "status": response.status},
                retryable=True,
                status=response.status,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        body = ""
        if response.status < 300:
            body = response.text[:ROBOTS_KEEP_CHARS]
        entry = {"url": robots_url, "fetched_at": now.isoformat(), "status": response.status, "body": body}
        return self._robot_parser(entry), entry

    @staticmethod
    def _robot_parser(entry: dict[str, Any]) -> RobotFileParser:
        parser = RobotFileParser(str(entry.get("url", "")))
        # A 4xx robots.txt was stored with an empty body: no rules, everything allowed
        # (RFC 9309 §2.3.1.3). parse() also marks the rules as read, which can_fetch requires.
        parser.parse(str(entry.get("body", "")).splitlines())
        return parser

    def _interval(self, robots: RobotFileParser) -> int:
        configured = self.config.get("min_interval_seconds")
        configured = configured if isinstance(configured, int) and not isinstance(configured, bool) else 0
        delay = robots.crawl_delay(robots_agent())
        try:
            crawl_delay = int(float(delay)) if delay is not None else 0
        except (TypeError, ValueError):
            crawl_delay = 0
        return max(self.min_interval_seconds, configured, crawl_delay)

    # --- Fetching ---

    def _page(
        self, cursor: dict[str, Any], headers: dict[str, str]
    ) -> tuple[FetchResponse, dict[str, Any], int]:
        if not self.url:
            raise ConnectorError(_("This source has no page address; edit it and add one."))
        robots, robots_entry = self._robots(cursor)
        if not robots.can_fetch(robots_agent(), self.url):
            raise ConnectorError(
                _(
                    "The site's robots.txt does not allow Comptoir to read %(url)s, so it was not fetched. "
                    "Watch another page of the site, or ask its owner to allow Comptoir."
                )
                % {"url": self.url}
            )
        try:
            response = safe_fetch(self.url, headers={"Accept": HTML_ACCEPT, **headers})
        except FetchError as exc:
            raise ConnectorError(
                exc.message, retryable=exc.retryable, status=getattr(exc, "status", None)
            ) from exc
        status = response.status
        if status in (429, 503):
            raise ConnectorError(
                _("The site asks Comptoir to slow down (error %(status)d); the page will be read later.")
                % {"status": status},
                retryable=True,
                status=status,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        if status >= 400:
            raise ConnectorError(
                _("The page answered with the error %(status)d. Check the address in a browser.")
                % {"status": status},
                retryable=status >= 500 or status == 408,
                status=status,
            )
        return response, robots_entry, self._interval(robots)

    def _read(self, response: FetchResponse) -> Page:
        content_type = response.headers.get("content-type", "").lower()
        if content_type and "html" not in content_type:
            if "xml" in content_type or "rss" in content_type or "atom" in content_type:
                raise ConnectorError(
                    _("This address is a feed, not a web page: add it as a feed source instead.")
                )
            raise ConnectorError(
                _("This address is not a web page (%(type)s).") % {"type": content_type.split(";")[0][:80]}
            )
        html = decode_html(response.content, content_type)
        try:
            return read_page(html, response.url, selector=str(self.config.get("selector", "") or ""))
        except SelectorError:
            raise ConnectorError(
                _("The part-of-page selector of this source is not valid; edit the source.")
            ) from None

    def fetch(self, cursor: dict[str, Any] | None) -> FetchResult:
        cursor = dict(cursor or {})
        headers = {}
        if cursor.get("etag"):
            headers["If-None-Match"] = str(cursor["etag"])
        if cursor.get("last_modified"):
            headers["If-Modified-Since"] = str(cursor["last_modified"])
        response, robots_entry, interval = self._page(cursor, headers)
        cursor["robots"] = robots_entry
        cursor["min_interval_seconds"] = interval
        if response.status == 304:
            return FetchResult(items=[], cursor=cursor)
        page = self._read(response)
        cursor["etag"] = response.headers.get("etag", "")
        cursor["last_modified"] = response.headers.get("last-modified", "")
        if self.config.get("mode") == "changes":
            items = self._changes(page, cursor)
        else:
            items = self._new_links(page, response.url, cursor)
        return FetchResult(items=items, cursor=cursor)

    def _wanted(self, link_url: str, page_url: str) -> bool:
        prefix = str(self.config.get("link_prefix", "") or "").strip()
        link = urlsplit(link_url)
        if prefix.startswith(("http://", "https://")):
            return link_url.startswith(prefix)
        if not _same_site(link.hostname, urlsplit(page_url).hostname):
            return False
        return not prefix or link.path.startswith(prefix if prefix.startswith("/") else "/" + prefix)

    def _new_links(self, page: Page, page_url: str, cursor: dict[str, Any]) -> list[FetchedItem]:
        seen = list(cursor.get("seen") or [])
        known = set(seen)
        items = []
        for link in page.links:
            if link.url in (page.canonical, page_url) or not self._wanted(link.url, page_url):
                continue
            key = _seen_key(link.url)
            if key in known:
                continue
            known.add(key)
            seen.append(key)
            items.append(
                FetchedItem(
                    external_id=link.url,
                    kind=ItemKind.ARTICLE,
                    text=link.text or link.url,
                    title=link.text,
                    url=link.url,
                    language=page.language,
                    raw={"source_page": page.canonical, "source_title": page.title},
                )
            )
        cursor["seen"] = seen[-SEEN_MEMORY:]
        return items

    def _changes(self, page: Page, cursor: dict[str, Any]) -> list[FetchedItem]:
        normalised = re.sub(r"\s+", " ", page.text).strip()
        digest = hashlib.sha256(normalised.encode("utf-8")).hexdigest()
        previous = str(cursor.get("hash", ""))
        cursor["hash"] = digest
        if digest == previous or not normalised:
            return []
        return [
            FetchedItem(
                external_id=f"{page.canonical}#sha256:{digest[:16]}",
                kind=ItemKind.ARTICLE,
                text=page.text[:MAX_TEXT_LENGTH],
                title=page.title,
                url=page.canonical,
                language=page.language,
                published_at=dt.datetime.now(dt.UTC),
                raw={"change": "changed" if previous else "first", "previous_hash": previous[:16]},
            )
        ]

    def check_connection(self) -> ConnectionCheck:
        try:
            response, _robots, _interval = self._page({}, {})
            page = self._read(response)
        except ConnectorError as exc:
            return ConnectionCheck(ok=False, message=exc.message)
        title = page.title or self.url
        if self.config.get("mode") == "changes":
            count = len(page.text)
            message = ngettext(
                "Page “%(title)s”: %(count)d character of text watched.",
                "Page “%(title)s”: %(count)d characters of text watched.",
                count,
            )
        else:
            count = sum(1 for link in page.links if self._wanted(link.url, response.url))
            message = ngettext(
                "Page “%(title)s”: %(count)d link watched.",
                "Page “%(title)s”: %(count)d links watched.",
                count,
            )
        message = message % {"title": title, "count": count}
        return ConnectionCheck(ok=True, message=message, account=title)
