"""The agent desk in Chromium: take a lead, hear its recording, book a callback, and two agents
working the same queue at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import Browser, Page

from campaigns.models import PlaybackAudit
from tests.web.conftest import login
from tests.web.seed import RECORDING_S, Seeded, seed

SEOUL = ZoneInfo("Asia/Seoul")


@pytest.fixture(scope="module")
def seeded(home: Path) -> Seeded:
    return seed(home, n_leads=8)


def next_weekday_10am() -> datetime:
    day = datetime.now(SEOUL).date() + timedelta(days=1)
    while day.weekday() >= 5:  # the default calling days are Mon-Sat; keep clear of Saturday too
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, 10, 0, tzinfo=SEOUL)


def take(page: Page) -> int:
    page.goto("/desk")
    page.click("#take-next")
    return int(page.get_attribute("#lead-card", "data-lead") or 0)


def test_agent_takes_a_lead_hears_it_and_books_a_callback(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    page = login(browser, base_url, "mina")
    lead_id = take(page)
    assert lead_id == seeded.lead_ids[0]  # the best lead: hot, highest score
    card = page.inner_text("#lead-card")
    assert page.inner_text("#phone") == "010-5555-1000"  # as an agent in Korea dials it
    assert page.inner_text("#campaign") == "dormant-march"
    assert page.inner_text("#customer-id") == "C7000"
    assert "강남지점" in card and "said yes to the offer" in card and "deposit rate" in card
    assert "금리가 얼마나 돼요" in page.inner_text("#turns")
    # One lead at a time: asking again hands back the same lead, never a second one.
    token = page.get_attribute("input[name=csrf_token]", "value") or ""
    page.request.post("/desk/next", form={"csrf_token": token})
    page.goto("/desk")
    assert int(page.get_attribute("#lead-card", "data-lead") or 0) == lead_id
    # The recording: the audio element loads it, knows its length and plays.
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    duration = page.evaluate("document.getElementById('player').duration")
    assert abs(duration - RECORDING_S) < 0.1
    page.click("#turns .turn >> nth=2")  # a click on a line plays from there
    page.wait_for_function("(() => { const p = document.getElementById('player');"
                           " return !p.paused && p.currentTime > 5.6; })()")  # fmt: skip
    with seeded.engine.connect() as conn:
        heard = conn.execute(sa.select(PlaybackAudit.user, PlaybackAudit.attempt_id)).all()
    assert ("mina", seeded.call_ids[0]) in heard
    # A callback at 03:00 on a Sunday is refused, saying what would be allowed.
    sunday = next_weekday_10am()
    while sunday.weekday() != 6:
        sunday += timedelta(days=1)
    page.check("input[value=callback]")
    page.fill("input[name=callback_at]", sunday.replace(hour=3).strftime("%Y-%m-%dT%H:%M"))
    page.click("#result-form button[type=submit]")
    assert "outside the campaign's calling hours" in page.inner_text("[role=alert]")
    # Inside calling hours, in the customer's zone: booked, and kept for me.
    when = next_weekday_10am()
    page.check("input[value=callback]")
    page.fill("input[name=callback_at]", when.strftime("%Y-%m-%dT%H:%M"))
    page.fill("textarea[name=note]", "wants the rate sheet first")
    page.click("#result-form button[type=submit]")
    assert "saved: Call back" in page.inner_text("[role=status]")
    row = page.inner_text(f"#callbacks tr[data-lead='{lead_id}']")
    assert when.strftime("%Y-%m-%d 10:00 Asia/Seoul") in row and "rate sheet" in row
    page.context.close()
    # Another agent does not see it among theirs.
    other = login(browser, base_url, "joon")
    assert other.locator(f"#callbacks tr[data-lead='{lead_id}']").count() == 0
    other.context.close()


def test_an_agent_cannot_hear_a_lead_they_do_not_hold(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    page = login(browser, base_url, "joon")
    response = page.request.get(f"/recordings/{seeded.call_ids[0]}")
    assert response.status == 403
    page.context.close()


def test_two_agents_never_get_the_same_lead(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    agents = {"mina": login(browser, base_url, "mina"), "joon": login(browser, base_url, "joon")}
    got: dict[str, list[int]] = {"mina": [], "joon": []}
    for _ in range(len(seeded.lead_ids)):
        # Both press "Take next lead" at the same moment, then each closes what they got.
        for page in agents.values():
            page.goto("/desk")
        for page in agents.values():
            if page.locator("#take-next").count():
                page.eval_on_selector("#take-next", "b => b.form.requestSubmit()")
        for name, page in agents.items():
            page.wait_for_load_state()
            page.wait_for_selector("#lead-card, [role=status]")
            if page.locator("#lead-card").count():
                got[name].append(int(page.get_attribute("#lead-card", "data-lead") or 0))
                page.check("input[value=no_sale]")
                page.click("#result-form button[type=submit]")
                page.wait_for_selector("[role=status]")
    taken = got["mina"] + got["joon"]
    assert len(taken) == len(set(taken)), got  # nobody got a lead twice, no lead went to both
    assert set(taken) == set(seeded.lead_ids[1:]), got  # every waiting lead was handed out
    assert got["mina"] and got["joon"]
    for page in agents.values():
        page.context.close()
