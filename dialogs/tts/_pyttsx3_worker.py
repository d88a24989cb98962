"""Child process that renders prompts with pyttsx3 (libespeak-ng), run by `Pyttsx3Engine`.

It runs as a plain script, apart from the parent, because the pyttsx3 engine is a per-process
singleton that deadlocks under concurrent use from threads and prints to stdout. Input on
stdin: {"jobs": [{"text", "voice", "rate", "pitch", "out"}]}; each job becomes a WAV at "out".
Errors: one line of JSON on stderr and exit status 3 (bad request) or 4 (synthesis failed).
"""

import json
import sys


def _voice_id(engine: object, wanted: str) -> str | None:
    for voice in engine.getProperty("voices"):  # type: ignore[attr-defined]  # pyttsx3 is untyped
        if wanted in (voice.id, voice.name) or voice.id.endswith("/" + wanted):
            return str(voice.id)
    return None


def main() -> int:
    import pyttsx3

    jobs = json.load(sys.stdin)["jobs"]
    engine = pyttsx3.init()
    for job in jobs:
        voice = _voice_id(engine, job["voice"])
        if voice is None:
            json.dump({"error": f"espeak-ng has no voice {job['voice']!r}"}, sys.stderr)
            return 3
        engine.setProperty("voice", voice)
        engine.setProperty("rate", int(job["rate"]))
        engine.setProperty("pitch", int(job["pitch"]))
        if not _render(engine, job["text"], job["out"]):
            json.dump({"error": f"espeak-ng wrote no audio for {job['text']!r}"}, sys.stderr)
            return 4
    return 0


def _render(engine: object, text: str, out: str) -> bool:
    """One file, waited for. pyttsx3's espeak driver runs espeak-ng in RETRIEVAL mode, which
    synthesises on espeak's own thread: runAndWait() can return (and the process exit) before
    the callback has written the WAV. espeak_Synchronize() waits for that thread."""
    from pathlib import Path

    from pyttsx3.drivers import _espeak

    for _ in range(3):
        engine.save_to_file(text, out)  # type: ignore[attr-defined]
        engine.runAndWait()  # type: ignore[attr-defined]  # queued files are lost otherwise
        _espeak.Synchronize()
        if _written(Path(out)):
            return True
    return False


def _written(path: object, wait_s: float = 5.0) -> bool:
    """The WAV is whole: its header (written first, with the data size) matches the file.
    Synchronize() has been seen to return while espeak's thread was still writing, and exiting
    then cut the prompt short (a 0.83 s word came out 0.57 s)."""
    import time
    import wave
    from pathlib import Path

    file = Path(str(path))
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        try:
            with wave.open(str(file)) as f:
                expected = f.getnframes() * f.getsampwidth() * f.getnchannels()
            if expected > 0 and file.stat().st_size >= 44 + expected:
                return True
        except (OSError, EOFError, wave.Error):
            pass  # not there yet, or the header is still being written
        time.sleep(0.02)
    return False


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # report any driver failure as one line the parent can show
        json.dump({"error": f"{type(exc).__name__}: {exc}"}, sys.stderr)
        sys.exit(4)
