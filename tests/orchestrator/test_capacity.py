"""The dialer never plans more calls than this machine's measured recognition capacity."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from orchestrator.cli import app
from orchestrator.pacing import PacerConfig
from orchestrator.runtime import capacity
from orchestrator.settings import load_settings


def test_measured_capacity_caps_the_dialer(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["--home", str(tmp_path), "asr", "capacity", "--seconds", "3", "--streams", "4",
              "--json"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    measured = json.loads(result.output)
    assert measured["realtime_streams"] > 0
    assert measured["max_calls"] == max(1, int(measured["realtime_streams"] * 0.8))
    saved = json.loads((tmp_path / "asr-capacity.json").read_text())
    assert saved["max_calls"] == measured["max_calls"]
    limit = capacity(load_settings(home=tmp_path))
    assert limit == measured["max_calls"]
    assert PacerConfig(max_channels=10_000, cps=5, capacity=limit).limit == limit
