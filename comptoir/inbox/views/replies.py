"""The inbox: the reply composer of a conversation (live counter, saved replies, collision guard) and what can be done
to one reply of its timeline (send again, mark as sent, approve or discard an expert's draft).

Each form posts and redirects back to the conversation without JavaScript; with htmx the composer and the reply line
are swapped in place. A refused answer is never lost: the composer comes back with the text and the reason.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership

from .. import replies, savedreplies
from ..actions import can_answer
from ..models import Conversation, Reply

MAX_TYPED = 200_000  # what a form may bring back into the composer (the check refuses anything over MAX_REPLY)


def _membership(request, slug):
    # Every role reaches these views; what each may do is decided per conversation (contributors: what is routed).
    return get_membership(request, slug, roles.VIEW_ROUTED)


def _sees(membership, conversation: Conversation) -> bool:
    return roles.has_perm(membership.role, roles.VIEW_INBOX) or can_answer(membership, conversation)


def _get_conversation(membership, conversation_id) -> Conversation:
    found = get_object_or_404(Conversation.objects.select_related("workspace", "channel", "identity", "person", "team"),
                              pk=conversation_id, workspace=membership.workspace)
    if not _sees(membership, found):
        raise Http404
    return found


def _get_reply(membership, reply_id) -> Reply:
    reply = get_object_or_404(Reply.objects.select_related("conversation__workspace", "conversation__channel",
                                                           "conversation__team", "author", "approved_by"),
                              pk=reply_id, workspace=membership.workspace)
    if not _sees(membership, reply.conversation):
        raise Http404
    return reply


def _conversation_url(slug, conversation) -> str:
    return reverse("inbox_conversation", args=[slug, conversation.pk])


def last_reply_id(conversation) -> int:
    return Reply.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True).first() or 0


def colleagues_answers(conversation, seen_reply_id, user) -> list[Reply]:
    """The answers a colleague (or a rule) queued or sent since the composer was opened: what the collision shows."""
    try:
        seen = int(seen_reply_id or 0)
    except (TypeError, ValueError):
        seen = 0
    return list(Reply.objects.filter(conversation=conversation, pk__gt=seen)
                .exclude(state__in=[Reply.State.DRAFT, Reply.State.DISCARDED, Reply.State.FAILED])
                .exclude(author=user).select_related("author").order_by("pk")[:5])


def composer_context(membership, conversation, **extra) -> dict:
    return {"conversation": conversation, "membership": membership, "slug": membership.workspace.slug,
            "can_answer": can_answer(membership, conversation), "last_reply_id": last_reply_id(conversation),
            "text": "", "errors": {}, "collision": [], "saved_reply_id": "", **extra}


def _typed(request) -> str:
    return request.POST.get("text", "")[:MAX_TYPED]


@login_required
@require_POST
def reply(request, slug, conversation_id):
    """Send the composer's answer (or, for an expert, queue it for review)."""
    membership = _membership(request, slug)
    conversation = _get_conversation(membership, conversation_id)
    text, seen = _typed(request), request.POST.get("seen_reply_id", "")
    saved_reply_id = request.POST.get("saved_reply_id", "")[:20]
    try:
        sent = replies.do_send_reply(membership, conversation, text, seen_reply_id=seen,
                                     force=request.POST.get("force") == "1")
    except replies.ReplyCollision as exc:
        others = colleagues_answers(conversation, seen, membership.user)
        context = composer_context(membership, conversation, text=text, errors=exc.message_dict, collision=others,
                                   saved_reply_id=saved_reply_id)
        if others:  # "send anyway" must not collide with the answers just shown
            context["last_reply_id"] = others[-1].pk
        return _composer_response(request, context, status=409)
    except ValidationError as exc:
        context = composer_context(membership, conversation, text=text, errors=exc.message_dict, last_reply_id=seen,
                                   saved_reply_id=saved_reply_id)
        return _composer_response(request, context, status=400)
    if saved_reply_id:
        savedreplies.note_use(membership.workspace_id, saved_reply_id)
    if request.htmx:
        context = composer_context(membership, conversation, appended=sent)
        return render(request, "inbox/_composer.html", context)
    if sent.state == Reply.State.DRAFT:
        messages.success(request, _("Your answer was sent to a community manager for review."))
    else:
        messages.success(request, _("Your answer is on its way."))
    return redirect(_conversation_url(slug, conversation))


def _composer_response(request, context, *, status):
    if request.htmx:
        # htmx swaps only successful responses: the refused composer comes back as a 200 with its errors.
        return render(request, "inbox/_composer.html", context)
    return render(request, "inbox/reply_page.html", context, status=status)


@login_required
@require_POST
def count(request, slug, conversation_id):
    """The composer's live counter: the length as the network counts it, its limit, and what it would refuse."""
    membership = _membership(request, slug)
    conversation = _get_conversation(membership, conversation_id)
    text = _typed(request)
    length, limit = replies.text_length(conversation, text)
    problems = []
    if text.strip():
        try:
            replies.check_reply_text(conversation, text)
        except ValidationError as exc:
            problems = exc.messages
    return HttpResponse(render_to_string("inbox/_composer_counter.html", {
        "conversation": conversation, "length": length, "limit": limit, "problems": problems,
        "over": bool(limit is not None and length > limit) or bool(problems)}))


@login_required
@require_GET
def saved_reply_search(request, slug, conversation_id):
    """Saved replies matching the search box, the conversation's language first, variables already filled."""
    membership = _membership(request, slug)
    conversation = _get_conversation(membership, conversation_id)
    if not can_answer(membership, conversation):
        raise Http404
    q = request.GET.get("q", "")[:200]
    found = savedreplies.search(membership.workspace_id, q, prefer=conversation.language, limit=20)
    values = savedreplies.variables(conversation, membership.user)
    rows = [{"saved": s, "text": savedreplies.fill(s.text, values),
             "language": savedreplies.language_label(s.language)} for s in found]
    return HttpResponse(render_to_string("inbox/_saved_reply_results.html", {"rows": rows, "q": q}))


# One reply of the timeline ------------------------------------------------------------------------------


def _reply_response(request, membership, reply, *, errors=None, text=None, status=200):
    reply.refresh_from_db()
    context = {"reply": reply, "membership": membership, "slug": membership.workspace.slug,
               "conversation": reply.conversation, "can_answer": can_answer(membership, reply.conversation),
               "reply_errors": errors or {}, "typed": text}
    if request.htmx:
        return render(request, "inbox/_reply.html", context)
    if errors:
        return render(request, "inbox/reply_page.html", context, status=status)
    return redirect(_conversation_url(membership.workspace.slug, reply.conversation))


@login_required
@require_GET
def reply_show(request, slug, reply_id):
    """One reply line (the timeline polls a reply that is on its way until it is sent or refused)."""
    membership = _membership(request, slug)
    found = _get_reply(membership, reply_id)
    if not request.htmx:
        return redirect(_conversation_url(slug, found.conversation))
    return _reply_response(request, membership, found)


def _act(request, slug, reply_id, action, done: str):
    membership = _membership(request, slug)
    found = _get_reply(membership, reply_id)
    try:
        action(membership, found)
    except ValidationError as exc:
        if not request.htmx:
            messages.error(request, " ".join(exc.messages))
            return redirect(_conversation_url(slug, found.conversation))
        return _reply_response(request, membership, found, errors=exc.message_dict)
    if not request.htmx:
        messages.success(request, done)
    return _reply_response(request, membership, found)


@login_required
@require_POST
def reply_retry(request, slug, reply_id):
    return _act(request, slug, reply_id, replies.do_retry_reply, _("The answer is on its way again."))


@login_required
@require_POST
def reply_mark_sent(request, slug, reply_id):
    return _act(request, slug, reply_id, replies.do_mark_reply_sent, _("The answer is marked as sent."))


@login_required
@require_POST
def reply_discard(request, slug, reply_id):
    return _act(request, slug, reply_id, replies.do_discard_draft, _("The draft answer was discarded."))


@login_required
@require_POST
def reply_approve(request, slug, reply_id):
    """A CM sends an expert's draft, maybe edited; a refused edit comes back with its text and the reason."""
    membership = _membership(request, slug)
    found = _get_reply(membership, reply_id)
    text = request.POST["text"][:MAX_TYPED] if "text" in request.POST else None
    try:
        replies.do_approve_draft(membership, found, text)
    except ValidationError as exc:
        return _reply_response(request, membership, found, errors=exc.message_dict, text=text, status=400)
    if not request.htmx:
        messages.success(request, _("The draft answer is on its way."))
    return _reply_response(request, membership, found)


from . import saved_replies  # noqa: E402  (saved replies, inbox settings and the public satisfaction page)

urlpatterns = [
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/reply/", reply, name="inbox_reply"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/reply/count/", count, name="inbox_reply_count"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/saved-replies/", saved_reply_search,
         name="inbox_saved_reply_search"),
    path("w/<slug:slug>/inbox/replies/<int:reply_id>/", reply_show, name="inbox_reply_show"),
    path("w/<slug:slug>/inbox/replies/<int:reply_id>/retry/", reply_retry, name="inbox_reply_retry"),
    path("w/<slug:slug>/inbox/replies/<int:reply_id>/approve/", reply_approve, name="inbox_reply_approve"),
    path("w/<slug:slug>/inbox/replies/<int:reply_id>/discard/", reply_discard, name="inbox_reply_discard"),
    path("w/<slug:slug>/inbox/replies/<int:reply_id>/mark-sent/", reply_mark_sent, name="inbox_reply_mark_sent"),
    *saved_replies.urlpatterns,
]
