"""Estimate a Dask DataFrame of runs on a Dask cluster, the catalog loaded once per worker.

Needs the optional extra: ``pip install 'co2-estimator[dask]'`` (Dask's
DataFrame and ``distributed``).

    >>> from dask.distributed import Client
    >>> import dask.dataframe as dd
    >>> from estimator.integrations.dask import estimate_dask
    >>> client = Client("tcp://scheduler:8786")  # doctest: +SKIP
    >>> out = estimate_dask(dd.read_parquet("runs/"), client=client)  # doctest: +SKIP
    >>> out.to_parquet("results/")  # doctest: +SKIP

Each partition goes through :func:`estimator.estimate_many`, so every row is
what ``estimate_many`` gives on the whole table (and ``estimate()`` of that
row). With a distributed client, a worker plugin loads the catalog when each
worker starts (and when one joins later); the catalog then stays in that
worker process (``load_catalog`` keeps it per process), so no task pays for
it. With ``data_files``, every worker must see those files at the same path.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from estimator.api import DataFiles

from estimator.errors import EstimatorError, MissingExtraError

PLUGIN_NAME = "co2-estimator-catalog"


def _dask_dataframe() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:
        raise MissingExtraError("Dask is not installed: pip install 'co2-estimator[dask]'") from None
    return dd


def _partition(frame: Any, data_files: DataFiles) -> Any:
    from estimator.batch import OUTPUT_COLUMNS, estimate_many

    out = estimate_many(frame, data_files=data_files)
    # text results as Arrow-backed strings, not object: Dask infers a Parquet schema
    # from the meta, and an object column there has no type (to_parquet fails)
    text = {c: "string[pyarrow]" for c in OUTPUT_COLUMNS if c in out.columns and out[c].dtype == object}
    return out.astype(text) if text else out


def catalog_plugin(data_files: DataFiles = None) -> Any:
    """A ``distributed`` worker plugin that loads the catalog once in each worker process."""
    try:
        from distributed.diagnostics.plugin import WorkerPlugin
    except ImportError:
        raise MissingExtraError(
            "dask.distributed is not installed: pip install 'co2-estimator[dask]' (or pip install distributed)"
        ) from None

    class CatalogPlugin(WorkerPlugin):
        name = PLUGIN_NAME

        def __init__(self, files: DataFiles) -> None:
            self.data_files = files

        def setup(self, worker: Any) -> None:
            from estimator.catalog import load_catalog

            load_catalog(self.data_files)

    return CatalogPlugin(data_files)


def _active_client(client: Any) -> Any:
    if client is not None:
        return client
    try:
        from distributed import get_client
    except ImportError:
        return None
    try:
        return get_client()
    except ValueError:  # no client: the local schedulers need no plugin
        return None


def estimate_dask(ddf: Any, *, data_files: DataFiles = None, client: Any = None) -> Any:
    """``estimate_many`` over every partition of ``ddf``; a lazy Dask DataFrame of the results.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Runs, with the columns :func:`estimator.estimate_many` reads (``hours``,
        ``hardware`` or ``instance``, ``region`` or ``intensity``, ...).
    data_files : path or paths, optional
        Extra data files (docs/data-schema.md), seen by every worker.
    client : distributed.Client, optional
        The cluster to register the catalog plugin with; by default the active
        client, if any. Without one (threads or processes scheduler) each
        process still loads the catalog once.

    Returns
    -------
    dask.dataframe.DataFrame
        The same partitions and index with the result columns added (energy in
        kWh, CO2e in g, ...; see docs/batch.md), the text ones as Arrow-backed
        strings (``string[pyarrow]``; missing is ``<NA>``), so ``to_parquet``
        knows their type. Nothing runs until computed.
    """
    dd = _dask_dataframe()
    if not isinstance(ddf, dd.DataFrame):
        raise EstimatorError(f"estimate_dask takes a dask.dataframe.DataFrame; got {type(ddf).__name__}")
    meta = _partition(ddf._meta, data_files)
    active = _active_client(client)
    if active is not None:
        active.register_plugin(catalog_plugin(data_files), name=PLUGIN_NAME)
    work = functools.partial(_partition, data_files=data_files)
    return ddf.map_partitions(work, meta=meta)


__all__ = ["MissingExtraError", "catalog_plugin", "estimate_dask"]
