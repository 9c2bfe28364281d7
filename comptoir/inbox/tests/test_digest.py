"""The weekly feedback digest: figures of a known week, week-over-week change, quotes, the e-mail sent once a week."""

import datetime as dt
from datetime import UTC, datetime

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import ValidationError
from django.test import override_settings

from comptoir.conftest import membership_of
from comptoir.inbox import digest
from comptoir.inbox.models import Conversation, Digest, Feedback, InboxSettings, Satisfaction
from comptoir.stream.actions import source_for_channel
from comptoir.workspaces.models import AuditEvent

MONDAY = dt.date(2026, 3, 2)  # the week of 2 to 8 March 2026, Europe/Paris (UTC+1)
IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend",
                         "QUEUES": ["default", "ingest", "nlp", "deliver", "reports"]}}


def at(day, hour, minute=0):
    return datetime(2026, 3 if day < 20 else 2, day, hour, minute, tzinfo=UTC)


def feedback(workspace, theme, when, *, kind="problem", sentiment="negative", author="Léa", quote="", answer=""):
    return Feedback.objects.create(workspace=workspace, kind=kind, theme=theme, quote=quote or f"À propos de {theme}",
                                   author_name=author, sentiment=sentiment, created_at=when, answer=answer)


@pytest.fixture
def known_week(workspace, channel):
    """Feedback, conversations and satisfaction answers around the week of 2 March (times in UTC)."""
    # The week: Horaires 3 (one at 00:30 Monday in Paris, still Sunday in UTC), Tarifs 2 (new), Accueil 1.
    feedback(workspace, "Horaires", at(1, 23, 30), author="Léa", quote="Le samedi matin ne suffit pas.")
    feedback(workspace, "horaires ", at(4, 10), kind="idea", sentiment="neutral", author="Tom",
             quote="Ouvrez le dimanche après-midi, beaucoup de familles viendraient.")
    feedback(workspace, "Horaires", at(6, 18), author="Léa", quote="Encore fermé à 17 h !")
    feedback(workspace, "Tarifs", at(3, 9), author="Ana", quote="La cotisation a doublé.")
    feedback(workspace, "Tarifs", at(5, 9), sentiment="positive", kind="idea", author="Noé", quote="Un tarif étudiant ?")
    feedback(workspace, "Accueil", at(7, 12), kind="praise", sentiment="positive", author="Zoé", quote="Merci Karim !")
    feedback(workspace, "Horaires", at(8, 23, 30), author="Max")  # Monday 9 March 00:30 in Paris: next week
    # The week before: Horaires 1 (Sunday 23:30 in Paris), Accueil 3, Parking 2 (nothing this week).
    feedback(workspace, "Horaires", at(1, 22, 30))
    for day in (24, 25, 26):
        feedback(workspace, "Accueil", at(day, 10), kind="praise", sentiment="positive", author=f"A{day}")
    feedback(workspace, "Parking", at(27, 10))
    feedback(workspace, "Parking", at(28, 10), author="Tom")

    source = source_for_channel(channel)

    def conversation(key, created, *, replied_after=None, closed=None, sentiment="negative"):
        return Conversation.objects.create(
            workspace=workspace, source=source, channel=channel, key=key, created_at=created, sentiment=sentiment,
            last_message_at=created, first_replied_at=created + replied_after if replied_after else None,
            closed_at=closed, status="closed" if closed else "open")

    first = conversation("c1", at(2, 9), replied_after=dt.timedelta(minutes=10), closed=at(3, 9))
    conversation("c2", at(3, 9), replied_after=dt.timedelta(minutes=30), sentiment="positive")
    conversation("c3", at(4, 9), replied_after=dt.timedelta(hours=2), sentiment="neutral")
    conversation("c4", at(5, 9))  # not answered yet
    conversation("c5", at(25, 9), replied_after=dt.timedelta(minutes=5))  # the week before
    for score, answered in ((5, at(3, 12)), (3, at(6, 12)), (1, at(25, 12)), (None, None)):
        Satisfaction.objects.create(workspace=workspace, conversation=first, token_hash=f"h{score}{answered}",
                                    score=score, answered_at=answered)
    return workspace


def test_the_digest_counts_a_known_week_by_theme_and_kind_against_the_week_before(known_week):
    week = digest.build(known_week, MONDAY)
    assert (week.start, week.end) == (at(1, 23), at(8, 23))  # Monday 00:00 to Monday 00:00 in Paris
    assert week.total == 6 and week.previous_total == 6
    rows = {t.name: (t.count, t.previous, t.change, t.is_new) for t in week.themes}
    assert rows == {"Horaires": (3, 1, 2, False), "Tarifs": (2, 0, 2, True), "Accueil": (1, 3, -2, False)}
    assert [t.name for t in week.themes] == ["Horaires", "Tarifs", "Accueil"]
    assert week.gone == [("Parking", 2)]
    assert {k["key"]: (k["count"], k["previous"]) for k in week.kinds} == {
        "idea": (2, 0), "problem": (3, 3), "praise": (1, 3)}
    assert (week.mood.negative, week.mood.neutral, week.mood.positive) == (3, 1, 2)
    assert week.mood.share("negative") == 50
    assert (week.conversation_mood.negative, week.conversation_mood.neutral, week.conversation_mood.positive) == (2, 1, 1)


def test_the_inbox_figures_of_the_week(known_week):
    inbox = digest.build(known_week, MONDAY).inbox
    assert (inbox.new, inbox.closed, inbox.replied) == (4, 1, 3)
    assert inbox.median_first_reply == dt.timedelta(minutes=30)
    assert (inbox.csat_average, inbox.csat_answers) == (4.0, 2)
    before = digest.build(known_week, MONDAY - dt.timedelta(days=7)).inbox
    assert (before.new, before.median_first_reply, before.csat_average) == (1, dt.timedelta(minutes=5), 1.0)


def test_what_changed_since_last_week_is_said_in_sentences(known_week):
    changes = digest.build(known_week, MONDAY).changes
    assert "New theme: “Tarifs” (2)." in changes
    assert "“Horaires” is rising: 3 against 1." in changes
    assert "“Accueil” is falling: 1 against 3." in changes
    assert "Nothing about “Parking” this week (2 the week before)." in changes
    assert "4 new conversations in the inbox, against 1 the week before." in changes
    quiet = digest.build(known_week, dt.date(2025, 1, 6))
    assert quiet.is_empty and quiet.changes == ["Nothing changed much since last week."]


def test_quotes_come_from_distinct_authors_fit_a_reading_longest_then_newest(workspace):
    def f(pk, author, text, day):
        return Feedback(pk=pk, workspace=workspace, author_name=author, quote=text, created_at=at(day, 9))

    long = "x" * 400
    candidates = [f(1, "Léa", "court", 2), f(2, "Léa", "une phrase bien plus longue", 3), f(3, "Tom", "moyen !", 4),
                  f(4, "Ana", long, 5), f(5, "Noé", "moyen ?", 6), f(6, "tom", "Tom encore, plus long que tout", 7)]
    chosen = digest.choose_quotes(candidates)
    # Léa's longest, Tom's longest (authors compared without case), then Noé (as long as Tom's first, newer).
    assert [q.pk for q in chosen] == [6, 2, 5]
    assert [q.pk for q in digest.choose_quotes(candidates[:2] + [candidates[3]])] == [2, 4, 1]  # over 280 last
    assert [q.pk for q in digest.choose_quotes([f(7, "", "a", 2), f(8, "", "b", 3)])] == [8, 7]
    week = digest.build(workspace, MONDAY)
    assert week.themes == []


def test_the_digest_page_shows_the_week_and_its_quotes(known_week, analyst, owner, as_user):
    body = as_user(analyst).get("/w/velo/inbox/digest/", {"week": "2026-03-04"}).content.decode()  # any day: its week
    assert "2 mars" in body and "8 mars 2026" in body
    assert body.count('data-testid="quote"') == 6 and "Ouvrez le dimanche après-midi" in body
    assert 'data-testid="new-theme"' in body and 'data-testid="theme-answer"' not in body  # analysts read only
    body = as_user(owner).get("/w/velo/inbox/digest/", {"week": "2026-03-02"}).content.decode()
    assert 'data-testid="theme-answer"' in body
    for hostile in ("", "2026-13-45", "<script>", "9999-12-31", "0001-01-01", "\x00"):
        assert as_user(analyst).get("/w/velo/inbox/digest/", {"week": hostile}).status_code == 200


# The e-mail -----------------------------------------------------------------------------------------------


def test_the_next_digest_is_on_its_day_at_eight_in_the_workspaces_time_zone(workspace):
    found = InboxSettings.of(workspace.pk)
    assert digest.next_digest_time(found, at(4, 12)) == at(9, 7)  # Monday 9 March 08:00 in Paris
    assert digest.next_digest_time(found, at(9, 7)) == at(16, 7)
    found.digest_weekday = 2
    assert digest.next_digest_time(found, at(4, 6)) == at(4, 7)  # Wednesday, before 08:00: the same day


@override_settings(TASKS=IMMEDIATE, BASE_URL="https://comptoir.example")
def test_the_digest_is_mailed_once_a_week_to_owners_and_recipients_in_their_language(
        known_week, owner, cm, django_capture_on_commit_callbacks):
    cm.language = "en"
    cm.save()
    InboxSettings.objects.filter(pk=InboxSettings.of(known_week.pk).pk).update(
        digest_recipients="direction@asso.test\nCAMILLE.CM@asso.test", next_digest_at=at(9, 7))
    with time_machine.travel(at(9, 7, 1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert len(digest.claim_due_digests()) == 1
        with django_capture_on_commit_callbacks(execute=True):
            assert digest.claim_due_digests() == []  # the next one is a week later
        assert digest.send_digest.call(known_week.pk, "2026-03-02") == 0  # the same week again: nothing
    assert sorted(m.to[0].lower() for m in mail.outbox) == sorted([owner.email, "direction@asso.test",
                                                                   "camille.cm@asso.test"])
    by_address = {m.to[0].lower(): m for m in mail.outbox}
    french, english = by_address["direction@asso.test"], by_address["camille.cm@asso.test"]
    assert french.subject.startswith("[Les Amis du Vélo] ") and french.subject.endswith(" 2 mars 2026")  # in French
    assert english.subject == "[Les Amis du Vélo] What members said, week of 2 March 2026"
    assert "New theme: “Tarifs” (2)." in english.body and "https://comptoir.example/w/velo/inbox/digest/?week=2026-03-02" in english.body
    html = english.alternatives[0].content
    assert "Ouvrez le dimanche après-midi" in html and "<img" not in html and "<script" not in html
    assert "<link" not in html and "https://comptoir.example/w/velo/inbox/digest/" in html
    sent = Digest.objects.get()
    assert sent.week_start == MONDAY and sent.recipients == 3
    assert InboxSettings.of(known_week.pk).next_digest_at == at(16, 7)


def test_a_mail_outage_sends_the_digest_again_later(known_week, owner, settings):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                                    "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2}}}
    with time_machine.travel(at(9, 7, 1), tick=False):
        assert digest.send_digest.call(known_week.pk, "2026-03-02") == 0
        assert not Digest.objects.exists()
        assert InboxSettings.of(known_week.pk).next_digest_at == at(9, 7, 31)


def test_recipients_are_checked_line_by_line_and_the_error_names_the_line():
    assert digest.check_recipients("a@asso.test\n\n  b@asso.test  \nA@ASSO.TEST\r\n") == ["a@asso.test", "b@asso.test"]
    for text, line in [("a@asso.test\npas une adresse", 2), ("<script>alert(1)</script>@x.test", 1),
                       ("a@asso.test\n\n\nx@y.test\x00", 4), ("a@b.test, c@d.test", 1), ("x" * 300 + "@a.test", 1),
                       ("=cmd@x.test\n@x.test", 2)]:
        with pytest.raises(ValidationError) as error:
            digest.check_recipients(text)
        message = error.value.message_dict["digest_recipients"][0]
        assert f"Line {line} (" in message, (text, message)
    with pytest.raises(ValidationError) as error:
        digest.check_recipients("\n".join(f"p{i}@asso.test" for i in range(51)))
    assert "at most 50" in error.value.message_dict["digest_recipients"][0]


def test_the_settings_form_saves_recipients_and_refuses_bad_lines(workspace, cm, analyst, as_user):
    client = as_user(cm)
    response = client.post("/w/velo/inbox/feedback/settings/", {
        "digest_recipients": "direction@asso.test\n<b>oops</b>", "digest_weekday": "0"})
    assert response.status_code == 200
    assert "ligne 2" in response.content.decode().lower() or "line 2" in response.content.decode().lower()
    assert "&lt;b&gt;oops&lt;/b&gt;" in response.content.decode()
    assert InboxSettings.of(workspace.pk).digest_recipients == ""
    for weekday in ("7", "x", ""):
        response = client.post("/w/velo/inbox/feedback/settings/", {"digest_recipients": "", "digest_weekday": weekday})
        assert response.status_code == 200
    response = client.post("/w/velo/inbox/feedback/settings/", {
        "digest_recipients": "direction@asso.test\r\nbureau@asso.test", "digest_weekday": "4"})
    assert response.status_code == 302
    found = InboxSettings.of(workspace.pk)
    assert found.digest_recipients == "direction@asso.test\nbureau@asso.test" and found.digest_weekday == 4
    assert found.next_digest_at is not None
    assert AuditEvent.objects.filter(action="inbox_settings.digest").exists()
    assert as_user(analyst).post("/w/velo/inbox/feedback/settings/", {"digest_recipients": ""}).status_code == 403


def test_the_email_preview_is_the_mail_management_receives(known_week, analyst, as_user):
    response = as_user(analyst).get("/w/velo/inbox/digest/email/", {"week": "2026-03-02"})
    assert response.status_code == 200 and "Ouvrez le dimanche après-midi" in response.content.decode()
    assert "script-src" not in response["Content-Security-Policy"] or "'none'" in response["Content-Security-Policy"]
    text = as_user(analyst).get("/w/velo/inbox/digest/email/", {"week": "2026-03-02", "format": "text"})
    assert text["Content-Type"].startswith("text/plain") and "Tarifs" in text.content.decode()


def test_the_digest_counts_feedback_marked_with_the_actions(workspace, cm, channel):
    from comptoir.inbox import feedback as fb
    from comptoir.stream.models import Item

    from .conftest import bring, message

    bring(channel, message("1", "Trop cher pour les étudiants"))
    with time_machine.travel(at(4, 10), tick=False):
        fb.do_mark_feedback(membership_of(cm, workspace), item=Item.objects.get(), kind="problem", theme="Tarifs")
    assert [t.name for t in digest.build(workspace, MONDAY).themes] == ["Tarifs"]
