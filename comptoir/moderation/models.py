"""Moderation: the charter, the rules that flag messages, the cases of the review queue, the sanctions ladder applied
to a person across their identities, and appeals.

Moderation reads ``stream.Item`` (only ingestion writes items) and acts on the networks through the connectors'
``moderate`` (hide, delete, mute, ban where each network allows it). Nothing here deletes a message of the stream:
"delete" is an action on the network, recorded here; a case keeps a copy of the text it judged. No CASCADE from an item,
a channel or a rule to a case, a sanction or an appeal (SET_NULL), so the history of decisions survives.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from comptoir.lib.i18n import StoredMessage


class ModerationSettings(models.Model):
    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="moderation_settings")
    # A clean period of this many days after a sanction ends lowers the next proposed step by one.
    probation_days = models.PositiveIntegerField(_("probation (days without a new sanction)"), default=90)
    appeal_days = models.PositiveIntegerField(_("days a member has to appeal"), default=14)
    # The charter is public at /charte/<workspace slug>/ when True.
    charter_public = models.BooleanField(_("publish the charter"), default=True)
    ask_acceptance = models.BooleanField(_("ask members to accept the charter"), default=False)

    def __str__(self) -> str:
        return f"moderation settings of {self.workspace_id}"

    @classmethod
    def of(cls, workspace_id: int) -> "ModerationSettings":
        found, _created = cls.objects.get_or_create(workspace_id=workspace_id)
        return found


class CharterVersion(models.Model):
    """One version of the community charter, in French and English Markdown, with numbered articles.

    A draft has no ``published_at``; publishing freezes it (a change is a new version). Articles are read from the
    Markdown headings ("## Article 3 — Respect") and stored in ``articles`` at publication: [{"number": 3,
    "title_fr": "Respect", "title_en": "Respect"}].
    """

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="charter_versions")
    number = models.PositiveIntegerField()
    body_fr = models.TextField(_("charter (French)"), max_length=100_000, blank=True)
    body_en = models.TextField(_("charter (English)"), max_length=100_000, blank=True)
    changes = models.CharField(_("what changed"), max_length=500, blank=True)
    articles = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [models.UniqueConstraint(fields=["workspace", "number"], name="one_charter_version_number")]

    def __str__(self) -> str:
        return f"v{self.number}"


class CharterAcceptance(models.Model):
    """A member accepted a version of the charter (on the public page, or recorded by the team)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="charter_acceptances")
    version = models.ForeignKey(CharterVersion, on_delete=models.RESTRICT, related_name="acceptances")
    identity = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    email = models.EmailField(blank=True)
    name = models.CharField(max_length=200, blank=True)
    accepted_at = models.DateTimeField(default=timezone.now)
    via = models.CharField(max_length=20, default="page")  # page, team, newsletter

    def __str__(self) -> str:
        return f"{self.version_id}: {self.email or self.identity_id}"


class Rule(models.Model):
    """An automatic flag: when a new message matches, do the actions (or only log them in dry-run mode).

    ``params`` per kind — words: {"query": listening query, "lexicons": ["fr_insults", "en_insults"]}; model:
    {"task": "toxicity"|"spam", "category": "" or a toxicity category, "threshold": 0.8}; links: {"max_links": 3,
    "shorteners": true, "new_domains": true}; newcomer: {"first_messages": 3}; flood: {"messages": 5, "minutes": 2};
    repeat: {"copies": 3, "hours": 24}; brigading: {"identities": 5, "minutes": 60, "max_age_days": 7}.
    ``actions``: a list of "flag", "hold", "hide", "delete", "reply", "notify".
    """

    class Kind(models.TextChoices):
        WORDS = "words", _("Watched words and phrases")
        MODEL = "model", _("Model score")
        LINKS = "links", _("Links")
        NEWCOMER = "newcomer", _("Newcomers' first messages")
        FLOOD = "flood", _("Flood")
        REPEAT = "repeat", _("Same text repeated")
        BRIGADING = "brigading", _("Brigading")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="moderation_rules")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=list, blank=True)
    reply_template = models.TextField(_("reply"), max_length=2000, blank=True)
    articles = models.JSONField(default=list, blank=True)  # charter article numbers the rule applies
    dry_run = models.BooleanField(_("dry run: only log what it would do"), default=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    position = models.PositiveIntegerField(default=0)
    caught_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.name


class Case(models.Model):
    """A message in the review queue: why it was flagged, what was done automatically, and the decision.

    One case per item (a second rule adds its reason). ``text`` copies what was judged: the decision stays
    readable if the message is erased later.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        DECIDED = "decided", _("Decided")

    class Decision(models.TextChoices):
        APPROVED = "approved", _("Approved")
        HIDDEN = "hidden", _("Hidden")
        DELETED = "deleted", _("Deleted")
        WARNED = "warned", _("Warned")
        SANCTIONED = "sanctioned", _("Sanctioned")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="moderation_cases")
    item = models.OneToOneField("stream.Item", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="moderation_case")
    text = models.TextField(blank=True)
    url = models.URLField(max_length=2000, blank=True)
    identity = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.ForeignKey("workspaces.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # [{"rule": id, "rule_name": "...", "kind": "words", "detail": "matched “…”", "scores": {"toxicity": 0.93}}]
    reasons = models.JSONField(default=list, blank=True)
    held = models.BooleanField(default=False)  # not visible where the network allows it, until a decision
    decision = models.CharField(_("decision"), max_length=12, choices=Decision.choices, blank=True)
    decision_note = models.TextField(_("note"), max_length=2000, blank=True)
    articles = models.JSONField(default=list, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "status", "-created_at"], name="case_ws_status_created"),
                   models.Index(fields=["workspace", "identity"], name="case_ws_identity"),
                   models.Index(fields=["workspace", "person"], name="case_ws_person")]

    def __str__(self) -> str:
        return self.text[:80]


class AutoAction(models.Model):
    """What a rule did (or, in dry run, would have done) to a message, with the scores that triggered it; undoable."""

    class Result(models.TextChoices):
        DONE = "done", _("Done")
        LOGGED = "logged", _("Dry run: logged only")
        MANUAL = "manual", _("To do by hand")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="moderation_auto_actions")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="auto_actions")
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="auto_actions")
    rule_name = models.CharField(max_length=120, blank=True)
    item = models.ForeignKey("stream.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=10)  # flag, hold, hide, delete, reply, notify
    scores = models.JSONField(default=dict, blank=True)
    detail = models.CharField(max_length=300, blank=True)
    result = models.CharField(max_length=10, choices=Result.choices)
    error_code = models.TextField(blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    at = models.DateTimeField(default=timezone.now)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    error = StoredMessage("error_code", "error_params")

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["workspace", "-at"], name="autoaction_ws_at"),
                   models.Index(fields=["rule", "-at"], name="autoaction_rule_at")]

    def __str__(self) -> str:
        return f"{self.rule_name}: {self.action}"


class LadderStep(models.Model):
    """A rung of the workspace's sanctions ladder (reminder → warning → 24 h mute → 7-day suspension → ban)."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Reminder of the charter")
        WARNING = "warning", _("Warning")
        MUTE = "mute", _("Mute")
        SUSPENSION = "suspension", _("Suspension")
        BAN = "ban", _("Ban")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="ladder_steps")
    position = models.PositiveIntegerField()
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    duration_hours = models.PositiveIntegerField(_("duration (hours)"), null=True, blank=True)  # None: no end
    label = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["workspace", "position"], name="one_ladder_step_per_position")]

    def __str__(self) -> str:
        return self.label


class Sanction(models.Model):
    """A step of the ladder applied to a person (all their identities, on every channel), citing charter articles."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        EXPIRED = "expired", _("Expired")
        LIFTED = "lifted", _("Lifted")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="sanctions")
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="sanctions")
    identity = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="sanctions")
    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.SET_NULL, related_name="sanctions")
    step = models.ForeignKey(LadderStep, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=12, choices=LadderStep.Kind.choices)
    level = models.PositiveIntegerField(default=1)  # the ladder position applied
    label = models.CharField(max_length=80, blank=True)
    articles = models.JSONField(default=list, blank=True)
    charter_version = models.ForeignKey(CharterVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("reason"), max_length=2000, blank=True)
    starts_at = models.DateTimeField(default=timezone.now)
    ends_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    message = models.TextField(_("message to the member"), blank=True)
    message_state = models.CharField(max_length=10, blank=True)  # sent, failed, manual, none
    appeal_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    lifted_at = models.DateTimeField(null=True, blank=True)
    lifted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    lift_reason = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "status", "ends_at"], name="sanction_ws_status_end"),
                   models.Index(fields=["workspace", "person", "-created_at"], name="sanction_ws_person")]

    def __str__(self) -> str:
        return self.label or self.kind


class SanctionExecution(models.Model):
    """A sanction carried out (or to carry out by hand) for one identity on one channel's network."""

    class State(models.TextChoices):
        DONE = "done", _("Done on the network")
        MANUAL = "manual", _("To do by hand")
        FAILED = "failed", _("Failed")
        UNDONE = "undone", _("Undone")

    sanction = models.ForeignKey(Sanction, on_delete=models.CASCADE, related_name="executions")
    identity = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.ForeignKey("workspaces.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=12)  # mute, ban, block, kick, silence, suspend
    state = models.CharField(max_length=10, choices=State.choices)
    error_code = models.TextField(blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    error = StoredMessage("error_code", "error_params")

    def __str__(self) -> str:
        return f"{self.action} {self.state}"


class Appeal(models.Model):
    """A member contests a sanction through its private link; another moderator than the one who decided reviews it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for review")
        UPHELD = "upheld", _("Sanction upheld")
        LIFTED = "lifted", _("Sanction lifted")
        REDUCED = "reduced", _("Sanction reduced")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="appeals")
    sanction = models.ForeignKey(Sanction, on_delete=models.CASCADE, related_name="appeals")
    text = models.TextField(_("the member's words"), max_length=5000)
    submitted_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(_("reason of the decision"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"appeal of {self.sanction_id}"
