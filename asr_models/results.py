"""What recognition produces: frozen values flowing from the recogniser to dialogs and reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class Word:
    """One recognised word; times are seconds from the start of the stream's audio."""

    word: str
    start: float
    end: float
    conf: float

    def as_dict(self) -> dict[str, Any]:
        return {"word": self.word, "start": self.start, "end": self.end, "conf": self.conf}


@dataclass(frozen=True, slots=True)
class Result:
    """A partial (still changing) or final hypothesis for the current utterance.

    `phrase` is set in grammar mode when the text is one of the expected phrases; it gives the
    phrase as the script wrote it even when the model only knew some of its words.
    """

    text: str
    final: bool
    words: tuple[Word, ...] = field(default=())
    phrase: str | None = None

    @property
    def confidence(self) -> float:
        """The mean word confidence (0.0 for an empty or partial result without word detail)."""
        if not self.words:
            return 0.0
        return sum(w.conf for w in self.words) / len(self.words)

    @property
    def start(self) -> float | None:
        return self.words[0].start if self.words else None

    @property
    def end(self) -> float | None:
        return self.words[-1].end if self.words else None
