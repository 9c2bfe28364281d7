"""Take the README's screenshots from a running demo instance: `python scripts/screenshots.py http://127.0.0.1:8131`."""

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-quic", "--no-first-run"]


def main(base: str) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        for width, suffix in ((1280, ""), (390, "-phone")):
            height = 800 if width > 1000 else 844
            page = browser.new_context(base_url=base, viewport={"width": width, "height": height}, locale="fr-FR").new_page()
            page.goto("/login/")
            page.screenshot(path=OUT / f"login-fr{suffix}.png", full_page=True)
            page.fill("#id_username", "claire@demo.comptoir.test")
            page.fill("#id_password", "comptoir-demo")
            page.click("button[type=submit]:not([name])")
            page.wait_for_url("**/w/**")
            page.screenshot(path=OUT / f"home-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/team/")
            page.screenshot(path=OUT / f"team-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/channels/")
            page.screenshot(path=OUT / f"channels-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/stream/")
            page.screenshot(path=OUT / f"stream-fr{suffix}.png", full_page=width < 1000)
            # The split view: the message that asks about the workshop, opened beside the list.
            page.get_by_test_id("stream-items").locator("li", has_text="atelier de réparation").first.locator("a").first.click()
            page.get_by_test_id("detail").get_by_test_id("labels").wait_for()
            page.screenshot(path=OUT / f"stream-selected-fr{suffix}.png", full_page=width < 1000)
            page.goto("/w/velo-lyon/stream/?q=VÉLO")
            page.screenshot(path=OUT / f"stream-search-fr{suffix}.png", full_page=width < 1000)
            page.goto("/w/velo-lyon/activity/")
            page.screenshot(path=OUT / f"activity-fr{suffix}.png", full_page=True)
            for name, url in (("dashboard", "dashboard/"), ("mentions", ""), ("topics", "topics/"), ("alerts", "alerts/"),
                              ("incidents", "incidents/")):
                page.goto(f"/w/velo-lyon/listening/{url}")
                page.wait_for_timeout(1200)  # Chart.js draws after load
                page.screenshot(path=OUT / f"listening-{name}-fr{suffix}.png", full_page=name != "mentions" or width < 1000)
            page.get_by_test_id("open-incidents").locator("a").first.click()  # the crisis under way
            page.wait_for_timeout(1200)
            page.screenshot(path=OUT / f"listening-incident-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/publishing/calendar/")
            page.screenshot(path=OUT / f"publishing-calendar-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/publishing/requests/board/")
            page.screenshot(path=OUT / f"publishing-board-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/publishing/posts/?q=dernière+semaine")
            page.get_by_role("link", name="Adhésions d'hiver : dernière semaine").first.click()
            page.wait_for_timeout(1200)  # the counters arrive by htmx
            page.screenshot(path=OUT / f"publishing-post-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/inbox/")
            page.get_by_test_id("inbox-rows").locator("li a").first.click()
            page.wait_for_timeout(1200)  # the conversation arrives beside the list by htmx
            page.screenshot(path=OUT / f"inbox-fr{suffix}.png", full_page=width < 1000)
            for name, url in (("rules", "rules/"), ("digest", "digest/"), ("saved-replies", "saved-replies/")):
                page.goto(f"/w/velo-lyon/inbox/{url}")
                page.screenshot(path=OUT / f"inbox-{name}-fr{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/moderation/queue/")
            page.keyboard.press("j")
            page.wait_for_timeout(1200)  # the case arrives beside the list by htmx
            page.screenshot(path=OUT / f"moderation-queue-fr{suffix}.png", full_page=width < 1000)
            for name, url in (("rules", "rules/"), ("sanctions", "sanctions/"), ("charter", "charter/")):
                page.goto(f"/w/velo-lyon/moderation/{url}")
                page.screenshot(path=OUT / f"moderation-{name}-fr{suffix}.png", full_page=True)
            page.goto("/charte/maison-lumiere/?lang=en")
            page.screenshot(path=OUT / f"moderation-charter-en{suffix}.png", full_page=True)
            page.goto("/w/velo-lyon/")  # back in the app: the language menu is in its top bar
            with page.expect_navigation():  # the menu submits itself; wait for the new page
                page.get_by_test_id("language-select").select_option("en")
            page.goto("/w/maison-lumiere/inbox/")
            page.screenshot(path=OUT / f"inbox-en{suffix}.png", full_page=width < 1000)
            page.goto("/w/maison-lumiere/")
            page.screenshot(path=OUT / f"home-en{suffix}.png", full_page=True)
            page.goto("/w/maison-lumiere/channels/")
            page.screenshot(path=OUT / f"channels-en{suffix}.png", full_page=True)
            page.goto("/w/maison-lumiere/stream/?complaint=complaint")
            page.screenshot(path=OUT / f"stream-en{suffix}.png", full_page=width < 1000)
            page.goto("/w/maison-lumiere/activity/")
            page.screenshot(path=OUT / f"activity-en{suffix}.png", full_page=True)
            for name, url in (("calendar", "calendar/"), ("posts", "posts/")):
                page.goto(f"/w/maison-lumiere/publishing/{url}")
                page.screenshot(path=OUT / f"publishing-{name}-en{suffix}.png", full_page=True)
            for name, url in (("dashboard", "dashboard/"), ("curation", "curation/")):
                page.goto(f"/w/maison-lumiere/listening/{url}")
                page.wait_for_timeout(1200)
                page.screenshot(path=OUT / f"listening-{name}-en{suffix}.png", full_page=True)
            with page.expect_navigation():  # the menu submits itself; wait for the new page
                page.get_by_test_id("language-select").select_option("fr")
            page.context.close()
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:8000")
