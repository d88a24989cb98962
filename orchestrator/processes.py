"""`outreach run --processes N`: one worker spread over N processes, each with its own event loop,
recogniser and AudioSocket listener, so that recognition, media pacing and the dialog are not
bound to one core.

The processes coordinate only through the database (claims with leases, as several workers on
several machines do). Process `i` has the worker id `ID-pI` and a share of the worker's capacity
and of the campaign's channels (shares add up to the whole); with a fixed AudioSocket port it
listens on `port + i`. The parent shows one progress display and prints one summary: each child
sends its RunStats over a pipe (a few times a second and at the end) and the parent adds them up.
Children run in their own process group: Ctrl-C reaches the parent, which passes each signal on
(the first stops dialling, a second cuts the calls, as with one process); a child whose parent
died stops dialling by itself. On the sandbox Asterisk the parent serves the simulated
customers, one customer-side server for all children (its address is a global of the dialplan).
"""

from __future__ import annotations

import copy
import dataclasses
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Callable
from contextlib import AsyncExitStack
from multiprocessing.context import SpawnProcess
from typing import Any

import anyio

from campaigns.db import open_database, session
from campaigns.repo import get_campaign_by_name
from orchestrator.dialer import RunStats
from orchestrator.health import HealthReport
from orchestrator.pacing import share
from orchestrator.settings import Settings

PROGRESS_EVERY_S = 0.25


def child_settings(settings: Settings, wid: str, index: int, n: int, capacity: int) -> Settings:
    port = settings.audiosocket_port + index if settings.audiosocket_port else 0
    address = settings.audiosocket_address
    if address and settings.audiosocket_port:
        host, _, _ = address.rpartition(":")
        address = f"{host}:{port}"
    return settings.model_copy(update={
        "worker_id": f"{wid}-p{index}", "capacity": share(capacity, index, n),
        "audiosocket_port": port, "audiosocket_address": address,
        # The parent serves the sandbox's simulated customers for every child.
        "asterisk_simulated_customers": False,
    })  # fmt: skip


def _child(values: dict[str, Any], campaign: str, telephony: str, until_done: bool,
           speed: float, index: int, n: int, out: Any) -> None:  # fmt: skip
    """A child process: one worker's share, reporting its RunStats to the parent."""
    from orchestrator.running import RunRequest, run_campaign

    # The parent's settings as they were resolved (file, environment, options), not re-read.
    settings = Settings.model_construct(**values)
    os.setpgrp()  # Ctrl-C goes to the parent, which passes it on once
    parent = os.getppid()
    engine = open_database(settings.db_url)
    last = [0.0]

    def progress(stats: RunStats) -> None:
        now = anyio.current_time()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            out.put(("progress", index, copy.deepcopy(stats)))  # pickled later, in a thread

    def orphaned() -> None:  # the parent died (SIGKILL): stop dialling as Ctrl-C would
        while os.getppid() == parent:
            threading.Event().wait(1.0)
        os.kill(os.getpid(), signal.SIGINT)

    threading.Thread(target=orphaned, daemon=True).start()
    request = RunRequest(settings, engine, campaign, telephony, until_done, speed, progress,
                         share=(index, n))  # fmt: skip
    try:
        stats = anyio.run(run_campaign, request)
    except BaseException as exc:
        out.put(("failed", index, f"{type(exc).__name__}: {exc}"))
        raise
    finally:
        engine.dispose()
    out.put(("done", index, stats))


def merge(parts: list[RunStats], peak: int) -> RunStats:
    """One run's figures from its processes' (counts add up; the peak is what the parent saw)."""
    total = RunStats(campaign=parts[0].campaign if parts else "")
    health = HealthReport()
    for s in parts:
        for f in ("dialled", "finished", "in_flight", "answered", "leads", "opt_outs",
                  "recovered", "prompts_ahead", "synthesised_in_call", "limit"):  # fmt: skip
            setattr(total, f, getattr(total, f) + getattr(s, f))
        total.outcomes.update(s.outcomes)
        total.not_dialled.update(s.not_dialled)
        total.latencies_s += s.latencies_s
        total.first_word_s += s.first_word_s
        total.elapsed_s = max(total.elapsed_s, s.elapsed_s)
        total.progress = s.progress or total.progress
        total.holding = total.holding or s.holding
        h = s.health
        health.held_back_s = max(health.held_back_s, h.held_back_s)
        health.holds += h.holds
        health.reasons.update(h.reasons)
        health.degraded_calls += h.degraded_calls
        health.max_loop_lag_ms = max(health.max_loop_lag_ms, h.max_loop_lag_ms)
        health.max_hearing_lag_ms = max(health.max_hearing_lag_ms, h.max_hearing_lag_ms)
    total.health = health
    total.processes = max(1, len(parts))
    total.peak_in_flight = max(peak, max((s.peak_in_flight for s in parts), default=0))
    stops = {s.stopped_by for s in parts}
    total.stopped_by = "done" if stops <= {"done"} else sorted(stops - {"done"})[0]
    return total


@dataclasses.dataclass
class _Board:
    """The children's latest figures, as the parent knows them."""

    latest: dict[int, RunStats]
    finals: dict[int, RunStats]
    failures: dict[int, str]
    peak: int = 0

    def take(self, kind: str, index: int, payload: Any) -> None:
        if kind == "failed":
            self.failures[index] = str(payload)
            return
        self.latest[index] = payload
        if kind == "done":
            self.finals[index] = payload
        self.peak = max(self.peak, sum(s.in_flight for s in self.latest.values()))

    def stats(self) -> RunStats:
        return merge([self.latest[i] for i in sorted(self.latest)], self.peak)


async def run_processes(
    settings: Settings, campaign: str, telephony: str, until_done: bool, speed: float, n: int,
    capacity: int, on_progress: Callable[[RunStats], None] | None = None,
) -> RunStats:  # fmt: skip
    from orchestrator.runtime import worker_id, worker_lock

    ctx = multiprocessing.get_context("spawn")  # no fork of a process with threads and a loop
    out = ctx.Queue()
    wid = worker_id(settings)
    procs: list[SpawnProcess] = [
        ctx.Process(target=_child, name=f"outreach-{wid}-p{i}", args=(
            child_settings(settings, wid, i, n, capacity).model_dump(), campaign, telephony,
            until_done,
            speed, i, n, out))
        for i in range(n)
    ]  # fmt: skip
    board = _Board({}, {}, {})
    with worker_lock(settings, wid):
        async with AsyncExitStack() as stack, anyio.create_task_group() as tg:
            if telephony == "asterisk" and settings.asterisk_simulated_customers:
                await stack.enter_async_context(sandbox_customers(settings, campaign))
            for p in procs:
                p.start()
            tg.start_soon(_forward_signals, procs)
            while any(p.is_alive() for p in procs) or not out.empty():
                try:
                    kind, index, payload = await anyio.to_thread.run_sync(out.get, True, 0.25)
                except queue.Empty:
                    continue
                board.take(kind, index, payload)
                if on_progress is not None:
                    on_progress(board.stats())
            tg.cancel_scope.cancel()
    for p in procs:
        p.join()
    missing = [i for i in range(n) if i not in board.finals]
    if missing:
        why = "; ".join(f"process {i}: {board.failures.get(i, f'exit code {procs[i].exitcode}')}"
                        for i in missing)  # fmt: skip
        from orchestrator.cli_common import UserError

        raise UserError(f"worker processes failed ({why}); what they finished is stored, "
                        "see OUTREACH_HOME/logs/outreach.log")  # fmt: skip
    return merge([board.finals[i] for i in range(n)], board.peak)


async def _forward_signals(procs: list[SpawnProcess]) -> None:
    with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            for p in procs:
                if p.pid is not None and p.is_alive():
                    os.kill(p.pid, signal.SIGINT if signum == signal.SIGINT else signum)


def sandbox_customers(settings: Settings, campaign: str) -> Any:
    """The sandbox's simulated customers for every process of this worker, served here."""
    from contextlib import asynccontextmanager

    from orchestrator.campaign_script import campaign_script
    from orchestrator.cli_telephony import asterisk_config
    from orchestrator.runtime import (
        persona_picker,
        prerender_customers,
        prompt_cache,
        question_book,
        speaker,
    )
    from telephony.asterisk import AsteriskBackend, SimulatedCustomers

    @asynccontextmanager
    async def serve() -> Any:
        engine = open_database(settings.db_url)
        try:
            with session(engine) as s:
                found = get_campaign_by_name(s, campaign)
            assert found.id is not None
            voices = _Voices(campaign_script(found), prompt_cache(settings))
            await prerender_customers(voices)
            pick = persona_picker(engine, found.id)
            questions = await question_book(voices)
            customers = SimulatedCustomers(pick, voices.script.language, speaker(voices),
                                           hello=True, questions=questions)  # fmt: skip
            backend = AsteriskBackend(asterisk_config(settings, audiosocket_port=0), customers)
            async with backend.running():
                yield customers
        finally:
            engine.dispose()

    return serve()


@dataclasses.dataclass
class _Voices:
    script: Any
    prompts: Any
