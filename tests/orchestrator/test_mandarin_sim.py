"""Mandarin personas: the script takes every persona's everyday answers as meant.

The Mandarin personas say everyday answers (对，我就是本人 / 不用了，谢谢 / 我现在在开会，晚点再打吧
/ 以后别再给我打电话了 ...), not the script's canonical phrases; this text-only test checks that the
script takes each persona's answers as meant.
"""

from __future__ import annotations

from dialogs import DialogEngine, load_script
from orchestrator.cli_script import simulate
from telephony.sim import load_personas
from tests.orchestrator.helpers import EXPECTED

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
