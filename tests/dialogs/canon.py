"""The canonical customer answers (shared with the simulated customers and the speech tests)."""

from __future__ import annotations

CANON: dict[str, dict[str, str]] = {
    "ko-dormant-deposit": {
        "yes": "네", "no": "아니요", "interested": "좋아요", "not_interested": "싫어요",
        "later": "나중에", "who": "누구세요", "opt_out": "전화하지 마세요", "human": "상담원",
    },
    "cmn-dormant-deposit": {
        "yes": "好的", "no": "不是", "interested": "可以", "not_interested": "不需要",
        "later": "以后再说", "who": "你是谁", "opt_out": "别再打了", "human": "转人工",
    },
    "en-dormant-deposit": {
        "yes": "yes", "no": "no", "interested": "interested", "not_interested": "not interested",
        "later": "later", "who": "who is this", "opt_out": "don't call me again",
        "human": "speak to a person",
    },
}
# Something no intent of the script means, per script.
GIBBERISH = {
    "ko-dormant-deposit": "오늘 날씨가 맑네요",
    "cmn-dormant-deposit": "今天天气很晴朗",
    "en-dormant-deposit": "the weather is lovely today",
}
VARS = {
    "ko-dormant-deposit": {"name": "김민수"},
    "cmn-dormant-deposit": {"name": "王伟"},
    "en-dormant-deposit": {"name": "Sam Lee"},
}
SCRIPTS = sorted(CANON)
