"""Listening (veille): topics of watch and their queries, the mentions they find, alerts, crises, curation.

A mention is a message of the stream (``stream.Item``) that one of a topic's queries matched: the message
itself stays in the stream, whatever happens to the topic. Deleting a topic forgets which messages it had
matched (they can be matched again); it never deletes a message.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_QUERY_LENGTH = 2000


class Topic(models.Model):
    """What the workspace watches: the brand, a competitor, a theme, a person."""

    class Kind(models.TextChoices):
        BRAND = "brand", _("Brand")
        COMPETITOR = "competitor", _("Competitor")
        THEME = "theme", _("Theme")
        PERSON = "person", _("Person")

    COLORS = ["#2f6fdf", "#d9480f", "#2b8a3e", "#7048e8", "#c2255c", "#0c8599", "#e67700", "#495057"]

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="topics")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.BRAND)
    color = models.CharField(_("colour"), max_length=7, default="#2f6fdf")
    description = models.TextField(_("description"), blank=True, max_length=2000)
    # Empty: the queries read every message of the workspace; otherwise only those of these sources.
    sources = models.ManyToManyField("stream.Source", blank=True, related_name="topics", verbose_name=_("sources"))
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="listening_topic_unique_name")]

    def __str__(self) -> str:
        return self.name


class TopicQuery(models.Model):
    """One Boolean query of a topic, as typed and as normalised (what the matcher compiles)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="+")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="queries")
    text = models.TextField(_("query"), max_length=MAX_QUERY_LENGTH)
    normalised = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["topic", "pk"]

    def __str__(self) -> str:
        return self.text


class Mention(models.Model):
    """A message a topic's query matched. ``sort_key`` copies the message's, so a topic's mentions page by key."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="mentions")
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="mentions")
    item = models.ForeignKey("stream.Item", on_delete=models.CASCADE, related_name="mentions")
    sort_key = models.BigIntegerField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    sentiment = models.CharField(max_length=10, blank=True)
    # The audience the network reports for the author (followers) plus the message's interactions.
    reach = models.PositiveBigIntegerField(default=0)
    matched_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["topic", "item"], name="listening_mention_unique")]
        indexes = [
            models.Index(fields=["topic", "sort_key"], name="listening_mention_topic_key"),
            models.Index(fields=["workspace", "published_at"], name="listening_mention_ws_time"),
            models.Index(fields=["item"], name="listening_mention_item"),
        ]

    def __str__(self) -> str:
        return f"{self.topic_id}:{self.item_id}"

class AlertRule(models.Model):
    """When to warn the team: a volume spike, a surge of negative mentions, a watched author or keyword."""

    class Kind(models.TextChoices):
        SPIKE = "spike", _("Volume spike")
        NEGATIVE = "negative", _("Negative surge")
        AUTHOR = "author", _("Watched author")
        KEYWORD = "keyword", _("Watched keyword")

    class Sensitivity(models.TextChoices):
        LOW = "low", _("Low (only big spikes)")
        MEDIUM = "medium", _("Medium")
        HIGH = "high", _("High (small spikes too)")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="alert_rules")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.SPIKE)
    # None: every mention of the workspace.
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.CASCADE, related_name="alert_rules",
                              verbose_name=_("topic"))
    sensitivity = models.CharField(_("sensitivity"), max_length=10, choices=Sensitivity.choices, default=Sensitivity.MEDIUM)
    min_mentions = models.PositiveIntegerField(_("at least this many mentions in the hour"), default=10)
    value = models.CharField(_("author or keyword query"), max_length=MAX_QUERY_LENGTH, blank=True)
    email = models.BooleanField(_("also by e-mail"), default=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The schedule is this row: the clock claims rules whose check is due (None: never, e.g. disabled).
    next_check_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    # A watched author or keyword reads only what is new: the last mention (with a topic) or message
    # (without) it has read.
    cursor = models.BigIntegerField(default=0)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Alert(models.Model):
    """One incident a rule saw: opened once, then updated as it grows (never one alert per new mention)."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        ACKNOWLEDGED = "acknowledged", _("Acknowledged")
        CLOSED = "closed", _("Closed")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="alerts")
    rule = models.ForeignKey(AlertRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    kind = models.CharField(max_length=20, choices=AlertRule.Kind.choices)
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="alerts")
    status = models.CharField(_("status"), max_length=15, choices=Status.choices, default=Status.OPEN)
    started_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    # What was measured: mentions in the last hour (or matching), the hour's usual level, the peak so far.
    count = models.PositiveIntegerField(default=0)
    baseline = models.FloatField(default=0)
    peak = models.PositiveIntegerField(default=0)
    detail = models.JSONField(default=dict, blank=True)
    items = models.ManyToManyField("stream.Item", blank=True, related_name="+")
    emailed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="+")
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    # The incident is over (quiet again for a while): the next one opens a new alert.
    ended_at = models.DateTimeField(null=True, blank=True)
    # It grew well past what the first e-mail said: the team got a second one.
    escalated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-updated_at"]
        indexes = [models.Index(fields=["workspace", "status"], name="listening_alert_ws_status")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.started_at:%Y-%m-%d %H:%M})"

class PlaybookStep(models.Model):
    """The workspace's crisis playbook: who to call, holding statements, things to do. Copied into each incident."""

    class Kind(models.TextChoices):
        CALL = "call", _("Who to call")
        STATEMENT = "statement", _("Holding statement")
        ACTION = "action", _("Action")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="playbook_steps")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.ACTION)
    title = models.CharField(_("title"), max_length=200)
    detail = models.TextField(_("detail"), blank=True, max_length=5000)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title


class Incident(models.Model):
    """Crisis mode: the mentions of a bad buzz collected in one place, the playbook followed, a retrospective."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CLOSED = "closed", _("Closed")

    class Severity(models.TextChoices):
        WATCH = "watch", _("Watch")
        SERIOUS = "serious", _("Serious")
        CRISIS = "crisis", _("Crisis")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="incidents")
    title = models.CharField(_("title"), max_length=200)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.SERIOUS)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    alert = models.ForeignKey(Alert, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    topic = models.ForeignKey(Topic, null=True, blank=True, on_delete=models.SET_NULL, related_name="incidents")
    # Mentions of the topic since this moment are collected by themselves; others are added by hand.
    collect_since = models.DateTimeField(null=True, blank=True)
    opened_at = models.DateTimeField(default=timezone.now)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    summary = models.TextField(_("what happened"), blank=True, max_length=20000)
    lessons = models.TextField(_("what we learned"), blank=True, max_length=20000)
    items = models.ManyToManyField("stream.Item", through="IncidentItem", blank=True, related_name="+")

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return self.title


class IncidentItem(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="incident_items")
    item = models.ForeignKey("stream.Item", on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["incident", "item"], name="listening_incident_item_unique")]

    def __str__(self) -> str:
        return f"{self.incident_id}:{self.item_id}"

class IncidentStep(models.Model):
    """A playbook step as followed in one incident: done or not, by whom, with a note."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=PlaybookStep.Kind.choices, default=PlaybookStep.Kind.ACTION)
    title = models.CharField(max_length=200)
    detail = models.TextField(blank=True, max_length=5000)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    note = models.TextField(blank=True, max_length=5000)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.title

class Curation(models.Model):
    """A mention or an article kept "to share", with the team's note; later a draft post in one click."""

    class Status(models.TextChoices):
        TO_SHARE = "to_share", _("To share")
        DRAFTED = "drafted", _("Drafted")
        SHARED = "shared", _("Shared")
        DROPPED = "dropped", _("Dropped")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="curations")
    # The message stays optional: an erased message leaves the saved title, link and excerpt behind.
    item = models.ForeignKey("stream.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="curations")
    title = models.CharField(_("title"), max_length=500, blank=True)
    url = models.URLField(_("link"), max_length=2000, blank=True)
    excerpt = models.TextField(_("excerpt"), blank=True, max_length=5000)
    note = models.TextField(_("note"), blank=True, max_length=5000)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.TO_SHARE)
    draft = models.TextField(_("draft post"), blank=True, max_length=10000)
    saved_at = models.DateTimeField(default=timezone.now)
    saved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-saved_at"]
        constraints = [models.UniqueConstraint(fields=["workspace", "item"], condition=models.Q(item__isnull=False),
                                               name="listening_curation_unique_item")]

    def __str__(self) -> str:
        return self.title or self.excerpt[:60]
