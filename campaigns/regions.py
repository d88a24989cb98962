"""Regional presets for `campaign create --region CN|KR|US`: the calling hours, days and caps
the rules of each market imply (sources and reasoning in docs/operations.md).

A preset only fills what the manager did not give: an explicit --window, --days or cap wins.
"""

from __future__ import annotations

from dataclasses import dataclass

from campaigns.policy import NumberCaps


@dataclass(frozen=True)
class RegionPreset:
    region: str
    window: str
    days: str
    max_per_day: int  # attempts per contact per local day, within one campaign
    caps: NumberCaps  # calls per number across all campaigns
    rule: str  # the rule in one line, shown by `campaign create`


PRESETS: dict[str, RegionPreset] = {
    # MIIT et al. 综合整治骚扰电话专项行动方案 (2018): consent, a refusal stops calls, regulated
    # calling periods; financial/insurance phone sales: no calls 21:00-09:00; platforms cap a
    # callee at 1 a minute / 5 a day (阿里云: at most 5 attempts a day).
    "CN": RegionPreset("CN", "09:00-20:00", "mon-sat", 3, NumberCaps(1, 3, 5),
                       "China: no marketing calls 21:00-09:00; at most 5 calls a day to a number"),
    # 정보통신망법 제50조 ③: advertising between 21:00 and 08:00 needs separate prior consent.
    "KR": RegionPreset("KR", "09:00-20:00", "mon-sat", 3, NumberCaps(1, 2, 3),
                       "Korea: no advertising calls 21:00-08:00 without separate consent"),
    # TCPA 47 CFR 64.1200(c)(1) / TSR 16 CFR 310.4(c): 08:00-21:00 callee's local time; the
    # strictest state rule widely in force (Florida FTSA, Fla. Stat. 501.059(8)): 08:00-20:00,
    # at most 3 calls a day to one person on one subject.
    "US": RegionPreset("US", "08:00-20:00", "mon-sat", 3, NumberCaps(1, 2, 3),
                       "US: 08:00-21:00 local (TCPA), 08:00-20:00 and 3 calls a day (Florida)"),
}  # fmt: skip


def preset_for(region: str) -> RegionPreset | None:
    return PRESETS.get(region.upper())
