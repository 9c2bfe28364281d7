"""The review queue: cases gather their reasons, moderators decide (on the network where it allows it), in bulk for
spam waves, and the team sees its median time to decision."""

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.inbox.tests.conftest import bring, message
from comptoir.moderation import queue
from comptoir.moderation.models import AutoAction, Case, CharterVersion, LadderStep, Rule, Sanction
from comptoir.publishing.tests.delivery_fixtures import mastodon_channel
from comptoir.stream.models import Item
from comptoir.tests.test_api_errors import token_client
from comptoir.workspaces.models import AuditEvent


def _rule(workspace, name="Insultes", kind=Rule.Kind.WORDS):
    return Rule.objects.create(workspace=workspace, name=name, kind=kind, actions=["flag"])


def _charter(workspace, numbers=(1, 2, 3)):
    return CharterVersion.objects.create(
        workspace=workspace, number=1, published_at=timezone.now(),
        articles=[{"number": n, "title_fr": f"Article {n}", "title_en": f"Article {n}"} for n in numbers])


def _flagged(channel, rule, n=1, text="Espèce d'abruti, tais-toi", who="troll@masto.example"):
    ids = bring(channel, *[message(f"m-{rule.pk}-{i}", f"{text} {i}", who=who, minutes=i) for i in range(n)])
    return [queue.open_case(Item.objects.get(pk=i), rule=rule, reason={"detail": "matched “abruti”",
                                                                         "scores": {"toxicity": 0.91}}) for i in ids]


def test_a_case_gathers_the_reasons_of_every_rule_once(workspace, channel):
    words, model = _rule(workspace), _rule(workspace, "Modèle toxicité", Rule.Kind.MODEL)
    [case] = _flagged(channel, words)
    item = case.item
    assert queue.open_case(item, rule=words, reason={"detail": "matched “abruti”"}).pk == case.pk
    queue.open_case(item, rule=model, reason={"detail": "toxicity 0.91", "scores": {"toxicity": 0.91}})
    case.refresh_from_db()
    assert [r["rule_name"] for r in case.reasons] == ["Insultes", "Modèle toxicity".replace("toxicity", "toxicité")]
    assert case.reasons[1]["scores"] == {"toxicity": 0.91} and case.reasons[1]["kind"] == "model"
    assert case.text.startswith("Espèce d'abruti") and case.identity == item.author and case.channel == channel
    assert Case.objects.count() == 1


def test_a_decided_case_reopens_only_on_a_new_reason_from_a_rule(workspace, channel, moderator):
    words, flood = _rule(workspace), _rule(workspace, "Flood", Rule.Kind.FLOOD)
    [case] = _flagged(channel, words)
    queue.do_decide(membership_of(moderator, workspace), case, "approve")
    queue.open_case(case.item, rule=words, reason={"detail": "matched “abruti”"})  # the same reason: stays decided
    queue.open_case(case.item, reason={"kind": "report", "detail": "reported by a member"})
    case.refresh_from_db()
    assert case.status == "decided" and len(case.reasons) == 2
    queue.open_case(case.item, rule=flood, reason={"detail": "6 messages in 2 minutes"})
    case.refresh_from_db()
    assert case.status == "open" and case.decision == "" and case.decided_at is None
    assert AuditEvent.objects.filter(action="case.reopen").exists()


def test_a_moderator_approves_and_the_hold_is_lifted(workspace, channel, moderator):
    [case] = _flagged(channel, _rule(workspace))
    Case.objects.filter(pk=case.pk).update(held=True)
    case.refresh_from_db()
    outcome = queue.do_decide(membership_of(moderator, workspace), case, "approve", note="Second degré")
    case.refresh_from_db()
    assert (case.status, case.decision, case.held, case.decided_by) == ("decided", "approved", False, moderator)
    assert case.decision_note == "Second degré" and outcome.network == ""  # the hold was Comptoir's only
    event = AuditEvent.objects.get(action="case.decide")
    assert event.after["decision"] == "approved"


def test_hiding_on_mastodon_is_to_do_by_hand_and_deleting_our_own_status_is_done(workspace, moderator, masto):
    channel = mastodon_channel(workspace, masto)
    channel.handle = "@alice@127.0.0.1"  # the account as the peer names its author: our own statuses are known as ours
    channel.save()
    rule = _rule(workspace)
    member = membership_of(moderator, workspace)
    [case] = _flagged(channel, rule)
    outcome = queue.do_decide(member, case, "hide")
    assert outcome.network == AutoAction.Result.MANUAL and "Mastodon" in outcome.error
    assert case.decision == "hidden" and "by hand" in outcome.sentence()
    # One of the channel's own statuses (alice is the channel): Mastodon lets us delete it.
    alice = masto.client("alice")
    status = alice.status_post("Message à retirer, abruti")
    ids = bring(channel, message(str(status["id"]), "Message à retirer, abruti", who="alice@127.0.0.1"))
    own = queue.open_case(Item.objects.get(pk=ids[0]), rule=rule, reason={"detail": "matched"})
    outcome = queue.do_decide(member, own, "delete")
    assert outcome.network == AutoAction.Result.DONE, outcome.error
    assert str(status["id"]) not in {str(s["id"]) for s in alice.account_statuses(alice.me())}


def test_a_warning_cites_the_charter_and_records_a_sanction(workspace, channel, moderator):
    _charter(workspace)
    LadderStep.objects.create(workspace=workspace, position=1, kind="reminder", label="Rappel")
    LadderStep.objects.create(workspace=workspace, position=2, kind="warning", label="Avertissement")
    LadderStep.objects.create(workspace=workspace, position=3, kind="mute", duration_hours=24, label="24 h")
    [case] = _flagged(channel, _rule(workspace))
    outcome = queue.do_decide(membership_of(moderator, workspace), case, "warn", articles=["3"])
    sanction = Sanction.objects.get(case=case)
    assert case.decision == "warned" and case.articles == [3]
    assert sanction.kind in ("reminder", "warning") and sanction.articles == [3] and outcome.sanction == sanction


@pytest.mark.parametrize("articles, field", [(["9"], "articles"), (["<script>"], "articles"), (["1"] * 3 + ["x"], "articles")])
def test_articles_that_are_not_in_the_charter_are_refused(workspace, channel, moderator, articles, field):
    _charter(workspace)
    [case] = _flagged(channel, _rule(workspace))
    with pytest.raises(ValidationError) as caught:
        queue.do_decide(membership_of(moderator, workspace), case, "hide", articles=articles)
    assert field in caught.value.message_dict
    case.refresh_from_db()
    assert case.status == "open"


def test_unknown_decisions_and_decided_cases_are_refused(workspace, channel, moderator):
    [case] = _flagged(channel, _rule(workspace))
    member = membership_of(moderator, workspace)
    for bad in ("ban", "", None, "<script>", 3):
        with pytest.raises(ValidationError):
            queue.do_decide(member, case, bad)
    queue.do_decide(member, case, "approve")
    with pytest.raises(ValidationError, match="already decided"):
        queue.do_decide(member, case, "hide")


def test_analysts_and_outsiders_cannot_decide(workspace, other_workspace, channel, analyst, outsider, as_user):
    [case] = _flagged(channel, _rule(workspace))
    with pytest.raises(PermissionDenied):
        queue.do_decide(membership_of(analyst, workspace), case, "approve")
    with pytest.raises(PermissionDenied):
        queue.do_decide(membership_of(outsider, other_workspace), case, "approve")
    url = f"/w/velo/moderation/cases/{case.pk}/decide/"
    assert as_user(analyst).post(url, {"decision": "approve"}).status_code == 403
    assert as_user(outsider).post(url, {"decision": "approve"}).status_code == 404
    assert as_user(outsider).post(f"/w/autre/moderation/cases/{case.pk}/decide/", {"decision": "approve"}).status_code == 404
    case.refresh_from_db()
    assert case.status == "open"
    assert as_user(analyst).get("/w/velo/moderation/queue/").status_code == 200  # they read the queue


def test_the_queue_shows_open_cases_with_their_reasons_and_decides_from_the_pane(workspace, channel, moderator, as_user):
    _charter(workspace)
    rule = _rule(workspace)
    [case] = _flagged(channel, rule)
    bring(channel, message("calm", "Merci pour l'atelier !"))
    client = as_user(moderator)
    body = client.get("/w/velo/moderation/queue/").content.decode()
    assert "Espèce d&#x27;abruti" in body and "Merci pour l" not in body and "Insultes" in body
    assert 'data-testid="median"' in body
    pane = client.get(f"/w/velo/moderation/queue/?item={case.item_id}").content.decode()
    assert 'data-testid="decide-form"' in pane and 'data-testid="article-3"' in pane and "sanction-panel" in pane
    response = client.post(f"/w/velo/moderation/cases/{case.pk}/decide/",
                           {"decision": "hide", "articles": ["1", "3"], "next": "/w/velo/moderation/queue/"})
    assert response.status_code == 302 and response.url == "/w/velo/moderation/queue/"
    case.refresh_from_db()
    assert case.decision == "hidden" and case.articles == [1, 3]
    assert "Espèce" not in client.get("/w/velo/moderation/queue/").content.decode()
    assert "Espèce" in client.get("/w/velo/moderation/queue/?status=decided").content.decode()
    assert "Espèce" in client.get(f"/w/velo/moderation/queue/?status=all&rule={rule.pk}&reason=words").content.decode()


def test_a_spam_wave_is_hidden_in_bulk_with_counts(workspace, channel, moderator, as_user):
    moderator.language = "en"  # the page speaks its reader's language; this one reads English
    moderator.save()
    cases = _flagged(channel, _rule(workspace, "Spam"), n=4, text="Gagnez 1000 € http://spam.example")
    queue.do_decide(membership_of(moderator, workspace), cases[0], "approve")
    response = as_user(moderator).post("/w/velo/moderation/queue/bulk/", {
        "action": "hide", "items": [c.item_id for c in cases], "next": "/w/velo/moderation/queue/"}, follow=True)
    text = response.content.decode()
    assert "3 messages hidden." in text and "1 was already decided." in text and "3 to do by hand" in text
    assert Case.objects.filter(decision="hidden").count() == 3
    event = AuditEvent.objects.get(action="case.bulk_decide")
    assert event.after["count"] == 3


def test_bulk_refuses_other_workspaces_messages(workspace, other_workspace, channel, other_channel, moderator, outsider):
    [mine] = _flagged(channel, _rule(workspace))
    [theirs] = _flagged(other_channel, _rule(other_workspace))
    with pytest.raises(PermissionDenied):
        queue.do_bulk_decide(membership_of(moderator, workspace), [mine.pk, theirs.pk], "hide")
    with pytest.raises(ValidationError):
        queue.do_bulk_decide(membership_of(moderator, workspace), [mine.pk], "warn")
    assert not Case.objects.filter(status="decided").exists()


def test_the_median_time_to_decision_is_shown_per_team_and_moderator(workspace, channel, moderator, cm, as_user):
    for user in (moderator, cm):  # the page speaks its reader's language; these read English
        user.language = "en"
        user.save()
    cases = _flagged(channel, _rule(workspace), n=3)
    for case, minutes, who in zip(cases, (10, 30, 240), (moderator, moderator, cm), strict=True):
        Case.objects.filter(pk=case.pk).update(created_at=timezone.now() - dt.timedelta(minutes=minutes))
        case.refresh_from_db()
        queue.do_decide(membership_of(who, workspace), case, "approve")
    old = _flagged(channel, _rule(workspace, "Ancienne"), n=1)[0]
    Case.objects.filter(pk=old.pk).update(status="decided", decided_at=timezone.now() - dt.timedelta(days=40),
                                          created_at=timezone.now() - dt.timedelta(days=41))
    median = queue.median_time_to_decision(workspace)
    assert median["count"] == 3 and 29 * 60 <= median["all"] <= 31 * 60
    assert [(u, n) for u, _s, n in median["moderators"]] == [(moderator, 2), (cm, 1)]
    body = as_user(moderator).get("/w/velo/moderation/queue/").content.decode()
    assert "Median time to decision: 30 minutes" in body


def test_the_sidebar_counts_open_cases(workspace, channel, moderator, as_user):
    _flagged(channel, _rule(workspace), n=2)
    response = as_user(moderator).get("/w/velo/moderation/queue/")
    assert response.context["shell_counts"]["moderation_open"] == 2


# The API ----------------------------------------------------------------------------------------------------


def test_the_api_lists_filters_and_decides_cases(workspace, channel, moderator, analyst):
    _charter(workspace)
    rule, other = _rule(workspace), _rule(workspace, "Liens", Rule.Kind.LINKS)
    cases = _flagged(channel, rule, n=3)
    client = token_client(moderator, workspace)
    page = json.loads(client.get("/api/v1/workspaces/velo/moderation/cases?limit=2").content)
    assert len(page["items"]) == 2 and page["older"]
    rest = json.loads(client.get(f"/api/v1/workspaces/velo/moderation/cases?limit=2&before={page['older']}").content)
    assert len(rest["items"]) == 1 and rest["older"] is None
    assert json.loads(client.get(f"/api/v1/workspaces/velo/moderation/cases?rule={other.pk}").content)["items"] == []
    one = json.loads(client.get(f"/api/v1/workspaces/velo/moderation/cases/{cases[0].pk}").content)
    assert one["reasons"][0]["rule_name"] == "Insultes"
    done = client.post(f"/api/v1/workspaces/velo/moderation/cases/{cases[0].pk}/decide",
                       {"decision": "hide", "articles": [3]}, content_type="application/json")
    data = json.loads(done.content)
    assert done.status_code == 200 and data["decision"] == "hidden" and data["network"] == "manual"
    bad = client.post(f"/api/v1/workspaces/velo/moderation/cases/{cases[1].pk}/decide",
                      {"decision": "hide", "articles": [7]}, content_type="application/json")
    assert bad.status_code in (400, 422) and json.loads(bad.content)["field"] == "articles"
    bulk = client.post("/api/v1/workspaces/velo/moderation/decisions",
                       {"cases": [c.pk for c in cases], "decision": "delete"}, content_type="application/json")
    assert json.loads(bulk.content)["decided"] == 2 and json.loads(bulk.content)["skipped"] == 1
    refused = token_client(analyst, workspace).post(f"/api/v1/workspaces/velo/moderation/cases/{cases[0].pk}/decide",
                                                    {"decision": "approve"}, content_type="application/json")
    assert refused.status_code == 403


def test_the_api_gives_404_for_another_workspaces_case(workspace, other_workspace, other_channel, moderator):
    [theirs] = _flagged(other_channel, _rule(other_workspace))
    client = token_client(moderator, workspace)
    assert client.get(f"/api/v1/workspaces/velo/moderation/cases/{theirs.pk}").status_code == 404
    response = client.post(f"/api/v1/workspaces/velo/moderation/cases/{theirs.pk}/decide", {"decision": "hide"},
                           content_type="application/json")
    assert response.status_code == 404
    response = client.post("/api/v1/workspaces/velo/moderation/decisions", {"cases": [theirs.pk], "decision": "hide"},
                           content_type="application/json")
    assert response.status_code == 403
    theirs.refresh_from_db()
    assert theirs.status == "open"


def test_a_reasons_detail_is_shown_in_the_readers_language(workspace, channel):
    from django.utils import translation

    from comptoir.lib import i18n
    from comptoir.moderation.templatetags.moderation_tags import reason_detail

    with translation.override("en"):
        detail = i18n.gettext("matched “%(words)s”") % {"words": "abruti"}
    code, params = i18n.code_and_params(detail)
    reason = {"detail": str(detail), "detail_code": code, "detail_params": params}
    with translation.override("fr"):
        shown = reason_detail(reason)
    assert "abruti" in shown and shown != str(detail)  # written in English by the worker, read in French
    assert reason_detail({"detail": "older text"}) == "older text"
