"""How intelligible each Mandarin voice is: every prompt of the cmn-dormant-deposit script,
synthesised, passed through the simulated phone line (300-3400 Hz, G.711), recognised by the
Whisper engine; character error rate per engine (Kokoro, the default, beside espeak-ng pinyin).

Run: .venv/bin/python bench/bench_tts_cer.py [--engines kokoro,espeak] [--prompts N]
(installs whisper-base into a temporary home first; about a minute per ten Kokoro prompts.)
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import anyio

from asr_models import Pcm, load_recogniser, resolve, transcribe_pcm
from asr_models.phoneline import through_line
from asr_models.whisper_guard import edit_distance, normalise
from dialogs import load_script
from dialogs.tts import PromptCache, Voice, default_engines

VALUES = {"name": "王伟", "bank": "华信银行", "product": "定期存款", "rate": "年化3.2%"}


def install_whisper() -> Path:
    home = Path(tempfile.mkdtemp(prefix="bench-cer-"))
    exe = str(Path(sys.executable).parent / "outreach")
    subprocess.run([exe, "--home", str(home), "models", "add", "whisper-base"], check=True,
                   capture_output=True)
    return home


async def main(home: Path) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--engines", default="kokoro,espeak")
    parser.add_argument("--prompts", type=int, default=0, help="0: every prompt")
    args = parser.parse_args()
    asr = await load_recogniser(resolve("whisper-base", home / "models"))
    script = load_script("cmn-dormant-deposit")
    texts = list(dict.fromkeys(script.render(p.prompt_id, VALUES) for p in script.all_prompts()))
    texts = texts[: args.prompts] if args.prompts else texts
    cache = PromptCache(home / "prompts", default_engines(home))
    voices = {"kokoro": script.voice, "espeak": Voice("cmn", pronounce=script.voice.pronounce)}
    print(f"{len(texts)} prompts of cmn-dormant-deposit, Whisper base (zh) through the phone line")
    for name in args.engines.split(","):
        wrong = total = 0
        began = time.perf_counter()
        worst: list[tuple[float, str, str]] = []
        for text in texts:
            prompt = await cache.get(voices[name].spec(text))
            heard = (await transcribe_pcm(asr, through_line(Pcm(prompt.pcm, 8000)))).text
            want, got = normalise(text), normalise(heard)
            e = edit_distance(want, got)
            wrong, total = wrong + e, total + len(want)
            worst.append((e / max(1, len(want)), text, heard))
        worst.sort(reverse=True)
        print(f"{name:8} {voices[name]!s:16} CER {100 * wrong / total:5.1f} % "
              f"({wrong}/{total} characters), {time.perf_counter() - began:.0f} s")
        for rate, text, heard in worst[:3]:
            print(f"   {100 * rate:5.1f} %  said {text}\n            heard {heard}")


if __name__ == "__main__":
    anyio.run(main, install_whisper())
