"""What can be done to workspaces, their team, channels and tokens.

``check_*`` validate and raise ``ValidationError`` with a message a person can act on;
``do_*`` perform inside one transaction and write the activity log. Views, the API and the CLI
call these and nothing else, so each behaviour has one code path.
"""

import logging
import re
import secrets
import unicodedata

from django.conf import settings
from django.contrib.auth import password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.text import slugify
from django.utils.translation import gettext as _

from comptoir.lib import crypto
from comptoir.lib.i18n import code_and_params

from . import audit, roles
from .models import ApiToken, AuditEvent, Channel, Invitation, Membership, User, Workspace, validate_time_zone
from .roles import Role
from .signals import channel_removed

logger = logging.getLogger("comptoir.workspaces")
SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,58}[a-z0-9])?$")
RESERVED_SLUGS = {"new", "api", "admin", "static", "media", "account", "login", "logout", "invitations"}
WORKSPACE_FIELDS = ["name", "slug", "kind", "language", "time_zone", "description"]
CHANNEL_FIELDS = ["network", "handle", "label", "status", "language", "config"]


def _clean_line(value: str, field: str, max_length: int, *, required: bool = True) -> str:
    value = unicodedata.normalize("NFC", str(value or "")).strip()
    value = "".join(ch for ch in value if ch.isprintable())
    if required and not value:
        raise ValidationError({field: _("This field is required.")})
    if len(value) > max_length:
        raise ValidationError(
            {field: _("At most %(max)d characters, please (this one has %(length)d).") % {"max": max_length, "length": len(value)}}
        )
    return value


def check_perm(membership: Membership | None, perm: str) -> None:
    if membership is None or not roles.has_perm(membership.role, perm):
        raise PermissionDenied(_("Your role in this workspace does not allow this."))


# Workspaces ---------------------------------------------------------------------------------


def suggest_slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "espace"
    slug, n = base, 2
    while Workspace.objects.filter(slug=slug).exists() or slug in RESERVED_SLUGS:
        slug, n = f"{base}-{n}", n + 1
    return slug


def check_workspace_fields(data: dict, *, instance: Workspace | None = None) -> dict:
    cleaned: dict = {}
    if "name" in data or instance is None:
        cleaned["name"] = _clean_line(data.get("name", ""), "name", 120)
    if "slug" in data and data["slug"] not in (None, ""):
        slug = str(data["slug"]).strip().lower()
        if not SLUG_RE.match(slug):
            raise ValidationError(
                {"slug": _("Use lowercase letters, digits and hyphens only (for example: amis-du-velo).")}
            )
        if slug in RESERVED_SLUGS or Workspace.objects.filter(slug=slug).exclude(pk=getattr(instance, "pk", None)).exists():
            raise ValidationError({"slug": _("This short name is already taken; choose another one.")})
        cleaned["slug"] = slug
    elif instance is None:
        cleaned["slug"] = suggest_slug(cleaned["name"])
    if "kind" in data:
        if data["kind"] not in Workspace.Kind.values:
            raise ValidationError({"kind": _("Choose one of: %(choices)s.") % {"choices": ", ".join(Workspace.Kind.values)}})
        cleaned["kind"] = data["kind"]
    if "language" in data:
        if data["language"] not in ("fr", "en"):
            raise ValidationError({"language": _("Choose French (fr) or English (en).")})
        cleaned["language"] = data["language"]
    if "time_zone" in data:
        tz = str(data["time_zone"] or "")[:64]
        try:
            validate_time_zone(tz)
        except ValidationError as exc:
            raise ValidationError({"time_zone": exc.messages}) from exc
        cleaned["time_zone"] = tz
    if "description" in data:
        cleaned["description"] = str(data["description"] or "").strip()
        if len(cleaned["description"]) > 2000:
            raise ValidationError({"description": _("At most 2,000 characters, please.")})
    return cleaned


@transaction.atomic
def do_create_workspace(user: User, data: dict) -> Workspace:
    cleaned = check_workspace_fields(data)
    workspace = Workspace.objects.create(created_by=user, **cleaned)
    Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
    user.last_workspace = workspace
    user.save(update_fields=["last_workspace"])
    audit.record(workspace, user, "workspace.create", workspace, after=audit.snapshot(workspace, WORKSPACE_FIELDS))
    return workspace


@transaction.atomic
def do_update_workspace(membership: Membership, data: dict) -> Workspace:
    check_perm(membership, roles.EDIT_WORKSPACE)
    workspace = Workspace.objects.select_for_update().get(pk=membership.workspace_id)
    cleaned = check_workspace_fields(data, instance=workspace)
    before = audit.snapshot(workspace, WORKSPACE_FIELDS)
    for key, value in cleaned.items():
        setattr(workspace, key, value)
    workspace.save()
    after = audit.snapshot(workspace, WORKSPACE_FIELDS)
    if before != after:
        audit.record(workspace, membership.user, "workspace.update", workspace, before=before, after=after)
    return workspace


# Team -----------------------------------------------------------------------------------------


def check_role_change(actor: Membership, role: str, *, target: Membership | None = None) -> None:
    check_perm(actor, roles.MANAGE_TEAM)
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role. Choose one of: %(choices)s.") % {"choices": ", ".join(Role.values)}})
    if role not in roles.roles_assignable_by(actor.role):
        raise ValidationError({"role": _("Only an owner can make someone an owner.")})
    if target is not None and target.role == Role.OWNER and not roles.has_perm(actor.role, roles.MANAGE_OWNERS):
        raise ValidationError({"role": _("Only an owner can change another owner's role.")})
    if target is not None and target.role == Role.OWNER and role != Role.OWNER:
        others = Membership.objects.filter(workspace_id=target.workspace_id, role=Role.OWNER).exclude(pk=target.pk)
        if not others.exists():
            raise ValidationError({"role": _("A workspace needs at least one owner: make someone else owner first.")})


def check_invitation(actor: Membership, email: str, role: str) -> str:
    email = str(email or "").strip().lower()
    if not email:
        raise ValidationError({"email": _("Enter the e-mail address of the person to invite.")})
    if len(email) > 254:
        raise ValidationError({"email": _("This e-mail address is too long.")})
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"email": _("Enter a valid e-mail address, such as camille@example.org.")}) from exc
    check_role_change(actor, role)
    if Membership.objects.filter(workspace_id=actor.workspace_id, user__email__iexact=email).exists():
        raise ValidationError({"email": _("This person is already a member of the workspace.")})
    return email


@transaction.atomic
def do_invite(actor: Membership, email: str, role: str) -> tuple[Invitation, str]:
    """Invite ``email`` with ``role``; returns the invitation and the raw token (for the link)."""
    email = check_invitation(actor, email, role)
    now = timezone.now()
    # A new invitation replaces a pending one to the same address.
    Invitation.objects.filter(
        workspace_id=actor.workspace_id, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=now)
    raw, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        workspace=actor.workspace, email=email, role=role, token_hash=token_hash, invited_by=actor.user,
        expires_at=now + Invitation.VALID_FOR,
    )
    audit.record(actor.workspace, actor.user, "team.invite", invitation, after={"email": email, "role": role})
    link = f"{settings.BASE_URL}/invitations/{raw}/"
    workspace_name, inviter = actor.workspace.name, actor.user.display_name
    transaction.on_commit(lambda: _send_invitation_mail(email, workspace_name, inviter, role, link, actor.user.language))
    return invitation, raw


def _send_invitation_mail(email: str, workspace_name: str, inviter: str, role: str, link: str, language: str) -> None:
    with translation.override(language):
        subject = _("%(inviter)s invites you to %(workspace)s on Comptoir") % {"inviter": inviter, "workspace": workspace_name}
        body = _(
            "Hello,\n\n%(inviter)s invites you to join the workspace “%(workspace)s” on Comptoir as %(role)s.\n\n"
            "Accept the invitation within 14 days:\n%(link)s\n\nIf you did not expect this message, ignore it."
        ) % {"inviter": inviter, "workspace": workspace_name, "role": Role(role).label, "link": link}
    try:
        send_mail(subject, body, None, [email])
    except Exception:
        # The invitation exists and its link is shown on screen; a mail outage must not undo it.
        logger.exception("Could not send the invitation e-mail to %s", email)


@transaction.atomic
def do_revoke_invitation(actor: Membership, invitation: Invitation) -> None:
    check_perm(actor, roles.MANAGE_TEAM)
    if invitation.workspace_id != actor.workspace_id:
        raise PermissionDenied
    if not invitation.is_pending:
        raise ValidationError(_("This invitation is no longer pending."))
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit.record(actor.workspace, actor.user, "team.invitation_revoke", invitation, before={"status": "pending"}, after={"status": "revoked"})


@transaction.atomic
def do_accept_invitation(invitation: Invitation, user: User) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has expired or was withdrawn. Ask for a new one."))
    if user.email.lower() != invitation.email.lower():
        raise ValidationError(
            _("This invitation was sent to %(email)s. Log in with that address to accept it.") % {"email": invitation.email}
        )
    membership, created = Membership.objects.get_or_create(
        workspace=invitation.workspace, user=user, defaults={"role": invitation.role}
    )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    user.last_workspace = invitation.workspace
    user.save(update_fields=["last_workspace"])
    if created:
        audit.record(invitation.workspace, user, "team.join", membership, after={"email": user.email, "role": membership.role})
    return membership


@transaction.atomic
def do_accept_invitation_as_new_user(invitation: Invitation, *, full_name: str, password: str, language: str) -> Membership:
    """Create the invited person's account and make them a member, as one step.

    The invitation row is locked first: of several submissions at once (a double click, two tabs),
    one creates the account and the others find the invitation accepted (``code="not_pending"``). An
    address that got an account meanwhile is refused with ``code="account_exists"``: log in instead.
    """
    invitation = Invitation.objects.select_for_update().select_related("workspace").get(pk=invitation.pk)
    if not invitation.is_pending:
        raise ValidationError(_("This invitation has already been accepted, has expired or was withdrawn."), code="not_pending")
    user = User(email=invitation.email.lower(), full_name=_clean_line(full_name, "full_name", 150),
                language=language if language in ("fr", "en") else "fr")
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as exc:
        raise ValidationError(_("An account already uses %(email)s: log in to accept the invitation.") % {
            "email": invitation.email}, code="account_exists") from exc
    return do_accept_invitation(invitation, user)


@transaction.atomic
def do_change_role(actor: Membership, target: Membership, role: str) -> Membership:
    if target.workspace_id != actor.workspace_id:
        raise PermissionDenied
    check_role_change(actor, role, target=target)
    target = Membership.objects.select_for_update().get(pk=target.pk)
    before = target.role
    if before != role:
        target.role = role
        target.save(update_fields=["role"])
        audit.record(actor.workspace, actor.user, "team.role_change", target, before={"role": before}, after={"role": role},
                     object_repr=target.user.email)
    return target


@transaction.atomic
def do_remove_member(actor: Membership, target: Membership) -> None:
    if target.workspace_id != actor.workspace_id:
        raise PermissionDenied
    if target.pk != actor.pk:
        check_perm(actor, roles.MANAGE_TEAM)
    if target.role == Role.OWNER:
        if target.pk != actor.pk and not roles.has_perm(actor.role, roles.MANAGE_OWNERS):
            raise ValidationError(_("Only an owner can remove another owner."))
        if not Membership.objects.filter(workspace_id=target.workspace_id, role=Role.OWNER).exclude(pk=target.pk).exists():
            raise ValidationError(_("A workspace needs at least one owner: make someone else owner first."))
    audit.record(actor.workspace, actor.user, "team.remove", target, before={"email": target.user.email, "role": target.role},
                 object_repr=target.user.email)
    ApiToken.objects.filter(user_id=target.user_id, workspace_id=target.workspace_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    target.delete()


# Channels -------------------------------------------------------------------------------------


def check_channel(workspace: Workspace, network: str, handle: str, *, exclude_pk: int | None = None) -> tuple[str, str]:
    from comptoir.connectors.base import registered_networks

    network = str(network or "").strip().lower()
    if network not in registered_networks():
        raise ValidationError({"network": _("Unknown network. Available: %(choices)s.") % {
            "choices": ", ".join(registered_networks()) or "—"}})
    handle = _clean_line(handle, "handle", 200)
    taken = Channel.objects.connected().filter(workspace=workspace, network=network, handle=handle)
    if taken.exclude(pk=exclude_pk).exists():
        raise ValidationError({"handle": _("This account is already connected in this workspace.")})
    return network, handle


@transaction.atomic
def do_connect_channel(actor: Membership, *, network: str, handle: str, config: dict, credentials: dict,
                       label: str = "", language: str = "") -> Channel:
    """Connect an account; an account removed earlier comes back as the same channel, with its history."""
    check_perm(actor, roles.MANAGE_CHANNELS)
    network, handle = check_channel(actor.workspace, network, handle)
    channel = Channel.objects.removed().select_for_update().filter(workspace=actor.workspace, network=network,
                                                                   handle=handle).first()
    action = "channel.reconnect" if channel else "channel.connect"
    channel = channel or Channel(workspace=actor.workspace, network=network, handle=handle, created_by=actor.user)
    channel.label = _clean_line(label, "label", 120, required=False)
    channel.language = language if language in ("fr", "en") else ""
    channel.config = config or {}
    channel.status, channel.removed_at, channel.last_error = Channel.Status.ACTIVE, None, ""
    channel.credentials = credentials
    channel.save()
    # Credentials never reach the log: only which keys were set.
    audit.record(actor.workspace, actor.user, action, channel,
                 after={**audit.snapshot(channel, CHANNEL_FIELDS), "credentials": sorted(credentials or {})})
    return channel


@transaction.atomic
def do_set_channel_status(actor: Membership, channel: Channel, status: str) -> Channel:
    check_perm(actor, roles.MANAGE_CHANNELS)
    if channel.workspace_id != actor.workspace_id:
        raise PermissionDenied
    if status not in (Channel.Status.ACTIVE, Channel.Status.PAUSED):
        raise ValidationError({"status": _("A channel can only be resumed (active) or paused.")})
    before = channel.status
    if before != status:
        channel.status = status
        channel.save(update_fields=["status"])
        audit.record(actor.workspace, actor.user, "channel.status", channel, before={"status": before}, after={"status": status})
    return channel


@transaction.atomic
def do_remove_channel(actor: Membership, channel: Channel) -> int:
    """Disconnect ``channel`` and erase its credentials. Its messages stay; returns how many.

    The row stays (``removed_at``) so that every message keeps saying where it came from.
    """
    check_perm(actor, roles.MANAGE_CHANNELS)
    if channel.workspace_id != actor.workspace_id:
        raise PermissionDenied
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    if channel.removed_at is not None:
        raise ValidationError(_("This channel was already removed."))
    kept = channel.items.count()
    before = audit.snapshot(channel, CHANNEL_FIELDS)
    channel.status, channel.removed_at = Channel.Status.DISCONNECTED, timezone.now()
    channel.credentials = {}
    channel.save(update_fields=["status", "removed_at", "credentials_encrypted"])
    channel_removed.send(sender=Channel, channel=channel)
    audit.record(actor.workspace, actor.user, "channel.remove", channel, before=before,
                 after={"status": channel.status, "credentials": [], "messages_kept": kept})
    return kept


@transaction.atomic
def do_regenerate_webhook_secret(actor: Membership, channel: Channel) -> str:
    """Give a webhook channel a new signing secret and return it (shown once; the old one stops working)."""
    check_perm(actor, roles.MANAGE_CHANNELS)
    if channel.workspace_id != actor.workspace_id:
        raise PermissionDenied
    if channel.network != "webhook":
        raise ValidationError({"network": _("Only a webhook channel has a signing secret to regenerate.")})
    channel = Channel.objects.select_for_update().get(pk=channel.pk)
    secret = secrets.token_urlsafe(32)
    channel.credentials = {**channel.credentials, "secret": secret}
    channel.save(update_fields=["credentials_encrypted"])
    # Never the secret itself in the log: only that it changed.
    audit.record(actor.workspace, actor.user, "channel.webhook_secret_regenerate", channel, after={"credentials": ["secret"]})
    return secret


def record_channel_result(channel_id: int, *, ok: bool, error: str = "") -> None:
    """Store the outcome of a network call on the channel's health (used by tasks).

    ``error`` is kept as its message id and values (see :mod:`comptoir.lib.i18n`): each reader sees it in their language.
    """
    now = timezone.now()
    if ok:
        Channel.objects.filter(pk=channel_id).update(last_success_at=now)
        Channel.objects.filter(pk=channel_id, status=Channel.Status.ERROR).update(status=Channel.Status.ACTIVE)
    else:
        code, params = code_and_params(error)
        Channel.objects.filter(pk=channel_id).update(last_error_at=now, last_error_code=code[:2000], last_error_params=params)
        Channel.objects.filter(pk=channel_id, status=Channel.Status.ACTIVE).update(status=Channel.Status.ERROR)


def record_channel_credentials(channel_id: int, credentials: dict) -> None:
    """Store credentials a connector refreshed during a call (a new session), encrypted like all
    credentials (used by tasks). The network renewed them, not a person: nothing for the activity log."""
    Channel.objects.filter(pk=channel_id).update(credentials_encrypted=crypto.encrypt_json(credentials))


# Account and tokens ---------------------------------------------------------------------------


@transaction.atomic
def do_update_account(user: User, data: dict) -> User:
    before = audit.snapshot(user, ["full_name", "language", "time_zone"])
    if "full_name" in data:
        user.full_name = _clean_line(data["full_name"], "full_name", 150, required=False)
    if "language" in data:
        if data["language"] not in ("fr", "en"):
            raise ValidationError({"language": _("Choose French (fr) or English (en).")})
        user.language = data["language"]
    if "time_zone" in data:
        try:
            validate_time_zone(str(data["time_zone"] or "")[:64])
        except ValidationError as exc:
            raise ValidationError({"time_zone": exc.messages}) from exc
        user.time_zone = data["time_zone"]
    user.save()
    after = audit.snapshot(user, ["full_name", "language", "time_zone"])
    if before != after:
        audit.record(None, user, "account.update", user, before=before, after=after)
    return user


@transaction.atomic
def do_set_password(user: User, password: str, *, reason: str, keep_api_tokens: bool = False) -> int:
    """Set a new password (already validated) after a change or a reset; returns how many API tokens it revoked.

    A reset always revokes them (whoever reset the password may not be whoever made the tokens); a
    change revokes them unless ``keep_api_tokens``. A reset also lifts the account's log-in lock-out.
    """
    from . import throttle

    if reason not in ("change", "reset"):
        raise ValueError(f"unknown reason for a new password: {reason!r}")
    user.set_password(password)
    user.save(update_fields=["password"])
    revoked = 0
    if reason == "reset" or not keep_api_tokens:
        now = timezone.now()
        for token in user.api_tokens.select_related("workspace").filter(revoked_at__isnull=True):
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit.record(token.workspace, user, "api_token.revoke", token, before={"active": True},
                         after={"active": False, "because": f"password_{reason}"})
            revoked += 1
    if reason == "reset":
        throttle.clear([*throttle.login_keys(user.email, ""), (throttle.Scope.RESET_ACCOUNT, user.email.lower())])
    audit.record(None, user, f"account.password_{reason}", user, object_repr=user.email, after={"api_tokens_revoked": revoked})
    return revoked


@transaction.atomic
def do_create_api_token(user: User, workspace: Workspace, name: str) -> tuple[ApiToken, str]:
    name = _clean_line(name, "name", 80)
    membership = Membership.objects.filter(user=user, workspace=workspace).first()
    if membership is None:
        raise ValidationError({"workspace": _("You are not a member of this workspace.")})
    raw, prefix, key_hash = ApiToken.new_secret()
    token = ApiToken.objects.create(user=user, workspace=workspace, name=name, key_prefix=prefix, key_hash=key_hash)
    audit.record(workspace, user, "api_token.create", token, after={"name": name, "prefix": prefix})
    return token, raw


@transaction.atomic
def do_revoke_api_token(user: User, token: ApiToken) -> None:
    if token.user_id != user.pk:
        raise PermissionDenied
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(token.workspace, user, "api_token.revoke", token, before={"active": True}, after={"active": False})


def note_failed_login(email: str, address: str) -> int:
    """After a refused password: the wait now in force (seconds). A lock-out it starts is logged, and
    written to the account's activity log when such an account exists."""
    from . import throttle

    keys = throttle.login_keys(email, address)
    rows = throttle.locked(keys)
    for row in rows:
        logger.warning("Log-in locked for %s %s after %d failures, until %s (last attempt from %s)",
                       row.scope, row.key, row.failures, row.locked_until.isoformat(), address or "?")
        user = User.objects.filter(email__iexact=email).first() if row.scope == throttle.Scope.LOGIN_ACCOUNT else None
        if user is not None:
            audit.record(None, None, "account.login_locked", user, object_repr=user.email, after={
                "failures": row.failures, "locked_until": row.locked_until.isoformat(), "address": address})
    return throttle.wait_for(keys)


def touch_api_token(token: ApiToken) -> None:
    # Limit writes: a token used constantly is touched at most once a minute.
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def audit_events_for(membership: Membership):
    check_perm(membership, roles.VIEW_AUDIT)
    return AuditEvent.objects.filter(workspace_id=membership.workspace_id).select_related("actor")


def encrypt_probe() -> bool:
    """True when the configured encryption key works (used by the start-up check)."""
    return crypto.decrypt_json(crypto.encrypt_json({"probe": 1})) == {"probe": 1}
