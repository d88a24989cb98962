"""`script check` on a script's voice and pronunciation overrides."""

from __future__ import annotations

from pathlib import Path

from dialogs import check_script, load_script
from tests.dialogs.test_checker import GOOD, write

CMN = GOOD.replace("language: en-us", "language: cmn").replace(
    "Hi {name}, this is an automated assistant", "您好{name}，我是AI客户经理 Acme Bank，请按时还款")


def report(tmp_path: Path, text: str) -> tuple[list[str], list[str]]:
    r = check_script(write(tmp_path, text))
    return [str(e) for e in r.errors], [str(w) for w in r.warnings]


def test_kokoro_voice_with_overrides_loads(tmp_path: Path) -> None:
    text = CMN.replace("voice: en-us", "voice: {engine: kokoro, name: jm_kumo, speed: 1.1}\n"
                       "pronounce: {还款: huan2 kuan3}")
    assert report(tmp_path, text) == ([], [])
    voice = load_script(write(tmp_path, text)).voice
    assert (voice.engine, voice.name, voice.speed) == ("kokoro", "jm_kumo", 1.1)
    assert voice.pronounce == (("还款", "huan2 kuan3"),)
    assert voice.spec("还款").pronounce == (("还款", "huan2 kuan3"),)


def test_unknown_kokoro_voice_and_kokoro_for_another_language(tmp_path: Path) -> None:
    errors, _ = report(tmp_path, CMN.replace("voice: en-us", "voice: {engine: kokoro, name: af}"))
    assert any(":3: " in e and "Kokoro has no voice 'af'" in e and "jm_kumo" in e for e in errors)
    errors, _ = report(tmp_path, GOOD.replace("voice: en-us",
                                              "voice: {engine: kokoro, name: jm_kumo}"))
    assert any("Kokoro speaks only Mandarin" in e for e in errors)
    errors, _ = report(tmp_path, GOOD.replace("voice: en-us", "voice: {engine: piper, name: x}"))
    assert any("voice.engine" in e for e in errors)


def test_bad_pronunciations_are_errors_naming_the_word(tmp_path: Path) -> None:
    for wrong, why in (("huan kuan3", "'huan' is not pinyin with a tone number"),
                       ("huan2", "2 characters but 1 syllables")):
        errors, _ = report(tmp_path, CMN.replace("voice: en-us",
                                                 f"voice: cmn\npronounce: {{还款: {wrong}}}"))
        assert any("pronounce.还款" in e and why in e for e in errors), errors
    _, warnings = report(tmp_path, CMN.replace("voice: en-us",
                                               "voice: cmn\npronounce: {存款: cun2 kuan3}"))
    assert any("no prompt says '存款'" in w for w in warnings)


def test_an_override_that_changes_nothing_is_warned_about(tmp_path: Path) -> None:
    # pypinyin already reads 还 in 还款 as hai2: the entry repeats the usual reading.
    _, warnings = report(tmp_path, CMN.replace("voice: en-us",
                                               "voice: cmn\npronounce: {还款: hai2 kuan3}"))
    assert any("pronounce.还款" in w and "changes nothing" in w for w in warnings), warnings
    assert report(tmp_path, CMN.replace("voice: en-us",
                                        "voice: cmn\npronounce: {还款: huan2 kuan3}"))[1] == []
