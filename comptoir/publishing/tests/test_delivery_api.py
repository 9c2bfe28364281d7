"""Delivery through the REST API: each variant's delivery fields, the list of attempts, and the community manager's
two actions on a variant (send it again, settle an unknown outcome), with the same rules as the delivery page."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.utils import timezone, translation
from django.utils.translation import gettext

from comptoir.publishing.models import DeliveryAttempt, Post, Variant
from comptoir.workspaces import actions
from comptoir.workspaces.models import AuditEvent, Channel

State = Variant.State
Outcome = DeliveryAttempt.Outcome
BASE = "/api/v1/workspaces/{slug}/posts"
# A message the Mastodon connector stores (code + values): the API renders it in the token owner's language.
REFUSED = ("Mastodon (%(host)s) refused the access token: it was revoked or mistyped. Reconnect the account with a "
           "new token.")


def api(user, workspace):
    _token, raw = actions.do_create_api_token(user, workspace, "tests")
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def call(client, method, url, payload=None):
    if method == "get":
        response = client.get(url)
    elif payload is None:  # no body at all, as ``curl -X POST`` sends
        response = client.generic("POST", url)
    else:
        data = payload if isinstance(payload, str | bytes) else json.dumps(payload)
        response = client.post(url, data, content_type="application/json")
    return response, (json.loads(response.content) if response.content else None)


def post_with(workspace, state=State.FAILED, **variant) -> Post:
    channel = Channel(workspace=workspace, network="mastodon", handle=f"@cafe{Channel.objects.count()}@example.test",
                      config={"server": "https://example.test"})
    channel.credentials = {"access_token": "t"}
    channel.save()
    post = Post.objects.create(workspace=workspace, title="Vide-grenier", master_text="Vide-grenier dimanche",
                               publish_at=timezone.now() - dt.timedelta(hours=1), status=Post.Status.FAILED)
    Variant.objects.create(post=post, channel=channel, network="mastodon", state=state, attempts=1,
                           error_code=REFUSED if state == State.FAILED else "",
                           error_params={"host": "example.test"} if state == State.FAILED else {},
                           error_at=timezone.now() if state == State.FAILED else None, **variant)
    return post


def base(workspace, post) -> str:
    return f"{BASE.format(slug=workspace.slug)}/{post.pk}"


def test_a_variant_shows_its_delivery_and_its_error_in_the_readers_language(workspace, analyst):
    post = post_with(workspace)
    DeliveryAttempt.objects.create(variant=post.variants.get(), attempt_id="a1", idempotency_key="k1",
                                   outcome=Outcome.FAILED, finished_at=timezone.now(), error_code=REFUSED,
                                   error_params={"host": "example.test"})

    response, body = call(api(analyst, workspace), "get", base(workspace, post))

    assert response.status_code == 200, body
    [variant] = body["variants"]
    assert variant["state"] == "failed" and variant["attempts"] == 1 and variant["error_at"]
    assert {"due_at", "not_after", "sent_at", "remote_id", "remote_url"} <= set(variant)
    # The analyst's language is French, as the delivery page would show it.
    assert variant["error"].startswith("Mastodon (example.test) a refusé le jeton d")

    response, attempts = call(api(analyst, workspace), "get", f"{base(workspace, post)}/deliveries")
    assert response.status_code == 200
    assert [(a["variant"], a["attempt_id"], a["outcome"]) for a in attempts] == [(variant["id"], "a1", "failed")]
    assert "a refusé le jeton" in attempts[0]["error"] and attempts[0]["finished_at"]


def test_a_sent_variant_gives_its_remote_post(workspace, cm):
    post = post_with(workspace, state=State.SENT, remote_id="42", remote_url="https://example.test/@cafe/42",
                     sent_at=timezone.now())

    _r, body = call(api(cm, workspace), "get", base(workspace, post))

    [variant] = body["variants"]
    assert (variant["remote_id"], variant["remote_url"], variant["error"]) == ("42", "https://example.test/@cafe/42", "")
    assert variant["sent_at"]


def test_retry_arms_a_failed_variant_and_logs_it_as_done_through_the_api(workspace, cm):
    post = post_with(workspace)
    variant = post.variants.get()

    response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/retry")

    assert response.status_code == 200, body
    assert body["status"] == "scheduled"
    [out] = body["variants"]
    assert out["state"] == "scheduled" and out["error"] == "" and out["attempts"] == 0 and out["due_at"]
    variant.refresh_from_db()
    assert variant.state == State.SCHEDULED and variant.error_code == ""
    event = AuditEvent.objects.get(action="post.delivery_retry")
    assert event.actor == cm and event.via == "api"


def test_retry_of_a_sent_variant_is_refused_with_the_actions_message(workspace, cm):
    post = post_with(workspace, state=State.SENT, remote_id="42")
    variant = post.variants.get()

    response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/retry")

    assert response.status_code == 400
    with translation.override("fr"):  # the token owner's language
        assert body == {"message": gettext("This version is not waiting to be sent again."), "field": "variant"}
    variant.refresh_from_db()
    assert variant.state == State.SENT and not AuditEvent.objects.filter(action="post.delivery_retry").exists()


def test_an_unknown_outcome_is_settled_through_the_api(workspace, cm):
    post = post_with(workspace, state=State.UNKNOWN)
    variant = post.variants.get()
    attempt = DeliveryAttempt.objects.create(variant=variant, attempt_id="a1", idempotency_key="k1",
                                             outcome=Outcome.UNKNOWN)

    response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/published",
                          {"url": "https://example.test/@cafe/7"})

    assert response.status_code == 200, body
    assert body["status"] == "published"
    assert body["variants"][0]["state"] == "sent" and body["variants"][0]["remote_url"] == "https://example.test/@cafe/7"
    attempt.refresh_from_db()
    assert attempt.outcome == Outcome.FOUND
    assert AuditEvent.objects.get(action="post.delivery_confirm").via == "api"


def test_published_without_a_body_or_an_address_is_accepted(workspace, cm):
    for payload in (None, {}, {"url": None}, {"url": ""}):
        post = post_with(workspace, state=State.UNKNOWN)
        variant = post.variants.get()
        response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/published",
                              payload)
        assert response.status_code == 200, (payload, body)
        variant.refresh_from_db()
        assert variant.state == State.SENT and variant.remote_url == ""


@pytest.mark.parametrize("url", ["javascript:alert(1)", "https://" + "a" * 1_000_000, "<script>alert(1)</script>",
                                 "ftp://example.test/x", 12, ["https://example.test/"], {"href": "https://x.test"},
                                 True])
def test_a_hostile_address_is_a_400_naming_url_and_nothing_changes(workspace, cm, url):
    post = post_with(workspace, state=State.UNKNOWN)
    variant = post.variants.get()

    response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/published",
                          {"url": url})

    assert response.status_code == 400, body
    assert body["field"] == "url" and body["message"] and "<script>" not in body["message"]
    variant.refresh_from_db()
    assert variant.state == State.UNKNOWN and variant.remote_url == ""


def test_marking_published_a_variant_that_is_not_unknown_is_refused(workspace, cm):
    post = post_with(workspace)
    variant = post.variants.get()

    response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/published", {})

    assert response.status_code == 400 and body["field"] == "variant"
    variant.refresh_from_db()
    assert variant.state == State.FAILED


@pytest.mark.parametrize("raw", ["{", "[]", '"https://example.test/"', "null"])
def test_a_malformed_body_is_a_4xx_never_a_500(workspace, cm, raw):
    post = post_with(workspace, state=State.UNKNOWN)
    variant = post.variants.get()

    response, body = call(api(cm, workspace), "post", f"{base(workspace, post)}/variants/{variant.pk}/published", raw)

    assert 400 <= response.status_code < 500 and body["message"]
    variant.refresh_from_db()
    assert variant.state in (State.UNKNOWN, State.SENT)  # "null" is no body: accepted as "no address"


def test_an_analyst_reads_but_may_not_act_and_a_contributor_sees_nothing(workspace, analyst, moderator, contributor):
    post = post_with(workspace)
    variant = post.variants.get()
    for user in (analyst, moderator):
        client = api(user, workspace)
        assert call(client, "get", f"{base(workspace, post)}/deliveries")[0].status_code == 200
        for action, payload in (("retry", None), ("published", {"url": "https://example.test/1"})):
            response, body = call(client, "post", f"{base(workspace, post)}/variants/{variant.pk}/{action}", payload)
            assert response.status_code == 403 and body["message"]
    client = api(contributor, workspace)
    for path in ("", "/deliveries"):
        assert call(client, "get", f"{base(workspace, post)}{path}")[0].status_code == 403
    assert call(client, "post", f"{base(workspace, post)}/variants/{variant.pk}/retry")[0].status_code == 403
    variant.refresh_from_db()
    assert variant.state == State.FAILED


def test_another_workspaces_post_or_variant_is_not_found(workspace, other_workspace, cm, outsider):
    theirs = post_with(other_workspace)
    their_variant = theirs.variants.get()
    ours = post_with(workspace)
    client = api(cm, workspace)

    assert call(client, "get", f"{base(workspace, theirs)}/deliveries")[0].status_code == 404
    # Their variant under our post, their variant under their post (by id, on our slug): not found either way.
    for post in (ours, theirs):
        for action in ("retry", "published"):
            response, body = call(client, "post", f"{base(workspace, post)}/variants/{their_variant.pk}/{action}", {})
            assert response.status_code == 404 and body["message"]
    # Our slug with another workspace's token: not found.
    assert call(api(outsider, other_workspace), "get", f"{base(workspace, ours)}/deliveries")[0].status_code == 404
    their_variant.refresh_from_db()
    assert their_variant.state == State.FAILED


def test_a_variant_of_another_post_is_not_found(workspace, cm):
    first, second = post_with(workspace), post_with(workspace)
    variant_of_second = second.variants.get()

    response, body = call(api(cm, workspace), "post",
                          f"{base(workspace, first)}/variants/{variant_of_second.pk}/retry")

    assert response.status_code == 404 and body["field"] is None
    variant_of_second.refresh_from_db()
    assert variant_of_second.state == State.FAILED


@pytest.mark.parametrize("path", ["/posts/abc/deliveries", "/posts/1/variants/abc/retry", "/posts/-1/variants/1/retry",
                                  "/posts/1/variants/99999999999999999999999/published"])
def test_ids_of_the_wrong_type_are_refused_without_a_500(workspace, cm, path):
    client = api(cm, workspace)
    url = f"/api/v1/workspaces/{workspace.slug}{path}"
    response = client.get(url) if path.endswith("deliveries") else client.generic("POST", url)
    assert response.status_code in (404, 422)
    assert json.loads(response.content)["message"]


def test_the_openapi_document_declares_the_delivery_routes_and_their_errors(db, client):
    doc = json.loads(client.get("/api/v1/openapi.json").content)
    paths = doc["paths"]
    retry = paths["/api/v1/workspaces/{slug}/posts/{post_id}/variants/{variant_id}/retry"]["post"]
    published = paths["/api/v1/workspaces/{slug}/posts/{post_id}/variants/{variant_id}/published"]["post"]
    deliveries = paths["/api/v1/workspaces/{slug}/posts/{post_id}/deliveries"]["get"]
    assert {"200", "400", "401", "403", "404"} <= set(retry["responses"])
    assert {"200", "400", "401", "403", "404", "413"} <= set(published["responses"])
    assert {"200", "401", "403", "404"} <= set(deliveries["responses"])
    schemas = doc["components"]["schemas"]
    assert schemas["PostOut"]["properties"]["variants"]["items"]["$ref"].endswith("/PostVariantOut")
    variant = schemas["PostVariantOut"]["properties"]
    assert {"attempts", "due_at", "not_after", "sent_at", "remote_id", "error", "error_at"} <= set(variant)
