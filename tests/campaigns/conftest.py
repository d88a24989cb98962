"""Campaign-test fixtures: every engine a test opens is disposed when it ends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlmodel import Session

from campaigns.db import open_database, session
from tests.campaigns import helpers


@pytest.fixture(autouse=True)
def _dispose_engines() -> Iterator[None]:
    yield
    while helpers.ENGINES:
        helpers.ENGINES.pop().dispose()


@pytest.fixture
def db(db_url: str) -> Iterator[Session]:
    """A session on a migrated database (SQLite file and PostgreSQL, by `db_url`)."""
    engine = open_database(db_url)
    with session(engine) as s:
        yield s
    engine.dispose()
