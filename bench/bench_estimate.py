"""Benchmark: warm estimate() per call, and a cold CLI process against `import yaml`.

Run: `make bench` (or `.venv/bin/python bench/bench_estimate.py`). Prints figures;
asserts nothing. Targets (issue 15): warm estimate() by id within 5 us; cold CLI
within 2x a bare `python -c "import yaml"`, measured in the same run. The warm
figures are for the same arguments each call and, more realistic, for new hours
each call (the resolved job is reused; the checks of hours and trials, the
arithmetic and the Estimate are made each call, its rarely read fields on first
read); the bare arithmetic (core.totals on plain numbers) is printed as the
floor, and the plain path (resolve with its plan cache, then api.compute making
every field) for scale.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from estimator import estimate  # noqa: E402

CASES = {
    "by id": {"hardware": "nvidia-a100-sxm4-80gb", "hours": 72, "count": 8, "region": "gcp:us-central1"},
    "by nvidia-smi name": {"hardware": "NVIDIA A100-SXM4-80GB", "hours": 72, "count": 8, "region": "FR"},
    "instance": {"instance": "aws:p4d.24xlarge", "hours": 10, "region": "aws:us-east-1"},
}


def warm(kwargs: dict[str, object], calls: int = 20_000, rounds: int = 7, new_hours: bool = False) -> float:
    """Median over rounds of the mean time per call, in microseconds."""
    estimate(**kwargs)  # type: ignore[arg-type]
    per_call = []
    hours = [1.0 + i / calls for i in range(calls)] if new_hours else [kwargs["hours"]] * calls
    for _ in range(rounds):
        start = time.perf_counter()
        for h in hours:
            estimate(**{**kwargs, "hours": h})  # type: ignore[arg-type]
        per_call.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(per_call)


def plain(kwargs: dict[str, object], calls: int = 5_000, rounds: int = 5) -> float:
    """resolve (its plan cache warm) + api.compute, every field made, new hours each call [us]."""
    from estimator import api, job, plan

    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(calls):
            api.compute(plan.resolve(job.Job.from_kwargs({**kwargs, "hours": 1.0 + i / calls})))
        per_call.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(per_call)


def floor(calls: int = 20_000, rounds: int = 7) -> float:
    """core.totals on plain numbers: the arithmetic an estimate does, per call, in microseconds."""
    from estimator import core

    parts = [(8, 400.0, 1.0, 0.25, 1.0)]
    per_call = []
    for _ in range(rounds):
        start = time.perf_counter()
        for i in range(calls):
            core.totals(parts, 72.0 + i, 1.1, 430.0, 300.0, 500.0)
        per_call.append((time.perf_counter() - start) / calls * 1e6)
    return statistics.median(per_call)


def cold(argv: list[str], runs: int = 15) -> float:
    """Median wall time of a new process, in milliseconds."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, cwd=ROOT)
        times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def main() -> None:
    print("warm estimate(), median per call (same arguments / new hours each call):")
    base_us = floor()
    for name, kwargs in CASES.items():
        same, new, slow = warm(kwargs), warm(kwargs, new_hours=True), plain(kwargs)
        print(
            f"  {name:<20} {same:7.2f} us / {new:7.2f} us  ({same / base_us:.1f}x / {new / base_us:.1f}x the "
            f"arithmetic; plain path {slow:.1f} us, {slow / new:.1f}x)"
        )
    print(f"  core.totals alone    {base_us:7.2f} us   (target: by id within 5 us)")
    py = sys.executable
    heavy = subprocess.run(
        [py, "-c", "import sys, estimator; print([m for m in ('pandas', 'streamlit') if m in sys.modules])"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    ).stdout.strip()
    print(f"modules pulled in by `import estimator` among pandas/streamlit: {heavy}")
    base = cold([py, "-c", "import yaml"])
    cli = cold(
        [py, "-m", "estimator", "estimate", "--hardware", "A100 SXM4 80GB", "--hours", "72", "--count", "8",
         "--region", "gcp:us-central1"]
    )  # fmt: skip
    print(f"cold `python -c 'import yaml'`       {base:7.1f} ms")
    print(f"cold `co2-estimator estimate ...`    {cli:7.1f} ms  ({cli / base:.2f}x)")


if __name__ == "__main__":
    main()
