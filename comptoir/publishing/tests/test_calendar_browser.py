"""The calendar in Chromium: drag a post to another day with the mouse, then move one with the keyboard only;
and the month on a phone."""

import zoneinfo
from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from comptoir.conftest import log_in
from comptoir.publishing import calendar
from comptoir.publishing.models import Post, Variant

from .calendarfixtures import channel, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def _plan(workspace, title):
    """A post in three days at 18:45 Paris time, and a day to move it to that is shown on the same month grid."""
    day = timezone.now().astimezone(PARIS).date() + timedelta(days=3)
    start, end = calendar.month_bounds(day)
    target = day + timedelta(days=2) if day + timedelta(days=2) <= end else day - timedelta(days=1)
    masto = channel(workspace, handle=f"@{title}@masto.test")
    p = post(workspace, datetime.combine(day, time(18, 45), tzinfo=PARIS).astimezone(UTC), title=title, channels=[masto])
    return p, day, target


def test_a_cm_drags_a_post_to_another_day_and_it_keeps_its_time(page, workspace, cm):
    p, day, target = _plan(workspace, "Atelier")
    failed = post(workspace, p.publish_at, title="Envoi raté", channels=[
        channel(workspace, "bluesky", "velo.bsky.test"), channel(workspace, "mastodon", "@autre@masto.test")],
        states=[Variant.State.FAILED, Variant.State.SENT], status=Post.Status.FAILED)
    log_in(page, cm)
    page.goto(f"/w/velo/publishing/calendar/?day={day.isoformat()}")
    chip = page.get_by_test_id(f"post-{p.pk}")
    expect(chip).to_be_visible()
    expect(page.get_by_test_id(f"post-{failed.pk}").get_by_test_id("alarm")).to_be_visible()
    chip.drag_to(page.get_by_test_id(f"day-{target.isoformat()}"))
    expect(page.get_by_test_id(f"day-{target.isoformat()}").get_by_test_id(f"post-{p.pk}")).to_be_visible()
    p.refresh_from_db()
    local = p.publish_at.astimezone(PARIS)
    assert local.date() == target and (local.hour, local.minute) == (18, 45)
    assert p.variants.get().due_at == p.publish_at
    # A post that went out on one channel (and failed on the other) cannot be dragged.
    expect(page.get_by_test_id(f"post-{failed.pk}")).not_to_have_attribute("draggable", "true")
    assert page.console_errors == []


def test_a_cm_moves_a_post_with_the_keyboard_only(page, workspace, cm):
    p, day, target = _plan(workspace, "Atelier")
    log_in(page, cm)
    page.goto(f"/w/velo/publishing/calendar/?day={day.isoformat()}")
    chip = page.get_by_test_id(f"post-{p.pk}")
    chip.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".is-key-target")).to_have_attribute("data-drop-day", day.isoformat())
    steps = (target - day).days
    for _ in range(abs(steps)):
        page.keyboard.press("ArrowRight" if steps > 0 else "ArrowLeft")
    expect(page.locator(".is-key-target")).to_have_attribute("data-drop-day", target.isoformat())
    expect(page.get_by_test_id("cal-live")).not_to_be_empty()
    page.keyboard.press("Enter")
    moved = page.get_by_test_id(f"day-{target.isoformat()}").get_by_test_id(f"post-{p.pk}")
    expect(moved).to_be_visible()
    expect(moved).to_be_focused()  # the focus comes back to the moved post
    p.refresh_from_db()
    assert p.publish_at.astimezone(PARIS).date() == target
    # Escape puts it down where it was.
    moved.focus()
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Escape")
    expect(page.locator(".is-key-target")).to_have_count(0)
    assert page.console_errors == []


def test_moving_into_the_past_with_the_form_is_refused_with_a_message(page, workspace, cm):
    p, day, _target = _plan(workspace, "Atelier")
    log_in(page, cm)
    page.goto(f"/w/velo/publishing/calendar/?view=week&day={day.isoformat()}")
    form_chip = page.get_by_test_id(f"post-{p.pk}")
    form_chip.locator("summary").click()
    yesterday = timezone.now().astimezone(PARIS).date() - timedelta(days=1)
    date_input = form_chip.locator("input[type=date]")
    date_input.evaluate("(el) => el.removeAttribute('min')")
    date_input.fill(yesterday.isoformat())
    form_chip.get_by_role("button").click()
    expect(page.locator(".alert-danger, .alert-error").first).to_be_visible()
    before = p.publish_at
    p.refresh_from_db()
    assert p.publish_at == before


def test_on_a_phone_the_month_is_a_list_of_days(page, workspace, cm):
    p, day, _target = _plan(workspace, "Atelier")
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, cm)
    page.goto(f"/w/velo/publishing/calendar/?day={day.isoformat()}")
    cell = page.get_by_test_id(f"day-{day.isoformat()}")
    expect(cell.get_by_test_id(f"post-{p.pk}")).to_be_visible()
    box = cell.bounding_box()
    assert box["width"] > 300  # one day per line, not a seventh of the screen
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
