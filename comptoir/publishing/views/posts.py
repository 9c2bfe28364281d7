"""Publishing screens: the posts list and the post editor (master text, one card per channel with its live
counter, preview and suggestions; versions, comments, pre-flight, and the buttons towards approval and delivery).
URL patterns are gathered by ``publishing/urls.py``."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.template import TemplateDoesNotExist
from django.template.loader import get_template
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.lib.csvexport import csv_download
from comptoir.workspaces import roles
from comptoir.workspaces.access import get_membership
from comptoir.workspaces.models import Channel

from .. import editor, posts, recurring
from ..models import Campaign, ContentRequest, MediaAsset, Post, Variant

PER_PAGE = 50
LIBRARY_SIZE = 60
OPTIONAL_PARTIALS = {"delivery_partial": "publishing/_delivery.html", "approval_partial": "publishing/_approval.html"}


def _get_post(membership, post_id) -> Post:
    return get_object_or_404(Post.objects.select_related("campaign", "request", "created_by"), pk=post_id,
                             workspace=membership.workspace)


def _partial(name: str) -> str | None:
    """The template if another part of publishing has written it yet, else None (the page renders without)."""
    try:
        get_template(name)
    except TemplateDoesNotExist:
        return None
    return name


# The list ---------------------------------------------------------------------------------------------------


def _filtered_posts(membership, params):
    workspace = membership.workspace
    qs = Post.objects.filter(workspace=workspace).select_related("campaign").prefetch_related("variants__channel")
    status = params.get("status", "")
    if status in Post.Status.values:
        qs = qs.filter(status=status)
    channel = params.get("channel", "")
    if channel.isdigit() and len(channel) < 19:
        qs = qs.filter(variants__channel_id=int(channel))
    campaign = params.get("campaign", "")
    if campaign.isdigit() and len(campaign) < 19:
        qs = qs.filter(campaign_id=int(campaign))
    q = params.get("q", "").strip()[:200]
    if q:
        qs = qs.filter(Q(title__icontains=q) | Q(master_text__icontains=q) | Q(variants__text__icontains=q))
    return qs.distinct().order_by("-updated_at", "-pk"), {"status": status, "channel": channel, "campaign": campaign, "q": q}


def _csv(membership, qs):
    tz = timezone.get_current_timezone()
    rows = ((p.pk, p.title, p.get_status_display(), timezone.localtime(p.publish_at, tz).strftime("%Y-%m-%d %H:%M")
             if p.publish_at else "", p.campaign.name if p.campaign else "",
             ", ".join(str(v.channel or v.network) for v in p.variants.all()), p.version, p.master_text)
            for p in qs.iterator(chunk_size=500))
    header = [_("id"), _("internal title"), _("status"), _("publication date"), _("campaign"), _("channels"),
              _("version"), _("text")]
    return csv_download(f"posts-{membership.workspace.slug}.csv", header, rows, delimiter=";", bom=True)


@login_required
def post_list(request, slug):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    workspace = membership.workspace
    qs, filters = _filtered_posts(membership, request.GET)
    if request.GET.get("export") == "csv":
        return _csv(membership, qs)
    page = request.GET.get("page", "1")
    page = int(page) if page.isdigit() and len(page) < 6 and int(page) > 0 else 1
    rows = list(qs[(page - 1) * PER_PAGE: page * PER_PAGE + 1])
    has_any = Post.objects.filter(workspace=workspace).exists()
    query = request.GET.copy()
    query.pop("page", None)
    return render(request, "publishing/posts.html", {
        "posts": rows[:PER_PAGE], "has_next": len(rows) > PER_PAGE, "page": page, "filters": filters,
        "query": query.urlencode(), "has_any": has_any, "statuses": Post.Status.choices,
        "channels": Channel.objects.filter(workspace=workspace, removed_at__isnull=True),
        "campaigns": Campaign.objects.filter(workspace=workspace, archived_at__isnull=True),
        "can_manage": roles.has_perm(membership.role, roles.MANAGE_PUBLISHING),
    })


# The editor ------------------------------------------------------------------------------------------------


def _ids(values) -> list[int]:
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


def _form_data(request, channels: list[Channel], post: Post | None = None) -> dict:
    """What the editor's form posts, as ``do_save_post`` reads it."""
    post_data = request.POST
    networks = {c.pk: c.network for c in channels}
    options = {v.channel_id: v.options or {} for v in post.variants.all()} if post is not None else {}
    data = {name: post_data.get(name, "") for name in ("title", "master_text", "link", "publish_at")}
    data["campaign"] = post_data.get("campaign") or None
    data["request"] = post_data.get("request") or None
    for name in posts.REPEAT_FIELDS:
        if name in post_data:
            data[name] = post_data.get(name, "")
    chosen = set(_ids(post_data.getlist("channels")))
    known = {c.pk for c in channels}
    variants = []
    # A tampered channel id the page did not offer still goes to the action, which refuses it by name.
    for channel_id in [c.pk for c in channels if c.pk in chosen] + sorted(chosen - known):
        key = str(channel_id)
        row = {"channel": channel_id, "text": post_data.get(f"text_{key}", ""),
               "title": post_data.get(f"vtitle_{key}", ""), "content_warning": post_data.get(f"cw_{key}", ""),
               "visibility": post_data.get(f"visibility_{key}", ""), "media": _ids(post_data.getlist(f"media_{key}"))}
        if f"alternates_{key}" in post_data:
            row["alternates"] = post_data.get(f"alternates_{key}", "")
        if networks.get(channel_id) == "email":
            # The recipients field edits "to"; other options (set through the API) stay.
            to = post_data.get(f"to_{key}", "")[:4000]
            row["options"] = {**options.get(channel_id, {}),
                              "to": [a.strip() for a in to.replace(";", ",").split(",") if a.strip()][:50]}
        variants.append(row)
    data["variants"] = variants
    return data


def _editor_channels(membership, post: Post | None) -> list[Channel]:
    channels = {c.pk: c for c in posts.publishing_channels(membership.workspace)}
    if post is not None:
        for variant in post.variants.select_related("channel"):
            if variant.channel is not None and variant.channel.removed_at is None:
                channels.setdefault(variant.channel.pk, variant.channel)
    return sorted(channels.values(), key=lambda c: (c.network, str(c)))


def _cards(membership, post: Post | None, channels: list[Channel], submitted: dict | None,
           errors: dict | None = None) -> list[dict]:
    """One card per channel: chosen or not, its fields (from the form when it was posted), counter, preview;
    ``errors`` (field → messages, as :func:`_error_dict` gives them) puts a variant's errors on its card."""
    variants = {v.channel_id: v for v in post.variants.prefetch_related("media")} if post is not None else {}
    library = {a.pk: a for a in MediaAsset.objects.filter(workspace=membership.workspace)}
    post_fields = submitted or ({"title": post.title, "master_text": post.master_text, "link": post.link}
                                if post is not None else {"title": "", "master_text": "", "link": ""})
    rows = {row["channel"]: row for row in (submitted or {}).get("variants", [])} if submitted is not None else None
    # The action names a variant's field by its row: variants.<index>.<field>.
    row_errors = {row["channel"]: {field: (errors or {}).get(f"variants.{index}.{field}")
                                   for field in ("alternates",)}
                  for index, row in enumerate((submitted or {}).get("variants", []))}
    cards = []
    for channel in channels:
        variant = variants.get(channel.pk)
        if rows is not None:
            row = rows.get(channel.pk)
            chosen = row is not None
            fields = row or {}
        else:
            chosen = variant is not None
            fields = ({"text": variant.text, "title": variant.title, "content_warning": variant.content_warning,
                       "visibility": variant.visibility, "media": list(variant.variantmedia_set.order_by("position")
                                                                       .values_list("asset_id", flat=True)),
                       "options": variant.options, "alternates": recurring.alternates_text(variant.alternates)}
                      if variant else {})
        media = [library[m] for m in fields.get("media") or [] if m in library]
        card = {"channel": channel, "chosen": chosen, "variant": variant, "fields": fields, "media_ids": set(fields.get("media") or []),
                "to": ", ".join((fields.get("options") or {}).get("to") or []),
                "locked": variant is not None and variant.state in posts.LOCKED_VARIANT_STATES,
                "alternates_name": f"alternates_{channel.pk}", "alternates": fields.get("alternates") or "",
                "alternates_errors": [e for e in [row_errors.get(channel.pk, {}).get("alternates")] if e]}
        card.update(_check_card(channel, post_fields, fields, media))
        cards.append(card)
    return cards


def _check_card(channel: Channel, post_fields: dict, fields: dict, media: list[MediaAsset]) -> dict:
    """The card's counter, problems, preview and shortening suggestions: the connector's own count and check."""
    try:
        connector = channel.connector()
    except Exception:  # an unknown network or credentials that no longer decrypt: say so on the card
        return {"count": None, "problems": [_("This channel cannot be checked: reconnect it.")], "outbound": None,
                "shortenings": []}
    outbound = posts.draft_outbound(post_fields, fields, media)
    count = editor.count(connector, outbound)
    return {"count": count, "problems": count.problems, "outbound": outbound, "media": media,
            "caps": connector.capabilities, "shortenings": editor.shortenings(connector, outbound) if count.limit and (
                count.over or count.near) else []}


def _editor_context(request, membership, post: Post | None, submitted: dict | None = None, errors=None) -> dict:
    workspace = membership.workspace
    channels = _editor_channels(membership, post)
    text = (submitted or {}).get("master_text") if submitted else (post.master_text if post else "")
    ctx = {
        "post": post, "channels": channels, "cards": _cards(membership, post, channels, submitted, errors),
        "repeat": {name: (submitted or {}).get(name, "") for name in posts.REPEAT_FIELDS} if submitted else None,
        "repeat_errors": {name: [errors[name]] for name in posts.REPEAT_FIELDS if (errors or {}).get(name)},
        "values": submitted or ({"title": post.title, "master_text": post.master_text, "link": post.link,
                                 "campaign": post.campaign_id, "request": post.request_id} if post else {}),
        "publish_at_value": (submitted or {}).get("publish_at") if submitted else (
            timezone.localtime(post.publish_at).strftime("%Y-%m-%dT%H:%M") if post and post.publish_at else ""),
        "campaigns": Campaign.objects.filter(workspace=workspace, archived_at__isnull=True),
        "requests": _request_choices(workspace, post),
        "library": MediaAsset.objects.filter(workspace=workspace, archived_at__isnull=True)[:LIBRARY_SIZE],
        "hashtags": editor.hashtag_suggestions(workspace, text or ""),
        "visibilities": [("", _("Default")), ("public", _("Public")), ("unlisted", _("Unlisted")),
                         ("private", _("Followers only")), ("direct", _("Mentioned people only"))],
        "errors": errors or {}, "can_manage": roles.has_perm(membership.role, roles.MANAGE_PUBLISHING),
        "editable": post is None or post.status not in posts.LOCKED_STATUSES,
        "time_zone": request.user.time_zone,
    }
    if post is not None:
        needs_approval, is_approved = (posts.optional_part("approvals", name) for name in ("needs_approval", "is_approved"))
        ctx.update({
            # With approval stages, a post is scheduled once approved (the approval panel sends it for approval).
            "needs_approval": bool(needs_approval and needs_approval(workspace)),
            "approved": is_approved(post) if is_approved else True,
            "versions": list(post.versions.select_related("created_by")[:50]),
            "comments": list(post.comments.select_related("author")),
            "can_submit": posts.optional_part("approvals", "do_submit") is not None,
            "can_schedule": posts.optional_part("delivery", "do_schedule") is not None,
            "can_unschedule": posts.optional_part("delivery", "do_unschedule") is not None,
            "membership": membership,
            "series": _series(post),
            **{key: _partial(name) for key, name in OPTIONAL_PARTIALS.items()},
        })
    return ctx


def _request_choices(workspace, post: Post | None) -> list[ContentRequest]:
    """The open requests a post may answer, and always the post's own (published or declined since): a choice the
    list lacks would be posted empty and unlink the post from its request."""
    rows = list(ContentRequest.objects.filter(workspace=workspace).exclude(
        status__in=[ContentRequest.Status.DECLINED, ContentRequest.Status.PUBLISHED]).exclude(
        pk=post.request_id if post is not None and post.request_id else None)[:200])
    if post is not None and post.request is not None:
        rows.insert(0, post.request)
    return rows


def _series(post: Post) -> dict | None:
    """The evergreen series the post belongs to: its first post and its occurrences (None when it repeats not)."""
    root = post.repeat_of or post
    occurrences = list(Post.objects.filter(workspace=post.workspace, repeat_of=root).order_by("occurrence", "pk")
                       .only("pk", "title", "master_text", "status", "publish_at", "occurrence")[:60])
    if not post.repeat_every_weeks and not post.repeat_of_id and not occurrences:
        return None
    return {"root": root, "occurrences": occurrences, "next_date": recurring.next_date(post)
            if post.repeat_every_weeks and post.status not in (Post.Status.CANCELLED,) else None}


def _error_dict(exc: ValidationError) -> dict:
    if hasattr(exc, "error_dict"):
        return {field: " ".join(m for e in errs for m in e.messages) for field, errs in exc.error_dict.items()}
    return {"__all__": " ".join(exc.messages)}


def _save(request, membership, post: Post | None):
    channels = _editor_channels(membership, post)
    data = _form_data(request, channels, post)
    try:
        saved = posts.do_save_post(membership, post, data)
    except ValidationError as exc:
        return render(request, "publishing/post_edit.html",
                      _editor_context(request, membership, post, data, _error_dict(exc)), status=400)
    if post is None:
        messages.success(request, _("Post saved as a draft."))
    elif saved.version != post.version:
        messages.success(request, _("Post saved (version %(version)d).") % {"version": saved.version})
    else:
        messages.success(request, _("Post saved."))
    return redirect("publishing_post", slug=membership.workspace.slug, post_id=saved.pk)


@login_required
@require_http_methods(["GET", "POST"])
def post_new(request, slug):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    if request.method == "POST":
        return _save(request, membership, None)
    return render(request, "publishing/post_edit.html", _editor_context(request, membership, None))


@login_required
@require_http_methods(["GET", "POST"])
def post_edit(request, slug, post_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    if request.method == "POST":
        if not roles.has_perm(membership.role, roles.MANAGE_PUBLISHING):
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
        return _save(request, membership, post)
    return render(request, "publishing/post_edit.html", _editor_context(request, membership, post))


@login_required
@require_POST
def post_counters(request, slug):
    """htmx, on every pause in typing: each chosen channel's counter, problems, preview and suggestions, from
    the connector's own ``check_post`` (the one delivery asks)."""
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    post_id = request.POST.get("post", "")
    post = _get_post(membership, int(post_id)) if post_id.isdigit() and len(post_id) < 19 else None
    channels = _editor_channels(membership, post)
    data = _form_data(request, channels, post)
    # Counting never needs more than a little past the longest text a post may have.
    for key in ("title", "master_text", "link"):
        data[key] = data[key][:posts.MAX_TEXT_LENGTH + 1]
    for row in data["variants"]:
        row["text"] = row["text"][:posts.MAX_TEXT_LENGTH + 1]
    cards = _cards(membership, post, channels, data)
    return render(request, "publishing/_counters.html", {
        "cards": cards, "hashtags": editor.hashtag_suggestions(membership.workspace, data["master_text"])})


@login_required
def post_preflight(request, slug, post_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    problems = posts.preflight(post)
    template = "publishing/_preflight.html" if request.htmx else "publishing/post_preflight.html"
    return render(request, template, {"post": post, "problems": problems})


@login_required
def post_versions(request, slug, post_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    versions = list(post.versions.select_related("created_by"))
    by_number = {v.number: v for v in versions}
    newer = by_number.get(_int(request.GET.get("b")), versions[0] if versions else None)
    older = by_number.get(_int(request.GET.get("a")))
    if older is None and newer is not None:
        older = next((v for v in versions if v.number < newer.number), None)
    diff = editor.version_diff(older.content, newer.content) if older and newer else []
    return render(request, "publishing/post_versions.html", {
        "post": post, "versions": versions, "older": older, "newer": newer, "diff": diff})


def _int(value) -> int | None:
    return int(value) if isinstance(value, str) and value.isdigit() and len(value) < 10 else None


@login_required
@require_POST
def post_comment(request, slug, post_id):
    membership = get_membership(request, slug, roles.VIEW_PUBLISHING)
    post = _get_post(membership, post_id)
    try:
        posts.do_add_comment(membership, post, request.POST.get("body", ""))
        messages.success(request, _("Comment added."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("publishing_post", args=[slug, post.pk]) + "#comments")


@login_required
@require_POST
def post_duplicate(request, slug, post_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    copy = posts.do_duplicate_post(membership, _get_post(membership, post_id))
    messages.success(request, _("Post duplicated: this is the new draft."))
    return redirect("publishing_post", slug=slug, post_id=copy.pk)


@login_required
@require_http_methods(["GET", "POST"])
def post_delete(request, slug, post_id):
    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    post = _get_post(membership, post_id)
    if request.method == "POST":
        try:
            done = posts.do_delete_post(membership, post)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("publishing_post", slug=slug, post_id=post.pk)
        if done["deleted"]:
            messages.success(request, ngettext(
                "Draft deleted, with its %(count)d version.", "Draft deleted, with its %(count)d versions.",
                done["versions"]) % {"count": done["versions"]})
            return redirect("publishing_posts", slug=slug)
        messages.success(request, _("Post cancelled: nothing more will go out; what was published stays."))
        return redirect("publishing_post", slug=slug, post_id=post.pk)
    return render(request, "publishing/post_delete.html", {
        "post": post, "counts": posts.delete_counts(post),
        "is_draft": post.status in (Post.Status.DRAFT, Post.Status.CHANGES_REQUESTED),
        "sent": post.variants.filter(state=Variant.State.SENT).count()})


@login_required
@require_POST
def post_from_curation(request, slug, curation_id):
    """“Make a draft post” from a content saved to share in listening: the editor opens on the new draft."""
    from comptoir.listening.models import Curation

    membership = get_membership(request, slug, roles.MANAGE_PUBLISHING)
    curation = get_object_or_404(Curation, pk=curation_id, workspace=membership.workspace)
    try:
        post = posts.do_draft_from_curation(membership, curation)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("listening_curation", slug=slug)
    messages.success(request, _("Draft post created from the saved content: choose its channels."))
    return redirect("publishing_post", slug=slug, post_id=post.pk)


def _refuse_on_errors(request, post: Post) -> bool:
    errors = [p for p in posts.preflight(post, check_links=False) if p.severity == "error"]
    for problem in errors:
        messages.error(request, problem.message)
    return bool(errors)


def _state_action(request, slug, post_id, module: str, name: str, success: str, *, perm=roles.MANAGE_PUBLISHING,
                  check: bool = True):
    membership = get_membership(request, slug, perm)
    post = _get_post(membership, post_id)
    action = posts.optional_part(module, name)
    if action is None:
        raise Http404(_("This part of publishing is not available yet."))
    if check and _refuse_on_errors(request, post):
        return redirect("publishing_post", slug=slug, post_id=post.pk)
    try:
        action(membership, post)
        messages.success(request, success)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect("publishing_post", slug=slug, post_id=post.pk)


@login_required
@require_POST
def post_submit(request, slug, post_id):
    return _state_action(request, slug, post_id, "approvals", "do_submit", _("Post sent for approval."))


@login_required
@require_POST
def post_schedule(request, slug, post_id):
    return _state_action(request, slug, post_id, "delivery", "do_schedule", _("Post scheduled."))


@login_required
@require_POST
def post_unschedule(request, slug, post_id):
    return _state_action(request, slug, post_id, "delivery", "do_unschedule",
                         _("Post unscheduled: nothing will go out until it is scheduled again."), check=False)


urlpatterns = [
    path("w/<slug:slug>/publishing/posts/", post_list, name="publishing_posts"),
    path("w/<slug:slug>/publishing/posts/new/", post_new, name="publishing_post_new"),
    path("w/<slug:slug>/publishing/posts/counters/", post_counters, name="publishing_post_counters"),
    path("w/<slug:slug>/publishing/posts/from-curation/<int:curation_id>/", post_from_curation,
         name="publishing_post_from_curation"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/", post_edit, name="publishing_post"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/preflight/", post_preflight, name="publishing_post_preflight"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/versions/", post_versions, name="publishing_post_versions"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/comment/", post_comment, name="publishing_post_comment"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/duplicate/", post_duplicate, name="publishing_post_duplicate"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/delete/", post_delete, name="publishing_post_delete"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/submit/", post_submit, name="publishing_post_submit"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/schedule/", post_schedule, name="publishing_post_schedule"),
    path("w/<slug:slug>/publishing/posts/<int:post_id>/unschedule/", post_unschedule, name="publishing_post_unschedule"),
]
