"""Estimate a Spark DataFrame of runs with ``mapInArrow``: the batch core on every executor.

Needs pyspark (``pip install 'co2-estimator[spark]'``) and, on every executor,
co2-estimator itself (``--py-files`` or an installed wheel).

    >>> from pyspark.sql import SparkSession
    >>> from estimator.integrations.spark import estimate_spark
    >>> spark = SparkSession.builder.getOrCreate()  # doctest: +SKIP
    >>> out = estimate_spark(spark.read.parquet("runs/"))  # doctest: +SKIP
    >>> out.write.parquet("results/")  # doctest: +SKIP

The Arrow batches Spark hands over (10,000 rows each by default) are joined
into batches of about 125,000 rows, each through
:func:`estimator.batch.estimate_arrow`, the step ``co2-estimator batch`` runs
on every chunk of a file: input columns pass through with their types, result
columns are typed once (``double``, ``string``), each row equals ``estimate()``
of that row or carries its message in ``error``. The catalog is loaded once per
Python worker process (and comes from the on-disk cache after the first).
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estimator.api import DataFiles

from estimator.errors import EstimatorError, MissingExtraError


def _batches(batches: Iterator[Any], data_files: DataFiles, schema_json: str) -> Iterator[Any]:
    import importlib

    from estimator.batch import CHUNK_ROWS, estimate_arrow  # Spark's 10,000-row batches joined to batch's chunks
    from estimator.runs import Memo

    pa: Any = importlib.import_module("pyarrow")
    schema = pa.ipc.read_schema(pa.py_buffer(bytes.fromhex(schema_json)))
    waiting: list[Any] = []
    rows = 0
    memo = Memo()  # one per partition: a combination is resolved once in it
    for batch in itertools.chain(batches, [None]):
        if batch is not None:
            waiting.append(batch)
            rows += batch.num_rows
            if rows < CHUNK_ROWS:
                continue
        if not waiting:
            break
        table = pa.Table.from_batches(waiting).combine_chunks()  # one estimate per ~125,000 rows
        waiting, rows = [], 0
        for joined in table.to_batches():
            yield estimate_arrow(joined, data_files=data_files, schema=schema, memo=memo)


def estimate_spark(df: Any, *, data_files: DataFiles = None) -> Any:
    """The results of every run in the Spark DataFrame ``df``, as a Spark DataFrame (lazy).

    Parameters
    ----------
    df : pyspark.sql.DataFrame
        Runs, with the columns :func:`estimator.estimate_many` reads.
    data_files : path or paths, optional
        Extra data files (docs/data-schema.md), at the same path on every executor.

    Returns
    -------
    pyspark.sql.DataFrame
        ``df``'s columns, then ``energy_kwh``, ``co2e_g`` (g, location-based),
        ... and ``error`` (see docs/batch.md).
    """
    import importlib

    try:
        importlib.import_module("pyarrow")
        from pyspark.sql import DataFrame
        from pyspark.sql.pandas.types import from_arrow_schema, to_arrow_schema
    except ImportError:
        raise MissingExtraError("pyspark is not installed: pip install 'co2-estimator[spark]'") from None
    from estimator.batch import output_schema

    if not isinstance(df, DataFrame):
        raise EstimatorError(f"estimate_spark takes a pyspark.sql.DataFrame; got {type(df).__name__}")
    arrow_in = to_arrow_schema(df.schema)
    arrow_out = output_schema(arrow_in, data_files=data_files)
    shipped = arrow_out.serialize().to_pybytes().hex()  # plain text for the closure: no pickled Arrow objects
    work = functools.partial(_batches, data_files=data_files, schema_json=shipped)
    return df.mapInArrow(work, from_arrow_schema(arrow_out))


__all__ = ["MissingExtraError", "estimate_spark"]
