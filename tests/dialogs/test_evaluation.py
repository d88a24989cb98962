"""The evaluator on a tiny hand-made corpus: precision, recall, confusion and harm by hand."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dialogs import load_script
from dialogs.evaluation import CorpusError, Evaluation, Hearing, evaluate, load_corpus
from orchestrator.cli import app

TINY = """\
script: en-dormant-deposit
language: en
cases:
  greeting:
    "yes": ["yes it's me", "the weather is nice"]
    "no": ["stop calling me"]
  offer:
    opt_out: ["call me later"]
    later: ["I'm driving"]
    none: ["hello?"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "corpus.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_figures_on_a_tiny_corpus(tmp_path: Path) -> None:
    script = load_script("en-dormant-deposit")
    result = evaluate(script, load_corpus(write(tmp_path, TINY), script))
    # yes->yes, yes->none, no->opt_out (harm), opt_out->later (harm: callback not asked for and
    # a missed opt-out; counted once), later->later, none->none.
    assert (result.total, result.right, result.intent_right) == (6, 3, 3)
    assert result.confusion() == {
        "later": {"later": 1}, "no": {"opt_out": 1}, "none": {"none": 1},
        "opt_out": {"later": 1}, "yes": {"none": 1, "yes": 1},
    }
    per = result.per_intent()
    assert per["yes"] == {"support": 2, "precision": 1.0, "recall": 0.5}
    assert per["later"] == {"support": 1, "precision": 0.5, "recall": 1.0}
    assert per["none"] == {"support": 1, "precision": 0.5, "recall": 1.0}
    assert per["opt_out"] == {"support": 1, "precision": 0.0, "recall": 0.0}
    assert result.opt_out_recall() == 0.0
    harms = {r.case.text: r.harm for r in result.harmful}
    assert harms == {"stop calling me": "opt_out not asked for (they meant no)",
                     "call me later": "callback not asked for (they meant opt_out)"}


def test_a_doubtful_hearing_of_an_opt_out_is_confirmed_and_not_harmful(tmp_path: Path) -> None:
    script = load_script("en-dormant-deposit")
    corpus = load_corpus(write(tmp_path, TINY), script)
    result = evaluate(script, corpus, lambda case: Hearing(case.text, 0.3, doubtful=True))
    stop = next(r for r in result.results if r.case.text == "stop calling me")
    assert str(stop.action) == "confirm:opt_out" and stop.harm is None and not stop.right


@pytest.mark.parametrize(
    ("text", "message"),
    [("cases: [1, 2]", "a corpus is a mapping with `cases:`"),
     ("cases:\n  lobby:\n    yes: [hi]\n", "unknown state 'lobby'"),
     ("cases:\n  greeting:\n    maybe: [hi]\n", "unknown intent 'maybe'"),
     ("cases:\n  greeting:\n    yes: hi\n", "give a list of non-empty answer texts"),
     ("cases: [", "not valid YAML")],
)
def test_bad_corpus_is_one_clear_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CorpusError, match=message):
        load_corpus(write(tmp_path, text), load_script("en-dormant-deposit"))


def test_the_command_prints_a_bad_corpus_as_one_line(tmp_path: Path) -> None:
    path = write(tmp_path, "cases:\n  lobby:\n    yes: [hi]\n")
    outreach = Path(sys.executable).parent / "outreach"
    proc = subprocess.run([str(outreach), "script", "eval", "en-dormant-deposit", "--corpus",
                           str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "unknown state 'lobby'" in proc.stderr


def test_eval_command_json_and_table(tmp_path: Path) -> None:
    path = write(tmp_path, TINY)
    run = CliRunner().invoke(app, ["script", "eval", "en-dormant-deposit", "--corpus", str(path),
                                   "--json"])
    assert run.exit_code == 0, run.output
    data = json.loads(run.stdout)
    assert (data["answers"], data["right"], data["harmful"]) == (6, 3, 2)
    assert data["results"][2]["rule"].startswith("cue 'stop calling'")
    table = CliRunner().invoke(app, ["script", "eval", "en-dormant-deposit", "--corpus",
                                     str(path)])
    assert table.exit_code == 0 and "Harmful outcomes" in table.output
    assert max(len(line) for line in table.output.splitlines()) <= 80


# ---- the shipped corpora: the judge of typed screening (issue 9) ------------------------------

CORPORA = Path(__file__).resolve().parents[1] / "data" / "corpora"
SHIPPED = sorted(p.stem for p in CORPORA.glob("*.yaml"))


def _shipped(name: str) -> Evaluation:
    script = load_script(name)
    return evaluate(script, load_corpus(CORPORA / f"{name}.yaml", script))


def test_every_bundled_language_has_a_shipped_corpus() -> None:
    assert SHIPPED == ["cmn-dormant-deposit", "en-dormant-deposit", "ko-dormant-deposit"]


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_corpus_floor(name: str) -> None:
    result = _shipped(name)
    # At least 40 everyday answers for every intent of the script (and for `none`); `text_me`
    # is the offer's "no, just text me", labelled `no` as the customer means it.
    support = {i: v["support"] for i, v in result.per_intent().items() if v["support"]}
    assert set(support) == (set(load_script(name).intents) - {"text_me"}) | {"none"}
    assert min(support.values()) >= 40, support
    assert result.opt_out_recall() == 1.0
    assert [(r.case.state, r.case.text, r.harm) for r in result.harmful] == []
    assert result.share_right() >= 0.95, result.share_right()
