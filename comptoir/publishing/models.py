"""Publishing: content requests, posts and their per-channel variants, approvals, calendar, delivery.

The app owns the state machines; connectors only talk to the networks. A post is the editorial
unit (one idea, one master text, one approval); a variant is what goes out on one channel, and
carries the delivery state: ``scheduled → claimed(attempt_id) → sent(remote_id) | failed | unknown``.

Nothing here cascades from a channel: a removed channel leaves its variants (and what they
published) in place, with the channel set to null and its network remembered.
"""

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.lib.i18n import StoredMessage

MAX_TEXT_LENGTH = 20_000


class Campaign(models.Model):
    """A group of posts with a colour on the calendar (a launch, an event, a season)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="campaigns")
    name = models.CharField(_("name"), max_length=120)
    color = models.CharField(_("colour"), max_length=7, default="#7048e8")
    starts_on = models.DateField(_("starts on"), null=True, blank=True)
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    utm_campaign = models.SlugField(_("UTM campaign"), max_length=80, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        ordering = ["-starts_on", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="publishing_campaign_unique_name")]

    def __str__(self) -> str:
        return self.name


class ContentRequest(models.Model):
    """A colleague's request for content (intake), triaged by the CM on the board."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        ACCEPTED = "accepted", _("Accepted")
        IN_PROGRESS = "in_progress", _("In progress")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHED = "published", _("Published")
        DECLINED = "declined", _("Declined")

    class Goal(models.TextChoices):
        AWARENESS = "awareness", _("Awareness")
        ENGAGEMENT = "engagement", _("Engagement")
        TRAFFIC = "traffic", _("Traffic to a page")
        REGISTRATIONS = "registrations", _("Registrations or sales")
        RECRUITMENT = "recruitment", _("Recruitment")
        INFORMATION = "information", _("Service information")
        CRISIS = "crisis", _("Crisis or urgent information")

    class Audience(models.TextChoices):
        NICHE = "niche", _("A small group (under 1,000 people)")
        COMMUNITY = "community", _("Our community (1,000 to 10,000)")
        BROAD = "broad", _("The general public (over 10,000)")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="content_requests")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    goal = models.CharField(_("goal"), max_length=20, choices=Goal.choices, default=Goal.AWARENESS)
    audience = models.CharField(_("audience"), max_length=20, choices=Audience.choices, default=Audience.COMMUNITY)
    audience_detail = models.CharField(_("who exactly"), max_length=500, blank=True)
    key_message = models.TextField(_("key message"), max_length=5000)
    desired_at = models.DateTimeField(_("desired publication date"), null=True, blank=True)
    deadline = models.DateTimeField(_("deadline"), null=True, blank=True)
    channels = models.ManyToManyField("workspaces.Channel", blank=True, related_name="+", verbose_name=_("channels wished"))
    links = models.TextField(_("links"), blank=True, max_length=5000)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True)
    decline_reason = models.TextField(_("reason for declining"), blank=True, max_length=2000)
    # The CM may override the computed priority (0–100); the reason is shown next to it.
    priority_override = models.PositiveSmallIntegerField(_("priority set by the CM"), null=True, blank=True)
    priority_override_reason = models.CharField(_("why"), max_length=300, blank=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("assigned to"))
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "status", "created_at"], name="publishing_request_board")]

    def __str__(self) -> str:
        return self.title


def request_attachment_path(instance, filename: str) -> str:
    return f"requests/{instance.request.workspace_id}/{uuid.uuid4().hex}/{filename[-100:]}"


def media_asset_path(instance, filename: str) -> str:
    return f"media/{instance.workspace_id}/{uuid.uuid4().hex}/{filename[-100:]}"


class RequestAttachment(models.Model):
    request = models.ForeignKey(ContentRequest, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=request_attachment_path, max_length=300)
    filename = models.CharField(max_length=200)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.filename


class RequestComment(models.Model):
    """The discussion on a request between the requester and the team; system lines record status changes."""

    request = models.ForeignKey(ContentRequest, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    # A status change is shown as a line of the discussion, stored as message id + values.
    event_code = models.TextField(blank=True)
    event_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    event = StoredMessage("event_code", "event_params")

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


class MediaAsset(models.Model):
    """An image or a video file of the workspace's library, with its alt text."""

    class Kind(models.TextChoices):
        IMAGE = "image", _("Image")
        VIDEO = "video", _("Video")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="media_assets")
    file = models.FileField(upload_to=media_asset_path, max_length=300)
    filename = models.CharField(_("file name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField(default=0)
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    alt_text = models.TextField(_("alt text"), blank=True, max_length=1500)
    title = models.CharField(_("title"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        # The same file is stored once per workspace (an upload of it again offers the existing one).
        constraints = [models.UniqueConstraint(fields=["workspace", "sha256"], condition=~models.Q(sha256=""),
                                               name="publishing_media_unique_file")]

    def __str__(self) -> str:
        return self.title or self.filename


class Post(models.Model):
    """One idea to publish: a master text, one variant per channel, one approval, one date."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("Awaiting approval")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")
        APPROVED = "approved", _("Approved")
        SCHEDULED = "scheduled", _("Scheduled")
        PUBLISHING = "publishing", _("Publishing")
        PUBLISHED = "published", _("Published")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="posts")
    title = models.CharField(_("internal title"), max_length=200, blank=True)
    master_text = models.TextField(_("text"), blank=True, max_length=MAX_TEXT_LENGTH)
    link = models.URLField(_("link"), max_length=2000, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT, db_index=True)
    publish_at = models.DateTimeField(_("publication date"), null=True, blank=True, db_index=True)
    # Past this delay after publish_at, a post that could not go out is not sent: it is marked late and the CM told.
    late_after_minutes = models.PositiveIntegerField(_("lateness limit (minutes)"), default=60)
    request = models.ForeignKey(ContentRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts",
                                verbose_name=_("request"))
    campaign = models.ForeignKey(Campaign, null=True, blank=True, on_delete=models.SET_NULL, related_name="posts",
                                 verbose_name=_("campaign"))
    # Where the idea came from when it was drafted from listening's curation (kept if the message is erased).
    from_item = models.ForeignKey("stream.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    from_url = models.URLField(max_length=2000, blank=True)
    utm_campaign = models.CharField(_("UTM campaign"), max_length=80, blank=True)
    # Evergreen: published again every N weeks (a new post per occurrence), variants' alternates in rotation.
    repeat_every_weeks = models.PositiveSmallIntegerField(_("publish again every (weeks)"), null=True, blank=True)
    repeat_until = models.DateField(_("until"), null=True, blank=True)
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="occurrences")
    occurrence = models.PositiveIntegerField(default=0)
    next_repeat_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Every edit of the content bumps the version; approval is given to one version.
    version = models.PositiveIntegerField(default=1)
    approved_version = models.PositiveIntegerField(null=True, blank=True)
    current_stage = models.ForeignKey("ApprovalStage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-publish_at", "-created_at"]
        indexes = [models.Index(fields=["workspace", "publish_at"], name="publishing_post_calendar")]

    def __str__(self) -> str:
        return self.title or self.master_text[:60]


class Variant(models.Model):
    """What goes out on one channel, and the state of its delivery.

    ``state``: pending (not armed: the post is not scheduled) → scheduled → claimed (an attempt
    holds it) → sent | failed | unknown | late; cancelled when the post is unscheduled.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("Not scheduled")
        SCHEDULED = "scheduled", _("Scheduled")
        CLAIMED = "claimed", _("Sending")
        SENT = "sent", _("Published")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        LATE = "late", _("Not sent: too late")
        CANCELLED = "cancelled", _("Cancelled")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="variants")
    channel = models.ForeignKey("workspaces.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    network = models.CharField(max_length=40)
    # Empty: the post's master text.
    text = models.TextField(_("text for this channel"), blank=True, max_length=MAX_TEXT_LENGTH)
    title = models.CharField(_("title"), max_length=300, blank=True)
    content_warning = models.CharField(_("content warning"), max_length=500, blank=True)
    visibility = models.CharField(_("visibility"), max_length=20, blank=True)
    options = models.JSONField(default=dict, blank=True)
    media = models.ManyToManyField(MediaAsset, through="VariantMedia", blank=True, related_name="variants")
    # Evergreen rotation: other texts used in turn by the occurrences.
    alternates = models.JSONField(default=list, blank=True)

    state = models.CharField(_("delivery"), max_length=12, choices=State.choices, default=State.PENDING, db_index=True)
    # When the clock should next look at it (publish_at, then retry times); null when nothing is due.
    due_at = models.DateTimeField(null=True, blank=True)
    # Past this time the variant is not sent any more (late): publish_at + the lateness limit, or the time of a
    # manual "send it now" + the limit.
    not_after = models.DateTimeField(null=True, blank=True)
    attempt_id = models.CharField(max_length=36, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    remote_id = models.CharField(max_length=500, blank=True)
    remote_url = models.URLField(max_length=2000, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error_code = models.TextField(blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    error_at = models.DateTimeField(null=True, blank=True)

    error = StoredMessage("error_code", "error_params")

    class Meta:
        ordering = ["pk"]
        indexes = [models.Index(fields=["state", "due_at"], name="publishing_variant_due")]

    def __str__(self) -> str:
        return f"{self.post} → {self.network}"


class VariantMedia(models.Model):
    variant = models.ForeignKey(Variant, on_delete=models.CASCADE)
    # A media file in use cannot be deleted from the library (archive it instead); deleting the whole workspace
    # takes both along (RESTRICT, not PROTECT).
    asset = models.ForeignKey(MediaAsset, on_delete=models.RESTRICT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return f"{self.variant_id}:{self.asset_id}"


class DeliveryAttempt(models.Model):
    """One try at publishing a variant: its idempotency key and what the network answered."""

    class Outcome(models.TextChoices):
        RUNNING = "running", _("Running")
        SENT = "sent", _("Published")
        FOUND = "found", _("Found already published")
        RETRY = "retry", _("Will retry")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")

    variant = models.ForeignKey(Variant, on_delete=models.CASCADE, related_name="deliveries")
    attempt_id = models.CharField(max_length=36, unique=True)
    idempotency_key = models.CharField(max_length=100)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.RUNNING)
    remote_id = models.CharField(max_length=500, blank=True)
    error_code = models.TextField(blank=True)
    error_params = models.JSONField(default=dict, blank=True)

    error = StoredMessage("error_code", "error_params")

    class Meta:
        ordering = ["started_at", "pk"]

    def __str__(self) -> str:
        return self.attempt_id


class PostVersion(models.Model):
    """A snapshot of a post's content at one version (the history approvers compare)."""

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField(default=dict)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["post", "number"], name="publishing_version_unique")]

    def __str__(self) -> str:
        return f"{self.post_id} v{self.number}"


class ApprovalStage(models.Model):
    """One step of the workspace's approval circuit (e.g. CM, then communication director)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="approval_stages")
    position = models.PositiveSmallIntegerField(default=0)
    name = models.CharField(_("name"), max_length=120)
    # Members who may decide at this stage; none: any owner or community manager.
    approvers = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="+", verbose_name=_("approvers"))

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Approval(models.Model):
    """A decision on one version of a post at one stage."""

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        CHANGES_REQUESTED = "changes_requested", _("Changes requested")

    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="approvals")
    stage = models.ForeignKey(ApprovalStage, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    stage_name = models.CharField(max_length=120, blank=True)
    version = models.PositiveIntegerField()
    decision = models.CharField(max_length=20, choices=Decision.choices)
    comment = models.TextField(blank=True, max_length=5000)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["decided_at", "pk"]

    def __str__(self) -> str:
        return f"{self.post_id} v{self.version} {self.decision}"


class PostComment(models.Model):
    post = models.ForeignKey(Post, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField(max_length=5000)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.body[:60]


def new_link_code() -> str:
    return secrets.token_urlsafe(6)


class ShortLink(models.Model):
    """A tracked short link ``/l/<code>`` to a post's link (with its UTM parameters); clicks are counted."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="short_links")
    code = models.CharField(max_length=20, unique=True, default=new_link_code)
    target_url = models.URLField(max_length=2000)
    post = models.ForeignKey(Post, null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links")
    variant = models.ForeignKey(Variant, null=True, blank=True, on_delete=models.SET_NULL, related_name="short_links")
    clicks = models.PositiveIntegerField(default=0)
    last_click_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        # One short link per variant: publishing again (a retry, a verification) never makes a second code.
        constraints = [models.UniqueConstraint(fields=["variant"], condition=models.Q(variant__isnull=False),
                                               name="publishing_shortlink_one_per_variant")]

    def __str__(self) -> str:
        return self.code


class LinkClickDay(models.Model):
    """Clicks of a short link per day (no address or cookie kept)."""

    link = models.ForeignKey(ShortLink, on_delete=models.CASCADE, related_name="days")
    day = models.DateField()
    clicks = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["link", "day"], name="publishing_click_day_unique")]

    def __str__(self) -> str:
        return f"{self.link_id} {self.day}"


class NotableDate(models.Model):
    """A date of the workspace's own (anniversary, trade fair, general assembly); public holidays and
    world days come from the holidays library and the list shipped in the repo."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="notable_dates")
    day = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    every_year = models.BooleanField(_("every year"), default=False)
    note = models.TextField(_("note"), blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["day", "name"]

    def __str__(self) -> str:
        return self.name


class PublishingSettings(models.Model):
    """The workspace's publishing settings: charter words, UTM defaults, calendar feed secret."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="publishing_settings")
    # One word or expression per line; the pre-flight warns when a post uses one.
    forbidden_words = models.TextField(_("words the charter forbids"), blank=True, max_length=20_000)
    utm_source = models.CharField(_("UTM source"), max_length=80, default="comptoir", blank=True)
    utm_medium = models.CharField(_("UTM medium"), max_length=80, default="social", blank=True)
    add_utm = models.BooleanField(_("add UTM parameters to links"), default=True)
    shorten_links = models.BooleanField(_("use tracked short links"), default=True)
    late_after_minutes = models.PositiveIntegerField(_("default lateness limit (minutes)"), default=60)
    # The iCalendar feed's secret address; only its hash is stored, regenerating it breaks the old one.
    ical_token_hash = models.CharField(max_length=64, blank=True)
    ical_token_prefix = models.CharField(max_length=12, blank=True)

    def __str__(self) -> str:
        return f"publishing settings of {self.workspace_id}"
