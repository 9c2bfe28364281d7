"""What the post editor shows beside the text: each network's counter (its own way of counting, the same
``check_post`` as delivery), shortening suggestions with their resulting length, hashtag suggestions from the
workspace's listening topics and stream, and the differences between two versions."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, replace
from datetime import timedelta

from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext as _

from comptoir.connectors.base import BaseConnector, OutboundPost
from comptoir.lib.textdiff import word_diff

from .posts import check_outbound
from .recurring import alternates_text

# Words that rarely carry meaning in a short post, French and English.
FILLERS = ("vraiment", "très", "tout simplement", "simplement", "en fait", "juste", "vraiment très", "absolument",
           "really", "very", "just", "actually", "basically", "simply", "literally")
_FILLER_RE = re.compile(r"(?<![\w#@])(?:" + "|".join(re.escape(f) for f in sorted(FILLERS, key=len, reverse=True))
                        + r")(?![\w])\s?", re.IGNORECASE)
_TRAILING_TAGS = re.compile(r"(?:\s+#[\w-]+)+\s*$")
_HASHTAG = re.compile(r"(?<![\w/&])#(\w{2,60})")
SHORT_LINK_LENGTH = 30  # https://<host>/l/<8 characters>: about this long on a usual host
RECENT_DAYS = 30
RECENT_ITEMS = 1500
RECENT_TEXT_CHARS = 3000
CACHE_SECONDS = 300


@dataclass(frozen=True)
class NetworkCount:
    length: int
    limit: int | None
    problems: list[str]

    @property
    def over(self) -> bool:
        return self.limit is not None and self.length > self.limit

    @property
    def left(self) -> int | None:
        return None if self.limit is None else self.limit - self.length

    @property
    def near(self) -> bool:
        return self.limit is not None and not self.over and self.length > self.limit * 0.9


def count(connector: BaseConnector, outbound: OutboundPost) -> NetworkCount:
    """The variant's length as its network counts it, the network's limit, and what the network would refuse."""
    return NetworkCount(connector.text_length(outbound), connector.capabilities.max_text_length,
                    check_outbound(connector, outbound))


def tidy(text: str) -> str:
    text = re.sub(r"[ \t\u00a0]{2,}", " ", text)
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    text = re.sub(r" +([,.])", r"\1", text)
    return text.strip()


def shortenings(connector: BaseConnector, outbound: OutboundPost) -> list[dict]:
    """Ways to make the text shorter, each with the text it gives and the length the network would count.
    ``text`` is None for a suggestion that is a setting rather than an edit (the tracked short link)."""
    current = connector.text_length(outbound)
    out: list[dict] = []
    seen = {outbound.text}

    def offer(label: str, text: str | None, link: str | None = None) -> None:
        candidate = replace(outbound, text=text if text is not None else outbound.text,
                            link=link if link is not None else outbound.link)
        length = connector.text_length(candidate)
        if length < current and (text is None or text not in seen):
            if text is not None:
                seen.add(text)
            out.append({"label": label, "text": text, "length": length, "saved": current - length})

    tidied = tidy(outbound.text)
    offer(_("Remove double spaces and blank lines"), tidied)
    without_fillers = tidy(_FILLER_RE.sub("", tidied))
    offer(_("Remove filler words (vraiment, très, juste…)"), without_fillers)
    without_tags = _TRAILING_TAGS.sub("", without_fillers).strip()
    offer(_("Drop the hashtags at the end"), without_tags)
    if outbound.link and len(outbound.link) > SHORT_LINK_LENGTH:
        offer(_("Use the tracked short link (publishing settings)"), None, "https://x.example/l/" + "x" * 10)
    return out


def _query_tags(node, out: list[str]) -> None:
    from comptoir.listening import querylang as q

    if isinstance(node, q.Not):
        return
    if isinstance(node, q.Word) and not node.prefix and node.marker != "@" and len(node.word) >= 3:
        out.append(node.word)
    elif isinstance(node, q.Phrase) and all(marker == "" for _w, marker in node.words):
        out.append("".join(word for word, _m in node.words))
    elif isinstance(node, q.And | q.Or):
        for child in node.children:
            _query_tags(child, out)
    elif isinstance(node, q.Near):
        _query_tags(node.left, out)
        _query_tags(node.right, out)


def hashtag_candidates(workspace) -> list[str]:
    """The terms and hashtags of the workspace's listening queries, then the hashtags seen at least twice in its
    recent stream (most frequent first). Kept a few minutes: the editor asks on every pause in typing."""
    from comptoir.listening import querylang
    from comptoir.listening.models import TopicQuery
    from comptoir.stream.models import Item
    from comptoir.stream.search import fold

    key = f"publishing:hashtags:{workspace.pk}"
    cached = cache.get(key)
    if cached is not None:
        return cached
    found: list[str] = []
    queries = TopicQuery.objects.filter(workspace=workspace, topic__archived_at__isnull=True).values_list("text", flat=True)
    for query in queries[:200]:
        try:
            _query_tags(querylang.parse(query), found)
        except querylang.QueryError:
            continue
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    recent = (Item.objects.filter(workspace=workspace, published_at__gte=since).order_by("-published_at")
              .values_list("text", flat=True)[:RECENT_ITEMS])
    frequent: Counter[str] = Counter()
    spelled: dict[str, str] = {}
    for item_text in recent:
        for tag in set(_HASHTAG.findall((item_text or "")[:RECENT_TEXT_CHARS])):
            folded = fold(tag)
            frequent[folded] += 1
            spelled.setdefault(folded, tag)
    found += [spelled[folded] for folded, n in frequent.most_common(50) if n >= 2]
    cache.set(key, found, CACHE_SECONDS)
    return found


def hashtag_suggestions(workspace, text: str, limit: int = 10) -> list[str]:
    """Hashtags for a post (:func:`hashtag_candidates`), none already in ``text`` (compared folded), each once."""
    from comptoir.stream.search import fold

    used = {fold(tag) for tag in _HASHTAG.findall(text)}
    suggestions: list[str] = []
    for tag in hashtag_candidates(workspace):
        folded = fold(tag)
        if folded and folded not in used and len(tag) <= 60:
            used.add(folded)
            suggestions.append(tag)
            if len(suggestions) == limit:
                break
    return suggestions


def version_diff(older: dict, newer: dict) -> list[dict]:
    """Per part of the post (master text, each channel's text, title…), what changed between two snapshots."""
    rows: list[dict] = []
    for key, label in (("title", _("Internal title")), ("master_text", _("Text")), ("link", _("Link"))):
        if older.get(key, "") != newer.get(key, ""):
            rows.append({"label": label, "diff": word_diff(older.get(key, "") or "", newer.get(key, "") or "")})
    # Keyed by channel; snapshots written without one (the demo's) fall back on the network.
    old_variants = {v.get("channel") or v.get("network"): v for v in older.get("variants", [])}
    new_variants = {v.get("channel") or v.get("network"): v for v in newer.get("variants", [])}
    for channel, variant in new_variants.items():
        name = variant.get("channel_label") or variant.get("network")
        previous = old_variants.get(channel)
        if previous is None:
            rows.append({"label": name, "note": _("channel added")})
            continue
        for key, label in (("text", _("text")), ("title", _("title")), ("content_warning", _("content warning"))):
            if previous.get(key, "") != variant.get(key, ""):
                rows.append({"label": f"{name} — {label}",
                             "diff": word_diff(previous.get(key, "") or "", variant.get(key, "") or "")})
        if (previous.get("alternates") or []) != (variant.get("alternates") or []):
            rows.append({"label": f"{name} — {_('other texts')}", "diff": word_diff(
                alternates_text(previous.get("alternates") or []), alternates_text(variant.get("alternates") or []))})
        if previous.get("media") != variant.get("media") or previous.get("visibility") != variant.get("visibility"):
            rows.append({"label": name, "note": _("media or visibility changed")})
    for channel, variant in old_variants.items():
        if channel not in new_variants:
            rows.append({"label": variant.get("channel_label") or variant.get("network"), "note": _("channel removed")})
    return rows
