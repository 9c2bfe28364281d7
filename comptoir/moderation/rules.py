"""Automatic flags: the rules that read every new message of an owned channel and flag, hold, hide, delete, answer
or notify — or, in dry run, only log what they would have done.

Which messages: those of the workspace's *owned* channels (``item.channel`` set), where the team moderates and
the connectors can act. Listening sources (mentions elsewhere on the web) are not moderated: nothing there is
ours to hide. The channel's own messages (our posts, our replies read back) are never judged.

Rules run by ``position`` inside the analysis transaction (the ``items_analysed`` signal). Each match opens (or adds
its reason to) the item's :class:`~.models.Case` and writes one :class:`~.models.AutoAction` per action, with the
scores that triggered it. Network actions (hide, delete, hold where the network hides, reply) are done by the task
:func:`run_auto_actions` after the commit, through :func:`carry_out`; until it runs their row reads "to do by hand",
which stays the truth if the worker never gets to it.

What the models can and cannot do: measured on French and English texts they never saw, toxicity scores reach
about 0.61 macro-F1, spam about 0.96. So a model score alone never hides nor deletes: a ``model`` rule may only
flag, hold or notify (:data:`SAFE_ACTIONS`); the default rules hide only when the word lists *and* the model agree,
and hold when only one of them fires.

Kinds and their ``params`` (see :class:`~.models.Rule`): words (a listening query and/or lexicons, optionally
confirmed by a toxicity score), model (task, threshold, category), links (too many, shorteners, new domains),
newcomer (an identity's first N messages), flood (N messages in M minutes), repeat (the same text N times in H
hours, across the person's identities and channels), brigading (N identities first seen in the last D days
answering in one thread within M minutes). Every window is counted back from the message's own time, so the
preview on last week's messages sees what the live rule would have seen.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Max, Q
from django.tasks import task
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from comptoir.lib import i18n
from comptoir.lib.sanitize import clean_text
from comptoir.listening import querylang
from comptoir.listening.matcher import Doc, Features, host_of
from comptoir.listening.matcher import evaluate as query_matches
from comptoir.stream.models import Item
from comptoir.stream.search import words_and_marks
from comptoir.workspaces import audit, roles
from comptoir.workspaces.actions import check_perm
from comptoir.workspaces.models import Membership

from .models import AutoAction, Case, CharterVersion, Rule

logger = logging.getLogger(__name__)

DATA = Path(__file__).resolve().parent / "data"
LEXICONS = {"fr_insults": gettext_lazy("French insults (Comptoir's list)"),
            "en_insults": gettext_lazy("English insults (Comptoir's list)")}
ACTIONS = {"flag": gettext_lazy("Flag for review"), "hold": gettext_lazy("Hold (hidden where the network allows)"),
           "hide": gettext_lazy("Hide"), "delete": gettext_lazy("Delete on the network"),
           "reply": gettext_lazy("Reply with the template"), "notify": gettext_lazy("Notify the moderators")}
# What a rule whose only evidence is a model score, a newcomer's count or a crowd may do: never hide nor delete.
SAFE_ACTIONS = {"flag", "hold", "notify"}
CONTENT_KINDS = {Rule.Kind.WORDS, Rule.Kind.LINKS, Rule.Kind.FLOOD, Rule.Kind.REPEAT}  # may hide/delete
NETWORK_ACTIONS = {"hold", "hide", "delete", "reply"}
# Networks where "delete" removes only the account's own messages (a member's reply cannot be deleted by us).
OWN_ONLY_DELETE = {"mastodon", "bluesky"}
TOXICITY_CATEGORIES = ("threat", "hate", "insult", "obscene")
SHORTENERS = frozenset("""bit.ly tinyurl.com t.co goo.gl ow.ly is.gd buff.ly cutt.ly rebrand.ly shorturl.at t.ly
tiny.cc rb.gy s.id lnkd.in bl.ink short.io v.gd qr.ae adf.ly shorte.st bitly.com tr.im x.co soo.gd clck.ru""".split())

NAME_MAX = 120
REPLY_MAX = 2000
MAX_RULES = 100
MAX_MATCH_CHARS = 5000  # a message is matched on its first 5,000 characters
QUERY_BUDGET_SECONDS = 0.05  # a watched-words query must match a long hostile message within this
PREVIEW_DAYS = 7
PREVIEW_MAX = 5000
PREVIEW_SECONDS = 15.0
PREVIEW_SHOWN = 30
EVERYTHING_SHARE = 0.5  # a hide/delete rule that would have caught more than this share of last week is refused
EVERYTHING_MIN_SCANNED = 20
LIMITS = {  # name: (min, max, default) of the integer parameters
    "max_links": (1, 50, 3), "first_messages": (1, 50, 3), "messages": (2, 500, 5), "minutes": (1, 1440, 2),
    "copies": (2, 100, 3), "hours": (1, 168, 24), "identities": (2, 500, 5), "max_age_days": (1, 365, 7),
}
KIND_INTS = {Rule.Kind.LINKS: ("max_links",), Rule.Kind.NEWCOMER: ("first_messages",),
             Rule.Kind.FLOOD: ("messages", "minutes"), Rule.Kind.REPEAT: ("copies", "hours"),
             Rule.Kind.BRIGADING: ("identities", "minutes", "max_age_days")}
KIND_FIELDS = {
    Rule.Kind.WORDS: ("query", "lexicons", "min_toxicity"),
    Rule.Kind.MODEL: ("task", "category", "threshold"),
    Rule.Kind.LINKS: ("max_links", "shorteners", "new_domains"),
    Rule.Kind.NEWCOMER: ("first_messages",),
    Rule.Kind.FLOOD: ("messages", "minutes"),
    Rule.Kind.REPEAT: ("copies", "hours"),
    Rule.Kind.BRIGADING: ("identities", "minutes", "max_age_days"),
}
PARAM_FIELDS = {name for names in KIND_FIELDS.values() for name in names}
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"']+")
_VARIABLE = re.compile(r"\{(\w{1,30})\}")


# Lexicons ---------------------------------------------------------------------------------------------------


@functools.cache
def lexicon_terms(name: str) -> tuple[str, ...]:
    """The entries of a lexicon file (``data/<name>.txt``): listening query terms, one a line."""
    if name not in LEXICONS:
        return ()
    lines = (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines()
    return tuple(line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#"))


@functools.cache
def _lexicon_nodes(name: str) -> tuple[tuple[str, querylang.Node], ...]:
    return tuple((term, querylang.parse(term)) for term in lexicon_terms(name))


# Checking a rule --------------------------------------------------------------------------------------------


def _as_list(value) -> list:
    if value is None or value == "":
        return []
    if isinstance(value, str | int) and not isinstance(value, bool):
        return [value]
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError


def _flag(value, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value is True or str(value).lower() in ("1", "true", "on", "yes")


def _int(errors: dict, name: str, value) -> int:
    low, high, default = LIMITS[name]
    if value is None or value == "":
        return default
    try:
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise ValueError
        number = int(str(value).strip()) if not isinstance(value, int | float) else int(value)
    except (TypeError, ValueError, OverflowError):
        number = None
    if number is None or not low <= number <= high:
        errors[name] = [_("Write a whole number from %(min)s to %(max)s.") % {"min": low, "max": high}]
        return default
    return number


def _score(errors: dict, name: str, value, *, required: bool) -> float | None:
    if value is None or value == "":
        if required:
            errors[name] = [_("Write a threshold between 0 and 1, e.g. 0.8.")]
        return None
    try:
        if isinstance(value, bool):
            raise ValueError
        number = float(str(value).strip().replace(",", "."))
    except (TypeError, ValueError):
        number = None
    if number is None or not 0 <= number <= 1:
        errors[name] = [_("Write a threshold between 0 and 1, e.g. 0.8.")]
        return None
    if number == 0:
        errors[name] = [_("A threshold of 0 catches every message: choose a score above 0, e.g. 0.8.")]
        return None
    return round(number, 3)


def _words(node: querylang.Node) -> list[str]:
    if isinstance(node, querylang.Word):
        return [node.word]
    if isinstance(node, querylang.Phrase):
        return [w for w, _m in node.words]
    children = getattr(node, "children", None)
    if children is not None:
        return [w for c in children for w in _words(c)]
    found = []
    for name in ("child", "left", "right"):
        if hasattr(node, name):
            found += _words(getattr(node, name))
    return found


def check_query(text) -> str:
    """A watched-words query as typed, or a ValidationError on ``query`` naming the column and the fault, or saying
    the query is too slow on a long message (the query language has no regular expressions, but NEAR over many
    repeated words could still make a message cost seconds: it is timed here on a hostile text)."""
    if text is None:
        return ""
    if not isinstance(text, str):
        raise ValidationError({"query": _("Watched words: write a listening query as text, e.g. arnaque OR escroc*.")})
    text = clean_text(text).strip()
    if not text:
        return ""
    if len(text) > querylang.MAX_LENGTH:
        raise ValidationError({"query": _("Watched words: a query has at most %(max)s characters; this one has "
                                          "%(n)s.") % {"max": querylang.MAX_LENGTH, "n": len(text)}})
    try:
        node = querylang.parse(text)
    except querylang.QueryError as exc:
        raise ValidationError({"query": _("Watched words: column %(column)s: %(message)s") % {
            "column": exc.column, "message": exc.text(_)}}) from exc
    words = list(dict.fromkeys(_words(node)))[:50] or ["x"]
    count = MAX_MATCH_CHARS // (1 + max(len(w) for w in words))
    # Two hostile messages: the words taken in turn, and each word repeated in one block (NEAR's worst case).
    hostile = [" ".join(words[i % len(words)] for i in range(count)),
               " ".join(w for w in words for _n in range(count // len(words)))]
    started = time.monotonic()
    for sample in hostile:
        query_matches(node, Doc(0, sample[:MAX_MATCH_CHARS]))
        if time.monotonic() - started > QUERY_BUDGET_SECONDS:
            break
    spent = time.monotonic() - started
    if spent > QUERY_BUDGET_SECONDS:
        raise ValidationError({"query": _("Watched words: this query takes %(ms)s ms to read one long message (at "
                                          "most %(max)s ms): use fewer NEAR or fewer repeated words.") % {
            "ms": round(spent * 1000), "max": round(QUERY_BUDGET_SECONDS * 1000)}})
    return text


def published_charter(workspace_id: int) -> CharterVersion | None:
    return (CharterVersion.objects.filter(workspace_id=workspace_id, published_at__isnull=False)
            .order_by("-number").first())


def check_articles(workspace_id: int, value) -> list[int]:
    """Article numbers (``"3, 5"`` or ``[3, 5]``); with a published charter, only its articles."""
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,;]+", value) if v]
    try:
        numbers = sorted({int(v) for v in _as_list(value) if not isinstance(v, bool)})
        if len(_as_list(value)) > 20 or any(not 1 <= n <= 999 for n in numbers):
            raise ValueError
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({"articles": _("Write article numbers of the charter, e.g. 3, 5.")}) from None
    charter = published_charter(workspace_id)
    if charter is not None and numbers:
        known = {a.get("number") for a in charter.articles if isinstance(a, dict)}
        unknown = [n for n in numbers if n not in known]
        if unknown:
            raise ValidationError({"articles": _("The published charter (version %(version)s) has no article "
                                                 "%(numbers)s.") % {"version": charter.number,
                                                                    "numbers": ", ".join(map(str, unknown))}})
    return numbers


def check_rule(workspace, data: dict, *, rule: Rule | None = None, preview_check: bool = True) -> dict:
    """A rule's fields from a flat mapping, cleaned: ``{"name", "kind", "params", "actions", "reply_template",
    "articles", "dry_run", "enabled"}``. A ValidationError names every field at fault: a malformed or too slow
    query, a threshold out of 0–1, a non-positive count, an article the published charter lacks, hide or delete
    on a rule whose evidence is only a model score, and a hide/delete rule that would have caught more than half
    of last week's messages (it says how many)."""
    errors: dict[str, list[str]] = {}
    name = " ".join(clean_text(str(data.get("name") or "")).split())
    if not name:
        errors["name"] = [_("Give the rule a name that says what it catches, e.g. “Insults”.")]
    elif len(name) > NAME_MAX:
        errors["name"] = [_("A rule name has at most %(max)s characters.") % {"max": NAME_MAX}]
    kind = str(data.get("kind") or "")
    if kind not in Rule.Kind.values:
        errors["kind"] = [_("Choose a kind of rule from the list.")]
    params: dict = {}
    if kind == Rule.Kind.WORDS:
        try:
            query = check_query(data.get("query"))
        except ValidationError as exc:
            errors.update(exc.message_dict)
            query = "x"
        try:
            lexicons = sorted({str(v) for v in _as_list(data.get("lexicons"))})
        except TypeError:
            lexicons = ["?"]
        if any(v not in LEXICONS for v in lexicons):
            errors["lexicons"] = [_("Choose word lists from the list: French insults, English insults.")]
        elif not query and not lexicons:
            errors["query"] = [_("Write the watched words (a listening query) or choose a word list.")]
        params = {"query": query, "lexicons": lexicons}
        confirm = _score(errors, "min_toxicity", data.get("min_toxicity"), required=False)
        if confirm is not None:
            params["min_toxicity"] = confirm
    elif kind == Rule.Kind.MODEL:
        task_name = str(data.get("task") or "")
        if task_name not in ("toxicity", "spam"):
            errors["task"] = [_("Choose the model: toxicity or spam.")]
        category = str(data.get("category") or "")
        if category and (category not in TOXICITY_CATEGORIES or task_name != "toxicity"):
            errors["category"] = [_("Choose a toxicity category from the list (threat, hate, insult, obscene), or "
                                    "none.")]
        params = {"task": task_name, "category": category,
                  "threshold": _score(errors, "threshold", data.get("threshold"), required=True)}
    elif kind in KIND_INTS:
        params = {name: _int(errors, name, data.get(name)) for name in KIND_INTS[kind]}
        if kind == Rule.Kind.LINKS:
            params["shorteners"] = _flag(data.get("shorteners"), True)
            params["new_domains"] = _flag(data.get("new_domains"), False)
    try:
        acts = [str(v) for v in _as_list(data.get("actions"))]
    except TypeError:
        acts = ["?"]
    if any(a not in ACTIONS for a in acts):
        errors["actions"] = [_("Choose actions from the list: flag, hold, hide, delete, reply, notify.")]
    elif not acts:
        errors["actions"] = [_("Choose at least one action, e.g. “Flag for review”.")]
    acts = [a for a in ACTIONS if a in acts]  # one order, whatever the form sent
    if kind and kind not in CONTENT_KINDS and set(acts) & {"hide", "delete"}:
        errors["actions"] = [_("A model score, a newcomer's count or a crowd alone never hides nor deletes a "
                               "message: choose “Hold”, “Flag for review” or “Notify”. To hide, use watched words "
                               "(they can require the model's agreement).")]
    if kind == Rule.Kind.MODEL and "reply" in acts:
        errors["actions"] = [_("A model score alone does not answer a member: choose “Hold”, “Flag for review” or "
                               "“Notify”.")]
    reply = data.get("reply_template")
    reply = clean_text(reply).strip() if isinstance(reply, str) else ""
    if "reply" in acts and not reply:
        errors["reply_template"] = [_("Write the reply the rule sends, e.g. “Please keep to article {articles} of "
                                      "our charter.”")]
    elif len(reply) > REPLY_MAX:
        errors["reply_template"] = [_("A reply holds at most %(max)s characters; this one has %(n)s.") % {
            "max": REPLY_MAX, "n": len(reply)}]
    try:
        articles = check_articles(workspace.pk, data.get("articles"))
    except ValidationError as exc:
        errors.update(exc.message_dict)
        articles = []
    if errors:
        raise ValidationError(errors)
    clean = {"name": name, "kind": kind, "params": params, "actions": acts, "reply_template": reply,
             "articles": articles, "dry_run": _flag(data.get("dry_run"), False),
             "enabled": _flag(data.get("enabled"), True)}
    if preview_check and set(acts) & {"hide", "delete"}:
        result = preview(workspace, clean)
        if result.scanned >= EVERYTHING_MIN_SCANNED and result.matched > EVERYTHING_SHARE * result.scanned:
            raise ValidationError({"__all__": [_("This rule would have hidden %(matched)s of the %(scanned)s "
                                                 "messages of the last 7 days: it catches far too much. Narrow it, "
                                                 "or hold instead of hiding.") % {"matched": result.matched,
                                                                                 "scanned": result.scanned}]})
    return clean


def check_fields_apply(kind: str, names) -> None:
    """Refuse parameters of another kind of rule (the API names them; forms only send their kind's)."""
    wrong = sorted(set(names) & PARAM_FIELDS - set(KIND_FIELDS.get(kind, ())))
    if wrong:
        raise ValidationError({wrong[0]: _("“%(field)s” does not apply to a rule of kind “%(kind)s”.") % {
            "field": wrong[0], "kind": kind}})


def flat(rule: Rule) -> dict:
    """A rule as the flat mapping :func:`check_rule` reads (forms, the API)."""
    params = rule.params if isinstance(rule.params, dict) else {}
    return {"name": rule.name, "kind": rule.kind, **params, "actions": list(rule.actions or []),
            "reply_template": rule.reply_template, "articles": list(rule.articles or []), "dry_run": rule.dry_run,
            "enabled": rule.enabled}


# Changing rules ---------------------------------------------------------------------------------------------

SNAPSHOT = ["name", "kind", "params", "actions", "reply_template", "articles", "dry_run", "enabled", "position"]


def _check_managed(membership: Membership, rule: Rule | None = None) -> None:
    check_perm(membership, roles.MANAGE_MODERATION)
    if rule is not None and rule.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This rule is not in this workspace."))


def do_save_rule(membership: Membership, data: dict, rule: Rule | None = None) -> Rule:
    """Create a rule (last in the order) or change one."""
    _check_managed(membership, rule)
    clean = check_rule(membership.workspace, data, rule=rule)
    with transaction.atomic():
        before = audit.snapshot(rule, SNAPSHOT) if rule is not None else None
        if rule is None:
            if Rule.objects.filter(workspace=membership.workspace).count() >= MAX_RULES:
                raise ValidationError({"name": _("A workspace holds at most %(max)s moderation rules: delete unused "
                                                 "ones.") % {"max": MAX_RULES}})
            last = Rule.objects.filter(workspace=membership.workspace).aggregate(m=Max("position"))["m"]
            rule = Rule(workspace=membership.workspace, created_by=membership.user,
                        position=0 if last is None else last + 1)
        for name, value in clean.items():
            setattr(rule, name, value)
        rule.updated_at = timezone.now()
        rule.save()
        audit.record(membership.workspace, membership.user,
                     "moderation_rule.create" if before is None else "moderation_rule.update", rule, before=before,
                     after=audit.snapshot(rule, SNAPSHOT))
    return rule


def do_set_rule_flags(membership: Membership, rule: Rule, *, enabled: bool | None = None,
                      dry_run: bool | None = None) -> Rule:
    """Switch a rule on or off, or in and out of dry run."""
    _check_managed(membership, rule)
    with transaction.atomic():
        for name, value, on, off in (("enabled", enabled, "moderation_rule.enable", "moderation_rule.disable"),
                                     ("dry_run", dry_run, "moderation_rule.dry_run", "moderation_rule.live")):
            if value is not None and getattr(rule, name) != value:
                setattr(rule, name, value)
                rule.save(update_fields=[name])
                audit.record(membership.workspace, membership.user, on if value else off, rule)
    return rule


def ordered(workspace_id: int) -> list[Rule]:
    return list(Rule.objects.filter(workspace_id=workspace_id).order_by("position", "pk"))


def do_move_rule(membership: Membership, rule: Rule, direction: str) -> Rule:
    _check_managed(membership, rule)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": _("Move a rule up or down.")})
    with transaction.atomic():
        rules = ordered(rule.workspace_id)
        index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rules):
            rules[index], rules[other] = rules[other], rules[index]
            for position, r in enumerate(rules):
                Rule.objects.filter(pk=r.pk).update(position=position)
            audit.record(membership.workspace, membership.user, "moderation_rule.move", rule,
                         after={"position": other + 1})
    rule.refresh_from_db()
    return rule


def do_delete_rule(membership: Membership, rule: Rule) -> None:
    """Delete a rule; cases and the automatic actions log keep its name."""
    _check_managed(membership, rule)
    with transaction.atomic():
        audit.record(membership.workspace, membership.user, "moderation_rule.delete", rule,
                     before=audit.snapshot(rule, SNAPSHOT))
        rule.delete()


def default_rules() -> list[dict]:
    """The starting rule set: word lists and the model together may hide; either alone only holds or flags."""
    both = ["fr_insults", "en_insults"]
    return [
        {"name": _("Insults the word lists and the model agree on"), "kind": "words", "lexicons": both,
         "min_toxicity": 0.5, "actions": ["hide", "notify"]},
        {"name": _("Insults from the word lists"), "kind": "words", "lexicons": both, "actions": ["hold"]},
        {"name": _("Toxic according to the model alone"), "kind": "model", "task": "toxicity", "threshold": 0.8,
         "actions": ["hold"]},
        {"name": _("Spam according to the model"), "kind": "model", "task": "spam", "threshold": 0.9,
         "actions": ["hold"]},
        {"name": _("Link shorteners and link lists"), "kind": "links", "max_links": 3, "shorteners": True,
         "actions": ["flag"]},
        {"name": _("Flood"), "kind": "flood", "messages": 5, "minutes": 2, "actions": ["hold"]},
        {"name": _("Same text repeated"), "kind": "repeat", "copies": 3, "hours": 24, "actions": ["hold"]},
        {"name": _("Brigading"), "kind": "brigading", "identities": 5, "minutes": 60, "max_age_days": 7,
         "actions": ["flag", "notify"]},
        {"name": _("Newcomers' first message"), "kind": "newcomer", "first_messages": 1, "actions": ["flag"],
         "dry_run": True},
    ]


def ensure_default_rules(workspace, user=None) -> int:
    """Give a workspace without any rule the default set (first visit of the rules page, the demo); returns how
    many were created."""
    if Rule.objects.filter(workspace=workspace).exists():
        return 0
    made = 0
    with transaction.atomic():
        for position, data in enumerate(default_rules()):
            clean = check_rule(workspace, data, preview_check=False)
            Rule.objects.create(workspace=workspace, position=position, created_by=user, **clean)
            made += 1
        audit.record(workspace, user, "moderation_rule.defaults", None, object_repr=_("moderation rules"),
                     after={"rules": made})
    return made


# Matching ---------------------------------------------------------------------------------------------------


def _time(item: Item):
    return item.published_at or item.fetched_at


def _scores(item: Item) -> dict:
    scores = item.scores if isinstance(item.scores, dict) else {}
    found = {k: scores[k] for k in ("toxicity", "spam") if isinstance(scores.get(k), int | float)}
    if item.toxicity_category:
        found["toxicity_category"] = item.toxicity_category
    return found


def _features(item: Item, cache: dict) -> Features:
    x = cache.get(item.pk)
    if x is None:
        doc = Doc(item.pk, (item.text or "")[:MAX_MATCH_CHARS], title=(item.title or "")[:500],
                  author=item.author.handle if item.author_id else "", url=item.url,
                  lang=item.language, channel=item.source.network if item.source_id else "")
        x = cache[item.pk] = doc.features
    return x


def normalised(text: str) -> str:
    """The text as the repeat rule compares it: folded words (case, accents, signs and elisions do not count)."""
    return " ".join(words_and_marks((text or "")[:MAX_MATCH_CHARS])[0])


def links_of(item: Item) -> list[str]:
    found = _URL.findall(item.text or "")
    if item.url and item.kind not in ("post", "article"):
        found.append(item.url)
    return found


def _match_words(rule: Rule, item: Item, cache: dict) -> str | None:
    params = rule.params
    x = _features(item, cache)
    hit = ""
    query = params.get("query") or ""
    if query:
        try:
            if query_matches(query, x):
                hit = query
        except querylang.QueryError:
            return None
    if not hit:
        for name in params.get("lexicons") or []:
            hit = next((term for term, node in _lexicon_nodes(name) if query_matches(node, x)), "")
            if hit:
                break
    if not hit:
        return None
    confirm = params.get("min_toxicity")
    if confirm is not None:
        score = (item.scores or {}).get("toxicity")
        if not isinstance(score, int | float) or score < confirm:
            return None
        return i18n.gettext("matched “%(words)s”, toxicity %(score)s ≥ %(min)s") % {"words": hit[:80], "score": score,
                                                                          "min": confirm}
    return i18n.gettext("matched “%(words)s”") % {"words": hit[:80]}


def _match_model(rule: Rule, item: Item) -> str | None:
    params = rule.params
    task_name, threshold = params.get("task"), params.get("threshold")
    score = (item.scores or {}).get(task_name) if isinstance(item.scores, dict) else None
    if not isinstance(score, int | float) or not isinstance(threshold, int | float) or score < threshold:
        return None
    category = params.get("category") or ""
    if category and item.toxicity_category != category:
        return None
    return i18n.gettext("%(task)s score %(score)s ≥ %(threshold)s") % {"task": task_name, "score": score, "threshold": threshold}


def _match_links(rule: Rule, item: Item) -> str | None:
    params = rule.params
    links = links_of(item)
    if not links:
        return None
    if len(links) > params.get("max_links", 3):
        return i18n.gettext("%(n)s links (more than %(max)s)") % {"n": len(links), "max": params.get("max_links", 3)}
    hosts = [host_of(link if "//" in link else "http://" + link).removeprefix("www.") for link in links]
    if params.get("shorteners"):
        short = next((h for h in hosts if h in SHORTENERS), "")
        if short:
            return i18n.gettext("a shortened link (%(host)s)") % {"host": short}
    if params.get("new_domains"):
        earlier = Item.objects.filter(workspace_id=item.workspace_id, published_at__lt=_time(item)).exclude(pk=item.pk)
        for host in dict.fromkeys(h for h in hosts if h):
            if not earlier.filter(Q(url__icontains=host) | Q(text__icontains=host)).exists():
                return i18n.gettext("a link to a domain never seen here before (%(host)s)") % {"host": host}
    return None


def _same_author(item: Item) -> Q:
    if item.author.person_id:
        return Q(author__person_id=item.author.person_id)
    return Q(author_id=item.author_id)


def _match_newcomer(rule: Rule, item: Item) -> str | None:
    if not item.author_id:
        return None
    at = _time(item)
    earlier = Item.objects.filter(Q(published_at__lt=at) | Q(published_at=at, pk__lt=item.pk),
                                  _same_author(item), workspace_id=item.workspace_id).count()
    wanted = rule.params.get("first_messages", 3)
    if earlier >= wanted:
        return None
    return i18n.gettext("message %(n)s of a newcomer (the first %(max)s are checked)") % {"n": earlier + 1, "max": wanted}


def _match_flood(rule: Rule, item: Item) -> str | None:
    if not item.author_id:
        return None
    at, minutes = _time(item), rule.params.get("minutes", 2)
    count = Item.objects.filter(_same_author(item), workspace_id=item.workspace_id,
                                published_at__gte=at - timedelta(minutes=minutes), published_at__lte=at).count()
    if count < rule.params.get("messages", 5):
        return None
    return i18n.gettext("%(n)s messages in %(minutes)s minutes") % {"n": count, "minutes": minutes}


def _match_repeat(rule: Rule, item: Item) -> str | None:
    if not item.author_id:
        return None
    mine = normalised(item.text)
    if len(mine) < 8:  # "ok", "merci !": short texts repeat innocently
        return None
    at, hours = _time(item), rule.params.get("hours", 24)
    texts = (Item.objects.filter(_same_author(item), workspace_id=item.workspace_id,
                                 published_at__gte=at - timedelta(hours=hours), published_at__lte=at)
             .exclude(pk=item.pk).order_by("-published_at").values_list("text", "channel_id")[:500])
    same = [channel for text, channel in texts if normalised(text) == mine]
    copies = len(same) + 1
    if copies < rule.params.get("copies", 3):
        return None
    return i18n.gettext("the same text %(n)s times in %(hours)s hours, on %(channels)s channel(s)") % {
        "n": copies, "hours": hours, "channels": len({*same, item.channel_id})}


def _match_brigading(rule: Rule, item: Item) -> str | None:
    thread = item.thread_external_id or item.parent_external_id
    if not thread or not item.author_id:
        return None
    at, params = _time(item), rule.params
    recent = Item.objects.filter(Q(thread_external_id=thread) | Q(parent_external_id=thread), source_id=item.source_id,
                                 published_at__gte=at - timedelta(minutes=params.get("minutes", 60)),
                                 published_at__lte=at, author__isnull=False)
    authors = set(recent.values_list("author_id", flat=True)[:2000]) | {item.author_id}
    if len(authors) < params.get("identities", 5):
        return None
    since = at - timedelta(days=params.get("max_age_days", 7))
    old = set(Item.objects.filter(author_id__in=authors, workspace_id=item.workspace_id, published_at__lt=since)
              .values_list("author_id", flat=True).distinct())
    new = authors - old
    if len(new) < params.get("identities", 5) or item.author_id not in new:
        return None
    return i18n.gettext("%(n)s new accounts answering one thread within %(minutes)s minutes") % {
        "n": len(new), "minutes": params.get("minutes", 60)}


def match(rule: Rule, item: Item, cache: dict | None = None) -> str | None:
    """Why ``rule`` catches ``item`` (a sentence for the case and the log), or None."""
    cache = {} if cache is None else cache
    kind = rule.kind
    if kind == Rule.Kind.WORDS:
        return _match_words(rule, item, cache)
    if kind == Rule.Kind.MODEL:
        return _match_model(rule, item)
    if kind == Rule.Kind.LINKS:
        return _match_links(rule, item)
    if kind == Rule.Kind.NEWCOMER:
        return _match_newcomer(rule, item)
    if kind == Rule.Kind.FLOOD:
        return _match_flood(rule, item)
    if kind == Rule.Kind.REPEAT:
        return _match_repeat(rule, item)
    if kind == Rule.Kind.BRIGADING:
        return _match_brigading(rule, item)
    return None


def is_own(item: Item) -> bool:
    """Written by the channel itself (our post, our reply read back): never judged."""
    if item.channel_id is None or item.author_id is None:
        return False
    own = (item.channel.handle or "").strip().lstrip("@").casefold()
    mine = (item.author.handle or "").strip().lstrip("@").casefold()
    return bool(own) and (mine == own or ("@" not in own and mine.split("@")[0] == own))


def moderated_items(ids):
    return (Item.objects.filter(pk__in=ids, channel__isnull=False, channel__removed_at__isnull=True)
            .select_related("channel", "source", "author", "workspace"))


# Running rules on new messages ------------------------------------------------------------------------------


def open_case(item: Item, *, rule: Rule | None = None, reason: dict) -> Case:
    """The item's case in the review queue, opened or given one more reason (one implementation: the queue's)."""
    from .queue import open_case as queue_open_case

    return queue_open_case(item, rule=rule, reason=reason)


def moderators(workspace_id: int) -> list:
    wanted = [r for r in roles.Role.values if roles.has_perm(r, roles.MODERATE)]
    return [m.user for m in Membership.objects.filter(workspace_id=workspace_id, role__in=wanted)
            .select_related("user")]


def _notify(rule: Rule, item: Item, case: Case | None, detail: str) -> None:
    from django.urls import reverse

    from comptoir.workspaces.notifications import notify

    users = moderators(item.workspace_id)
    if not users:
        return
    message = i18n.gettext("The rule “%(rule)s” caught a message of %(author)s: %(detail)s") % {
        "rule": rule.name, "author": item.author_name or "?", "detail": detail}
    url = reverse("moderation_rules_log", args=[item.workspace.slug])
    notify(item.workspace_id, users, "moderation.caught", message, url=url, key=f"moderation-item:{item.pk}")


def _apply(rule: Rule, item: Item, detail: str) -> list[AutoAction]:
    scores = _scores(item)
    # The detail as text, and as its message id and values: the queue shows it in the reader's language.
    code, params = i18n.code_and_params(detail)
    reason = {"rule": rule.pk, "rule_name": rule.name, "kind": rule.kind, "detail": str(detail), "detail_code": code,
              "detail_params": params, "scores": scores, "actions": list(rule.actions), "dry_run": rule.dry_run}
    done: list[AutoAction] = []
    case = None
    if not rule.dry_run:
        case = open_case(item, rule=rule, reason=reason)
    network = item.channel.connector().capabilities if item.channel_id else None
    for action in rule.actions:
        row = AutoAction(workspace_id=item.workspace_id, case=case, rule=rule, rule_name=rule.name, item=item,
                         action=action, scores=scores, detail=detail[:300])
        if rule.dry_run:
            row.result = AutoAction.Result.LOGGED
        elif action == "flag":
            row.result = AutoAction.Result.DONE
        elif action == "notify":
            _notify(rule, item, case, detail)
            row.result = AutoAction.Result.DONE
        else:
            row.result = AutoAction.Result.MANUAL
            if _can_on_network(item, action, network):
                row.error_params = {"queued": True}
        row.save()
        done.append(row)
        if case is not None and action in ("hold", "hide", "delete") and not case.held:
            case.held = True
            Case.objects.filter(pk=case.pk).update(held=True)
    queued = [r.pk for r in done if r.error_params.get("queued")]
    if queued:
        transaction.on_commit(lambda: run_auto_actions.enqueue(queued))
    return done


def evaluate_items(item_ids) -> dict[int, list[int]]:
    """Run each workspace's enabled rules, in order, on the new messages of owned channels; returns item id →
    ids of the rules that caught it. Call inside a transaction."""
    caught: dict[int, list[int]] = {}
    rules_of: dict[int, list[Rule]] = {}
    cache: dict = {}
    for item in moderated_items(item_ids):
        if is_own(item):
            continue
        if item.workspace_id not in rules_of:
            rules_of[item.workspace_id] = [r for r in ordered(item.workspace_id) if r.enabled]
        for rule in rules_of[item.workspace_id]:
            try:
                detail = match(rule, item, cache)
            except Exception:  # a broken rule never loses a message
                logger.exception("moderation rule %s failed on item %s", rule.pk, item.pk)
                continue
            if detail is None:
                continue
            Rule.objects.filter(pk=rule.pk).update(caught_count=F("caught_count") + 1)
            _apply(rule, item, detail)
            caught.setdefault(item.pk, []).append(rule.pk)
    return caught


def evaluate(item_ids) -> dict[int, list[int]]:
    """The ``items_analysed`` receiver's work (named by the brief ``rules.evaluate``)."""
    return evaluate_items(item_ids)


def items_analysed(sender, item_ids: list[int], **kwargs) -> None:
    try:
        with transaction.atomic():
            evaluate_items(item_ids)
    except Exception:
        logger.exception("moderation rules failed on %s items", len(item_ids))


# Acting on the network --------------------------------------------------------------------------------------


def _can_on_network(item: Item, action: str, capabilities) -> bool:
    if capabilities is None or item.channel_id is None or item.channel.removed_at is not None:
        return False
    if action in ("hold", "hide"):
        return capabilities.can("hide")
    if action == "delete":
        return capabilities.can("delete") and (item.channel.network not in OWN_ONLY_DELETE or is_own(item))
    if action == "reply":
        return capabilities.can("reply")
    return False


def carry_out(item: Item, action: str, *, reason: str = "") -> tuple[str, object]:
    """Hide, delete or hold ``item`` on its network through its channel's connector. Returns ``(result, error)``:
    ``("done", "")``; ``("manual", message)`` when the network cannot (Mastodon hides no member's reply and
    deletes only our own statuses); ``("failed", message)`` when the network refused or could not be reached.
    Calls the network: never inside a transaction. Does not write to the database."""
    from comptoir.connectors.base import Action, ConnectorError

    if action not in ("hold", "hide", "delete"):
        raise ValueError(action)
    channel = item.channel
    if channel is None or channel.removed_at is not None:
        return AutoAction.Result.MANUAL, i18n.gettext("The message's channel is no longer connected: do it by hand.")
    try:
        connector = channel.connector()
    except Exception as exc:  # an unknown network, unreadable credentials
        return AutoAction.Result.FAILED, str(exc)[:500]
    if not _can_on_network(item, action, connector.capabilities):
        network = str(type(connector).label or channel.network)  # "Mastodon", as people write it
        if action == "delete":
            return AutoAction.Result.MANUAL, i18n.gettext(
                "%(network)s does not let Comptoir delete a member's message: delete or report it there by hand.") % {
                "network": network}
        return AutoAction.Result.MANUAL, i18n.gettext(
            "%(network)s does not let Comptoir hide a message: hide or report it there by hand.") % {"network": network}
    try:
        connector.moderate(Action.DELETE if action == "delete" else Action.HIDE, item.external_id, reason)
    except ConnectorError as exc:
        return AutoAction.Result.FAILED, exc.message
    except Exception as exc:
        logger.exception("moderating item %s failed", item.pk)
        return AutoAction.Result.FAILED, str(exc)[:500]
    return AutoAction.Result.DONE, ""


def reply_text(rule: Rule, item: Item) -> str:
    articles = ", ".join(str(n) for n in rule.articles or [])
    name = (item.author.display_name or item.author.handle.lstrip("@").split("@")[0]) if item.author_id else ""
    values = {"articles": articles, "name": name, "first_name": name.split()[0] if name.split() else ""}
    text = _VARIABLE.sub(lambda m: values.get(m.group(1), m.group(0)), rule.reply_template)
    if articles and "{articles}" not in rule.reply_template:
        text += " " + i18n.gettext("(Charter: article %(articles)s)") % {"articles": articles}
    return text


@task(queue_name="default")
def run_auto_actions(action_ids: list[int]) -> int:
    """Do the network actions rules decided (hide, delete, hold, reply). Idempotent: each row is claimed once (its
    ``queued`` mark is cleared before the call)."""
    from comptoir.connectors.base import ConnectorError

    done = 0
    for row in AutoAction.objects.filter(pk__in=action_ids).select_related("item__channel", "item__author", "rule"):
        if row.item is None or not AutoAction.objects.filter(pk=row.pk, result=AutoAction.Result.MANUAL,
                                                             undone_at__isnull=True,
                                                             error_params={"queued": True}).update(error_params={}):
            continue
        if row.action == "reply":
            result, error = AutoAction.Result.DONE, ""
            if row.rule is None:
                continue
            try:
                row.item.channel.connector().reply(row.item.external_id, reply_text(row.rule, row.item),
                                                   f"moderation-auto-{row.pk}")
            except ConnectorError as exc:
                result, error = AutoAction.Result.FAILED, exc.message
        else:
            result, error = carry_out(row.item, row.action, reason=row.rule_name)
        row.result = result
        row.error = error or ""
        row.save(update_fields=["result", "error_code", "error_params"])
        done += result == AutoAction.Result.DONE
    return done


# Undo -------------------------------------------------------------------------------------------------------


def do_undo(membership: Membership, row: AutoAction) -> str:
    """Undo an automatic action in one click; returns what is left to do by hand ("" when nothing).

    Flag, hold and notify are undone here (a hold that hid nothing is lifted). No connector can show a hidden
    message again nor bring a deleted one back: a hide done on the network is marked undone here and the answer
    says to unhide it on the network by hand; an undone delete is refused. When every automatic action of an
    undecided case is undone, the case closes as approved."""
    check_perm(membership, roles.MODERATE)
    if row.workspace_id != membership.workspace_id:
        raise PermissionDenied(_("This automatic action is not in this workspace."))
    if row.undone_at is not None:
        raise ValidationError({"action": _("This automatic action was already undone.")})
    if row.result == AutoAction.Result.LOGGED:
        raise ValidationError({"action": _("A dry run did nothing: there is nothing to undo.")})
    if row.action == "delete" and row.result == AutoAction.Result.DONE:
        raise ValidationError({"action": _("The message was deleted on the network: it cannot come back. Approve "
                                           "the case to record that it was a mistake.")})
    if row.action == "reply" and row.result == AutoAction.Result.DONE:
        raise ValidationError({"action": _("The reply was sent: delete it on the network if it was a mistake.")})
    left = ""
    with transaction.atomic():
        row = AutoAction.objects.select_for_update().get(pk=row.pk)
        if row.undone_at is not None:
            raise ValidationError({"action": _("This automatic action was already undone.")})
        network_done = row.action in ("hold", "hide") and row.result == AutoAction.Result.DONE
        if network_done:
            network = row.item.channel.network if row.item_id and row.item.channel_id else "?"
            left = _("Comptoir cannot show a hidden message again on %(network)s: unhide it there by hand.") % {
                "network": network}
        else:
            row.result = AutoAction.Result.UNDONE
        row.undone_at, row.undone_by = timezone.now(), membership.user
        row.error_params = {} if row.error_params.get("queued") else row.error_params  # a queued call is cancelled
        row.save(update_fields=["result", "undone_at", "undone_by", "error_params"])
        case = Case.objects.select_for_update().filter(pk=row.case_id).first() if row.case_id else None
        if case is not None and case.status == Case.Status.OPEN:
            live = case.auto_actions.filter(undone_at__isnull=True)
            if not live.filter(action__in=["hold", "hide", "delete"]).exists():
                case.held = False
            if not live.exists():
                case.status, case.decision = Case.Status.DECIDED, Case.Decision.APPROVED
                case.decided_by, case.decided_at = membership.user, timezone.now()
                case.decision_note = _("Automatic actions undone.")
            case.save(update_fields=["held", "status", "decision", "decided_by", "decided_at", "decision_note"])
        audit.record(membership.workspace, membership.user, "moderation_auto_action.undo", row,
                     object_repr=f"{row.rule_name}: {row.action}",
                     after={"action": row.action, "item": row.item_id, "left": str(left)})
    return str(left)


# What a rule would have caught ------------------------------------------------------------------------------


@dataclass
class Preview:
    scanned: int = 0
    matched: int = 0
    capped: bool = False  # more than PREVIEW_MAX messages last week: the oldest were not read
    timed_out: bool = False
    per_action: dict = field(default_factory=dict)
    sample: list = field(default_factory=list)  # [(item, detail)]

    @property
    def share(self) -> int:
        return round(100 * self.matched / self.scanned) if self.scanned else 0


def preview(workspace, clean: dict, *, now=None, days: int = PREVIEW_DAYS) -> Preview:
    """What a rule (cleaned by :func:`check_rule`, saved or not) would have caught among the newest
    :data:`PREVIEW_MAX` messages of owned channels of the last ``days`` days, read-only, within
    :data:`PREVIEW_SECONDS`."""
    now = now or timezone.now()
    rule = Rule(workspace=workspace, name=clean["name"], kind=clean["kind"], params=clean["params"],
                actions=clean["actions"])
    result = Preview(per_action={a: 0 for a in clean["actions"]})
    rows = (Item.objects.filter(workspace=workspace, channel__isnull=False, published_at__gte=now - timedelta(days=days),
                                published_at__lte=now)
            .order_by("-published_at", "-pk").values_list("pk", flat=True)[:PREVIEW_MAX + 1])
    ids = list(rows)
    result.capped = len(ids) > PREVIEW_MAX
    ids = ids[:PREVIEW_MAX]
    started = time.monotonic()
    cache: dict = {}
    for start in range(0, len(ids), 500):
        if time.monotonic() - started > PREVIEW_SECONDS:
            result.timed_out = True
            break
        batch = {i.pk: i for i in moderated_items(ids[start:start + 500])}
        for pk in ids[start:start + 500]:
            item = batch.get(pk)
            if item is None or is_own(item):
                continue
            result.scanned += 1
            detail = match(rule, item, cache)
            if detail is None:
                continue
            result.matched += 1
            for action in clean["actions"]:
                result.per_action[action] += 1
            if len(result.sample) < PREVIEW_SHOWN:
                result.sample.append((item, detail))
        cache.clear()
    return result


audit.GROUPS["moderation_rule"] = gettext_lazy("Moderation rules")
audit.GROUPS["moderation_auto_action"] = gettext_lazy("Moderation rules")
audit.sentences({
    "moderation_rule.create": lambda e, n: _("%(actor)s created the moderation rule “%(object)s”.") % n,
    "moderation_rule.update": lambda e, n: _("%(actor)s changed the moderation rule “%(object)s”.") % n,
    "moderation_rule.delete": lambda e, n: _("%(actor)s deleted the moderation rule “%(object)s”.") % n,
    "moderation_rule.enable": lambda e, n: _("%(actor)s switched on the moderation rule “%(object)s”.") % n,
    "moderation_rule.disable": lambda e, n: _("%(actor)s switched off the moderation rule “%(object)s”.") % n,
    "moderation_rule.dry_run": lambda e, n: _("%(actor)s put the moderation rule “%(object)s” in dry run.") % n,
    "moderation_rule.live": lambda e, n: _("%(actor)s took the moderation rule “%(object)s” out of dry run.") % n,
    "moderation_rule.move": lambda e, n: _("%(actor)s moved the moderation rule “%(object)s” to position "
                                           "%(position)s.") % {**n, "position": (e.after or {}).get("position")},
    "moderation_rule.defaults": lambda e, n: _("%(actor)s received the default moderation rules.") % n,
    "moderation_auto_action.undo": lambda e, n: _("%(actor)s undid the automatic action “%(object)s”.") % n,
})
