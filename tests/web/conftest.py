"""One seeded database, one `outreach serve` and one Chromium per test module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from tests.web.seed import PASSWORD, Seeded, seed
from tests.web.server import console_server, launch_browser


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("console")


@pytest.fixture(scope="module")
def seeded(home: Path) -> Iterator[Seeded]:
    data = seed(home)
    yield data
    data.engine.dispose()


@pytest.fixture(scope="module")
def base_url(home: Path, seeded: Seeded) -> Iterator[str]:
    with console_server(home) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = launch_browser(p)
        yield b
        b.close()


def login(browser: Browser, base_url: str, name: str, password: str = PASSWORD) -> Page:
    """A fresh browser context (its own cookies) logged in as `name`."""
    page = browser.new_context(base_url=base_url).new_page()
    page.goto("/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    return page
