"""The charter: its heading grammar, numbering errors, publication that freezes a version, safe Markdown, the team's
editor by role, the public page in French and English, acceptance, citations and the API."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from comptoir.conftest import membership_of
from comptoir.moderation import charter
from comptoir.moderation.models import CharterAcceptance, CharterVersion, ModerationSettings
from comptoir.workspaces import actions as ws_actions
from comptoir.workspaces.models import AuditEvent

FR = """# Charte des Amis du Vélo

Bienvenue ! Quelques règles simples.

## Article 1 — Respect
Pas d'insultes.

## Article 2 : Pas de spam
Pas de publicité.

## 3. Vie privée
On ne publie pas les coordonnées des autres.
"""
EN = FR.replace("Charte des Amis du Vélo", "Charter").replace("Respect\nPas d'insultes.", "Respect\nNo insults.") \
    .replace("Pas de spam", "No spam").replace("Vie privée", "Privacy")


def publish(workspace, user, body_fr=FR, body_en=EN, changes="first"):
    membership = membership_of(user, workspace)
    version = charter.do_save_draft(membership, {"body_fr": body_fr, "body_en": body_en, "changes": changes})
    return charter.do_publish(membership, version)


# The grammar. -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("text,expected", [
    ("Article 3 — Respect", (3, "Respect")), ("Article 3 : Respect", (3, "Respect")),
    ("Art. 3 - Respect", (3, "Respect")), ("ARTICLE 3 – Respect", (3, "Respect")), ("article 3", (3, "")),
    ("3. Respect", (3, "Respect")), ("3) Respect", (3, "Respect")), ("3 — Respect", (3, "Respect")),
    ("Article 3\u00a0: Respect", (3, "Respect")), ("Article 12 Modération", (12, "Modération")),
])
def test_article_headings_are_read_in_every_documented_form(text, expected):
    assert charter.match_heading(text) == expected


@pytest.mark.parametrize("text", ["Préambule", "2025 in review", "Les 3 règles", "Articles divers"])
def test_other_headings_are_not_articles(text):
    assert charter.match_heading(text) is None


def test_only_level_two_headings_outside_code_are_articles():
    body = "# Article 9 — title\n\n## Article 1 — Un\n\n```\n## Article 2 — in code\n```\n\nArticle 2 — Deux\n---\n\n### 3. sub\n"
    assert [(h.number, h.title) for h in charter.headings(body)] == [(1, "Un"), (2, "Deux")]


def test_a_duplicate_number_is_named_with_its_lines():
    errors = charter.article_errors(charter.headings("## Article 1 — A\n\n## Article 1 — B\n"))
    assert errors == ["Article 1 appears twice (lines 1 and 3): give each article its own number."]


def test_a_gap_in_the_numbers_is_named():
    errors = charter.article_errors(charter.headings("## 1. A\n\n## 3. C\n"))
    assert errors == ["Article 3 (line 3) should be article 2: number the articles 1, 2, 3… in order, without gaps."]


# Versions and publication. ------------------------------------------------------------------------------------------


def test_publishing_freezes_dates_and_stores_the_articles(workspace, cm):
    version = publish(workspace, cm)
    assert version.number == 1 and version.published_at is not None
    assert version.articles == [{"number": 1, "title_fr": "Respect", "title_en": "Respect"},
                                {"number": 2, "title_fr": "Pas de spam", "title_en": "No spam"},
                                {"number": 3, "title_fr": "Vie privée", "title_en": "Privacy"}]
    assert charter.current(workspace) == version
    assert charter.article(version, 2)["title_en"] == "No spam" and charter.article(version, 9) is None
    # A change after publication is a new draft that starts from the last version; version 1 is untouched.
    draft = charter.do_save_draft(membership_of(cm, workspace), {"body_fr": FR + "\n## 4. Pub\nNon.\n",
                                                                  "body_en": EN + "\n## 4. Ads\nNo.\n", "changes": "4"})
    assert draft.number == 2 and draft.published_at is None
    version.refresh_from_db()
    assert "## 4." not in version.body_fr
    assert charter.current(workspace) == version and charter.draft(workspace) == draft
    with pytest.raises(ValidationError):
        charter.check_publish(version)
    assert set(AuditEvent.objects.filter(workspace=workspace).values_list("action", flat=True)) >= {
        "charter.draft_start", "charter.publish"}


def test_french_and_english_must_have_the_same_articles(workspace, cm):
    membership = membership_of(cm, workspace)
    version = charter.do_save_draft(membership, {"body_fr": FR, "body_en": "## 1. Respect\n", "changes": ""})
    with pytest.raises(ValidationError) as caught:
        charter.do_publish(membership, version)
    assert caught.value.message_dict == {"body_en": [
        "The French text has 3 articles and the English one 1: both languages must have the same articles."]}
    version.refresh_from_db()
    assert version.published_at is None


def test_a_charter_without_articles_or_with_duplicates_is_not_published(workspace, cm):
    membership = membership_of(cm, workspace)
    version = charter.do_save_draft(membership, {"body_fr": "Soyez sympas.", "body_en": "", "changes": ""})
    with pytest.raises(ValidationError) as caught:
        charter.do_publish(membership, version)
    assert "no numbered article" in caught.value.message_dict["body_fr"][0]
    version = charter.do_save_draft(membership, {"body_fr": "## 1. A\n## 1. B\n", "body_en": "", "changes": ""})
    with pytest.raises(ValidationError) as caught:
        charter.do_publish(membership, version)
    assert "appears twice" in caught.value.message_dict["body_fr"][0]


def test_huge_bodies_and_heading_floods_get_clear_errors(workspace, cm):
    membership = membership_of(cm, workspace)
    with pytest.raises(ValidationError) as caught:
        charter.do_save_draft(membership, {"body_fr": "x" * (charter.MAX_BODY + 1), "body_en": "", "changes": ""})
    assert "at most 100" in caught.value.message_dict["body_fr"][0]
    flood = "".join(f"## {n}. T\n" for n in range(1, 5000))
    version = charter.do_save_draft(membership, {"body_fr": flood, "body_en": "", "changes": ""})
    with pytest.raises(ValidationError) as caught:
        charter.do_publish(membership, version)
    assert caught.value.message_dict["body_fr"] == ["The charter has 4999 articles; it may hold at most 200."]
    with pytest.raises(ValidationError):
        charter.do_save_draft(membership, {"body_fr": ["not", "text"], "body_en": "", "changes": ""})


def test_only_managers_write_the_charter(workspace, moderator):
    with pytest.raises(PermissionDenied):
        charter.do_save_draft(membership_of(moderator, workspace), {"body_fr": FR, "body_en": "", "changes": ""})


# Safe Markdown. -----------------------------------------------------------------------------------------------------


def test_markdown_is_sanitised():
    html = charter.render_markdown(
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(1)>\n\n[a](javascript:alert(1)) [b](https://ok.example) "
        "[c](data:text/html,x) [d](#article-1) ![pic](https://tracker.example/p.png)\n\n"
        "## Article 1 — Un\n\n<a href=\"https://x\" onclick=\"x()\">y</a>")
    tags = _tags(html)
    assert {tag for tag, _attrs in tags} == {"p", "a", "h2"}
    assert not [name for _tag, attrs in tags for name, _v in attrs if name.startswith("on") or name in ("src", "style")]
    assert "&lt;script&gt;" in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    assert 'href="javascript' not in html and 'href="data' not in html
    assert '<a href="https://ok.example" rel="noopener noreferrer nofollow">b</a>' in html
    assert '<a href="#article-1" rel="noopener noreferrer nofollow">d</a>' in html
    assert '<a href="https://tracker.example/p.png" rel="noopener noreferrer nofollow">pic</a>' in html
    assert '<h2 id="article-1">Article 1 — Un</h2>' in html


def _tags(html: str) -> list[tuple[str, list]]:
    from html.parser import HTMLParser

    found = []

    class Collect(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Collect().feed(html)
    return found


# Citing. ------------------------------------------------------------------------------------------------------------


def test_cite_names_the_articles_with_links_to_their_anchor(workspace, cm, settings):
    settings.BASE_URL = "https://comptoir.example"
    version = publish(workspace, cm)
    found = charter.cite([3, "1", "x", 9], version, "fr")
    assert [str(c) for c in found] == ["Article 3 — Vie privée", "Article 1 — Respect", "Article 9"]
    assert found[0].url == "https://comptoir.example/charte/velo/v/1/#article-3" and found[2].url == ""
    assert charter.cite([2], version, "en")[0].text == "Article 2 — No spam"
    assert charter.cite_text([2], version, "en") == \
        "Article 2 — No spam (https://comptoir.example/charte/velo/v/1/?lang=en#article-2)"
    assert [c.text for c in charter.cite([2], None)] == ["Article 2"]
    ModerationSettings.objects.filter(workspace=workspace).update(charter_public=False)
    assert charter.cite([2], version)[0].url == ""


def test_the_template_tag_links_the_articles(workspace, cm):
    from django.template import Context, Template

    version = publish(workspace, cm)
    out = Template("{% load moderation_charter %}{% cite_articles nums v 'fr' %}").render(
        Context({"nums": [1, 2], "v": version}))
    assert '<a href="http://127.0.0.1:8000/charte/velo/v/1/#article-1" rel="noopener">Article 1 — Respect</a>' in out
    assert "Article 2 — Pas de spam" in out


# The editor by role. ------------------------------------------------------------------------------------------------


def test_the_editor_saves_publishes_and_shows_versions_with_their_diff(workspace, cm, as_user):
    client = as_user(cm)
    assert client.get("/w/velo/moderation/charter/").status_code == 200
    response = client.post("/w/velo/moderation/charter/", {"body_fr": FR, "body_en": EN, "changes": "first"})
    assert response.status_code == 302
    confirm = client.get("/w/velo/moderation/charter/publish/")
    assert confirm.status_code == 200 and b'data-testid="confirm-publish"' in confirm.content
    assert CharterVersion.objects.get().published_at is None  # the GET only asks
    assert client.post("/w/velo/moderation/charter/publish/").status_code == 302
    client.post("/w/velo/moderation/charter/", {"body_fr": FR.replace("Pas d'insultes.", "Jamais d'insultes."),
                                                "body_en": EN, "changes": "wording"})
    client.post("/w/velo/moderation/charter/publish/")
    page = client.get("/w/velo/moderation/charter/v/2/")
    assert b"<del>Pas</del><ins>Jamais</ins>" in page.content
    preview = client.post("/w/velo/moderation/charter/preview/", {"body_fr": "## 1. A\n## 1. B", "body_en": ""})
    assert b"appears twice" in preview.content


def test_a_draft_that_does_not_publish_says_why(workspace, cm, as_user):
    client = as_user(cm)
    client.post("/w/velo/moderation/charter/", {"body_fr": FR, "body_en": "## 1. Only one\n", "changes": ""})
    response = client.post("/w/velo/moderation/charter/publish/")
    assert response.status_code == 400
    assert "both languages must have the same articles" in response.content.decode()


def test_moderators_read_the_editor_but_do_not_change_it(workspace, moderator, analyst, as_user):
    client = as_user(moderator)
    page = client.get("/w/velo/moderation/charter/")
    assert page.status_code == 200 and b'data-testid="charter-form"' not in page.content
    assert client.post("/w/velo/moderation/charter/", {"body_fr": FR}).status_code == 403
    assert client.post("/w/velo/moderation/charter/publish/").status_code == 403
    assert client.post("/w/velo/moderation/charter/settings/", {}).status_code == 403
    assert client.post("/w/velo/moderation/charter/preview/", {"body_fr": FR}).status_code == 403
    assert as_user(analyst).get("/w/velo/moderation/charter/").status_code == 200
    assert not CharterVersion.objects.exists()


def test_outsiders_get_404_everywhere(workspace, other_workspace, outsider, cm, as_user):
    publish(workspace, cm)
    client = as_user(outsider)
    for url in ("/w/velo/moderation/charter/", "/w/velo/moderation/charter/v/1/", "/w/velo/moderation/charter/publish/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/w/velo/moderation/charter/", {"body_fr": FR}).status_code == 404


def test_hostile_editor_input_gets_clear_errors(workspace, cm, as_user):
    client = as_user(cm)
    response = client.post("/w/velo/moderation/charter/", {"body_fr": "x" * 100_001, "body_en": "", "changes": "y" * 600})
    assert response.status_code == 400
    body = response.content.decode()
    assert "holds at most" in body and "“What changed” holds at most 500 characters" in body
    response = client.post("/w/velo/moderation/charter/", {"body_fr": "a\x00<script>x</script>", "changes": ""})
    assert response.status_code == 302 and CharterVersion.objects.get().body_fr == "a<script>x</script>"
    assert client.get("/w/velo/moderation/charter/v/99999999999999999999999/").status_code == 404
    assert client.get("/w/velo/moderation/charter/v/1/?against=<x>").status_code == 200


# The public page. ---------------------------------------------------------------------------------------------------


def test_the_public_page_shows_the_current_version_in_french_and_english(workspace, cm):
    publish(workspace, cm)
    client = Client()
    page = client.get("/charte/velo/")
    text = page.content.decode()
    assert page.status_code == 200 and page["Content-Language"] == "fr"
    assert '<h2 id="article-1">Article 1 — Respect</h2>' in text and "Version 1" in text
    english = client.get("/charte/velo/?lang=en").content.decode()
    assert "No insults." in english and "Charter of Les Amis du Vélo" in english
    assert client.get("/charte/velo/v/1/").status_code == 200
    assert client.get("/charte/velo/v/2/").status_code == 404
    assert client.get("/charte/nope/").status_code == 404


def test_older_versions_stay_readable_and_point_to_the_current_one(workspace, cm):
    publish(workspace, cm)
    publish(workspace, cm, body_fr=FR + "\n## 4. Pub\n", body_en="", changes="pub")
    client = Client()
    old = client.get("/charte/velo/v/1/?lang=en").content.decode()
    assert "This is an older version" in old and "/charte/velo/v/2/" in old or "/charte/velo/?lang=en" in old
    # English left empty in version 2: the French text, said so.
    assert "not translated yet" in client.get("/charte/velo/?lang=en").content.decode()


def test_the_public_page_is_404_when_not_public_or_nothing_published(workspace, cm):
    assert Client().get("/charte/velo/").status_code == 404
    membership = membership_of(cm, workspace)
    charter.do_save_draft(membership, {"body_fr": FR, "body_en": EN, "changes": ""})
    assert Client().get("/charte/velo/").status_code == 404  # a draft is not public
    charter.do_publish(membership, charter.draft(workspace))
    assert Client().get("/charte/velo/").status_code == 200
    charter.do_update_settings(membership, {"charter_public": "", "ask_acceptance": ""})
    assert Client().get("/charte/velo/").status_code == 404
    assert Client().get("/charte/velo/v/1/").status_code == 404


def test_acceptance_on_the_public_page(workspace, cm):
    version = publish(workspace, cm)
    client = Client(enforce_csrf_checks=True)
    assert b"accept-form" not in client.get("/charte/velo/").content
    assert client.post("/charte/velo/", {"name": "A", "email": "a@b.fr"}).status_code in (403, 404)
    charter.do_update_settings(membership_of(cm, workspace), {"charter_public": "1", "ask_acceptance": "1"})
    page = client.get("/charte/velo/")
    assert b"accept-form" in page.content
    token = client.cookies["csrftoken"].value
    # Without the CSRF token: refused.
    assert client.post("/charte/velo/", {"name": "Zoé", "email": "zoe@velo.test"}).status_code == 403
    response = client.post("/charte/velo/", {"name": "Zoé", "email": "zoe@velo.test", "csrfmiddlewaretoken": token})
    assert response.status_code == 302 and response["Referrer-Policy"] == "same-origin"
    assert charter.has_accepted("ZOE@velo.test", version) and not charter.has_accepted("x@y.z", version)
    # Twice: one acceptance.
    client.post("/charte/velo/", {"name": "Zoé", "email": "zoe@velo.test", "csrfmiddlewaretoken": token})
    assert CharterAcceptance.objects.count() == 1
    assert charter.acceptance_counts(workspace) == {version.pk: 1}
    bad = client.post("/charte/velo/", {"name": "", "email": "not-an-address", "csrfmiddlewaretoken": token})
    assert bad.status_code == 400 and "Indiquez votre nom." in bad.content.decode()  # the public page speaks French


def test_acceptance_is_rate_limited(workspace, cm):
    from django.core.cache import cache

    cache.clear()
    version = publish(workspace, cm)
    for n in range(charter.ACCEPTS_PER_HOUR):
        charter.do_accept(version, {"name": f"P{n}", "email": f"p{n}@x.test"}, address="10.0.0.1")
    with pytest.raises(charter.TooManyAcceptances):
        charter.do_accept(version, {"name": "Q", "email": "q@x.test"}, address="10.0.0.1")
    charter.do_accept(version, {"name": "R", "email": "r@x.test"}, address="10.0.0.2")
    cache.clear()


def test_acceptance_by_handle_links_the_identity(workspace, cm):
    from comptoir.members.models import Identity, Person

    person = Person.objects.create(workspace=workspace, display_name="Léa")
    identity = Identity.objects.create(workspace=workspace, network="mastodon", handle="lea@velo.social", person=person)
    version = publish(workspace, cm)
    charter.do_accept(version, {"name": "Léa", "handle": "@lea@velo.social"}, address="10.0.0.3")
    assert charter.has_accepted(identity, version) and charter.has_accepted(person, version)


# The API. -----------------------------------------------------------------------------------------------------------


def test_the_api_gives_the_current_version_its_articles_and_the_history(workspace, cm, outsider, other_workspace):
    publish(workspace, cm)
    publish(workspace, cm, body_fr=FR + "\n## 4. Pub\n", body_en=EN + "\n## 4. Ads\n", changes="ads")
    _token, raw = ws_actions.do_create_api_token(cm, workspace, "tests")
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/api/v1/workspaces/velo/moderation/charter")
    assert response.status_code == 200
    data = json.loads(response.content)
    assert data["current"]["number"] == 2 and [v["number"] for v in data["versions"]] == [2, 1]
    assert data["current"]["articles"][3] == {"number": 4, "title_fr": "Pub", "title_en": "Ads",
                                              "url": "http://testserver/charte/velo/v/2/#article-4"}
    _token, other = ws_actions.do_create_api_token(outsider, other_workspace, "tests")
    assert Client(HTTP_AUTHORIZATION=f"Bearer {other}").get(
        "/api/v1/workspaces/velo/moderation/charter").status_code == 404
