"""Frame timing statistics: the evidence that outbound audio is paced, not burst.

Asterisk has no jitter buffer on an AudioSocket channel, so a burst of frames sounds garbled; the
gaps between consecutive sends are what a test (or an operator) looks at to see that pacing holds.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class TimingStats:
    """Gaps between consecutive frames, in milliseconds of wall time."""

    frames: int
    p50_ms: float
    p99_ms: float
    min_ms: float
    max_ms: float


class FrameTiming:
    """Records send (or receive) instants; keeps the most recent `keep` gaps."""

    def __init__(self, keep: int = 6000) -> None:
        self._gaps: deque[float] = deque(maxlen=keep)
        self._last: float | None = None
        self.frames = 0

    def record(self, now: float) -> None:
        if self._last is not None:
            self._gaps.append(now - self._last)
        self._last = now
        self.frames += 1

    def gaps_ms(self) -> list[float]:
        return [g * 1000.0 for g in self._gaps]

    def frames_ahead(self, period_s: float) -> float:
        """The most frames sent ahead of a steady one-per-`period_s` clock over any stretch.

        Over frames j..k, (k - j) frames went out in (t_k - t_j) seconds; the excess over what a
        clock allows is how much of a burst that stretch was. A pacer that only ever runs late
        (catching up a bounded backlog) scores at most that backlog however loaded the machine
        is; a prompt dumped at once scores about its length in frames. Unlike the smallest gap,
        this does not move when one frame is late and the next is sent on schedule right after.
        """
        worst = 0.0
        lowest = 0.0  # min over j of (j - t_j / period), with t_0 = 0
        elapsed = 0.0
        for k, gap in enumerate(self._gaps, start=1):
            elapsed += gap
            lead = k - elapsed / period_s
            worst = max(worst, lead - lowest)
            lowest = min(lowest, lead)
        return worst

    def summary(self) -> TimingStats:
        gaps = sorted(self.gaps_ms())
        if not gaps:
            return TimingStats(self.frames, 0.0, 0.0, 0.0, 0.0)
        return TimingStats(
            frames=self.frames,
            p50_ms=_nearest_rank(gaps, 0.50),
            p99_ms=_nearest_rank(gaps, 0.99),
            min_ms=gaps[0],
            max_ms=gaps[-1],
        )


def _nearest_rank(sorted_values: list[float], q: float) -> float:
    index = min(len(sorted_values) - 1, max(0, round(q * len(sorted_values)) - 1))
    return sorted_values[index]
