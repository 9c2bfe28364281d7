import hashlib
import secrets
import zoneinfo
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.lib import crypto
from comptoir.lib.i18n import StoredMessage

from .roles import Role

LANGUAGE_CHOICES = [("fr", _("French")), ("en", _("English"))]
DEFAULT_TIME_ZONE = "Europe/Paris"


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(
            _("“%(value)s” is not a known time zone. Use a name such as Europe/Paris or America/Montreal."),
            params={"value": value[:60]},
            code="invalid_time_zone",
        )


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra):
        if not email:
            raise ValueError("An e-mail address is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra):
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email, password=None, **extra):
        extra.update(is_staff=True, is_superuser=True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person who logs in. Signs in with an e-mail address; language and time zone are personal."""

    username = None
    first_name = None
    last_name = None
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, default="fr")
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])
    last_workspace = models.ForeignKey("Workspace", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    @property
    def initials(self) -> str:
        parts = (self.full_name or self.email).replace("@", " ").split()
        return "".join(p[0] for p in parts[:2]).upper() or "?"


class Workspace(models.Model):
    """One brand, association or agency client: everything else belongs to a workspace."""

    class Kind(models.TextChoices):
        BRAND = "brand", _("Brand or company")
        ASSOCIATION = "association", _("Association")
        AGENCY_CLIENT = "agency_client", _("Agency client")
        PUBLIC = "public", _("Public service")

    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("short name"), max_length=60, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BRAND)
    language = models.CharField(_("main language of the community"), max_length=8, choices=LANGUAGE_CHOICES, default="fr")
    time_zone = models.CharField(_("time zone"), max_length=64, default=DEFAULT_TIME_ZONE, validators=[validate_time_zone])
    description = models.TextField(_("description"), blank=True, max_length=2000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    is_demo = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("workspace")

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="one_membership_per_user")]
        ordering = ["workspace", "user__email"]

    def __str__(self) -> str:
        return f"{self.user} · {self.workspace} · {self.role}"


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class Invitation(models.Model):
    """An e-mail invitation to join a workspace with a role. Only the token's hash is stored."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField(_("e-mail address"))
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    VALID_FOR = timedelta(days=14)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} → {self.workspace}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        raw = secrets.token_urlsafe(32)
        return raw, _hash_token(raw)

    @classmethod
    def find(cls, raw: str) -> "Invitation | None":
        if not raw or len(raw) > 100:
            return None
        return cls.objects.select_related("workspace", "invited_by").filter(token_hash=_hash_token(raw)).first()

    @property
    def is_pending(self) -> bool:
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > timezone.now()

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "pending"


class AuditEvent(models.Model):
    """Who did what, when, with the state before and after. Written by every ``do_*`` action."""

    workspace = models.ForeignKey(Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_label = models.CharField(max_length=200, blank=True)
    action = models.CharField(max_length=80, db_index=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    via = models.CharField(max_length=10, default="web")  # web, api, cli, system
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class ChannelQuerySet(models.QuerySet):
    def connected(self):
        """Channels not removed: removed ones stay as rows so that what came through them keeps its origin."""
        return self.filter(removed_at__isnull=True)

    def removed(self):
        return self.filter(removed_at__isnull=False)


class Channel(models.Model):
    """A connected account of ours on a network. Its secrets are encrypted at rest.

    Removing a channel never deletes the row: it is disconnected (``removed_at`` set, credentials
    erased) and the messages that came through it stay, shown as "from a removed channel".
    """

    class Status(models.TextChoices):
        ACTIVE = "active", _("Connected")
        PAUSED = "paused", _("Paused")
        ERROR = "error", _("Error")
        DISCONNECTED = "disconnected", _("Disconnected")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="channels")
    network = models.CharField(_("network"), max_length=40)
    handle = models.CharField(_("account"), max_length=200)
    label = models.CharField(_("label"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.ACTIVE)
    language = models.CharField(_("language"), max_length=8, choices=LANGUAGE_CHOICES, blank=True)
    config = models.JSONField(default=dict, blank=True)
    credentials_encrypted = models.TextField(blank=True, editable=False)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # The last error as its untranslated message id and values: shown in the reader's language.
    last_error_code = models.TextField(_("last error"), blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = ChannelQuerySet.as_manager()

    last_error = StoredMessage("last_error_code", "last_error_params")

    class Meta:
        ordering = ["network", "handle"]
        constraints = [models.UniqueConstraint(fields=["workspace", "network", "handle"], name="one_channel_per_account")]

    def __str__(self) -> str:
        return self.label or f"{self.network_label} · {self.handle}"

    @property
    def network_label(self) -> str:
        from comptoir.connectors.base import registered_networks

        cls = registered_networks().get(self.network)
        return str(cls.label) if cls and cls.label else self.network.title()

    @property
    def credentials(self) -> dict:
        return crypto.decrypt_json(self.credentials_encrypted)

    @credentials.setter
    def credentials(self, value: dict) -> None:
        self.credentials_encrypted = crypto.encrypt_json(value or {})

    @property
    def webhook_path(self) -> str:
        """Where a webhook channel receives its signed requests (empty for other networks)."""
        return reverse("webhook_receive", args=[self.pk]) if self.network == "webhook" and self.pk else ""

    def connector(self):
        from comptoir.connectors.base import get_connector_class

        return get_connector_class(self.network)(config=self.config, credentials=self.credentials)


class ApiToken(models.Model):
    """A personal API token for one workspace. The secret is shown once; only its hash is kept."""

    PREFIX = "cpt_"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    key_prefix = models.CharField(max_length=16)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"

    @classmethod
    def new_secret(cls) -> tuple[str, str, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        return raw, raw[:12], _hash_token(raw)

    @classmethod
    def authenticate(cls, raw: str) -> "ApiToken | None":
        if not raw or not raw.startswith(cls.PREFIX) or len(raw) > 200:
            return None
        token = (
            cls.objects.select_related("user", "workspace")
            .filter(key_hash=_hash_token(raw), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        return token


class AuthThrottle(models.Model):
    """Failed authentication attempts for one account or client address, and until when the next one waits.

    In the database, not in memory, so that every web worker sees the same counters.
    """

    class Scope(models.TextChoices):
        LOGIN_ACCOUNT = "login_account"
        LOGIN_ADDRESS = "login_address"
        TOKEN_ADDRESS = "token_address"  # noqa: S105 (a scope name, not a secret)
        RESET_ACCOUNT = "reset_account"
        RESET_ADDRESS = "reset_address"

    scope = models.CharField(max_length=20, choices=Scope.choices)
    key = models.CharField(max_length=254)
    failures = models.PositiveIntegerField(default=0)
    last_failure_at = models.DateTimeField(null=True, blank=True, db_index=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="one_throttle_per_scope_and_key")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}: {self.failures}"


class Notification(models.Model):
    """Something a member should see: shown under the top bar's bell, and e-mailed when it asks to be.

    The text is stored as message id + values and rendered in the reader's language.
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="notifications")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=40)
    message_code = models.TextField()
    message_params = models.JSONField(default=dict, blank=True)
    url = models.CharField(max_length=500, blank=True)
    # Notifications about the same thing (a post, a request) replace each other's unread copy.
    key = models.CharField(max_length=120, blank=True)
    is_alarm = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)

    message = StoredMessage("message_code", "message_params")

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "workspace", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id}"
