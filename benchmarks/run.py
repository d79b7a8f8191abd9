"""Run every benchmark in this folder (performance targets live here, never as timing asserts in tests).

    python benchmarks/run.py            # or: python3 tasks.py bench

Each script prints its own table of medians and ratios against a baseline measured in the same run.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    scripts = sorted(p for p in HERE.glob("*.py") if p.name != "run.py")
    worst = 0
    for script in scripts:
        print(f"\n=== {script.name} ===", flush=True)
        worst = max(worst, subprocess.call([sys.executable, str(script)], cwd=HERE.parent))
    return worst


if __name__ == "__main__":
    raise SystemExit(main())
