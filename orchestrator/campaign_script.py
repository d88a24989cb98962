"""A campaign's script as the campaign stored it (campaigns/script_store.py): read and checked
from a file at `campaign create`/`update-script`, loaded from the stored copy at `run`."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from sqlmodel import Session

from campaigns.models import Campaign
from campaigns.policy import SCRIPT_OUTCOMES
from campaigns.script_store import script_versions, short_version, version_of
from dialogs import DialogError, ScriptError, load_script
from dialogs.checker import check_text
from dialogs.script import Script, resolve_ref


@dataclass(frozen=True)
class ScriptSource:
    path: str  # absolute
    text: str
    script: Script

    @property
    def version(self) -> str:
        return version_of(self.text)


def script_from_text(text: str, source: str) -> Script:
    """A stored script text, checked like a file (`source` names it in errors and is the folder
    its recordings are found in)."""
    report, model = check_text(text, source, SCRIPT_OUTCOMES)
    if model is None or not report.ok:
        first = report.errors[0]
        raise ScriptError(first.message, file=first.file, line=first.line, state=first.state)
    return Script(model, source)


def read_script(ref: str) -> ScriptSource:
    """A script file (or bundled name) read once and checked: its absolute path and text."""
    path = resolve_ref(ref).resolve()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ScriptError(f"cannot read the script: {exc}", file=str(path)) from exc
    return ScriptSource(str(path), text, script_from_text(text, str(path)))


def campaign_script(c: Campaign) -> Script:
    """The script the campaign runs: its stored copy; a campaign from before copies were kept
    whose file could not be found at the upgrade still reads its file."""
    if c.script_text is not None:
        return script_from_text(c.script_text, c.script_path or c.script_ref)
    return load_script(c.script_path or c.script_ref, SCRIPT_OUTCOMES)


def drift_warning(c: Campaign) -> str | None:
    """One line when the file on disk is no longer the campaign's copy (None when it is)."""
    if c.script_text is None or not c.script_path:
        return None
    try:
        text = Path(c.script_path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return (f"script file {c.script_path} cannot be read; campaign {c.name} keeps running "
                f"its copy ({short_version(c.script_version)})")  # fmt: skip
    if version_of(text) == c.script_version:
        return None
    return (f"script file changed since the campaign took its copy "
            f"({short_version(c.script_version)} → {short_version(version_of(text))}): run "
            f"`outreach campaign update-script {c.name}` to use it")  # fmt: skip


@lru_cache(maxsize=64)
def _intents_of_text(text: str, source: str) -> frozenset[str]:
    try:
        return frozenset(script_from_text(text, source).intents)
    except DialogError:
        return frozenset()  # a version the checks of today refuse adds none


def campaign_intents(session: Session, campaigns: Iterable[Campaign]) -> set[str]:
    """The intents the campaigns' calls could hear: those of every script version each campaign
    stored (its calls ran one of them), never of the file on disk, which may have changed or
    gone. A campaign from before copies were kept reads its file. What `calls list --intent`
    and the console's intent filter accept."""
    out: set[str] = set()
    for c in campaigns:
        assert c.id is not None
        texts = {v.text: v.source_path or c.script_ref for v in script_versions(session, c.id)}
        if c.script_text is not None:
            texts.setdefault(c.script_text, c.script_path or c.script_ref)
        if not texts:
            with contextlib.suppress(DialogError, OSError):
                out |= set(load_script(c.script_path or c.script_ref, SCRIPT_OUTCOMES).intents)
        for text, source in texts.items():
            out |= _intents_of_text(text, source)
    return out
