"""Mandarin calls end to end on simulated customers: every persona ends as it implies, through
the real recogniser (Whisper base, per utterance, behind the Silero gate) and the real
synthesiser (the script's Kokoro voice, for the robot and the customers alike).

The Mandarin personas say everyday answers (对，我就是本人 / 不用了，谢谢 / 我现在在开会，晚点再打吧
/ 以后别再给我打电话了 ...), not the script's canonical phrases; the text-only test checks that the
script takes each persona's answers as meant before the spoken one checks what is heard.
"""

from __future__ import annotations

from pathlib import Path

from dialogs import DialogEngine, load_script
from orchestrator.cli_script import simulate
from telephony.sim import load_personas
from tests.orchestrator.helpers import EXPECTED, check_outcomes, cli
from tests.whisper_model import whisper_models_dir

SCRIPT = "cmn-dormant-deposit"
# persona -> what the dialog outcome must be (the rest of EXPECTED applies unchanged)
TALKERS = {name: dialog for name, (_a, dialog, _s, _l) in EXPECTED.items() if dialog}


def test_every_mandarin_persona_says_what_the_script_takes_as_meant() -> None:
    script = load_script(SCRIPT)
    personas = load_personas()
    for name, dialog in TALKERS.items():
        if name == "silent":
            continue
        engine = DialogEngine(script, {"name": "王伟"})
        result = simulate(engine, list(personas[name].replies_in("cmn")))
        assert result["outcome"] == dialog, (name, result["turns"])


def _mandarin_list(path: Path) -> tuple[Path, dict[str, str]]:
    lines, phones = ["姓名,手机,persona"], {}
    for i, persona in enumerate(EXPECTED):
        phones[persona] = f"+86139{5555000 + i:08d}"
        lines.append(f"客户{i},{phones[persona]},{persona}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path, phones


def test_every_mandarin_persona_ends_as_it_should_on_sim(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "models").mkdir(parents=True)
    (home / "models" / "whisper-base").symlink_to(whisper_models_dir() / "whisper-base")
    (home / "prompts").symlink_to(whisper_models_dir() / "prompts", target_is_directory=True)
    cli(home, "campaign", "create", "zh", "--script", SCRIPT, "--region", "CN", "--window",
        "00:00-24:00", "--allow-night", "--days", "mon-sun", "--max-channels", "3", "--cps",
        "5")  # fmt: skip
    listing, phones = _mandarin_list(tmp_path / "list.csv")
    imported = cli(home, "contacts", "import", "zh", str(listing), "--json")
    assert imported["imported"] == len(EXPECTED)
    summary = cli(home, "run", "zh", "--telephony", "sim", "--until-done", "--speed", "1",
                  "--json")  # fmt: skip
    assert summary["dialled"] == summary["finished"] == len(EXPECTED)
    report = check_outcomes(home, "zh", phones)
    assert report["leads_by_tier"] == {"hot": 3}
    assert cli(home, "dnc", "check", phones["opt_out"], "--json")["blocked"] is True
    assert cli(home, "dnc", "check", phones["interested"], "--json")["blocked"] is False
    calls = {c["phone"]: c for c in cli(home, "calls", "list", "--json")}
    later = cli(home, "calls", "show", calls[phones["busy_call_me_later"]]["id"], "--json")
    heard = [t for t in later["turns"] if t["speaker"] == "customer"]
    assert heard and "开会" in heard[0]["text"]  # Whisper's text, in Simplified characters
