"""The dialer's decisions as a pure function: how many contacts to claim and to dial now.

`plan(now, config, state)` reads no clock and does no I/O, so every pacing rule (channel limit,
recognition capacity, calls per second, stopping) is tested with a fixed clock. The dialer loop
only carries the plan out.
"""

from __future__ import annotations

from dataclasses import dataclass

IDLE_POLL_S = 1.0  # how often to look for newly due contacts when none were found
HEALTH_POLL_S = 0.25  # how often an unhealthy worker looks whether it may dial again


@dataclass(frozen=True)
class PacerConfig:
    max_channels: int
    cps: float
    capacity: int | None = None  # concurrent calls the recogniser sustains; None = not measured
    # Claims waiting at most: what `cps` dials well within the claim lease (hopper_limit), so a
    # claim is never still waiting when its lease runs out. None: no bound beyond the channels.
    max_hopper: int | None = None

    @property
    def limit(self) -> int:
        """Calls in flight at most: the campaign's channels, never above measured capacity."""
        if self.capacity is None:
            return self.max_channels
        return max(1, min(self.max_channels, self.capacity))


def share(total: int, index: int, n: int) -> int:
    """Process `index`'s part of `total` among n processes (the parts add up, none below 1)."""
    return max(1, total // n + (index < total % n))


def hopper_limit(cps: float, lease_s: float, margin: float = 0.5) -> int:
    """Claims that `cps` dials within `margin` of the lease: 1,000 channels at 1 cps and a
    15-minute lease wait for at most 450 claims (7.5 minutes of dialling), never 1,000."""
    return max(1, int(cps * lease_s * margin))


@dataclass(frozen=True)
class PacerState:
    in_flight: int
    hopper: int  # claimed contacts not dialled yet
    last_dial_at: float | None
    nothing_due_until: float = 0.0  # the last claim came back short: do not ask again before
    stopping: bool = False
    healthy: bool = True  # False: the worker is not keeping up (orchestrator/health.py)


@dataclass(frozen=True)
class Plan:
    claim: int
    dial: int
    wait_s: float  # sleep at most this long before planning again (a call end wakes us sooner)
    release_hopper: bool = False
    done: bool = False  # stopping and nothing in flight


def plan(now: float, config: PacerConfig, state: PacerState) -> Plan:
    if state.stopping:
        return Plan(0, 0, IDLE_POLL_S, release_hopper=state.hopper > 0, done=state.in_flight == 0)
    if not state.healthy:  # no new call until the worker keeps up again; look again soon
        return Plan(0, 0, HEALTH_POLL_S)
    free = max(0, config.limit - state.in_flight)
    room = free if config.max_hopper is None else min(free, config.max_hopper)
    claim = max(0, room - state.hopper) if now >= state.nothing_due_until else 0
    gap = 1.0 / config.cps
    next_slot = now if state.last_dial_at is None else state.last_dial_at + gap
    ready = state.hopper + claim
    if free == 0 or ready == 0:
        wait = max(0.0, state.nothing_due_until - now) if free else IDLE_POLL_S
        return Plan(claim, 0, min(IDLE_POLL_S, wait) if wait else IDLE_POLL_S)
    if now + 1e-9 < next_slot:
        return Plan(claim, 0, next_slot - now)
    # One dial per gap: `cps` is a ceiling on new calls per second, never a burst.
    more = free > 1 and ready > 1
    return Plan(claim, 1, gap if more else IDLE_POLL_S)
