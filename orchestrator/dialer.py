"""The dialer loop: carries out the pacing plan, runs each call in its own task, records every
outcome, and stops cleanly (pause or Ctrl-C: calls in progress finish, unused claims go back).

Every call task is owned by the loop's task group; every outcome is written from a shielded
`finally`, so even a cancelled call leaves a recorded outcome behind.
"""

from __future__ import annotations

import logging
import signal
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from itertools import takewhile
from pathlib import Path
from typing import TypeVar

import anyio
import sqlalchemy.exc
from sqlalchemy.engine import Engine

from campaigns import dialing, gate
from campaigns.calls import CallReport, finish_attempt
from campaigns.db import session
from campaigns.dialing import AttemptResult, Claim
from campaigns.errors import AlreadyRecorded, NotFound
from campaigns.models import Campaign
from campaigns.policy import NumberCaps
from campaigns.progress import Progress, campaign_progress
from campaigns.repo import get_campaign
from orchestrator import spool
from orchestrator.callflow import CallPlan, place_call
from orchestrator.health import HealthReport
from orchestrator.pacing import (
    IDLE_POLL_S,
    PacerConfig,
    PacerState,
    hopper_limit,
    plan,
    share,
)
from orchestrator.privacy import mask_phone
from orchestrator.prompt_audio import PromptPreparer
from orchestrator.session import Services, describe
from telephony.base import TelephonyBackend

log = logging.getLogger(__name__)
T = TypeVar("T")
DB = anyio.CapacityLimiter(2)  # database work off the event loop, two statements at a time


def store_waits(total_s: float) -> tuple[float, ...]:
    """Waits between tries to store a finished call, doubling from 0.5 s up to 30 s, `total_s`
    in all (a minute covers a database restart or a failover); the call keeps its slot."""
    waits: list[float] = []
    while sum(waits) < total_s:
        waits.append(min(30.0, 0.5 * 2 ** len(waits), total_s - sum(waits)))
    return tuple(waits)


@dataclass
class RunStats:
    """What a run did, for the live display and the final summary."""

    campaign: str
    dialled: int = 0
    finished: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    limit: int = 0  # calls in flight at most: channels, never above the worker's capacity
    processes: int = 1
    answered: int = 0
    leads: int = 0
    opt_outs: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    first_word_s: list[float] = field(default_factory=list)  # answer -> the robot's first word
    recovered: int = 0
    not_dialled: Counter[str] = field(default_factory=Counter)  # refused by the dial gate, why
    prompts_ahead: int = 0  # prompts synthesised while their contact waited to be dialled
    synthesised_in_call: int = 0  # prompts the customer waited for after answering
    stopped_by: str = "done"
    elapsed_s: float = 0.0
    progress: Progress | None = None  # the campaign's day, all workers (campaigns/progress.py)
    health: HealthReport = field(default_factory=HealthReport)
    holding: str | None = None  # why new calls are held back right now (the worker's health)

    def as_json(self) -> dict[str, object]:
        def pcts(values: list[float]) -> dict[str, float | int | None]:
            v = sorted(values)

            def pct(p: float) -> float | None:
                return v[min(len(v) - 1, int(p * len(v)))] if v else None

            return {"p50": pct(0.5), "p95": pct(0.95), "max": v[-1] if v else None, "n": len(v)}

        return {
            "campaign": self.campaign,
            "dialled": self.dialled,
            "finished": self.finished,
            "peak_in_flight": self.peak_in_flight,
            "limit": self.limit,
            "processes": self.processes,
            "answered": self.answered,
            "leads": self.leads,
            "opt_outs": self.opt_outs,
            "outcomes": dict(self.outcomes),
            "recovered_from_previous_run": self.recovered,
            "not_dialled": dict(self.not_dialled),
            "response_latency_s": pcts(self.latencies_s),
            "first_word_s": pcts(self.first_word_s),
            "prompts": {"rendered_ahead": self.prompts_ahead,
                        "synthesised_in_call": self.synthesised_in_call},
            "health": self.health.as_json(),
            "today": self.progress.as_json() if self.progress else None,
            "stopped_by": self.stopped_by,
            "elapsed_s": round(self.elapsed_s, 1),
        }


@dataclass(frozen=True)
class DialerOptions:
    worker_id: str
    until_done: bool = False
    speed: float = 1.0
    capacity: int | None = None
    lease: timedelta = timedelta(minutes=15)
    handle_signals: bool = False
    caps: NumberCaps = field(default_factory=NumberCaps)  # per number, across campaigns
    call_plan: CallPlan = field(default_factory=lambda: CallPlan(None, False))
    store_waits: tuple[float, ...] = store_waits(60.0)
    spool_dir: Path | None = None  # calls the database would not take, kept (orchestrator/spool.py)
    share: tuple[int, int] = (0, 1)  # this process's index among the worker's processes


class Dialer:
    def __init__(
        self,
        engine: Engine,
        campaign_id: int,
        services: Services,
        backend: TelephonyBackend,
        options: DialerOptions,
        on_progress: Callable[[RunStats], None] | None = None,
    ) -> None:
        self.engine = engine
        self.campaign_id = campaign_id
        self.svc = services
        self.backend = backend
        self.opts = options
        self.on_progress = on_progress or (lambda _s: None)
        self.hopper: deque[Claim] = deque()
        self.stats = RunStats(campaign=str(campaign_id))
        self._stopping = False
        self._live: set[str] = set()  # attempt ids of the calls in progress
        self._wake = anyio.Event()
        self._started = 0.0
        # Each claimed contact's prompts (the greeting with the name first) are synthesised while
        # it waits in the hopper; a contact is dialled once its prompts are ready.
        self.prep = PromptPreparer(services, lambda: self._wake.set())

    async def _db(self, fn: Callable[..., T], *args: object) -> T:
        return await anyio.to_thread.run_sync(fn, *args, limiter=DB)

    async def _db_steady(self, fn: Callable[..., T], *args: object) -> T:
        """A claim, dial-gate or release call tried again while the database is unreachable
        for a moment (a PostgreSQL restart, a lost connection): it stopped the whole run."""
        for wait in (*self.opts.store_waits, None):
            try:
                return await self._db(fn, *args)
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
                if wait is None:
                    raise
                log.warning("the database failed (%s); trying again in %g s", describe(exc),
                            wait)  # fmt: skip
                await anyio.sleep(wait)
        raise AssertionError("unreachable")

    def stop(self, reason: str) -> None:
        if not self._stopping:
            self._stopping = True
            self.stats.stopped_by = reason
            self._wake.set()

    def _progress(self) -> None:
        self.stats.elapsed_s = anyio.current_time() - self._started
        self.on_progress(self.stats)

    async def run(self) -> RunStats:
        self._started = started = anyio.current_time()
        campaign = await self._db(get_campaign_session, self.engine, self.campaign_id)
        self.stats.campaign = campaign.name
        if campaign.status != "active":
            self.stop(campaign.status)  # paused before we began: dial nothing
        cps = campaign.cps * self.opts.speed
        # One process of several (`run --processes`) takes its share of the channels and cps.
        index, n = self.opts.share
        channels, cps = share(campaign.max_channels, index, n), cps / n
        self.pacer = PacerConfig(channels, cps, self.opts.capacity,
                                 hopper_limit(cps, self.opts.lease.total_seconds()))  # fmt: skip
        self.stats.limit = self.pacer.limit
        health = self.svc.health
        health.speed = self.opts.speed
        self.stats.health = health.report
        # A previous run of this worker that died left open attempts: close them first.
        self.stats.recovered = await self._db_steady(
            dialing.recover_worker, self.engine, self.opts.worker_id
        )
        if self.opts.spool_dir is not None:  # calls the database would not take last time
            kept = await self._db(spool.replay, self.engine, self.opts.spool_dir)
            if kept:
                log.warning("stored %d calls kept on disk by an earlier run", kept)
        async with self.backend.running(), anyio.create_task_group() as tg:
            if self.opts.handle_signals:
                tg.start_soon(self._watch_signals, tg.cancel_scope)
            tg.start_soon(self._watch_status)
            tg.start_soon(self._renew_live)
            tg.start_soon(health.watch_loop)
            try:
                await self._loop()
            finally:
                health.finish(anyio.current_time())
                # Whatever ended the loop (a lost PBX, a bug), claims not dialled go back now
                # instead of waiting for their lease to run out.
                await self._release()
            tg.cancel_scope.cancel()
        self.stats.elapsed_s = anyio.current_time() - started
        return self.stats

    async def _loop(self) -> None:
        last_dial: float | None = None
        nothing_due_until = 0.0
        async with anyio.create_task_group() as calls:
            while True:
                now = anyio.current_time()
                healthy = self.svc.health.may_dial(now)
                self.stats.holding = self.svc.health.holding
                state = PacerState(self.stats.in_flight, len(self.hopper), last_dial,
                                   nothing_due_until, self._stopping, healthy)  # fmt: skip
                p = plan(now, self.pacer, state)
                if p.release_hopper:
                    await self._release()
                if p.done:
                    return
                if p.claim:
                    got = await self._db_steady(dialing.claim, self.engine, self.campaign_id,
                                                p.claim, self.opts.worker_id, self.opts.lease,
                                                None, self.opts.caps)  # fmt: skip
                    self.hopper.extend(got)
                    self.prep.add(calls, got)
                    if len(got) < p.claim:
                        nothing_due_until = now + IDLE_POLL_S
                    idle = not got and not self.stats.in_flight and not self.hopper
                    if idle and self.opts.until_done:
                        self.stop("done")
                        continue
                for _ in range(p.dial if self.hopper else 0):
                    claim = await self._admit()
                    if claim is None:
                        break
                    self.stats.in_flight += 1
                    self.stats.peak_in_flight = max(self.stats.peak_in_flight,
                                                    self.stats.in_flight)  # fmt: skip
                    self.stats.dialled += 1
                    last_dial = now
                    calls.start_soon(self._call, claim)
                self._progress()
                with anyio.move_on_after(p.wait_s):
                    await self._wake.wait()
                self._wake = anyio.Event()

    async def _admit(self) -> Claim | None:
        """The dial gate: the first waiting claim that may be dialled now; the ones that may
        not (listed meanwhile, window closed, caps, campaign paused) go back uncounted."""
        while self.hopper:
            ready = list(takewhile(self.prep.ready, self.hopper))
            if not ready:
                return None  # the next contact's prompts are still being rendered
            res = await self._db_steady(gate.admit, self.engine, ready, self.opts.lease,
                                        self.opts.caps)  # fmt: skip
            used = [self.hopper.popleft() for _ in range(res.used)]
            self.prep.forget(c.attempt_id for c in used)
            for r in res.refused:
                self.stats.not_dialled[r.kind] += 1
                if r.kind == "paused":
                    self.stop("paused")
            if res.admitted is not None:
                return res.admitted
        return None

    async def _release(self) -> None:
        ids = [c.attempt_id for c in self.hopper]
        self.hopper.clear()
        self.prep.forget(ids)
        with anyio.CancelScope(shield=True):
            await self._db_steady(dialing.release, self.engine, ids)

    async def _call(self, claim: Claim) -> None:
        """One call task: the report is stored as soon as the call has one; the call counts as
        in flight until its line has ended (a transferred call still holds a trunk channel)."""
        stored = False
        self._live.add(claim.attempt_id)
        self.prep.forget([claim.attempt_id])
        self.stats.prompts_ahead = self.prep.rendered

        async def store(report: CallReport) -> None:
            nonlocal stored
            if not stored:
                stored = True
                with anyio.CancelScope(shield=True):
                    await self._store(claim, report)

        report = CallReport(AttemptResult("failed", cause="internal error"))
        try:
            await place_call(self.svc, self.backend, claim, self.opts.call_plan, store)
        except anyio.get_cancelled_exc_class():
            report = CallReport(AttemptResult("unknown", cause="the worker stopped mid-call"))
            raise
        except Exception as exc:
            log.exception("call %s to %s failed", claim.attempt_id, mask_phone(claim.phone))
            report = CallReport(AttemptResult("failed", cause=f"{type(exc).__name__}: {exc}"))
        finally:
            with anyio.CancelScope(shield=True):
                await store(report)
                self._live.discard(claim.attempt_id)
                self.stats.in_flight -= 1
                self._progress()
                self._wake.set()

    async def _finish(self, attempt_id: str, report: CallReport) -> int | None:
        """Store the report, trying again while the database refuses the write (a restart, a
        lost connection, a locked table): what was heard is not dropped on a passing failure.
        A second report of one call is not tried again."""
        for wait in (*self.opts.store_waits, None):
            try:
                return await self._db(finish_attempt, self.engine, attempt_id, report)
            except (AlreadyRecorded, NotFound):
                log.exception("call %s was not stored", attempt_id)
                return None
            except Exception as exc:
                if wait is None:
                    log.exception("could not store the outcome of call %s", attempt_id)
                    await self._keep(attempt_id, report)
                    return None
                log.warning("could not store call %s (%s); trying again in %g s", attempt_id,
                            describe(exc), wait)  # fmt: skip
                await anyio.sleep(wait)
        return None

    async def _keep(self, attempt_id: str, report: CallReport) -> None:
        if self.opts.spool_dir is None:
            return
        try:
            path = await anyio.to_thread.run_sync(spool.keep, self.opts.spool_dir, attempt_id,
                                                  report)  # fmt: skip
            log.warning("call %s kept in %s; the next run stores it", attempt_id, path)
        except OSError:
            log.exception("call %s could not be kept on disk either: it is lost", attempt_id)

    async def _store(self, claim: Claim, report: CallReport) -> None:
        report = replace(report, script_version=self.svc.script_version)
        lead_id = await self._finish(claim.attempt_id, report)
        r = report.result
        self.stats.finished += 1
        self.stats.outcomes[r.dialog_outcome or r.outcome] += 1
        self.stats.answered += r.outcome in ("answered", "machine")  # as the report counts
        self.stats.leads += lead_id is not None
        self.stats.opt_outs += report.opt_out
        self.stats.latencies_s.extend(report.extra.get("latencies_s", []))
        self.stats.first_word_s.extend(report.extra.get("first_word_s", []))
        self.stats.synthesised_in_call += len(report.extra.get("synthesised_in_call", []))
        self.stats.prompts_ahead = self.prep.rendered
        self._progress()

    async def _renew_live(self) -> None:
        """Calls in progress keep their lease (renewed every third of it): a call longer than
        the lease is never expired, and its contact claimed, by another claim meanwhile."""
        every = self.opts.lease.total_seconds() / 3
        while True:
            await anyio.sleep(every)
            ids = sorted(self._live)
            if not ids:
                continue
            until = datetime.now(UTC) + self.opts.lease
            try:
                await self._db(dialing.renew, self.engine, ids, until)
            except Exception as exc:  # the next round tries again; a late report is kept anyway
                log.warning("could not renew the leases of %d calls: %s", len(ids), describe(exc))

    async def _watch_status(self) -> None:
        """`campaign pause` from another terminal stops dialling here within a second."""
        ticks = 0
        while not self._stopping:
            await anyio.sleep(1.0)
            ticks += 1
            try:
                campaign = await self._db(get_campaign_session, self.engine, self.campaign_id)
                if campaign.status != "active":
                    self.stop("paused")
                if ticks % 3 == 1:  # the live display's "X of N today", rate and ETA
                    self.stats.progress = await self._db(
                        campaign_progress, self.engine, self.campaign_id, datetime.now(UTC)
                    )
                    self._progress()
            except (sqlalchemy.exc.OperationalError, sqlalchemy.exc.InterfaceError) as exc:
                log.warning("could not read the campaign's status (%s); next second", describe(exc))

    async def _watch_signals(self, scope: anyio.CancelScope) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for _ in signals:
                if self._stopping:
                    scope.cancel()  # a second Ctrl-C: stop now; calls still get an outcome
                    return
                self.stop("interrupted")


def get_campaign_session(engine: Engine, campaign_id: int) -> Campaign:
    with session(engine) as s:
        return get_campaign(s, campaign_id)
