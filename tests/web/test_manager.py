"""A campaign manager's page in Chromium: progress X of N, pause that stops the dialler."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from campaigns.db import session
from campaigns.dialing import AttemptResult, claim, record_outcome
from campaigns.repo import get_campaign_by_name
from tests.web.conftest import login
from tests.web.seed import T0, Seeded, seed


@pytest.fixture(scope="module")
def seeded(home: Path) -> Seeded:
    return seed(home, n_leads=4, uncalled=10)


def test_manager_sees_progress_and_pausing_stops_new_calls(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    page = login(browser, base_url, "park")
    row = "tr[data-campaign=dormant-march]"
    assert page.inner_text(f"{row} .progress-text").strip() == "6 of 16"  # 6 called, 10 waiting
    # No call in the last 15 minutes, so no ETA: "not calling" inside the calling hours, "done
    # for today" after them (the hour the tests run decides which; CI ran after 21:00 in Seoul).
    assert page.inner_text(f"{row} .eta") in ("not calling", "done for today")
    page.click(f"{row} button")
    assert page.inner_text(f"{row} .status") == "paused"
    with session(seeded.engine) as s:
        cid = get_campaign_by_name(s, seeded.campaign).id
    assert cid is not None
    # The dialler's own claim now hands out nothing, though 10 contacts are due.
    assert claim(seeded.engine, cid, 5, "w2", timedelta(minutes=5), now=T0) == []
    page.click(f"{row} button")
    assert page.inner_text(f"{row} .status") == "active"
    dialled = claim(seeded.engine, cid, 5, "w2", timedelta(minutes=5), now=T0)
    assert len(dialled) == 5
    # Live counters: the server's refresher counts them every 5 s, the open page polls as often.
    page.goto("/manager")
    page.wait_for_function(f"document.querySelector('{row} .in-flight').innerText === '5'",
                           timeout=15_000)  # fmt: skip
    page.evaluate("window.notReloaded = true")
    for c in dialled:
        record_outcome(seeded.engine, c.attempt_id, AttemptResult("busy"), now=T0)
    page.wait_for_function(f"document.querySelector('{row} .in-flight').innerText === '0'",
                           timeout=15_000)  # fmt: skip
    assert page.evaluate("window.notReloaded") is True
    page.goto(f"/manager/campaigns/{cid}")
    assert "Leads" in page.inner_text("main")
    # The funnel and outcomes charts, as `campaign report --chart` draws them.
    assert page.locator("#funnel-chart svg").count() == 1
    assert page.locator("#outcomes-chart svg").count() == 1
    funnel = page.inner_text("#funnel-chart")
    assert "dialled" in funnel and "lead" in funnel
    page.context.close()
