"""The worker's health with a fixed clock: a call's hearing lag and lost audio, and the hold the
dialer keeps while any call hears late (orchestrator/health.py)."""

from __future__ import annotations

from orchestrator.health import HealthLimits, HearingMeter, WorkerHealth


def _feed(meter: HearingMeter, frames: int, t0: float, wall0: float, wall_step: float) -> None:
    for i in range(frames):
        meter.frame(t0 + i * 0.02, 0.02, wall0 + i * wall_step)


def test_a_call_heard_in_real_time_is_not_degraded() -> None:
    meter = HearingMeter(HealthLimits())
    _feed(meter, 500, 0.0, 100.0, 0.02)  # ten seconds, each frame on time
    assert meter.lag_s(110.0) < 0.05 and meter.degraded(110.0) is None


def test_a_call_heard_ever_later_becomes_degraded_and_stays_so() -> None:
    meter = HearingMeter(HealthLimits(degraded_lag_s=1.5))  # no media clock: wall time
    _feed(meter, 100, 0.0, 0.0, 0.04)  # consumed at half real time: 2 s of audio in 4 s
    assert meter.degraded(4.0) is not None and "behind" in (meter.degraded(4.0) or "")
    _feed(meter, 50, 2.0, 4.0, 0.0)  # catching up later does not make it trustworthy again
    assert meter.degraded(4.0) is not None


def test_lost_frames_degrade_a_call_and_longer_frames_are_not_lost() -> None:
    meter = HearingMeter(HealthLimits(degraded_lost_s=0.4))
    for i in range(50):  # Asterisk may send 40 ms frames: contiguous, nothing lost
        meter.frame(i * 0.04, 0.04, i * 0.04)
    assert meter.lost_s == 0 and meter.degraded(2.0) is None
    meter.frame(2.6, 0.02, 2.6)  # 0.6 s of frames never arrived
    assert "lost" in (meter.degraded(2.6) or "")


def test_the_backlog_is_what_the_media_received_and_the_call_did_not_hear_yet() -> None:
    meter = HearingMeter(HealthLimits(degraded_lag_s=3.0))
    received = [0.0]
    meter.produced = lambda: received[0]
    # The media's clock may run slower than the wall (a simulated line waiting): no backlog.
    _feed(meter, 100, 0.0, 0.0, 0.05)
    received[0] = 2.0
    assert meter.lag_s(99.0) == 0.0 and meter.degraded(99.0) is None
    received[0] = 5.5  # 3.5 s received and not yet heard
    assert meter.lag_s(99.0) == 3.5 and "behind" in (meter.degraded(99.0) or "")


def test_the_worker_holds_while_a_call_hears_late_and_resumes_after_recovering() -> None:
    health = WorkerHealth(HealthLimits(hold_hearing_lag_s=0.5, recover_s=2.0))
    meter = health.open_meter()
    meter.frame(0.0, 0.02, 0.0)
    assert health.may_dial(0.1)
    # No frame consumed for a second (no media clock: wall time): the call hears a second late.
    assert not health.may_dial(1.0) and health.holding == "calls hearing late"
    health.close_meter(meter)  # the call ended
    assert not health.may_dial(1.5)  # healthy, but not yet for recover_s
    assert health.may_dial(3.6)
    assert health.report.holds == 1 and round(health.report.held_back_s, 1) == 2.6
    assert health.report.reasons == {"calls hearing late": 1}
