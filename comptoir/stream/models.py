import unicodedata
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.connectors.base import ItemKind
from comptoir.lib.i18n import StoredMessage


class SourceQuerySet(models.QuerySet):
    def current(self):
        """Sources not removed. A removed source stays as a row: the messages it brought keep their origin."""
        return self.filter(removed_at__isnull=True)

    def removed(self):
        return self.filter(removed_at__isnull=False)


class Source(models.Model):
    """Something we poll: a connected channel or a listening source (feed, web page…).

    ``next_poll_at`` is the schedule; the clock claims due sources by moving it forward.
    Removing a source (or its channel) sets ``removed_at`` and stops polling; nothing it brought
    is deleted. Only the owner's explicit erase (``actions.do_erase_messages``) deletes messages.
    """

    class Status(models.TextChoices):
        OK = "ok", _("Healthy")
        FAILING = "failing", _("Failing")
        PAUSED = "paused", _("Paused")
        NEW = "new", _("Not polled yet")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="sources")
    # RESTRICT, never CASCADE: what came in through a channel is the community's history (only the
    # deletion of the whole workspace takes it along).
    channel = models.OneToOneField("workspaces.Channel", null=True, blank=True, on_delete=models.RESTRICT, related_name="source")
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
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    objects = SourceQuerySet.as_manager()

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


# The Fil filters on these columns; each has an index ending with the order, so a filtered page is a range scan.
FILTER_COLUMNS = ("kind", "language", "sentiment", "intent", "toxicity", "spam", "complaint")


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
    source = models.ForeignKey(Source, on_delete=models.RESTRICT, related_name="items")
    channel = models.ForeignKey("workspaces.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    external_id = models.CharField(max_length=500)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    author = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="items")
    title = models.CharField(_("title"), max_length=500, blank=True)
    text = models.TextField(_("text"), blank=True)
    url = models.URLField(max_length=2000, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    published_at = models.DateTimeField(_("published"), null=True, blank=True, db_index=True)
    fetched_at = models.DateTimeField(_("fetched"), default=timezone.now)
    parent_external_id = models.CharField(max_length=500, blank=True)
    thread_external_id = models.CharField(max_length=500, blank=True)
    engagement = models.JSONField(default=dict, blank=True)
    raw = models.JSONField(default=dict, blank=True)
    # What understanding read in it (filled by the ``analyse_items`` task).
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    toxicity = models.CharField(_("toxicity"), max_length=10, blank=True)
    toxicity_category = models.CharField(max_length=20, blank=True)
    spam = models.CharField(_("spam"), max_length=10, blank=True)
    complaint = models.CharField(_("complaint"), max_length=10, blank=True)
    intent = models.CharField(_("intent"), max_length=20, blank=True)
    topics = models.JSONField(default=list, blank=True)
    scores = models.JSONField(default=dict, blank=True)
    model_version = models.CharField(max_length=40, blank=True)
    analysed_at = models.DateTimeField(null=True, blank=True)
    # The Fil's order in one column (publication second, then id; see search.sort_key): keyset pages and
    # the search index's row id. Set when the item is stored (search.index_items).
    sort_key = models.BigIntegerField(null=True, blank=True, editable=False)
    # Seen and dealt with by someone of the team (the Fil's "to review" is what is not).
    reviewed = models.BooleanField(_("reviewed"), default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey("workspaces.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tags = models.ManyToManyField("Tag", through="ItemTag", related_name="items", blank=True)

    class Meta:
        ordering = ["-sort_key"]
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="one_item_per_source_and_id")]
        indexes = [
            models.Index(fields=["workspace", "-sort_key"], name="item_ws_order"),
            models.Index(fields=["workspace", "source", "-sort_key"], name="item_source_order"),
            models.Index(fields=["workspace", "author", "-sort_key"], name="item_author_order"),
            models.Index(fields=["workspace", "reviewed", "-sort_key"], name="item_ws_reviewed_order"),
            *[models.Index(fields=["workspace", name, "-sort_key"], name=f"item_ws_{name}_order")
              for name in FILTER_COLUMNS],
        ]

    def __str__(self) -> str:
        return self.title or self.text[:80]

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        # Whatever changed (a label, a date), the Fil's order and the search index follow; bulk writes
        # (ingestion, analysis) call index_items themselves.
        from .search import index_items

        index_items([self.pk])
        self.refresh_from_db(fields=["sort_key"])

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
    item = models.ForeignKey(Item, on_delete=models.RESTRICT, related_name="corrections")
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


class Tag(models.Model):
    """A word the team puts on messages to find them again (a campaign, a topic, "à relayer")."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(_("name"), max_length=50)
    key = models.CharField(max_length=50, editable=False)  # the name case-folded: "À relayer" and "à RELAYER" are one tag
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="one_tag_name_per_workspace")]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def key_of(name: str) -> str:
        return unicodedata.normalize("NFC", name).casefold()[:50]


class ItemTag(models.Model):
    """A tag on a message: who put it, when. It leaves with the message or the tag, nothing else."""

    item = models.ForeignKey(Item, on_delete=models.CASCADE, related_name="item_tags")
    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="item_tags")
    tagged_by = models.ForeignKey("workspaces.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tagged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "tag"], name="one_tag_per_item")]
        indexes = [models.Index(fields=["tag", "item"], name="itemtag_tag_item")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.item_id}"


class SavedView(models.Model):
    """A person's saved filters of a list screen (their own; the built-in views are for everyone)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="saved_views")
    user = models.ForeignKey("workspaces.User", on_delete=models.CASCADE, related_name="saved_views")
    # Which screen of the one list ("stream" for the Fil, "mentions" for listening…): each has its own views.
    screen = models.CharField(max_length=30, default="stream")
    name = models.CharField(_("name"), max_length=60)
    query = models.CharField(max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "user", "screen", "name"],
                                               name="one_view_name_per_user_and_screen")]

    def __str__(self) -> str:
        return self.name


class HostThrottle(models.Model):
    """When the next request to a host may start: shared by every worker, claimed with compare-and-set."""

    host = models.CharField(max_length=255, unique=True)
    next_allowed_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.host
