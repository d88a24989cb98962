"""The speech-synthesis side of `models list|add|verify`: Kokoro models (dialogs/tts/kokoro_store).

    outreach models add kokoro     # join the packaged parts into OUTREACH_HOME/voices, check
    outreach models verify kokoro  # sha256 again, a test phrase synthesised in a child
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape

from dialogs.tts.kokoro_store import (
    NAMES,
    install_kokoro,
    installed_models,
    kokoro_models,
    verify_kokoro,
)
from orchestrator.cli_common import console, print_json, print_table


def is_voice_model(name: str, home: Path) -> bool:
    """`name` is a Kokoro model (the packaged name, its alias, or an installed one)."""
    return name in NAMES or any(m.name == name for m in installed_models(home))


def voice_rows(home: Path) -> list[dict[str, object]]:
    return [m.as_dict() for m in kokoro_models(home)]


def print_voice_table(home: Path) -> None:
    rows = voice_rows(home)
    if rows:
        print_table(f"Speech synthesis models ({len(rows)})",
                    ["name", "engine", "language", "source", "path"],
                    [(r["name"], r["engine"], r["language"], r["source"], r["path"])
                     for r in rows])  # fmt: skip


def add_voice(home: Path, if_missing: bool) -> None:
    if if_missing and installed_models(home):
        console.print("Kokoro is already installed")
        return
    with console.status("joining the Kokoro model parts, checking the sha256, loading it"):
        model = install_kokoro(home)
    console.print(f"added model {model.name} (cmn, kokoro) at {escape(str(model.path))}; "
                  "sha256 checked, speaks")


def verify_voice(home: Path, name: str, as_json: bool) -> None:
    wanted = "kokoro-82m-int8" if name == "kokoro" else name
    models = {m.name: m for m in kokoro_models(home)}
    model = models[wanted] if wanted in models else next(iter(models.values()))
    with console.status(f"checking {model.name} and synthesising a test phrase"):
        result = verify_kokoro(model)
    if as_json:
        print_json(result)
    else:
        console.print(f"sha256 ok, said {result['said']!r} ({result['seconds']} s of audio) "
                      f"with {model.name} ({model.source}): [green]ok[/]")
