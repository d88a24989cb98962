"""Dialog scripts, the pure dialog engine, intents and lead scoring, and prompt synthesis.

Usage (the call session):
    script = load_script("ko-dormant-deposit")          # or a path to a YAML file
    engine = DialogEngine(script, {"name": "김민수"})
    commands = engine.start(t=0.0)                      # Say..., Listen(phrases, timeout_s)
    commands = engine.handle(Utterance("네", 0.93, t=4.2))
    ... until engine.finished; then engine.outcome and engine.score()
"""

from dialogs.checker import CheckReport, Issue, check_script, check_text, load_script
from dialogs.engine import DialogEngine
from dialogs.errors import DialogError, ScriptError, VariableError
from dialogs.intents import NO_MATCH, Classification, IntentClassifier
from dialogs.lang import warm_up
from dialogs.messages import (
    Command,
    Dtmf,
    EndCall,
    Event,
    HangUp,
    IntentRecognised,
    Interrupted,
    Listen,
    OptOut,
    Say,
    ScheduleCallback,
    Silence,
    Transfer,
    Utterance,
)
from dialogs.schema import HUNG_UP, TIERS
from dialogs.scoring import LeadScore, ScoreItem
from dialogs.script import Prompt, Script, bundled_scripts

__all__ = [
    "HUNG_UP",
    "NO_MATCH",
    "TIERS",
    "CheckReport",
    "Classification",
    "Command",
    "DialogEngine",
    "DialogError",
    "Dtmf",
    "EndCall",
    "Event",
    "HangUp",
    "IntentClassifier",
    "IntentRecognised",
    "Interrupted",
    "Issue",
    "LeadScore",
    "Listen",
    "OptOut",
    "Prompt",
    "Say",
    "ScheduleCallback",
    "ScoreItem",
    "Script",
    "ScriptError",
    "Silence",
    "Transfer",
    "Utterance",
    "VariableError",
    "bundled_scripts",
    "check_script",
    "check_text",
    "load_script",
    "warm_up",
]
