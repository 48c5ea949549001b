"""One process, Dask and Spark on the same Parquet runs: wall and CPU seconds, rows identical.

    python bench/bench_distributed.py [ROWS]        # default 1000000

- one process: ``estimate_file`` Parquet -> Parquet (streamed);
- Dask: ``distributed.LocalCluster(n_workers=2, threads_per_worker=1)``,
  ``read_parquet`` -> ``estimate_dask`` -> ``to_parquet``;
- Spark: ``local[2]``, ``read.parquet`` -> ``estimate_spark`` (mapInArrow) ->
  ``write.parquet``.

Local mode on one machine: the clusters add their scheduling and
serialisation to the same two cores, so this shows their overhead, not a
speed-up; on a real cluster each worker takes its share of the rows. The
results of the three are read back and compared row by row (sorted by
``job_id``): the script says whether they are identical. Start-up of the
cluster or session is timed apart. Benchmarks print figures; tests never
assert wall time.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_batch import make_runs  # noqa: E402
from estimator.batch import estimate_file  # noqa: E402


def clock() -> tuple[float, float]:
    return time.perf_counter(), time.process_time()


def since(start: tuple[float, float]) -> tuple[float, float]:
    return time.perf_counter() - start[0], time.process_time() - start[1]


def read_sorted(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return frame.sort_values("job_id").reset_index(drop=True)


def identical(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        return False
    for column in a.columns:
        x, y = a[column].to_numpy(), b[column].to_numpy()
        if a[column].dtype.kind == "f" or b[column].dtype.kind == "f":
            if not np.array_equal(x.astype(float), y.astype(float), equal_nan=True):
                return False
        elif [None if pd.isna(v) else v for v in x] != [None if pd.isna(v) else v for v in y]:
            return False
    return True


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    tmp = Path(tempfile.mkdtemp(prefix="co2-bench-dist-"))
    try:
        src = tmp / "runs.parquet"
        make_runs(n).to_parquet(src, row_group_size=250_000)
        print(f"{n:,} runs, {src.stat().st_size / 1e6:.0f} MB Parquet; {os.cpu_count()} CPUs (shared machine)")

        estimate_file(src, tmp / "warm.parquet", progress=False)
        start = clock()
        estimate_file(src, tmp / "one.parquet", progress=False)
        wall, cpu = since(start)
        print(f"  one process (estimate_file):        wall {wall:7.1f} s  CPU {cpu:7.1f} s")
        reference = read_sorted(tmp / "one.parquet")

        import dask.dataframe as dd

        distributed: Any = importlib.import_module("distributed")

        from estimator.integrations.dask import estimate_dask

        start = clock()
        with (
            distributed.LocalCluster(
                n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None, silence_logs=40
            ) as cluster,
            distributed.Client(cluster) as client,
        ):
            up, _ = since(start)
            start = clock()
            before = sum(client.run(time.process_time).values())
            estimate_dask(dd.read_parquet(src, split_row_groups=True), client=client).to_parquet(tmp / "dask")
            after = sum(client.run(time.process_time).values())
            wall, cpu = since(start)
        print(
            f"  Dask LocalCluster, 2 workers:       wall {wall:7.1f} s  CPU {cpu + after - before:7.1f} s "
            f"(driver + workers; cluster start {up:.1f} s)"
        )
        print(f"    rows identical to one process: {identical(read_sorted(tmp / 'dask'), reference)}")

        from pyspark.sql import SparkSession

        from estimator.integrations.spark import estimate_spark

        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
        start = clock()
        spark = (
            SparkSession.builder.master("local[2]")
            .config("spark.ui.enabled", "false")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.driver.memory", "2g")
            .getOrCreate()
        )
        up, _ = since(start)
        start = clock()
        estimate_spark(spark.read.parquet(str(src))).write.parquet(str(tmp / "spark"))
        wall, _ = since(start)
        spark.stop()
        print(
            f"  Spark local[2] (mapInArrow):        wall {wall:7.1f} s  (the JVM's CPU is not counted here; "
            f"session start {up:.1f} s)"
        )
        print(f"    rows identical to one process: {identical(read_sorted(tmp / 'spark'), reference)}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
