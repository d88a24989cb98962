"""How many calls this machine can recognise at once: measured, saved, and read by the dialer.

The measure decodes many copies of a realistic call (the caller speaking about a third of the
time) at once, in grammar mode behind the voice gate, as fast as possible; audio seconds decoded
per wall second is the number of calls kept up with in real time. The dialer takes a safety share
of it (SAFETY), so that a worker never takes more calls than it can hear.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import anyio

from asr_models.listener import TurnListener
from asr_models.vosk_engine import VoskEngine

FRAME = 320
FILE = "asr-capacity.json"
SAFETY = 0.8  # the dialer plans on 80 % of the measured limit


async def decode_call(
    engine: VoskEngine, audio: bytes, phrases: Sequence[str] | None, vad: bool = True
) -> float:
    """Decode one call's audio as fast as possible; returns wall seconds."""
    began = time.perf_counter()
    if vad:
        listener = TurnListener(engine.open_stream(8000))
        listener.expect(phrases)
        for i in range(0, len(audio), FRAME):
            await listener.feed(audio[i : i + FRAME])
        await listener.close()
    else:
        stream = engine.open_stream(8000, phrases)
        for i in range(0, len(audio), FRAME * 5):  # 100 ms chunks, as the listener decodes
            await stream.push(audio[i : i + FRAME * 5])
        await stream.finish()
    return time.perf_counter() - began


async def realtime_streams(
    engine: VoskEngine, audio: bytes, phrases: Sequence[str] | None, vad: bool, streams: int
) -> float:
    """Audio seconds decoded per wall second with `streams` calls at once."""
    began = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(streams):
            tg.start_soon(decode_call, engine, audio, phrases, vad)
    wall = time.perf_counter() - began
    return streams * len(audio) / 16000 / wall


def save_capacity(home: Path, streams: float, details: dict[str, Any]) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / FILE
    record = {
        "realtime_streams": round(streams, 1),
        "max_calls": max(1, int(streams * SAFETY)),
        "safety": SAFETY,
        "cores": os.cpu_count(),
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        **details,
    }
    path.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return path


def load_capacity(home: Path) -> int | None:
    """The concurrent calls the dialer may take here, or None when never measured."""
    try:
        data = json.loads((home / FILE).read_text(encoding="utf-8"))
        return int(data["max_calls"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
