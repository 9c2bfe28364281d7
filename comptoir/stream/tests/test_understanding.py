"""Items get read by the understanding cascade, and community managers correct what it got wrong."""

import csv
import io

import pytest
from django.core.management import call_command

from comptoir.conftest import membership_of
from comptoir.connectors.base import Author, FetchedItem, ItemKind
from comptoir.stream import actions, tasks
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, LabelCorrection, Source
from comptoir.understanding import datasets
from comptoir.workspaces.models import AuditEvent


@pytest.fixture
def analysed(workspace, django_capture_on_commit_callbacks):
    source = Source.objects.create(workspace=workspace, network="rss", label="Forum", language="fr")
    fetched = [
        FetchedItem("a", ItemKind.COMMENT, "Toujours pas reçu ma commande, c'est inadmissible !", Author("rss", "jean")),
        FetchedItem("b", ItemKind.COMMENT, "Je voudrais adhérer à l'association, comment faire ?", Author("rss", "lea")),
        FetchedItem("c", ItemKind.COMMENT, "Bravo pour la balade de dimanche, organisation au top !", Author("rss", "max")),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        result = store_fetched(source, fetched)
    assert tasks.analyse_items.call(result.item_ids) == 3
    return {i.external_id: i for i in Item.objects.filter(source=source)}


def test_new_items_get_every_label(analysed):
    complaint, membership, praise = analysed["a"], analysed["b"], analysed["c"]
    assert complaint.language == "fr" and complaint.sentiment == "negative" and complaint.complaint == "complaint"
    assert membership.intent == "membership"
    assert praise.sentiment == "positive"
    for item in analysed.values():
        assert item.toxicity == "clean" and item.spam == "ham" and item.model_version and item.analysed_at
        assert "sentiment" in item.scores and item.topics


def test_analysing_twice_changes_nothing(analysed):
    ids = [i.pk for i in analysed.values()]
    assert tasks.analyse_items.call(ids) == 0


def test_the_stream_filters_by_what_understanding_read(workspace, cm, as_user, analysed):
    body = as_user(cm).get("/w/velo/stream/?complaint=complaint").content.decode()
    assert "inadmissible" in body and "adhérer" not in body
    body = as_user(cm).get("/w/velo/stream/?intent=membership").content.decode()
    assert "adhérer" in body and "inadmissible" not in body


def test_a_community_manager_corrects_a_label_and_it_becomes_training_data(workspace, cm, as_user, analysed, tmp_path):
    item = analysed["c"]
    response = as_user(cm).post(f"/w/velo/stream/items/{item.pk}/correct/", {"task": "intent", "label": "purchase",
                                                                            "next": "/w/velo/stream/?lang=fr"})
    assert response.status_code == 302 and response.url == "/w/velo/stream/?lang=fr"
    item.refresh_from_db()
    assert item.intent == "purchase"
    correction = LabelCorrection.objects.get(item=item)
    assert correction.old_label != "purchase" and correction.corrected_by == cm
    assert AuditEvent.objects.filter(action="item.correct_label").exists()

    out = tmp_path / "corrections" / "velo.csv"
    out.parent.mkdir()
    call_command("export", "corrections", "--out", str(out), stderr=io.StringIO())
    rows = list(csv.DictReader(out.open()))
    assert rows == [{"text": item.text, "task": "intent", "label": "purchase", "lang": "fr"}]
    loaded = datasets.load_corrections(tmp_path)
    assert [(r.text, r.label) for r in loaded["intent"]] == [(item.text, "purchase")]


def test_correcting_the_complaint_label_keeps_intent_consistent(workspace, cm, analysed):
    item = analysed["a"]
    actions.do_correct_label(membership_of(cm, workspace), item, "complaint", "other")
    item.refresh_from_db()
    assert item.complaint == "other" and item.intent != "complaint"


@pytest.mark.parametrize("task, label", [("mood", "happy"), ("sentiment", "ecstatic"), ("", ""), ("intent", "<script>")])
def test_bad_corrections_are_refused(workspace, cm, as_user, analysed, task, label):
    item = analysed["a"]
    before = (item.sentiment, item.intent)
    response = as_user(cm).post(f"/w/velo/stream/items/{item.pk}/correct/", {"task": task, "label": label}, follow=True)
    assert response.status_code == 200 and "alert-danger" in response.content.decode()
    item.refresh_from_db()
    assert (item.sentiment, item.intent) == before and not LabelCorrection.objects.exists()


def test_analysts_and_outsiders_cannot_correct(workspace, analyst, outsider, as_user, analysed):
    item = analysed["a"]
    assert as_user(analyst).post(f"/w/velo/stream/items/{item.pk}/correct/", {"task": "spam", "label": "spam"}).status_code == 403
    assert as_user(outsider).post(f"/w/velo/stream/items/{item.pk}/correct/", {"task": "spam", "label": "spam"}).status_code == 404
    assert not LabelCorrection.objects.exists()


def test_a_correction_never_redirects_off_the_stream(workspace, cm, as_user, analysed):
    response = as_user(cm).post(f"/w/velo/stream/items/{analysed['a'].pk}/correct/",
                                {"task": "spam", "label": "spam", "next": "https://evil.example/"})
    assert response.url == "/w/velo/stream/"


def test_the_demo_fil_has_analysed_french_and_english_messages(db):
    from comptoir import demo
    from comptoir.stream.demo import add_demo_items

    demo.create()
    assert add_demo_items() == 0  # once only
    items = Item.objects.filter(workspace__slug="velo-lyon")
    assert items.filter(language="fr").exists() and items.filter(language="en").exists()
    assert items.filter(spam="spam").exists() and items.filter(intent="membership").exists()
    assert not items.filter(analysed_at__isnull=True).exists()


def test_label_names_follow_each_users_language(workspace, cm, as_user, analysed):
    cm.language = "en"
    cm.save()
    body = as_user(cm).get("/w/velo/stream/").content.decode()
    assert ">Membership<" in body and "Adhésion" not in body
    cm.language = "fr"
    cm.save()
    assert "Adhésion" in as_user(cm).get("/w/velo/stream/").content.decode()


def test_a_demo_source_cannot_be_read(db, as_user):
    from comptoir import demo
    from comptoir.workspaces.models import User

    demo.create()
    source = Source.objects.filter(workspace__slug="velo-lyon", network="demo").first()
    client = as_user(User.objects.get(email="camille@demo.comptoir.test"))
    response = client.post(f"/w/velo-lyon/sources/{source.pk}/", {"action": "resume"}, follow=True)
    assert "alert-danger" in response.content.decode()
    source.refresh_from_db()
    assert source.status == Source.Status.PAUSED
