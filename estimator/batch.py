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
``map_partitions``, Spark's ``mapInArrow``; see docs/batch.md and
:mod:`estimator.integrations`). Files stream through Arrow (see estimate_file).

This module imports pandas and numpy; ``import estimator`` does not import it.
"""

from __future__ import annotations

import csv
import functools
import io
import os
import sys
import tempfile
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from estimator import fileio
from estimator import runs as runs_module
from estimator.api import DataFiles
from estimator.catalog import load_catalog
from estimator.codes import Factor, Text, compacted
from estimator.errors import InputError
from estimator.runs import INPUT_COLUMNS, NUMBER_COLUMNS, OUTPUT_COLUMNS

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

CHUNK_ROWS = 125_000  # Parquet rows per batch: 10M rows stay near 500 MiB peak (250,000: 615 MiB)
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
    column with one of these names is kept as ``input_<name>``
    (a warning says so); a column that looks like a misspelt input
    (``utilisation``, ``gpus``) is not read, and a warning names the input it
    may mean. Every good row equals
    ``estimate()`` of that row exactly. TDP is an upper bound of draw.

    strict: raise :class:`BatchRowError` at the first bad row (naming its
    position, index label and column) instead of filling ``error``.
    Missing required columns raise :class:`~estimator.errors.InputError`.
    """
    if not isinstance(runs, pd.DataFrame):
        raise InputError(f"estimate_many takes a pandas DataFrame of runs; got {type(runs).__name__}")
    renamed = _renames([str(c) for c in runs.columns])
    if renamed:
        runs = runs.rename(columns=renamed)
        warnings.warn(_rename_note(renamed), UserWarning, stacklevel=2)
    memo = runs_module.Memo()
    result = _compute(runs, data_files, memo)  # a missing column is refused first, with its own hint
    if unread := runs_module.unread_columns_note(list(runs.columns)):
        warnings.warn(unread, UserWarning, stacklevel=2)
    if read := runs_module.readings_note(memo):
        warnings.warn(read, UserWarning, stacklevel=2)
    if renamed:
        result.frame.attrs["renamed_columns"] = dict(renamed)
    if strict and result.bad.any():
        i = int(np.argmax(result.bad))
        column = result.columns[i]
        where = f"row {i} (index {runs.index[i]!r})"
        col = f", column {column!r}" if column else ""
        raise BatchRowError(f"{where}{col}: {result.error(i)}", position=i, column=column)
    return result.frame


# ---------------------------------------------------------------- files
#
# Files go through Arrow end to end: pyarrow's streaming CSV reader (every
# column read as text, so what is passed through is written back as it was
# read, whatever a chunk holds), Parquet read by batches, and the matching
# streaming writers. Only the input columns the arithmetic needs are turned
# into pandas for :func:`_compute`; the other columns never leave Arrow.

CSV_BLOCK_BYTES = 8 << 20  # about 150,000 rows of a typical log per chunk
# Cells that mean "not given" in a number column (a text column keeps them: "NA" is Namibia).
NUMBER_NA = ("", "NA", "N/A", "n/a", "null", "NULL", "None", "none", "-")


@dataclass(frozen=True)
class BatchSummary:
    """What a file run did: rows, bad rows, totals over the good rows, notes said once."""

    rows: int
    errors: int
    energy_kwh: float
    co2e_g: float
    output: str
    first_errors: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def estimated(self) -> int:
        return self.rows - self.errors


def _renames(columns: Sequence[str]) -> dict[str, str]:
    """Input columns named like an output column, and the name each is kept under.

    ``error`` becomes ``input_error`` (``input_error_2`` if that is taken too):
    nothing the user wrote is overwritten by a result.
    """
    taken = set(columns) | set(OUTPUT_COLUMNS)
    renamed: dict[str, str] = {}
    for name in columns:
        if name in OUTPUT_COLUMNS:
            new, k = f"input_{name}", 2
            while new in taken:
                new, k = f"input_{name}_{k}", k + 1
            taken.add(new)
            renamed[name] = new
    return renamed


def _rename_note(renamed: Mapping[str, str]) -> str:
    pairs = ", ".join(f"{old!r} as {new!r}" for old, new in renamed.items())
    return f"input column{'s' if len(renamed) > 1 else ''} named like an output kept: {pairs}"


def _is_parquet(path: Path) -> bool:
    return path.suffix.lower() in PARQUET_SUFFIXES


def _sniff_separator(header: str) -> str:
    counts = {sep: header.count(sep) for sep in SEPARATORS}
    best = max(counts, key=lambda s: counts[s])
    return best if counts[best] else ","


def _check_source(path: Path) -> None:
    """A regular file we can open, or one line saying what it is instead (never read a FIFO or /dev/zero)."""
    with fileio.open_regular(path, what="a CSV or Parquet file of runs"):
        pass


def _read_header(path: Path) -> str:
    first = fileio.read_head(path, what="a CSV or Parquet file of runs", limit_bytes=1_000_000)
    try:
        text = first.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path} is not UTF-8 text; save it as UTF-8 CSV (or use Parquet)") from None
    if not text.strip():
        raise InputError(f"{path} is empty: expected a header line such as 'hardware,hours,count,region'")
    return text.split("\r", 1)[0]  # a file whose lines end in CR alone (old Mac): its first line


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


def _pyarrow(module: str, what: str) -> Any:
    """pyarrow (a dependency; also what pandas uses for Parquet), imported when needed."""
    import importlib

    try:
        return importlib.import_module(f"pyarrow.{module}" if module else "pyarrow")
    except ImportError:
        raise InputError(f"{what} needs pyarrow: pip install pyarrow") from None


def _arrow_message(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]


def _csv_batches(path: Path, sep: str, columns: list[str], progress: Any) -> Iterator[Any]:
    """Record batches of ``path``, every column as text (blank cells null), about CSV_BLOCK_BYTES each."""
    pa = _pyarrow("", "reading CSV")
    pa_csv = _pyarrow("csv", "reading CSV")
    read = pa_csv.ReadOptions(column_names=columns, skip_rows=1, block_size=CSV_BLOCK_BYTES)
    parse = pa_csv.ParseOptions(delimiter=sep, newlines_in_values=True)
    convert = pa_csv.ConvertOptions(
        column_types={c: pa.string() for c in columns},
        strings_can_be_null=True,
        null_values=[""],
        quoted_strings_can_be_null=True,
    )
    try:
        with pa.OSFile(str(path), "rb") as source:
            reader = pa_csv.open_csv(source, read_options=read, parse_options=parse, convert_options=convert)
            for batch in reader:
                yield batch
                progress.update(source.tell() - progress.n)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        message = _arrow_message(exc)
        if "UTF8" in message or "utf8" in message.lower():
            raise InputError(f"{path} is not UTF-8 text; save it as UTF-8 CSV (or use Parquet)") from None
        if "Empty CSV file" in message:
            return
        raise InputError(f"{path}: cannot read as CSV ({message})") from None


def _parquet_batches(path: Path, progress: Any) -> tuple[Any, Iterator[Any]]:
    """The schema of ``path`` and its record batches, CHUNK_ROWS rows at most each: never the whole file."""
    pa = _pyarrow("", "reading Parquet")
    pq = _pyarrow("parquet", "reading Parquet")
    try:
        handle = pq.ParquetFile(path)
        schema = handle.schema_arrow
        # name columns come as dictionaries (Parquet stores them so): the estimate reads their codes
        # without hashing a million strings; they are written back with the file's own type
        names = [f.name for f in schema if f.name in runs_module.TEXT_COLUMNS and _is_text(f.type)]
        if names:
            handle.close()
            handle = pq.ParquetFile(path, read_dictionary=names)
    except (OSError, ValueError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        raise InputError(f"{path}: cannot read as Parquet ({_arrow_message(exc)})") from None
    progress.total = handle.metadata.num_rows
    progress.unit, progress.unit_scale = "rows", True

    def batches() -> Iterator[Any]:
        try:
            for batch in handle.iter_batches(batch_size=CHUNK_ROWS):
                yield batch
                progress.update(batch.num_rows)
        except (OSError, pa.ArrowInvalid) as exc:
            raise InputError(f"{path}: cannot read as Parquet ({_arrow_message(exc)})") from None
        finally:
            handle.close()

    return schema, batches()


def _is_text(kind: Any) -> bool:
    pa = _pyarrow("", "reading")
    return bool(pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind))


def _text_array(array: Any) -> Any:
    """An Arrow text (or dictionary-of-text) array as plain ``string``."""
    pa = _pyarrow("", "reading")
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()  # a cast cannot decode a dictionary of string_view
    if pa.types.is_large_string(array.type) or pa.types.is_string_view(array.type):
        array = array.cast(pa.string())
    return array


def _number_column(array: Any) -> npt.NDArray[Any]:
    """One number column for the arithmetic: float64 where every cell parses, else object.

    Text is parsed with Arrow's vectorised cast; only a chunk holding a cell
    that does not parse goes through ``pandas.to_numeric(errors="coerce")``,
    and the unparsed cells keep their text so that ``estimate()`` words their
    message ("hours must be a number ...; got 'abc'"). Booleans are not numbers:
    their cells stay ``True``/``False`` and are refused as ``estimate()`` refuses them.
    """
    pa = _pyarrow("", "reading")
    pc = _pyarrow("compute", "reading")
    kind = array.type
    if pa.types.is_dictionary(kind):
        array, kind = array.cast(kind.value_type), kind.value_type
    if pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_decimal(kind):
        floats: FloatArray = array.cast(pa.float64()).to_numpy(zero_copy_only=False)
        return floats
    if pa.types.is_boolean(kind) or pa.types.is_null(kind):
        return np.asarray(array.to_pylist(), dtype=object)
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)):
        return np.asarray(array.to_pylist(), dtype=object)  # dates, lists, ...: refused per row by estimate()
    array = _text_array(array)
    for attempt in ("as read", "with the blank words blank"):
        if attempt != "as read":  # "NA", "-", ... mean not given (checked only when a cell did not parse)
            blank = pc.is_in(array, value_set=pa.array(NUMBER_NA, type=pa.string()))
            array = pc.if_else(blank, pa.scalar(None, type=pa.string()), array)
        try:
            parsed = pc.cast(array, pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            continue
        fast: FloatArray = parsed.to_numpy(zero_copy_only=False)  # blank cells are NaN
        if np.count_nonzero(np.isnan(fast)) == parsed.null_count:  # no cell reading "nan": every number parsed
            return fast
    text = array.to_pandas()
    stripped = text.str.strip()
    text = text.where(stripped != "", None)
    numeric = pd.to_numeric(text, errors="coerce")
    unparsed = (numeric.isna() & text.notna()).to_numpy()
    if not unparsed.any():
        exact: FloatArray = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
        return exact
    mixed = np.array(numeric.to_numpy(dtype=object, na_value=None), dtype=object)
    mixed[unparsed] = text.to_numpy(dtype=object)[unparsed]
    return mixed


class _UnclosedQuote(Exception):
    """A name cell of a CSV holds a line break: a closing quote is missing."""


def _name_factor(array: Any, from_csv: bool) -> Factor:
    """A name column for the arithmetic: codes into its distinct texts, from Arrow's dictionary encoding."""
    pa = _pyarrow("", "reading")
    pc = _pyarrow("compute", "reading")
    if not pa.types.is_dictionary(array.type):
        if not _is_text(array.type):
            return Factor.of(np.asarray(array.to_pylist(), dtype=object))  # numbers as names: refused
        array = array.dictionary_encode()  # large or view strings too: only the distinct texts are cast below
    array = pa.DictionaryArray.from_arrays(array.indices, _text_array(array.dictionary))
    if from_csv and pc.any(pc.match_substring(array.dictionary, "\n")).as_py():
        raise _UnclosedQuote
    codes = pc.fill_null(array.indices, -1).to_numpy(zero_copy_only=False)
    return Factor(codes, array.dictionary.to_pylist())


def _compute_batch(
    batch: Any, from_csv: bool, data_files: DataFiles, memo: runs_module.Memo | None, outputs: Sequence[str]
) -> _Result:
    """The arithmetic over one batch: its input columns straight from Arrow (a ``start`` column through pandas)."""
    names = [n for n in batch.schema.names if n in INPUT_COLUMNS]
    columns = {n: batch.column(batch.schema.get_field_index(n)) for n in names}
    numbers = {n: _number_column(a) for n, a in columns.items() if n in NUMBER_COLUMNS}
    factors = {n: _name_factor(a, from_csv) for n, a in columns.items() if n not in NUMBER_COLUMNS}
    if runs_module.START_COLUMN not in batch.schema.names:
        return runs_module.compute_columns(batch.num_rows, numbers, factors, data_files, memo, outputs)
    data: dict[str, Any] = {
        **numbers,
        **{n: np.array([*f.uniques, None], dtype=object)[f.codes] for n, f in factors.items()},
    }
    data[runs_module.START_COLUMN] = batch.column(batch.schema.get_field_index(runs_module.START_COLUMN)).to_pandas()
    frame = pd.DataFrame(data, index=pd.RangeIndex(batch.num_rows), copy=False)
    return _compute(frame, data_files, memo)


def _result_type(name: str) -> Any:
    """The Arrow type of result column ``name``: float64 numbers, int64 years, UTF-8 text (estimate_many's dtypes)."""
    pa = _pyarrow("", "writing")
    if name in runs_module.FLOAT_OUTPUTS:
        return pa.float64()
    if name in runs_module.INT_OUTPUTS:
        return pa.int64()
    return pa.string()


def _to_arrow(values: Any, kind: Any, coded: bool = False) -> Any:
    """A result column (float64 array, NaN blank; or codes.Text) as an Arrow array of type ``kind``.

    ``coded``: a text column stays a dictionary array of its codes (for a Parquet
    file, which stores it so: see :class:`_Writer`).
    """
    pa = _pyarrow("", "writing")
    if isinstance(values, Text):  # indices into the distinct texts: no Python string per row
        if coded and kind == pa.string():
            return _used_only(values.codes, pa.array(values.labels, type=pa.string()))
        indices = pa.array(values.codes, mask=values.codes < 0)
        array = pa.DictionaryArray.from_arrays(indices, pa.array(values.labels, type=pa.string()))
        return array.dictionary_decode() if kind == pa.string() else array.cast(kind)
    array = pa.array(values, from_pandas=True)  # NaN is a blank cell, as pandas has it
    return array if array.type == kind else array.cast(kind)


def _used_only(codes: npt.NDArray[Any], dictionary: Any) -> Any:
    """A dictionary array of ``codes`` (-1: blank) holding only the entries some row uses.

    Parquet's writer takes a column chunk's statistics (min, max) from its
    dictionary and writes the dictionary whole: an entry no row of the chunk
    uses (a row group's names read by ``read_dictionary``, a label of rows
    blanked as bad) would widen the one and grow the other.
    """
    pa = _pyarrow("", "writing")
    renumbered, kept = compacted(codes, len(dictionary))
    if len(kept) < len(dictionary):
        dictionary = dictionary.take(pa.array(kept))
    indices = pa.array(np.asarray(renumbered, dtype=np.int32), mask=codes < 0)
    return pa.DictionaryArray.from_arrays(indices, dictionary)


def _as_input_type(array: Any, kind: Any, coded: bool) -> Any:
    """An input column with the type it is written with: ``kind``, or (``coded``) a dictionary of ``kind``."""
    pa = _pyarrow("", "writing")
    if array.type == kind:
        return array
    if pa.types.is_dictionary(array.type) and not pa.types.is_dictionary(kind):
        if not coded or pa.types.is_string_view(kind):  # Parquet's writer takes no dictionary of string_view
            array = array.dictionary_decode()
            return array if array.type == kind else array.cast(kind)
        # a name column read as Parquet's dictionary: the row group's, trimmed to this batch's names
        dictionary = array.dictionary if array.dictionary.type == kind else array.dictionary.cast(kind)
        codes = array.indices.to_numpy(zero_copy_only=False) if array.null_count == 0 else None
        if codes is None:
            codes = array.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return _used_only(codes, dictionary)
    return array.cast(kind)


def _csv_types(schema: Any) -> Any:
    """``schema`` with string_view columns as string: the same text, in a type Arrow's CSV writer takes."""
    pa = _pyarrow("", "writing")
    return pa.schema([f.with_type(pa.string()) if pa.types.is_string_view(f.type) else f for f in schema])


def _cast_batch(batch: Any, schema: Any) -> Any:
    """``batch`` with the types of ``schema`` (column by column: RecordBatch.cast is pyarrow 16+)."""
    pa = _pyarrow("", "writing")
    columns = [c if c.type == f.type else c.cast(f.type) for c, f in zip(batch.columns, schema, strict=True)]
    return pa.RecordBatch.from_arrays(columns, schema=schema)


class _Writer:
    """Streams result batches to CSV or Parquet with one schema fixed by the first batch.

    The writing runs on a thread of its own: Arrow formats and compresses
    without holding the GIL, so chunk k is written while chunk k+1 is read and
    computed. At most two batches wait, so memory stays flat.

    Parquet stores text as a dictionary of distinct values and codes per row.
    With ``coded``, text columns arrive as Arrow dictionary arrays (the codes the
    estimate already has), so the writer does not decode them to strings and
    hash them back; the file records the Arrow schema of :func:`output_schema`
    (plain ``string`` columns, as ``store_schema`` would for the decoded table),
    so a reader gets the types it always got.
    """

    def __init__(self, path: Path | None, handle: IO[bytes] | None, parquet: bool) -> None:
        import queue
        import threading

        self.path, self.handle, self.parquet = path, handle, parquet
        self._writer: Any = None
        self._csv_schema: Any = None
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=2)
        self._failed: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="co2-estimator-writer", daemon=True)
        self._thread.start()

    @property
    def coded(self) -> bool:
        """Whether batches should keep their text columns as dictionaries (Parquet, a pyarrow that can)."""
        return self.parquet and hasattr(_pyarrow("parquet", "writing Parquet").ParquetWriter, "add_key_value_metadata")

    def _open(self, schema: Any, stored: Any) -> None:
        pa = _pyarrow("", "writing")
        if self.parquet:
            pq = _pyarrow("parquet", "writing Parquet")
            # text columns dictionary-encoded (repeated names are written once a page: smaller and faster), and
            # the result numbers that are one per combination (a 1M-row file 7 % smaller, in the same time);
            # other numbers plain (five result columns are distinct per row: a dictionary would be hashed for
            # nothing, and so would an input's hours or job ids)
            text = [f.name for f in stored if _is_text(f.type) or pa.types.is_dictionary(f.type)]
            text += [n for n in runs_module.PER_COMBINATION_OUTPUTS if n in stored.names and n not in text]
            coded = schema != stored
            self._writer = pq.ParquetWriter(
                str(self.path), schema, use_dictionary=text or False, store_schema=not coded
            )
            if coded:  # what store_schema writes (pyarrow's docs: the "ARROW:schema" key), of the decoded table
                import base64

                kept = {k: v for k, v in (stored.metadata or {}).items() if k != b"ARROW:schema"}
                self._writer.add_key_value_metadata({**kept, "ARROW:schema": base64.b64encode(stored.serialize())})
        else:
            pa_csv = _pyarrow("csv", "writing CSV")
            options = pa_csv.WriteOptions(quoting_style="needed")  # every text cell quoted, numbers bare
            self._csv_schema = _csv_types(schema)
            self._writer = pa_csv.CSVWriter(self.handle, self._csv_schema, write_options=options)

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._failed is not None:
                continue  # drain: the error is raised by write() or close()
            batch, stored = item
            try:
                if self._writer is None:
                    self._open(batch.schema, stored)
                if self.parquet:
                    self._writer.write_batch(batch, row_group_size=max(batch.num_rows, 1))
                elif self._csv_schema != batch.schema:  # string_view text, which Arrow's CSV writer cannot take
                    self._writer.write_batch(_cast_batch(batch, self._csv_schema))
                else:
                    self._writer.write_batch(batch)
            except BaseException as exc:  # handed to the caller's thread
                self._failed = exc

    def write(self, batch: Any, stored: Any) -> None:
        """Write ``batch``; ``stored``: the schema a reader of the file gets (the batch's own, or its decoded one)."""
        if self._failed is not None:
            raise self._failed
        self._queue.put((batch, stored))  # every batch has the one output schema (_run_chunks fixes it)

    def close(self) -> None:
        """Finish writing (or stop after an error) and raise the writer's error, if any."""
        self._queue.put(None)
        self._thread.join()
        if self._writer is not None:
            self._writer.close()
        if self._failed is not None:
            raise self._failed


def result_columns(columns: Sequence[str] | str | None) -> tuple[str, ...]:
    """The result columns to write, in OUTPUT_COLUMNS' order: ``columns`` (None: all) and always ``error``.

    ``error`` is always written: a bad row must say so. An unknown name is
    refused with the list of result columns and the closest one.
    """
    if columns is None:
        return OUTPUT_COLUMNS
    import difflib

    asked = [c.strip() for c in columns.split(",")] if isinstance(columns, str) else [str(c) for c in columns]
    asked = [c for c in asked if c] if isinstance(columns, str) else asked  # "a,b," is a and b
    if not asked and isinstance(columns, str):  # "" or " " on a command line (a Python [] asks for error alone)
        raise InputError(
            f"no result column named: give one or more of {', '.join(OUTPUT_COLUMNS)} (e.g. energy_kwh,co2e_g), "
            "or leave columns out for all of them",
            field="columns",
        )
    for name in asked:
        if name not in OUTPUT_COLUMNS:
            parts = [p.strip() for p in name.replace(";", " ").split()]
            if len(parts) > 1 and all(p in OUTPUT_COLUMNS for p in parts):
                hint = f"; separate them with commas: {','.join(parts)}"
            elif name.lower() in OUTPUT_COLUMNS:
                hint = f"; did you mean {name.lower()!r}?"
            else:
                close = difflib.get_close_matches(name, OUTPUT_COLUMNS, n=1, cutoff=0.5)
                hint = f"; did you mean {close[0]!r}?" if close else ""
            raise InputError(
                f"unknown result column {name!r}: the result columns are {', '.join(OUTPUT_COLUMNS)}{hint}",
                field="columns",
            )
    return tuple(c for c in OUTPUT_COLUMNS if c in asked or c == "error")


def output_schema(schema: Any, *, data_files: DataFiles = None, columns: Sequence[str] | str | None = None) -> Any:
    """The Arrow schema of the results for runs of Arrow schema ``schema``.

    The input columns come first, with their types (one named like a result
    column is kept as ``input_<name>``), then the result columns with one type
    each whatever a batch holds: float64 numbers, UTF-8 text. What Spark's
    ``mapInArrow`` needs up front; what every file chunk is written with.
    ``columns``: the result columns to write (see :func:`result_columns`; None: all).
    """
    wanted = result_columns(columns)
    pa = _pyarrow("", "batch")
    load_catalog(data_files)  # a data file that cannot be read is refused here, before any batch
    renamed = _renames([str(n) for n in schema.names])
    fields = [pa.field(renamed.get(f.name, f.name), f.type, f.nullable) for f in schema]
    fields += [pa.field(c, _result_type(c)) for c in wanted]
    # the table's own metadata (pandas' index and dtypes) describes the input columns as they are kept;
    # not when one was renamed, which it would describe under the result's name
    return pa.schema(fields, metadata=None if renamed else schema.metadata)


def _estimate_batch(
    batch: Any,
    schema: Any,
    data_files: DataFiles,
    from_csv: bool = False,
    memo: runs_module.Memo | None = None,
    coded: bool = False,
) -> tuple[Any, _Result]:
    """``batch`` with its results, typed as ``schema`` (``coded``: text columns as dictionaries of those types)."""
    pa = _pyarrow("", "batch")
    fields = list(schema)
    wanted = [f.name for f in fields[batch.num_columns :]]
    result = _compute_batch(batch, from_csv, data_files, memo, wanted)
    arrays = [_as_input_type(batch.column(i), f.type, coded) for i, f in enumerate(fields[: batch.num_columns])]
    arrays += [_to_arrow(result.values[f.name], f.type, coded) for f in fields[batch.num_columns :]]
    if coded:  # the fields as they are, their types as the arrays have them
        schema = pa.schema([f.with_type(a.type) for f, a in zip(fields, arrays, strict=True)], schema.metadata)
    return pa.RecordBatch.from_arrays(arrays, schema=schema), result


def estimate_arrow(
    batch: Any, *, data_files: DataFiles = None, schema: Any = None, memo: runs_module.Memo | None = None
) -> Any:
    """Runs as an Arrow ``RecordBatch`` in, the same batch with the result columns out.

    The per-batch step of every Arrow path (files, Spark's ``mapInArrow``):
    input columns pass through untouched, results typed as :func:`output_schema`
    says (give ``schema`` to skip working it out per batch; it also chooses the
    result columns). Each row equals :func:`estimator.estimate` of that row, or
    carries its message in ``error``. ``memo`` (an :class:`estimator.runs.Memo`,
    one per stream of batches with the same ``data_files``) keeps what each
    combination resolved to for the next batch.
    """
    if schema is None:
        schema = output_schema(batch.schema, data_files=data_files)
    return _estimate_batch(batch, schema, data_files, memo=memo)[0]


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
    message = f"{where}{col}: {result.error(i)}"
    return BatchRowError(message, position=record, column=column, line=line)


def _empty_batch(names: Sequence[str], schema: Any = None) -> Any:
    """A batch of no rows: of ``schema`` (a Parquet file's), else every column of ``names`` text (a CSV's)."""
    pa = _pyarrow("", "reading")
    if schema is None:
        schema = pa.schema([pa.field(n, pa.string()) for n in names])
    return pa.RecordBatch.from_arrays([pa.array([], type=f.type) for f in schema], schema=schema)


def _check_output(src: Path, output: str | os.PathLike[str] | None) -> Path | None:
    dest = Path(output) if output is not None else None
    if dest is not None and dest.is_dir():
        raise InputError(f"the output {dest} is a folder; give a file in it, e.g. {dest / 'results.csv'}")
    if dest is not None and dest.suffix.lower() not in (".csv", *PARQUET_SUFFIXES):
        got = f"got {dest.suffix!r}" if dest.suffix else "it has none"
        raise InputError(
            f"the output file {dest} must end in .csv or .parquet (e.g. {dest.with_suffix('.csv')}); {got}"
        )
    if dest is not None and dest.resolve() == src.resolve():
        raise InputError(f"the output {dest} is the input file; write the results to another file")
    return dest


def _open_batches(src: Path, csv_sep: str | None, header_names: list[str], bar: Any) -> tuple[list[str], Any, Any]:
    """The column names, the record batches and the schema to write the input columns with (None: the
    batches' own) of a CSV (``csv_sep`` given) or Parquet file."""
    if csv_sep is not None:
        return header_names, _csv_batches(src, csv_sep, header_names, bar), None
    schema, batches = _parquet_batches(src, bar)
    names = [str(n) for n in schema.names]
    try:
        _check_columns(names)
    except InputError as exc:
        raise InputError(f"{src}: {exc}") from None
    return names, batches, schema


@dataclass(frozen=True)
class _Options:
    """How estimate_file was asked to run."""

    data_files: DataFiles
    strict: bool
    csv_sep: str | None  # None: Parquet
    columns: tuple[str, ...]


def _run_chunks(
    src: Path,
    batches: Iterator[Any],
    in_schema: Any,
    writer: _Writer,
    tally: _Tally,
    options: _Options,
    memo: runs_module.Memo,
) -> None:
    """Every chunk through the estimate and to the writer; under ``strict`` stop at the first bad row.

    ``in_schema``: the input columns' types to write (a Parquet file's own), None: the first batch's.
    ``memo``: one for the file (a combination met in one chunk is not resolved again in the next).
    """
    out_schema: Any = None
    data_files = options.data_files
    for batch in batches:
        if out_schema is None:
            given = batch.schema if in_schema is None else in_schema
            out_schema = output_schema(given, data_files=data_files, columns=options.columns)
        out_batch, result = _estimate_chunk(src, batch, out_schema, data_files, options.csv_sep, memo, writer.coded)
        if options.strict and result.bad.any():
            raise _strict_error(result, src, options.csv_sep, tally.rows)
        writer.write(out_batch, out_schema)
        tally.add(result)


def _csv_header(src: Path, sep: str | None) -> tuple[list[str], str]:
    """The column names of a CSV file and its delimiter (given, or guessed from the header), checked."""
    header = _read_header(src)
    csv_sep = sep or _sniff_separator(header)
    if len(csv_sep) != 1:
        raise InputError(f"--sep must be one character such as ',' ';' or a tab; got {csv_sep!r}")
    names = [c.strip() for c in next(csv.reader([header.rstrip("\r\n")], delimiter=csv_sep))]
    try:
        _check_columns(names)
    except InputError as exc:
        raise InputError(f"{src}: {exc}{_wrong_separator_hint(header, csv_sep)}") from None
    return names, csv_sep


def _estimate_chunk(
    src: Path, batch: Any, schema: Any, data_files: DataFiles, sep: str | None, memo: runs_module.Memo, coded: bool
) -> tuple[Any, _Result]:
    """One chunk of a file (``sep``: a CSV's delimiter, None for Parquet) through the estimate; errors that stop
    the file name it."""
    try:
        try:
            return _estimate_batch(batch, schema, data_files, sep is not None, memo, coded)
        except _UnclosedQuote:
            stat = src.stat()
            if sep is None or not _quotes_closed(src, stat.st_mtime_ns, stat.st_size, sep):
                raise
            # every quote of the file is closed: a name holding a line break ('"nvidia-t4\n"', as pandas writes
            # one) is a name, read as estimate() reads it
            return _estimate_batch(batch, schema, data_files, False, memo, coded)
    except InputError as exc:
        raise InputError(f"{src}: {exc}") from None
    except _UnclosedQuote:
        raise InputError(
            f"{src}: cannot read as CSV (a name cell runs over a line break: is a closing quote missing?)"
        ) from None


@functools.lru_cache(maxsize=16)
def _quotes_closed(path: Path, mtime_ns: int, size: int, sep: str) -> bool:
    """Whether every quoted cell of ``path`` is closed: Python's CSV reader, strict, reaches the end outside one.

    A literal quote in an unquoted cell (``12" disk``) is text, as Arrow reads it. Read only when a name cell
    holds a line break (rare), once per file as it is (``mtime_ns``, ``size``: the cache's key).
    """
    with open(path, encoding="utf-8", errors="replace", newline="") as fh:
        try:
            for _ in csv.reader(fh, delimiter=sep, strict=True):
                pass
        except csv.Error:
            return False
    return True


@dataclass
class _Tally:
    """Rows, bad rows, totals over the good rows [kWh, g], the first three messages."""

    rows: int = 0
    errors: int = 0
    energy_kwh: float = 0.0
    co2e_g: float = 0.0
    first_errors: list[str] = field(default_factory=list)

    def add(self, result: _Result) -> None:
        n_bad = int(result.bad.sum())
        if n_bad and len(self.first_errors) < 3:
            for i in np.flatnonzero(result.bad)[: 3 - len(self.first_errors)]:
                self.first_errors.append(f"row {self.rows + int(i) + 1}: {result.error(int(i))}")
        self.rows += len(result.bad)
        self.errors += n_bad
        self.energy_kwh += float(np.nansum(result.values["energy_kwh"]))
        self.co2e_g += float(np.nansum(result.values["co2e_g"]))

    def summary(self, output: str, notes: Sequence[str]) -> BatchSummary:
        return BatchSummary(
            rows=self.rows,
            errors=self.errors,
            energy_kwh=self.energy_kwh,
            co2e_g=self.co2e_g,
            output=output,
            first_errors=tuple(self.first_errors),
            notes=tuple(notes),
        )


def _copy_out(buffer: IO[bytes], out: IO[str]) -> None:
    """The finished CSV from ``buffer`` to ``out`` (stdout), 1 MiB at a time."""
    buffer.seek(0)
    text = io.TextIOWrapper(buffer, encoding="utf-8", newline="")
    while block := text.read(1 << 20):
        out.write(block)
    out.flush()
    text.detach()


def _at_least_one(batches: Iterator[Any], names: Sequence[str], schema: Any = None) -> Iterator[Any]:
    """``batches``, or one empty batch when there are none: a header-only file still gets its header written."""
    empty = True
    for batch in batches:
        empty = False
        yield batch
    if empty:
        yield _empty_batch(names, schema)


def estimate_file(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str] | None = None,
    *,
    data_files: DataFiles = None,
    strict: bool = False,
    sep: str | None = None,
    progress: bool | None = None,
    stdout: IO[str] | None = None,
    columns: Sequence[str] | str | None = None,
) -> BatchSummary:
    """Run :func:`estimate_many` over a CSV or Parquet file of runs and write the result.

    The format follows the suffix (``.parquet`` / ``.pq``, else CSV). Both are
    streamed through Arrow in chunks (8 MiB of CSV, 125,000 Parquet rows), so
    memory stays flat; a progress bar shows on a terminal (``progress=False``
    turns it off). ``sep``: the CSV delimiter, guessed from the header when None.
    Input columns are written back as read (CSV cells as their text, Parquet
    columns with their type); the result columns have one type for the whole
    file; an input column named like a result is kept as ``input_<name>`` (the
    summary says so). ``columns``: the result columns to write (names from
    OUTPUT_COLUMNS, a list or one comma-separated text; ``error`` is always
    written; None: all). ``output`` None writes CSV to ``stdout``. The output is
    moved into place only when complete: a failure (a bad row under
    ``strict`` too) leaves no partial file.
    """
    _pyarrow("", "batch files")  # a clear message now if pyarrow is missing
    src = Path(source)
    dest = _check_output(src, output)
    wanted = result_columns(columns)
    show = sys.stderr.isatty() if progress is None else progress

    csv_sep: str | None = None
    if _is_parquet(src):
        _check_source(src)
        header_names: list[str] = []
    else:
        header_names, csv_sep = _csv_header(src, sep)

    tally = _Tally()
    notes: list[str] = []
    from tqdm import tqdm

    atomic = fileio.AtomicFile(dest) if dest is not None else None  # from here to the try: no import, no call
    buffer = None
    try:
        if atomic is None:
            buffer = tempfile.TemporaryFile(mode="w+b")  # noqa: SIM115 - closed below
        with tqdm(
            total=src.stat().st_size, unit="B", unit_scale=True, desc=src.name, disable=not show, delay=0.5
        ) as bar:
            names, batches, in_schema = _open_batches(src, csv_sep, header_names, bar)
            renamed = _renames(names)
            if renamed:
                notes.append(_rename_note(renamed))
            if unread := runs_module.unread_columns_note(names):
                notes.append(unread)
            parquet_out = dest is not None and _is_parquet(dest)
            handle: Any = atomic.tmp.open("wb") if atomic is not None and not parquet_out else buffer
            writer = _Writer(atomic.tmp if atomic is not None else None, handle, parquet_out)
            memo = runs_module.Memo()
            try:
                chunks = _at_least_one(batches, names, in_schema)
                options = _Options(data_files, strict, csv_sep, wanted)
                _run_chunks(src, chunks, in_schema, writer, tally, options, memo)
            finally:
                writer.close()
                if handle is not None and handle is not buffer:
                    handle.close()
        if read := runs_module.readings_note(memo):
            notes.append(read)
        if atomic is not None:
            atomic.commit()
        elif buffer is not None:
            _copy_out(buffer, stdout or sys.stdout)
    except OSError as exc:
        if atomic is not None:
            atomic.discard()
        if isinstance(exc, BrokenPipeError) and dest is None:
            raise  # `co2-estimator batch runs.csv | head`: the reader closed the pipe; the CLI ends quietly
        target = dest if dest is not None else "stdout"
        raise InputError(f"cannot write {target}: {exc.strerror or exc}; nothing written") from None
    except BaseException:
        if atomic is not None:
            atomic.discard()
        raise
    finally:
        if buffer is not None:
            buffer.close()
    return tally.summary(str(dest) if dest is not None else "<stdout>", notes)


def summary_text(s: BatchSummary) -> str:
    """One or a few lines about a file run, for the CLI."""
    from estimator.report import counted, energy, mass

    head = f"{counted(s.rows, 'run')} → {s.output}: {s.estimated:,} estimated"
    if s.errors:
        head += f", {s.errors:,} with an error (see the 'error' column)"
    lines = [
        head,
        f"total {mass(s.co2e_g)} from {energy(s.energy_kwh)} (TDP is an upper bound; intensity basis per row)",
    ]
    lines += [f"  {e}" for e in s.first_errors]
    if s.errors > len(s.first_errors):
        lines.append(f"  and {s.errors - len(s.first_errors):,} more (the 'error' column has each)")
    lines += [f"note: {n}" for n in s.notes]
    return "\n".join(lines)


__all__ = [
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "BatchRowError",
    "BatchSummary",
    "estimate_arrow",
    "estimate_file",
    "estimate_many",
    "output_schema",
    "result_columns",
    "summary_text",
]
