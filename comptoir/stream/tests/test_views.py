import pytest
from django.utils import timezone

from comptoir.stream.models import Item, Source


@pytest.fixture
def items(workspace):
    source = Source.objects.create(workspace=workspace, network="rss", label="Blog vélo")
    now = timezone.now()
    Item.objects.create(workspace=workspace, source=source, external_id="1", kind="article", text="Super balade dimanche !",
                        language="fr", sentiment="positive", published_at=now)
    Item.objects.create(workspace=workspace, source=source, external_id="2", kind="comment", text="Terrible service, never again",
                        language="en", sentiment="negative", published_at=now - timezone.timedelta(days=3))
    return source


def test_the_stream_lists_items_and_filters_them(workspace, cm, as_user, items):
    client = as_user(cm)
    body = client.get("/w/velo/stream/").content.decode()
    assert "Super balade" in body and "Terrible service" in body
    body = client.get("/w/velo/stream/?lang=en").content.decode()
    assert "Terrible service" in body and "Super balade" not in body
    body = client.get("/w/velo/stream/?kind=article&sentiment=positive").content.decode()
    assert "Super balade" in body and "Terrible service" not in body
    since = (timezone.now() - timezone.timedelta(days=1)).date().isoformat()
    assert "Terrible service" not in client.get(f"/w/velo/stream/?since={since}").content.decode()


@pytest.mark.parametrize("query", ["since=not-a-date", "until=2026-13-45", "source=abc", "kind=<script>", "q=" + "x" * 5000,
                                   "page=-1", "page=99999", "lang=%00"])
def test_odd_filters_never_break_the_stream(workspace, cm, as_user, items, query):
    assert as_user(cm).get(f"/w/velo/stream/?{query}").status_code == 200


def test_the_stream_exports_csv(workspace, cm, as_user, items):
    response = as_user(cm).get("/w/velo/stream/?format=csv")
    content = b"".join(response.streaming_content).decode()
    assert content.splitlines()[0].startswith("published_at,source,kind")
    assert "Super balade" in content


def test_an_outsider_cannot_see_the_stream_or_sources(workspace, outsider, as_user, items):
    client = as_user(outsider)
    assert client.get("/w/velo/stream/").status_code == 404
    assert client.get("/w/velo/sources/").status_code == 404
    assert client.post(f"/w/velo/sources/{items.pk}/", {"action": "remove"}).status_code == 404
    assert Source.objects.filter(pk=items.pk).exists()


def test_contributors_do_not_read_the_stream(workspace, contributor, as_user, items):
    assert as_user(contributor).get("/w/velo/stream/").status_code == 403


def test_a_source_of_another_workspace_cannot_be_touched(workspace, other_workspace, owner, as_user):
    theirs = Source.objects.create(workspace=other_workspace, network="rss", label="Leur flux")
    assert as_user(owner).post(f"/w/velo/sources/{theirs.pk}/", {"action": "remove"}).status_code == 404
    assert Source.objects.filter(pk=theirs.pk).exists()


def test_sources_show_their_health(workspace, cm, as_user, items):
    Source.objects.filter(pk=items.pk).update(status="failing", last_error_code="HTTP 503 : le site est indisponible",
                                              consecutive_failures=3)
    body = as_user(cm).get("/w/velo/sources/").content.decode()
    assert "le site est indisponible" in body and "×3" in body
