"""Batch speed: one million runs, CSV in and CSV out, against pandas alone.

    python bench/bench_batch.py [ROWS]

Prints:
- pandas alone: read_csv + to_csv of the same file (the floor any CSV tool pays);
- co2-estimator batch (estimate_file: read, estimate, write, atomically);
- their ratio (target ≤ 3×);
- estimate_many on the already-parsed table: rows per second (target ≥ 1,000,000/s).

The runs look like a scheduler log: a few dozen hardware names (ids and the
names nvidia-smi prints), counts 1-8, a few dozen regions, hours varying per
row, some rows with utilization or a PUE override, and one bad row per
10,000. Benchmarks print figures; tests never assert wall time.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from estimator.batch import estimate_file, estimate_many  # noqa: E402

HARDWARE = [
    "nvidia-a100-sxm4-80gb",
    "NVIDIA A100-SXM4-40GB",
    "NVIDIA H100 80GB HBM3",
    "Tesla V100-SXM2-16GB",
    "nvidia-t4",
    "NVIDIA L4",
    "NVIDIA GeForce RTX 3090",
    "nvidia-l40s",
    "NVIDIA A10G",
    "nvidia-rtx-4090",
]
REGIONS = [
    "gcp:us-central1",
    "gcp:europe-west4",
    "aws:us-east-1",
    "aws:eu-central-1",
    "azure:westeurope",
    "FR",
    "DE",
    "US-CA",
    "CA-QC",
    "SE",
    "world",
    "IN",
]


def make_runs(n: int, seed: int = 7) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    hours = np.round(rng.gamma(2.0, 6.0, n), 3) + 0.01
    runs = pd.DataFrame(
        {
            "job_id": np.arange(1_000_000, 1_000_000 + n),
            "user": rng.choice(["ana", "bo", "chen", "dev", "eli"], n),
            "hardware": rng.choice(HARDWARE, n),
            "count": rng.choice([1, 2, 4, 8], n),
            "hours": hours,
            "region": rng.choice(REGIONS, n),
            "utilization": np.where(rng.random(n) < 0.3, np.round(rng.uniform(0.3, 1.0, n), 2), np.nan),
        }
    )
    bad = np.arange(0, n, 10_000)
    runs.loc[bad, "hardware"] = "Quantum Toaster 9000"
    return runs


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "runs.csv"
        make_runs(n).to_csv(src, index=False)
        size_mb = src.stat().st_size / 1e6

        def pandas_alone() -> None:
            pd.read_csv(src).to_csv(Path(tmp) / "pandas.csv", index=False)

        def ours() -> None:
            estimate_file(src, Path(tmp) / "results.csv", progress=False)

        estimate_file(src, Path(tmp) / "warm.csv", progress=False)  # catalog cached, imports done
        t_pandas = timed(pandas_alone)
        t_ours = timed(ours)
        parsed = pd.read_csv(src)
        t_math = timed(lambda: estimate_many(parsed))
        out = pd.read_csv(Path(tmp) / "results.csv", usecols=["error"])
        bad = int(out["error"].notna().sum())

    print(f"runs: {n:,} rows, {size_mb:.1f} MB CSV ({bad:,} bad rows kept with their message)")
    print(f"pandas alone, read_csv + to_csv:        {t_pandas:7.2f} s")
    print(f"co2-estimator batch, CSV in + CSV out:  {t_ours:7.2f} s  ({t_ours / t_pandas:.2f}× pandas; target ≤ 3×)")
    print(
        f"estimate_many after parsing:            {t_math:7.2f} s  "
        f"({n / t_math:,.0f} rows/s; target ≥ 1,000,000 rows/s)"
    )


if __name__ == "__main__":
    main()
