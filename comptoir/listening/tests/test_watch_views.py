"""The dashboard, alerts, incidents and curation screens: who may see and do what, and hostile input."""

import pytest
from django.utils import timezone, translation

from comptoir.conftest import membership_of
from comptoir.listening import alerts, curation, incidents
from comptoir.listening.models import Alert, AlertRule, Curation, Incident, PlaybookStep
from comptoir.workspaces.audit import describe
from comptoir.workspaces.models import AuditEvent

from . import watchdata as wd

HOSTILE = "\x00<script>alert(1)</script>\x01"  # the test client cannot send a lone surrogate: see comptoir/tests


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def world(workspace, cm):
    from comptoir.workspaces.models import User

    User.objects.update(language="en")  # messages are asserted in English; the French catalogue is tested on its own
    cm.refresh_from_db()
    brand = wd.topic(workspace, "Vélo Lyon")
    src = wd.source(workspace)
    items = wd.store(src, [wd.Msg(at=timezone.now() - timezone.timedelta(minutes=m), text=f"Message {m}",
                                  sentiment="negative" if m % 2 else "neutral", url=f"https://blog.example/{m}")
                           for m in range(5)])
    wd.mention(brand, items)
    rule = AlertRule.objects.create(workspace=workspace, name="Pic", kind="spike", topic=brand)
    alert = Alert.objects.create(workspace=workspace, rule=rule, kind="spike", topic=brand, count=40, peak=40, baseline=8,
                                 detail={"threshold": 20}, started_at=timezone.now() - timezone.timedelta(hours=1))
    alert.items.add(*items[:3])
    member = membership_of(cm, workspace)
    step = incidents.do_add_playbook_step(member, incidents.StepData("call", "Appeler la directrice de la communication",
                                                                     "06 12 34 56 78"))
    incidents.do_add_playbook_step(member, incidents.StepData("statement", "Déclaration d'attente",
                                                              "Nous avons connaissance de la situation."))
    incident = incidents.do_open_incident(member, incidents.IncidentData(title="Bad buzz", alert=alert))
    curation.do_curate(member, [items[0].pk], "À relayer")
    return {"topic": brand, "items": items, "rule": rule, "alert": alert, "step": step, "incident": incident,
            "curation": Curation.objects.get(), "source": src}


def pages(world) -> list[str]:
    base = "/w/velo/listening"
    return [f"{base}/dashboard/", f"{base}/alerts/", f"{base}/alerts/{world['alert'].pk}/", f"{base}/alerts/rules/",
            f"{base}/incidents/", f"{base}/incidents/{world['incident'].pk}/", f"{base}/incidents/{world['incident'].pk}/report/",
            f"{base}/playbook/", f"{base}/curation/"]


def manager_pages(world) -> list[str]:
    base = "/w/velo/listening"
    return [f"{base}/alerts/rules/add/", f"{base}/alerts/rules/{world['rule'].pk}/",
            f"{base}/alerts/rules/{world['rule'].pk}/delete/", f"{base}/incidents/add/",
            f"{base}/incidents/add/?alert={world['alert'].pk}", f"{base}/incidents/{world['incident'].pk}/close/",
            f"{base}/playbook/{world['step'].pk}/", f"{base}/curation/{world['curation'].pk}/"]


def test_readers_see_every_screen_and_outsiders_nothing(world, analyst, moderator, contributor, outsider, as_user):
    for url in pages(world):
        assert as_user(analyst).get(url).status_code == 200, url
        assert as_user(moderator).get(url).status_code == 200, url
        assert as_user(contributor).get(url).status_code == 403, url
        assert as_user(outsider).get(url).status_code == 404, url
        assert as_user(analyst).get(url).content.decode().count("<script>") == 0


def test_only_listening_managers_change_anything(world, owner, cm, analyst, moderator, as_user):
    for url in manager_pages(world):
        assert as_user(cm).get(url).status_code == 200, url
        assert as_user(owner).get(url).status_code == 200, url
        assert as_user(analyst).get(url).status_code == 403, url
    base = "/w/velo/listening"
    posts = [(f"{base}/alerts/{world['alert'].pk}/act/", {"action": "close"}),
             (f"{base}/alerts/rules/{world['rule'].pk}/toggle/", {"enabled": "0"}),
             (f"{base}/alerts/rules/{world['rule'].pk}/delete/", {}),
             (f"{base}/playbook/", {"kind": "action", "title": "X"}),
             (f"{base}/playbook/{world['step'].pk}/act/", {"action": "delete"}),
             (f"{base}/incidents/{world['incident'].pk}/close/", {"summary": "Fini"}),
             (f"{base}/curation/add/", {"url": "https://example.org/a"}),
             (f"{base}/curation/{world['curation'].pk}/act/", {"action": "dropped"})]
    for url, data in posts:
        assert as_user(moderator).post(url, data).status_code == 403, url
    assert Alert.objects.get().status == "acknowledged" and AlertRule.objects.count() == 1
    assert Incident.objects.get().status == "open" and Curation.objects.get().status == "to_share"


def test_another_workspaces_objects_are_404_even_for_its_own_manager(world, cm, other_workspace, as_user):
    from comptoir.workspaces.models import Membership

    Membership.objects.create(workspace=other_workspace, user=cm, role="manager")
    client = as_user(cm)
    ids = {"alert": world["alert"].pk, "rule": world["rule"].pk, "incident": world["incident"].pk,
           "step": world["step"].pk, "curation": world["curation"].pk}
    base = "/w/autre/listening"
    for url in (f"{base}/alerts/{ids['alert']}/", f"{base}/alerts/rules/{ids['rule']}/",
                f"{base}/alerts/rules/{ids['rule']}/delete/", f"{base}/incidents/add/?alert={ids['alert']}",
                f"{base}/incidents/{ids['incident']}/", f"{base}/incidents/{ids['incident']}/report/",
                f"{base}/incidents/{ids['incident']}/close/", f"{base}/playbook/{ids['step']}/",
                f"{base}/curation/{ids['curation']}/"):
        assert client.get(url).status_code == 404, url
    for url in (f"{base}/alerts/{ids['alert']}/act/", f"{base}/alerts/rules/{ids['rule']}/toggle/",
                f"{base}/playbook/{ids['step']}/act/", f"{base}/curation/{ids['curation']}/act/",
                f"{base}/incidents/{ids['incident']}/items/"):
        assert client.post(url, {"action": "close"}).status_code == 404, url
    client.post(f"{base}/curation/add/", {"item": world["items"][3].pk})
    assert Curation.objects.filter(workspace=other_workspace).count() == 0


def test_a_rule_is_created_edited_switched_off_and_deleted_with_its_alerts_kept(world, cm, as_user):
    client = as_user(cm)
    response = client.post("/w/velo/listening/alerts/rules/add/", {
        "name": "Négatif marque", "kind": "negative", "topic": world["topic"].pk, "sensitivity": "high",
        "min_mentions": "5", "email": "on", "enabled": "on"})
    assert response.status_code == 302
    rule = AlertRule.objects.get(name="Négatif marque")
    assert (rule.kind, rule.sensitivity, rule.min_mentions, rule.email, rule.next_check_at is not None) == (
        "negative", "high", 5, True, True)
    client.post(f"/w/velo/listening/alerts/rules/{rule.pk}/", {
        "name": "Négatif marque", "kind": "negative", "topic": "", "sensitivity": "low", "min_mentions": "8"})
    rule.refresh_from_db()
    assert (rule.topic, rule.sensitivity, rule.email, rule.enabled, rule.next_check_at) == (None, "low", False, False, None)
    client.post(f"/w/velo/listening/alerts/rules/{rule.pk}/toggle/", {"enabled": "1"})
    rule.refresh_from_db()
    assert rule.enabled and rule.next_check_at is not None
    page = client.get(f"/w/velo/listening/alerts/rules/{world['rule'].pk}/delete/").content.decode()
    assert "Its 1 alert stays on the alerts page" in page
    client.post(f"/w/velo/listening/alerts/rules/{world['rule'].pk}/delete/")
    assert not AlertRule.objects.filter(pk=world["rule"].pk).exists()
    alert = Alert.objects.get(pk=world["alert"].pk)
    assert alert.rule is None and alert.items.count() == 3
    assert "Pic" in client.get(f"/w/velo/listening/alerts/{alert.pk}/").content.decode()


@pytest.mark.parametrize("data, field, message", [
    ({"name": "", "kind": "spike"}, "name", "This field is required"),
    ({"name": "x" * 101, "kind": "spike"}, "name", "at most 100 characters"),
    ({"name": "Pic", "kind": "spike"}, "name", "Another rule already has this name"),
    ({"name": "R", "kind": "<script>"}, "kind", "Select a valid choice"),
    ({"name": "R", "kind": "spike", "topic": "999999"}, "topic", "Choose a topic from the list"),
    ({"name": "R", "kind": "spike", "topic": "abc"}, "topic", "Choose a topic from the list"),
    ({"name": "R", "kind": "spike", "min_mentions": "abc"}, "min_mentions", "Enter a whole number"),
    ({"name": "R", "kind": "spike", "min_mentions": "0"}, "min_mentions", "greater than or equal to 1"),
    ({"name": "R", "kind": "spike", "min_mentions": "9" * 30}, "min_mentions", "less than or equal to 100000"),
    ({"name": "R", "kind": "author", "value": ""}, "value", "Enter the author's handle"),
    ({"name": "R", "kind": "author", "value": "deux mots"}, "value", "A handle has no spaces"),
    ({"name": "R", "kind": "keyword", "value": "   "}, "value", "Enter the words to watch"),
    ({"name": HOSTILE, "kind": "author", "value": "@" + "x" * 400}, "value", "A handle has no spaces"),
])
def test_a_wrong_rule_form_names_the_field_and_stores_nothing(world, cm, as_user, data, field, message):
    form = {"sensitivity": "medium", "min_mentions": "10", **data}
    response = as_user(cm).post("/w/velo/listening/alerts/rules/add/", form)
    assert response.status_code == 400
    assert message in response.content.decode().replace("&#x27;", "'")
    assert AlertRule.objects.count() == 1


def test_a_rule_name_with_html_is_stored_clean_and_shown_escaped(world, cm, as_user):
    client = as_user(cm)
    client.post("/w/velo/listening/alerts/rules/add/", {"name": "<b>Pic</b>\x00 rouge", "kind": "spike",
                                                         "sensitivity": "medium", "min_mentions": "10"})
    rule = AlertRule.objects.get(name__contains="rouge")
    assert rule.name == "<b>Pic</b> rouge"
    body = client.get("/w/velo/listening/alerts/rules/").content.decode()
    assert "&lt;b&gt;Pic&lt;/b&gt; rouge" in body and "<b>Pic</b>" not in body


def test_alerts_are_acknowledged_closed_and_reopened_and_the_sidebar_counts_open_ones(world, cm, as_user):
    client = as_user(cm)
    alert = world["alert"]
    Alert.objects.filter(pk=alert.pk).update(status="open")
    assert 'data-testid="open-alerts-count">1<' in client.get("/w/velo/").content.decode()
    assert 'data-testid="alert-banner"' in client.get("/w/velo/listening/dashboard/").content.decode()
    client.post(f"/w/velo/listening/alerts/{alert.pk}/act/", {"action": "acknowledge"})
    alert.refresh_from_db()
    assert alert.status == "acknowledged" and alert.acknowledged_by == cm
    assert "open-alerts-count" not in client.get("/w/velo/").content.decode()
    client.post(f"/w/velo/listening/alerts/{alert.pk}/act/", {"action": "close", "next": "//evil.example/"})
    alert.refresh_from_db()
    assert alert.status == "closed" and alert.closed_by == cm
    assert "Spike of mentions" in client.get("/w/velo/listening/alerts/?status=closed").content.decode()
    response = client.post(f"/w/velo/listening/alerts/{alert.pk}/act/", {"action": "reopen"})
    assert response.url == f"/w/velo/listening/alerts/{alert.pk}/"
    alert.refresh_from_db()
    assert alert.status == "open"
    client.post(f"/w/velo/listening/alerts/{alert.pk}/act/", {"action": "<script>"})
    assert Alert.objects.get().status == "open"


def test_an_incident_from_an_alert_copies_the_playbook_and_collects_the_mentions(world, cm, as_user):
    incident = world["incident"]
    assert incident.topic == world["topic"] and incident.alert == world["alert"]
    assert list(incident.steps.values_list("title", flat=True)) == ["Appeler la directrice de la communication",
                                                                  "Déclaration d'attente"]
    world["alert"].refresh_from_db()
    assert world["alert"].status == "acknowledged"
    # The alert's three messages came along; the topic's other mentions since the alert began are collected too.
    assert incident.incident_items.count() == 5
    later = wd.store(world["source"], [wd.Msg(at=timezone.now(), text="Encore un", sentiment="negative")])
    from comptoir.listening.signals import mentions_created

    mentions = wd.mention(world["topic"], later)
    mentions_created.send(sender=None, workspace_id=incident.workspace_id, mention_ids=[m.pk for m in mentions])
    assert incident.incident_items.count() == 6
    body = as_user(cm).get(f"/w/velo/listening/incidents/{incident.pk}/").content.decode()
    assert "06 12 34 56 78" in body and "Nous avons connaissance de la situation." in body
    assert 'id="incident-data"' in body and 'data-testid="incident-total">6<' in body


def test_an_incident_lifecycle_ticks_steps_adds_messages_and_closes_with_a_report(world, cm, as_user, other_workspace):
    client = as_user(cm)
    incident = world["incident"]
    step = incident.steps.first()
    url = f"/w/velo/listening/incidents/{incident.pk}"
    client.post(f"{url}/steps/{step.pk}/", {"done": "1", "note": "Elle rappelle à 14 h " + HOSTILE})
    step.refresh_from_db()
    assert step.done_by == cm and step.done_at and step.note == "Elle rappelle à 14 h <script>alert(1)</script>"
    extra = wd.store(world["source"], [wd.Msg(at=timezone.now(), text="Hors sujet mais à garder")])[0]
    response = client.post(f"{url}/items/", {"items": f"https://x/w/velo/stream/?item={extra.pk}\n{extra.pk}"})
    assert response.status_code == 302 and incident.incident_items.filter(item=extra, added_by=cm).exists()
    foreign = wd.store(wd.source(other_workspace), [wd.Msg(at=timezone.now())])[0]
    client.post(f"{url}/items/", {"items": str(foreign.pk)})
    client.post(f"{url}/items/", {"items": "pas un lien"})
    assert not incident.incident_items.filter(item=foreign).exists()
    response = client.post(f"{url}/close/", {"summary": "", "lessons": "x"})
    assert response.status_code == 400 and "This field is required" in response.content.decode()
    response = client.post(f"{url}/close/", {"summary": "Une rumeur sur un rappel de vélos.", "lessons": "Répondre plus vite."})
    assert response.url == f"{url}/report/"
    incident.refresh_from_db()
    assert incident.status == "closed" and incident.closed_by == cm
    report = client.get(f"{url}/report/").content.decode()
    for text in ("Une rumeur sur un rappel de vélos.", "Répondre plus vite.", "Done by Camille CM", "Not done",
                 "First mention", "Peak hour", 'data-testid="incident-total">6<', "&lt;script&gt;"):
        assert text in report, text
    assert client.post(f"{url}/steps/{step.pk}/", {"done": "0"}).status_code == 302
    step.refresh_from_db()
    assert step.done_at is not None  # a closed incident's checklist stays as it was


def test_the_playbook_is_edited_ordered_and_a_step_removed_without_touching_incidents(world, cm, as_user):
    client = as_user(cm)
    client.post("/w/velo/listening/playbook/", {"kind": "action", "title": "Suspendre les publications programmées",
                                                "detail": ""})
    titles = list(PlaybookStep.objects.values_list("title", flat=True))
    assert titles[-1] == "Suspendre les publications programmées"
    last = PlaybookStep.objects.get(title__startswith="Suspendre")
    client.post(f"/w/velo/listening/playbook/{last.pk}/act/", {"action": "up"})
    client.post(f"/w/velo/listening/playbook/{last.pk}/act/", {"action": "up"})
    client.post(f"/w/velo/listening/playbook/{last.pk}/act/", {"action": "up"})  # already first: nothing
    assert list(PlaybookStep.objects.values_list("title", flat=True))[0] == "Suspendre les publications programmées"
    response = client.post("/w/velo/listening/playbook/", {"kind": "dance", "title": ""})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    response = client.post("/w/velo/listening/playbook/", {"kind": "action", "title": "x" * 201})
    assert response.status_code == 400
    client.post(f"/w/velo/listening/playbook/{world['step'].pk}/", {"kind": "call", "title": "Appeler la DG", "detail": ""})
    client.post(f"/w/velo/listening/playbook/{world['step'].pk}/act/", {"action": "delete"})
    assert not PlaybookStep.objects.filter(pk=world["step"].pk).exists()
    assert world["incident"].steps.filter(title="Appeler la directrice de la communication").exists()


def test_curation_saves_drafts_and_marks(world, cm, as_user):
    client = as_user(cm)
    item = world["items"][1]
    client.post("/w/velo/listening/curation/add/", {"item": item.pk, "next": f"/w/velo/listening/alerts/{world['alert'].pk}/"})
    client.post("/w/velo/listening/curation/add/", {"item": item.pk})
    assert Curation.objects.filter(item=item).count() == 1
    response = client.post("/w/velo/listening/curation/add/", {"url": "https://www.lemonde.fr/velo", "title": "Le vélo en ville",
                                                                 "note": "Bon angle pour la rentrée " * 30})
    assert response.status_code == 302
    saved = Curation.objects.get(url="https://www.lemonde.fr/velo")
    client.post(f"/w/velo/listening/curation/{saved.pk}/act/", {"action": "draft"})
    saved.refresh_from_db()
    assert saved.status == "drafted" and len(saved.draft) <= 500
    assert saved.draft.endswith("https://www.lemonde.fr/velo") and "Le vélo en ville" in saved.draft
    page = client.get("/w/velo/listening/curation/?status=drafted").content.decode()
    assert "editorial calendar" in page and 'data-testid="draft"' in page
    client.post(f"/w/velo/listening/curation/{saved.pk}/act/", {"action": "shared"})
    client.post(f"/w/velo/listening/curation/{world['curation'].pk}/act/", {"action": "dropped"})
    client.post(f"/w/velo/listening/curation/{world['curation'].pk}/", {"title": "Nouveau titre", "note": "Finalement non"})
    statuses = dict(Curation.objects.values_list("pk", "status"))
    assert statuses[saved.pk] == "shared" and statuses[world["curation"].pk] == "dropped"
    assert Curation.objects.get(pk=world["curation"].pk).note == "Finalement non"
    response = client.post(f"/w/velo/listening/curation/{world['curation'].pk}/act/", {"action": "draft"})
    assert Curation.objects.get(pk=world["curation"].pk).status == "dropped"


@pytest.mark.parametrize("data, message", [
    ({"url": ""}, "This field is required"),
    ({"url": "javascript:alert(1)"}, "Enter a web address starting with http"),
    ({"url": "ftp://example.org/x"}, "Enter a web address starting with http"),
    ({"url": "https://" + "x" * 3000}, "at most 2000 characters"),
    ({"url": "https://exa mple.org/"}, "Enter a web address"),
    ({"url": "https://example.org/a", "note": "x" * 5001}, "at most 5000 characters"),
    ({"url": "https://example.org/deja-vu"}, None),
])
def test_a_wrong_link_is_refused_with_a_message(world, cm, as_user, data, message):
    response = as_user(cm).post("/w/velo/listening/curation/add/", data)
    if message is None:
        assert response.status_code == 302
        response = as_user(cm).post("/w/velo/listening/curation/add/", data)
        message = "already saved to share"
    assert response.status_code == 400
    assert message in response.content.decode()


def test_a_link_with_html_is_stored_clean_and_shown_escaped(world, cm, as_user):
    as_user(cm).post("/w/velo/listening/curation/add/", {"url": "https://example.org/" + HOSTILE, "title": HOSTILE})
    saved = Curation.objects.get(url__startswith="https://example.org/")
    assert "\x00" not in saved.url and "\x01" not in saved.title
    body = as_user(cm).get("/w/velo/listening/curation/").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;alert(1)" in body


def test_compose_draft_keeps_the_link_whole_within_500_characters():
    url = "https://www.leprogres.fr/lyon/2026/03/12/pistes-cyclables-garibaldi"
    draft = curation.compose_draft("Le titre " * 40, url, "La note de l'équipe " * 40)
    assert len(draft) <= 500 and draft.endswith(url) and "…" in draft
    assert curation.compose_draft("Titre", "", "Note") == "Note\n\nTitre"
    assert len(curation.compose_draft("T", "https://x.example/" + "a" * 600, "N")) <= 500


def test_do_curate_refuses_other_workspaces_and_readers(world, analyst, other_workspace, cm):
    from django.core.exceptions import PermissionDenied, ValidationError

    foreign = wd.store(wd.source(other_workspace), [wd.Msg(at=timezone.now())])[0]
    with pytest.raises(PermissionDenied):
        curation.do_curate(membership_of(cm, world["rule"].workspace), [foreign.pk])
    with pytest.raises(PermissionDenied):
        curation.do_curate(membership_of(analyst, world["rule"].workspace), [world["items"][2].pk])
    with pytest.raises(ValidationError):
        curation.do_curate(membership_of(cm, world["rule"].workspace), [])
    assert curation.do_curate(membership_of(cm, world["rule"].workspace), [i.pk for i in world["items"]], "Série") == 4


def test_every_change_reads_as_a_sentence_in_the_activity_log(world, cm, workspace):
    member = membership_of(cm, workspace)
    rule = alerts.do_save_rule(member, alerts.RuleData(name="Auteur", kind="author", topic=None, value="jean"))
    alerts.do_save_rule(member, alerts.RuleData(name="Auteur", kind="author", topic=None, value="paul", min_mentions=3), rule)
    alerts.do_set_rule_enabled(member, rule, False)
    alerts.do_close_alert(member, world["alert"])
    incidents.do_set_step_done(member, world["incident"], world["incident"].steps.first(), True, "")
    incidents.do_close_incident(member, world["incident"], "Résumé", "")
    saved = curation.do_curate_link(member, "https://example.org/article", "Note", "Un article")
    curation.do_make_draft(member, saved)
    alerts.do_delete_rule(member, rule)
    sentences = [describe(e) for e in AuditEvent.objects.filter(workspace=workspace).order_by("pk")]
    expected = [
        "Camille CM added the step “Appeler la directrice de la communication” (Who to call) to the crisis playbook.",
        "Camille CM opened the incident “Bad buzz”.",
        "Camille CM acknowledged the alert “Spike of mentions · Vélo Lyon”.",
        "Camille CM saved 1 message to share.",
        "Camille CM created the alert rule “Auteur” (Watched author).",
        "Camille CM changed the alert rule “Auteur”: minimum of mentions, author or keyword query.",
        "Camille CM switched off the alert rule “Auteur”.",
        "Camille CM closed the alert “Spike of mentions · Vélo Lyon”.",
        "Camille CM ticked “Appeler la directrice de la communication” in the incident “Bad buzz”.",
        "Camille CM closed the incident “Bad buzz” with its retrospective (5 messages, 1 of 2 steps done).",
        "Camille CM saved the article “Un article” to share.",
        "Camille CM made a draft post from “Un article”.",
        "Camille CM deleted the alert rule “Auteur”; its 0 alerts stay.",
    ]
    for sentence in expected:
        assert sentence in sentences, (sentence, sentences)


def test_the_actions_refuse_another_workspaces_rules_alerts_steps_incidents_and_contents(cm, workspace, other_workspace):
    # The views load objects through the member's workspace; the actions check again, for every other caller.
    from django.core.exceptions import PermissionDenied

    member = membership_of(cm, workspace)
    rule = AlertRule.objects.create(workspace=other_workspace, name="Autre", kind="spike")
    alert = Alert.objects.create(workspace=other_workspace, rule=rule, kind="spike")
    step = PlaybookStep.objects.create(workspace=other_workspace, title="Appeler")
    incident = Incident.objects.create(workspace=other_workspace, title="Autre crise")
    saved = Curation.objects.create(workspace=other_workspace, title="Autre", url="https://example.org/")
    for attempt in (lambda: alerts.do_set_rule_enabled(member, rule, False), lambda: alerts.do_delete_rule(member, rule),
                    lambda: alerts.do_close_alert(member, alert), lambda: incidents.do_delete_playbook_step(member, step),
                    lambda: incidents.do_close_incident(member, incident, "Résumé", ""),
                    lambda: curation.do_make_draft(member, saved)):
        with pytest.raises(PermissionDenied):
            attempt()
    assert AlertRule.objects.filter(pk=rule.pk, enabled=True).exists() and PlaybookStep.objects.filter(pk=step.pk).exists()
    assert Alert.objects.get(pk=alert.pk).status == "open" and Incident.objects.get(pk=incident.pk).status == "open"
