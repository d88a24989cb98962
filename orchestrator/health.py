"""The worker's own health: is it still hearing its calls in real time?

Two things go wrong first when a worker takes more calls than it can carry: its event loop runs
late (media pacing, VAD and dialog all share it) and its calls' hearing falls behind the audio
(the recogniser cannot keep up, caller frames queue up, then are dropped). Both are measured here.

* `HearingMeter` (one per call) compares the caller audio the call has consumed with what its
  media has received (the inbound backlog: a slow recogniser or a starved loop lets it grow):
  `lag_s` is how far behind the call hears; frames that never arrived or were dropped (gaps in
  the frames' own call time) are `lost_s`. A call whose lag or loss passed the
  limits is `degraded`: what it heard since may be late, cut or missing, so the session takes no
  business decision from it (orchestrator/session.py ends it as `degraded`, retried soon).
* `WorkerHealth` (one per worker, shared by its calls) watches the loop's lateness and every live
  call's lag; while either passes the hold limits (lower than the degraded ones) the dialer places
  no new call, and it starts again after `recover_s` of good readings.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import anyio

FRAME_S = 0.02


@dataclass(frozen=True)
class HealthLimits:
    hold_loop_lag_s: float = 0.1  # the event loop this late, on average over a second: hold
    hold_hearing_lag_s: float = 0.5  # a live call hearing this far behind: take no new call
    degraded_lag_s: float = 3.0  # a call hearing this far behind: its audio is degraded
    degraded_lost_s: float = 0.4  # caller audio lost (dropped frames) in a call: degraded
    recover_s: float = 2.0  # healthy this long before dialling again
    tick_s: float = 0.05  # how often the loop's lateness is sampled


class HearingMeter:
    """How far one call's hearing is behind its caller's audio."""

    def __init__(self, limits: HealthLimits, speed: float = 1.0) -> None:
        self.limits = limits
        self.speed = speed
        # The media's own clock: call time of the newest caller audio it has received (an
        # AudioSocket call counts the bytes Asterisk sent, the sim line its ticks). None: no
        # such clock, and lag is measured against wall time since the first frame instead.
        self.produced: Callable[[], float] | None = None
        self._first: tuple[float, float] | None = None  # (wall time, call time) of frame one
        self._heard_to: float | None = None  # call time up to which audio has been consumed
        self.lost_s = 0.0
        self.max_lag_s = 0.0
        self.reason: str | None = None  # why the call is degraded, once it is

    def frame(self, t: float, seconds: float, now: float) -> None:
        """A caller frame starting at call time `t`, `seconds` long, was consumed at `now`."""
        if self._first is None:
            self._first = (now, t)
        elif self._heard_to is not None and t - self._heard_to > FRAME_S / 2:
            self.lost_s += t - self._heard_to  # frames that never reached us (dropped)
        self._heard_to = t + seconds
        self._check(now)

    def lag_s(self, now: float) -> float:
        """Wall seconds of caller audio received (or due) but not heard yet: the backlog."""
        if self._first is None or self._heard_to is None:
            return 0.0
        if self.produced is not None:
            return max(0.0, self.produced() - self._heard_to) / self.speed
        wall0, t0 = self._first
        return max(0.0, now - wall0 - (self._heard_to - t0) / self.speed)

    def degraded(self, now: float) -> str | None:
        self._check(now)
        return self.reason

    def _check(self, now: float) -> None:
        lag = self.lag_s(now)
        self.max_lag_s = max(self.max_lag_s, lag)
        if self.reason is not None:
            return
        if lag > self.limits.degraded_lag_s:
            self.reason = f"hearing {lag:.1f} s behind the caller"
        elif self.lost_s > self.limits.degraded_lost_s:
            self.reason = f"{self.lost_s:.1f} s of the caller's audio lost"


@dataclass
class HealthReport:
    """What the run says about its health (`outreach run --json`'s `health`)."""

    held_back_s: float = 0.0
    holds: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    degraded_calls: int = 0
    max_loop_lag_ms: float = 0.0
    max_hearing_lag_ms: float = 0.0

    def as_json(self) -> dict[str, object]:
        return {"held_back_s": round(self.held_back_s, 1), "holds": self.holds,
                "reasons": dict(self.reasons), "degraded_calls": self.degraded_calls,
                "max_loop_lag_ms": round(self.max_loop_lag_ms),
                "max_hearing_lag_ms": round(self.max_hearing_lag_ms)}  # fmt: skip


class WorkerHealth:
    def __init__(self, limits: HealthLimits | None = None, speed: float = 1.0) -> None:
        self.limits = limits or HealthLimits()
        self.speed = speed
        self.meters: set[HearingMeter] = set()
        self.report = HealthReport()
        self.loop_lag_s = 0.0  # the mean lateness over the last second (one hiccup is no trend)
        self._hold_since: float | None = None
        self._good_since: float | None = None
        self.holding: str | None = None  # why new calls are held back now

    def open_meter(self) -> HearingMeter:
        meter = HearingMeter(self.limits, self.speed)
        self.meters.add(meter)
        return meter

    def close_meter(self, meter: HearingMeter) -> None:
        self.meters.discard(meter)
        if meter.reason is not None:
            self.report.degraded_calls += 1

    async def watch_loop(self) -> None:
        """Sample how late the event loop wakes up; runs in the dialer's task group."""
        tick = self.limits.tick_s
        window: list[float] = []
        while True:
            before = anyio.current_time()
            await anyio.sleep(tick)
            late = max(0.0, anyio.current_time() - before - tick)
            window = [*window[-int(1 / tick):], late]
            self.loop_lag_s = sum(window) / len(window)
            self.report.max_loop_lag_ms = max(self.report.max_loop_lag_ms, late * 1000)

    def _reason(self, now: float) -> str | None:
        lim = self.limits
        hearing = max((m.lag_s(now) for m in self.meters), default=0.0)
        self.report.max_hearing_lag_ms = max(self.report.max_hearing_lag_ms, hearing * 1000)
        if self.loop_lag_s > lim.hold_loop_lag_s:
            return "event loop late"
        if hearing > lim.hold_hearing_lag_s:
            return "calls hearing late"
        return None

    def may_dial(self, now: float) -> bool:
        """False while unhealthy and until `recover_s` after it; keeps the held-back time."""
        reason = self._reason(now)
        if reason is not None:
            if self.holding is None:
                self.report.holds += 1
                self._hold_since = now
            if reason != self.holding:
                self.report.reasons[reason] += 1
            self.holding, self._good_since = reason, None
            return False
        if self.holding is None:
            return True
        if self._good_since is None:
            self._good_since = now
        if now - self._good_since < self.limits.recover_s / self.speed:
            return False
        assert self._hold_since is not None
        self.report.held_back_s += now - self._hold_since
        self.holding = self._hold_since = self._good_since = None
        return True

    def finish(self, now: float) -> None:
        """The run ends: a hold still open counts until now."""
        if self._hold_since is not None:
            self.report.held_back_s += now - self._hold_since
            self._hold_since = None
