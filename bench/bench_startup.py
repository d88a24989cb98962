"""Start-up of the `outreach` command: wall and CPU time of a few commands as a user runs them
(a fresh interpreter each time), beside two baselines from the same run: `python -c pass` (the
floor) and the eager path every command paid before the lazy CLI (every command module imported,
as `import orchestrator.cli` did).

Run: .venv/bin/python bench/bench_startup.py [--runs 7]
The machine is shared: the load average is printed with the figures.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EAGER = "from orchestrator.cli import ENTRIES, load\nfor name in ENTRIES: load(name)"


def measure(argv: list[str], runs: int, cwd: Path) -> tuple[float, float]:
    """Median wall and median CPU (user + system) seconds of `argv` over `runs` runs."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run(argv, check=True, cwd=cwd, stdout=subprocess.DEVNULL)
        walls.append(time.perf_counter() - t0)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    py = sys.executable
    outreach = str(Path(py).parent / "outreach")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        db = f"sqlite:///{home / 'outreach.db'}"
        # A database at head with one campaign, so `campaign list` and `show` have work to do.
        subprocess.run([outreach, "--db", db, "init"], check=True, cwd=home,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        subprocess.run([outreach, "--db", db, "campaign", "create", "spring", "--script",
                        "ko-dormant-deposit"], check=True, cwd=home,
                       stdout=subprocess.DEVNULL)  # fmt: skip
        cases = [
            ("python -c pass (floor)", [py, "-c", "pass"]),
            ("eager: every command module (before)", [py, "-c", EAGER]),
            ("outreach --help", [outreach, "--help"]),
            ("outreach campaign list", [outreach, "--db", db, "campaign", "list"]),
            ("outreach campaign list --json", [outreach, "--db", db, "campaign", "list", "--json"]),
            ("outreach campaign show spring", [outreach, "--db", db, "campaign", "show", "spring"]),
            ("outreach dnc list", [outreach, "--db", db, "dnc", "list"]),
        ]
        print(
            f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
            f"({os.cpu_count()} cores); median of {args.runs} runs each"
        )
        print(f"{'command':40} {'wall s':>8} {'cpu s':>8}")
        for label, argv in cases:
            wall, cpu = measure(argv, args.runs, home)
            print(f"{label:40} {wall:8.3f} {cpu:8.3f}")
        print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
