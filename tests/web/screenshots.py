"""The screenshots in docs/console.md, made from the same seeded console the browser tests use.

Run: .venv/bin/python -m tests.web.screenshots [docs/console]
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

from tests.web.seed import PASSWORD, seed
from tests.web.server import console_server, launch_browser
from tests.web.test_desk import next_weekday_10am


def shoot(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    home = Path(tempfile.mkdtemp(prefix="console-shots-"))
    data = seed(home, n_leads=6, uncalled=20)
    with console_server(home) as base, sync_playwright() as p:
        browser = launch_browser(p)

        def login(name: str) -> Page:
            page = browser.new_context(base_url=base, viewport={"width": 1280, "height": 860},
                                       locale="en-GB").new_page()  # fmt: skip
            page.goto("/login")
            page.fill("input[name=name]", name)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            return page

        page = browser.new_page(viewport={"width": 1280, "height": 500})
        page.goto(base + "/login")
        page.screenshot(path=out / "login.png")
        agent = login("mina")
        agent.click("#take-next")
        agent.check("input[value=callback]")
        agent.fill("input[name=callback_at]", next_weekday_10am().strftime("%Y-%m-%dT%H:%M"))
        agent.fill("textarea[name=note]", "wants the rate sheet first")
        agent.click("#result-form button[type=submit]")
        agent.click("#take-next")
        agent.wait_for_function("document.getElementById('player').readyState >= 1")
        agent.screenshot(path=out / "desk.png", full_page=True)
        agent.goto("/qa")
        agent.screenshot(path=out / "forbidden.png")
        qa = login("seo")
        qa.fill("input[name=text]", "금리가")
        qa.click("#search button[type=submit]")
        qa.screenshot(path=out / "qa-search.png", full_page=True)
        qa.goto(f"/qa/calls/{data.call_ids[1]}")
        qa.wait_for_function("document.getElementById('player').readyState >= 1")
        qa.click("#turns .turn >> nth=3")
        qa.wait_for_selector("#turns .turn.current")
        qa.evaluate("document.getElementById('player').pause()")
        qa.screenshot(path=out / "qa-call.png", full_page=True)
        boss = login("park")
        boss.screenshot(path=out / "manager.png", full_page=True)
        boss.click("tr[data-campaign=dormant-march] a")
        boss.screenshot(path=out / "campaign.png", full_page=True)
        browser.close()
    data.engine.dispose()


if __name__ == "__main__":
    shoot(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/console"))
