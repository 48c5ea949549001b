"""Slurm speed: a year of a large cluster (one million jobs) from sacct output to per-job figures.

    python bench/bench_slurm.py [JOBS]          # default 1,000,000

Writes a synthetic ``sacct --parsable2`` file (each job with its ``.batch`` and
``.extern`` steps, so three lines a job; a few running, pending and array
jobs), then measures in the same run:

- pandas alone: ``pd.read_csv(sep="|", dtype=str)`` of the same file (the
  floor any reader of this file pays);
- ``read_sacct`` (steps folded, times, TRES parsed) and ``estimate_jobs``
  (through estimate_many; the jobs of late December that run into the next
  year, a few hundred, are split by year through batch's ``start`` path), and
  the summaries;
- the ratio of read + estimate to pandas' read.

Benchmarks print figures; tests never assert wall time.
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

from estimator import slurm  # noqa: E402

HEADER = "JobID|JobName|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList"
# The partitions of docs/cluster.example.yaml: (name, GPU type, GPUs per node, CPUs per node, GB per node, node prefix)
PARTITIONS = [
    ("a100", "a100", 4, 128, 512, "gpu"),
    ("h100", "h100", 8, 224, 2048, "hgx"),
    ("cpu", None, 0, 192, 768, "cn"),
]
STATES = np.array(["COMPLETED"] * 14 + ["FAILED", "TIMEOUT", "CANCELLED by 4321", "OUT_OF_MEMORY", "NODE_FAIL"])


def synthetic_sacct(n: int, seed: int = 17, steps: bool = True) -> str:
    """sacct --parsable2 text for ``n`` jobs over 2025: users, accounts, partitions, sizes and lengths vary."""
    rng = np.random.default_rng(seed)
    part = rng.choice(3, size=n, p=[0.45, 0.15, 0.40])
    users = np.char.add("u", rng.zipf(1.6, n).clip(1, 400).astype(str))
    accounts = np.char.add("proj", (np.char.str_len(users) * 7 + rng.integers(0, 3, n)).astype(str))
    nodes = np.where(rng.random(n) < 0.08, rng.integers(2, 5, n), 1)
    gpn = np.array([p[2] for p in PARTITIONS])[part]
    cpn = np.array([p[3] for p in PARTITIONS])[part]
    mpn = np.array([p[4] for p in PARTITIONS])[part]
    gpus_per_node = np.where(gpn > 0, rng.choice([1, 2, 4, 8], size=n).clip(max=np.maximum(gpn, 1)), 0)
    gpus = gpus_per_node * nodes
    cpus_per_node = np.where(gpn > 0, gpus_per_node * (cpn // np.maximum(gpn, 1)), rng.choice([1, 4, 16, 64, 192], n))
    cpus = cpus_per_node * nodes
    mem_g = (mpn * cpus_per_node // cpn).clip(min=1) * nodes
    seconds = (rng.lognormal(8.0, 1.6, n)).astype(np.int64).clip(0, 7 * 86400)
    seconds[rng.random(n) < 0.01] = 0
    start = np.datetime64("2025-01-01T00:00:00") + rng.integers(0, 365 * 86400, n).astype("timedelta64[s]")
    end = start + seconds.astype("timedelta64[s]")
    state = STATES[rng.integers(0, len(STATES), n)]
    start_s = np.datetime_as_string(start, unit="s").astype(object)
    end_s = np.datetime_as_string(end, unit="s").astype(object)
    unfinished = rng.random(n) < 0.005
    state[unfinished] = "RUNNING"
    end_s[unfinished] = "Unknown"
    ids = (1_000_000 + np.arange(n)).astype(str).astype(object)
    arrays = rng.random(n) < 0.1
    ids[arrays] = ids[arrays] + "_" + rng.integers(0, 50, int(arrays.sum())).astype(str)
    typed = np.array([p[1] or "" for p in PARTITIONS])[part]
    gres = np.where(
        gpus > 0,
        np.char.add(
            np.char.add(np.char.add("gres/gpu:", typed), np.char.add("=", gpus.astype(str))),
            np.char.add(",gres/gpu=", gpus.astype(str)),
        ),
        "",
    )
    tres = (
        pd.Series(np.char.add("billing=", cpus.astype(str)))
        + ",cpu="
        + cpus.astype(str)
        + np.where(gpus > 0, ",", "")
        + gres
        + ",mem="
        + mem_g.astype(str)
        + "G,node="
        + nodes.astype(str)
    )
    prefix = np.array([p[5] for p in PARTITIONS])[part]
    first = rng.integers(1, 300, n)
    node_list = np.where(
        nodes > 1,
        np.char.add(
            np.char.add(np.char.add(prefix, "["), np.char.zfill(first.astype(str), 3)),
            np.char.add(np.char.add("-", np.char.zfill((first + nodes - 1).astype(str), 3)), "]"),
        ),
        np.char.add(prefix, np.char.zfill(first.astype(str), 3)),
    )
    frame = pd.DataFrame(
        {
            "JobID": ids,
            "JobName": np.char.add("job", rng.integers(0, 5000, n).astype(str)),
            "User": users,
            "Account": accounts,
            "Partition": np.array([p[0] for p in PARTITIONS])[part],
            "State": state,
            "Start": start_s,
            "End": end_s,
            "ElapsedRaw": seconds.astype(str),
            "NCPUS": cpus.astype(str),
            "NNodes": nodes.astype(str),
            "AllocTRES": tres.to_numpy(),
            "NodeList": node_list,
        }
    )
    frames = [frame]
    if steps:
        for step in ("batch", "extern"):
            s = frame.copy()
            s["JobID"] = s["JobID"] + "." + step
            s["JobName"] = step
            s["User"] = ""
            s["Partition"] = ""
            frames.append(s)
    lines = pd.concat(frames, ignore_index=True)
    order = np.argsort(np.concatenate([np.arange(n) * 3 + k for k in range(len(frames))]), kind="stable")
    lines = lines.iloc[order]
    body = lines.to_csv(sep="|", header=False, index=False, quoting=3, lineterminator="\n")
    pending = "1999999_[1-20%4]|sweep|u1|proj14|a100|PENDING|Unknown|Unknown|0|32|1||None assigned\n"
    return HEADER + "\n" + body + pending


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    cluster = slurm.load_cluster(ROOT / "docs" / "cluster.example.yaml")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sacct.txt"
        t0 = time.perf_counter()
        path.write_text(synthetic_sacct(n))
        size_mb = path.stat().st_size / 1e6
        print(f"synthetic sacct file: {n:,} jobs, {size_mb:,.0f} MB, written in {time.perf_counter() - t0:.1f} s")

        t0 = time.perf_counter()
        floor = pd.read_csv(path, sep="|", dtype=str, keep_default_na=False)
        t_pandas = time.perf_counter() - t0
        lines = len(floor)
        del floor

        t0 = time.perf_counter()
        jobs = slurm.read_sacct(path)
        t_read = time.perf_counter() - t0
        t0 = time.perf_counter()
        out = slurm.estimate_jobs(jobs, cluster)
        t_estimate = time.perf_counter() - t0
        t0 = time.perf_counter()
        for by in slurm.SUMMARY_BY:
            slurm.summarize(out, by)
        t_summary = time.perf_counter() - t0

    total = t_read + t_estimate
    print(f"pandas read_csv of the same file ({lines:,} lines): {t_pandas:.2f} s")
    print(f"read_sacct: {t_read:.2f} s ({len(jobs):,} allocations, {jobs.attrs['sacct']['steps']:,} steps folded)")
    across = int((out["end"].dt.year != out["start"].dt.year).sum())  # split by year, as batch's start column
    estimated = int(out["error"].isna().sum())
    print(f"estimate_jobs: {t_estimate:.2f} s ({estimated:,} estimated, {across:,} across New Year)")
    print(f"summaries by user, account, partition, month: {t_summary:.2f} s")
    print(f"read + estimate: {total:.2f} s = {total / t_pandas:.2f}x pandas reading the file")
    print(slurm.totals_text(slurm.totals(out)))


if __name__ == "__main__":
    main()
