"""The weekly feedback digest: what members said this week, for management, on a page and by e-mail.

A week runs Monday 00:00 to the next Monday 00:00 in the workspace's time zone. The digest compares it with the week
before: volumes by theme and kind, the mood of the feedback and of the inbox's conversations, three quotes per main
theme, the inbox's figures (new, closed, median first reply, satisfaction) and a few sentences saying what changed.

Quotes are chosen simply and deterministically (no embeddings: a theme's "centroid" would need a model for a few
dozen sentences): distinct authors first, so one loud member does not fill the digest; among them the quotes that fit
a reading (280 characters or less), the longest first since they say the most, the newest breaking ties.

The e-mail goes to the addresses of the inbox settings and to the owners, each user in their language (French for an
address that is not a user), once per workspace and week: the :class:`Digest` row's unique constraint is the claim.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
import zoneinfo
from dataclasses import dataclass, field
from functools import cached_property

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Avg, Count, Q
from django.tasks import task
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from comptoir.clock import claims
from comptoir.workspaces import roles
from comptoir.workspaces.models import Membership, User, Workspace

from .feedback import theme_key
from .models import Conversation, Digest, Feedback, InboxSettings, Satisfaction

logger = logging.getLogger(__name__)

MAIN_THEMES = 5
QUOTES_PER_THEME = 3
QUOTE_FITS = 280
MAX_RECIPIENTS = 50
SEND_AT = dt.time(8, 0)  # local time of the digest's day
MOODS = ("negative", "neutral", "positive")


# Weeks ---------------------------------------------------------------------------------------------------


def zone(workspace: Workspace) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(workspace.time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo(settings.TIME_ZONE)


def week_bounds(workspace: Workspace, monday: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Monday 00:00 and the next Monday 00:00 in the workspace's time zone (aware; 167 or 169 hours across DST)."""
    tz = zone(workspace)
    return (dt.datetime.combine(monday, dt.time(0), tzinfo=tz),
            dt.datetime.combine(monday + dt.timedelta(days=7), dt.time(0), tzinfo=tz))


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def last_complete_week(workspace: Workspace, now: dt.datetime | None = None) -> dt.date:
    today = timezone.localtime(now or timezone.now(), zone(workspace)).date()
    return monday_of(today) - dt.timedelta(days=7)


def parse_week(workspace: Workspace, value) -> dt.date:
    """The Monday of ``?week=`` (any day of that week is read as its Monday), the last complete week by default."""
    default = last_complete_week(workspace)
    try:
        day = dt.date.fromisoformat(str(value or "").strip()[:10])
    except ValueError:
        return default
    monday = monday_of(day)
    this_week = default + dt.timedelta(days=7)
    return min(max(monday, dt.date(2000, 1, 3)), this_week)


def next_digest_time(found: InboxSettings, now: dt.datetime | None = None) -> dt.datetime:
    """The next digest day at 08:00 in the workspace's time zone, strictly after ``now``."""
    now = now or timezone.now()
    tz = zone(found.workspace)
    local = timezone.localtime(now, tz)
    weekday = found.digest_weekday if found.digest_weekday in range(7) else 0
    day = local.date() + dt.timedelta(days=(weekday - local.weekday()) % 7)
    when = dt.datetime.combine(day, SEND_AT, tzinfo=tz)
    if when <= now:
        when = dt.datetime.combine(day + dt.timedelta(days=7), SEND_AT, tzinfo=tz)
    return when


# Figures -------------------------------------------------------------------------------------------------


@dataclass
class Mood:
    negative: int = 0
    neutral: int = 0
    positive: int = 0

    @property
    def total(self) -> int:
        return self.negative + self.neutral + self.positive

    def share(self, name: str) -> int:
        return round(100 * getattr(self, name) / self.total) if self.total else 0

    @property
    def rows(self) -> list[dict]:
        labels = {"negative": _("Negative"), "neutral": _("Neutral"), "positive": _("Positive")}
        return [{"key": k, "label": labels[k], "count": getattr(self, k), "share": self.share(k)} for k in MOODS]


def _mood(rows) -> Mood:
    mood = Mood()
    for sentiment, n in rows:
        if sentiment in MOODS:
            setattr(mood, sentiment, getattr(mood, sentiment) + n)
    return mood


@dataclass
class ThemeRow:
    name: str
    count: int
    previous: int
    kinds: dict[str, int]
    quotes: list[Feedback] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    answers: dict[str, int] = field(default_factory=dict)
    width: int = 0  # of the bar, in % of the main theme

    @property
    def change(self) -> int:
        return self.count - self.previous

    @property
    def is_new(self) -> bool:
        return self.previous == 0

    @property
    def answer_rows(self) -> list[tuple[str, str, int]]:
        return [(a, str(Feedback.Answer(a).label), self.answers[a]) for a in Feedback.Answer.values if a and self.answers.get(a)]

    @property
    def kind_summary(self) -> list[tuple[str, int]]:
        return [(label, n) for _k, label, n in self.kind_rows if n]

    @property
    def kind_rows(self) -> list[tuple[str, str, int]]:
        return [(k, str(Feedback.Kind(k).label), self.kinds.get(k, 0)) for k in Feedback.Kind.values]


@dataclass
class InboxFigures:
    new: int = 0
    closed: int = 0
    replied: int = 0
    median_first_reply: dt.timedelta | None = None
    csat_average: float | None = None
    csat_answers: int = 0


def choose_quotes(feedback: list[Feedback], n: int = QUOTES_PER_THEME) -> list[Feedback]:
    """Up to ``n`` quotes: distinct authors first; those of 280 characters or less, longest first; newest on ties."""
    def rank(f: Feedback):
        size = len(f.quote)
        return (size > QUOTE_FITS, -size if size <= QUOTE_FITS else size, -f.created_at.timestamp(), -f.pk)

    ordered = sorted(feedback, key=rank)
    chosen: list[Feedback] = []
    authors: set[str] = set()
    for f in ordered:
        author = (f.author_name or "").casefold() or f"#{f.pk}"
        if author not in authors:
            chosen.append(f)
            authors.add(author)
        if len(chosen) == n:
            return chosen
    for f in ordered:  # fewer authors than quotes: the same author again
        if f not in chosen:
            chosen.append(f)
        if len(chosen) == n:
            break
    return chosen


def median_delay(pairs) -> dt.timedelta | None:
    delays = [(replied - created).total_seconds() for created, replied in pairs if created and replied and replied >= created]
    return dt.timedelta(seconds=round(statistics.median(delays))) if delays else None


@dataclass
class WeekDigest:
    """Everything the page and the e-mail show about one week of one workspace."""

    workspace: Workspace
    monday: dt.date
    start: dt.datetime
    end: dt.datetime
    total: int
    previous_total: int
    kinds: list[dict]
    themes: list[ThemeRow]
    gone: list[tuple[str, int]]
    mood: Mood
    previous_mood: Mood
    conversation_mood: Mood
    inbox: InboxFigures
    previous_inbox: InboxFigures
    answered: int
    unanswered: int

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def previous_monday(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next_monday(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def total_change(self) -> int:
        return self.total - self.previous_total

    @property
    def main_themes(self) -> list[ThemeRow]:
        return [t for t in self.themes if t.count][:MAIN_THEMES]

    @property
    def is_empty(self) -> bool:
        return not self.total and not self.inbox.new and not self.inbox.closed and not self.previous_total

    @cached_property
    def changes(self) -> list[str]:
        """What changed since last week, in a few sentences (in the active language)."""
        out: list[str] = []
        if self.total != self.previous_total:
            out.append(ngettext("%(count)s feedback this week, against %(before)s the week before.",
                                "%(count)s feedback this week, against %(before)s the week before.", self.total) % {
                "count": self.total, "before": self.previous_total})
        for row in self.themes:
            if row.count and row.is_new:
                out.append(_("New theme: “%(theme)s” (%(count)s).") % {"theme": row.name, "count": row.count})
            elif row.previous and (row.count >= 2 * row.previous and row.count - row.previous >= 2):
                out.append(_("“%(theme)s” is rising: %(count)s against %(before)s.") % {
                    "theme": row.name, "count": row.count, "before": row.previous})
            elif row.previous >= 2 and row.count <= row.previous // 2:
                out.append(_("“%(theme)s” is falling: %(count)s against %(before)s.") % {
                    "theme": row.name, "count": row.count, "before": row.previous})
        for name, before in self.gone:
            out.append(_("Nothing about “%(theme)s” this week (%(before)s the week before).") % {
                "theme": name, "before": before})
        if self.mood.total and self.previous_mood.total:
            diff = self.mood.share("negative") - self.previous_mood.share("negative")
            if abs(diff) >= 10:
                out.append((_("The feedback is more negative: %(now)s %% against %(before)s %%.") if diff > 0 else
                            _("The feedback is less negative: %(now)s %% against %(before)s %%.")) % {
                    "now": self.mood.share("negative"), "before": self.previous_mood.share("negative")})
        if self.inbox.new != self.previous_inbox.new:
            out.append(ngettext("%(count)s new conversation in the inbox, against %(before)s the week before.",
                                "%(count)s new conversations in the inbox, against %(before)s the week before.",
                                self.inbox.new) % {"count": self.inbox.new, "before": self.previous_inbox.new})
        if self.answered:
            out.append(ngettext("Management answered %(count)s feedback this week.",
                                "Management answered %(count)s feedback this week.", self.answered) % {
                "count": self.answered})
        return out or [_("Nothing changed much since last week.")]


def _kinds(qs) -> dict[str, int]:
    return dict(qs.values_list("kind").annotate(n=Count("pk")).order_by())


def _inbox(workspace: Workspace, start, end) -> InboxFigures:
    convs = Conversation.objects.filter(workspace=workspace)
    figures = InboxFigures()
    new = convs.filter(created_at__gte=start, created_at__lt=end)
    figures.new = new.count()
    figures.closed = convs.filter(closed_at__gte=start, closed_at__lt=end).count()
    pairs = list(new.filter(first_replied_at__isnull=False).values_list("created_at", "first_replied_at"))
    figures.replied = len(pairs)
    figures.median_first_reply = median_delay(pairs)
    csat = Satisfaction.objects.filter(workspace=workspace, answered_at__gte=start, answered_at__lt=end,
                                       score__isnull=False).aggregate(avg=Avg("score"), n=Count("pk"))
    figures.csat_answers = csat["n"] or 0
    figures.csat_average = round(float(csat["avg"]), 1) if csat["avg"] is not None else None
    return figures


def build(workspace: Workspace, monday: dt.date) -> WeekDigest:
    """The digest of the week starting ``monday`` (a date in the workspace's time zone)."""
    start, end = week_bounds(workspace, monday)
    before_start, _before_end = week_bounds(workspace, monday - dt.timedelta(days=7))
    all_feedback = Feedback.objects.filter(workspace=workspace)
    week = list(all_feedback.filter(created_at__gte=start, created_at__lt=end).order_by("-created_at", "-pk"))
    previous = all_feedback.filter(created_at__gte=before_start, created_at__lt=start)

    by_theme: dict[str, list[Feedback]] = {}
    names: dict[str, str] = {}
    for f in week:
        key = theme_key(f.theme)
        by_theme.setdefault(key, []).append(f)
        names.setdefault(key, f.theme)
    previous_counts: dict[str, int] = {}
    for theme, n in previous.values_list("theme").annotate(n=Count("pk")).order_by():
        key = theme_key(theme)
        previous_counts[key] = previous_counts.get(key, 0) + n
        names.setdefault(key, theme)

    rows = []
    for key, items in by_theme.items():
        kinds: dict[str, int] = {}
        answers: dict[str, int] = {}
        for f in items:
            kinds[f.kind] = kinds.get(f.kind, 0) + 1
            answers[f.answer] = answers.get(f.answer, 0) + 1
        rows.append(ThemeRow(name=names[key], count=len(items), previous=previous_counts.get(key, 0), kinds=kinds,
                             ids=[f.pk for f in items], answers=answers))
    rows.sort(key=lambda r: (-r.count, -r.change, r.name.casefold()))
    top = rows[0].count if rows else 0
    for i, row in enumerate(rows):
        row.width = round(100 * row.count / top) if top else 0
        if i < MAIN_THEMES:
            row.quotes = choose_quotes(by_theme[theme_key(row.name)])
    gone = sorted(((names[k], n) for k, n in previous_counts.items() if k not in by_theme), key=lambda t: (-t[1], t[0]))

    week_kinds = {}
    for f in week:
        week_kinds[f.kind] = week_kinds.get(f.kind, 0) + 1
    previous_kinds = _kinds(previous)
    kinds = [{"key": k, "label": str(Feedback.Kind(k).label), "count": week_kinds.get(k, 0),
              "previous": previous_kinds.get(k, 0), "change": week_kinds.get(k, 0) - previous_kinds.get(k, 0)}
             for k in Feedback.Kind.values]

    mood = Mood()
    for f in week:
        if f.sentiment in MOODS:
            setattr(mood, f.sentiment, getattr(mood, f.sentiment) + 1)
    previous_mood = _mood(previous.values_list("sentiment").annotate(n=Count("pk")).order_by())
    active = Conversation.objects.filter(workspace=workspace).filter(
        Q(created_at__gte=start, created_at__lt=end) | Q(last_message_at__gte=start, last_message_at__lt=end))
    conversation_mood = _mood(active.values_list("sentiment").annotate(n=Count("pk")).order_by())

    return WeekDigest(
        workspace=workspace, monday=monday, start=start, end=end, total=len(week), previous_total=previous.count(),
        kinds=kinds, themes=rows, gone=gone, mood=mood, previous_mood=previous_mood,
        conversation_mood=conversation_mood, inbox=_inbox(workspace, start, end),
        previous_inbox=_inbox(workspace, before_start, start),
        answered=all_feedback.filter(answered_at__gte=start, answered_at__lt=end).count(),
        unanswered=sum(1 for f in week if not f.answer),
    )


# Recipients ----------------------------------------------------------------------------------------------


def check_recipients(text) -> list[str]:
    """The addresses of the settings form, one per line: at most 50, each a valid address, duplicates dropped.

    The error names the line (number and text) so the person fixes the right one."""
    addresses: list[str] = []
    seen: set[str] = set()
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        address = line.strip()
        if not address:
            continue
        shown = address if len(address) <= 60 else address[:59] + "…"
        shown = "".join(c if c.isprintable() else "�" for c in shown)
        try:
            if len(address) > 254 or any(not c.isprintable() for c in address):
                raise ValidationError("bad")
            validate_email(address)
        except ValidationError:
            raise ValidationError({"digest_recipients": _("Line %(line)s (“%(text)s”) is not an e-mail address: write "
                                                          "one address per line, like direction@example.org.") % {
                "line": number, "text": shown}}) from None
        if address.casefold() not in seen:
            seen.add(address.casefold())
            addresses.append(address)
    if len(addresses) > MAX_RECIPIENTS:
        raise ValidationError({"digest_recipients": _("The digest goes to at most %(max)s addresses; this list has "
                                                      "%(n)s.") % {"max": MAX_RECIPIENTS, "n": len(addresses)}})
    return addresses


def recipients(workspace: Workspace) -> list[tuple[str, str]]:
    """(address, language) of everyone who receives the digest: the settings' addresses and the owners."""
    found = InboxSettings.of(workspace.pk)
    try:
        listed = check_recipients(found.digest_recipients)
    except ValidationError:  # saved before a rule changed: keep the lines that are addresses
        listed = []
        for line in (found.digest_recipients or "").splitlines():
            try:
                listed += check_recipients(line)
            except ValidationError:
                continue
    owners = [m.user.email for m in Membership.objects.filter(workspace=workspace, role=roles.Role.OWNER,
                                                              user__is_active=True).select_related("user")
              if m.user.email]
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for address in [*owners, *listed]:
        if address.casefold() in seen:
            continue
        seen.add(address.casefold())
        user = User.objects.filter(email__iexact=address, is_active=True).first()
        out.append((address, user.language if user is not None else "fr"))
    return out[:MAX_RECIPIENTS + 10]


# The e-mail ----------------------------------------------------------------------------------------------


def render_email(digest: WeekDigest, language: str) -> tuple[str, str, str]:
    """(subject, text, HTML) of the digest e-mail in ``language``. The HTML is simple and inline-styled (mail readers
    ignore style sheets), with no image to fetch."""
    with translation.override(language), timezone.override(zone(digest.workspace)):
        digest.__dict__.pop("changes", None)  # the sentences are written in the reader's language
        link = settings.BASE_URL + reverse("inbox_digest", args=[digest.workspace.slug]) + f"?week={digest.monday}"
        context = {"d": digest, "link": link, "workspace": digest.workspace}
        subject = _("[%(workspace)s] What members said, week of %(day)s") % {
            "workspace": digest.workspace.name, "day": _date(digest.monday)}
        text = render_to_string("inbox/digest_email.txt", context)
        html = render_to_string("inbox/digest_email.html", context)
        digest.__dict__.pop("changes", None)
    return subject[:250], text, html


def _date(day: dt.date) -> str:
    from django.utils.formats import date_format

    return date_format(day, "j F Y")


@task(queue_name="default")
def send_digest(workspace_id: int, week: str) -> int:
    """Build and mail the digest of ``week`` (its Monday, ISO). Idempotent: the Digest row is created first, and a
    second run for the same week finds it and sends nothing. A mail outage removes it so the next tick tries again."""
    from django.core.mail import EmailMultiAlternatives, mailers

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:
        return 0
    monday = dt.date.fromisoformat(week)
    try:
        with transaction.atomic():
            record = Digest.objects.create(workspace=workspace, week_start=monday)
    except IntegrityError:
        return 0
    digest = build(workspace, monday)
    if digest.is_empty:
        return 0  # a quiet week: nothing worth an e-mail (the page still shows it)
    messages = []
    for address, language in recipients(workspace):
        subject, text, html = render_email(digest, language)
        message = EmailMultiAlternatives(subject, text, None, [address])
        message.attach_alternative(html, "text/html")
        messages.append(message)
    try:
        sent = mailers.default.send_messages(messages) if messages else 0
    except Exception:
        logger.exception("Could not e-mail the feedback digest of workspace %s", workspace_id)
        record.delete()
        InboxSettings.objects.filter(workspace=workspace).update(
            next_digest_at=timezone.now() + dt.timedelta(minutes=30))
        return 0
    Digest.objects.filter(pk=record.pk).update(recipients=len(messages), sent_at=timezone.now())
    return sent or 0


@claims.register("inbox_digest")
def claim_due_digests() -> list[int]:
    """Workspaces whose digest day has come: the next one is planned, the last complete week is mailed."""
    now = timezone.now()
    due = InboxSettings.objects.filter(next_digest_at__lte=now)
    won = claims.claim_due(due, "next_digest_at", lambda s: {"next_digest_at": next_digest_time(s, now)}, limit=50)
    for found in InboxSettings.objects.filter(pk__in=won).select_related("workspace"):
        week = last_complete_week(found.workspace, now).isoformat()
        transaction.on_commit(lambda ws=found.workspace_id, week=week: send_digest.enqueue(ws, week))
    return won


def do_update_digest_settings(membership: Membership, recipients_text: str, weekday) -> InboxSettings:
    """Who receives the digest (one address per line) and on which day; the next digest is planned accordingly."""
    from comptoir.workspaces import audit
    from comptoir.workspaces.actions import check_perm

    check_perm(membership, roles.MANAGE_INBOX)
    addresses = check_recipients(recipients_text)
    try:
        weekday = int(weekday)
    except (TypeError, ValueError):
        weekday = -1
    if weekday not in range(7):
        raise ValidationError({"digest_weekday": _("Choose a day of the week.")})
    with transaction.atomic():
        found = InboxSettings.objects.select_for_update().get(pk=InboxSettings.of(membership.workspace_id).pk)
        before = {"digest_recipients": len([line for line in (found.digest_recipients or "").splitlines() if line.strip()]),
                  "digest_weekday": found.digest_weekday}
        found.digest_recipients = "\n".join(addresses)
        found.digest_weekday = weekday
        found.next_digest_at = next_digest_time(found)
        found.save(update_fields=["digest_recipients", "digest_weekday", "next_digest_at"])
        audit.record(membership.workspace, membership.user, "inbox_settings.digest", found, before=before,
                     after={"digest_recipients": len(addresses), "digest_weekday": weekday},
                     object_repr=membership.workspace.name)
    return found


def _weekday(value) -> str:
    from django.utils.dates import WEEKDAYS

    return str(WEEKDAYS.get(value, value))


def _sentences() -> None:
    from comptoir.workspaces import audit

    audit.sentences({
        "inbox_settings.digest": lambda e, n: ngettext(
            "%(actor)s set the weekly feedback digest: %(count)s address besides the owners, every %(day)s.",
            "%(actor)s set the weekly feedback digest: %(count)s addresses besides the owners, every %(day)s.",
            (e.after or {})["digest_recipients"]) % {**n, "count": (e.after or {})["digest_recipients"],
                                                     "day": _weekday((e.after or {})["digest_weekday"])},
    })


_sentences()
