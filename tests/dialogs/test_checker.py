"""`script check` rules: each problem is found and located (file, line, state)."""

from __future__ import annotations

from pathlib import Path

import pytest

from campaigns.policy import SCRIPT_OUTCOMES
from dialogs import ScriptError, bundled_scripts, check_script, load_script

GOOD = """\
name: tiny
language: en-us
voice: en-us
on_behalf_of: Acme Bank
variables: [name]
start: hello
defaults:
  max_turns_then: bye
  silence: {then: bye}
  no_match: {then: bye}
intents:
  yes: {phrases: ["yes"]}
  no: {phrases: ["no"]}
  stop: {phrases: ["stop"], priority: 10}
global_intents:
  stop: out
states:
  hello:
    say: Hi {name}, this is an automated assistant for Acme Bank. Shall we go on?
    on:
      yes: bye
      no: bye
  bye:
    say: Goodbye.
    outcome: completed
  out:
    say: We will not call again.
    outcome: opt_out
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "script.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def messages(tmp_path: Path, text: str) -> list[str]:
    report = check_script(write(tmp_path, text), SCRIPT_OUTCOMES)
    return [str(e) for e in report.errors]


def test_bundled_scripts_pass_without_warnings() -> None:
    assert bundled_scripts() == ["cmn-dormant-deposit", "en-dormant-deposit", "ko-dormant-deposit"]
    for name in bundled_scripts():
        report = check_script(name)
        assert report.ok, report.errors
        assert report.warnings == []
        assert report.states >= 10


def test_a_good_script_passes_and_yes_no_on_stay_words(tmp_path: Path) -> None:
    report = check_script(write(tmp_path, GOOD))
    assert report.as_json() == {"ok": True, "errors": [], "warnings": [], "states": 3}
    script = load_script(write(tmp_path, GOOD))
    assert set(script.states["hello"].on) == {"yes", "no"}  # not YAML 1.1 booleans


def test_unknown_target_is_named_with_file_line_and_state(tmp_path: Path) -> None:
    errors = messages(tmp_path, GOOD.replace("      no: bye", "      no: byee"))
    assert errors == [f"{tmp_path / 'script.yaml'}:22: state 'hello': unknown target state 'byee'"]


def test_unreachable_state_and_missing_terminal(tmp_path: Path) -> None:
    text = GOOD + "  lost:\n    say: Nobody comes here.\n    on: {yes: bye}\n"
    errors = messages(tmp_path, text)
    assert any("state 'lost': unreachable" in e and ":29:" in e for e in errors)
    no_end = GOOD.replace("    outcome: completed\n", "    on: {yes: hello}\n").replace(
        "    outcome: opt_out\n", "    on: {yes: hello}\n")
    errors = messages(tmp_path, no_end)
    assert any("no terminal state" in e for e in errors)
    assert any("state 'hello': no way out: no terminal state can be reached" in e for e in errors)


def test_state_with_no_transitions_is_no_way_out(tmp_path: Path) -> None:
    text = GOOD.replace("    on:\n      yes: bye\n      no: bye\n", "")
    assert any("state 'hello': no way out" in e for e in messages(tmp_path, text))


def test_intent_without_phrases_and_undefined_intent(tmp_path: Path) -> None:
    # Keywords alone are fine (a text-only intent, not in the recogniser grammar); nothing is not.
    text = GOOD.replace('no: {phrases: ["no"]}', "no: {keywords: [nope]}")
    assert messages(tmp_path, text) == []
    text = GOOD.replace('no: {phrases: ["no"]}', "no: {keywords: []}")
    assert any("intent 'no' has no phrases or keywords" in e and ":13:" in e
               for e in messages(tmp_path, text))
    text = GOOD.replace("      no: bye", "      maybe: bye")
    errors = messages(tmp_path, text)
    assert any("state 'hello': intent 'maybe' is not defined" in e for e in errors)


def test_undeclared_variable_in_a_prompt(tmp_path: Path) -> None:
    text = GOOD.replace("Goodbye.", "Goodbye {nmae}.")
    errors = messages(tmp_path, text)
    assert any("state 'bye': prompt bye uses variable 'nmae'" in e for e in errors)


def test_schema_errors_point_at_their_line(tmp_path: Path) -> None:
    text = GOOD.replace("    outcome: completed", "    outcome: happy")
    errors = messages(tmp_path, text)
    assert len(errors) == 1
    assert ":25: state 'bye': states.bye.outcome" in errors[0]
    assert "'happy' is not an outcome the retry policy knows" in errors[0]
    assert "interested" in errors[0]  # the message lists the allowed outcomes


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    errors = messages(tmp_path, GOOD.replace("start: hello", "start: [hello"))
    assert len(errors) == 1 and "not valid YAML" in errors[0]
    assert f"{tmp_path / 'script.yaml'}:" in errors[0]


def test_missing_end_handling_is_an_error(tmp_path: Path) -> None:
    text = GOOD.replace("  max_turns_then: bye\n", "")
    assert any("defaults.max_turns_then is missing" in e for e in messages(tmp_path, text))


def test_first_prompt_must_disclose_the_robot_and_the_company(tmp_path: Path) -> None:
    text = GOOD.replace("this is an automated assistant for Acme Bank", "this is Jane")
    report = check_script(write(tmp_path, text))
    assert report.ok
    warnings = [str(w) for w in report.warnings]
    assert any("state 'hello': the first prompt does not say the caller is an automated" in w
               for w in warnings)
    assert any("does not say who the call is for" in w for w in warnings)


def test_no_opt_out_is_a_warning(tmp_path: Path) -> None:
    text = GOOD.replace("global_intents:\n  stop: out\n", "")
    report = check_script(write(tmp_path, text))
    assert any("cannot opt out" in str(w) for w in report.warnings)


def test_load_refuses_a_broken_script_naming_where(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace("      no: bye", "      no: byee"))
    with pytest.raises(ScriptError) as info:
        load_script(path)
    assert (info.value.line, info.value.state) == (22, "hello")
    assert str(path) in str(info.value)


def test_unknown_bundled_name_lists_the_bundled_ones() -> None:
    with pytest.raises(ScriptError, match="ko-dormant-deposit"):
        load_script("no-such-script")
    with pytest.raises(ScriptError, match="cannot read"):
        check_script("/nonexistent/script.yaml")
