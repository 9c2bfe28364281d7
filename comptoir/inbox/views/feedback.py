"""The inbox: feedback to management — marking, the feedback list, the weekly digest, answers, telling the members."""

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.csp import CSP
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_POST

from comptoir.lib.csvexport import csv_download
from comptoir.stream.models import Item
from comptoir.stream.screen import back
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import digest as digests
from .. import feedback as fb
from ..models import Conversation, Digest, Feedback, InboxSettings

PAGE_SIZE = 50
ANSWER_FILTERS = {"none": "", "taken": "taken", "planned": "planned", "declined": "declined"}


def _int(value) -> int | None:
    try:
        number = int(str(value or "").strip()[:18])
    except ValueError:
        return None
    return number if number > 0 else None


def _flash(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# Marking ---------------------------------------------------------------------------------------------------


@login_required
@require_POST
def mark(request, slug):
    """Mark a message (``item_id``) or a conversation (``conversation_id``) as feedback, from any pane."""
    membership = get_membership(request, slug, roles.VIEW_WORKSPACE)
    if not fb.can_mark(membership):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    item = conversation = None
    if request.POST.get("conversation_id"):
        conversation = get_object_or_404(Conversation, pk=_int(request.POST["conversation_id"]) or 0,
                                         workspace=membership.workspace)
    else:
        item = get_object_or_404(Item, pk=_int(request.POST.get("item_id")) or 0, workspace=membership.workspace)
    quote = request.POST.get("quote")
    try:
        made = fb.do_mark_feedback(membership, item=item, conversation=conversation,
                                   kind=request.POST.get("kind", "")[:20], theme=request.POST.get("theme", "")[:500],
                                   quote=quote[:10_000] if quote is not None and quote.strip() else None)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, _("Marked as feedback (%(kind)s, %(theme)s): it will be in this week's digest.") % {
            "kind": made.get_kind_display(), "theme": made.theme})
    default = (reverse("inbox_conversation", args=[slug, conversation.pk]) if conversation is not None
               else reverse("item_detail", args=[slug, item.pk]))
    return redirect(back(request, slug, default))


# The feedback list -----------------------------------------------------------------------------------------


def _filters(request, membership):
    """The list's filters, read leniently: a value that is not one of the choices is no filter."""
    data = request.GET
    kind = data.get("kind", "") if data.get("kind", "") in Feedback.Kind.values else ""
    answer = data.get("answer", "") if data.get("answer", "") in ANSWER_FILTERS else ""
    theme = " ".join(str(data.get("theme", ""))[:200].split())
    try:
        week = dt.date.fromisoformat(str(data.get("week", "")).strip()[:10])
    except ValueError:
        week = None
    if week is not None:
        week = digests.parse_week(membership.workspace, week.isoformat())
    return {"kind": kind, "answer": answer, "theme": theme, "week": week}


def _filtered(membership, filters, *, with_theme=True):
    qs = Feedback.objects.filter(workspace=membership.workspace)
    if filters["kind"]:
        qs = qs.filter(kind=filters["kind"])
    if filters["answer"]:
        qs = qs.filter(answer=ANSWER_FILTERS[filters["answer"]])
    if filters["week"]:
        start, end = digests.week_bounds(membership.workspace, filters["week"])
        qs = qs.filter(created_at__gte=start, created_at__lt=end)
    if with_theme and filters["theme"]:
        qs = fb.selected(membership.workspace_id, theme=filters["theme"]).filter(pk__in=qs.values("pk"))
    return qs


def _theme_counts(qs) -> list[tuple[str, int]]:
    counts: dict[str, list] = {}
    for theme in qs.values_list("theme", flat=True):
        found = counts.setdefault(fb.theme_key(theme), [theme, 0])
        found[1] += 1
    return sorted(((name, n) for name, n in counts.values()), key=lambda t: (-t[1], t[0].casefold()))


@login_required
def feedback_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_FEEDBACK)
    filters = _filters(request, membership)
    qs = _filtered(membership, filters).select_related("answered_by", "conversation").order_by("-created_at", "-pk")
    if request.GET.get("format") == "csv":
        return _export(membership, qs)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "inbox/feedback.html", {
        "page": page, "filters": filters, "query": query.urlencode(),
        "theme_counts": _theme_counts(_filtered(membership, filters, with_theme=False)),
        "kinds": Feedback.Kind.choices, "answers": [(k, Feedback.Answer(v).label) for k, v in ANSWER_FILTERS.items()],
        "answer_choices": [(a, Feedback.Answer(a).label) for a in fb.ANSWERS],
        "can_answer": roles.has_perm(membership.role, roles.ANSWER_FEEDBACK),
        "can_tell": roles.has_perm(membership.role, roles.ANSWER_INBOX),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_INBOX),
        "total": qs.count(),
    })


def _export(membership, qs):
    slug = membership.workspace.slug
    header = ["id", "created_at", "kind", "theme", "quote", "author", "sentiment", "language", "answer", "answer_note",
              "answered_at", "members_told_at", "conversation_url", "message_url"]

    def rows():
        for f in qs.iterator(chunk_size=500):
            yield [f.pk, f.created_at.isoformat(), f.kind, f.theme, f.quote, f.author_name, f.sentiment, f.language,
                   f.answer, f.answer_note, f.answered_at.isoformat() if f.answered_at else "",
                   f.members_told_at.isoformat() if f.members_told_at else "",
                   reverse("inbox_conversation", args=[slug, f.conversation_id]) if f.conversation_id else "",
                   reverse("item_detail", args=[slug, f.item_id]) if f.item_id else ""]

    return csv_download(f"feedback-{slug}.csv", header, rows(), bom=True)


@login_required
@require_POST
def answer(request, slug):
    """Management answers the selected feedback (``feedback`` ids) or a whole theme (``theme``) at once."""
    membership = get_membership(request, slug, roles.ANSWER_FEEDBACK)
    try:
        if request.POST.get("theme"):
            chosen = fb.selected(membership.workspace_id, theme=request.POST["theme"][:200])
        else:
            chosen = fb.selected(membership.workspace_id, ids=request.POST.getlist("feedback"))
        n = fb.do_answer_feedback(membership, list(chosen), request.POST.get("answer", "")[:20],
                                  request.POST.get("answer_note", "")[:10_000])
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, ngettext("%(count)s feedback answered.", "%(count)s feedback answered.", n) % {
            "count": n})
    return redirect(back(request, slug, reverse("inbox_feedback", args=[slug])))


# Telling the members -----------------------------------------------------------------------------------------


def _tell_selection(membership, data):
    answer_value = data.get("answer", "")
    if data.get("theme"):
        chosen = fb.selected(membership.workspace_id, theme=data["theme"][:200])
    else:
        chosen = fb.selected(membership.workspace_id, ids=data.getlist("feedback"))
    if answer_value in fb.ANSWERS:
        chosen = chosen.filter(answer=answer_value)
    return chosen


@login_required
def tell(request, slug):
    """The confirmation page of "tell the members": who receives the message, who must be told by hand."""
    membership = get_membership(request, slug, roles.ANSWER_INBOX)
    data = request.POST if request.method == "POST" else request.GET
    error = None
    try:
        chosen = _tell_selection(membership, data)
        plan = fb.plan_telling(membership.workspace_id, chosen)
    except ValidationError as exc:
        _flash(request, exc)
        return redirect(reverse("inbox_feedback", args=[slug]))
    text = data.get("text")
    if request.method == "POST":
        try:
            outcome = fb.do_tell_members(membership, chosen, (text or "")[:20_000])
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, fb.tell_summary(outcome))
            for conversation, reason in outcome.failed:
                messages.error(request, _("“%(subject)s” was not told: %(reason)s") % {
                    "subject": str(conversation)[:80], "reason": reason})
            return redirect(reverse("inbox_feedback", args=[slug]) + "?answer=" + (plan.answer or ""))
    rows = list(chosen.order_by("-created_at")[:fb.MAX_BULK])
    if text is None and plan.answer:
        first = rows[0] if rows else None
        text = fb.suggested_text(plan.answer, first.kind if first else "", membership.workspace.language,
                                 first.answer_note if first else "")
    return render(request, "inbox/feedback_tell.html", {
        "plan": plan, "feedback": rows, "text": text or "", "error": error,
        "answer_label": Feedback.Answer(plan.answer).label if plan.answer in Feedback.Answer.values else "",
        "theme": data.get("theme", "")[:200], "answer": data.get("answer", "")[:20] if data.get("answer") in fb.ANSWERS else "",
        "ids": [f.pk for f in rows] if not data.get("theme") else [],
    })


# The digest ------------------------------------------------------------------------------------------------


@login_required
def digest(request, slug):
    membership = get_membership(request, slug, roles.VIEW_FEEDBACK)
    monday = digests.parse_week(membership.workspace, request.GET.get("week"))
    week = digests.build(membership.workspace, monday)
    latest = digests.last_complete_week(membership.workspace) + dt.timedelta(days=7)
    return render(request, "inbox/digest.html", {
        "d": week, "can_answer": roles.has_perm(membership.role, roles.ANSWER_FEEDBACK),
        "can_tell": roles.has_perm(membership.role, roles.ANSWER_INBOX),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_INBOX),
        "answer_choices": [(a, Feedback.Answer(a).label) for a in fb.ANSWERS],
        "has_next": week.next_monday <= latest, "is_current": monday == latest,
        "sent": Digest.objects.filter(workspace=membership.workspace, week_start=monday).first(),
    })


@login_required
@csp_override({"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE], "img-src": [CSP.SELF, "data:"],
               "frame-ancestors": [CSP.SELF], "base-uri": [CSP.NONE], "form-action": [CSP.NONE]})
def digest_email(request, slug):
    """The digest e-mail as management receives it (HTML, or ``?format=text``), in the reader's language."""
    membership = get_membership(request, slug, roles.VIEW_FEEDBACK)
    monday = digests.parse_week(membership.workspace, request.GET.get("week"))
    week = digests.build(membership.workspace, monday)
    _subject, text, html = digests.render_email(week, request.user.language)
    if request.GET.get("format") == "text":
        return HttpResponse(text, content_type="text/plain; charset=utf-8")
    return HttpResponse(html)


@login_required
def feedback_settings(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_INBOX)
    found = InboxSettings.of(membership.workspace_id)
    errors: dict = {}
    recipients_text, weekday = found.digest_recipients, found.digest_weekday
    if request.method == "POST":
        recipients_text = request.POST.get("digest_recipients", "")[:20_000]
        weekday = request.POST.get("digest_weekday", "")[:2]
        try:
            digests.do_update_digest_settings(membership, recipients_text, weekday)
        except ValidationError as exc:
            errors = exc.message_dict
        else:
            messages.success(request, _("Digest settings saved."))
            return redirect(reverse("inbox_feedback_settings", args=[slug]))
    from django.utils.dates import WEEKDAYS

    return render(request, "inbox/feedback_settings.html", {
        "recipients_text": recipients_text, "weekday": str(weekday), "errors": errors,
        "weekdays": [(str(k), v) for k, v in WEEKDAYS.items()], "settings": found,
        "owners": [m.user for m in membership.workspace.memberships.filter(role=roles.Role.OWNER).select_related("user")],
        "max": digests.MAX_RECIPIENTS,
        "digests": Digest.objects.filter(workspace=membership.workspace)[:8],
    })


urlpatterns = [
    path("w/<slug:slug>/inbox/feedback/", feedback_list, name="inbox_feedback"),
    path("w/<slug:slug>/inbox/feedback/mark/", mark, name="inbox_feedback_mark"),
    path("w/<slug:slug>/inbox/feedback/answer/", answer, name="inbox_feedback_answer"),
    path("w/<slug:slug>/inbox/feedback/tell/", tell, name="inbox_feedback_tell"),
    path("w/<slug:slug>/inbox/feedback/settings/", feedback_settings, name="inbox_feedback_settings"),
    path("w/<slug:slug>/inbox/digest/", digest, name="inbox_digest"),
    path("w/<slug:slug>/inbox/digest/email/", digest_email, name="inbox_digest_email"),
]
