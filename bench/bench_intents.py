"""Intent matching cost: tokenizer load time per process, and the cost of one answer.

For each bundled script, loads the language's analyser (kiwipiepy for Korean, jieba for
Mandarin; English has none), then classifies every answer of its shipped corpus (or, when there is
no corpus, the script's own cues) N times, and prints the per-answer cost beside a baseline from the
same run: the plain substring search over the same cues that the matcher used before morphemes
(what a keyword list costs). The load it ran is printed: answers x repeats, one thread.

    .venv/bin/python bench/bench_intents.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CORPORA = ROOT / "tests" / "data" / "corpora"
LOAD = """
import time; t = time.perf_counter()
from dialogs.lang import warm_up; warm_up({language!r})
print(time.perf_counter() - t)
"""


def load_seconds(language: str) -> float:
    """The analyser's load in a fresh process (what a worker pays once)."""
    out = subprocess.run([sys.executable, "-c", LOAD.format(language=language)], check=True,
                         capture_output=True, text=True, cwd=ROOT).stdout
    return float(out.strip().splitlines()[-1])


def answers_of(name: str) -> list[tuple[str, str]]:
    from dialogs import load_script
    from dialogs.evaluation import load_corpus

    script = load_script(name)
    path = CORPORA / f"{name}.yaml"
    if path.exists():
        return [(c.state, c.text) for c in load_corpus(path, script).cases]
    return [(script.start, cue) for i in script.intents.values() for cue in i.keywords]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    from dialogs import bundled_scripts, load_script
    from dialogs.intents import IntentClassifier
    from dialogs.lang import warm_up

    print(f"{'script':22} {'load s':>7} {'answers':>8} {'matcher ms':>11} {'p95 ms':>7} "
          f"{'substring ms':>13}")
    for name in bundled_scripts():
        script = load_script(name)
        load = load_seconds(script.language)
        warm_up(script.language)  # timed above, in a fresh process; not part of an answer
        clf = IntentClassifier(script.language, script.intents)
        answers = answers_of(name)
        cues = [c.lower() for i in script.intents.values() for c in (*i.phrases, *i.keywords)]
        times: list[float] = []
        base: list[float] = []
        for _ in range(args.repeats):
            for state, text in answers:
                t = time.perf_counter()
                clf.classify(text, script.routes(state))
                times.append(time.perf_counter() - t)
                t = time.perf_counter()
                low = text.lower()
                [c for c in cues if c in low]
                base.append(time.perf_counter() - t)
        p95 = statistics.quantiles(times, n=20)[-1]
        print(f"{name:22} {load:7.2f} {len(answers):>4}x{args.repeats:<3} "
              f"{statistics.mean(times) * 1000:11.3f} {p95 * 1000:7.3f} "
              f"{statistics.mean(base) * 1000:13.4f}")


if __name__ == "__main__":
    main()
