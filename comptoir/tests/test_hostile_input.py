"""Every entry point survives hostile text: no 500, nothing stored that the database would refuse.

NUL (``\\u0000``), lone surrogates (``\\ud800``), invalid UTF-8 and control characters reach query
strings, forms, cookies, API bodies and signed webhook payloads. PostgreSQL refuses NUL in text
and JSON and cannot encode a lone surrogate, so the suite runs these on both databases. The routes
are read from the URL configuration, so a new page is covered the day it is added; a route whose
parameter this file cannot fill fails the test until it is taught.
"""

import json
import time

import pytest
from django.test import Client
from django.urls import get_resolver
from django.urls.resolvers import URLResolver

from comptoir.conftest import membership_of
from comptoir.connectors.base import registered_networks
from comptoir.connectors.webhook.client import sign
from comptoir.inbox.tests.routing_world import routing_world
from comptoir.moderation.tests.queue_world import queue_world
from comptoir.moderation.tests.rules_world import rules_world
from comptoir.moderation.tests.sanction_world import sanction_world
from comptoir.stream import actions as stream_actions
from comptoir.stream.ingest import store_fetched
from comptoir.stream.models import Item, Source
from comptoir.tests.inbox_world import inbox_world
from comptoir.tests.publishing_world import publishing_world
from comptoir.workspaces import actions
from comptoir.workspaces.models import ApiToken, Invitation, Membership

HOSTILE = "\x00\x01<script>alert(1)</script>\x1b[31m"
HOSTILE_QS = "%00%01%ED%A0%80%FF%3Cscript%3E"  # NUL, a control, a UTF-8-encoded surrogate, a stray byte
KEYS = ["q", "source", "kind", "lang", "sentiment", "intent", "toxicity", "spam", "complaint", "since", "until",
        "page", "action", "actor", "name", "slug", "description", "time_zone", "language", "email", "role",
        "full_name", "password", "username", "label", "task", "next", "confirmation", "token", "preset",
        "date_order", "text_column", "channel-label", "channel-language", "test", "old_password",
        "new_password1", "new_password2", "workspace", "save_account", "create_token", "streams", "hashtags",
        "topic", "reach", "color", "queries", "sources", "archived", "items", "add_query",
        "csrfmiddlewaretoken",
        # publishing's forms
        "title", "master_text", "link", "publish_at", "campaign", "request", "repeat_every_weeks", "variants", "channel",
        "channels", "alt_text", "approvers", "archive", "assignee", "body", "comment", "decision", "decline_reason",
        "direction", "payload", "post", "priority_override", "priority_override_reason", "status", "url", "time",
        "goal", "audience", "audience_detail", "key_message", "links", "deadline", "desired_at", "day", "note",
        "every_year", "starts_on", "ends_on", "utm_campaign", "utm_medium", "utm_source", "add_utm", "shorten_links",
        "start", "end", "month", "week", "view",
        # the inbox's feedback forms
        "theme", "quote", "answer", "answer_note", "item_id", "conversation_id", "feedback", "digest_recipients",
        "digest_weekday", "format",
        # the inbox's list and conversation pane
        "conversations", "team", "tag", "remove", "typing", "leave", "c", "before", "after", "waiting", "unread",
        "breached", "priority", "person", "identity", "links", "replies", "notes", "events",
        # the inbox's routing forms
        "holidays_country", "trigger", "intents", "sentiments", "languages", "segments", "query", "team", "tag",
        "ack_text", "notify", "user", "hours", "minutes", "days", "stop", "enabled", "priority", "target",
        "h-0-0-start", "h-0-0-end",
        # moderation's review queue and Teach Comptoir
        "articles", "key", "rule", "reason", "item"]


def _routes():
    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.name
    return [(route, name) for route, name in walk(get_resolver().url_patterns) if not route.startswith("api/")]


@pytest.fixture
def world(workspace, owner, cm, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    member = membership_of(cm, workspace)
    csv = actions.do_connect_channel(member, network="csv", handle="Export", config={}, credentials={})
    hook = actions.do_connect_channel(member, network="webhook", handle="Formulaire", config={"name": "F"},
                                      credentials={"secret": "s" * 40})
    feed = stream_actions.do_add_source(member, network="rss", label="Blog", config={"url": "https://blog.example/rss"})
    from comptoir.connectors.base import FetchedItem, ItemKind

    store_fetched(feed, [FetchedItem(external_id="1", kind=ItemKind.ARTICLE, text="Bonjour")])
    invitation, raw = actions.do_invite(membership_of(owner, workspace), "nouvelle@asso.test", "analyst")
    token, _secret = actions.do_create_api_token(owner, workspace, "outil")
    view = stream_actions.do_save_view(membership_of(owner, workspace), "Réclamations", "complaint=complaint")
    publishing = publishing_world(member, owner)
    routing = routing_world(member, owner)
    return {
        **routing,
        **_listening_world(workspace, cm, Item.objects.get()),
        **_inbox_world(workspace, csv),
        **publishing, "cal/token": publishing["ical_token"],
        **_charter_world(member),
        "view_id": view.pk, "uidb64": "MQ",
        "slug": "velo", "item_id": Item.objects.get().pk, "source_id": feed.pk, "channel_id": csv.pk,
        "member_id": Membership.objects.get(workspace=workspace, user__email__startswith="ines").pk,
        "invitation_id": invitation.pk, "token_id": token.pk, "token": raw, "network": "rss", "hook": hook,
        **queue_world(member),
        **sanction_world(membership_of(owner, workspace)),
        **inbox_world(member),  # last: it brings a message of its own (item_id is the feed's)
        **rules_world(member),
    }


def _listening_world(workspace, cm, item) -> dict:
    """A topic, an alert, a rule, an incident with its checklist, a playbook step and a saved content (listening's
    routes)."""
    from comptoir.listening import actions as actions_listening
    from comptoir.listening import curation, incidents
    from comptoir.listening.models import Alert, AlertRule

    member = membership_of(cm, workspace)
    rule = AlertRule.objects.create(workspace=workspace, name="Pic", kind="spike")
    alert = Alert.objects.create(workspace=workspace, rule=rule, kind="spike", count=30, peak=30)
    alert.items.add(item)
    step = incidents.do_add_playbook_step(member, incidents.StepData("call", "Appeler la présidente", "06 00 00 00 00"))
    incident = incidents.do_open_incident(member, incidents.IncidentData(title="Bad buzz", alert=alert))
    curation.do_curate(member, [item.pk], "À relayer")
    topic = actions_listening.do_create_topic(member, name="Amis du Vélo", kind="brand", color="#2f6fdf",
                                              queries=['"Amis du Vélo" OR #amisduvelo'])
    return {"topic_id": topic.pk, "alert_id": alert.pk, "rule_id": rule.pk, "incident_id": incident.pk, "step_id": step.pk,
            "curation_id": curation.Curation.objects.get().pk}


def _inbox_world(workspace, channel) -> dict:
    """A conversation with a reply, a saved reply and a satisfaction question (the inbox's routes)."""
    from comptoir.inbox import csat
    from comptoir.inbox.models import Conversation, Reply, Satisfaction, SavedReply

    conversation = Conversation.objects.create(workspace=workspace, source=stream_actions.source_for_channel(channel),
                                               channel=channel, key="k1", subject="Adhésion")
    reply = Reply.objects.create(workspace=workspace, conversation=conversation, text="Bonjour", state="failed",
                                 idempotency_key="hostile-1")
    saved = SavedReply.objects.create(workspace=workspace, title="Adhésion", text="Bonjour {first_name}")
    Satisfaction.objects.create(workspace=workspace, conversation=conversation, token_hash=csat.hash_token("csat-token"))
    return {"conversation_id": conversation.pk, "reply_id": reply.pk, "saved_reply_id": saved.pk, "s/token": "csat-token"}


def _charter_world(member) -> dict:
    """A published charter version (moderation's charter routes: /w/…/charter/v/<number>/, /charte/…/v/<number>/)."""
    from comptoir.moderation import charter

    version = charter.do_save_draft(member, {"body_fr": "## Article 1 — Respect\nSoyez gentils.", "body_en": "",
                                             "changes": ""})
    charter.do_publish(member, version)
    return {"w/number": version.number, "charte/number": version.number}


def _url(route: str, world: dict) -> str:
    """The route with its parameters filled from ``world``: ``<name>`` (or ``(?P<name>…)`` in a regular expression)
    by ``world["<first segment>/name"]`` when the name means something else there (``cal/token``), else ``world[name]``."""
    import re

    def fill(match):
        name = match.group(1) or match.group(3)
        keys = [f"{route.split('/', 1)[0]}/{name}", name]
        found = next((k for k in keys if k in world), None)
        assert found, f"teach test_hostile_input how to fill <{name}> in {route}"
        return str(world[found])

    filled = re.sub(r"\(\?P<(\w+)>[^)]*\)|<(?:(\w+):)?(\w+)>", fill, route)
    return "/" + filled.replace("^", "").replace("$", "")


def _consume(response) -> None:
    # A streamed CSV only fails while it is read: read it all.
    if getattr(response, "streaming", False):
        b"".join(response.streaming_content)


@pytest.mark.parametrize("route, name", _routes(), ids=[n or r for r, n in _routes()])
def test_hostile_query_strings_never_give_a_500(world, owner, as_user, route, name):
    url = _url(route, world)
    query = "&".join(f"{k}={HOSTILE_QS}" for k in KEYS)
    for client in (as_user(owner), Client()):
        for extra in ("", "&format=csv"):
            response = client.get(f"{url}?{query}{extra}", HTTP_ACCEPT_LANGUAGE="fr")
            _consume(response)
            assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("route, name", _routes(), ids=[n or r for r, n in _routes()])
def test_hostile_forms_never_give_a_500(world, owner, as_user, route, name):
    url = _url(route, world)
    body = "&".join(f"{k}={HOSTILE_QS}" for k in KEYS)
    huge = "&".join(f"{k}={'x' * 100_000}" for k in KEYS[:20])
    client = as_user(owner)
    for data in (body, huge):
        response = client.post(url, data=data, content_type="application/x-www-form-urlencoded")
        _consume(response)
        assert response.status_code < 500, (url, response.status_code)


@pytest.mark.parametrize("network", sorted(registered_networks()))
def test_hostile_connect_forms_never_give_a_500(world, owner, as_user, network):
    form = registered_networks()[network].connect_form_class()
    fields = [*form.base_fields, "channel-label", "channel-language"]
    client = as_user(owner)
    for extra in ({}, {"test": "1"}):
        data = {name: HOSTILE for name in fields} | extra
        response = client.post(f"/w/velo/channels/connect/{network}/", data)
        assert response.status_code < 500, (network, response.status_code)


def test_a_nul_in_a_cookie_or_a_login_never_gives_a_500(world, owner):
    client = Client()
    client.cookies["sessionid"] = "abc\x00defghijklmnop"
    client.cookies["django_language"] = "fr\x00"
    assert client.get("/login/").status_code == 200
    response = client.post("/login/", {"username": "olivia.owner@asso.test\x00", "password": "x\x00y"})
    assert response.status_code < 500


def _api(world, owner):
    raw = actions.do_create_api_token(owner, Membership.objects.get(user=owner).workspace, "sweep")[1]
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_hostile_json_bodies_never_give_a_500_and_are_stored_clean(world, owner):
    client = _api(world, owner)
    body = (b'{"name": "V\\u00e9lo\\u0000 \\ud800 club", "description": "a\\u0000b\\udfff", "email": "x\\u0000@asso.test",'
            b' "role": "analyst\\u0000", "time_zone": "Europe/Paris\\u0000", "kind": "\\ud800"}')
    routes = ["/api/v1/workspaces", "/api/v1/workspaces/velo", "/api/v1/workspaces/velo/members",
              "/api/v1/workspaces/velo/invitations", f"/api/v1/workspaces/velo/members/{world['member_id']}",
              "/api/v1/workspaces/velo/channels", f"/api/v1/workspaces/velo/channels/{world['channel_id']}",
              "/api/v1/workspaces/velo/audit"]
    for url in routes:
        query = f"{url}?action={HOSTILE_QS}&limit={HOSTILE_QS}"
        assert client.get(query).status_code < 500, url
        for method in ("post", "patch", "delete"):
            response = getattr(client, method)(query, data=body, content_type="application/json")
            assert response.status_code < 500, (method, url, response.status_code)
    client.patch("/api/v1/workspaces/velo", data=b'{"name": "V\\u00e9lo\\u0000 \\ud800 club"}',
                 content_type="application/json")
    assert Membership.objects.get(user=owner).workspace.name == "Vélo \ufffd club"
    assert ApiToken.objects.filter(user=owner).count() == 2


def test_a_signed_webhook_full_of_nul_and_surrogates_is_stored_clean(world):
    hook = world["hook"]
    # The webhook refuses control characters in an id (a clear 400, tested with the connector); the
    # rest is stored cleaned.
    payload = (b'{"items": [{"id": "t-1", "text": "Bonjour\\u0000 \\ud800 !", "title": "\\udfffTitre",'
               b' "author": {"handle": "marie\\u0000", "name": "Marie\\ud800"}, "lang": "fr",'
               b' "meta": {"k\\u0000": ["v\\u0000", {"x": "\\ud800"}]}}]}')
    ts = str(int(time.time()))
    response = Client().post(f"/hooks/webhook/{hook.pk}/", payload, content_type="application/json",
                             HTTP_X_COMPTOIR_SIGNATURE=sign("s" * 40, payload, ts), HTTP_X_COMPTOIR_TIMESTAMP=ts)
    assert response.status_code == 202, response.content
    item = Item.objects.get(source=Source.objects.get(channel=hook))
    assert item.external_id == "t-1" and item.text == "Bonjour \ufffd !" and "\x00" not in json.dumps(item.raw)
    assert item.author.handle == "marie"


def test_an_invitation_page_with_a_hostile_token_is_a_404(world):
    for token in ("%00", "x%00y", "%ED%A0%80", "a" * 5000):
        assert Client().get(f"/invitations/{token}/").status_code == 404
    assert Invitation.objects.count() == 1


def test_a_short_link_or_a_calendar_feed_with_a_hostile_code_is_a_404_and_counts_nothing(world):
    from comptoir.publishing.ical import TOKEN_PREFIX
    from comptoir.publishing.models import LinkClickDay

    client = Client(HTTP_USER_AGENT="Mozilla/5.0 (X11; Linux x86_64) Firefox/128.0")  # a person: clicks count
    for raw in ("%00", "x%00y", "%ED%A0%80", "a" * 5000, "%3Cscript%3E", "..%2F..%2Fetc", world["code"] + "%00"):
        assert client.get(f"/l/{raw}").status_code == 404, raw
        for token in (raw, TOKEN_PREFIX + raw, world["ical_token"] + raw):
            assert client.get(f"/cal/{token}.ics").status_code == 404, token
    assert not LinkClickDay.objects.exists()
    assert client.get(f"/l/{world['code']}").status_code == 302
    assert LinkClickDay.objects.get().clicks == 1
    feed = client.get(f"/cal/{world['ical_token']}.ics")
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.content


def test_the_boundary_cleans_query_strings_forms_and_cookies_before_any_view(rf):
    from django.http import HttpResponse

    from comptoir.middleware import CleanInputMiddleware

    seen = {}

    def view(request):
        seen.update(get=dict(request.GET.lists()), post=dict(request.POST.lists()), cookies=dict(request.COOKIES))
        return HttpResponse("ok")

    request = rf.post("/w/velo/stream/?q=v%00elo%ED%A0%80&k%00=1", data="name=Ca%00mille&x=%01y",
                      content_type="application/x-www-form-urlencoded", HTTP_COOKIE="django_language=fr%00")
    request.COOKIES["sessionid"] = "abc\x00def"
    CleanInputMiddleware(view)(request)
    assert seen["get"] == {"q": ["velo\ufffd\ufffd\ufffd"], "k": ["1"]}
    assert seen["post"] == {"name": ["Camille"], "x": ["y"]}
    assert seen["cookies"]["sessionid"] == "abcdef"
    api = rf.post("/api/v1/workspaces/velo", data=b'{"name": "x"}', content_type="application/json")
    CleanInputMiddleware(lambda r: HttpResponse(r.body))(api)  # machine endpoints keep their raw body
