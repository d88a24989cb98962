"""Figures that are costly to count (a campaign's funnel over 100,000 calls), kept for a few
seconds so a manager's page answers at once and is never more than one refresh behind. The page
shows the figures' age.

Keys the server's background refresher keeps (`put(..., kept=True)`: active campaigns, every
FRESH_S) are never recounted on a request. Other keys (a paused campaign) are refreshed after the
response that found them stale; a key never counted (a campaign just created, before the next
refresh) is counted once while its first request waits."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.background import BackgroundTask

from orchestrator.web.security import run_db

FRESH_S = 15.0


@dataclass
class Snapshots:
    fresh_s: float = FRESH_S
    _values: dict[Any, tuple[float, Any]] = field(default_factory=dict)
    _refreshing: set[Any] = field(default_factory=set)
    _kept: set[Any] = field(default_factory=set)

    def put(self, key: Any, value: Any, kept: bool = False) -> None:
        """Store a freshly counted `value`; `kept`: the background refresher keeps this key."""
        self._values[key] = (time.monotonic(), value)
        (self._kept.add if kept else self._kept.discard)(key)

    def keys_kept(self) -> set[Any]:
        return set(self._kept)

    def forget(self, key: Any) -> None:
        """The refresher no longer keeps `key` (its campaign stopped being active)."""
        self._kept.discard(key)

    async def get(
        self, key: Any, compute: Callable[[], Any]
    ) -> tuple[Any, float, BackgroundTask | None]:
        """(value, its age in seconds, a task refreshing it when stale: run it after the
        response). The first request for `key` computes it while waiting."""
        now = time.monotonic()
        if key not in self._values:
            value = await run_db(compute)
            self._values[key] = (time.monotonic(), value)
            return value, 0.0, None
        at, value = self._values[key]
        age = now - at
        if age < self.fresh_s or key in self._refreshing or key in self._kept:
            return value, age, None
        self._refreshing.add(key)

        async def refresh() -> None:
            try:
                self._values[key] = (time.monotonic(), await run_db(compute))
            finally:
                self._refreshing.discard(key)

        return value, age, BackgroundTask(refresh)
