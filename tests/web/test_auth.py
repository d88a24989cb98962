"""Logging in, roles and the protections a bank's security review asks about, in Chromium."""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser

from tests.web.conftest import login
from tests.web.seed import PASSWORD, Seeded


def test_each_role_logs_in_to_its_own_page(browser: Browser, base_url: str) -> None:
    for name, path, heading in [("mina", "/desk", "Desk"), ("seo", "/qa", "Calls"),
                                ("park", "/manager", "Campaigns")]:  # fmt: skip
        page = login(browser, base_url, name)
        assert page.url == base_url + path, (name, page.url)
        assert heading in page.inner_text("h1")
        assert name in page.inner_text("#who")
        page.click("text=Log out")
        assert page.url.endswith("/login")
        page.goto("/qa")  # logged out: back to the login page, not the calls
        assert "/login" in page.url
        page.context.close()


def test_agent_gets_403_on_qa_and_manager_pages(browser: Browser, base_url: str,
                                               seeded: Seeded) -> None:  # fmt: skip
    page = login(browser, base_url, "mina")
    for path in ["/qa", f"/qa/calls/{seeded.call_ids[0]}", "/manager",
                 "/manager/campaigns/1"]:  # fmt: skip
        response = page.goto(path)
        assert response is not None and response.status == 403, path
        assert "for qa and manager accounts" in page.inner_text("#reason") or \
            "for manager accounts" in page.inner_text("#reason")
    qa = login(browser, base_url, "seo")
    response = qa.goto("/manager")
    assert response is not None and response.status == 403
    page.context.close()
    qa.context.close()


def test_a_form_posted_without_its_csrf_token_is_refused(browser: Browser, base_url: str,
                                                        seeded: Seeded) -> None:  # fmt: skip
    page = login(browser, base_url, "park")
    assert page.inner_text("tr[data-campaign=dormant-march] .status") == "active"
    # The same Pause form, with its token taken out before it is sent.
    page.eval_on_selector("tr[data-campaign=dormant-march] form",
                          "f => f.querySelector('[name=csrf_token]').remove()")  # fmt: skip
    with page.expect_response(lambda r: r.request.method == "POST") as posted:
        page.click("tr[data-campaign=dormant-march] button")
    assert posted.value.status == 403
    page.goto("/manager")
    assert page.inner_text("tr[data-campaign=dormant-march] .status") == "active"
    # With its token the same form works.
    page.click("tr[data-campaign=dormant-march] button")
    assert page.inner_text("tr[data-campaign=dormant-march] .status") == "paused"
    page.click("tr[data-campaign=dormant-march] button")
    assert page.inner_text("tr[data-campaign=dormant-march] .status") == "active"
    page.context.close()


def test_five_wrong_passwords_lock_the_name_even_for_the_right_one(
    browser: Browser, base_url: str
) -> None:
    page = login(browser, base_url, "joon", "wrong password 1")

    def send(password: str) -> int:
        page.fill("input[name=password]", password)
        with page.expect_response(lambda r: r.request.method == "POST") as posted:
            page.click("button[type=submit]")
        return posted.value.status

    for i in range(2, 6):
        assert "wrong user name or password" in page.inner_text("[role=alert]"), i
        status = send(f"wrong password {i}")
    assert status == 429  # the fifth wrong password locks the name
    assert "too many wrong passwords" in page.inner_text("[role=alert]")
    assert send(PASSWORD) == 429  # and now the right one is refused too
    assert "/login" in page.url and "too many wrong passwords" in page.inner_text("[role=alert]")
    page.context.close()
    other = login(browser, base_url, "mina")  # other accounts are not locked out
    assert other.url.endswith("/desk")
    other.context.close()


def test_session_cookie_is_signed_httponly_and_samesite(base_url: str) -> None:
    with httpx.Client(base_url=base_url) as client:
        r = client.get("/login")
        cookie = r.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie
        # A forged cookie saying "user: park" is not a login.
        client.cookies.clear()
        client.cookies.set("outreach_session", "eyJ1c2VyIjogInBhcmsifQ==.forged.sig")
        r = client.get("/manager")
        assert r.status_code == 303 and r.headers["location"].startswith("/login")
