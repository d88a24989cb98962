"""The search row of a call: its transcript lower-cased in one text, its lowest customer
confidence and the intents heard. One row per call (instead of a turn each) keeps QA's text and
confidence search to one pass over 100,000 rows with plain LIKE on both backends, without a
PostgreSQL extension. Written with the turns in `finish_attempt`'s transaction."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from campaigns.models import CallSearch

S = CallSearch.__table__  # type: ignore[attr-defined]  # sqlmodel declares __table__ untyped


class TurnLike(Protocol):
    @property
    def speaker(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def confidence(self) -> float | None: ...
    @property
    def intent(self) -> str | None: ...


def search_row(attempt_id: str, turns: Iterable[TurnLike]) -> dict[str, Any]:
    said = list(turns)
    heard = [t.confidence for t in said if t.speaker == "customer" and t.confidence is not None]
    intents = [t.intent for t in said if t.intent]
    return {
        "attempt_id": attempt_id,
        "text": "\n".join(t.text for t in said).lower(),
        "lowest_confidence": min(heard) if heard else None,
        "intents": "," + ",".join(dict.fromkeys(intents)) + "," if intents else "",
    }


def store_search_row(conn: Connection, attempt_id: str, turns: Iterable[TurnLike]) -> None:
    conn.execute(sa.insert(S).values(**search_row(attempt_id, turns)))
