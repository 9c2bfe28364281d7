"""Alerts: the rules a team sets, how they are evaluated, one alert per incident, and who is told.

A rule is evaluated by the clock every few minutes (its ``next_check_at`` is the schedule) and sooner when
new mentions arrive (``mentions_created`` makes the workspace's rules due). Each evaluation either opens an
alert, updates the open one of the same rule (count, peak, messages), or, once the hour has been quiet for
a while, ends it: only then can the next incident open a new alert. An alert the team closed while the
incident goes on keeps absorbing it quietly instead of ringing again.
"""

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Case, Count, IntegerField, Max, Min, Q, Value, When
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.lib.sanitize import clean_text
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from . import detect
from .actions import check_managed
from .models import MAX_QUERY_LENGTH, Alert, AlertRule, Mention, Topic

logger = logging.getLogger("comptoir.listening")

CHECK_EVERY = timedelta(minutes=5)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
LOOKBACK_DAYS = 14  # the same hour on each of the previous 14 days
TRAILING_HOURS = 23  # the hours before this one, when there are too few days of history yet
MIN_HISTORY = timedelta(hours=24)  # a topic watched for less than a day has no usual level yet
QUIET = {AlertRule.Kind.SPIKE: timedelta(hours=3), AlertRule.Kind.NEGATIVE: timedelta(hours=3),
         AlertRule.Kind.AUTHOR: timedelta(hours=24), AlertRule.Kind.KEYWORD: timedelta(hours=24)}
MAX_ALERT_ITEMS = 500
MATCH_BATCH = 5000  # messages a watched author or keyword reads per evaluation; more makes the rule due again
OLD_NEWS = timedelta(days=1)  # a message that came in longer ago than this is not "new" for a watched author or keyword
ESCALATION = 2  # a second e-mail when the peak doubles what the first one said
MAX_RULES = 100
HANDLE = re.compile(r"^[\w.\-:@]{1,300}$")


# Rules: create, edit, switch off, delete. ---------------------------------------------------------------

@dataclass
class RuleData:
    name: str
    kind: str
    topic: Topic | None
    sensitivity: str = AlertRule.Sensitivity.MEDIUM
    min_mentions: int = 10
    value: str = ""
    email: bool = True
    enabled: bool = True


def _normalised_handle(value: str) -> str:
    return clean_text(value or "").strip().lstrip("@").strip()


def check_rule(membership: Membership, data: RuleData, rule: AlertRule | None = None) -> RuleData:
    """The rule's values checked and tidied; raises ``ValidationError`` naming each wrong field."""
    check_perm(membership, roles.MANAGE_LISTENING)
    errors: dict[str, str] = {}
    name = " ".join(clean_text(data.name or "").split())
    if not name:
        errors["name"] = _("Give the rule a name, e.g. “Spike on the brand”.")
    elif len(name) > 100:
        errors["name"] = _("A name has at most %(max)d characters.") % {"max": 100}
    elif (AlertRule.objects.filter(workspace_id=membership.workspace_id, name__iexact=name)
          .exclude(pk=getattr(rule, "pk", None)).exists()):
        errors["name"] = _("Another rule already has this name.")
    if data.kind not in AlertRule.Kind.values:
        errors["kind"] = _("Choose what the rule watches.")
    if data.sensitivity not in AlertRule.Sensitivity.values:
        errors["sensitivity"] = _("Choose a sensitivity.")
    if data.topic is not None and data.topic.workspace_id != membership.workspace_id:
        raise PermissionDenied
    if not isinstance(data.min_mentions, int) or not 1 <= data.min_mentions <= 100_000:
        errors["min_mentions"] = _("Enter a number of mentions between 1 and 100,000.")
    value = ""
    if data.kind == AlertRule.Kind.AUTHOR:
        value = _normalised_handle(data.value)
        if not value:
            errors["value"] = _("Enter the author's handle, e.g. @journaliste_lyon.")
        elif not HANDLE.match(value):
            errors["value"] = _("A handle has no spaces and at most 300 characters, e.g. @journaliste_lyon.")
    elif data.kind == AlertRule.Kind.KEYWORD:
        value = clean_text(data.value or "").strip()
        if not value:
            errors["value"] = _("Enter the words to watch, e.g. “rappel produit” OR intoxication.")
        elif len(value) > MAX_QUERY_LENGTH:
            errors["value"] = _("A query has at most %(max)d characters.") % {"max": MAX_QUERY_LENGTH}
        else:
            problem = query_problem(value)
            if problem:
                errors["value"] = problem
    if rule is None and AlertRule.objects.filter(workspace_id=membership.workspace_id).count() >= MAX_RULES:
        errors["name"] = _("This workspace has %(max)d alert rules already: delete one first.") % {"max": MAX_RULES}
    if errors:
        raise ValidationError(errors)
    data.name, data.value = name, value
    return data


def query_problem(text: str) -> str:
    """What is wrong with a listening query, in the reader's language (with the column), or ""."""
    from . import querylang

    try:
        querylang.parse(text)
    except querylang.QueryError as exc:
        return _("Column %(column)s: %(message)s") % {"column": exc.column, "message": exc.text(_)}
    return ""


def _start_cursor(kind: str, workspace_id: int, topic_id: int | None) -> int:
    """Where a watched author or keyword starts reading: after everything already there."""
    if kind not in (AlertRule.Kind.AUTHOR, AlertRule.Kind.KEYWORD):
        return 0
    if topic_id:
        return Mention.objects.filter(topic_id=topic_id).aggregate(m=Max("pk"))["m"] or 0
    from comptoir.stream.models import Item

    return Item.objects.filter(workspace_id=workspace_id).aggregate(m=Max("pk"))["m"] or 0


RULE_FIELDS = ["name", "kind", "topic", "sensitivity", "min_mentions", "value", "email", "enabled"]
# How the activity log names what changed ("value" is called "watched": the key is shared by every app).
audit.FIELD_NAMES.update({
    "sensitivity": gettext_lazy("sensitivity"), "min_mentions": gettext_lazy("minimum of mentions"),
    "watched": gettext_lazy("author or keyword query"), "email": gettext_lazy("also by e-mail"),
    "enabled": gettext_lazy("enabled"), "topic": gettext_lazy("topic"),
    "summary": gettext_lazy("what happened"), "lessons": gettext_lazy("what we learned"),
})


def _rule_snapshot(rule: AlertRule | None) -> dict | None:
    data = audit.snapshot(rule, RULE_FIELDS)
    if data is not None:
        data["watched"] = data.pop("value")
    return data


@transaction.atomic
def do_save_rule(membership: Membership, data: RuleData, rule: AlertRule | None = None) -> AlertRule:
    """Create a rule (``rule`` None) or change one. A rule switched on is checked within minutes."""
    if rule is not None and rule.workspace_id != membership.workspace_id:
        raise PermissionDenied
    data = check_rule(membership, data, rule)
    now = timezone.now()
    before = _rule_snapshot(rule) if rule else None
    reads_again = rule is None or rule.kind != data.kind or rule.topic_id != getattr(data.topic, "pk", None)
    if rule is None:
        rule = AlertRule(workspace=membership.workspace, created_by=membership.user)
    for name in ("name", "kind", "topic", "sensitivity", "min_mentions", "value", "email", "enabled"):
        setattr(rule, name, getattr(data, name))
    if reads_again:
        rule.cursor = _start_cursor(rule.kind, membership.workspace_id, rule.topic_id)
    rule.next_check_at = now if rule.enabled else None
    rule.save()
    after = _rule_snapshot(rule)
    audit.record(membership.workspace, membership.user, "alert_rule.create" if before is None else "alert_rule.update",
                 rule, before=before, after=after)
    return rule


@transaction.atomic
def do_set_rule_enabled(membership: Membership, rule: AlertRule, enabled: bool) -> None:
    check_managed(membership, rule)
    if rule.enabled == enabled:
        return
    rule.enabled = enabled
    rule.next_check_at = timezone.now() if enabled else None
    rule.save(update_fields=["enabled", "next_check_at"])
    audit.record(membership.workspace, membership.user, "alert_rule.enable" if enabled else "alert_rule.disable", rule)


@transaction.atomic
def do_delete_rule(membership: Membership, rule: AlertRule) -> int:
    """Delete a rule; the alerts it raised stay (they are the history). Returns how many alerts stay."""
    check_managed(membership, rule)
    kept = rule.alerts.count()
    audit.record(membership.workspace, membership.user, "alert_rule.delete", rule,
                 before=_rule_snapshot(rule), after={"alerts_kept": kept})
    rule.delete()
    return kept


# Alerts: the team acknowledges and closes them. ------------------------------------------------------------

@transaction.atomic
def do_acknowledge_alert(membership: Membership, alert: Alert) -> bool:
    """Someone of the team has seen it and is on it. Returns whether it changed."""
    check_managed(membership, alert)
    if alert.status != Alert.Status.OPEN:
        return False
    alert.status, alert.acknowledged_by, alert.acknowledged_at = Alert.Status.ACKNOWLEDGED, membership.user, timezone.now()
    alert.save(update_fields=["status", "acknowledged_by", "acknowledged_at"])
    audit.record(membership.workspace, membership.user, "alert.acknowledge", alert, object_repr=alert_title(alert))
    return True


@transaction.atomic
def do_close_alert(membership: Membership, alert: Alert) -> bool:
    """Done with it. While the incident goes on, the closed alert keeps counting it without ringing again."""
    check_managed(membership, alert)
    if alert.status == Alert.Status.CLOSED:
        return False
    before = alert.status
    alert.status, alert.closed_by, alert.closed_at = Alert.Status.CLOSED, membership.user, timezone.now()
    alert.save(update_fields=["status", "closed_by", "closed_at"])
    audit.record(membership.workspace, membership.user, "alert.close", alert, before={"status": before},
                 after={"status": alert.status}, object_repr=alert_title(alert))
    return True


@transaction.atomic
def do_reopen_alert(membership: Membership, alert: Alert) -> bool:
    check_managed(membership, alert)
    if alert.status == Alert.Status.OPEN:
        return False
    before = alert.status
    alert.status, alert.closed_at, alert.closed_by = Alert.Status.OPEN, None, None
    alert.save(update_fields=["status", "closed_at", "closed_by"])
    audit.record(membership.workspace, membership.user, "alert.reopen", alert, before={"status": before},
                 after={"status": alert.status}, object_repr=alert_title(alert))
    return True


KIND_TITLES = {
    AlertRule.Kind.SPIKE: gettext_lazy("Spike of mentions"),
    AlertRule.Kind.NEGATIVE: gettext_lazy("Surge of negative mentions"),
    AlertRule.Kind.AUTHOR: gettext_lazy("Watched author"),
    AlertRule.Kind.KEYWORD: gettext_lazy("Watched keyword"),
}


def alert_title(alert: Alert) -> str:
    """“Spike of mentions · Vélo Lyon”, in the active language."""
    subject = alert.topic.name if alert.topic_id and alert.topic else (alert.detail or {}).get("topic_name") or _(
        "all mentions")
    title = str(KIND_TITLES.get(alert.kind, alert.kind))
    if alert.kind in (AlertRule.Kind.AUTHOR, AlertRule.Kind.KEYWORD) and (alert.detail or {}).get("value"):
        subject = alert.detail["value"]
    return f"{title} · {subject}"


def alert_summary(alert: Alert) -> str:
    """One sentence on what was measured (at the peak hour), in the active language."""
    detail = alert.detail or {}
    if alert.kind == AlertRule.Kind.SPIKE:
        text = ngettext("Up to %(peak)s mention in an hour, usually %(usual)s.",
                        "Up to %(peak)s mentions in an hour, usually %(usual)s.", alert.peak) % {
            "peak": alert.peak, "usual": _usual(alert.baseline)}
    elif alert.kind == AlertRule.Kind.NEGATIVE:
        text = ngettext("Up to %(peak)s negative mention in an hour (%(share)s%% of the hour), usually %(usual)s.",
                        "Up to %(peak)s negative mentions in an hour (%(share)s%% of the hour), usually %(usual)s.",
                        alert.peak) % {"peak": alert.peak, "share": round(100 * detail.get("share", 0)),
                                       "usual": _usual(alert.baseline)}
    elif alert.kind == AlertRule.Kind.AUTHOR:
        return ngettext("%(count)s new message by %(value)s.", "%(count)s new messages by %(value)s.", alert.count) % {
            "count": alert.count, "value": "@" + detail.get("value", "")}
    else:
        return ngettext("%(count)s new message matches “%(value)s”.", "%(count)s new messages match “%(value)s”.",
                        alert.count) % {"count": alert.count, "value": detail.get("value", "")}
    if alert.ended_at is None and alert.count != alert.peak:
        text += " " + _("Last hour: %(count)s.") % {"count": alert.count}
    return text


def decorate(alerts) -> list[Alert]:
    """The alerts with their ``title`` and ``summary`` in the active language, for templates."""
    alerts = list(alerts)
    for alert in alerts:
        alert.title, alert.summary = alert_title(alert), alert_summary(alert)
    return alerts


def _usual(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".") if value else "0"


# Evaluation. --------------------------------------------------------------------------------------------

@dataclass
class Measure:
    count: int
    negative: int
    same_hour: list[int]
    same_hour_negative: list[int]
    trailing: list[int]
    trailing_negative: list[int]
    history: timedelta

    @property
    def usual_share(self) -> float:
        """The share of negative mentions over the history's hours."""
        total = sum(self.same_hour) + sum(self.trailing)
        return (sum(self.same_hour_negative) + sum(self.trailing_negative)) / total if total else 0.0


def _scope(rule: AlertRule):
    mentions = Mention.objects.filter(workspace_id=rule.workspace_id)
    if rule.topic_id:
        return mentions.filter(topic_id=rule.topic_id), "pk", False
    # Across topics, a message several topics found is one mention.
    return mentions, "item", True


def measure(rule: AlertRule, now: datetime) -> Measure:
    """The rule's mentions in the last hour, the hours before it and the same hour of the previous days.

    One grouped query: each mention falls in at most one window (the hour ending now, each of the 23 before,
    the same hour on each of the 13 days before those), and only those hours are read.
    """
    mentions, counted, distinct = _scope(rule)
    windows = [("now", now - HOUR, now)]
    windows += [(f"h{j}", now - (j + 1) * HOUR, now - j * HOUR) for j in range(1, TRAILING_HOURS + 1)]
    windows += [(f"d{k}", now - HOUR - k * DAY, now - k * DAY) for k in range(1, LOOKBACK_DAYS + 1)]
    # The last 24 hours in one range, then each same hour of the days before ("d1" is the 24th hour back).
    read = Q(published_at__gte=now - DAY, published_at__lt=now)
    for _name, a, b in windows[TRAILING_HOURS + 1:]:
        read |= Q(published_at__gte=a, published_at__lt=b)
    which = Case(*[When(published_at__gte=a, published_at__lt=b, then=Value(i)) for i, (_n, a, b) in enumerate(windows)],
                 output_field=IntegerField())
    rows = (mentions.filter(read).annotate(window=which).values("window")
            .annotate(n=Count(counted, distinct=distinct), neg=Count(counted, distinct=distinct, filter=Q(sentiment="negative")))
            .order_by())
    counts = {windows[r["window"]][0]: (r["n"], r["neg"]) for r in rows if r["window"] is not None}
    first = (mentions.filter(published_at__gte=now - timedelta(days=LOOKBACK_DAYS) - HOUR, published_at__lt=now)
             .aggregate(first=Min("published_at"))["first"]) or now
    # Only the windows after the first mention seen count: before it, the topic was not watched yet.
    days = [k for k in range(1, LOOKBACK_DAYS + 1) if now - k * DAY - HOUR >= first]
    hours = [j for j in range(1, TRAILING_HOURS + 1) if now - (j + 1) * HOUR >= first]

    def get(name: str) -> tuple[int, int]:
        return counts.get(name, (0, 0))

    return Measure(
        count=get("now")[0], negative=get("now")[1],
        same_hour=[get(f"d{k}")[0] for k in days], same_hour_negative=[get(f"d{k}")[1] for k in days],
        trailing=[get(f"h{j}")[0] for j in hours], trailing_negative=[get(f"h{j}")[1] for j in hours],
        history=now - first,
    )


def _history(same_hour: list[int], trailing: list[int]) -> list[int]:
    # Fewer than three days: the hours before this one say more than one or two days (no daily rhythm yet).
    return same_hour if len(same_hour) >= 3 else same_hour + trailing


def _latest_incident(rule: AlertRule) -> Alert | None:
    return (Alert.objects.select_for_update().filter(rule=rule, ended_at__isnull=True).order_by("-started_at").first())


def _window_items(rule: AlertRule, now: datetime, negative: bool) -> list[int]:
    mentions, _counted, _distinct = _scope(rule)
    mentions = mentions.filter(published_at__gte=now - HOUR, published_at__lt=now)
    if negative:
        mentions = mentions.filter(sentiment="negative")
    return list(dict.fromkeys(mentions.order_by("-reach", "-published_at").values_list("item_id", flat=True)[:200]))


def _add_items(alert: Alert, item_ids: list[int]) -> None:
    if not item_ids:
        return
    room = MAX_ALERT_ITEMS - alert.items.count()
    if room > 0:
        alert.items.add(*item_ids[:room])


@dataclass
class Outcome:
    alert: Alert | None = None
    opened: bool = False
    updated: bool = False
    ended: bool = False


def evaluate_rule(rule_id: int, now: datetime | None = None, *, notify: bool = True) -> Outcome:
    """Evaluate one rule at ``now``: open, update or end its alert. Idempotent for a given ``now``."""
    now = now or timezone.now()
    with transaction.atomic():
        rule = AlertRule.objects.select_for_update(of=("self",)).select_related("topic", "workspace").filter(pk=rule_id).first()
        if rule is None or not rule.enabled:
            return Outcome()
        if rule.kind in (AlertRule.Kind.SPIKE, AlertRule.Kind.NEGATIVE):
            outcome = _evaluate_volume(rule, now)
        else:
            outcome = _evaluate_matches(rule, now)
        AlertRule.objects.filter(pk=rule.pk).update(last_checked_at=now, cursor=rule.cursor)
        alert = outcome.alert
        if notify and alert is not None and rule.email and alert.status != Alert.Status.CLOSED and not outcome.ended:
            told = (alert.detail or {}).get("emailed_peak")
            if alert.emailed_at is None:
                transaction.on_commit(lambda: _enqueue_mail(alert.pk, escalation=False))
            elif (told and alert.escalated_at is None and rule.kind in (AlertRule.Kind.SPIKE, AlertRule.Kind.NEGATIVE)
                  and alert.peak >= ESCALATION * told):
                transaction.on_commit(lambda: _enqueue_mail(alert.pk, escalation=True))
    return outcome


def _enqueue_mail(alert_id: int, escalation: bool) -> None:
    from .tasks import send_alert_mail

    send_alert_mail.enqueue(alert_id, escalation)


def _open(rule: AlertRule, now: datetime, *, count: int, baseline: float, detail: dict, started_at: datetime) -> Alert:
    alert = Alert.objects.create(
        workspace_id=rule.workspace_id, rule=rule, kind=rule.kind, topic=rule.topic, started_at=started_at,
        updated_at=now, count=count, baseline=baseline, peak=count,
        detail={**detail, "rule_name": rule.name, "topic_name": rule.topic.name if rule.topic_id else "",
                "value": rule.value})
    audit.record(rule.workspace, None, "alert.raise", alert, after={"count": count, "kind": rule.kind},
                 object_repr=alert_title(alert))
    return alert


def _evaluate_volume(rule: AlertRule, now: datetime) -> Outcome:
    m = measure(rule, now)
    current = _latest_incident(rule)
    if m.history < MIN_HISTORY and current is None:
        return Outcome()
    if rule.kind == AlertRule.Kind.SPIKE:
        verdict = detect.judge_count(m.count, _history(m.same_hour, m.trailing), rule.sensitivity, rule.min_mentions)
        count, unusual, threshold, expected = m.count, verdict.unusual, verdict.threshold, verdict.expected
        extra = {"total": m.count, "negative": m.negative}
    else:
        usual_share = m.usual_share
        surge = detect.judge_negative(m.negative, m.count, _history(m.same_hour_negative, m.trailing_negative),
                                      usual_share, rule.sensitivity, rule.min_mentions)
        count, unusual = m.negative, surge.unusual
        threshold, expected = surge.count_verdict.threshold, surge.count_verdict.expected
        extra = {"total": m.count, "negative": m.negative, "share": round(surge.share, 4),
                 "usual_share": round(usual_share, 4)}
    negative_only = rule.kind == AlertRule.Kind.NEGATIVE
    if current is None:
        if not unusual:
            return Outcome()
        alert = _open(rule, now, count=count, baseline=expected, started_at=now - HOUR,
                      detail={**extra, "threshold": threshold})
        _add_items(alert, _window_items(rule, now, negative_only))
        return Outcome(alert, opened=True)
    detail = dict(current.detail or {})
    going_on = unusual or detect.still_high(count, current.baseline, detail.get("threshold", threshold), rule.min_mentions)
    current.count, current.updated_at = count, now
    if count > current.peak:
        # The figures shown are those of the peak hour.
        detail.update(extra)
        current.peak = count
    if unusual:
        detail["threshold"] = threshold
        current.baseline = expected
    ended = False
    if going_on:
        detail.pop("quiet_since", None)
        _add_items(current, _window_items(rule, now, negative_only))
    else:
        quiet_since = detail.setdefault("quiet_since", now.isoformat())
        if now - datetime.fromisoformat(quiet_since) >= QUIET[rule.kind]:
            current.ended_at, ended = now, True
    current.detail = detail
    current.save(update_fields=["count", "updated_at", "baseline", "peak", "detail", "ended_at"])
    return Outcome(current, updated=True, ended=ended)


def _new_messages(rule: AlertRule) -> tuple[list[int], int, bool]:
    """Ids of the messages new to this rule, the new cursor, and whether more are waiting."""
    if rule.topic_id:
        rows = list(Mention.objects.filter(topic_id=rule.topic_id, pk__gt=rule.cursor).order_by("pk")
                    .values_list("pk", "item_id", "item__fetched_at")[:MATCH_BATCH])
        if not rows:
            return [], rule.cursor, False
        # A topic whose past is read again (a new or edited query) makes new mentions of old messages: old news.
        fresh = timezone.now() - OLD_NEWS
        items = [item for _pk, item, fetched in rows if fetched >= fresh]
        return list(dict.fromkeys(items)), rows[-1][0], len(rows) == MATCH_BATCH
    from comptoir.stream.models import Item

    ids = list(Item.objects.filter(workspace_id=rule.workspace_id, pk__gt=rule.cursor).order_by("pk")
               .values_list("pk", flat=True)[:MATCH_BATCH])
    if not ids:
        return [], rule.cursor, False
    return ids, ids[-1], len(ids) == MATCH_BATCH


def matching_items(rule: AlertRule, item_ids: list[int]) -> list[int]:
    """Which of these messages the watched author wrote, or the watched keyword matches."""
    from comptoir.stream.models import Item

    items = Item.objects.filter(pk__in=item_ids, workspace_id=rule.workspace_id)
    if rule.kind == AlertRule.Kind.AUTHOR:
        return list(items.filter(author__handle__iexact=rule.value).order_by("pk").values_list("pk", flat=True))
    from . import matcher

    compiled = matcher.Matcher({rule.pk: rule.value})
    found = []
    for item in items.select_related("author", "source", "channel").order_by("pk"):
        if compiled.match(matcher.doc_from_item(item)):
            found.append(item.pk)
    return found


def _evaluate_matches(rule: AlertRule, now: datetime) -> Outcome:
    item_ids, cursor, more = _new_messages(rule)
    rule.cursor = cursor
    if more:
        AlertRule.objects.filter(pk=rule.pk).update(next_check_at=now)
    found = matching_items(rule, item_ids) if item_ids else []
    current = _latest_incident(rule)
    if current is not None and not found and now - current.updated_at >= QUIET[rule.kind]:
        current.ended_at = now
        current.save(update_fields=["ended_at"])
        return Outcome(current, ended=True)
    if not found:
        return Outcome()
    if current is None:
        alert = _open(rule, now, count=len(found), baseline=0, started_at=now, detail={})
        _add_items(alert, found)
        return Outcome(alert, opened=True)
    current.count += len(found)
    current.peak = max(current.peak, current.count)
    current.updated_at = now
    current.save(update_fields=["count", "peak", "updated_at"])
    _add_items(current, found)
    return Outcome(current, updated=True)


# Who is told, and how. ----------------------------------------------------------------------------------

def recipients(workspace_id: int) -> list:
    """The members who can act on listening (owners and community managers), with an address."""
    allowed = [role for role, perms in roles.PERMISSIONS.items() if roles.MANAGE_LISTENING in perms]
    members = Membership.objects.filter(workspace_id=workspace_id, role__in=allowed, user__is_active=True)
    return [m.user for m in members.select_related("user").order_by("user__email") if m.user.email]


def mail_for(alert: Alert, user, *, escalation: bool) -> tuple[str, str]:
    """The subject and text of the alert e-mail for ``user``, in their language and time zone."""
    import zoneinfo

    from django.utils.formats import date_format

    with translation.override(user.language), timezone.override(zoneinfo.ZoneInfo(user.time_zone)):
        link = settings.BASE_URL + reverse("listening_alert", args=[alert.workspace.slug, alert.pk])
        title = alert_title(alert)
        subject = (_("[%(workspace)s] Growing: %(title)s") if escalation else _("[%(workspace)s] Alert: %(title)s")) % {
            "workspace": alert.workspace.name, "title": title}
        started = date_format(timezone.localtime(alert.started_at), "DATETIME_FORMAT")
        intro = (_("The alert is growing: its peak has at least doubled since our first e-mail.") if escalation
                 else _("Comptoir raised an alert for the workspace “%(workspace)s”.") % {"workspace": alert.workspace.name})
        body = "\n\n".join([
            _("Hello %(name)s,") % {"name": user.full_name or user.email},
            intro,
            f"{title}\n{alert_summary(alert)}\n" + _("Since %(when)s.") % {"when": started},
            _("See the messages, acknowledge the alert or open an incident:\n%(link)s") % {"link": link},
            _("You receive this e-mail because you manage listening in this workspace. Alert rules can be switched "
              "off on the alert rules page."),
        ])
    return subject[:250], body


def send_alert_mail(alert_id: int, escalation: bool = False) -> int:
    """E-mail the alert once (and once more if it escalates); returns how many e-mails went out. Idempotent."""
    from django.core.mail import EmailMessage, mailers

    now = timezone.now()
    alert = Alert.objects.select_related("workspace", "topic", "rule").filter(pk=alert_id).first()
    if alert is None or alert.status == Alert.Status.CLOSED or (alert.rule is not None and not alert.rule.email):
        return 0
    # Claim the sending with compare-and-set: two workers never send the same e-mail twice.
    field = "escalated_at" if escalation else "emailed_at"
    if escalation and alert.emailed_at is None:
        return 0
    if not Alert.objects.filter(pk=alert.pk, **{f"{field}__isnull": True}).update(**{field: now}):
        return 0
    users = recipients(alert.workspace_id)
    messages = []
    for user in users:
        subject, body = mail_for(alert, user, escalation=escalation)
        messages.append(EmailMessage(subject, body, None, [user.email]))
    try:
        sent = mailers.default.send_messages(messages) if messages else 0
    except Exception:
        # The alert stays on screen; the next evaluation tries the e-mail again.
        logger.exception("Could not e-mail alert %s", alert_id)
        Alert.objects.filter(pk=alert.pk).update(**{field: None})
        return 0
    with transaction.atomic():
        # Evaluations write the same column: read it again under the row's lock.
        fresh = Alert.objects.select_for_update().get(pk=alert.pk)
        fresh.detail = {**(fresh.detail or {}), "emailed_peak": alert.peak, "emailed_to": len(messages)}
        fresh.save(update_fields=["detail"])
    return sent or 0


def make_workspace_rules_due(workspace_id: int) -> int:
    """New mentions arrived: the workspace's rules are checked at the clock's next tick."""
    now = timezone.now()
    return AlertRule.objects.filter(workspace_id=workspace_id, enabled=True, next_check_at__gt=now).update(
        next_check_at=now)


def _kind(value: str) -> str:
    return str(AlertRule.Kind(value).label) if value in AlertRule.Kind.values else value


audit.sentences({
    "alert_rule.create": lambda e, n: _("%(actor)s created the alert rule “%(object)s” (%(kind)s).") % {
        **n, "kind": _kind((e.after or {}).get("kind", ""))},
    "alert_rule.update": lambda e, n: _("%(actor)s changed the alert rule “%(object)s”: %(fields)s.") % {
        **n, "fields": ", ".join(f for f, _b, _a in audit.changes(e)) or "—"},
    "alert_rule.enable": lambda e, n: _("%(actor)s switched on the alert rule “%(object)s”.") % n,
    "alert_rule.disable": lambda e, n: _("%(actor)s switched off the alert rule “%(object)s”.") % n,
    "alert_rule.delete": lambda e, n: ngettext(
        "%(actor)s deleted the alert rule “%(object)s”; its %(count)s alert stays.",
        "%(actor)s deleted the alert rule “%(object)s”; its %(count)s alerts stay.",
        (e.after or {}).get("alerts_kept", 0)) % {**n, "count": (e.after or {}).get("alerts_kept", 0)},
    "alert.raise": lambda e, n: _("Comptoir raised the alert “%(object)s”.") % n,
    "alert.acknowledge": lambda e, n: _("%(actor)s acknowledged the alert “%(object)s”.") % n,
    "alert.close": lambda e, n: _("%(actor)s closed the alert “%(object)s”.") % n,
    "alert.reopen": lambda e, n: _("%(actor)s reopened the alert “%(object)s”.") % n,
})


def on_mentions_created(sender=None, *, workspace_id: int, mention_ids: list[int], **kwargs) -> None:
    """New mentions: the workspace's rules are checked at the next tick, open incidents of their topics take them."""
    from .incidents import collect_new_mentions

    make_workspace_rules_due(workspace_id)
    collect_new_mentions(workspace_id, list(mention_ids))
