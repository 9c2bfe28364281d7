"""Moderation API: rules (automatic flags), what a rule would have caught last week, the automatic actions and
their undo. Routes under /api/v1/workspaces/{slug}/moderation/…; the same actions as the pages (``rules``)."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Field, Path, Query, Router, Schema, Status
from pydantic import StrictBool, StrictFloat, StrictInt, StrictStr

from comptoir.errors import api_responses
from comptoir.workspaces import audit, roles
from comptoir.workspaces.access import get_token_membership

from .. import rules
from ..models import AutoAction, Rule

router = Router(tags=["moderation"])

Slug = Path[str, {"max_length": 60}]
RowId = Path[int, {"ge": 1, "le": 2**63 - 1}]
Number = StrictInt | StrictFloat


class ModerationRuleOut(Schema):
    id: int
    name: str
    kind: str = Field(description="words, model, links, newcomer, flood, repeat, brigading")
    params: dict = Field(description='Per kind — words: {"query", "lexicons", "min_toxicity"?}; model: {"task", '
                                     '"category", "threshold"}; links: {"max_links", "shorteners", "new_domains"}; '
                                     'newcomer: {"first_messages"}; flood: {"messages", "minutes"}; repeat: '
                                     '{"copies", "hours"}; brigading: {"identities", "minutes", "max_age_days"}')
    actions: list[str] = Field(description="flag, hold, hide, delete, reply, notify (model rules: flag, hold, notify)")
    query: str | None = Field(description="words: the listening query")
    lexicons: list[str] | None = Field(description="words: fr_insults, en_insults")
    min_toxicity: float | None = Field(description="words: act only when the toxicity score is at least this")
    task: str | None = Field(description="model: toxicity or spam")
    category: str | None = Field(description="model: threat, hate, insult, obscene or empty")
    threshold: float | None = Field(description="model: 0–1")
    max_links: int | None
    shorteners: bool | None
    new_domains: bool | None
    first_messages: int | None
    messages: int | None
    minutes: int | None
    copies: int | None
    hours: int | None
    identities: int | None
    max_age_days: int | None
    reply_template: str
    articles: list[int]
    dry_run: bool
    enabled: bool
    position: int
    caught_count: int
    created_at: datetime
    updated_at: datetime


class ModerationRuleIn(Schema):
    name: StrictStr = Field(..., max_length=1000)
    kind: StrictStr = Field(..., max_length=20)
    query: StrictStr | None = Field(None, max_length=10_000)
    lexicons: list[StrictStr] | None = Field(None, max_length=10)
    min_toxicity: Number | None = None
    task: StrictStr | None = Field(None, max_length=20)
    category: StrictStr | None = Field(None, max_length=20)
    threshold: Number | None = None
    max_links: StrictInt | None = None
    shorteners: StrictBool | None = None
    new_domains: StrictBool | None = None
    first_messages: StrictInt | None = None
    messages: StrictInt | None = None
    minutes: StrictInt | None = None
    copies: StrictInt | None = None
    hours: StrictInt | None = None
    identities: StrictInt | None = None
    max_age_days: StrictInt | None = None
    actions: list[StrictStr] = Field(default_factory=list, max_length=10)
    reply_template: StrictStr = Field("", max_length=20_000)
    articles: list[StrictInt] = Field(default_factory=list, max_length=50)
    dry_run: StrictBool = False
    enabled: StrictBool = True


class ModerationRulePatch(Schema):
    name: StrictStr | None = Field(None, max_length=1000)
    query: StrictStr | None = Field(None, max_length=10_000)
    lexicons: list[StrictStr] | None = Field(None, max_length=10)
    min_toxicity: Number | None = None
    task: StrictStr | None = Field(None, max_length=20)
    category: StrictStr | None = Field(None, max_length=20)
    threshold: Number | None = None
    max_links: StrictInt | None = None
    shorteners: StrictBool | None = None
    new_domains: StrictBool | None = None
    first_messages: StrictInt | None = None
    messages: StrictInt | None = None
    minutes: StrictInt | None = None
    copies: StrictInt | None = None
    hours: StrictInt | None = None
    identities: StrictInt | None = None
    max_age_days: StrictInt | None = None
    actions: list[StrictStr] | None = Field(None, max_length=10)
    reply_template: StrictStr | None = Field(None, max_length=20_000)
    articles: list[StrictInt] | None = Field(None, max_length=50)
    dry_run: StrictBool | None = None
    enabled: StrictBool | None = None


class ModerationCaughtOut(Schema):
    item: int
    text: str
    author: str
    published_at: datetime | None
    detail: str


class ModerationPreviewOut(Schema):
    scanned: int = Field(description="Messages of owned channels read (the last 7 days, newest first, at most 5,000)")
    matched: int
    capped: bool = Field(description="Last week holds more messages than were read")
    timed_out: bool
    per_action: dict[str, int]
    sample: list[ModerationCaughtOut] = Field(description="The newest catches (at most 30)")


class AutoActionOut(Schema):
    id: int
    rule: int | None
    rule_name: str
    item: int | None
    case: int | None
    action: str
    result: str = Field(description="done, logged (dry run), manual (to do by hand), failed, undone")
    scores: dict
    detail: str
    error: str
    at: datetime
    undone_at: datetime | None


class UndoOut(Schema):
    action: AutoActionOut
    left_to_do: str = Field(description="What the network could not undo, to do there by hand (empty: nothing)")


class AutoActionQuery(Schema):
    rule: int | None = Field(None, ge=1, le=2**63 - 1)
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0, le=1_000_000)


def _rule_out(rule: Rule) -> dict:
    params = rule.params if isinstance(rule.params, dict) else {}
    return {"id": rule.pk, "name": rule.name, "kind": rule.kind, "params": params,
            **{name: params.get(name) for name in rules.PARAM_FIELDS}, "actions": rule.actions,
            "reply_template": rule.reply_template, "articles": rule.articles, "dry_run": rule.dry_run,
            "enabled": rule.enabled, "position": rule.position, "caught_count": rule.caught_count,
            "created_at": rule.created_at, "updated_at": rule.updated_at}


def _action_out(row: AutoAction) -> dict:
    return {"id": row.pk, "rule": row.rule_id, "rule_name": row.rule_name, "item": row.item_id, "case": row.case_id,
            "action": row.action, "result": row.result, "scores": row.scores, "detail": row.detail,
            "error": str(row.error) if row.error_code else "", "at": row.at, "undone_at": row.undone_at}


def _get_rule(membership, rule_id: int) -> Rule:
    return get_object_or_404(Rule, pk=rule_id, workspace=membership.workspace)


@router.get("/{slug}/moderation/rules", response=api_responses({200: list[ModerationRuleOut]}),
            summary="The moderation rules, in the order they run")
def list_rules(request, slug: Slug):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    return [_rule_out(r) for r in rules.ordered(membership.workspace_id)]


@router.post("/{slug}/moderation/rules", response=api_responses({201: ModerationRuleOut}, body=True),
             summary="Create a moderation rule (last in the order)")
def create_rule(request, slug: Slug, payload: ModerationRuleIn):
    membership = get_token_membership(request, slug, roles.MANAGE_MODERATION)
    data = payload.dict()
    rules.check_fields_apply(data["kind"], [k for k, v in data.items() if v is not None])
    with audit.via("api"):
        rule = rules.do_save_rule(membership, data)
    return Status(201, _rule_out(rule))


@router.get("/{slug}/moderation/rules/{moderation_rule_id}", response=api_responses({200: ModerationRuleOut}))
def get_rule(request, slug: Slug, moderation_rule_id: RowId):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    return _rule_out(_get_rule(membership, moderation_rule_id))


@router.patch("/{slug}/moderation/rules/{moderation_rule_id}", response=api_responses({200: ModerationRuleOut}, body=True),
              summary="Change a rule (fields left out or null stay as they are; the kind does not change)")
def update_rule(request, slug: Slug, moderation_rule_id: RowId, payload: ModerationRulePatch):
    membership = get_token_membership(request, slug, roles.MANAGE_MODERATION)
    rule = _get_rule(membership, moderation_rule_id)
    changes = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    rules.check_fields_apply(rule.kind, changes)
    data = rules.flat(rule)
    data.update(changes)
    with audit.via("api"):
        rule = rules.do_save_rule(membership, data, rule)
    return _rule_out(rule)


@router.delete("/{slug}/moderation/rules/{moderation_rule_id}", response=api_responses({204: None}),
               summary="Delete a rule: cases and the automatic actions log keep its name")
def delete_rule(request, slug: Slug, moderation_rule_id: RowId):
    membership = get_token_membership(request, slug, roles.MANAGE_MODERATION)
    with audit.via("api"):
        rules.do_delete_rule(membership, _get_rule(membership, moderation_rule_id))
    return Status(204, None)


def _preview_out(result) -> dict:
    return {"scanned": result.scanned, "matched": result.matched, "capped": result.capped,
            "timed_out": result.timed_out, "per_action": result.per_action,
            "sample": [{"item": item.pk, "text": item.text[:500], "author": item.author_name,
                        "published_at": item.published_at, "detail": detail} for item, detail in result.sample]}


@router.get("/{slug}/moderation/rules/{moderation_rule_id}/preview", response=api_responses({200: ModerationPreviewOut}),
            summary="What a saved rule would have caught last week (read-only)")
def preview_rule(request, slug: Slug, moderation_rule_id: RowId):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    rule = _get_rule(membership, moderation_rule_id)
    return _preview_out(rules.preview(membership.workspace, {"name": rule.name, "kind": rule.kind,
                                                            "params": rule.params, "actions": rule.actions}))


@router.post("/{slug}/moderation/rule-preview", response=api_responses({200: ModerationPreviewOut}, body=True),
             summary="What an unsaved rule would have caught last week (read-only; checked as on creation)")
def preview_new_rule(request, slug: Slug, payload: ModerationRuleIn):
    membership = get_token_membership(request, slug, roles.MANAGE_MODERATION)
    data = payload.dict()
    rules.check_fields_apply(data["kind"], [k for k, v in data.items() if v is not None])
    clean = rules.check_rule(membership.workspace, data, preview_check=False)
    return _preview_out(rules.preview(membership.workspace, clean))


@router.get("/{slug}/moderation/auto-actions", response=api_responses({200: list[AutoActionOut]}),
            summary="What the rules did (or logged in dry run), newest first")
def list_auto_actions(request, slug: Slug, query: Query[AutoActionQuery]):
    membership = get_token_membership(request, slug, roles.VIEW_MODERATION)
    rows = AutoAction.objects.filter(workspace=membership.workspace)
    if query.rule is not None:
        rows = rows.filter(rule_id=query.rule)
    return [_action_out(r) for r in rows[query.offset:query.offset + query.limit]]


@router.post("/{slug}/moderation/auto-actions/{auto_action_id}/undo", response=api_responses({200: UndoOut}),
             summary="Undo an automatic action (what the network cannot undo is said in left_to_do)")
def undo_auto_action(request, slug: Slug, auto_action_id: RowId):
    membership = get_token_membership(request, slug, roles.MODERATE)
    row = get_object_or_404(AutoAction, pk=auto_action_id, workspace=membership.workspace)
    with audit.via("api"):
        left = rules.do_undo(membership, row)
    row.refresh_from_db()
    return {"action": _action_out(row), "left_to_do": left}
