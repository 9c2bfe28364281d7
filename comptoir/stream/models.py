from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.connectors.base import ItemKind
from comptoir.lib.i18n import StoredMessage


class Source(models.Model):
    """Something we poll: a connected channel or a listening source (feed, web page…).

    ``next_poll_at`` is the schedule; the clock claims due sources by moving it forward.
    """

    class Status(models.TextChoices):
        OK = "ok", _("Healthy")
        FAILING = "failing", _("Failing")
        PAUSED = "paused", _("Paused")
        NEW = "new", _("Not polled yet")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="sources")
    channel = models.OneToOneField("workspaces.Channel", null=True, blank=True, on_delete=models.CASCADE, related_name="source")
    network = models.CharField(_("network"), max_length=40)
    label = models.CharField(_("label"), max_length=200)
    config = models.JSONField(default=dict, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    cursor = models.JSONField(default=dict, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    poll_interval_seconds = models.PositiveIntegerField(_("poll every (seconds)"), default=300)
    next_poll_at = models.DateTimeField(null=True, blank=True, db_index=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(_("last success"), null=True, blank=True)
    last_error_at = models.DateTimeField(_("last error at"), null=True, blank=True)
    # The last error as its untranslated message id and values: shown in the reader's language.
    last_error_code = models.TextField(_("last error"), blank=True)
    last_error_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    last_error = StoredMessage("last_error_code", "last_error_params")

    MAX_BACKOFF = timedelta(hours=6)
    CLAIM_LEASE = timedelta(minutes=10)

    class Meta:
        ordering = ["label"]

    def __str__(self) -> str:
        return self.label

    def backoff(self) -> timedelta:
        """Wait before the next try after ``consecutive_failures`` failures: doubles each time, capped."""
        base = timedelta(seconds=self.poll_interval_seconds)
        return min(base * (2 ** min(self.consecutive_failures, 20)), self.MAX_BACKOFF)

    def connector(self):
        if self.channel_id:
            return self.channel.connector()
        from comptoir.connectors.base import get_connector_class

        return get_connector_class(self.network)(config=self.config, credentials={})


class Item(models.Model):
    """Anything that came in: a mention, a comment, a direct message, an e-mail, a forum post.

    Listening, inbox and moderation read items; only ingestion writes them.
    """

    Kind = models.TextChoices("Kind", [(k.value, k.value) for k in ItemKind])
    KIND_LABELS = {
        "post": _("Post"), "comment": _("Comment"), "reply": pgettext_lazy("kind of message", "Reply"), "direct_message": _("Direct message"),
        "email": _("E-mail"), "forum_post": _("Forum post"), "review": _("Review"), "article": _("Article"),
    }

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="items")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="items")
    channel = models.ForeignKey("workspaces.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    external_id = models.CharField(max_length=500)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    author = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True, db_index=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)
    parent_external_id = models.CharField(max_length=500, blank=True)
    thread_external_id = models.CharField(max_length=500, blank=True)
    engagement = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # What understanding read in it (filled by the ``analyse_items`` task).
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True, db_index=True)
    toxicity = models.CharField(_("toxicity"), max_length=10, blank=True)
    toxicity_category = models.CharField(max_length=20, blank=True)
    spam = models.CharField(_("spam"), max_length=10, blank=True)
    complaint = models.CharField(_("complaint"), max_length=10, blank=True)
    intent = models.CharField(_("intent"), max_length=20, blank=True, db_index=True)
    topics = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-published_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="one_item_per_source_and_id")]
        indexes = [models.Index(fields=["workspace", "-published_at"]), models.Index(fields=["workspace", "kind"])]

    def __str__(self) -> str:
        return self.title or self.text[:80]

    @property
    def author_name(self) -> str:
        if self.author_id is None:
            return ""
        return self.author.display_name or self.author.handle

    @property
    def kind_label(self) -> str:
        return str(self.KIND_LABELS.get(self.kind, self.kind))


class LabelCorrection(models.Model):
    """A label a community manager corrected: it fixes the item and becomes training data for the next model."""

    TASKS = {
        "sentiment": ("negative", "neutral", "positive"),
        "toxicity": ("clean", "toxic"),
        "spam": ("ham", "spam"),
        "complaint": ("other", "complaint"),
        "intent": ("complaint", "membership", "question", "praise", "purchase", "other"),
    }

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="label_corrections")
    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="corrections")
    task = models.CharField(max_length=20)
    old_label = models.CharField(max_length=20, blank=True)
    new_label = models.CharField(max_length=20)
    text = models.TextField()
    language = models.CharField(max_length=8, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    corrected_by = models.ForeignKey("workspaces.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.task}: {self.old_label} → {self.new_label}"


class HostThrottle(models.Model):
    """When the next request to a host may start: shared by every worker, claimed with compare-and-set."""

    host = models.CharField(max_length=255, unique=True)
    next_allowed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.host
