"""Which hearings a live call checks a second time before the dialog acts on them.

The grammar decoder (vosk with the state's phrases) cannot say "none of these": a clear hearing
of an expected phrase may be speech the script never expected. Only a hearing the dialog would
turn into a costly outcome at once (an opt-out, a transfer, a lead: `DialogEngine.costly_if_heard`)
is checked, by a free-vocabulary decode of the same turn (`asr_models.cross_check`); it stands
when the free transcript has its words, else the dialog is told it is doubtful and confirms.
Doubtful hearings are confirmed already and everything else is cheap to get wrong, so the extra
decode runs on few turns (the cost is in docs/benchmarks.md, "Spoken screening and its cost").
"""

from __future__ import annotations

from asr_models.cross_check import cross_check
from asr_models.hearing import Hearing
from asr_models.recogniser import Recogniser
from dialogs import DialogEngine


def needs_check(heard: Hearing, engine: DialogEngine) -> bool:
    """A clear hearing that would take a costly outcome now, without a question."""
    return bool(heard.text) and not heard.doubtful and (
        engine.costly_if_heard(heard.text) is not None)


async def checked_hearing(checker: Recogniser | None, heard: Hearing,
                          engine: DialogEngine) -> Hearing:
    """`heard`, made doubtful when it needs a check and `checker`'s free decode disagrees."""
    if checker is None or not needs_check(heard, engine):
        return heard
    checked, _ = await cross_check(checker, heard)
    return checked
