"""The community charter: versions written in Markdown (French and English), numbered articles, a public page, and
members' acceptances.

Versions
    The draft is the latest unpublished :class:`CharterVersion` of a workspace; there is at most one. Saving when there
    is no draft starts a new one from the last version (:func:`do_save_draft`). Publishing (:func:`do_publish`) freezes
    the draft: it gets its date and its articles, and is never edited again — a change is a new version.
    :func:`current` is the latest published version, :func:`article` one of its articles.

Articles: the heading grammar
    An article is a level-2 heading (``## …``, or a title underlined with ``---``), written one of these ways::

        ## Article 3 — Respect        ## Article 3 : Respect        ## Art. 3 - Respect
        ## Article 3                  ## 3. Respect                 ## 3) Respect          ## 3 — Respect

    "Article"/"Art." in any case; the separator is any of — – - : . ) or nothing after "Article N"; a bare number
    needs a separator (so "## 2025 in review" is not an article). Other level-2 headings ("## Préambule") and every
    other level are free text, not articles. Headings inside code blocks are ignored. At publication, articles must be
    numbered 1, 2, 3… once each, and the French and English texts must have the same numbers (the English text may
    be left empty: the page then shows the French one). At most :data:`MAX_ARTICLES` articles and
    :data:`MAX_BODY` characters per language.

Rendering (:func:`render_markdown`)
    markdown-it-py (CommonMark + tables + strikethrough) with raw HTML off — ``<script>`` typed in the text shows as
    text — then nh3: only a small set of tags survives, links keep http, https, mailto and ``#anchors`` only and get
    ``rel="noopener noreferrer nofollow"``. Images are never loaded: ``![alt](url)`` becomes a link to the image,
    because a remote image tells its owner who reads the charter. Each article heading carries ``id="article-N"``.

Citing articles (for sanctions, decisions and messages to members)
    ``cite(articles, version, language="fr", *, request=None) -> list[Citation]``: ``articles`` are numbers (ints or
    digit strings; unknown ones are kept as "Article 9" without a title), ``version`` a published CharterVersion or
    None (then no link and no title). Each :class:`Citation` has ``number``, ``title``, ``text`` ("Article 3 —
    Respect"), ``url`` (absolute, to the public anchor, "" when the charter is not public) and ``str()`` = text.
    :func:`cite_text` joins them for a plain-text message: "Article 3 — Respect (https://…/charte/velo/v/2/#article-3)".
    In templates: ``{% load charter %}{% cite_articles case.articles version %}`` (links as HTML).

Acceptance
    :func:`do_accept` records that someone accepted a version on the public page (name + e-mail or a network handle;
    both are what the person declares, not verified); :func:`has_accepted` (an Identity or an e-mail address) tells the
    newsletters later.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from markdown_it import MarkdownIt

from comptoir.lib.ratelimit import hits_this_hour
from comptoir.lib.sanitize import ALLOWED_TAGS, clean_text
from comptoir.lib.textdiff import word_diff
from comptoir.workspaces import audit

from .models import CharterAcceptance, CharterVersion, ModerationSettings

MAX_BODY = 100_000
MAX_CHANGES = 500
MAX_ARTICLES = 200
MAX_TITLE = 200
MAX_NAME = 200
ACCEPTS_PER_HOUR = 20  # per client address and workspace, on the public page
LANGUAGES = ("fr", "en")

# "Article 3 — Respect", "Art. 3 : Respect", "article 3"; then a bare "3. Respect", "3) Respect", "3 — Respect".
_SEP = r"[ \t\u00a0\u202f]*(?:[—–\-:.)][ \t\u00a0\u202f]*)?"
_WITH_WORD = re.compile(r"^(?:article|art\.?)[ \t\u00a0\u202f]*(\d{1,4})(?:" + _SEP + r"(.*))?$", re.IGNORECASE)
_BARE = re.compile(r"^(\d{1,4})[ \t\u00a0\u202f]*[—–\-:.)][ \t\u00a0\u202f]*(.*)$")


@dataclass(frozen=True)
class Heading:
    number: int
    title: str
    line: int  # 1-based line of the heading in the Markdown text


def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.enable(["table", "strikethrough"])
    md.add_render_rule("image", _image_as_link)
    return md


def _image_as_link(self, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = self.renderInlineAsText(token.children or [], options, env) or token.attrGet("src") or ""
    return f'<a href="{escape(token.attrGet("src") or "")}">{escape(alt)}</a>'


_MD = _parser()


def _heading_text(inline) -> str:
    """The heading's visible text (emphasis and links flattened)."""
    parts = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append(" ")
    return " ".join("".join(parts).split())


def match_heading(text: str) -> tuple[int, str] | None:
    """(number, title) when ``text`` (a level-2 heading's text) names an article, else None."""
    text = " ".join(text.split())
    found = _WITH_WORD.match(text) or _BARE.match(text)
    if not found:
        return None
    title = (found.group(2) or "").strip().rstrip("#").strip()
    return int(found.group(1)), title[:MAX_TITLE]


def _tokens(body: str):
    tokens = _MD.parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            found = match_heading(_heading_text(tokens[index + 1]))
            if found:
                yield token, found, (token.map[0] + 1 if token.map else 0)


def headings(body: str) -> list[Heading]:
    """The article headings of a Markdown text, in the order written (numbers not checked)."""
    return [Heading(number, title, line) for _token, (number, title), line in _tokens(body or "")]


def article_errors(found: list[Heading]) -> list[str]:
    """What is wrong with the numbering of these articles (translated sentences; empty when fine)."""
    errors: list[str] = []
    if len(found) > MAX_ARTICLES:
        return [_("The charter has %(n)s articles; it may hold at most %(max)s.") % {"n": len(found), "max": MAX_ARTICLES}]
    seen: dict[int, int] = {}
    for heading in found:
        if heading.number in seen:
            errors.append(_("Article %(number)s appears twice (lines %(first)s and %(line)s): give each article its "
                            "own number.") % {"number": heading.number, "first": seen[heading.number],
                                               "line": heading.line})
        else:
            seen[heading.number] = heading.line
    if not errors:
        for expected, heading in enumerate(found, start=1):
            if heading.number != expected:
                errors.append(_("Article %(number)s (line %(line)s) should be article %(expected)s: number the "
                                "articles 1, 2, 3… in order, without gaps.") % {
                    "number": heading.number, "line": heading.line, "expected": expected})
                break
    return errors


# Rendering. ------------------------------------------------------------------------------------------------------

_TAGS = set(ALLOWED_TAGS) | {"hr", "table", "thead", "tbody", "tr", "th", "td", "del", "s"}
_LINK_REL = "noopener noreferrer nofollow"
_ANCHOR = re.compile(r"article-\d{1,4}")
_SAFE_HREF = re.compile(r"^(?:https?://|mailto:|#)", re.IGNORECASE)


def _keep(tag: str, attr: str, value: str) -> str | None:
    if attr == "id":
        return value if tag == "h2" and _ANCHOR.fullmatch(value) else None
    if tag == "a" and attr == "href":
        return value if _SAFE_HREF.match(value.strip()) else None
    if tag in ("th", "td") and attr == "style":
        return value if value in ("text-align:left", "text-align:right", "text-align:center") else None
    return value


@lru_cache(maxsize=64)
def _render(body: str) -> str:
    tokens = _MD.parse(body)
    for index, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            found = match_heading(_heading_text(tokens[index + 1]))
            if found:
                token.attrSet("id", f"article-{found[0]}")
    html = _MD.renderer.render(tokens, _MD.options, {})
    return nh3.clean(html, tags=_TAGS, clean_content_tags={"script", "style"},
                     attributes={"a": {"href", "title"}, "h2": {"id"}, "th": {"style"}, "td": {"style"}},
                     attribute_filter=_keep, url_schemes={"http", "https", "mailto"}, link_rel=_LINK_REL,
                     strip_comments=True, url_relative="pass_through")


def render_markdown(body: str) -> SafeString:
    """``body`` (Markdown) as safe HTML: see the module's docstring for what survives."""
    return mark_safe(_render(clean_text(body or "")[:MAX_BODY]))  # noqa: S308 (nh3 above)


def body_of(version: CharterVersion, language: str) -> tuple[str, str]:
    """(Markdown, language it is in): the English text falls back on the French one while it is empty."""
    if language == "en" and version.body_en.strip():
        return version.body_en, "en"
    if language == "fr" or not version.body_en.strip():
        return version.body_fr, "fr"
    return version.body_en, "en"


def render(version: CharterVersion, language: str) -> SafeString:
    return render_markdown(body_of(version, language)[0])


# Reading versions. --------------------------------------------------------------------------------------------------


def draft(workspace) -> CharterVersion | None:
    """The version being written (the latest one, unpublished), or None."""
    latest = CharterVersion.objects.filter(workspace=workspace).order_by("-number").first()
    return latest if latest is not None and latest.published_at is None else None


def published(workspace):
    return CharterVersion.objects.filter(workspace=workspace, published_at__isnull=False).order_by("-number")


def current(workspace) -> CharterVersion | None:
    """The charter in force: the latest published version, or None."""
    return published(workspace).first()


def article(version: CharterVersion | None, number) -> dict | None:
    """The article ``number`` of a published version: {"number", "title_fr", "title_en"}, or None."""
    if version is None:
        return None
    try:
        number = int(number)
    except (TypeError, ValueError):
        return None
    return next((a for a in version.articles or [] if a.get("number") == number), None)


def is_public(workspace) -> bool:
    return ModerationSettings.of(workspace.pk).charter_public


def starting_text(workspace) -> dict:
    """What a new draft starts from: the last version's texts, or nothing."""
    last = CharterVersion.objects.filter(workspace=workspace).order_by("-number").first()
    if last is None:
        return {"body_fr": "", "body_en": "", "changes": ""}
    return {"body_fr": last.body_fr, "body_en": last.body_en, "changes": "" if last.published_at else last.changes}


# Writing versions. --------------------------------------------------------------------------------------------------


def check_draft(data: dict) -> dict:
    """The draft's fields as they will be stored, or a ValidationError naming each field to fix."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, str] = {}
    for field in ("body_fr", "body_en", "changes"):
        value = data.get(field, "")
        if not isinstance(value, str):
            errors[field] = [_("Write text here.")]
            continue
        cleaned[field] = clean_text(value).strip("\n")
    for field in ("body_fr", "body_en"):
        if field in cleaned and len(cleaned[field]) > MAX_BODY:
            errors[field] = [_("The charter holds at most %(max)s characters per language; this text has %(n)s. "
                               "Shorten it or move the details to another page.") % {
                "max": f"{MAX_BODY:,}".replace(",", "\u202f"), "n": len(cleaned[field])}]
    if "changes" in cleaned:
        cleaned["changes"] = " ".join(cleaned["changes"].split())
        if len(cleaned["changes"]) > MAX_CHANGES:
            errors["changes"] = [_("“What changed” holds at most %(max)s characters; this one has %(n)s.") % {
                "max": MAX_CHANGES, "n": len(cleaned["changes"])}]
    if errors:
        raise ValidationError(errors)
    return cleaned


def do_save_draft(membership, data: dict) -> CharterVersion:
    """Save the draft (starting one from the last version when there is none)."""
    _require_manage(membership)
    cleaned = check_draft(data)
    workspace = membership.workspace
    with transaction.atomic():
        version = draft(workspace)
        if version is not None:
            version = CharterVersion.objects.select_for_update().get(pk=version.pk)
        if version is None or version.published_at is not None:
            number = (CharterVersion.objects.filter(workspace=workspace).aggregate(m=Max("number"))["m"] or 0) + 1
            version = CharterVersion(workspace=workspace, number=number, created_by=membership.user)
            action = "charter.draft_start"
        else:
            action = "charter.draft_update"
        before = audit.snapshot(version, ["changes"]) if version.pk else None
        version.body_fr, version.body_en, version.changes = cleaned["body_fr"], cleaned["body_en"], cleaned["changes"]
        version.save()
        audit.record(workspace, membership.user, action, version, before=before,
                     after={"changes": version.changes, "number": version.number}, object_repr=f"v{version.number}")
    return version


def check_publish(version: CharterVersion) -> list[dict]:
    """The articles the version will hold, or a ValidationError saying what to fix in which language."""
    if version.published_at is not None:
        raise ValidationError({"__all__": [_("Version %(n)s is already published: edit the draft instead.") % {
            "n": version.number}]})
    errors: dict[str, list[str]] = {}
    check_draft({"body_fr": version.body_fr, "body_en": version.body_en, "changes": version.changes})
    if not version.body_fr.strip():
        errors["body_fr"] = [_("Write the charter in French before publishing it.")]
    found = {"fr": headings(version.body_fr), "en": headings(version.body_en) if version.body_en.strip() else None}
    for language, field in (("fr", "body_fr"), ("en", "body_en")):
        if found[language] is not None:
            problems = article_errors(found[language])
            if problems:
                errors.setdefault(field, []).extend(problems)
    if version.body_fr.strip() and not found["fr"] and "body_fr" not in errors:
        errors["body_fr"] = [_("The charter has no numbered article: write each one as a heading such as "
                               "“## Article 1 — Respect”.")]
    if not errors and found["en"] is not None:
        fr_numbers = [h.number for h in found["fr"]]
        en_numbers = [h.number for h in found["en"]]
        if fr_numbers != en_numbers:
            errors["body_en"] = [_("The French text has %(fr)s articles and the English one %(en)s: both languages "
                                   "must have the same articles.") % {"fr": len(fr_numbers), "en": len(en_numbers)}]
    if errors:
        raise ValidationError(errors)
    titles_en = {h.number: h.title for h in found["en"] or []}
    return [{"number": h.number, "title_fr": h.title, "title_en": titles_en.get(h.number, "")} for h in found["fr"]]


def do_publish(membership, version: CharterVersion) -> CharterVersion:
    """Freeze the draft: dated, numbered, its articles stored. From now on a change is a new version."""
    _require_manage(membership)
    with transaction.atomic():
        version = CharterVersion.objects.select_for_update().get(pk=version.pk, workspace=membership.workspace)
        version.articles = check_publish(version)
        version.published_at = timezone.now()
        version.save(update_fields=["articles", "published_at"])
        audit.record(membership.workspace, membership.user, "charter.publish", version,
                     after={"number": version.number, "articles": len(version.articles), "changes": version.changes},
                     object_repr=f"v{version.number}")
    return version


def do_update_settings(membership, data: dict) -> ModerationSettings:
    """Whether the charter is public and whether members are asked to accept it."""
    _require_manage(membership)
    with transaction.atomic():
        found = ModerationSettings.of(membership.workspace_id)
        before = audit.snapshot(found, ["charter_public", "ask_acceptance"])
        found.charter_public = str(data.get("charter_public", "")) in ("1", "on", "true", "True")
        found.ask_acceptance = str(data.get("ask_acceptance", "")) in ("1", "on", "true", "True")
        found.save(update_fields=["charter_public", "ask_acceptance"])
        after = audit.snapshot(found, ["charter_public", "ask_acceptance"])
        if before != after:
            audit.record(membership.workspace, membership.user, "charter.settings", found, before=before, after=after,
                         object_repr=_("the charter"))
    return found


def _require_manage(membership) -> None:
    from comptoir.workspaces import roles

    if not roles.has_perm(membership.role, roles.MANAGE_MODERATION):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))


# Comparing versions. ------------------------------------------------------------------------------------------------


def diff(older: CharterVersion | None, newer: CharterVersion) -> list[dict]:
    """Per language, the words added (``<ins>``) and removed (``<del>``) from ``older`` to ``newer`` (escaped)."""
    rows = []
    for language, label in (("fr", _("French")), ("en", _("English"))):
        before = getattr(older, f"body_{language}", "") if older is not None else ""
        after = getattr(newer, f"body_{language}")
        rows.append({"language": language, "label": label, "same": before == after, "diff": word_diff(before, after)})
    return rows


# Citing articles. ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Citation:
    number: int | None
    title: str
    text: str
    url: str

    def __str__(self) -> str:
        return self.text


def public_path(version: CharterVersion, number: int | None = None) -> str:
    path = reverse("moderation_charter_public_version", args=[version.workspace.slug, version.number])
    return f"{path}#article-{number}" if number is not None else path


def cite(articles, version: CharterVersion | None, language: str = "fr", *, request=None) -> list[Citation]:
    """The articles as "Article 3 — Respect", each with the absolute address of its anchor on the public page."""
    from comptoir.lib.urls import public_url

    language = language if language in LANGUAGES else "fr"
    public = version is not None and version.published_at is not None and is_public(version.workspace)
    found: list[Citation] = []
    seen: set = set()
    for raw in articles or ():
        try:
            number = int(raw)
        except (TypeError, ValueError):
            continue
        if number in seen or number < 1:
            continue
        seen.add(number)
        known = article(version, number)
        title = ""
        if known:
            title = (known.get(f"title_{language}") or known.get("title_fr") or "").strip()
        with _language(language):
            text = (_("Article %(number)s — %(title)s") if title else _("Article %(number)s")) % {
                "number": number, "title": title}
        url = ""
        if public and known:
            path = public_path(version, number)
            if language == "en":
                path = path.replace("#", "?lang=en#")
            url = public_url(request, path) if request is not None else _absolute(path)
        found.append(Citation(number, title, text, url))
    return found


def cite_text(articles, version: CharterVersion | None, language: str = "fr") -> str:
    """The citations joined for a plain-text message: "Article 3 — Respect (https://…#article-3)"."""
    return "; ".join(f"{c.text} ({c.url})" if c.url else c.text for c in cite(articles, version, language))


def _absolute(path: str) -> str:
    from django.conf import settings

    return f"{settings.BASE_URL}{path}"


def _language(language: str):
    from django.utils import translation

    return translation.override(language)


# Acceptance. --------------------------------------------------------------------------------------------------------


class TooManyAcceptances(PermissionDenied):
    pass


def check_accept(data: dict) -> dict:
    name = " ".join(clean_text(str(data.get("name", "") or "")).split())
    email = clean_text(str(data.get("email", "") or "")).strip()
    handle = clean_text(str(data.get("handle", "") or "")).strip()
    errors: dict[str, list[str]] = {}
    if not name:
        errors["name"] = [_("Write your name.")]
    elif len(name) > MAX_NAME:
        errors["name"] = [_("A name holds at most %(max)s characters.") % {"max": MAX_NAME}]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = [_("This e-mail address does not look right: check it (name@example.org).")]
        if len(email) > 254:
            errors["email"] = [_("This e-mail address is too long.")]
    if len(handle) > 300:
        errors["handle"] = [_("A handle holds at most 300 characters.")]
    if not email and not handle and "email" not in errors:
        errors["email"] = [_("Give your e-mail address, or your handle on one of our channels.")]
    if errors:
        raise ValidationError(errors)
    return {"name": name, "email": email.lower(), "handle": handle}


def _throttle(workspace, address: str) -> None:
    if hits_this_hour(f"moderation-charter-accept:{workspace.pk}:{address or '-'}") > ACCEPTS_PER_HOUR:
        raise TooManyAcceptances(_("Too many acceptances from here in the last hour: try again later."))


def _identity_for(workspace, handle: str):
    from comptoir.members.models import Identity

    if not handle:
        return None
    bare = handle.lstrip("@")
    return (Identity.objects.filter(workspace=workspace, handle__iexact=bare).select_related("person").first()
            or Identity.objects.filter(workspace=workspace, handle__iexact=f"@{bare}").select_related("person").first())


def do_accept(version: CharterVersion, data: dict, *, address: str = "", via: str = "page") -> CharterAcceptance:
    """Record that someone accepted this published version (once per e-mail or identity: a repeat returns the first)."""
    if version.published_at is None:
        raise ValidationError({"__all__": [_("Only a published charter can be accepted.")]})
    cleaned = check_accept(data)
    workspace = version.workspace
    if via == "page":
        _throttle(workspace, address)
    identity = _identity_for(workspace, cleaned["handle"])
    with transaction.atomic():
        existing = CharterAcceptance.objects.filter(version=version)
        if cleaned["email"]:
            existing = existing.filter(email__iexact=cleaned["email"])
        elif identity is not None:
            existing = existing.filter(identity=identity)
        else:
            existing = existing.filter(email="", identity=None, name=cleaned["name"])
        found = existing.first()
        if found is not None:
            return found
        return CharterAcceptance.objects.create(
            workspace=workspace, version=version, identity=identity, person=getattr(identity, "person", None),
            email=cleaned["email"], name=cleaned["name"], via=via)


def has_accepted(who, version: CharterVersion) -> bool:
    """Whether ``who`` (an Identity, a Person, or an e-mail address) accepted ``version``."""
    from comptoir.members.models import Identity, Person

    accepted = CharterAcceptance.objects.filter(version=version)
    if isinstance(who, Identity):
        return accepted.filter(identity=who).exists() or (
            who.person_id is not None and accepted.filter(person_id=who.person_id).exists())
    if isinstance(who, Person):
        return accepted.filter(person=who).exists()
    if isinstance(who, str) and who.strip():
        return accepted.filter(email__iexact=who.strip()).exists()
    return False


def acceptance_counts(workspace) -> dict[int, int]:
    """version id → how many people accepted it."""
    rows = (CharterAcceptance.objects.filter(workspace=workspace).values("version_id")
            .annotate(n=Count("id")).values_list("version_id", "n"))
    return dict(rows)


audit.sentences({
    "charter.draft_start": lambda e, n: _("%(actor)s started version %(number)s of the charter.") % {
        **n, "number": (e.after or {}).get("number", "?")},
    "charter.draft_update": lambda e, n: _("%(actor)s edited the draft of the charter (%(object)s).") % n,
    "charter.publish": lambda e, n: _("%(actor)s published version %(number)s of the charter (%(articles)s articles).")
    % {**n, "number": (e.after or {}).get("number", "?"), "articles": (e.after or {}).get("articles", "?")},
    "charter.settings": lambda e, n: _("%(actor)s changed how the charter is shown: %(fields)s.") % {
        **n, "fields": ", ".join(f for f, _b, _a in audit.changes(e)) or "—"},
})
