"""Costly manager figures: shown at once, refreshed after a stale view, one refresh at once."""

from __future__ import annotations

import anyio

from orchestrator.web.snapshots import Snapshots


def test_a_stale_figure_is_served_then_refreshed_after_the_response() -> None:
    counted: list[int] = []

    def count() -> int:
        counted.append(1)
        return len(counted)

    async def scenario() -> None:
        snaps = Snapshots(fresh_s=3600)
        assert (await snaps.get("k", count))[:2] == (1, 0.0)  # the first view waits for it
        value, _, task = await snaps.get("k", count)
        assert value == 1 and task is None and len(counted) == 1  # fresh: not counted again
        snaps.fresh_s = 0
        value, _, task = await snaps.get("k", count)
        assert value == 1 and task is not None  # stale: shown as it was, refresh scheduled
        again = await snaps.get("k", count)
        assert again[2] is None  # a refresh already pending: not a second one
        await task()
        assert len(counted) == 2 and (await snaps.get("k", count))[0] == 2

    anyio.run(scenario)
