"""Lead scoring: points from the customer's answers and call signals, a 0-100 score, a tier.

Every point has a reason in the breakdown, so an agent (or a QA reviewer) can see why a lead is hot.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dialogs.schema import Scoring


@dataclass(frozen=True)
class ScoreItem:
    points: int
    reason: str


@dataclass(frozen=True)
class LeadScore:
    """The score (0-100), its tier (hot/warm/cold/do-not-call), the team's grade, and why."""

    score: int
    tier: str
    grade: str | None
    breakdown: list[ScoreItem]

    def as_json(self) -> dict[str, object]:
        return {
            "score": self.score,
            "tier": self.tier,
            "grade": self.grade,
            "breakdown": [{"points": i.points, "reason": i.reason} for i in self.breakdown],
        }


@dataclass
class ScoreKeeper:
    """Collects score items during a call; answers `score()` at any moment."""

    rules: Scoring
    items: list[ScoreItem] = field(default_factory=list)
    _once: set[str] = field(default_factory=set)

    def add(self, points: int, reason: str, once_key: str | None = None) -> None:
        """Add points; with `once_key`, only the first time (a loop must not inflate a lead)."""
        if points == 0:
            return
        if once_key is not None:
            if once_key in self._once:
                return
            self._once.add(once_key)
        self.items.append(ScoreItem(points, reason))

    def signal(self, name: str, detail: str) -> None:
        points = {str(k): v for k, v in self.rules.signals.items()}.get(name, 0)
        self.add(points, f"{name}: {detail}")

    def score(self, outcome: str | None) -> LeadScore:
        items = list(self.items)
        if self.rules.base:
            items.insert(0, ScoreItem(self.rules.base, "base score"))
        if outcome is not None:
            points = {str(k): v for k, v in self.rules.outcomes.items()}.get(outcome, 0)
            if points:
                items.append(ScoreItem(points, f"call outcome: {outcome}"))
        if outcome == "opt_out":
            return LeadScore(0, "do-not-call", self._grade("do-not-call"),
                             [*items, ScoreItem(0, "asked not to be called again: do not call")])
        total = max(0, min(100, sum(i.points for i in items)))
        tiers = self.rules.tiers
        tier = "hot" if total >= tiers.hot else "warm" if total >= tiers.warm else "cold"
        return LeadScore(total, tier, self._grade(tier), items)

    def _grade(self, tier: str) -> str | None:
        return {str(k): v for k, v in self.rules.grades.items()}.get(tier)
