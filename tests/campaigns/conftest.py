"""Campaign-test fixtures: every engine a test opens is disposed when it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.campaigns import helpers


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    while helpers.ENGINES:
        helpers.ENGINES.pop().dispose()
