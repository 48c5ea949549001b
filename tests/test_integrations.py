"""Dask on a real 2-process LocalCluster and Spark in local mode give exactly the one-process rows."""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from estimator.batch import estimate_many
from tests.conftest import import_needed


def _needed(module: str) -> Any:
    return import_needed(module)  # CI installs the [test] extra: Dask, distributed and pyspark


def _runs(n: int = 3_000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    hardware = ["nvidia-a100-sxm4-80gb", "Tesla V100-SXM2-16GB", "NVIDIA L4", "nvidia-t4", "Quantum Toaster"]
    regions = ["FR", "gcp:us-central1", "aws:us-east-1", "world", "Atlantis", "DE"]
    hours = np.round(rng.gamma(2.0, 6.0, n), 3)
    hours[::97] = -1.0  # a bad number now and then
    return pd.DataFrame(
        {
            "run": np.arange(n),
            "note": [f"job {i}" for i in range(n)],
            "hardware": rng.choice(hardware, n),
            "count": rng.choice([1, 2, 4, 8], n),
            "hours": hours,
            "region": rng.choice(regions, n),
            "utilization": np.where(rng.random(n) < 0.3, 0.5, np.nan),
        }
    )


def _same(got: pd.DataFrame, expected: pd.DataFrame) -> None:
    got = got.sort_values("run").reset_index(drop=True)
    expected = expected.sort_values("run").reset_index(drop=True)
    assert list(got.columns) == list(expected.columns)
    for column in expected.columns:
        a, b = got[column].to_numpy(), expected[column].to_numpy()
        if expected[column].dtype.kind == "f":
            np.testing.assert_array_equal(a.astype(float), b.astype(float))  # bit for bit, NaN where NaN
        else:
            assert [None if pd.isna(x) else x for x in a] == [None if pd.isna(x) else x for x in b], column


@pytest.mark.slow
def test_dask_local_cluster_two_processes_gives_identical_rows() -> None:
    _needed("dask.dataframe")
    distributed = _needed("distributed")
    dd: Any = importlib.import_module("dask.dataframe")
    from estimator.integrations.dask import estimate_dask

    runs = _runs()
    expected = estimate_many(runs)
    assert expected["error"].notna().any() and expected["error"].isna().any()
    with (
        distributed.LocalCluster(
            n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None, silence_logs=40
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        out = estimate_dask(dd.from_pandas(runs, npartitions=8), client=client).compute()
        # the catalog was built once per worker process, not once per task (8 partitions, 2 workers)
        loads = client.run(lambda: __import__("estimator.catalog").catalog._cached.cache_info().misses)
    _same(out, expected)
    assert sorted(loads.values()) == [1, 1]


def test_dask_results_write_to_parquet(tmp_path: Path) -> None:
    _needed("dask.dataframe")
    dd: Any = importlib.import_module("dask.dataframe")
    from estimator.integrations.dask import estimate_dask

    runs = _runs(400)
    estimate_dask(dd.from_pandas(runs, npartitions=2)).to_parquet(
        tmp_path / "out", compute_kwargs={"scheduler": "threads"}
    )
    _same(pd.read_parquet(tmp_path / "out"), estimate_many(runs))


def test_dask_without_a_cluster_uses_the_same_function() -> None:
    _needed("dask.dataframe")
    dd: Any = importlib.import_module("dask.dataframe")
    from estimator.integrations.dask import estimate_dask

    runs = _runs(500)
    out = estimate_dask(dd.from_pandas(runs, npartitions=3)).compute(scheduler="threads")
    _same(out, estimate_many(runs))


def test_dask_refuses_a_pandas_frame() -> None:
    _needed("dask.dataframe")
    from estimator.errors import EstimatorError
    from estimator.integrations.dask import estimate_dask

    with pytest.raises(EstimatorError, match=r"dask\.dataframe\.DataFrame"):
        estimate_dask(_runs(3))


@pytest.fixture(scope="module")
def spark() -> Any:
    _needed("pyspark")
    from pyspark.sql import SparkSession

    os.environ.setdefault("PYSPARK_PYTHON", __import__("sys").executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # loopback only: no address of the machine's interfaces
    session = (
        SparkSession.builder.master("local[2]")
        .appName("co2-estimator-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "500")  # many small batches, joined
        .getOrCreate()
    )
    yield session
    session.stop()


@pytest.mark.slow
def test_spark_local_mode_gives_identical_rows(spark: Any) -> None:
    from estimator.integrations.spark import estimate_spark

    runs = _runs()
    expected = estimate_many(runs)
    df = spark.createDataFrame(runs).repartition(4)
    out = estimate_spark(df).toPandas()
    _same(out, expected)


@pytest.mark.slow
def test_spark_keeps_input_columns_named_like_outputs(spark: Any) -> None:
    from estimator.integrations.spark import estimate_spark

    runs = _runs(20).assign(error="my note")
    out = estimate_spark(spark.createDataFrame(runs)).toPandas()
    assert list(out["input_error"]) == ["my note"] * 20
    assert "error" in out.columns


def test_one_missing_extra_error_for_every_integration() -> None:
    import importlib

    from estimator.errors import EstimatorError, MissingExtraError

    for name in ("dask", "spark", "mlflow"):
        module = importlib.import_module(f"estimator.integrations.{name}")
        assert getattr(module, "MissingExtraError", MissingExtraError) is MissingExtraError
    assert issubclass(MissingExtraError, EstimatorError) and issubclass(MissingExtraError, ImportError)
