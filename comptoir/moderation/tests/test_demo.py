"""The moderation demo: on first start every moderation screen of both demo workspaces is full."""

import re
import statistics
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from comptoir import demo
from comptoir.listening.querylang import parse
from comptoir.moderation import demo as moderation_demo
from comptoir.moderation.models import (
    Appeal,
    AutoAction,
    Case,
    CharterAcceptance,
    CharterVersion,
    LadderStep,
    ModerationSettings,
    Rule,
    Sanction,
    SanctionExecution,
)
from comptoir.understanding.lang import detect
from comptoir.workspaces.models import Workspace

SLUGS = ("velo-lyon", "maison-lumiere")
MODELS = (ModerationSettings, CharterVersion, CharterAcceptance, Rule, Case, AutoAction, LadderStep, Sanction,
          SanctionExecution, Appeal)
HEADING = re.compile(r"^## Article (\d+) — (.+)$", re.MULTILINE)
# Rule.params per kind, as the Rule docstring writes them.
PARAMS = {"words": {"query", "lexicons"}, "model": {"task", "category", "threshold"},
          "links": {"max_links", "shorteners", "new_domains"}, "newcomer": {"first_messages"},
          "flood": {"messages", "minutes"}, "repeat": {"copies", "hours"},
          "brigading": {"identities", "minutes", "max_age_days"}}


@pytest.fixture
def demo_made(db, settings, tmp_path, monkeypatch):
    """The whole demo, as on a first start; returns how long moderation's part took."""
    settings.MEDIA_ROOT = tmp_path
    took = []
    add_demo = moderation_demo.add_demo

    def timed():
        started = time.perf_counter()
        made = add_demo()
        took.append(time.perf_counter() - started)
        return made

    monkeypatch.setattr(moderation_demo, "add_demo", timed)
    demo.create()
    return took[0]


def _charter_is_consistent(version):
    for body, key in ((version.body_fr, "title_fr"), (version.body_en, "title_en")):
        headings = [(int(n), title) for n, title in HEADING.findall(body)]
        assert headings == [(a["number"], a[key]) for a in version.articles], version


def _the_charter_has_two_published_versions_and_a_draft_in_french_and_english():
    now = timezone.now()
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        settings = ModerationSettings.objects.get(workspace=workspace)
        assert settings.charter_public
        v1, v2, v3 = CharterVersion.objects.filter(workspace=workspace).order_by("number")
        assert now - timedelta(days=40) < v1.published_at < now - timedelta(days=25)
        assert now - timedelta(days=10) < v2.published_at < now - timedelta(days=3) and v2.changes
        assert v3.published_at is None and v3.changes
        for version in (v1, v2, v3):
            _charter_is_consistent(version)
            assert 6 <= len(version.articles) <= 8
            assert detect(version.body_fr)[0] == "fr" and detect(version.body_en)[0] == "en"
        assert [a["number"] for a in v2.articles] == list(range(1, len(v2.articles) + 1))
        assert v1.body_fr != v2.body_fr and len(v3.articles) == len(v2.articles) + 1
        acceptances = CharterAcceptance.objects.filter(workspace=workspace)
        assert acceptances.filter(version=v1).count() >= 3 and acceptances.filter(version=v2).count() >= 5
        assert not acceptances.filter(version=v3).exists()
        assert not acceptances.filter(accepted_at__lt=timezone.now() - timedelta(days=40)).exists()


def _the_rules_cover_every_kind_with_their_documented_params():
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        articles = {a["number"] for a in CharterVersion.objects.get(workspace=workspace, number=2).articles}
        rules = Rule.objects.filter(workspace=workspace)
        assert set(rules.values_list("kind", flat=True)) == set(Rule.Kind.values)
        assert rules.filter(dry_run=True, enabled=True).count() == 1 and rules.filter(enabled=False).exists()
        assert any("reply" in r.actions for r in rules.exclude(reply_template=""))
        for rule in rules:
            assert set(rule.params) == PARAMS[rule.kind], rule.name
            assert rule.actions and set(rule.actions) <= {"flag", "hold", "hide", "delete", "reply", "notify"}
            assert set(rule.articles) <= articles
            if rule.kind == "words":
                parse(rule.params["query"])
            if rule.kind == "model":
                assert 0 < rule.params["threshold"] < 1 and rule.params["task"] in ("toxicity", "spam")
                # A model score alone never hides.
                assert not {"hide", "delete"} & set(rule.actions) or not rule.enabled, rule.name
            assert rule.caught_count > 0
        assert len({r.position for r in rules}) == rules.count()


def _the_review_queue_holds_flagged_stream_items_and_decisions():
    now = timezone.now()
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        rules = {r.pk: r for r in Rule.objects.filter(workspace=workspace)}
        cases = Case.objects.filter(workspace=workspace).select_related("item", "channel")
        open_cases, decided = cases.filter(status="open"), cases.filter(status="decided")
        assert 10 <= open_cases.count() <= 15 and 18 <= decided.count() <= 26
        assert set(decided.values_list("decision", flat=True)) == set(Case.Decision.values)
        assert open_cases.filter(held=True).exists() and open_cases.filter(held=False).exists()
        assert not decided.filter(held=True).exists() and not open_cases.exclude(decision="").exists()
        for case in cases:
            # Real messages of the owned channels, read by understanding, the case keeping their text.
            assert case.item.channel_id == case.channel_id and case.channel.workspace_id == workspace.pk
            assert case.item.analysed_at is not None and case.text == case.item.text and case.identity_id
            assert case.reasons
            for reason in case.reasons:
                rule = rules[reason["rule"]]
                assert reason["rule_name"] == rule.name and reason["kind"] == rule.kind and reason["detail"]
                assert rule.enabled and not rule.dry_run
                if rule.kind == "model":
                    task = rule.params["task"]
                    assert reason["scores"][task] == round(case.item.scores[task], 2) >= rule.params["threshold"]
        # A spam wave waiting for a bulk decision: the same text from several accounts first seen that day.
        texts = list(open_cases.values_list("text", flat=True))
        wave = max(set(texts), key=texts.count)
        waved = open_cases.filter(text=wave)
        assert waved.count() >= 3 and waved.values("identity").distinct().count() == waved.count()
        assert all(now - c.identity.first_seen_at < timedelta(days=1) for c in waved.select_related("identity"))
        # Decisions by several moderators, spread so a median time to decision shows.
        assert decided.values("decided_by").distinct().count() >= 3
        assert not decided.filter(decided_by=None).exists() and not decided.filter(decided_at=None).exists()
        delays = [(c.decided_at - c.created_at).total_seconds() / 60 for c in decided]
        assert min(delays) > 0 and 10 <= statistics.median(delays) <= 360
        assert decided.filter(created_at__lt=now - timedelta(days=14)).exists()
        assert not decided.filter(decision__in=["warned", "sanctioned", "hidden"], articles=[]).exists()
        # What the rules did: done, to do by hand, logged by the dry-run rule, and one undone on approval.
        autos = AutoAction.objects.filter(workspace=workspace)
        assert {"done", "manual", "logged", "undone"} <= set(autos.values_list("result", flat=True))
        assert not autos.filter(rule_name="").exists() and not autos.filter(item=None).exists()
        assert not autos.filter(result="logged").exclude(rule__dry_run=True).exists()
        undone = autos.filter(result="undone")
        assert undone.exists() and not undone.filter(undone_by=None).exists()
        assert not undone.exclude(case__decision="approved").exists()


def _the_sanctions_history_has_every_step_executions_and_appeals():
    now = timezone.now()
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        steps = list(LadderStep.objects.filter(workspace=workspace))
        assert [s.kind for s in steps] == ["reminder", "warning", "mute", "suspension", "ban"]
        assert [s.duration_hours for s in steps] == [None, None, 24, 168, None]
        sanctions = Sanction.objects.filter(workspace=workspace)
        assert set(sanctions.values_list("kind", flat=True)) == set(LadderStep.Kind.values)
        assert sanctions.filter(kind__in=["reminder", "warning"]).values("person").distinct().count() >= 3
        for sanction in sanctions:
            numbers = {a["number"] for a in sanction.charter_version.articles}
            assert sanction.articles and set(sanction.articles) <= numbers
            assert sanction.person_id and sanction.identity.person_id == sanction.person_id
            assert sanction.case.person_id == sanction.person_id and sanction.case.decision in ("warned", "sanctioned")
        # The active 24 h mute, carried out on Mastodon, with a pending appeal for another moderator.
        mute = sanctions.get(kind="mute", status="active")
        assert now < mute.ends_at <= now + timedelta(hours=24) and mute.message and mute.appeal_token_hash
        assert mute.executions.filter(channel__network="mastodon", action="mute", state="done").exists()
        pending = Appeal.objects.get(workspace=workspace, status="pending")
        assert pending.sanction == mute and pending.reviewer is None and pending.text
        # The person behind it went up the ladder: reminder, warning, mute.
        assert list(sanctions.filter(person=mute.person).order_by("starts_at").values_list("level", flat=True)) == [1, 2, 3]
        suspension = sanctions.get(kind="suspension")
        assert suspension.status == "expired" and suspension.ends_at < now
        assert suspension.executions.filter(state="done").exists()
        ban = sanctions.get(kind="ban")
        assert ban.status == "active" and ban.ends_at is None
        assert ban.executions.filter(state="manual").exists() and ban.executions.filter(state="done").exists()
        assert ban.person.identities.count() == 2
        lifted = sanctions.get(status="lifted")
        appeal = lifted.appeals.get()
        assert appeal.status == "lifted" and appeal.reason and appeal.reviewer and appeal.decided_at
        assert appeal.reviewer != lifted.decided_by and lifted.lifted_by == appeal.reviewer and lifted.lift_reason
        assert not lifted.executions.exclude(state="undone").exists()


def _demo_texts_are_in_the_workspace_language_with_some_english():
    for slug in SLUGS:
        workspace = Workspace.objects.get(slug=slug)
        languages = [detect(t)[0] for t in Case.objects.filter(workspace=workspace).values_list("text", flat=True)]
        assert languages.count("fr") > len(languages) * 0.7 and languages.count("en") >= 2
        for text in Sanction.objects.filter(workspace=workspace).exclude(message="").values_list("message", flat=True):
            assert "article" in text
        for rule in Rule.objects.filter(workspace=workspace).exclude(reply_template=""):
            assert detect(rule.reply_template)[0] == workspace.language


def test_every_moderation_screen_of_both_demo_workspaces_is_full_once(demo_made):
    """One demo for every check (it takes most of a minute to make)."""
    assert demo_made < 2 * len(SLUGS)  # under 2 s a workspace
    _the_charter_has_two_published_versions_and_a_draft_in_french_and_english()
    _the_rules_cover_every_kind_with_their_documented_params()
    _the_review_queue_holds_flagged_stream_items_and_decisions()
    _the_sanctions_history_has_every_step_executions_and_appeals()
    _demo_texts_are_in_the_workspace_language_with_some_english()
    # Made once: a second run changes nothing.
    counts = [m.objects.count() for m in MODELS]
    assert moderation_demo.add_demo() == 0
    assert [m.objects.count() for m in MODELS] == counts
