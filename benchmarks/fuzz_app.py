"""Fuzz the whole app with the stateful machine of tests/test_app_stateful.py, for thousands of sequences.

    python benchmarks/fuzz_app.py --sequences 5000 --workers 2 [--steps 8] [--seed 0]

Each worker runs batches of sequences (a fresh session each, random actions across every page, invariants
checked after every step) with its own seeds, and keeps going after a failure so the report counts them all.
Prints sequences run, steps, actions per rule, failures (with hypothesis' shortest failing sequence) and the
time per sequence. Exit code 1 if any sequence failed.
"""

from __future__ import annotations

import argparse
import collections
import json
import multiprocessing as mp
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 50


def run_batches(worker: int, sequences: int, steps: int, seed: int) -> dict:
    """One worker: `sequences` sequences in batches; returns counts and failures."""
    os.chdir(ROOT)
    sys.path[:0] = [str(ROOT), str(ROOT / "tests")]
    import logging

    logging.disable(logging.WARNING)  # AppTest's "missing ScriptRunContext" lines
    from hypothesis import HealthCheck, settings
    from hypothesis.stateful import run_state_machine_as_test
    from test_app_stateful import AppMachine

    counts: collections.Counter = collections.Counter()
    failures: list[str] = []

    class Counting(AppMachine):
        def run(self) -> None:
            counts["steps"] += 1
            counts["action:" + sys._getframe(1).f_code.co_name] += 1
            super().run()

        def select(self, key: str, label: str) -> None:
            counts["action:" + sys._getframe(1).f_code.co_name] += 1
            super().select(key, label)

        def teardown(self) -> None:
            counts["sequences"] += 1
            super().teardown()

    done = 0
    batch = 0
    while done < sequences:
        n = min(BATCH, sequences - done)
        cfg = settings(max_examples=n, stateful_step_count=steps, deadline=None, database=None,
                       derandomize=False, suppress_health_check=list(HealthCheck), print_blob=True)
        from hypothesis import seed as hseed

        test = hseed(seed * 1_000_003 + worker * 10_007 + batch)(
            lambda cfg=cfg: run_state_machine_as_test(Counting, settings=cfg))
        try:
            test()
        except Exception as exc:  # keep fuzzing; the report lists every failing batch
            failures.append(f"worker {worker} batch {batch}: {type(exc).__name__}: {str(exc)[:4000]}")
        done += n
        batch += 1
    return {"counts": dict(counts), "failures": failures}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sequences", type=int, default=5000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="also write the report as JSON here")
    args = ap.parse_args()

    per, extra = divmod(args.sequences, args.workers)
    share = [per + (i < extra) for i in range(args.workers)]
    t0 = time.perf_counter()
    ctx = mp.get_context("spawn")
    with ctx.Pool(args.workers) as pool:
        results = pool.starmap(run_batches, [(i, n, args.steps, args.seed) for i, n in enumerate(share)])
    wall = time.perf_counter() - t0

    counts: collections.Counter = collections.Counter()
    failures: list[str] = []
    for r in results:
        counts.update(r["counts"])
        failures += r["failures"]
    print(f"sequences run: {counts['sequences']} (asked {args.sequences}), "
          f"steps (page runs): {counts['steps']}")
    for key in sorted(k for k in counts if k.startswith("action:") and k != "action:select"):
        print(f"  {key[7:]:<16} {counts[key]:>7}")
    print(f"failures: {len(failures)}")
    for f in failures:
        print("-" * 80 + "\n" + f)
    print(f"wall time {wall:.0f} s, {wall / max(1, counts['sequences']):.2f} s per sequence "
          f"({args.workers} workers)")
    if args.json:
        args.json.write_text(json.dumps({"counts": counts, "failures": failures, "wall_s": wall}, indent=1))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
