"""Pacing rules with a fixed clock: channels, capacity, calls per second, stopping."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orchestrator.pacing import PacerConfig, PacerState, hopper_limit, plan


def test_claims_up_to_the_free_channels_and_dials_one_at_a_time() -> None:
    cfg = PacerConfig(max_channels=5, cps=2.0)
    p = plan(0.0, cfg, PacerState(in_flight=0, hopper=0, last_dial_at=None))
    assert (p.claim, p.dial) == (5, 1)
    # Half a second later the next dial is allowed, not before.
    early = plan(0.3, cfg, PacerState(in_flight=1, hopper=4, last_dial_at=0.0))
    assert early.dial == 0 and abs(early.wait_s - 0.2) < 1e-9
    assert plan(0.5, cfg, PacerState(in_flight=1, hopper=4, last_dial_at=0.0)).dial == 1


def test_full_channels_dial_nothing() -> None:
    cfg = PacerConfig(max_channels=3, cps=10.0)
    p = plan(10.0, cfg, PacerState(in_flight=3, hopper=2, last_dial_at=0.0))
    assert (p.claim, p.dial) == (0, 0)


def test_measured_capacity_caps_the_channels() -> None:
    cfg = PacerConfig(max_channels=50, cps=100.0, capacity=12)
    assert cfg.limit == 12
    p = plan(0.0, cfg, PacerState(in_flight=12, hopper=0, last_dial_at=None))
    assert (p.claim, p.dial) == (0, 0)


def test_nothing_due_backs_off_claiming() -> None:
    cfg = PacerConfig(max_channels=5, cps=1.0)
    p = plan(1.0, cfg, PacerState(0, 0, None, nothing_due_until=1.5))
    assert p.claim == 0 and p.dial == 0 and 0 < p.wait_s <= 0.5


def test_stopping_releases_the_hopper_and_waits_for_calls_in_flight() -> None:
    cfg = PacerConfig(max_channels=5, cps=1.0)
    p = plan(0.0, cfg, PacerState(in_flight=2, hopper=3, last_dial_at=None, stopping=True))
    assert (p.claim, p.dial, p.release_hopper, p.done) == (0, 0, True, False)
    assert plan(0.0, cfg, PacerState(0, 0, None, stopping=True)).done


@given(
    st.integers(1, 50), st.floats(0.1, 20), st.integers(0, 60), st.integers(0, 60),
    st.floats(0, 100), st.one_of(st.none(), st.integers(1, 40)),
)  # fmt: skip
def test_never_exceeds_channels_capacity_or_rate(
    channels: int, cps: float, in_flight: int, hopper: int, since: float, capacity: int | None
) -> None:
    cfg = PacerConfig(channels, cps, capacity)
    now = 1000.0
    p = plan(now, cfg, PacerState(in_flight, hopper, now - since))
    assert in_flight + p.dial <= max(cfg.limit, in_flight)
    assert p.dial <= 1
    if p.dial:
        assert since + 1e-9 >= 1 / cps and hopper + p.claim >= 1
    assert in_flight + hopper + p.claim <= max(cfg.limit, in_flight + hopper)
    assert p.wait_s >= 0


def test_no_claim_waits_in_the_hopper_past_its_lease() -> None:
    """1,000 channels at 1 call per second with a 15-minute lease: a hopper filled to the
    channel limit would still hold claims 17 minutes later; bounded, each is dialled in time."""
    lease_s = 900.0
    cfg = PacerConfig(max_channels=1000, cps=1.0, max_hopper=hopper_limit(1.0, lease_s))
    now, last_dial = 0.0, None
    hopper: list[float] = []  # when each waiting claim was made
    calls: list[float] = []  # when each call in flight ends (each lasts two minutes)
    waits: list[float] = []
    while now < 3600:
        calls = [end for end in calls if end > now]
        p = plan(now, cfg, PacerState(len(calls), len(hopper), last_dial))
        hopper += [now] * p.claim
        for _ in range(min(p.dial, len(hopper))):
            waits.append(now - hopper.pop(0))
            calls.append(now + 120)
            last_dial = now
        now += max(p.wait_s, 0.01)
    assert len(waits) > 3000, "it kept dialling at its rate"
    assert max(waits) <= lease_s / 2 + 1
    assert hopper_limit(1.0, lease_s) == 450 and hopper_limit(0.001, lease_s) == 1


def test_an_unhealthy_worker_claims_and_dials_nothing() -> None:
    cfg = PacerConfig(max_channels=5, cps=2.0)
    state = PacerState(in_flight=1, hopper=3, last_dial_at=None, healthy=False)
    p = plan(0.0, cfg, state)
    assert (p.claim, p.dial, p.done) == (0, 0, False) and p.wait_s <= 0.25
