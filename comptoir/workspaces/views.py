import json
import logging

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.humanize.templatetags.humanize import intcomma
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from comptoir.connectors.base import ACTION_LABELS, Action, registered_networks
from comptoir.lib.csvexport import csv_download
from comptoir.lib.urls import public_url

from . import actions, audit, roles, throttle
from .access import get_membership
from .demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from .forms import (
    AccountForm,
    ChannelLabelForm,
    InviteForm,
    LoginForm,
    PasswordChangeForm,
    PasswordResetForm,
    RoleForm,
    SetPasswordForm,
    SignupForm,
    TokenForm,
    WorkspaceForm,
)
from .models import ApiToken, Channel, Invitation, Membership, User, Workspace
from .roles import ROLE_HELP, Role

logger = logging.getLogger("comptoir.security")


def _add_errors(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def _flash_error(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


# Authentication, language --------------------------------------------------------------------


class LoginView(auth_views.LoginView):
    template_name = "workspaces/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        if settings.COMPTOIR_DEMO:
            context["demo_accounts"] = [(email, Role(role).label) for email, _name, role in DEMO_ACCOUNTS]
            context["demo_password"] = DEMO_PASSWORD
        return context

    def form_valid(self, form):
        response = super().form_valid(form)
        translation.activate(form.get_user().language)
        response.set_cookie(settings.LANGUAGE_COOKIE_NAME, form.get_user().language, samesite="Lax", max_age=365 * 86400)
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "workspaces/password_change.html"
    form_class = PasswordChangeForm
    success_url = reverse_lazy("account")

    def form_valid(self, form):
        response = super().form_valid(form)
        message = _("Your password is changed.")
        if form.revoked_tokens:
            message += " " + ngettext("%(count)d API token was revoked.", "%(count)d API tokens were revoked.",
                                      form.revoked_tokens) % {"count": form.revoked_tokens}
        messages.success(self.request, message)
        return response


class PasswordResetView(auth_views.PasswordResetView):
    """Asking for a reset link: the same answer whether the address has an account or not, throttled."""

    template_name = "workspaces/password_reset_form.html"
    form_class = PasswordResetForm
    email_template_name = "workspaces/email/password_reset.txt"
    subject_template_name = "workspaces/email/password_reset_subject.txt"
    success_url = reverse_lazy("password_reset_done")

    @property
    def extra_email_context(self):
        return {"base_url": settings.BASE_URL, "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400)}

    def form_valid(self, form):
        address = throttle.client_address(self.request)
        keys = [(throttle.Scope.RESET_ACCOUNT, form.cleaned_data["email"].strip().lower()), (throttle.Scope.RESET_ADDRESS, address)]
        wait = throttle.reserve(keys)
        if wait:
            logger.info("Password reset request from %s refused: locked for %d s more", address or "?", wait)
            form.add_error(None, _("Too many requests for a new password. Try again in %(wait)s.") % {
                "wait": throttle.wait_text(wait)})
            return self.form_invalid(form)
        return super().form_valid(form)


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """The link from the e-mail. Wrong links count against the client address, like wrong passwords."""

    template_name = "workspaces/password_reset_confirm.html"
    form_class = SetPasswordForm
    success_url = reverse_lazy("password_reset_complete")

    def dispatch(self, *args, **kwargs):
        keys = [(throttle.Scope.RESET_ADDRESS, throttle.client_address(self.request))]
        wait = throttle.wait_for(keys)
        if wait:
            return render(self.request, self.template_name, {"validlink": False, "wait": throttle.wait_text(wait)}, status=429)
        response = super().dispatch(*args, **kwargs)
        if not self.validlink:
            throttle.count_failure(keys)
        return response


@require_POST
def set_language(request):
    """Switch the interface language; remembered on the user, or in a cookie before log-in."""
    language = request.POST.get("language", "")
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in dict(settings.LANGUAGES):
        messages.error(request, _("Unknown language: choose French or English."))
        return response
    if request.user.is_authenticated:
        actions.do_update_account(request.user, {"language": language})
    translation.activate(language)
    response.set_cookie(settings.LANGUAGE_COOKIE_NAME, language, samesite="Lax", max_age=365 * 86400)
    return response


@login_required
def home(request):
    user = request.user
    membership = None
    if user.last_workspace_id:
        membership = Membership.objects.filter(user=user, workspace_id=user.last_workspace_id).select_related("workspace").first()
    membership = membership or Membership.objects.filter(user=user).select_related("workspace").order_by("workspace__name").first()
    if membership:
        return redirect("workspace_home", slug=membership.workspace.slug)
    return render(request, "workspaces/no_workspace.html")


# Workspaces ----------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def workspace_create(request):
    form = WorkspaceForm(request.POST or None, initial={"language": request.user.language, "time_zone": request.user.time_zone})
    if request.method == "POST" and form.is_valid():
        try:
            workspace = actions.do_create_workspace(request.user, form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Workspace “%(name)s” created. Follow the first steps to open the counter.") % {"name": workspace.name})
            return redirect("workspace_home", slug=workspace.slug)
    return render(request, "workspaces/workspace_form.html", {"form": form, "creating": True})


def _first_steps(membership: Membership) -> list[dict]:
    workspace = membership.workspace
    steps = [
        {"done": True, "label": _("Create the workspace"), "url": None, "icon": "shop"},
        {"done": workspace.channels.connected().exists(), "label": _("Connect a first channel"),
         "url": reverse("channels", args=[workspace.slug]), "icon": "plug"},
        {"done": workspace.memberships.count() > 1 or workspace.invitations.exists(), "label": _("Invite your team"),
         "url": reverse("team", args=[workspace.slug]), "icon": "people"},
        {"done": workspace.audit_events.filter(action="workspace.update").exists(),
         "label": _("Check the time zone and language"), "url": reverse("workspace_settings", args=[workspace.slug]), "icon": "globe2"},
        {"done": workspace.api_tokens.exists(), "label": _("Create an API token for your tools (optional)"),
         "url": reverse("account"), "icon": "key"},
    ]
    return steps


@login_required
def workspace_home(request, slug):
    membership = get_membership(request, slug)
    workspace = membership.workspace
    # The checklist is for those who set the workspace up.
    steps = _first_steps(membership) if roles.has_perm(membership.role, roles.EDIT_WORKSPACE) else []
    channels = list(workspace.channels.connected()[:8]) if roles.has_perm(membership.role, roles.VIEW_CHANNELS) else []
    recent = []
    if roles.has_perm(membership.role, roles.VIEW_AUDIT):
        recent = list(workspace.audit_events.select_related("actor")[:6])
    # The roster is shown only to those whom /team/ would let in.
    team = list(workspace.memberships.select_related("user")[:8]) if roles.has_perm(membership.role, roles.VIEW_TEAM) else []
    return render(request, "workspaces/workspace_home.html", {
        "steps": steps, "steps_done": sum(1 for s in steps if s["done"]), "channels": channels, "recent_events": recent,
        "team": team,
    })


@login_required
@require_http_methods(["GET", "POST"])
def workspace_settings(request, slug):
    membership = get_membership(request, slug, roles.EDIT_WORKSPACE)
    workspace = membership.workspace
    initial = {f: getattr(workspace, f) for f in actions.WORKSPACE_FIELDS}
    form = WorkspaceForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            workspace = actions.do_update_workspace(membership, form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("workspace_settings", slug=workspace.slug)
    return render(request, "workspaces/workspace_form.html", {"form": form, "creating": False})


# Team ----------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team(request, slug):
    membership = get_membership(request, slug, roles.VIEW_TEAM)
    workspace = membership.workspace
    can_manage = roles.has_perm(membership.role, roles.MANAGE_TEAM)
    assignable = roles.roles_assignable_by(membership.role)
    form = InviteForm(request.POST or None)
    form.fields["role"].choices = [(r, Role(r).label) for r in assignable] or Role.choices
    if request.method == "POST":
        if not can_manage:
            raise PermissionDenied(_("Your role in this workspace does not allow this."))
        if form.is_valid():
            try:
                invitation, raw = actions.do_invite(membership, form.cleaned_data["email"], form.cleaned_data["role"])
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                link = request.build_absolute_uri(reverse("accept_invitation", args=[raw]))
                messages.success(request, _("Invitation sent to %(email)s. You can also share this link: %(link)s") % {
                    "email": invitation.email, "link": link})
                return redirect("team", slug=slug)
    members = workspace.memberships.select_related("user").order_by("user__full_name", "user__email")
    invitations = [i for i in workspace.invitations.select_related("invited_by")[:50] if i.is_pending]
    return render(request, "workspaces/team.html", {
        "members": members, "invitations": invitations, "form": form, "can_manage": can_manage,
        "assignable_roles": [(r, Role(r).label) for r in assignable], "role_help": [(Role(r).label, h) for r, h in ROLE_HELP.items()],
    })


def _get_member(membership: Membership, member_id: int) -> Membership:
    return get_object_or_404(Membership.objects.select_related("user"), pk=member_id, workspace_id=membership.workspace_id)


@login_required
@require_POST
def member_role(request, slug, member_id):
    membership = get_membership(request, slug, roles.MANAGE_TEAM)
    target = _get_member(membership, member_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose one of the roles in the list."))
        return redirect("team", slug=slug)
    try:
        actions.do_change_role(membership, target, form.cleaned_data["role"])
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("%(name)s is now %(role)s.") % {"name": target.user.display_name, "role": Role(form.cleaned_data["role"]).label})
    return redirect("team", slug=slug)


@login_required
@require_POST
def member_remove(request, slug, member_id):
    membership = get_membership(request, slug)
    target = _get_member(membership, member_id)
    try:
        actions.do_remove_member(membership, target)
    except ValidationError as exc:
        _flash_error(request, exc)
        return redirect("team", slug=slug)
    if target.pk == membership.pk:
        messages.success(request, _("You left the workspace."))
        return redirect("home")
    messages.success(request, _("%(name)s no longer has access to the workspace.") % {"name": target.user.display_name})
    return redirect("team", slug=slug)


@login_required
@require_POST
def invitation_revoke(request, slug, invitation_id):
    membership = get_membership(request, slug, roles.MANAGE_TEAM)
    invitation = get_object_or_404(Invitation, pk=invitation_id, workspace_id=membership.workspace_id)
    try:
        actions.do_revoke_invitation(membership, invitation)
    except ValidationError as exc:
        _flash_error(request, exc)
    else:
        messages.success(request, _("Invitation to %(email)s withdrawn.") % {"email": invitation.email})
    return redirect("team", slug=slug)


def _invitation_unusable(request, invitation: Invitation | None, status: int = 404):
    return render(request, "workspaces/invitation_invalid.html", {"invitation": invitation}, status=status)


@require_http_methods(["GET", "POST"])
def accept_invitation(request, token):
    invitation = Invitation.find(token)
    if invitation is None or not invitation.is_pending:
        return _invitation_unusable(request, invitation)
    existing = User.objects.filter(email__iexact=invitation.email).first()
    if request.user.is_authenticated:
        if request.method == "POST":
            try:
                actions.do_accept_invitation(invitation, request.user)
            except ValidationError as exc:
                _flash_error(request, exc)
                return redirect("accept_invitation", token=token)
            messages.success(request, _("Welcome to %(workspace)s!") % {"workspace": invitation.workspace.name})
            return redirect("workspace_home", slug=invitation.workspace.slug)
        return render(request, "workspaces/invitation_accept.html", {"invitation": invitation, "wrong_account":
                      request.user.email.lower() != invitation.email.lower()})
    if existing is not None:
        invitation.refresh_from_db()  # the account may come from this very invitation, accepted a moment ago
        if not invitation.is_pending:
            return _invitation_unusable(request, invitation)
        login_url = f"{reverse('login')}?next={reverse('accept_invitation', args=[token])}"
        return render(request, "workspaces/invitation_accept.html", {"invitation": invitation, "login_url": login_url})
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = actions.do_accept_invitation_as_new_user(
                invitation, full_name=form.cleaned_data["full_name"], password=form.cleaned_data["password"],
                language=translation.get_language()[:2])
        except ValidationError as exc:
            code = getattr(exc, "code", None)  # a single error has a code; field errors (password) do not
            if code == "not_pending":  # someone (most likely the same person, clicking twice) was first
                invitation.refresh_from_db()
                return _invitation_unusable(request, invitation, status=409)
            if code == "account_exists":
                _flash_error(request, exc)
                return redirect(f"{reverse('login')}?next={reverse('accept_invitation', args=[token])}")
            _add_errors(form, exc)
        else:
            auth_login(request, membership.user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome to %(workspace)s!") % {"workspace": invitation.workspace.name})
            return redirect("workspace_home", slug=invitation.workspace.slug)
    return render(request, "workspaces/invitation_accept.html", {"invitation": invitation, "form": form})


# Channels ------------------------------------------------------------------------------------


# What Comptoir's screens can do with a channel today. A network's card promises only these, whatever its
# connector could do: publishing, replying and moderating join this set with the screens that do them.
ACTIONS_WITH_SCREENS = frozenset({Action.READ})


def _network_cards() -> list[dict]:
    cards = []
    for network, cls in registered_networks().items():
        caps = cls.capabilities
        shown = caps.actions & ACTIONS_WITH_SCREENS
        cards.append({
            "network": network, "label": cls.label or network,
            "max_text_length": caps.max_text_length if Action.PUBLISH in shown else None,
            "actions": [str(ACTION_LABELS[a]) for a in sorted(shown, key=lambda a: list(ACTION_LABELS).index(a))],
        })
    return cards


_REVEALED = "comptoir.revealed_secret"


def _reveal_once(request, channel: Channel, secret: str) -> None:
    # Kept server-side in the session (never in a messages cookie) until the channels page shows it once.
    request.session[_REVEALED] = {"channel": channel.pk, "secret": secret}


def _revealed(request, channels) -> dict | None:
    revealed = request.session.pop(_REVEALED, None)
    channel = next((c for c in channels if revealed and c.pk == revealed.get("channel")), None)
    if channel is None:
        return None
    return {"channel": channel, "secret": revealed["secret"], "url": public_url(request, channel.webhook_path)}


@login_required
def channels(request, slug):
    membership = get_membership(request, slug, roles.VIEW_CHANNELS)
    channels = membership.workspace.channels
    items = list(channels.connected())
    for channel in items:
        channel.webhook_url = public_url(request, channel.webhook_path) if channel.webhook_path else ""
    can_manage = roles.has_perm(membership.role, roles.MANAGE_CHANNELS)
    return render(request, "workspaces/channels.html", {
        "channels": items, "can_manage": can_manage, "networks": _network_cards(),
        "revealed": _revealed(request, items) if can_manage else None,
        "removed": channels.removed().annotate(kept=Count("items")).select_related("source").order_by("-removed_at"),
        "can_erase": roles.has_perm(membership.role, roles.ERASE_MESSAGES),
    })


def _connect_form_class(network: str):
    if network not in registered_networks():
        raise Http404(_("Unknown network."))
    return registered_networks()[network].connect_form_class()


def _keep_typed_secrets(form) -> None:
    """Show a secret typed in this form again when the page comes back (after "Test the connection",
    or an error elsewhere), so it need not be pasted twice; and keep the browser from filling in
    the person's own Comptoir password."""
    for field in form.fields.values():
        if isinstance(field.widget, forms.PasswordInput):
            field.widget.render_value = True
            field.widget.attrs.setdefault("autocomplete", "new-password")


@login_required
@require_http_methods(["GET", "POST"])
def channel_connect(request, slug, network):
    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    form_class = _connect_form_class(network)
    form = form_class(request.POST or None, request.FILES or None)
    _keep_typed_secrets(form)
    extra = ChannelLabelForm(request.POST or None, prefix="channel")
    check = None
    if request.method == "POST" and form.is_valid() and extra.is_valid():
        connector = registered_networks()[network](config=form.get_config(), credentials=form.get_credentials())
        if "test" in request.POST:
            check = connector.check_connection()
        else:
            try:
                channel = actions.do_connect_channel(
                    membership, network=network, handle=form.get_handle(), config=form.get_config(),
                    credentials=form.get_credentials(), label=extra.cleaned_data["label"], language=extra.cleaned_data["language"],
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(request, _("Channel %(channel)s connected.") % {"channel": channel})
                if getattr(form, "generated_secret", ""):
                    _reveal_once(request, channel, form.generated_secret)
                return redirect("channels", slug=slug)
    return render(request, "workspaces/channel_connect.html", {
        "form": form, "extra": extra, "network": network, "network_label": registered_networks()[network].label or network,
        "check": check, "capabilities": next(c for c in _network_cards() if c["network"] == network),
    })


@login_required
@require_POST
def channel_action(request, slug, channel_id):
    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel.objects.connected(), pk=channel_id, workspace_id=membership.workspace_id)
    action = request.POST.get("action", "")
    try:
        if action == "pause":
            actions.do_set_channel_status(membership, channel, Channel.Status.PAUSED)
            messages.success(request, _("Channel paused: nothing is read or published until you resume it."))
        elif action == "resume":
            actions.do_set_channel_status(membership, channel, Channel.Status.ACTIVE)
            messages.success(request, _("Channel resumed."))
        elif action == "regenerate_secret":
            _reveal_once(request, channel, actions.do_regenerate_webhook_secret(membership, channel))
            messages.success(request, _("New secret created: the old one no longer works. Give the new one to the sender."))
        else:
            messages.error(request, _("Unknown action."))
    except ValidationError as exc:
        _flash_error(request, exc)
    return redirect("channels", slug=slug)


@login_required
@require_http_methods(["GET", "POST"])
def channel_remove(request, slug, channel_id):
    """Removing a channel says first what it touches: credentials erased, messages kept."""
    membership = get_membership(request, slug, roles.MANAGE_CHANNELS)
    channel = get_object_or_404(Channel.objects.connected(), pk=channel_id, workspace_id=membership.workspace_id)
    if request.method == "POST":
        try:
            kept = actions.do_remove_channel(membership, channel)
        except ValidationError as exc:
            _flash_error(request, exc)
        else:
            messages.success(request, ngettext(
                "Channel %(channel)s removed and its credentials erased. Its %(count)s message stays in the stream.",
                "Channel %(channel)s removed and its credentials erased. Its %(count)s messages stay in the stream.",
                kept) % {"channel": channel, "count": intcomma(kept)})
        return redirect("channels", slug=slug)
    return render(request, "workspaces/channel_remove.html", {"channel": channel, "kept": channel.items.count()})


# Activity log --------------------------------------------------------------------------------


@login_required
def activity(request, slug):
    membership = get_membership(request, slug, roles.VIEW_AUDIT)
    events = actions.audit_events_for(membership)
    action_filter = request.GET.get("action", "")[:80]
    actor_filter = request.GET.get("actor", "")[:254]
    if action_filter:
        events = events.filter(action__startswith=action_filter)
    if actor_filter:
        events = events.filter(actor_label__icontains=actor_filter)
    if request.GET.get("format") == "csv":
        tz = timezone.get_current_timezone()
        rows = (
            (timezone.localtime(e.created_at, tz).isoformat(), audit.describe(e), e.actor_label, e.via, e.action,
             e.object_type, e.object_id, e.object_repr, json.dumps(e.before, ensure_ascii=False) if e.before is not None else "",
             json.dumps(e.after, ensure_ascii=False) if e.after is not None else "")
            for e in events.iterator(chunk_size=500)
        )
        return csv_download(f"activity-{membership.workspace.slug}.csv",
                            ["time", "summary", "actor", "via", "action", "object_type", "object_id", "object", "before",
                             "after"], rows, bom=True)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    groups = {a.split(".")[0] for a in actions.audit_events_for(membership).values_list("action", flat=True).distinct()}
    action_names = sorted(((g, str(audit.GROUPS.get(g, g))) for g in groups), key=lambda pair: pair[1])
    return render(request, "workspaces/activity.html", {
        "page": page, "action_filter": action_filter, "actor_filter": actor_filter, "action_names": action_names,
    })


# Account and tokens --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def account(request):
    user = request.user
    memberships = list(Membership.objects.filter(user=user).select_related("workspace"))
    form = AccountForm(request.POST if "save_account" in request.POST else None,
                       initial={"full_name": user.full_name, "language": user.language, "time_zone": user.time_zone})
    token_form = TokenForm(request.POST if "create_token" in request.POST else None, memberships=memberships)
    new_token = None
    if request.method == "POST":
        if "save_account" in request.POST and form.is_valid():
            try:
                actions.do_update_account(user, form.cleaned_data)
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                translation.activate(user.language)
                messages.success(request, _("Your preferences are saved."))
                response = redirect("account")
                response.set_cookie(settings.LANGUAGE_COOKIE_NAME, user.language, samesite="Lax", max_age=365 * 86400)
                return response
        elif "create_token" in request.POST and token_form.is_valid():
            workspace = Workspace.objects.get(slug=token_form.cleaned_data["workspace"])
            try:
                _token, new_token = actions.do_create_api_token(user, workspace, token_form.cleaned_data["name"])
            except ValidationError as exc:
                _add_errors(token_form, exc)
            else:
                token_form = TokenForm(memberships=memberships)
    tokens = user.api_tokens.select_related("workspace").filter(revoked_at__isnull=True)
    return render(request, "workspaces/account.html", {"form": form, "token_form": token_form, "tokens": tokens, "new_token": new_token})


@login_required
@require_POST
def token_revoke(request, token_id):
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    actions.do_revoke_api_token(request.user, token)
    messages.success(request, _("Token “%(name)s” revoked: it no longer works.") % {"name": token.name})
    return redirect("account")


def health(request):
    return HttpResponse("ok", content_type="text/plain")
