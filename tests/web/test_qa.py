"""QA in Chromium: find calls by the words said, open one, click a line and the player goes
there; marks; the CSV export; a manager sees the same pages."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from playwright.sync_api import Browser

from campaigns.models import PlaybackAudit
from tests.web.conftest import login
from tests.web.seed import SEED_SCRIPT_VERSION, Seeded


def test_qa_finds_a_call_by_its_words_and_the_player_follows_the_transcript(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    page = login(browser, base_url, "seo")
    # "전화하지 마" was said in the opt-out calls only (no intent filter would find a missed one).
    page.fill("input[name=text]", "전화하지 마")
    page.click("#search button[type=submit]")
    assert page.inner_text("#count").startswith("2 calls")
    found = page.locator("#results tr[data-call]").evaluate_all("rs => rs.map(r => r.dataset.call)")
    assert set(found) == set(seeded.call_ids[4:])
    # A lead's call: find it by words the customer said, open it.
    page.fill("input[name=text]", "금리가 얼마나")
    page.click("#search button[type=submit]")
    page.click(f"#results tr[data-call='{seeded.call_ids[0]}'] a")
    assert page.inner_text("#script") == "ko-dormant-deposit"
    assert page.inner_text("#script-version") == f"v{SEED_SCRIPT_VERSION[:7]}"
    low = page.locator("#turns .turn.low")
    assert low.count() == 1 and "금리가 얼마나 돼요" in low.inner_text()  # heard at 0.42
    page.wait_for_function("document.getElementById('player').readyState >= 1")
    assert page.evaluate("document.getElementById('player').currentTime") == 0
    page.click("#turns .turn >> nth=3")  # the customer's question starts at 8.6 s
    page.wait_for_function("document.getElementById('player').currentTime >= 8.6")
    position = page.evaluate("document.getElementById('player').currentTime")
    assert 8.6 <= position < 10.4
    page.wait_for_selector("#turns .turn.current")
    current = page.inner_text("#turns .turn.current")
    assert "금리가 얼마나 돼요" in current
    # Clicking an earlier line moves the player back there, and the highlight with it.
    page.click("#turns .turn >> nth=1")
    page.wait_for_function("(() => { const t = document.getElementById('player').currentTime;"
                           " return t >= 4.0 && t < 5.5; })()")  # fmt: skip
    page.wait_for_function("document.querySelector('#turns .turn.current').innerText"
                           ".includes('네 말씀하세요')")  # fmt: skip
    with seeded.engine.connect() as conn:
        heard = conn.execute(sa.select(PlaybackAudit.user, PlaybackAudit.attempt_id)).all()
    assert ("seo", seeded.call_ids[0]) in heard
    # A QA mark is stored, shown, and searchable.
    page.check("input[value=fail]")
    page.fill("input[name=tags]", "misheard")
    page.fill("textarea[name=comment]", "rate question heard at 0.42")
    page.click("#mark-form button[type=submit]")
    assert "seo: fail misheard rate question" in page.inner_text("#marks")
    page.goto("/qa?verdict=fail&tag=misheard")
    rows = page.locator("#results tr[data-call]").evaluate_all("rs => rs.map(r => r.dataset.call)")
    assert rows == [seeded.call_ids[0]]
    page.context.close()


def test_search_refuses_unknown_values_and_exports_csv(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    page = login(browser, base_url, "park")  # a manager reads QA pages too
    response = page.goto("/qa?tier=lukewarm")
    assert response is not None and response.status == 400
    assert "unknown tier 'lukewarm'" in page.inner_text("[role=alert]")
    page.goto("/qa?text=전화하지")
    with page.expect_download() as dl:
        page.click("#export")
    path = dl.value.path()
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert sorted(r["id"] for r in rows) == sorted(seeded.call_ids[4:])
    assert all(r["phone"].startswith("+8210") for r in rows)
    page.context.close()


def test_recordings_answer_range_requests_to_reviewers_only(
    browser: Browser, base_url: str, seeded: Seeded
) -> None:
    page = login(browser, base_url, "seo")
    url = f"/recordings/{seeded.call_ids[0]}"
    whole = seeded.recording.read_bytes()
    part = page.request.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status == 206 and part.body() == whole[1000:2000]
    assert part.headers["content-range"] == f"bytes 1000-1999/{len(whole)}"
    page.context.close()
    anonymous = browser.new_context(base_url=base_url)
    response = anonymous.request.get(url, max_redirects=0)
    assert response.status == 303 and "/login" in response.headers["location"]
    anonymous.close()
