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
        engine.save_to_file(job["text"], job["out"])
        engine.runAndWait()  # queued files are lost unless each is run before the next
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception as exc:  # report any driver failure as one line the parent can show
        json.dump({"error": f"{type(exc).__name__}: {exc}"}, sys.stderr)
        sys.exit(4)
