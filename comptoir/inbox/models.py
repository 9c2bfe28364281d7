"""The inbox: conversations built from the messages of owned channels, the replies sent from Comptoir, the teams
they are routed to, the rules that route them, response-time targets, saved replies and feedback to management.

Conversations read ``stream.Item`` (only ingestion writes items); nothing here deletes a message, and removing a
channel, a team or a rule never deletes a conversation (SET_NULL / RESTRICT, never CASCADE from them).
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from comptoir.lib.i18n import StoredMessage


class InboxSettings(models.Model):
    """How a workspace runs its inbox."""

    workspace = models.OneToOneField("workspaces.Workspace", on_delete=models.CASCADE, related_name="inbox_settings")
    # Contributors (internal experts) answer members themselves; otherwise their answer is a draft a CM sends.
    experts_reply_directly = models.BooleanField(_("experts answer members directly"), default=False)
    csat_enabled = models.BooleanField(_("ask members for their satisfaction after closing"), default=False)
    csat_question_fr = models.CharField(_("satisfaction question (French)"), max_length=300, blank=True)
    csat_question_en = models.CharField(_("satisfaction question (English)"), max_length=300, blank=True)
    # Management's addresses for the weekly feedback digest, one per line.
    digest_recipients = models.TextField(_("who receives the weekly feedback digest"), blank=True)
    digest_weekday = models.PositiveSmallIntegerField(_("digest day"), default=0)  # 0 = Monday
    next_digest_at = models.DateTimeField(null=True, blank=True, db_index=True)

    def __str__(self) -> str:
        return f"inbox settings of {self.workspace_id}"

    @classmethod
    def of(cls, workspace_id: int) -> "InboxSettings":
        found, _created = cls.objects.get_or_create(workspace_id=workspace_id)
        return found


class Team(models.Model):
    """A department or a group of experts conversations are routed to (membership, customer service, tech)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="inbox_teams")
    name = models.CharField(_("name"), max_length=80)
    description = models.CharField(_("description"), max_length=300, blank=True)
    # Where "notify by e-mail" writes when no member is named (a shared address), optional.
    email = models.EmailField(_("team e-mail address"), blank=True)
    # Working hours in the team's time zone: {"0": [["09:00", "12:30"], ["14:00", "18:00"]], …}, 0 = Monday.
    working_hours = models.JSONField(_("working hours"), default=dict, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)  # empty: the workspace's
    # Public holidays of this country are not working days (empty: none).
    holidays_country = models.CharField(_("public holidays of"), max_length=2, blank=True, default="FR")
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="TeamMember", related_name="inbox_teams")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="one_inbox_team_name_per_workspace")]

    def __str__(self) -> str:
        return self.name


class TeamMember(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="team_members")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="one_membership_per_inbox_team")]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.team_id}"


class Conversation(models.Model):
    """A thread, a direct-message exchange or an e-mail thread: the messages of one member on one owned channel.

    ``sort_key`` is the newest message's ``Item.sort_key`` (unique per item, so unique here too): the inbox list's
    keyset order, like the Fil's. ``waiting_since`` is when the member started waiting for an answer (None: answered).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending")  # waiting for the member or for someone inside
        CLOSED = "closed", _("Closed")

    class Kind(models.TextChoices):
        THREAD = "thread", _("Thread")
        DIRECT = "direct", _("Direct messages")
        EMAIL = "email", pgettext_lazy("kind of conversation", "E-mail")
        FORUM = "forum", _("Forum topic")

    class Priority(models.IntegerChoices):
        LOW = 0, _("Low")
        NORMAL = 1, _("Normal")
        HIGH = 2, _("High")
        URGENT = 3, _("Urgent")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="conversations")
    source = models.ForeignKey("stream.Source", on_delete=models.RESTRICT, related_name="conversations")
    channel = models.ForeignKey("workspaces.Channel", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # What groups its messages: the thread's root id, a DM thread, an e-mail thread's first Message-ID.
    key = models.CharField(max_length=500)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.THREAD)
    subject = models.CharField(_("subject"), max_length=300, blank=True)
    identity = models.ForeignKey("members.Identity", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    person = models.ForeignKey("members.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    unread = models.BooleanField(_("unread"), default=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations")
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices, default=Priority.NORMAL)
    # The labels of its latest message from the member: what filters and rules read.
    intent = models.CharField(_("intent"), max_length=20, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    language = models.CharField(_("language"), max_length=8, blank=True)
    last_item = models.ForeignKey("stream.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    last_message_at = models.DateTimeField(_("last message"), null=True, blank=True)
    sort_key = models.BigIntegerField(null=True, blank=True)
    message_count = models.PositiveIntegerField(default=0)
    waiting_since = models.DateTimeField(_("waiting since"), null=True, blank=True)
    # Response-time target of the current wait: when the first reply is due, and when it was missed.
    reply_due_at = models.DateTimeField(_("answer due"), null=True, blank=True)
    breached_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)
    first_replied_at = models.DateTimeField(null=True, blank=True)
    last_replied_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # Routing rules run once, on the conversation's first message (and escalation rules on a breach).
    routed_at = models.DateTimeField(null=True, blank=True)
    tags = models.ManyToManyField("stream.Tag", through="ConversationTag", related_name="conversations", blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-sort_key"]
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="one_conversation_per_source_and_key")]
        indexes = [
            models.Index(fields=["workspace", "-sort_key"], name="conv_ws_order"),
            models.Index(fields=["workspace", "status", "-sort_key"], name="conv_ws_status_order"),
            models.Index(fields=["workspace", "assignee", "-sort_key"], name="conv_ws_assignee_order"),
            models.Index(fields=["workspace", "team", "-sort_key"], name="conv_ws_team_order"),
            models.Index(fields=["workspace", "channel", "-sort_key"], name="conv_ws_channel_order"),
            models.Index(fields=["workspace", "intent", "-sort_key"], name="conv_ws_intent_order"),
            models.Index(fields=["workspace", "sentiment", "-sort_key"], name="conv_ws_sentiment_order"),
            models.Index(fields=["workspace", "language", "-sort_key"], name="conv_ws_language_order"),
            models.Index(fields=["workspace", "unread", "-sort_key"], name="conv_ws_unread_order"),
            models.Index(fields=["workspace", "identity", "-sort_key"], name="conv_ws_identity_order"),
            models.Index(fields=["workspace", "person", "-sort_key"], name="conv_ws_person_order"),
            models.Index(fields=["reply_due_at"], name="conv_reply_due"),
            # "Waiting for more than 4 h": a range on waiting_since, sort keys included so that the capped count
            # reads the index alone (bench/inbox.py: the count scanned every conversation without it).
            models.Index(fields=["workspace", "waiting_since", "sort_key"], name="conv_ws_waiting"),
        ]

    def __str__(self) -> str:
        return self.subject or f"#{self.pk}"


class ConversationItem(models.Model):
    """A message of a conversation. It leaves with the message (an owner's erasure), never with the channel."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="links")
    item = models.OneToOneField("stream.Item", on_delete=models.CASCADE, related_name="inbox_link")
    # The member's message (True) or the channel's own (our post it answers, a reply read back from the network).
    inbound = models.BooleanField(default=True)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["conversation", "item"], name="convitem_conv_item")]

    def __str__(self) -> str:
        return f"{self.item_id} in {self.conversation_id}"


class ConversationTag(models.Model):
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="conversation_tags")
    tag = models.ForeignKey("stream.Tag", on_delete=models.CASCADE, related_name="+")
    tagged_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    tagged_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "tag"], name="one_tag_per_conversation")]

    def __str__(self) -> str:
        return f"{self.tag_id} on {self.conversation_id}"


class Reply(models.Model):
    """An answer written in Comptoir and sent through the channel's connector.

    ``draft`` is an expert's answer waiting for a CM; ``queued → sending → sent | failed | unknown`` is its delivery.
    A failed reply keeps its text and its reason and can be sent again; it is never lost.
    """

    class State(models.TextChoices):
        DRAFT = "draft", _("Draft for review")
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        UNKNOWN = "unknown", _("Outcome unknown")
        DISCARDED = "discarded", _("Discarded")

    class Purpose(models.TextChoices):
        ANSWER = "answer", _("Answer")
        ACKNOWLEDGMENT = "ack", _("Acknowledgment")
        CSAT = "csat", _("Satisfaction question")
        FEEDBACK = "feedback", _("Feedback follow-up")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="inbox_replies")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="replies")
    # The message answered (its external id goes to connector.reply); kept even if the message is erased.
    in_reply_to = models.ForeignKey("stream.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    in_reply_to_external_id = models.CharField(max_length=500, blank=True)
    text = models.TextField(_("text"))
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.ANSWER)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey("RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    idempotency_key = models.CharField(max_length=64, unique=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    remote_id = models.CharField(max_length=500, blank=True)
    remote_url = models.URLField(max_length=2000, blank=True)
    error_code = models.TextField(blank=True)
    error_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    error = StoredMessage("error_code", "error_params")

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["conversation", "created_at"], name="reply_conv_created"),
                   models.Index(fields=["workspace", "state"], name="reply_ws_state")]

    def __str__(self) -> str:
        return self.text[:80]


class Note(models.Model):
    """An internal note on a conversation: the team sees it, the member never does."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    text = models.TextField(_("note"), max_length=5000)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return self.text[:80]


class Event(models.Model):
    """What happened to a conversation, shown in its timeline: by a person, or by a rule with the rule named."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule = models.ForeignKey("RoutingRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    rule_name = models.CharField(max_length=120, blank=True)  # kept when the rule is deleted
    kind = models.CharField(max_length=20)  # assigned, status, tagged, priority, ack, notified, escalated, csat, …
    message_code = models.TextField(blank=True)
    message_params = models.JSONField(default=dict, blank=True)

    message = StoredMessage("message_code", "message_params")

    class Meta:
        ordering = ["at", "pk"]
        indexes = [models.Index(fields=["conversation", "at"], name="event_conv_at")]

    def __str__(self) -> str:
        return self.kind


class Presence(models.Model):
    """Who has a conversation open right now (the collision guard): refreshed while the page is open."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="presences")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField(default=timezone.now)
    typing = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["conversation", "user"], name="one_presence_per_user")]

    def __str__(self) -> str:
        return f"{self.user_id} on {self.conversation_id}"


class SavedReply(models.Model):
    """A ready answer with variables ({first_name}, {name}, {agent}, {channel}), in French or English."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="saved_replies")
    title = models.CharField(_("title"), max_length=120)
    language = models.CharField(_("language"), max_length=8, blank=True)  # "" = any
    text = models.TextField(_("text"), max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(default=timezone.now)
    use_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["title"]
        constraints = [models.UniqueConstraint(fields=["workspace", "title", "language"], name="one_saved_reply_title")]

    def __str__(self) -> str:
        return self.title


class RoutingRule(models.Model):
    """If a new conversation (or a missed target) matches the conditions, do the actions. Ordered by ``position``.

    ``conditions``: {"intents": [...], "languages": [...], "channels": [ids], "sentiments": [...], "segments": [...],
    "query": "listening query language"}; an empty list means any. ``actions``: {"team": id, "assignee": id,
    "priority": 0-3, "tag": "name", "ack_text": "...", "notify": true}.
    """

    class Trigger(models.TextChoices):
        NEW = "new", _("A new conversation arrives")
        BREACH = "breach", _("A response-time target is missed")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="routing_rules")
    name = models.CharField(_("name"), max_length=120)
    trigger = models.CharField(_("when"), max_length=10, choices=Trigger.choices, default=Trigger.NEW)
    position = models.PositiveIntegerField(default=0)
    enabled = models.BooleanField(_("enabled"), default=True)
    conditions = models.JSONField(default=dict, blank=True)
    actions = models.JSONField(default=dict, blank=True)
    stop = models.BooleanField(_("stop at this rule when it matches"), default=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    matched_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["trigger", "position", "pk"]

    def __str__(self) -> str:
        return self.name


class ResponseTarget(models.Model):
    """First reply within N business minutes, for a team and/or an intent (empty = any). The most specific applies."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="response_targets")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="targets")
    intent = models.CharField(_("intent"), max_length=20, blank=True)
    minutes = models.PositiveIntegerField(_("first reply within (business minutes)"))

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "team", "intent"], name="one_target_per_team_intent",
                                    condition=models.Q(team__isnull=False)),
            models.UniqueConstraint(fields=["workspace", "intent"], name="one_target_per_intent_any_team",
                                    condition=models.Q(team__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.intent}: {self.minutes}"


class Satisfaction(models.Model):
    """The member's answer to "how satisfied are you" (1–5) after a conversation closed."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="satisfactions")
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="satisfactions")
    token_hash = models.CharField(max_length=64, unique=True)  # the answer link's secret, hashed
    asked_at = models.DateTimeField(default=timezone.now)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True, max_length=2000)
    answered_at = models.DateTimeField(null=True, blank=True)
    # Who was handling it when it closed: the measure reads satisfaction per agent and team.
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"{self.conversation_id}: {self.score}"


class Feedback(models.Model):
    """What members say that management should hear: an idea, a problem, praise, with a theme and a quote."""

    class Kind(models.TextChoices):
        IDEA = "idea", _("Idea")
        PROBLEM = "problem", _("Problem")
        PRAISE = "praise", _("Praise")

    class Answer(models.TextChoices):
        NONE = "", _("Not answered yet")
        TAKEN = "taken", _("Taken into account")
        PLANNED = "planned", _("Planned")
        DECLINED = "declined", _("Declined")

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="feedback")
    item = models.ForeignKey("stream.Item", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    theme = models.CharField(_("theme"), max_length=80)
    # The member's words, copied: the digest quotes them even if the message is erased later (anonymised then).
    quote = models.TextField(_("quote"), max_length=2000)
    author_name = models.CharField(max_length=300, blank=True)
    sentiment = models.CharField(_("sentiment"), max_length=10, blank=True)
    language = models.CharField(max_length=8, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    answer = models.CharField(_("management's answer"), max_length=10, choices=Answer.choices, blank=True, default="")
    answer_note = models.TextField(_("answer"), blank=True, max_length=2000)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    members_told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["workspace", "created_at"], name="feedback_ws_created"),
                   models.Index(fields=["workspace", "theme"], name="feedback_ws_theme")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.theme}"


class Digest(models.Model):
    """A weekly feedback digest that was sent (the page shows any week; this records what management received)."""

    workspace = models.ForeignKey("workspaces.Workspace", on_delete=models.CASCADE, related_name="feedback_digests")
    week_start = models.DateField()
    sent_at = models.DateTimeField(default=timezone.now)
    recipients = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-week_start"]
        constraints = [models.UniqueConstraint(fields=["workspace", "week_start"], name="one_digest_per_week")]

    def __str__(self) -> str:
        return f"{self.workspace_id} {self.week_start}"
