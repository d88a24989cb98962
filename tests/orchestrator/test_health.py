"""The worker's health with a fixed clock: a call's hearing lag and lost audio, and the hold the
dialer keeps while any call hears late (orchestrator/health.py)."""

from __future__ import annotations

from orchestrator.health import HealthLimits, HearingMeter, WorkerHealth


def _feed(meter: HearingMeter, frames: int, t0: float, wall0: float, wall_step: float) -> None:
    for i in range(frames):
        meter.frame(t0 + i * 0.02, wall0 + i * wall_step)


def test_a_call_heard_in_real_time_is_not_degraded() -> None:
    meter = HearingMeter(HealthLimits())
    _feed(meter, 500, 0.0, 100.0, 0.02)  # ten seconds, each frame on time
    assert meter.lag_s(110.0) < 0.05 and meter.degraded(110.0) is None


def test_a_call_heard_ever_later_becomes_degraded_and_stays_so() -> None:
    meter = HearingMeter(HealthLimits(degraded_lag_s=1.5))
    _feed(meter, 100, 0.0, 0.0, 0.04)  # consumed at half real time: 2 s of audio in 4 s
    assert meter.degraded(4.0) is not None and "behind" in (meter.degraded(4.0) or "")
    _feed(meter, 50, 2.0, 4.0, 0.0)  # catching up later does not make it trustworthy again
    assert meter.degraded(4.0) is not None


def test_lost_frames_degrade_a_call() -> None:
    meter = HearingMeter(HealthLimits(degraded_lost_s=0.4))
    meter.frame(0.0, 0.0)
    meter.frame(0.02, 0.02)
    meter.frame(0.6, 0.6)  # 0.56 s of frames never arrived
    assert "lost" in (meter.degraded(0.6) or "")


def test_the_worker_holds_while_a_call_hears_late_and_resumes_after_recovering() -> None:
    health = WorkerHealth(HealthLimits(hold_hearing_lag_s=0.5, recover_s=2.0))
    meter = health.open_meter()
    meter.frame(0.0, 0.0)
    assert health.may_dial(0.1)
    # No frame consumed for a second: the call hears a second late.
    assert not health.may_dial(1.0) and health.holding == "calls hearing late"
    health.close_meter(meter)  # the call ended
    assert not health.may_dial(1.5)  # healthy, but not yet for recover_s
    assert health.may_dial(3.6)
    assert health.report.holds == 1 and round(health.report.held_back_s, 1) == 2.6
    assert health.report.reasons == {"calls hearing late": 1}
