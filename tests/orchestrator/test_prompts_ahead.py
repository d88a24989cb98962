"""Templated prompts are synthesised while the contact waits to be dialled: when the customer
answers, the greeting with their name is already in the prompt cache (real dialer, real
espeak-ng, the simulated PBX and customers)."""

from __future__ import annotations

from pathlib import Path

from dialogs import load_script
from dialogs.tts import PromptCache, Pyttsx3Engine
from tests.orchestrator.helpers import cli

PERSONAS = ["interested", "not_interested", "opt_out"]


def test_the_greeting_with_the_name_is_cached_before_the_call_connects(tmp_path: Path) -> None:
    home = tmp_path / "home"
    cli(home, "campaign", "create", "ahead", "--script", "ko-dormant-deposit", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "3",
        "--cps", "5")  # fmt: skip
    names = ["김하나", "이두리", "박세나"]
    rows = ["name,phone,persona"] + [f"{n},010-7777-{1000 + i},{p}"
                                     for i, (n, p) in enumerate(zip(names, PERSONAS, strict=True))]
    (tmp_path / "l.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    cli(home, "contacts", "import", "ahead", str(tmp_path / "l.csv"), "--json")
    summary = cli(home, "run", "ahead", "--telephony", "sim", "--until-done", "--speed", "2",
                  "--json")  # fmt: skip
    assert summary["dialled"] == summary["answered"] == 3
    # No answered customer waited for a prompt to be synthesised; each contact's greeting and
    # its reprompt (both with the name) were rendered while the contact was in the hopper.
    assert summary["prompts"]["synthesised_in_call"] == 0
    assert summary["prompts"]["rendered_ahead"] >= 2 * len(names)
    script = load_script("ko-dormant-deposit")
    cache = PromptCache(home / "prompts", Pyttsx3Engine())
    for name in names:
        greeting = script.voice.spec(script.render(script.start, {"name": name}))
        assert cache.is_cached(greeting), name
    calls = cli(home, "calls", "list", "--json")
    assert len(calls) == 3
