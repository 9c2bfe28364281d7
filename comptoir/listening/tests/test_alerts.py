"""Alerts: a spike injected into a stream raises exactly one alert, a flat stream none, whatever the noise."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from comptoir.conftest import membership_of
from comptoir.listening import alerts, detect
from comptoir.listening.models import Alert, AlertRule, Topic
from comptoir.workspaces.models import AuditEvent

from . import watchdata as wd

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
DAYS = 14


@pytest.fixture
def brand(workspace):
    return wd.topic(workspace, "Vélo Lyon")


@pytest.fixture
def src(workspace):
    return wd.source(workspace)


def spike_rule(workspace, topic, **kwargs) -> AlertRule:
    values = {"name": "Pic sur la marque", "kind": AlertRule.Kind.SPIKE, "topic": topic, "sensitivity": "medium",
              "min_mentions": 10, "next_check_at": START}
    return AlertRule.objects.create(workspace=workspace, **(values | kwargs))


def run_clock(rule: AlertRule, start: datetime, end: datetime, every: timedelta = timedelta(hours=1)) -> list:
    """Evaluate the rule at each step from ``start`` to ``end``, the clock travelling with it."""
    outcomes = []
    t = start
    while t <= end:
        with time_machine.travel(t, tick=False):
            outcomes.append(alerts.evaluate_rule(rule.pk))
        t += every
    return outcomes


def test_a_flat_stream_with_noise_raises_no_alert(workspace, brand, src):
    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, wd.poisson(20))))
    rule = spike_rule(workspace, brand)
    run_clock(rule, START + timedelta(days=1), START + timedelta(days=DAYS), every=timedelta(minutes=40))
    assert Alert.objects.count() == 0


def test_a_daily_rhythm_is_not_a_spike(workspace, brand, src):
    # Quiet nights, busy days: each hour is compared with the same hour of the previous days.
    def rhythm(h, rng):
        return wd.poisson(30 if 8 <= h % 24 <= 20 else 2)(h, rng)

    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, rhythm)))
    rule = spike_rule(workspace, brand, sensitivity="high")
    run_clock(rule, START + timedelta(days=1), START + timedelta(days=DAYS))
    assert Alert.objects.count() == 0


@pytest.mark.parametrize("min_mentions", [1, 10])
def test_low_volume_noise_raises_no_alert_even_without_a_minimum(workspace, brand, src, min_mentions):
    # 0 to 3 mentions an hour: going from 0 to 3 is chance, not a bad buzz.
    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, lambda h, rng: rng.randint(0, 3))))
    for sensitivity in ("low", "medium", "high"):
        spike_rule(workspace, brand, name=f"Pic {sensitivity}", sensitivity=sensitivity, min_mentions=min_mentions)
    for rule in AlertRule.objects.all():
        run_clock(rule, START + timedelta(days=1), START + timedelta(days=DAYS))
    assert Alert.objects.count() == 0


def _spiked(h, rng):
    day, hour = divmod(h, 24)
    if day == 10 and hour == 14:
        return 150
    if day == 10 and hour == 15:
        return 220  # the spike goes on and grows
    return wd.poisson(20)(h, rng)


def test_a_spike_raises_exactly_one_alert_updated_as_it_grows_then_over(workspace, brand, src):
    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, _spiked)))
    rule = spike_rule(workspace, brand)
    before_spike = START + timedelta(days=10, hours=14)
    run_clock(rule, START + timedelta(days=1), before_spike)
    assert Alert.objects.count() == 0

    with time_machine.travel(before_spike + timedelta(hours=1), tick=False):
        outcome = alerts.evaluate_rule(rule.pk)
    assert outcome.opened
    alert = Alert.objects.get()
    assert (alert.count, alert.peak, alert.status, alert.kind, alert.topic) == (150, 150, "open", "spike", brand)
    assert 15 <= alert.baseline <= 25 and alert.detail["threshold"] <= 60
    assert alert.items.count() == 150
    assert AuditEvent.objects.filter(action="alert.raise", workspace=workspace).count() == 1

    # The next evaluations, every five minutes during the second hour of the spike: the same alert, growing.
    run_clock(rule, before_spike + timedelta(hours=1, minutes=5), before_spike + timedelta(hours=2),
              every=timedelta(minutes=5))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1
    # The windows roll every five minutes: straddling the two spike hours, one may count a little more than 220.
    assert alert.count == 220 and 220 <= alert.peak < 260 and alert.ended_at is None
    assert alert.items.count() > 300

    # Back to normal: the incident is over after three quiet hours, and a flat stream raises nothing more.
    run_clock(rule, before_spike + timedelta(hours=3), START + timedelta(days=DAYS))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1
    # Quiet from the first evaluation whose hour holds no spike (two hours after it began), over three hours later.
    assert alert.ended_at == before_spike + timedelta(hours=3 + 3)
    assert alert.peak >= 220 and alert.status == "open"


def test_a_new_spike_after_the_first_is_over_raises_a_second_alert(workspace, brand, src):
    def two_spikes(h, rng):
        return 150 if h in (10 * 24 + 14, 12 * 24 + 9) else wd.poisson(20)(h, rng)

    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, two_spikes)))
    rule = spike_rule(workspace, brand)
    run_clock(rule, START + timedelta(days=1), START + timedelta(days=DAYS))
    assert Alert.objects.count() == 2
    first, second = Alert.objects.order_by("started_at")
    assert first.ended_at is not None and first.ended_at < second.started_at


def test_an_alert_closed_during_the_spike_absorbs_it_instead_of_ringing_again(workspace, brand, src, cm):
    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, _spiked)))
    rule = spike_rule(workspace, brand)
    spike_end = START + timedelta(days=10, hours=15)
    with time_machine.travel(spike_end, tick=False):
        alerts.evaluate_rule(rule.pk)
    alert = Alert.objects.get()
    alerts.do_close_alert(membership_of(cm, workspace), alert)
    run_clock(rule, spike_end + timedelta(minutes=10), spike_end + timedelta(hours=1), every=timedelta(minutes=10))
    alert.refresh_from_db()
    assert Alert.objects.count() == 1 and alert.status == "closed" and alert.peak >= 220


def test_a_workspace_wide_rule_counts_a_message_found_by_two_topics_once(workspace, brand, src):
    other = wd.topic(workspace, "Vélo'v", kind=Topic.Kind.THEME)
    calm = wd.store(src, wd.hourly(START, 3 * 24, wd.poisson(10)))
    wd.mention(brand, calm)
    spike = wd.store(src, [wd.Msg(at=START + timedelta(days=3, minutes=m % 60)) for m in range(40)])
    wd.mention(brand, spike)
    wd.mention(other, spike)
    rule = spike_rule(workspace, None, name="Toute la veille")
    with time_machine.travel(START + timedelta(days=3, hours=1), tick=False):
        alerts.evaluate_rule(rule.pk)
    assert Alert.objects.get().count == 40


def test_a_topic_watched_for_less_than_a_day_has_no_usual_level_yet(workspace, brand, src):
    wd.mention(brand, wd.store(src, wd.hourly(START, 5, lambda h, rng: 3 if h < 4 else 80)))
    rule = spike_rule(workspace, brand)
    run_clock(rule, START + timedelta(hours=1), START + timedelta(hours=5))
    assert Alert.objects.count() == 0


def _surge(h, rng):
    return 40 if h == 10 * 24 + 14 else wd.poisson(20)(h, rng)


def test_a_negative_surge_raises_one_alert_and_a_cheerful_spike_none(workspace, brand, src):
    wd.mention(brand, wd.store(src, wd.hourly(START, DAYS * 24, _surge, negative_share=lambda h: 0.7 if h == 10 * 24 + 14 else 0.1)))
    cheerful = wd.topic(workspace, "Fête du vélo", kind=Topic.Kind.THEME)
    wd.mention(cheerful, wd.store(src, wd.hourly(START, DAYS * 24, lambda h, rng: 200 if h == 11 * 24 + 10 else
                                                 wd.poisson(20)(h, rng), seed=3, negative_share=0.1)))
    for t in (brand, cheerful):
        AlertRule.objects.create(workspace=workspace, name=f"Négatif {t.name}", kind=AlertRule.Kind.NEGATIVE, topic=t,
                                 min_mentions=5, next_check_at=START)
    for rule in AlertRule.objects.all():
        run_clock(rule, START + timedelta(days=1), START + timedelta(days=DAYS))
    alert = Alert.objects.get()
    assert alert.kind == "negative" and alert.topic == brand
    assert alert.detail["share"] >= 0.5 and alert.detail["usual_share"] < 0.2
    assert alert.items.exclude(sentiment="negative").count() == 0


def test_a_watched_author_rings_for_their_new_messages_only(workspace, brand, src, cm):
    old = wd.store(src, [wd.Msg(at=START, author="journaliste_lyon", text="Vieux papier")])
    wd.mention(brand, old)
    member = membership_of(cm, workspace)
    rule = alerts.do_save_rule(member, alerts.RuleData(name="La journaliste", kind="author", topic=None,
                                                       value="@Journaliste_Lyon"))
    assert rule.value == "Journaliste_Lyon"
    alerts.evaluate_rule(rule.pk)
    assert Alert.objects.count() == 0
    wd.store(src, [wd.Msg(at=timezone.now(), author="journaliste_lyon", text="Enquête sur les vélos en libre-service"),
                   wd.Msg(at=timezone.now(), author="quelquun", text="Rien à voir")])
    alerts.evaluate_rule(rule.pk)
    alert = Alert.objects.get()
    assert alert.count == 1 and list(alert.items.values_list("text", flat=True)) == ["Enquête sur les vélos en libre-service"]
    alerts.evaluate_rule(rule.pk)  # nothing new: unchanged
    wd.store(src, [wd.Msg(at=timezone.now(), author="journaliste_lyon", text="Suite de l'enquête")])
    alerts.evaluate_rule(rule.pk)
    alert.refresh_from_db()
    assert Alert.objects.count() == 1 and alert.count == 2
    with time_machine.travel(timezone.now() + timedelta(hours=25), tick=False):
        alerts.evaluate_rule(rule.pk)
    alert.refresh_from_db()
    assert alert.ended_at is not None


def test_a_watched_keyword_rings_for_new_matching_mentions_of_its_topic(workspace, brand, src, cm):
    member = membership_of(cm, workspace)
    rule = alerts.do_save_rule(member, alerts.RuleData(name="Rappel", kind="keyword", topic=brand,
                                                       value='"rappel produit" OR intoxication'))
    items = wd.store(src, [wd.Msg(at=timezone.now(), text="Un RAPPEL produit chez Vélo Lyon ?"),
                           wd.Msg(at=timezone.now(), text="Le rappel du produit est sans rapport"),
                           wd.Msg(at=timezone.now(), text="Risque d'intoxication signalé")])
    wd.mention(brand, items[:2])
    alerts.evaluate_rule(rule.pk)
    assert list(Alert.objects.get().items.values_list("pk", flat=True)) == [items[0].pk]


@pytest.mark.parametrize("value, message", [
    ("", "Enter the words to watch"), ("(vélo", "Column"), ("NOT vélo", "Column"), ("x" * 2001, "at most 2000"),
])
def test_a_keyword_rule_needs_a_valid_query(workspace, cm, value, message):
    from django.core.exceptions import ValidationError
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValidationError) as exc:
        alerts.do_save_rule(membership_of(cm, workspace), alerts.RuleData(name="Mot", kind="keyword", topic=None, value=value))
    assert message in " ".join(exc.value.message_dict["value"])


def test_the_clock_claims_a_due_rule_once_and_the_mentions_signal_makes_rules_due(workspace, brand, django_capture_on_commit_callbacks):
    from comptoir.clock import claims
    from comptoir.listening.clock import claim_due_alert_rules
    from comptoir.listening.signals import mentions_created

    assert "listening_alert_rules" in [c.name for c in claims.claimers()]
    now = timezone.now()
    due = spike_rule(workspace, brand, next_check_at=now - timedelta(seconds=1))
    later = spike_rule(workspace, brand, name="Plus tard", next_check_at=now + timedelta(minutes=4))
    spike_rule(workspace, brand, name="Éteinte", enabled=False, next_check_at=now - timedelta(minutes=1))
    with django_capture_on_commit_callbacks() as callbacks:
        assert claim_due_alert_rules() == [due.pk]
        assert claim_due_alert_rules() == []
    assert len(callbacks) == 1
    due.refresh_from_db()
    assert due.next_check_at > now
    mentions_created.send(sender=None, workspace_id=workspace.pk, mention_ids=[])
    later.refresh_from_db()
    assert later.next_check_at <= timezone.now()
    assert sorted(claim_due_alert_rules()) == sorted([due.pk, later.pk])


def test_thresholds_are_robust_to_small_counts_and_to_a_past_spike():
    assert not detect.judge_count(3, [0] * 14, "high", 1).unusual
    usual = [1, 2, 0, 3, 1, 2, 0, 1, 3, 2, 1, 0, 2, 1]
    assert not detect.judge_count(3, usual, "high", 1).unusual
    assert not detect.judge_count(6, usual, "medium", 1).unusual
    assert detect.judge_count(6, usual, "high", 1).unusual
    assert detect.judge_count(60, [20, 19, 22, 18, 21, 20, 23, 17, 20, 21, 19, 22, 20, 18], "medium", 10).unusual
    # A spike two weeks ago does not lift the usual level: the median ignores it.
    assert detect.judge_count(60, [20, 19, 22, 18, 21, 400, 23, 17, 20, 21, 19, 22, 20, 18], "medium", 10).unusual
    assert detect.poisson_threshold(20, 1e-4) == 40
    assert detect.poisson_threshold(1000, 1e-4) > 1100


def test_a_topics_past_read_again_is_not_news_for_a_watched_author(workspace, brand, src, cm):
    rule = alerts.do_save_rule(membership_of(cm, workspace), alerts.RuleData(name="La journaliste", kind="author",
                                                                             topic=brand, value="journaliste_lyon"))
    with time_machine.travel(timezone.now() - timedelta(days=3)):
        old = wd.store(src, [wd.Msg(at=timezone.now(), author="journaliste_lyon", text="Vieux papier")])
    wd.mention(brand, old)  # the topic's query changed: its past was read again
    alerts.evaluate_rule(rule.pk)
    assert Alert.objects.count() == 0
    wd.mention(brand, wd.store(src, [wd.Msg(at=timezone.now(), author="journaliste_lyon", text="Nouveau papier")]))
    alerts.evaluate_rule(rule.pk)
    assert list(Alert.objects.get().items.values_list("text", flat=True)) == ["Nouveau papier"]
