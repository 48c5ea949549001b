"""Many runs at once: a table of runs in, the same table with energy and CO2e out.

    >>> import pandas as pd
    >>> from estimator import estimate_many
    >>> runs = pd.DataFrame({"hardware": ["A100 SXM4 80GB"], "hours": [72], "count": [8], "region": ["FR"]})
    >>> estimate_many(runs)[["energy_kwh", "co2e_g", "error"]]  # doctest: +SKIP

Each distinct combination of inputs is resolved once, and the per-row numbers
go through core's arithmetic as arrays (:mod:`estimator.runs`): every row equals
``estimate()`` of that row to the last bit, or carries its error. Bad rows are
never dropped: their message is in the ``error`` column and their numbers are
NaN. ``strict=True`` raises at the first bad row instead. This module reads and
writes the files.

``estimate_many`` keeps no state between calls and each row depends on that
row alone, so it is safe per partition of a distributed table (Dask's
``map_partitions``, Spark's ``mapInPandas``; see docs/batch.md).

This module imports pandas and numpy; ``import estimator`` does not import it.
"""

from __future__ import annotations

import csv
import io
import os
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from estimator import fileio
from estimator import runs as runs_module
from estimator.api import DataFiles
from estimator.errors import InputError
from estimator.runs import INPUT_COLUMNS, NUMBER_COLUMNS, OUTPUT_COLUMNS, TEXT_COLUMNS

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CHUNK_ROWS = 250_000
SEPARATORS = (",", ";", "\t", "|")
PARQUET_SUFFIXES = (".parquet", ".pq")


class BatchRowError(InputError):
    """A bad row in strict mode: names the row (and the file's line) and the column."""

    def __init__(self, message: str, *, position: int, column: str | None, line: int | None = None) -> None:
        super().__init__(message)
        self.position = position
        self.column = column
        self.line = line


_compute = runs_module.compute  # the seam between files and arithmetic
_Result = runs_module.Result
_check_columns = runs_module.check_columns


def estimate_many(runs: pd.DataFrame, *, data_files: DataFiles = None, strict: bool = False) -> pd.DataFrame:
    """Energy and CO2e of every run in ``runs``; the same table with columns added.

    Input columns: ``hours`` and ``hardware`` or ``instance`` (or ``cpu`` /
    ``power_w``), ``region`` or ``intensity``; optional ``count``, ``pue``,
    ``intensity`` (gCO2e/kWh), ``power_w`` (W per device), ``utilization``,
    ``provider``, ``cpu``, ``cpu_count``, ``cpu_cores``, ``cpu_utilization``,
    ``memory_gb`` — the keywords of :func:`estimator.estimate`. Blank cells
    mean "not given"; numbers written as text are read as numbers. Any other
    column is passed through untouched, index included.

    Added columns: ``energy_kwh``, ``co2e_g`` (location-based), ``draw_w``,
    ``pue_used`` and ``pue_basis``, ``intensity_g_per_kwh`` and
    ``intensity_basis``, ``hardware_id``, ``region_id`` and ``error``
    (None, or the message of a bad row, whose numbers are NaN). An input
    column with one of these names is replaced. Every good row equals
    ``estimate()`` of that row exactly. TDP is an upper bound of draw.

    strict: raise :class:`BatchRowError` at the first bad row (naming its
    position, index label and column) instead of filling ``error``.
    Missing required columns raise :class:`~estimator.errors.InputError`.
    """
    if not isinstance(runs, pd.DataFrame):
        raise InputError(f"estimate_many takes a pandas DataFrame of runs; got {type(runs).__name__}")
    result = _compute(runs, data_files)
    if strict and result.bad.any():
        i = int(np.argmax(result.bad))
        column = result.columns[i]
        where = f"row {i} (index {runs.index[i]!r})"
        col = f", column {column!r}" if column else ""
        raise BatchRowError(f"{where}{col}: {result.frame['error'].iat[i]}", position=i, column=column)
    return result.frame


# ---------------------------------------------------------------- files


@dataclass(frozen=True)
class BatchSummary:
    """What a file run did: rows, bad rows, totals over the good rows."""

    rows: int
    errors: int
    energy_kwh: float
    co2e_g: float
    output: str
    first_errors: tuple[str, ...] = ()

    @property
    def estimated(self) -> int:
        return self.rows - self.errors


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _read_header(path: Path) -> str:
    first = fileio.read_head(path, what="a CSV or Parquet file of runs", limit_bytes=1_000_000)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save it as UTF-8 CSV (or use Parquet)") from None
    if not text.strip():
        raise InputError(f"{path} is empty: expected a header line such as 'hardware,hours,count,region'")
    return text


def _csv_options(header: str, sep: str) -> dict[str, Any]:
    columns = next(csv.reader([header.rstrip("\r\n")], delimiter=sep))
    columns = [c.strip() for c in columns]
    number_na = ["", "NA", "N/A", "n/a", "null", "NULL", "None", "none", "-"]
    na_values: dict[str, list[str]] = {}
    dtype: dict[str, Any] = {}
    for c in columns:
        if c in TEXT_COLUMNS:
            na_values[c] = [""]  # "NA" is Namibia
            dtype[c] = object
        elif c in NUMBER_COLUMNS:
            na_values[c] = number_na
        else:
            dtype[c] = object  # passed through as written
    return {"sep": sep, "na_values": na_values, "keep_default_na": False, "dtype": dtype, "encoding": "utf-8-sig"}


def _wrong_separator_hint(header: str, sep: str) -> str:
    others = [s for s in SEPARATORS if s != sep and s in header]
    if not others:
        return ""
    shown = {"\t": "tab"}.get(others[0], repr(others[0]))
    return f"; the header also contains {shown}: is the file {shown}-separated? (--sep)"


def _line_of_record(path: Path, sep: str, record: int) -> int:
    """The physical line (1-based) where data record ``record`` (0-based) starts.

    Blank lines are skipped as the reader skips them; quoted cells may span lines.
    """
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.reader(fh, delimiter=sep)
        start = 1
        seen = -1  # the header
        for row in reader:
            if len(row) > 1 or (row and row[0].strip()):
                if seen == record:
                    return start
                seen += 1
            start = reader.line_num + 1
    return start


def _csv_chunks(path: Path, sep: str, header: str, progress: Any) -> Iterator[pd.DataFrame]:
    options = _csv_options(header, sep)
    try:
        with path.open("rb") as fh:
            reader = pd.read_csv(fh, chunksize=CHUNK_ROWS, skipinitialspace=False, **options)
            with reader:
                for chunk in reader:
                    chunk.columns = [str(c).strip() for c in chunk.columns]
                    yield chunk
                    progress.update(fh.tell() - progress.n)
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: cannot read as CSV ({' '.join(str(exc).split())})") from None
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty: expected a header line such as 'hardware,hours,count,region'") from None
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save it as UTF-8 CSV (or use Parquet)") from None


def _parquet_frame(path: Path) -> pd.DataFrame:
    pq = _pyarrow("parquet", "reading Parquet")
    try:
        table = pq.read_table(path)
    except FileNotFoundError:
        raise InputError(f"no such file: {path}") from None
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise InputError(f"{path}: cannot read as Parquet ({' '.join(str(exc).split())})") from None
    frame: pd.DataFrame = table.to_pandas()
    return frame


def _pyarrow(module: str, what: str) -> Any:
    """pyarrow (a dependency; also what pandas uses for Parquet), imported when needed."""
    import importlib

    try:
        return importlib.import_module(f"pyarrow.{module}" if module else "pyarrow")
    except ImportError:
        raise InputError(f"{what} needs pyarrow: pip install pyarrow") from None


def _write_csv_chunk(frame: pd.DataFrame, handle: IO[bytes], header: bool) -> None:
    """Append ``frame`` as UTF-8 CSV: Arrow's C++ writer (about 5× pandas' to_csv), pandas for odd columns.

    Arrow quotes every text cell and writes floats in their shortest form
    (``3200``, ``0.936``); any CSV reader reads both back to the same values.
    """
    try:
        pa = _pyarrow("", "fast CSV writing")
        pa_csv = _pyarrow("csv", "fast CSV writing")
        table = pa.Table.from_pandas(frame, preserve_index=False)
        pa_csv.write_csv(table, handle, pa_csv.WriteOptions(include_header=header, quoting_style="needed"))
    except (InputError, TypeError, ValueError, NotImplementedError):  # ArrowInvalid/TypeError subclass these
        text = frame.to_csv(index=False, header=header, lineterminator="\n")
        handle.write(text.encode("utf-8"))


def _write_parquet(frame: pd.DataFrame, path: Path) -> None:
    pa = _pyarrow("", "writing Parquet")
    pq = _pyarrow("parquet", "writing Parquet")
    table = pa.Table.from_pandas(frame, preserve_index=False)
    # Text columns that happen to be all empty still get a string type.
    fields = [pa.field(f.name, pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
    pq.write_table(table.cast(pa.schema(fields, metadata=table.schema.metadata)), path)


def _strict_error(result: _Result, path: Path, sep: str | None, offset: int) -> BatchRowError:
    i = int(np.argmax(result.bad))
    column = result.columns[i]
    record = offset + i
    if sep is not None:
        line = _line_of_record(path, sep, record)
        where = f"{path}, line {line}"
    else:
        line = None
        where = f"{path}, row {record + 1}"
    col = f", column {column!r}" if column else ""
    message = f"{where}{col}: {result.frame['error'].iat[i]}"
    return BatchRowError(message, position=record, column=column, line=line)


def estimate_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    data_files: DataFiles = None,
    strict: bool = False,
    sep: str | None = None,
    progress: bool | None = None,
    stdout: IO[str] | None = None,
) -> BatchSummary:
    """Run :func:`estimate_many` over a CSV or Parquet file of runs and write the result.

    The format follows the suffix (``.parquet`` / ``.pq``, else CSV). CSV is
    read and written in chunks of 250,000 rows, with a progress bar on a
    terminal (quiet otherwise, or with ``progress=False``). ``sep``: the CSV
    delimiter, guessed from the header (``,`` ``;`` tab ``|``) when None.
    ``output`` None writes CSV to ``stdout``. The output file is written to a
    temporary file and moved into place only when complete: a failure
    (including a bad row under ``strict``) leaves no partial file behind.
    """
    src = Path(source)
    dest = Path(output) if output is not None else None
    if dest is not None and dest.suffix.lower() not in (".csv", *PARQUET_SUFFIXES):
        raise InputError(f"the output {dest} must end in .csv or .parquet; got {dest.suffix or 'no suffix'!r}")
    if dest is not None and dest.resolve() == src.resolve():
        raise InputError(f"the output {dest} is the input file; write the results to another file")
    show = sys.stderr.isatty() if progress is None else progress

    if _is_parquet(src):
        if not src.is_file():
            _read_header(src)  # the same "no such file" / "is a folder" messages
        chunks: Iterator[pd.DataFrame] = iter([_parquet_frame(src)])
        csv_sep: str | None = None
        total = None
    else:
        header = _read_header(src)
        csv_sep = sep or _sniff_separator(header)
        if csv_sep not in SEPARATORS and len(csv_sep) != 1:
            raise InputError(f"--sep must be one character such as ',' ';' or a tab; got {csv_sep!r}")
        total = src.stat().st_size
        columns = [c.strip() for c in next(csv.reader([header.rstrip("\r\n")], delimiter=csv_sep))]
        try:
            _check_columns(columns)
        except InputError as exc:
            raise InputError(f"{src}: {exc}{_wrong_separator_hint(header, csv_sep)}") from None
        chunks = iter(())  # replaced below, inside the progress bar

    atomic = fileio.AtomicFile(dest) if dest is not None else None
    buffer = None if atomic is not None else tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed below
    rows = errors = 0
    energy = co2e = 0.0
    first_errors: list[str] = []
    from tqdm import tqdm

    try:
        with tqdm(
            total=total, unit="B", unit_scale=True, desc=src.name, disable=not show or total is None, delay=0.5
        ) as bar:
            if csv_sep is not None:
                chunks = _csv_chunks(src, csv_sep, header, bar)
            frames: list[pd.DataFrame] = []
            handle: Any = None
            if atomic is not None and dest is not None and not _is_parquet(dest):
                handle = atomic.tmp.open("wb")
            elif buffer is not None:
                handle = buffer
            try:
                for chunk in chunks:
                    try:
                        result = _compute(chunk, data_files)
                    except InputError as exc:
                        raise InputError(f"{src}: {exc}") from None
                    if strict and result.bad.any():
                        raise _strict_error(result, src, csv_sep, rows)
                    frame = result.frame
                    n_bad = int(result.bad.sum())
                    if n_bad and len(first_errors) < 3:
                        for i in np.flatnonzero(result.bad)[: 3 - len(first_errors)]:
                            first_errors.append(f"row {rows + int(i) + 1}: {frame['error'].iat[int(i)]}")
                    rows += len(frame)
                    errors += n_bad
                    energy += float(np.nansum(frame["energy_kwh"].to_numpy()))
                    co2e += float(np.nansum(frame["co2e_g"].to_numpy()))
                    if handle is not None:
                        _write_csv_chunk(frame, handle, header=handle.tell() == 0)
                    else:
                        frames.append(frame)
            finally:
                if handle is not None and handle is not buffer:
                    handle.close()
        if atomic is not None and dest is not None and _is_parquet(dest):
            if not frames:  # pragma: no cover - a CSV always yields at least its header chunk
                frames = [pd.DataFrame()]
            _write_parquet(pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0], atomic.tmp)
        if atomic is not None:
            atomic.commit()
        elif buffer is not None:
            buffer.seek(0)
            out = stdout or sys.stdout
            text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
            while block := text.read(1 << 20):
                out.write(block)
            out.flush()
            text.detach()
    except OSError as exc:
        if atomic is not None:
            atomic.discard()
        target = dest if dest is not None else "stdout"
        raise InputError(f"cannot write {target}: {exc.strerror or exc}; nothing written") from None
    except BaseException:
        if atomic is not None:
            atomic.discard()
        raise
    finally:
        if buffer is not None:
            buffer.close()
    return BatchSummary(
        rows=rows,
        errors=errors,
        energy_kwh=energy,
        co2e_g=co2e,
        output=str(dest) if dest is not None else "<stdout>",
        first_errors=tuple(first_errors),
    )


def summary_text(s: BatchSummary) -> str:
    """One or a few lines about a file run, for the CLI."""
    from estimator.report import energy, mass

    head = f"{s.rows:,} runs → {s.output}: {s.estimated:,} estimated"
    if s.errors:
        head += f", {s.errors:,} with an error (see the 'error' column)"
    lines = [
        head,
        f"total {mass(s.co2e_g)} from {energy(s.energy_kwh)} (TDP is an upper bound; intensity basis per row)",
    ]
    lines += [f"  {e}" for e in s.first_errors]
    return "\n".join(lines)


__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "BatchRowError",
    "BatchSummary",
    "estimate_file",
    "estimate_many",
    "summary_text",
]
