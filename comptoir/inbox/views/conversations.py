"""The inbox's list and conversation screens: the Fil's split view (its CSS, its keyset pages, its chips) over
conversations instead of messages, with status tabs, bulk actions, live updates and the collision guard.

Everyone with the inbox sees every conversation; a contributor (an internal expert) sees the same page restricted to
what is routed to them (``query.routed_scope``), with fewer controls. Forms post and redirect (the page works without
JavaScript); the pane's forms are sent with htmx and answered with the pane itself.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from comptoir.members.models import Identity
from comptoir.stream.models import Item, Tag
from comptoir.stream.query import cursor_value
from comptoir.stream.screen import back, labels
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership
from comptoir.workspaces.models import Channel, Membership

from .. import actions, presence
from ..forms import WAITING, InboxFilterForm
from ..models import Conversation, ConversationItem, ConversationTag, Event, Note, Reply, Team
from ..query import ConversationQuery, routed_scope

STATUSES = ("open", "pending", "closed", "all")
TAB_CAP = 999  # the status tabs' counts stop here ("999+")
TIMELINE_MAX = 200  # entries of each kind a pane shows (the newest)
LIVE_MAX = 50


# Reading the list's filters ------------------------------------------------------------------------


def is_contributor(membership: Membership) -> bool:
    """Sees only what is routed to them (an internal expert), not the whole inbox."""
    return not roles.has_perm(membership.role, roles.VIEW_INBOX)


def _scope(membership: Membership):
    return routed_scope(membership.user) if is_contributor(membership) else None


def _form(data, membership: Membership) -> InboxFilterForm:
    """The filters of the request; without a status the list shows the open conversations."""
    data = data.copy()
    if "status" not in data:
        data["status"] = "open"
    return InboxFilterForm(data, workspace=membership.workspace)


def _query(membership: Membership, form: InboxFilterForm, **changes) -> ConversationQuery:
    return ConversationQuery(membership.workspace, {**form.cleaned_data, **changes}, user=membership.user,
                             scope=_scope(membership))


def filter_query(form: InboxFilterForm, *, without=("status",)) -> str:
    """The filters alone (in the form's order), for links that keep them."""
    keep = QueryDict(mutable=True)
    for name in form.base_fields:
        if form.data.get(name) and name not in without:
            keep[name] = form.data[name]
    return keep.urlencode()


def waited(since, now=None) -> str:
    """How long the member has waited, short: "12 min", "3 h", "2 d"."""
    seconds = max(0, ((now or timezone.now()) - since).total_seconds())
    if seconds < 3600:
        return _("%(n)s min") % {"n": max(1, int(seconds // 60))}
    if seconds < 86400 * 2:
        return _("%(n)s h") % {"n": int(seconds // 3600)}
    return _("%(n)s d") % {"n": int(seconds // 86400)}


def decorate(conversations: list[Conversation]) -> None:
    """What a row shows beyond its columns: the network, the tags, how long the member waits, an excerpt."""
    tags: dict[int, list[Tag]] = {}
    for link in (ConversationTag.objects.filter(conversation_id__in=[c.pk for c in conversations])
                 .select_related("tag").order_by("tag__name")):
        tags.setdefault(link.conversation_id, []).append(link.tag)
    now = timezone.now()
    for c in conversations:
        c.row_tags = tags.get(c.pk, [])
        c.network = c.channel.network if c.channel_id else (c.identity.network if c.identity_id else "")
        c.member_name = (c.identity.display_name or c.identity.handle) if c.identity_id else ""
        c.waits = waited(c.waiting_since, now) if c.waiting_since and c.status != Conversation.Status.CLOSED else ""
        excerpt = c.last_item.text if c.last_item_id else ""
        c.excerpt = " ".join(excerpt.split())[:200]


def _chip_names(membership: Membership, form: InboxFilterForm) -> dict:
    """What each filter's chip says (names, not ids; an id of another workspace stays a bare number)."""
    ws = membership.workspace
    data = form.data
    names: dict = {("assignee", "me"): _("me"), ("assignee", "none"): _("nobody"), ("team", "me"): _("my teams"),
                   ("team", "none"): _("no team"), ("unread", "yes"): _("Unread"), ("unread", "no"): _("Read"),
                   ("breached", "yes"): _("Target missed")}
    names |= {("waiting", key): _("more than %(d)s") % {"d": waited(timezone.now() - timedelta(seconds=s))}
              for key, s in WAITING.items()}
    names |= {("priority", str(v)): str(label) for v, label in Conversation.Priority.choices}
    for name, model, field in (("channel", Channel, "label"), ("tag", Tag, "name"), ("team", Team, "name"),
                               ("identity", Identity, "handle")):
        value = cursor_value(data.get(name))
        if value and value > 0:
            found = model.objects.filter(workspace=ws, pk=value).values_list(field, flat=True).first()
            if found:
                names[(name, data[name])] = found
    value = cursor_value(data.get("assignee"))
    if value and value > 0:
        found = Membership.objects.filter(workspace=ws, user_id=value).select_related("user").first()
        if found:
            names[("assignee", data["assignee"])] = found.user.display_name
    value = cursor_value(data.get("person"))
    if value and value > 0:
        from comptoir.members.models import Person

        found = Person.objects.filter(workspace=ws, pk=value).values_list("display_name", flat=True).first()
        if found:
            names[("person", data["person"])] = found
    return names


def _chips(form: InboxFilterForm, names: dict) -> list[dict]:
    label_names = labels()
    chips = []
    base = QueryDict(filter_query(form, without=()), mutable=True)
    for name in form.base_fields:
        value = form.data.get(name)
        if not value or name == "status":
            continue
        shown = names.get((name, value)) or label_names.get(name, {}).get(value) or value
        rest = base.copy()
        rest.pop(name, None)
        label = str(InboxFilterForm.FIELD_NAMES.get(name, name))
        chips.append({"name": name, "label": "" if label == str(shown) else label, "value": shown,
                      "url": "?" + rest.urlencode()})
    return chips


def _members(workspace) -> list[Membership]:
    """Who a conversation can be given to: every member (contributors answer what is routed to them)."""
    return list(Membership.objects.filter(workspace=workspace).select_related("user").order_by("user__full_name", "user__email"))


# The list ---------------------------------------------------------------------------------------------


@login_required
def inbox(request, slug):
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    workspace = membership.workspace
    form = _form(request.GET, membership)
    contributor = is_contributor(membership)
    page = None
    tabs = []
    if form.is_valid():
        query = _query(membership, form)
        before, after = cursor_value(request.GET.get("before")), cursor_value(request.GET.get("after"))
        page = query.page(before=before, after=after)
        decorate(page.items)
        rest = filter_query(form)
        for status in STATUSES:
            n = query.variant(status=status).count(cap=TAB_CAP)  # the search is done once for the page and the tabs
            tabs.append({"status": status, "count": n.value, "more": not n.exact,
                         "url": f"?{rest}{'&' if rest else ''}status={status}",
                         "active": form.cleaned_data.get("status") == status})
    selected = None
    chosen = cursor_value(request.GET.get("c"))
    if chosen and chosen > 0:
        selected = _conversation_or_none(membership, chosen)
    filters = filter_query(form, without=())
    page_query = request.GET.copy()
    for key in ("before", "after", "c"):
        page_query.pop(key, None)
    list_query = request.GET.copy()
    list_query.pop("c", None)
    can_act = roles.has_perm(membership.role, roles.ANSWER_INBOX)
    context = {
        "page": page, "tabs": tabs, "form": form, "filters": {n: form.data.get(n, "") for n in form.base_fields},
        "filter_errors": form.error_summary(), "chips": _chips(form, _chip_names(membership, form)),
        "filter_query": filters, "query": page_query.urlencode(), "list_query": list_query.urlencode(),
        "contributor": contributor, "can_act": can_act and not contributor, "here": request.get_full_path(),
        "labels": labels(), "slug": slug, "waiting_choices": _waiting_choices(),
        "priorities": Conversation.Priority.choices, "languages": [("fr", _("French")), ("en", _("English"))],
        "more_open": any(form.data.get(n) for n in InboxFilterForm.MORE_FIELDS),
        "live": page is not None and not request.GET.get("before") and not request.GET.get("after"),
        "newest": max((c.sort_key or 0 for c in page.items), default=0) if page else 0,
    }
    if not contributor:
        context |= {"channels": list(Channel.objects.filter(workspace=workspace).order_by("removed_at", "label")),
                    "teams": list(Team.objects.filter(workspace=workspace)), "members": _members(workspace),
                    "tags": list(Tag.objects.filter(workspace=workspace, conversations__isnull=False).distinct()
                                 .order_by("name")[:200])}
    if selected is not None:
        context |= _pane_context(request, membership, selected, list_query=context["list_query"])
    return render(request, "inbox/inbox.html", context, status=200 if page is not None else 400)


def _waiting_choices() -> list[tuple[str, str]]:
    return [(key, _("waits more than %(d)s") % {"d": waited(timezone.now() - timedelta(seconds=s))})
            for key, s in WAITING.items()]


@login_required
def inbox_live(request, slug):
    """New rows for the list: conversations whose newest message is newer than ``since`` (a member wrote), newest
    first, at most :data:`LIVE_MAX` at a time (the next poll brings the rest). Nothing new: 204, the page keeps still."""
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    since = cursor_value(request.GET.get("since"))
    form = _form(request.GET, membership)
    if since is None or not form.is_valid():
        return HttpResponse(status=400)
    page = _query(membership, form).page(after=since, size=LIVE_MAX)
    if not page.items:
        return HttpResponse(status=204)
    decorate(page.items)
    list_query = request.GET.copy()
    list_query.pop("since", None)
    newest = max(c.sort_key or 0 for c in page.items)
    live_query = list_query.copy()
    live_query["since"] = str(newest)
    return render(request, "inbox/_live.html", {
        "conversations": page.items, "slug": slug, "list_query": list_query.urlencode(),
        "live_url": f"{reverse('inbox_live', args=[slug])}?{live_query.urlencode()}",
        "can_act": roles.has_perm(membership.role, roles.ANSWER_INBOX) and not is_contributor(membership)})


@login_required
@require_POST
def inbox_bulk(request, slug):
    """One action on the selected conversations: assign, route to a team, change the status, tag."""
    membership = get_membership(request, slug, roles.ANSWER_INBOX)
    raw = request.POST.getlist("conversations")[: actions.MAX_BULK + 1]
    ids = [v for v in (cursor_value(x) for x in raw) if v and v > 0]
    found = list(Conversation.objects.filter(workspace=membership.workspace, pk__in=ids).select_related("team"))
    action = request.POST.get("action", "")
    default = reverse("inbox", args=[slug])
    if len(raw) > actions.MAX_BULK:
        messages.error(request, _("Select at most %(max)s conversations at once.") % {"max": actions.MAX_BULK})
        return redirect(back(request, slug, default))
    if not found:
        messages.error(request, _("Select the conversations to act on first."))
        return redirect(back(request, slug, default))
    try:
        messages.success(request, _bulk_run(membership, found, action, request.POST))
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or _("Your role in this workspace does not allow this."))
    return redirect(back(request, slug, default))


def _bulk_run(membership: Membership, found: list[Conversation], action: str, data) -> str:
    changed = 0
    if action == "assign":
        value = data.get("assignee", "")[:20]
        value = membership.user_id if value == "me" else value
        assignee = actions.check_assignee(membership.workspace_id, value)  # checked once: a clear message
        for c in found:
            before = c.assignee_id
            changed += actions.do_assign(membership, c, user_id=value, set_team=False).assignee_id != before
        if assignee is None:
            return ngettext("%(count)s conversation no longer assigned to anyone.",
                            "%(count)s conversations no longer assigned to anyone.", changed) % {"count": changed}
        return ngettext("%(count)s conversation assigned to %(name)s.", "%(count)s conversations assigned to %(name)s.",
                        changed) % {"count": changed, "name": assignee.user.display_name}
    if action == "team":
        value = data.get("team", "")[:20]
        team = actions.check_team(membership.workspace_id, value)
        for c in found:
            before = c.team_id
            changed += actions.do_assign(membership, c, team_id=value, set_user=False).team_id != before
        if team is None:
            return ngettext("%(count)s conversation no longer routed to a team.",
                            "%(count)s conversations no longer routed to a team.", changed) % {"count": changed}
        return ngettext("%(count)s conversation routed to the team %(team)s.",
                        "%(count)s conversations routed to the team %(team)s.", changed) % {"count": changed, "team": team.name}
    if action in ("open", "pending", "closed"):
        for c in found:
            before = c.status
            changed += actions.do_set_status(membership, c, action).status != before
        return {
            "open": ngettext("%(count)s conversation opened again.", "%(count)s conversations opened again.", changed),
            "pending": ngettext("%(count)s conversation set pending.", "%(count)s conversations set pending.", changed),
            "closed": ngettext("%(count)s conversation closed.", "%(count)s conversations closed.", changed),
        }[action] % {"count": changed}
    if action == "tag":
        name = data.get("tag", "")[:200]
        tag = None
        for c in found:
            had = ConversationTag.objects.filter(conversation=c).count()
            tag = actions.do_tag(membership, c, name)
            changed += ConversationTag.objects.filter(conversation=c).count() != had
        return ngettext("Tag “%(tag)s” added to %(count)s conversation.", "Tag “%(tag)s” added to %(count)s conversations.",
                        changed) % {"count": changed, "tag": tag.name}
    raise ValidationError(_("Choose what to do with the selected conversations."))


# The conversation pane ---------------------------------------------------------------------------------


def _conversation_or_none(membership: Membership, conversation_id: int) -> Conversation | None:
    rows = Conversation.objects.filter(workspace=membership.workspace, pk=conversation_id)
    if is_contributor(membership):
        rows = rows.filter(routed_scope(membership.user))
    return rows.select_related("identity", "identity__person", "person", "channel", "assignee", "team", "source",
                               "last_item", "closed_by").first()


def get_conversation(membership: Membership, conversation_id: int) -> Conversation:
    """The conversation if the member may see it (a contributor: only what is routed to them), else 404."""
    found = _conversation_or_none(membership, conversation_id)
    if found is None:
        raise Http404(_("No such conversation."))
    return found


def timeline(conversation: Conversation, *, links: int = 0, replies: int = 0, notes: int = 0, events: int = 0) -> dict:
    """The conversation's messages, our replies, internal notes and events, in time order (the newest
    :data:`TIMELINE_MAX` of each), those after the given ids only when asked (the live poll)."""
    found_links = list(ConversationItem.objects.filter(conversation=conversation, pk__gt=links)
                       .select_related("item", "item__author", "item__source").order_by("-pk")[:TIMELINE_MAX])
    found_replies = list(Reply.objects.filter(conversation=conversation, pk__gt=replies)
                         .select_related("author", "approved_by", "rule").order_by("-pk")[:TIMELINE_MAX])
    found_notes = list(Note.objects.filter(conversation=conversation, pk__gt=notes).select_related("author")
                       .order_by("-pk")[:TIMELINE_MAX])
    found_events = list(Event.objects.filter(conversation=conversation, pk__gt=events).select_related("actor")
                        .order_by("-pk")[:TIMELINE_MAX])
    entries = ([{"kind": "message", "at": lk.item.published_at or lk.item.fetched_at, "link": lk, "item": lk.item,
                 "key": f"m{lk.pk}"} for lk in found_links]
               + [{"kind": "reply", "at": r.created_at, "reply": r, "key": f"r{r.pk}"} for r in found_replies]
               + [{"kind": "note", "at": n.created_at, "note": n, "key": f"n{n.pk}"} for n in found_notes]
               + [{"kind": "event", "at": e.at, "event": e, "key": f"e{e.pk}"} for e in found_events])
    entries.sort(key=lambda e: (e["at"], e["key"]))
    return {
        "entries": entries,
        "cursor": {"links": max([lk.pk for lk in found_links], default=links),
                   "replies": max([r.pk for r in found_replies], default=replies),
                   "notes": max([n.pk for n in found_notes], default=notes),
                   "events": max([e.pk for e in found_events], default=events)},
        "cut": any(len(found) == TIMELINE_MAX for found in (found_links, found_replies, found_notes, found_events)),
    }


def profile(membership: Membership, conversation: Conversation) -> dict:
    """Who wrote: their account, the person behind it, their other conversations, channels and mood over time."""
    identity, person = conversation.identity, conversation.person or (
        conversation.identity.person if conversation.identity_id else None)
    if identity is None:
        return {}
    ws = membership.workspace
    identities = list(person.identities.filter(workspace=ws).order_by("network", "handle")[:10]) if person else [identity]
    others = Conversation.objects.filter(workspace=ws).exclude(pk=conversation.pk)
    others = others.filter(person=person) if person else others.filter(identity=identity)
    if is_contributor(membership):
        others = others.filter(routed_scope(membership.user))
    messages_of = Item.objects.filter(workspace=ws, author_id__in=[i.pk for i in identities])
    mood = list(messages_of.exclude(sentiment="").order_by("-sort_key").values("sentiment", "published_at")[:12])
    return {
        "identity": identity, "person": person, "identities": identities,
        "others": list(others.select_related("channel").order_by("-sort_key")[:8]),
        "others_count": others.count(),
        "message_count": messages_of.count(),
        "first_seen": min((i.first_seen_at for i in identities), default=identity.first_seen_at),
        "channels": list(Conversation.objects.filter(workspace=ws, identity__in=identities, channel__isnull=False)
                         .values("channel__label", "channel__network").annotate(n=Count("pk")).order_by("-n")[:5]),
        "mood": list(reversed(mood)),
    }


def _pane_context(request, membership: Membership, conversation: Conversation, *, list_query: str = "",
                  here: str = "", errors=()) -> dict:
    ws = membership.workspace
    slug = ws.slug
    if conversation.unread and actions.can_answer(membership, conversation):
        actions.do_mark_read(membership, conversation)
    decorate([conversation])
    found = timeline(conversation)
    contributor = is_contributor(membership)
    answer = actions.can_answer(membership, conversation)
    manage = roles.has_perm(membership.role, roles.ANSWER_INBOX)
    last_reply = Reply.objects.filter(conversation=conversation).order_by("-pk").values_list("pk", flat=True).first()
    live = QueryDict(mutable=True)
    live.update({k: str(v) for k, v in found["cursor"].items()})
    context = {
        "conversation": conversation, "membership": membership, "slug": slug, "can_answer": answer,
        "can_manage": manage, "contributor": contributor, "can_act": manage and not contributor, "last_reply_id": last_reply or 0,
        "entries": found["entries"], "timeline_cut": found["cut"],
        "pane_live_url": f"{reverse('inbox_conversation_live', args=[slug, conversation.pk])}?{live.urlencode()}",
        "profile": profile(membership, conversation), "others_here": presence.others_here(membership.user, conversation),
        "conversation_tags": conversation.row_tags, "pane_errors": list(errors),
        "statuses": Conversation.Status.choices, "priorities": Conversation.Priority.choices,
        "pane_here": here or request.get_full_path(), "list_query": list_query,
        "labels": labels(),
    }
    if manage:
        context |= {"members": _members(ws), "teams": list(Team.objects.filter(workspace=ws))}
    return context


def _list_of(request, slug) -> tuple[str, str]:
    """When the pane was loaded beside the list: the list's address (where its forms come back) and its filters."""
    current = request.htmx.current_url if request.htmx else ""
    if current:
        parts = urlsplit(current)
        if parts.path == reverse("inbox", args=[slug]):
            rest = QueryDict(parts.query, mutable=True)
            rest.pop("c", None)
            return f"{parts.path}?{parts.query}", rest.urlencode()
    return "", ""


@login_required
def conversation(request, slug, conversation_id):
    """A conversation on its own page (phones, links); beside the list, the same pane loaded by htmx."""
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    found = get_conversation(membership, conversation_id)
    here, list_query = _list_of(request, slug)
    context = _pane_context(request, membership, found, list_query=list_query, here=here)
    if request.htmx:
        return render(request, "inbox/_conversation.html", context)
    context["full_page"] = True
    return render(request, "inbox/conversation.html", context)


@login_required
def conversation_live(request, slug, conversation_id):
    """What was added to the timeline since the pane showed it (new messages, replies, notes, events); 204 if nothing."""
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    found = get_conversation(membership, conversation_id)
    cursor = {name: max(0, cursor_value(request.GET.get(name)) or 0) for name in ("links", "replies", "notes", "events")}
    fresh = timeline(found, **cursor)
    if not fresh["entries"]:
        return HttpResponse(status=204)
    if found.unread and actions.can_answer(membership, found):
        actions.do_mark_read(membership, found)  # seen as it arrives: the pane is open
    live = QueryDict(mutable=True)
    live.update({k: str(v) for k, v in fresh["cursor"].items()})
    decorate([found])
    here, _list_query = _list_of(request, slug)
    # The status line comes along (out of band): a member writing again reopens a closed conversation.
    return render(request, "inbox/_timeline_live.html", {
        "entries": fresh["entries"], "conversation": found, "slug": slug, "can_answer": actions.can_answer(membership, found),
        "statuses": Conversation.Status.choices, "pane_here": here or reverse("inbox_conversation", args=[slug, found.pk]),
        "pane_live_url": f"{reverse('inbox_conversation_live', args=[slug, found.pk])}?{live.urlencode()}"})


@login_required
@require_POST
def conversation_presence(request, slug, conversation_id):
    """The pane's heartbeat: I am here (typing or not); answers who else is."""
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    found = get_conversation(membership, conversation_id)
    if request.POST.get("leave"):
        presence.do_leave(membership.user, found)
        return HttpResponse(status=204)
    presence.do_heartbeat(membership.user, found, typing=request.POST.get("typing") == "true")
    return render(request, "inbox/_presence.html", {"others_here": presence.others_here(membership.user, found),
                                                    "conversation": found, "slug": slug})


# The pane's actions: each answers the pane (htmx) or goes back where it came from. ----------------------------


def _done(request, membership: Membership, conversation_id: int, errors=()):
    slug = membership.workspace.slug
    if request.htmx:
        found = get_conversation(membership, conversation_id)
        here, list_query = _list_of(request, slug)
        context = _pane_context(request, membership, found, list_query=list_query, here=here, errors=errors)
        context["full_page"] = not here  # posted from the conversation's own page
        return render(request, "inbox/_conversation.html", context)
    for error in errors:
        messages.error(request, error)
    return redirect(back(request, slug, reverse("inbox_conversation", args=[slug, conversation_id])))


def _act(request, slug, conversation_id, do) -> HttpResponse:
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    found = get_conversation(membership, conversation_id)
    errors: list[str] = []
    try:
        do(membership, found)
    except ValidationError as exc:
        errors = exc.messages
    except PermissionDenied as exc:
        errors = [str(exc) or _("Your role in this workspace does not allow this.")]
    return _done(request, membership, found.pk, errors)


@login_required
@require_POST
def conversation_status(request, slug, conversation_id):
    status = request.POST.get("status", "")[:20]
    return _act(request, slug, conversation_id, lambda m, c: actions.do_set_status(m, c, status))


@login_required
@require_POST
def conversation_assign(request, slug, conversation_id):
    def do(membership, found):
        set_user, set_team = "assignee" in request.POST, "team" in request.POST
        user_id = request.POST.get("assignee", "")[:20]
        user_id = membership.user_id if user_id == "me" else user_id
        actions.do_assign(membership, found, user_id=user_id, team_id=request.POST.get("team", "")[:20],
                          set_user=set_user, set_team=set_team)

    return _act(request, slug, conversation_id, do)


@login_required
@require_POST
def conversation_priority(request, slug, conversation_id):
    priority = request.POST.get("priority", "")[:5]
    return _act(request, slug, conversation_id, lambda m, c: actions.do_set_priority(m, c, priority))


@login_required
@require_POST
def conversation_tag(request, slug, conversation_id):
    def do(membership, found):
        remove = cursor_value(request.POST.get("remove"))
        if remove:
            tag = get_object_or_404(Tag, pk=remove, workspace=membership.workspace)
            actions.do_untag(membership, found, tag)
        else:
            actions.do_tag(membership, found, request.POST.get("tag", "")[:200])

    return _act(request, slug, conversation_id, do)


@login_required
@require_POST
def conversation_note(request, slug, conversation_id):
    return _act(request, slug, conversation_id,
                lambda m, c: actions.do_add_note(m, c, request.POST.get("note", "")[: actions.MAX_NOTE + 1]))


@login_required
@require_POST
def conversation_unread(request, slug, conversation_id):
    """Mark unread again (to come back to it); goes back to the list, since opening the pane would read it."""
    membership = get_membership(request, slug, roles.VIEW_ROUTED)
    found = get_conversation(membership, conversation_id)
    if not actions.can_answer(membership, found):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))
    Conversation.objects.filter(pk=found.pk).update(unread=True)
    here, _list_query = _list_of(request, slug)
    target = back(request, slug, here or reverse("inbox", args=[slug]))
    # Back to the list without the pane: reopening it would read the conversation again.
    parts = urlsplit(target)
    rest = QueryDict(parts.query, mutable=True)
    rest.pop("c", None)
    target = f"{parts.path}?{rest.urlencode()}" if parts.path == reverse("inbox", args=[slug]) else reverse("inbox", args=[slug])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = target
        return response
    messages.success(request, _("Marked unread."))
    return redirect(target)


urlpatterns = [
    path("w/<slug:slug>/inbox/", inbox, name="inbox"),
    path("w/<slug:slug>/inbox/live/", inbox_live, name="inbox_live"),
    path("w/<slug:slug>/inbox/bulk/", inbox_bulk, name="inbox_bulk"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/", conversation, name="inbox_conversation"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/live/", conversation_live, name="inbox_conversation_live"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/presence/", conversation_presence, name="inbox_presence"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/status/", conversation_status, name="inbox_status"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/assign/", conversation_assign, name="inbox_assign"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/priority/", conversation_priority, name="inbox_priority"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/tag/", conversation_tag, name="inbox_tag"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/note/", conversation_note, name="inbox_note"),
    path("w/<slug:slug>/inbox/c/<int:conversation_id>/unread/", conversation_unread, name="inbox_unread"),
]
