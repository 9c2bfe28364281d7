"""The review queue: one case per flagged message, the reasons it was flagged, and the team's decision.

``open_case`` is how anything puts a message in the queue (the rules, a moderator, the demo): it makes the item's case
or adds a reason to it. ``do_decide`` records a decision — approve, hide, delete, warn, or "sanctioned" once the
sanction panel made a sanction — and carries it out on the network where the network allows it (a network call never
runs inside a transaction: it happens first, then the decision is written with what the network said).

Reopening: a decided case that receives a *new* reason from a rule (a rule evaluated after the decision, e.g. the
message was edited, or a new rule caught it) goes back to the queue; the same reason again, or a reason without a rule,
is only added to the list. A reopened case counts its time to decision from the reopening (``created_at`` is when the
case last entered the queue; the activity log keeps the earlier decision).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm

from .models import AutoAction, Case, CharterVersion, LadderStep, Rule

# What a moderator asks (the buttons, the API) → what the case records.
DECISIONS = {
    "approve": Case.Decision.APPROVED,
    "hide": Case.Decision.HIDDEN,
    "delete": Case.Decision.DELETED,
    "warn": Case.Decision.WARNED,
    "sanction": Case.Decision.SANCTIONED,
}
BULK_DECISIONS = ("approve", "hide", "delete")  # a spam wave: the same decision on many messages
MAX_BULK = 200
MAX_REASONS = 50  # a message caught again and again keeps its first reasons
MEDIAN_DAYS = 30
NOTE_MAX = 2000


# Opening a case ------------------------------------------------------------------------------------------------


def _reason_key(reason: dict) -> tuple:
    return (reason.get("rule"), reason.get("kind", ""), reason.get("detail", ""))


def open_case(item, *, rule: Rule | None = None, reason: dict) -> Case:
    """Put ``item`` in the review queue (or add ``reason`` to its case) and return the case.

    ``reason``: {"kind": "words", "detail": "matched “…”", "scores": {"toxicity": 0.93}}; ``rule`` fills its id, name
    and kind. The same reason twice is kept once. Idempotent; safe inside the caller's transaction.
    """
    now = timezone.now()
    entry = {"rule": rule.pk if rule else None, "rule_name": rule.name if rule else reason.get("rule_name", ""),
             "kind": rule.kind if rule else reason.get("kind", ""), "detail": str(reason.get("detail", ""))[:300],
             "scores": {k: round(float(v), 4) for k, v in (reason.get("scores") or {}).items()
                        if isinstance(v, int | float)},
             "at": now.isoformat()}
    with transaction.atomic():
        case, created = Case.objects.select_for_update().get_or_create(
            item=item, defaults={"workspace_id": item.workspace_id, "text": f"{item.title}\n{item.text}".strip(),
                                 "url": item.url, "identity": item.author, "channel_id": item.channel_id,
                                 "person_id": item.author.person_id if item.author else None,
                                 "reasons": [entry], "created_at": now})
        if created:
            return case
        if any(_reason_key(r) == _reason_key(entry) for r in case.reasons):
            return case
        fields = ["reasons"]
        if len(case.reasons) < MAX_REASONS:
            case.reasons = [*case.reasons, entry]
        if case.status == Case.Status.DECIDED and rule is not None:
            audit.record(case.workspace, None, "case.reopen", case, before={"decision": case.decision},
                         after={"rule": rule.name}, object_repr=case.text[:80])
            case.status, case.decision, case.decided_at, case.decided_by = Case.Status.OPEN, "", None, None
            case.created_at = now
            fields += ["status", "decision", "decided_at", "decided_by", "created_at"]
        case.save(update_fields=fields)
    return case


# Carrying a decision out on the network -----------------------------------------------------------------------


def carry_out(item, action: str, *, reason: str = "") -> tuple[str, str]:
    """Hide or delete ``item`` on its channel's network: (AutoAction.Result, error message) — the rules' own
    implementation, so a decision and an automatic action do the same thing on the network."""
    from .rules import carry_out as rules_carry_out

    result, error = rules_carry_out(item, action, reason=reason)
    return str(result), str(error or "")


def _undo_holds(membership, case: Case) -> tuple[str, str]:
    """Approving a held message shows it again: the automatic holds and hides are undone where the network can."""
    pending = list(AutoAction.objects.filter(case=case, action__in=("hold", "hide"), result=AutoAction.Result.DONE,
                                             undone_at__isnull=True))
    if not pending:
        return "", ""
    from .rules import do_undo

    for action in pending:
        try:
            do_undo(membership, action)
        except (ValidationError, PermissionDenied) as exc:
            return AutoAction.Result.FAILED, " ".join(getattr(exc, "messages", [str(exc)]))
    return AutoAction.Result.DONE, ""


# Checks -----------------------------------------------------------------------------------------------------


def current_charter(workspace) -> CharterVersion | None:
    return (CharterVersion.objects.filter(workspace=workspace, published_at__isnull=False)
            .order_by("-published_at", "-number").first())


def charter_articles(workspace) -> list[dict]:
    charter = current_charter(workspace)
    return [a for a in (charter.articles if charter else []) if isinstance(a, dict) and isinstance(a.get("number"), int)]


def check_decision(decision) -> str:
    if not isinstance(decision, str) or decision not in DECISIONS:
        raise ValidationError({"decision": _("Unknown decision. Choose approve, hide, delete, warn or sanction.")})
    return decision


def check_articles(workspace, articles) -> list[int]:
    """The charter articles cited, as numbers of the published charter's articles (empty is allowed)."""
    if isinstance(articles, str | int):
        articles = [articles]
    try:
        numbers = sorted({int(a) for a in articles or ()})
    except (TypeError, ValueError):
        raise ValidationError({"articles": _("Articles are numbers of the charter, e.g. 3.")}) from None
    if not numbers:
        return []
    known = {a["number"] for a in charter_articles(workspace)}
    if not known:
        raise ValidationError({"articles": _("The workspace has no published charter yet: publish it to cite its "
                                             "articles.")})
    unknown = [n for n in numbers if n not in known]
    if unknown:
        raise ValidationError({"articles": _("The charter has no article %(numbers)s: choose among %(known)s.") % {
            "numbers": ", ".join(map(str, unknown)), "known": ", ".join(map(str, sorted(known)))}})
    return numbers


def _check_case(membership, case: Case) -> None:
    check_perm(membership, roles.MODERATE)
    if case.workspace_id != membership.workspace_id:
        raise PermissionDenied


# Deciding -----------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """A decision and what the network said: ``network`` is "", done, manual or failed."""

    case: Case
    network: str = ""
    error: str = ""
    sanction: object = None

    def sentence(self) -> str:
        decided = {
            Case.Decision.APPROVED: _("Approved: the message stays."),
            Case.Decision.HIDDEN: _("Hidden."),
            Case.Decision.DELETED: _("Deleted."),
            Case.Decision.WARNED: _("Warned: the member gets a reminder of the charter."),
            Case.Decision.SANCTIONED: _("Sanction recorded."),
        }[self.case.decision]
        if self.network == AutoAction.Result.MANUAL:
            return f"{decided} {_('To do by hand on the network:')} {self.error}"
        if self.network == AutoAction.Result.FAILED:
            return f"{decided} {_('The network refused:')} {self.error}"
        return decided


def _warning_step(case: Case):
    """The ladder's warning: "warn" is that step (the sanction panel offers every step, the reminder included, with
    the proposal from the person's history)."""
    from .sanctions import ladder

    steps = ladder(case.workspace)
    return (next((s for s in steps if s.kind == LadderStep.Kind.WARNING), None)
            or next((s for s in steps if s.kind == LadderStep.Kind.REMINDER), None))


def _warn(membership, case: Case, articles: list[int], note: str):
    """A warning is the ladder's reminder or warning step: the sanction decides the case and tells the member (its
    message goes out on the network, so this runs outside any transaction)."""
    from .sanctions import do_sanction

    if case.identity is None:
        raise ValidationError({"decision": _("The author of this message is unknown: there is nobody to warn.")})
    return do_sanction(membership, identity=case.identity, step=_warning_step(case), articles=articles, reason=note,
                       case=case)


def do_decide(membership, case: Case, decision: str, *, articles=(), note: str = "") -> Outcome:
    """Decide an open case: approve, hide, delete or warn (or "sanction", after the sanction panel made one)."""
    _check_case(membership, case)
    decision = check_decision(decision)
    numbers = check_articles(membership.workspace, articles)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": _("At most %(max)d characters, please.") % {"max": NOTE_MAX}})
    if case.status != Case.Status.OPEN:
        raise ValidationError({"decision": _("This message was already decided (%(decision)s): it left the queue.") % {
            "decision": case.get_decision_display()}})
    outcome = Outcome(case)
    # The network first, outside any transaction; the decision is written with its result.
    if decision in ("hide", "delete"):
        item = case.item
        if item is None:
            outcome.network, outcome.error = AutoAction.Result.MANUAL, _("The message is no longer in Comptoir.")
        else:
            outcome.network, outcome.error = carry_out(item, decision, reason=note)
    elif decision == "approve" and case.held:
        outcome.network, outcome.error = _undo_holds(membership, case)
    elif decision == "warn":
        outcome.sanction = _warn(membership, case, numbers, note)  # decides the case, in its own transaction
        with transaction.atomic():
            Case.objects.filter(pk=case.pk).update(decision_note=note)
            locked = Case.objects.get(pk=case.pk)
            audit.record(membership.workspace, membership.user, "case.decide", locked,
                         after={"decision": locked.decision, "articles": numbers, "network": ""},
                         object_repr=locked.text[:80])
        outcome.case = locked
        case.__dict__.update({k: getattr(locked, k) for k in ("status", "decision", "articles", "decision_note",
                                                              "decided_by_id", "decided_at", "held")})
        return outcome
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        if locked.status != Case.Status.OPEN:
            raise ValidationError({"decision": _("Someone decided this message a moment ago: it left the queue.")})
        locked.status, locked.decision = Case.Status.DECIDED, DECISIONS[decision]
        locked.articles, locked.decision_note = numbers, note
        locked.decided_by, locked.decided_at = membership.user, timezone.now()
        if decision == "approve":
            locked.held = False
        locked.save()
        audit.record(membership.workspace, membership.user, "case.decide", locked,
                     after={"decision": locked.decision, "articles": numbers, "network": str(outcome.network)},
                     object_repr=locked.text[:80])
    outcome.case = locked
    case.__dict__.update({k: getattr(locked, k) for k in ("status", "decision", "articles", "decision_note",
                                                          "decided_by_id", "decided_at", "held")})
    return outcome


@dataclass
class BulkOutcome:
    decided: int = 0
    skipped: int = 0  # already decided, or decided by someone meanwhile
    manual: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def sentence(self, decision: str) -> str:
        done = {
            "approve": ngettext("%(count)s message approved.", "%(count)s messages approved.", self.decided),
            "hide": ngettext("%(count)s message hidden.", "%(count)s messages hidden.", self.decided),
            "delete": ngettext("%(count)s message deleted.", "%(count)s messages deleted.", self.decided),
        }[decision] % {"count": self.decided}
        parts = [done]
        if self.skipped:
            parts.append(ngettext("%(count)s was already decided.", "%(count)s were already decided.",
                                  self.skipped) % {"count": self.skipped})
        if self.manual:
            parts.append(ngettext("%(count)s to do by hand on the network.", "%(count)s to do by hand on the network.",
                                  self.manual) % {"count": self.manual})
        if self.failed:
            parts.append(ngettext("The network refused %(count)s.", "The network refused %(count)s.",
                                  self.failed) % {"count": self.failed})
        return " ".join(parts)


def check_case_ids(membership, case_ids) -> list[Case]:
    try:
        ids = list(dict.fromkeys(int(i) for i in case_ids))
    except (TypeError, ValueError):
        ids = None
    if ids is None or any(not 0 < i < 2**63 for i in ids):
        raise ValidationError({"cases": _("The selection holds something that is not a case: select again.")})
    if not ids:
        raise ValidationError({"cases": _("Select at least one message.")})
    if len(ids) > MAX_BULK:
        raise ValidationError({"cases": _("Select at most %(max)d messages at a time.") % {"max": MAX_BULK}})
    cases = list(Case.objects.filter(workspace=membership.workspace, pk__in=ids).select_related("item__channel"))
    if len(cases) != len(ids):
        raise PermissionDenied(_("Some of these messages are not in this workspace's queue."))
    return cases


def do_bulk_decide(membership, case_ids, decision: str) -> BulkOutcome:
    """The same decision on many cases (a spam wave): each carried out like one, the decided ones skipped."""
    check_perm(membership, roles.MODERATE)
    if decision not in BULK_DECISIONS:
        raise ValidationError({"decision": _("Choose approve, hide or delete for several messages at once.")})
    cases = check_case_ids(membership, case_ids)
    result = BulkOutcome()
    for case in cases:
        if case.status != Case.Status.OPEN:
            result.skipped += 1
            continue
        try:
            outcome = do_decide(membership, case, decision)
        except ValidationError:
            result.skipped += 1
            continue
        result.decided += 1
        if outcome.network == AutoAction.Result.MANUAL:
            result.manual += 1
        elif outcome.network == AutoAction.Result.FAILED:
            result.failed += 1
            result.errors.append(outcome.error)
    if result.decided:
        with transaction.atomic():
            audit.record(membership.workspace, membership.user, "case.bulk_decide", None,
                         after={"decision": DECISIONS[decision], "count": result.decided, "manual": result.manual,
                                "failed": result.failed})
    return result


def cases_of_items(membership, item_ids) -> list[int]:
    """The cases of the selected messages (the Fil's bulk bar selects messages)."""
    from comptoir.stream.actions import check_items

    ids = check_items(membership, item_ids)
    return list(Case.objects.filter(workspace=membership.workspace, item_id__in=ids).values_list("pk", flat=True))


# Time to decision ---------------------------------------------------------------------------------------------


def median_time_to_decision(workspace, *, days: int = MEDIAN_DAYS) -> dict:
    """The median time from a case entering the queue to its decision, over the decisions of the last ``days`` days:
    {"all": seconds or None, "count": n, "moderators": [(user, seconds, n), …] most decisions first}."""
    since = timezone.now() - timedelta(days=days)
    rows = list(Case.objects.filter(workspace=workspace, status=Case.Status.DECIDED, decided_at__gte=since)
                .values_list("decided_by", "created_at", "decided_at"))
    durations: dict[int | None, list[float]] = {}
    for user_id, created, decided in rows:
        durations.setdefault(user_id, []).append(max((decided - created).total_seconds(), 0))
    every = [d for values in durations.values() for d in values]
    from comptoir.workspaces.models import User

    users = User.objects.in_bulk([u for u in durations if u is not None])
    moderators = sorted(((users[u], statistics.median(v), len(v)) for u, v in durations.items() if u in users),
                        key=lambda row: (-row[2], row[0].email))
    return {"all": statistics.median(every) if every else None, "count": len(every), "moderators": moderators,
            "days": days}


def duration_words(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 1:
        return _("under a minute")
    if minutes < 120:
        return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}
    hours = round(seconds / 3600)
    if hours < 48:
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    days = round(seconds / 86400)
    return ngettext("%(n)d day", "%(n)d days", days) % {"n": days}


# The activity log's sentences ---------------------------------------------------------------------------------

_DECIDED = {
    "approved": gettext_lazy("%(actor)s approved the message %(object)s."),
    "hidden": gettext_lazy("%(actor)s hid the message %(object)s."),
    "deleted": gettext_lazy("%(actor)s deleted the message %(object)s."),
    "warned": gettext_lazy("%(actor)s warned the author of the message %(object)s."),
    "sanctioned": gettext_lazy("%(actor)s sanctioned the author of the message %(object)s."),
}
_BULK = {
    "approved": lambda n: ngettext("%(actor)s approved %(count)s message of the queue at once.",
                                   "%(actor)s approved %(count)s messages of the queue at once.", n),
    "hidden": lambda n: ngettext("%(actor)s hid %(count)s message of the queue at once.",
                                 "%(actor)s hid %(count)s messages of the queue at once.", n),
    "deleted": lambda n: ngettext("%(actor)s deleted %(count)s message of the queue at once.",
                                  "%(actor)s deleted %(count)s messages of the queue at once.", n),
}


def _decided(event, names) -> str:
    after = event.after or {}
    sentence = str(_DECIDED.get(after.get("decision"), gettext_lazy("%(actor)s decided on the message %(object)s.")))
    return sentence % names


def _bulk(event, names) -> str:
    after = event.after or {}
    count = int(after.get("count", 0))
    make = _BULK.get(after.get("decision"))
    if make is None:
        return _("%(actor)s decided on several messages of the queue at once.") % names
    return make(count) % {**names, "count": count}


audit.GROUPS.setdefault("case", gettext_lazy("Moderation"))
audit.sentences({
    "case.decide": _decided,
    "case.bulk_decide": _bulk,
    "case.reopen": lambda e, n: _("A rule put the message %(object)s back in the review queue.") % n,
    "item.confirm_label": lambda e, n: _("%(actor)s confirmed a label of the message %(object)s.") % n,
})
