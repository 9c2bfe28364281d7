"""In Chromium: a CM imports posts from a CSV file (preview, then drafts), and reads the clicks of the short links."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.publishing import links
from comptoir.publishing.models import Post, Variant
from comptoir.workspaces.models import Channel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_cm_imports_a_csv_file_and_gets_drafts(page, workspace, cm, tmp_path):
    Channel.objects.create(workspace=workspace, network="mastodon", handle="@velo@mastodon.test")
    day = (timezone.localdate() + dt.timedelta(days=10)).isoformat()
    good = tmp_path / "posts.csv"
    good.write_text(f"date,time,channels,text\n{day},09:30,mastodon,Atelier réparation samedi !\n"
                    f"{day},18:00,mastodon,<b>Vélorution</b> ce soir\n", encoding="utf-8")
    bad = tmp_path / "bad.csv"
    bad.write_text("date,time,channels,text\n2020-01-01,09:30,twitter,Trop tard\n", encoding="utf-8")
    log_in(page, cm)
    page.goto("/w/velo/publishing/import/")
    page.set_input_files("#id_file", str(bad))
    page.locator("[data-testid=import-form] button").click()
    expect(page.get_by_test_id("row-error")).to_have_count(2)
    expect(page.get_by_test_id("import-confirm")).to_have_count(0)
    page.set_input_files("#id_file", str(good))
    page.locator("[data-testid=import-form] button").click()
    expect(page.get_by_test_id("import-rows").locator("tbody tr")).to_have_count(2)
    page.get_by_test_id("import-confirm").click()
    expect(page.get_by_test_id("imported-posts").locator("tbody tr")).to_have_count(2)
    assert list(Post.objects.values_list("status", flat=True)) == ["draft", "draft"]
    # The refused file's page answers 400 on purpose; nothing else may fail.
    assert [e for e in page.console_errors if "status of 400" not in e] == []


def test_the_links_page_draws_the_clicks(page, workspace, cm, settings):
    post = Post.objects.create(workspace=workspace, title="Fête", link="https://velo.test/fete")
    variant = Variant.objects.create(post=post, network="mastodon")
    link = links.short_link_for(variant, links.tracked_target(variant))
    links.count_click(link)
    log_in(page, cm)
    page.goto("/w/velo/publishing/links/")
    canvas = page.locator("canvas[data-chart=clicks]")
    expect(canvas).to_be_visible()
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas[data-chart=clicks]'))")
    assert page.evaluate("Chart.getChart(document.querySelector('canvas[data-chart=clicks]')).data.datasets[0].data.at(-1)") == 1
    assert page.console_errors == []
