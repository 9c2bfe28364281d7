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


@pytest.mark.parametrize("query", ["page=-1", "page=99999", "lang=%00", "q=%00%ED%A0%80", "source="])
def test_odd_but_harmless_parameters_show_the_stream(workspace, cm, as_user, items, query):
    assert as_user(cm).get(f"/w/velo/stream/?{query}").status_code == 200


@pytest.mark.parametrize("query, field", [
    ("since=not-a-date", "From"), ("until=2026-13-45", "To"), ("source=abc", "Channel or source"),
    ("kind=<script>", "Kind"), ("q=" + "x" * 5000, "Search"), ("since=0001-01-01", "From"), ("until=9999-12-31", "To"),
    ("source=" + "9" * 30, "Channel or source"), ("source=-3", "Channel or source"), ("sentiment=joy", "Sentiment"),
    ("since=2026-03-02&until=2026-03-01", "To"),
])
@pytest.mark.parametrize("user_tz", ["Europe/Paris", "America/Montreal", "Pacific/Kiritimati"])
def test_a_wrong_filter_gets_a_400_naming_it_on_the_page_and_in_the_export(workspace, cm, as_user, items, query, field,
                                                                        user_tz):
    cm.language, cm.time_zone = "en", user_tz
    cm.save()
    client = as_user(cm)
    page = client.get(f"/w/velo/stream/?{query}")
    assert page.status_code == 400
    errors = page.content.decode().split('data-testid="filter-errors"')[1].split("</div>")[0]
    assert f"{field}:" in errors
    export = client.get(f"/w/velo/stream/?{query}&format=csv")
    assert export.status_code == 400 and f"{field}:" in export.content.decode()


def test_the_widest_valid_dates_work_in_every_time_zone(workspace, cm, as_user, items):
    for tz in ("Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Paris"):
        cm.time_zone = tz
        cm.save()
        client = as_user(cm)
        assert client.get("/w/velo/stream/?since=1900-01-01&until=2999-12-31").status_code == 200
        export = client.get("/w/velo/stream/?since=1900-01-01&until=2999-12-31&format=csv")
        assert b"Super balade" in b"".join(export.streaming_content)


def test_a_date_filter_follows_the_readers_time_zone(workspace, cm, as_user, items):
    item = Item.objects.get(external_id="1")
    item.published_at = timezone.make_aware(timezone.datetime(2026, 3, 1, 23, 30), timezone.get_fixed_timezone(0))
    item.save()
    cm.time_zone = "Europe/Paris"  # 23:30 UTC is already 2 March in Paris
    cm.save()
    client = as_user(cm)
    assert "Super balade" in client.get("/w/velo/stream/?since=2026-03-02&until=2026-03-02").content.decode()
    assert "Super balade" not in client.get("/w/velo/stream/?until=2026-03-01").content.decode()


def test_the_stream_exports_csv_with_every_label_for_french_excel(workspace, cm, as_user, items):
    import csv
    import io

    response = as_user(cm).get("/w/velo/stream/?format=csv")
    content = b"".join(response.streaming_content)
    assert content.startswith("\ufeff".encode())  # Excel reads UTF-8 only with its byte order mark
    rows = list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))
    assert {"sentiment", "sentiment_score", "intent", "complaint", "toxicity", "spam", "tags", "reviewed", "text"} <= set(rows[0])
    assert {r["text"] for r in rows} == {"Super balade dimanche !", "Terrible service, never again"}
    excel = b"".join(as_user(cm).get("/w/velo/stream/?format=csv&excel=1&lang=en").streaming_content).decode("utf-8-sig")
    header, line = excel.splitlines()[:2]
    assert header.startswith("id;published_at;network;source") and "Terrible service, never again" in line


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
