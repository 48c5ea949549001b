"""Many runs at once: a table of runs in, the same table with energy and CO2e out.

    >>> import pandas as pd
    >>> from estimator import estimate_many
    >>> runs = pd.DataFrame({"hardware": ["A100 SXM4 80GB"], "hours": [72], "count": [8], "region": ["FR"]})
    >>> estimate_many(runs)[["energy_kwh", "co2e_g", "error"]]  # doctest: +SKIP

How it is fast and still exact: the rows are grouped by their distinct
combination of names (hardware, instance, region, provider, cpu, ...), each
combination is resolved ONCE through :func:`estimator.estimate` (so the
catalog, the defaults and the error messages are the one-run ones), and the
per-row numbers (hours, count, power_w, utilization, pue, intensity) go
through numpy in the same order of operations as :mod:`estimator.core`:

    draw_w     = count × power_w × utilization (+ CPU draw) (+ memory draw)
    energy_kwh = draw_w × hours × pue / 1000
    co2e_g     = energy_kwh × intensity_g_per_kwh

so every row equals ``estimate()`` of that row to the last bit. A row whose
numbers fail the one-run checks is passed to ``estimate()`` itself, which
supplies its message. Bad rows are never dropped: their message is in the
``error`` column and their numbers are NaN. ``strict=True`` raises at the
first bad row instead.

``estimate_many`` keeps no state between calls and each row depends on that
row alone, so it is safe per partition of a distributed table (Dask's
``map_partitions``, Spark's ``mapInPandas``; see docs/batch.md).

This module imports pandas and numpy; ``import estimator`` does not import it.
"""

from __future__ import annotations

import csv
import difflib
import io
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from estimator import core, fileio
from estimator.api import DataFiles, estimate
from estimator.catalog import load_catalog
from estimator.errors import EstimatorError, InputError
from estimator.version import __version__

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Input columns: names resolved once per distinct combination ...
TEXT_COLUMNS = ("hardware", "instance", "region", "provider", "cpu")
# ... numbers that are part of the combination (rarely vary row to row) ...
KEY_NUMBER_COLUMNS = ("cpu_count", "cpu_cores", "cpu_utilization", "memory_gb")
# ... and numbers computed per row with numpy.
ROW_NUMBER_COLUMNS = ("hours", "count", "power_w", "utilization", "pue", "intensity")
INPUT_COLUMNS = TEXT_COLUMNS + ROW_NUMBER_COLUMNS + KEY_NUMBER_COLUMNS
NUMBER_COLUMNS = ROW_NUMBER_COLUMNS + KEY_NUMBER_COLUMNS

OUTPUT_COLUMNS = (
    "energy_kwh",
    "co2e_g",
    "draw_w",
    "pue_used",
    "pue_basis",
    "intensity_g_per_kwh",
    "intensity_basis",
    "hardware_id",
    "region_id",
    "error",
)
_FLOAT_OUTPUTS = ("energy_kwh", "co2e_g", "draw_w", "pue_used", "intensity_g_per_kwh")
_TEXT_OUTPUTS = ("pue_basis", "intensity_basis", "hardware_id", "region_id", "error")

# Representative valid values used while resolving a combination; the row's own
# values replace them in the arithmetic.
_PROBE = {"hours": 1.0, "count": 1, "power_w": 1.0, "pue": 1.0, "intensity": 100.0, "utilization": 1.0}
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


# ---------------------------------------------------------------- columns


def _check_columns(columns: Sequence[Any]) -> None:
    names = [str(c) for c in columns]
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise InputError(f"duplicate column {dupes[0]!r}; each input column may appear once")

    def hint(wanted: str) -> str:
        lowered = {c.strip().lower(): c for c in names}
        if wanted in lowered:
            return f" (found {lowered[wanted]!r}; column names are lower case)"
        close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
        return f" (did you mean {close[0]!r}?)" if close else ""

    found = f"; the columns found are: {', '.join(map(repr, names[:12]))}" if names else "; no columns found"
    if "hours" not in names:
        raise InputError(f"missing column 'hours' (wall-clock hours per run, > 0){hint('hours')}{found}")
    if "trials" in names:
        raise InputError(
            "a 'trials' column is not read in batch: give one row per run, or multiply hours by the trials"
        )
    if not any(c in names for c in ("hardware", "instance", "cpu", "power_w")):
        raise InputError(
            "missing column 'hardware' or 'instance': each run needs a device "
            f"(e.g. 'nvidia-a100-sxm4-80gb') or a cloud instance type (e.g. 'aws:p4d.24xlarge')"
            f"{hint('hardware') or hint('instance')}{found}"
        )
    if not any(c in names for c in ("region", "intensity")):
        raise InputError(
            "missing column 'region' (e.g. 'gcp:us-central1', 'FR', 'world') or 'intensity' (gCO2e/kWh)"
            f"{hint('region')}{found}"
        )


def _numbers(series: pd.Series[Any]) -> tuple[FloatArray, BoolArray, BoolArray]:
    """(values as float64, given, parsed): text that reads as a number counts as one."""
    n = len(series)
    if series.dtype == bool or isinstance(series.dtype, pd.BooleanDtype):
        # True is not a number of hours; let the one-run checks say so.
        given = series.notna().to_numpy(dtype=bool)
        return np.full(n, np.nan), given, np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        given = ~np.isnan(values)
        return values, given, given.copy()
    raw = series.to_numpy(dtype=object)
    blank = np.fromiter(
        (v is None or (isinstance(v, float) and math.isnan(v)) or (isinstance(v, str) and not v.strip()) for v in raw),
        dtype=bool,
        count=n,
    )
    is_bool = np.fromiter((isinstance(v, bool | np.bool_) for v in raw), dtype=bool, count=n)
    cleaned = raw.copy()
    cleaned[is_bool | blank] = None
    numeric: Any = pd.to_numeric(pd.Series(cleaned, dtype="object"), errors="coerce")
    out: FloatArray = numeric.to_numpy(dtype=np.float64, na_value=np.nan)
    given = ~blank
    parsed = given & ~np.isnan(out) & ~is_bool
    # A literal "nan" parses to NaN; keep it as given-but-unparsed so it gets a message.
    return out, given, parsed


def _choose(mask: BoolArray, a: Any, b: Any) -> npt.NDArray[Any]:
    """np.where, typed."""
    chosen: npt.NDArray[Any] = np.where(mask, a, b)
    return chosen


def _raw(series: pd.Series[Any], i: int) -> Any:
    value = series.iat[i]
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


# ---------------------------------------------------------------- resolving combinations


@dataclass
class _Combo:
    """What one distinct combination of names resolves to (or its error)."""

    error: str | None = None
    column: str | None = None
    has_main: bool = False
    main_power_w: float = math.nan
    main_count: float = math.nan
    rest_draw_w: tuple[float, float] = (0.0, 0.0)
    pue: float = math.nan
    pue_basis: str | None = None
    intensity: float = math.nan
    intensity_basis: str | None = None
    hardware_id: str | None = None
    region_id: str | None = None


def _blame(exc: Exception, kwargs: dict[str, Any]) -> str | None:
    """The input column an error from ``estimate()`` is about."""
    message = str(exc)
    for column in ("instance", "hardware", "cpu", "region", "provider"):
        value = kwargs.get(column)
        if isinstance(value, str) and repr(value) in message:
            return column
    first = message.split(" ", 1)[0].strip(":")
    if first in INPUT_COLUMNS:
        return first
    if message.startswith("nothing to estimate"):
        return "hardware"
    if message.startswith("give region"):
        return "region"
    if message.startswith("give cpu_count"):
        return "cpu_cores"
    for column in INPUT_COLUMNS:
        if column in message:
            return column
    return None


@dataclass
class _Memo:
    """Lookup errors already met, so a bad name repeated across combinations is explained once.

    A hardware name fails the same way whenever the inputs estimate() checks
    before it (instance, CPU numbers, which numbers are given) are the same; a
    region name fails the same way once the device side is known to succeed.
    """

    hardware: dict[tuple[Any, ...], _Combo] = field(default_factory=dict)
    region: dict[tuple[Any, ...], _Combo] = field(default_factory=dict)


def _resolve(kwargs: dict[str, Any], given: dict[str, bool], data_files: DataFiles, memo: _Memo) -> _Combo:
    probe = {k: (_PROBE[k] if given.get(k) else None) for k in ("count", "power_w", "pue", "intensity")}
    call = {**kwargs, **probe, "hours": _PROBE["hours"], "utilization": _PROBE["utilization"]}
    hw_key = (
        *(kwargs.get(c) for c in ("hardware", "instance", "cpu_count", "cpu_cores", "cpu_utilization")),
        given.get("count"),
        given.get("power_w"),
    )
    region_key = (kwargs.get("region"), kwargs.get("provider"), kwargs.get("instance"))
    if hw_key in memo.hardware:
        return memo.hardware[hw_key]
    if region_key in memo.region:
        try:  # the device side alone: its error comes first, as in estimate()
            estimate(
                **{**call, "region": None, "intensity": probe["intensity"] or _PROBE["intensity"]},
                data_files=data_files,
            )
        except EstimatorError as exc:
            return _Combo(error=" ".join(str(exc).split()), column=_blame(exc, call))
        return memo.region[region_key]
    try:
        e = estimate(**call, data_files=data_files)
    except EstimatorError as exc:
        combo = _Combo(error=" ".join(str(exc).split()), column=_blame(exc, call))
        if combo.column == "hardware" and not given.get("power_w") and isinstance(exc, LookupError):
            memo.hardware[hw_key] = combo
        elif combo.column == "region" and isinstance(exc, LookupError):
            memo.region[region_key] = combo
        return combo
    catalog = load_catalog(data_files)
    instance_id = (e.hardware or {}).get("instance")
    has_accelerator = bool(instance_id and catalog.instances[instance_id].accelerator)
    has_main = kwargs.get("hardware") is not None or bool(given.get("power_w")) or has_accelerator
    rest = [c.draw_w for c in (e.components[1:] if has_main else e.components)]
    if len(rest) > 2:  # pragma: no cover - estimate() builds at most main + CPU + memory
        raise AssertionError("unexpected components")
    main = e.components[0] if has_main else None
    return _Combo(
        has_main=has_main,
        main_power_w=main.power_w if main else math.nan,
        main_count=main.count if main else math.nan,
        rest_draw_w=(*rest, 0.0, 0.0)[:2],  # type: ignore[arg-type]
        pue=e.pue,
        pue_basis=e.pue_basis,
        intensity=e.intensity_g_per_kwh,
        intensity_basis=e.intensity_basis,
        hardware_id=(e.hardware or {}).get("id"),
        region_id=(e.region or {}).get("id"),
    )


def _combination_codes(columns: Sequence[Any], n: int) -> tuple[npt.NDArray[np.int64], list[int]]:
    """One code per row for its combination of values in ``columns``, and the first row of each code."""
    codes = np.zeros(n, dtype=np.int64)
    for values in columns:
        col_codes, uniques = pd.factorize(values, use_na_sentinel=True)
        codes = codes * (len(uniques) + 1) + (col_codes.astype(np.int64) + 1)
        codes = pd.factorize(codes)[0].astype(np.int64)  # keep the mixed-radix number small
    # factorize numbers codes in order of first appearance: the running maximum steps up there.
    steps = np.diff(np.maximum.accumulate(codes), prepend=-1) > 0 if n else np.zeros(0, dtype=bool)
    return codes, [int(i) for i in np.flatnonzero(steps)]


# ---------------------------------------------------------------- the vectorised estimate


@dataclass
class _Result:
    frame: pd.DataFrame
    bad: BoolArray
    columns: list[str | None] = field(default_factory=list)


def _compute(runs: pd.DataFrame, data_files: DataFiles) -> _Result:
    _check_columns(list(runs.columns))
    n = len(runs)
    nums: dict[str, tuple[FloatArray, BoolArray, BoolArray]] = {}
    for c in NUMBER_COLUMNS:
        if c in runs.columns:
            nums[c] = _numbers(runs[c])
        else:
            nums[c] = (np.full(n, np.nan), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))

    # Per-row checks, the same rules as core.check_* (messages come from estimate() itself).
    hours, _, h_ok = nums["hours"]
    count, c_given, c_ok = nums["count"]
    power, p_given, p_ok = nums["power_w"]
    util, u_given, u_ok = nums["utilization"]
    pue, pue_given, pue_ok = nums["pue"]
    ci, ci_given, ci_ok = nums["intensity"]
    with np.errstate(invalid="ignore"):
        valid_by_column = {
            "hours": h_ok & np.isfinite(hours) & (hours > 0),
            "utilization": ~u_given | (u_ok & np.isfinite(util) & (util > 0) & (util <= 1)),
            "power_w": ~p_given | (p_ok & np.isfinite(power) & (power > 0) & (power <= core.MAX_POWER_W)),
            "count": ~c_given | (c_ok & np.isfinite(count) & (count >= 1) & (count == np.floor(count))),
            "pue": ~pue_given | (pue_ok & np.isfinite(pue) & (pue >= core.PUE_RANGE[0]) & (pue <= core.PUE_RANGE[1])),
            "intensity": ~ci_given
            | (
                ci_ok
                & np.isfinite(ci)
                & (ci >= core.INTENSITY_RANGE_G_PER_KWH[0])
                & (ci <= core.INTENSITY_RANGE_G_PER_KWH[1])
            ),
        }
    rows_ok = np.ones(n, dtype=bool)
    for ok in valid_by_column.values():
        rows_ok &= ok

    # Distinct combinations: names, combination numbers, and which per-row numbers are given.
    key: list[Any] = []
    for c in TEXT_COLUMNS:
        if c in runs.columns:
            key.append(runs[c])
    for c in KEY_NUMBER_COLUMNS:
        if c in runs.columns:
            values, given, parsed = nums[c]
            key.append(_choose(parsed, values, _choose(given, runs[c].to_numpy(dtype=object), None)))
    for c, flag in (("count", c_given), ("power_w", p_given), ("pue", pue_given), ("intensity", ci_given)):
        if c in runs.columns:
            key.append(flag)
    codes, firsts = _combination_codes(key, n)
    memo = _Memo()
    combos: list[_Combo] = []
    for i in firsts:
        kwargs: dict[str, Any] = {}
        for c in TEXT_COLUMNS:
            if c in runs.columns:
                kwargs[c] = _raw(runs[c], i)
        for c in KEY_NUMBER_COLUMNS:
            if c in runs.columns:
                values, given, parsed = nums[c]
                kwargs[c] = _whole(c, values[i]) if parsed[i] else (_raw(runs[c], i) if given[i] else None)
        given_i = {c: bool(nums[c][1][i]) for c in ("count", "power_w", "pue", "intensity")}
        combos.append(_resolve(kwargs, given_i, data_files, memo))

    def per_combo(get: Callable[[_Combo], Any], dtype: Any) -> npt.NDArray[Any]:
        return np.array([get(k) for k in combos], dtype=dtype)[codes] if combos else np.empty(0, dtype=dtype)

    combo_error = per_combo(lambda k: k.error, object)
    combo_column = per_combo(lambda k: k.column, object)
    has_main = per_combo(lambda k: k.has_main, bool)
    good = rows_ok & pd.isna(combo_error)

    # The arithmetic, in core's order of operations.
    n_dev = np.where(c_given, count, per_combo(lambda k: k.main_count, np.float64))
    p_dev = np.where(p_given, power, per_combo(lambda k: k.main_power_w, np.float64))
    u_dev = np.where(u_given, util, 1.0)
    rest1 = per_combo(lambda k: k.rest_draw_w[0], np.float64)
    rest2 = per_combo(lambda k: k.rest_draw_w[1], np.float64)
    with np.errstate(invalid="ignore", over="ignore"):
        main = np.where(has_main, n_dev * p_dev * u_dev, 0.0)
        draw = (main + rest1) + rest2
        pue_used = np.where(pue_given, pue, per_combo(lambda k: k.pue, np.float64))
        ci_used = np.where(ci_given, ci, per_combo(lambda k: k.intensity, np.float64))
        energy = draw * hours * pue_used / 1000.0
        co2e = energy * ci_used
    pue_basis = _choose(pue_given, "user", per_combo(lambda k: k.pue_basis, object)).astype(object)
    ci_basis = _choose(ci_given, "user", per_combo(lambda k: k.intensity_basis, object)).astype(object)
    hardware_id = per_combo(lambda k: k.hardware_id, object)
    region_id = per_combo(lambda k: k.region_id, object)
    error = _choose(good, None, combo_error).astype(object)
    blame = _choose(good, None, combo_column).astype(object)

    # Rows with a bad number: estimate() itself gives the message (and would give the numbers).
    for row in np.flatnonzero(~rows_ok):
        i = int(row)
        kwargs = {c: _raw(runs[c], i) for c in TEXT_COLUMNS if c in runs.columns}
        for c in NUMBER_COLUMNS:
            if c in runs.columns:
                values, given, parsed = nums[c]
                kwargs[c] = _whole(c, values[i]) if parsed[i] else (_raw(runs[c], i) if given[i] else None)
        if kwargs.get("utilization") is None:
            kwargs.pop("utilization", None)
        if kwargs.get("cpu_utilization") is None:
            kwargs.pop("cpu_utilization", None)
        try:
            e = estimate(**kwargs, data_files=data_files)
        except EstimatorError as exc:
            error[i] = " ".join(str(exc).split())
            failed = [c for c, ok in valid_by_column.items() if not ok[i] and c in runs.columns]
            blame[i] = failed[0] if failed else _blame(exc, kwargs)
            continue
        # pragma: no cover - the vector checks above are the one-run checks; kept for safety
        good[i] = True
        energy[i], co2e[i], draw[i] = e.energy_kwh, e.co2e_g, e.draw_w
        pue_used[i], ci_used[i] = e.pue, e.intensity_g_per_kwh
        pue_basis[i], ci_basis[i] = e.pue_basis, e.intensity_basis
        hardware_id[i] = (e.hardware or {}).get("id")
        region_id[i] = (e.region or {}).get("id")
        error[i] = None

    bad = ~good
    for array in (energy, co2e, draw, pue_used, ci_used):
        array[bad] = np.nan
    for obj in (pue_basis, ci_basis, hardware_id, region_id):
        obj[bad] = None
    out = runs.copy(deep=False)
    outputs: dict[str, Any] = {
        "energy_kwh": energy,
        "co2e_g": co2e,
        "draw_w": draw,
        "pue_used": pue_used,
        "pue_basis": pue_basis,
        "intensity_g_per_kwh": ci_used,
        "intensity_basis": ci_basis,
        "hardware_id": hardware_id,
        "region_id": region_id,
        "error": error,
    }
    for name, values in outputs.items():
        dtype = np.float64 if name in _FLOAT_OUTPUTS else object
        out[name] = pd.Series(np.asarray(values, dtype=dtype), index=runs.index, dtype=dtype, copy=False)
    out.attrs.update(
        {
            "data_version": load_catalog(data_files).data_version,
            "package_version": __version__,
            "method": "TDP (or power_w) × count × utilization × hours × PUE × location-based intensity",
        }
    )
    return _Result(out, bad, list(blame))


def _whole(column: str, value: float) -> float | int:
    """Whole numbers of devices go to estimate() as int, like a person would pass them."""
    if column in ("count", "cpu_count") and value == int(value):
        return int(value)
    return float(value)


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
    lines = [head, f"total {mass(s.co2e_g)} from {energy(s.energy_kwh)} (location-based; TDP is an upper bound)"]
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
