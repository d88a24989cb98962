"""Recognition cost on this machine: real-time factor per stream and concurrent real-time calls.

A realistic call is built from espeak-ng Korean answers: the caller speaks about a third of the
time. Each configuration (free vocabulary or grammar, with or without VAD gating) is measured:
  * rtf: decoding wall time / audio time for one stream alone;
  * capacity: many streams decoded at once as fast as possible; audio seconds per wall second is
    how many calls could be kept up with in real time (the baseline is free vocabulary, no VAD);
  * paced: N calls fed in real time, 20 ms frames on a monotonic schedule; how late each frame's
    processing finished (lag) and how long after the caller stopped each turn ended.
Run: .venv/bin/python bench/bench_asr.py [--calls 40] [--seconds 20] [--paced-only]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

import anyio

from asr_models import TurnListener, Utterance, VoskEngine, resolve
from asr_models.capacity import decode_call, realtime_streams
from dialogs.tts import PromptCache, Pyttsx3Engine
from orchestrator.capacity import ANSWERS
from orchestrator.capacity import build_call as build_call_audio

FRAME = 320


async def build_call(seconds: float) -> bytes:
    cache = PromptCache(Path(tempfile.mkdtemp(prefix="bench-asr-")), Pyttsx3Engine())
    return await build_call_audio(cache, seconds)


async def decode(engine: VoskEngine, audio: bytes, grammar: bool, vad: bool) -> float:
    """One stream, as fast as possible; returns wall seconds."""
    return await decode_call(engine, audio, ANSWERS if grammar else None, vad)


async def capacity(engine: VoskEngine, audio: bytes, grammar: bool, vad: bool,
                   streams: int) -> float:
    return await realtime_streams(engine, audio, ANSWERS if grammar else None, vad, streams)


async def paced_call(engine: VoskEngine, audio: bytes, offset_s: float,
                     lags: list[float], delays: list[float]) -> None:
    listener = TurnListener(engine.open_stream(8000))
    listener.expect(ANSWERS)
    start = len(audio) - int(offset_s * 8000) * 2 % len(audio)
    audio = audio[start:] + audio[:start]  # calls are not in step with each other
    t0 = time.monotonic()
    for k, i in enumerate(range(0, len(audio), FRAME)):
        due = t0 + k * 0.02
        await anyio.sleep(max(0.0, due - time.monotonic()))
        for event in await listener.feed(audio[i:i + FRAME]):
            if isinstance(event, Utterance):
                # Audio time the end took plus how late we were processing at that moment.
                delays.append(event.decided_at - event.speech_end + time.monotonic() - due)
        lags.append(time.monotonic() - due)


async def paced(engine: VoskEngine, audio: bytes, calls: int) -> dict[str, float]:
    lags: list[float] = []
    delays: list[float] = []
    cpu, wall = time.process_time(), time.perf_counter()
    async with anyio.create_task_group() as tg:
        for c in range(calls):
            tg.start_soon(paced_call, engine, audio, c * 0.37, lags, delays)
    # CPU this process needed per wall second: how much of the machine these calls take,
    # whatever else was running (the machine is shared, so lags also show others' load).
    cores_used = (time.process_time() - cpu) / (time.perf_counter() - wall)
    q = statistics.quantiles(lags, n=100)
    return {"cores_used": cores_used,
            "calls_per_core": calls / max(cores_used, 1e-9),
            "lag_p50_ms": q[49] * 1000, "lag_p99_ms": q[98] * 1000, "lag_max_ms": max(lags) * 1000,
            "end_of_turn_p50_ms": statistics.median(delays) * 1000,
            "end_of_turn_p95_ms": statistics.quantiles(delays, n=20)[18] * 1000}


async def main(calls: int, seconds: float, paced_only: bool) -> None:
    cores = os.cpu_count() or 1
    engine = await VoskEngine.load(resolve("ko", Path(tempfile.mkdtemp())))
    audio = await build_call(seconds)
    load = os.getloadavg()[0]
    print(f"machine: {cores} cores, load average {load:.2f}; call audio {seconds:.0f} s, "
          "caller speaking about 1/3")
    if not paced_only:
        print(f"{'mode':<26}{'rtf (1 stream)':>16}{'real-time streams':>20}")
    for grammar in () if paced_only else (False, True):
        for vad in (False, True):
            rtf = await decode(engine, audio, grammar, vad) / seconds
            cap = await capacity(engine, audio, grammar, vad, streams=2 * cores if not grammar
                                 else 8 * cores)
            name = ("grammar" if grammar else "free vocabulary") + (" + VAD" if vad else "")
            tag = "  (baseline)" if not grammar and not vad else ""
            print(f"{name:<26}{rtf:>16.3f}{cap:>20.1f}{tag}")
    print(f"\npaced: {calls} calls in real time, grammar + VAD, {seconds:.0f} s each")
    for key, value in (await paced(engine, audio, calls)).items():
        print(f"  {key:<22}{value:8.2f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--paced-only", action="store_true")
    args = parser.parse_args()
    anyio.run(main, args.calls, args.seconds, args.paced_only)
