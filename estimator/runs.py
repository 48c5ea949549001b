"""A table of runs in, the same table with energy and CO2e out: one resolve per combination.

How it is fast and still exact: the rows are grouped by their distinct
combination of everything that is resolved (names, the numbers that shape the
plan, which per-row numbers are given), each combination goes through
:func:`estimator.plan.resolve` once (the same function ``estimate()`` uses, so
the catalog, the defaults, the limits and the error messages are the one-run
ones), and the per-row numbers (hours, count, power, utilization, PUE,
intensity, trials) go through :func:`estimator.core.totals` as arrays: the very
function ``estimate()`` calls with plain numbers. Every good row equals
``estimate()`` of that row to the last bit, by construction.

Per-row numbers are checked with core's predicates (``core.hours_ok`` ...), the
same ones ``estimate()``'s checks use; a row that fails gets ``estimate()``'s
own message. Bad rows are never dropped: their message is in ``error`` and
their numbers are NaN.

Two ways in: :func:`compute` takes a pandas table (``estimate_many``);
:func:`compute_columns` takes columns already apart (the Arrow path of files
and Spark): numbers as float64 arrays, names as :class:`estimator.codes.Factor`
(codes into their distinct values). Text results are
:class:`estimator.codes.Text` (codes into their distinct labels), so a million rows hold a dozen region ids once each. A
:class:`Memo` carries what combinations resolved to from one chunk to the next.

This module imports pandas and numpy; ``import estimator`` does not import it.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from estimator import core
from estimator.api import DataFiles
from estimator.api import compute as compute_plan
from estimator.catalog import load_catalog
from estimator.codes import Factor, Text, factorized, key_of, keys_of
from estimator.errors import EstimatorError, InputError
from estimator.job import BATCH_INPUTS, LIKELY_MEANT, Job
from estimator.names import shown
from estimator.plan import Plan, resolve
from estimator.version import __version__

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

NUMBER_INPUTS = tuple(s.name for s in BATCH_INPUTS if s.kind in ("number", "whole"))
ROW_NUMBER_COLUMNS = tuple(s.name for s in BATCH_INPUTS if s.per_row)
KEY_NUMBER_COLUMNS = tuple(n for n in NUMBER_INPUTS if n not in ROW_NUMBER_COLUMNS)
TEXT_COLUMNS = tuple(s.name for s in BATCH_INPUTS if s.kind in ("name", "choice"))
INPUT_COLUMNS = tuple(s.name for s in BATCH_INPUTS)  # and "start" (a run's start time, instead of year)
NUMBER_COLUMNS = ROW_NUMBER_COLUMNS + KEY_NUMBER_COLUMNS
WHOLE_COLUMNS = frozenset(s.name for s in BATCH_INPUTS if s.kind == "whole")

# The per-row numbers and the predicate that allows their values (core's, shared with estimate()).
ROW_CHECKS: dict[str, Callable[[Any], Any]] = {
    "hours": core.hours_ok,
    "count": core.count_ok,
    "power_w": core.power_ok,
    "utilization": core.utilization_ok,
    "pue": core.pue_ok,
    "intensity": core.intensity_ok,
    "trials": core.count_ok,
}
assert set(ROW_CHECKS) == set(ROW_NUMBER_COLUMNS), "every per-row input of Job needs its predicate here"

FLOAT_OUTPUTS = (
    "energy_kwh",
    "co2e_g",
    "co2e_low_g",
    "co2e_high_g",
    "embodied_g",
    "draw_w",
    "pue_used",
    "intensity_g_per_kwh",
)
INT_OUTPUTS = ("intensity_year",)
# Result numbers that are the combination's (one per name, place and year) unless a row gives its own power, PUE
# or intensity: few distinct values in a file, which Parquet stores once each.
PER_COMBINATION_OUTPUTS = ("draw_w", "pue_used", "intensity_g_per_kwh", "intensity_year")
TEXT_OUTPUTS = ("pue_basis", "intensity_basis", "zone", "hardware_id", "region_id", "error")
OUTPUT_COLUMNS = FLOAT_OUTPUTS + INT_OUTPUTS + TEXT_OUTPUTS


# ---------------------------------------------------------------- columns


_UNIT_ENDINGS = frozenset({"w", "kw", "mw", "wh", "kwh", "g", "kg", "t", "gb", "mb", "tb", "s", "h", "id", "ids"})


def _same_unit(name: str, meant: str) -> bool:
    """Whether column ``name`` may be input ``meant`` misspelt: not when their unit or id endings differ
    ('power_kw' is no 'power_w' in W, 'instance_id' no instance type)."""
    ends = [n.rsplit("_", 1)[-1] if "_" in n else "" for n in (name, meant)]
    return ends[0] == ends[1] or not ({*ends} & _UNIT_ENDINGS)


def unread_columns_note(columns: Sequence[Any]) -> str | None:
    """A note naming the columns that look like a misspelt input (``utilisation``, ``gpus``, ``Hours``) but are
    passed through unread, each with the input it may mean; None when there is none."""
    import difflib

    names = [str(c) for c in columns]
    inputs = [*INPUT_COLUMNS, START_COLUMN]
    slips = []
    for name in names:
        if name in inputs:
            continue
        key = name.strip().lower().replace(" ", "_").replace("-", "_")
        meant = key if key in inputs else LIKELY_MEANT.get(key)  # job's list of common other names
        if meant is None:
            close = difflib.get_close_matches(key, inputs, n=1, cutoff=0.8)
            meant = close[0] if close and _same_unit(key, close[0]) else None
        if meant is not None and meant not in names:
            slips.append(f"{name!r} (did you mean {meant!r}?)")
    if not slips:
        return None
    return (
        f"column{'s' if len(slips) > 1 else ''} {', '.join(slips)} passed through unread: "
        "input columns are spelt as in the README (rename the column to have it used)"
    )


def check_columns(columns: Sequence[Any]) -> None:
    """Refuse a table that cannot be estimated, naming the column and the closest match."""
    import difflib

    names = [str(c) for c in columns]
    dupes = sorted({c for c in names if names.count(c) > 1})
    if dupes:
        raise InputError(f"duplicate column {dupes[0]!r}; each input column may appear once", field=dupes[0])

    def hint(wanted: str) -> str:
        lowered = {c.strip().lower(): c for c in names}
        if wanted in lowered:
            return f" (found {lowered[wanted]!r}; column names are lower case)"
        close = difflib.get_close_matches(wanted, names, n=1, cutoff=0.6)
        return f" (did you mean {close[0]!r}?)" if close else ""

    found = f"; the columns found are: {', '.join(map(repr, names[:12]))}" if names else "; no columns found"
    if "hours" not in names:
        raise InputError(f"missing column 'hours' (wall-clock hours per run, > 0){hint('hours')}{found}", field="hours")
    if not any(c in names for c in ("hardware", "instance", "cpu", "power_w")):
        raise InputError(
            "missing column 'hardware' or 'instance': each run needs a device "
            f"(e.g. 'nvidia-a100-sxm4-80gb') or a cloud instance type (e.g. 'aws:p4d.24xlarge')"
            f"{hint('hardware') or hint('instance')}{found}",
            field="hardware",
        )
    if not any(c in names for c in ("region", "intensity")):
        raise InputError(
            "missing column 'region' (e.g. 'gcp:us-central1', 'FR', 'world') or 'intensity' (gCO2e/kWh)"
            f"{hint('region')}{found}",
            field="region",
        )


def numbers(series: pd.Series[Any]) -> tuple[FloatArray, BoolArray, BoolArray]:
    """(values as float64, given, parsed): text that reads as a number counts as one; booleans do not."""
    n = len(series)
    if series.dtype == bool or isinstance(series.dtype, pd.BooleanDtype):
        given = series.notna().to_numpy(dtype=bool)
        return np.full(n, np.nan), given, np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(series.dtype):
        values = series.to_numpy(dtype=np.float64, na_value=np.nan)
        given = ~np.isnan(values)
        return values, given, given.copy()
    raw = series.to_numpy(dtype=object)
    text = pd.Series(raw, dtype="object")
    is_bool = text.map(lambda v: isinstance(v, bool | np.bool_)).to_numpy(dtype=bool)
    stripped = text.map(lambda v: v.strip() if isinstance(v, str) else v)
    blank = (stripped.isna() | (stripped == "")).to_numpy(dtype=bool)
    cleaned = stripped.where(~(blank | is_bool), None)
    out: FloatArray = pd.to_numeric(cleaned, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    given = ~blank
    parsed = given & ~np.isnan(out) & ~is_bool
    return out, given, parsed  # a literal "nan" is given but not parsed: it gets a message


def _cell(value: Any) -> Any:
    """A cell as a person would pass it: blank is None, numpy scalars are Python's."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    if isinstance(value, str) and not value.strip():
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


# ---------------------------------------------------------------- one row as a Job


class _Table:
    """The input columns of the runs: numbers parsed once, names as codes into their distinct values.

    ``numbers_given`` maps each number column present to its cells (a float64
    array, or an object array or Series holding the text of cells that are not
    numbers); ``names`` each name column present to its :class:`Factor`.
    ``frame`` is the table the columns came from, when it is pandas.
    """

    def __init__(self, n: int, numbers_given: Mapping[str, Any], names: Mapping[str, Factor]) -> None:
        self.n = n
        self.frame: pd.DataFrame | None = None
        empty = (np.full(n, np.nan), np.zeros(n, dtype=bool), np.zeros(n, dtype=bool))
        self.nums = {c: numbers(_series(numbers_given[c])) if c in numbers_given else empty for c in NUMBER_COLUMNS}
        self.raw = dict(numbers_given)
        self.names = dict(names)
        self.present = frozenset(c for c in INPUT_COLUMNS if c in numbers_given or c in names)
        self._cells: dict[str, npt.NDArray[Any]] = {}  # number columns as given, as object arrays, on first use

    @classmethod
    def of_frame(cls, runs: pd.DataFrame) -> _Table:
        present = [c for c in INPUT_COLUMNS if c in runs.columns]
        table = cls(
            len(runs),
            {c: runs[c] for c in present if c in NUMBER_COLUMNS},
            {c: Factor.of(runs[c]) for c in present if c not in NUMBER_COLUMNS},
        )
        table.frame = runs
        return table

    def given_cells(self, column: str) -> npt.NDArray[Any]:
        """A number column's cells as given (text included), as an object array."""
        cells = self._cells.get(column)
        if cells is None:  # once per column, not a lookup per combination
            raw = self.raw[column]
            cells = self._cells[column] = (
                raw.to_numpy(dtype=object) if isinstance(raw, pd.Series) else np.asarray(raw, dtype=object)
            )
        return cells

    def key_values(self, column: str) -> npt.NDArray[Any]:
        """A number column as a combination key: parsed numbers, else the text as given, else None."""
        values, given, parsed = self.nums[column]
        return _where(parsed, values, _where(given, self.given_cells(column), None))

    def value(self, column: str, i: int) -> Any:
        """Row ``i``'s value of ``column`` as a person would pass it to estimate()."""
        if column in self.names:
            codes, uniques = self.names[column]
            code = int(codes[i])
            return None if code < 0 else _cell(uniques[code])
        if column in self.raw:
            values, given, parsed = self.nums[column]
            if parsed[i]:
                number = float(values[i])
                return int(number) if column in WHOLE_COLUMNS and number == int(number) else number
            return _cell(self.given_cells(column)[i]) if given[i] else None
        return None

    def job(self, i: int, data_files: DataFiles) -> Job:
        """Row ``i`` as the Job estimate() would make of it."""
        values = {c: self.value(c, i) for c in INPUT_COLUMNS if c in self.present}
        values = {c: v for c, v in values.items() if v is not None}
        return Job.from_kwargs({**values, "data_files": data_files})


def _series(values: Any) -> pd.Series[Any]:
    return values if isinstance(values, pd.Series) else pd.Series(values, copy=False)


def _error(exc: EstimatorError) -> str:
    return " ".join(str(exc).split())


# ---------------------------------------------------------------- combinations


@dataclass
class _Combo:
    """What one combination resolves to: its plan, or its error and the column it is about."""

    plan: Plan | None = None
    error: str | None = None
    column: str | None = None

    @functools.cached_property
    def numbers(self) -> tuple[float, ...]:
        """The plan's numbers (see PLAN_NUMBERS), made once however many chunks meet the combination."""
        return _plan_numbers(self.plan)

    @functools.cached_property
    def texts(self) -> tuple[str | None, ...]:
        """The plan's texts (see PLAN_TEXTS)."""
        return _plan_texts(self.plan)


# What resolve() says of how it read a row's inputs: a name read loosely or among namesakes ("region 'us-east1'
# read as gcp:us-east1; ..."), a year before the place's series ("2015 asked; 2021 is the earliest year for FR").
# Not a year after it: runs of this year take last year's figure, as estimate() does by default (intensity_year).
_READING = re.compile(r"""(hardware|instance|cpu|region) ['"]|\d{4} asked; \d{4} is the earliest year""")
MAX_READINGS = 1_000
READINGS_SHOWN = 5
READINGS_HEAD = "how inputs were read: "


def readings_note(memo: Memo) -> str | None:
    """One note of how the names of a table were read (the first few, and how many more), or None."""
    notes = list(memo.readings)
    if not notes:
        return None
    more = len(notes) - READINGS_SHOWN
    tail = f" | and {more}{'+' if len(notes) == MAX_READINGS else ''} more" if more > 0 else ""
    said = " | ".join(notes[:READINGS_SHOWN])
    return f"{READINGS_HEAD}{said}{tail}"


class Memo:
    """What each combination resolved to, kept across the chunks of one file (or the batches of a partition).

    Keyed by the combination's values (names, plan-shaping numbers, which
    per-row numbers are given): rows with equal keys resolve alike, so a chunk
    meets ``resolve()`` only for combinations no earlier chunk had. Device-side
    errors are also kept by the device side's own values (see DEVICE_INPUTS):
    an unknown board fails the same way in every region. Bounded: each part is
    emptied when it holds MAX_ENTRIES keys. One memo serves one ``data_files``.
    """

    MAX_ENTRIES = 50_000

    def __init__(self) -> None:
        self.combos: dict[tuple[Any, ...], _Combo] = {}
        self.devices: dict[tuple[Any, ...], _Combo] = {}  # device-side errors
        self.readings: dict[str, None] = {}  # how names were read ("region 'us-east1' read as ..."), in order

    def read(self, plan: Plan) -> None:
        """Keep what ``plan`` says of how its names were read (each note once; at most MAX_READINGS)."""
        for warning in plan.warnings:
            if _READING.match(warning) and len(self.readings) < MAX_READINGS:
                self.readings[warning] = None

    @staticmethod
    def get(part: dict[tuple[Any, ...], _Combo], key: tuple[Any, ...]) -> _Combo | None:
        try:
            return part.get(key)
        except TypeError:  # an unhashable cell (a list from Parquet): resolved, and refused, every time
            return None

    def put(self, part: dict[tuple[Any, ...], _Combo], key: tuple[Any, ...], combo: _Combo) -> None:
        if len(part) >= self.MAX_ENTRIES:
            part.clear()
        try:  # noqa: SIM105 - contextlib.suppress costs a µs per put, thousands per file
            part[key] = combo
        except TypeError:  # an unhashable cell: not kept
            pass


class _DeviceSides:
    """The device side of each row of a chunk (made once the chunk or the memo meets a device-side error)."""

    def __init__(self, table: _Table, memo: Memo) -> None:
        self.codes, _, self.factors = factorized(_device_columns(table), table.n)
        self.memo = memo
        self.known: dict[int, _Combo | None] = {}  # device code -> its error, or None: not known to fail
        self.keys: dict[int, tuple[Any, ...]] = {}  # device code -> the device side's values

    def _key(self, code: int, row: int) -> tuple[Any, ...]:
        key = self.keys.get(code)
        if key is None:
            key = self.keys[code] = key_of(self.factors, row)
        return key

    def error(self, row: int) -> _Combo | None:
        code = self.codes.item(row)
        if code not in self.known:
            self.known[code] = self.memo.get(self.memo.devices, self._key(code, row))
        return self.known[code]

    def failed(self, row: int, combo: _Combo) -> None:
        code = self.codes.item(row)
        self.known[code] = combo
        self.memo.put(self.memo.devices, self._key(code, row), combo)


def _key_columns(table: _Table) -> list[Any]:
    """The columns whose values make a combination: one resolve() each."""
    nums, present = table.nums, table.present
    key: list[Any] = [table.names[c] for c in TEXT_COLUMNS if c in present]
    key += [table.key_values(c) for c in KEY_NUMBER_COLUMNS if c in present]
    for c in ROW_NUMBER_COLUMNS:
        if c in present:
            key.append(nums[c][1])  # which per-row numbers are given shapes the plan
    if "utilization" in present:  # the low end of the draw range applies at utilization 1 only
        util, given, _ = nums["utilization"]
        key.append(~given | (util == 1.0))
    if "instance" in present and "count" in present:  # an instance as it is, or not
        key.append(np.where(table.names["instance"].codes >= 0, nums["count"][0], np.nan))
    return key


def _combos(
    table: _Table, rows_ok: BoolArray, data_files: DataFiles, memo: Memo
) -> tuple[npt.NDArray[np.int64], list[_Combo]]:
    codes, count, factors = factorized(_key_columns(table), table.n)
    # each combination is resolved from its first row whose own numbers are fine (the
    # others in it differ only in those numbers); one with no such row is all bad rows
    representative = np.full(count, -1, dtype=np.int64)
    good_rows = np.flatnonzero(rows_ok)
    firsts_good = pd.Series(codes[good_rows]).drop_duplicates()  # hashing, not sorting: the first good row per code
    representative[firsts_good.to_numpy()] = good_rows[firsts_good.index.to_numpy()]
    combos = []
    devices: _DeviceSides | None = None  # made when a combination new to the memo may have a failed device side
    keys = keys_of(factors, np.maximum(representative, 0))
    for row, key in zip(representative.tolist(), keys, strict=True):
        if row < 0:
            combos.append(_Combo())
            continue
        known = memo.get(memo.combos, key)
        if known is None and memo.devices:  # a device side that failed fails the same way in every region
            devices = devices or _DeviceSides(table, memo)
            known = devices.error(row)
            if known is not None:
                memo.put(memo.combos, key, known)
        if known is not None:
            combos.append(known)
            continue
        try:
            plan = resolve(table.job(row, data_files))
            memo.read(plan)
            combo = _Combo(plan=plan)
        except EstimatorError as exc:
            combo = _Combo(error=_error(exc), column=exc.field)
            if exc.field in DEVICE_INPUTS:
                devices = devices or _DeviceSides(table, memo)
                devices.failed(row, combo)
        memo.put(memo.combos, key, combo)
        combos.append(combo)
    return codes, combos


# resolve() checks the device side (instance, then the components) before the place, the year and the
# PUE, and its errors there depend only on these inputs (on whether count and power_w are given, and on
# the count with an instance, which may not exceed the instance's accelerators):
# a combination whose device side failed once fails the same way in every region.
DEVICE_INPUTS = frozenset(
    {"hardware", "instance", "cpu", "cpu_count", "cpu_cores", "cpu_utilization", "memory_gb", "power_w", "count"}
)
DEVICE_KEY = ("hardware", "instance", "cpu", "provider")  # provider too: a finer key is never a wrong one


def _device_columns(table: _Table) -> list[Any]:
    """The columns the device side of a row depends on (values, or whether given for count and power_w;
    the count's value with an instance)."""
    nums, present = table.nums, table.present
    columns: list[Any] = [table.names[c] for c in DEVICE_KEY if c in present]
    columns += [table.key_values(c) for c in ("cpu_count", "cpu_cores", "cpu_utilization", "memory_gb") if c in present]
    columns += [nums[c][1] for c in ("count", "power_w") if c in present]
    if "instance" in present and "count" in present:  # an instance bounds the count: its value matters there
        columns.append(np.where(table.names["instance"].codes >= 0, nums["count"][0], np.nan))
    return columns


# ---------------------------------------------------------------- the arithmetic on arrays


PLAN_NUMBERS = (
    *(
        f"{slot}_{part}"
        for slot in ("acc", "cpu", "mem")
        for part in ("number", "power_w", "utilization", "low", "high")
    ),
    "has_acc",
    "intensity",
    "intensity_low",
    "intensity_high",
    "intensity_year",
    "pue",
    "embodied_fixed",
    "embodied_per_device",
)
PLAN_TEXTS = ("pue_basis", "intensity_basis", "zone", "hardware_id", "region_id")


def _plan_numbers(plan: Plan | None) -> tuple[float, ...]:
    """A plan's numbers in the order of ``PLAN_NUMBERS`` (NaN without a plan)."""
    if plan is None:
        return (math.nan,) * len(PLAN_NUMBERS)
    slots: list[float] = []
    for spec in plan.slots():  # absent components add 0.0: the sum core makes is unchanged
        if spec is None:
            slots += (0.0, 0.0, 0.0, 0.0, 0.0)
        else:
            slots += (spec.number, spec.power_w, spec.utilization, spec.low_fraction, spec.high_fraction)
    year = plan.intensity_year
    return (
        *slots,
        float(plan.has_accelerator),
        plan.intensity_g_per_kwh,
        plan.intensity_low_g_per_kwh,
        plan.intensity_high_g_per_kwh,
        math.nan if year is None else float(year),
        plan.pue.pue,
        plan.embodied.fixed_per_hour_g,
        plan.embodied.per_device_hour_g,
    )


def _plan_texts(plan: Plan | None) -> tuple[str | None, ...]:
    if plan is None:
        return (None,) * len(PLAN_TEXTS)
    return (
        plan.pue.basis,
        plan.intensity_basis,
        plan.intensity.zone if plan.intensity else None,
        (plan.hardware_facts or {}).get("id"),
        plan.region.id if plan.region else None,
    )


class _PlanColumns:
    """Each plan number per row, gathered on first use, or one number where every plan has the same.

    Rows whose combination has no plan take the first plan's numbers: they are
    bad rows, whose results are blanked, and a column stays one number (numpy
    broadcasts it). A column the rows' own numbers replace everywhere is never gathered.
    """

    def __init__(self, combos: list[_Combo], with_plan: list[int], codes: npt.NDArray[np.int64]) -> None:
        filler = combos[with_plan[0]].numbers if with_plan else _plan_numbers(None)
        self.table = np.empty((len(combos), len(PLAN_NUMBERS)), dtype=np.float64)
        self.table[:] = filler
        if with_plan:  # the plans' numbers, made once per plan (a file's bad combinations have none)
            self.table[with_plan] = [combos[j].numbers for j in with_plan]
        self.codes = codes
        self.columns: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in self.columns:
            column = self.table[:, PLAN_NUMBERS.index(name)]
            same = len(column) > 0 and bool(np.all((column == column[0]) | (np.isnan(column) & np.isnan(column[0]))))
            self.columns[name] = column[0] if same else column[self.codes]
        return self.columns[name]


def _arrays(
    table: _Table, codes: npt.NDArray[np.int64], combos: list[_Combo], outputs: frozenset[str]
) -> dict[str, Any]:
    """core.totals over every row: the row's own numbers where given, its plan's otherwise."""
    nums = table.nums
    with_plan = [j for j, k in enumerate(combos) if k.plan is not None]
    plan = _PlanColumns(combos, with_plan, codes)
    texts = [combos[j].texts for j in with_plan]
    text = {
        name: Text.of_some(len(combos), with_plan, [t[item] for t in texts], codes)
        for item, name in enumerate(PLAN_TEXTS)
        if name in outputs
    }

    def own(column: str, default: str | float, only: BoolArray | None = None) -> Any:
        """The rows' own ``column`` where given (and ``only``), else the plan's ``default`` column."""
        if column not in table.present:
            return plan[default] if isinstance(default, str) else default
        values, given, _ = nums[column]
        mask = given if only is None else given & only
        if mask.all():
            return values  # every row gave its own: the plan's column is not needed
        chosen: FloatArray = np.where(mask, values, plan[default] if isinstance(default, str) else default)
        return chosen

    has_acc = plan["has_acc"] == 1.0
    number = own("count", "acc_number", has_acc)
    power = own("power_w", "acc_power_w", has_acc)
    utilization = own("utilization", "acc_utilization", has_acc)
    parts: list[tuple[Any, Any, Any, Any, Any]] = [(number, power, utilization, plan["acc_low"], plan["acc_high"])]
    for slot in ("cpu", "mem"):
        p = {f: plan[f"{slot}_{f}"] for f in ("number", "power_w", "utilization", "low", "high")}
        if np.ndim(p["number"]) == 0 and p["number"] == 0.0:
            continue  # no combination has this part: estimate() sums only the parts it has, adding 0.0 changes nothing
        parts.append((p["number"], p["power_w"], p["utilization"], p["low"], p["high"]))
    hours = nums["hours"][0] * own("trials", 1.0) if "trials" in table.present else nums["hours"][0]  # x 1.0 is x
    ci_given = nums["intensity"][1]
    ci = own("intensity", "intensity")
    pue = own("pue", "pue")
    with np.errstate(invalid="ignore", over="ignore"):
        low, high = own("intensity", "intensity_low"), own("intensity", "intensity_high")
        t = core.totals(parts, hours, pue, ci, low, high)
        if "embodied_g" in outputs:
            devices = np.where(has_acc, number, 0.0)
            embodied = core.embodied_total_g(plan["embodied_fixed"], plan["embodied_per_device"], devices, hours)
    out = {
        "energy_kwh": t.energy_kwh,
        "co2e_g": t.co2e_g,
        "co2e_low_g": t.co2e_low_g,
        "co2e_high_g": t.co2e_high_g,
        "draw_w": np.broadcast_to(t.draw_w, (table.n,)),
        "pue_used": pue,
        "intensity_g_per_kwh": ci,
    }
    if "embodied_g" in outputs:
        out["embodied_g"] = embodied
    if "intensity_year" in outputs:
        out["intensity_year"] = np.where(ci_given, np.nan, plan["intensity_year"])
    said = {"pue_basis": (nums["pue"][1], "user"), "intensity_basis": (ci_given, "user"), "zone": (ci_given, None)}
    for name, column in text.items():
        out[name] = column.where(*said[name]) if name in said else column
    return out


def _where(mask: BoolArray, a: Any, b: Any) -> npt.NDArray[Any]:
    """np.where, typed, keeping objects."""
    chosen: npt.NDArray[Any] = np.where(mask, a, b).astype(object)
    return chosen


# ---------------------------------------------------------------- runs across years

START_COLUMN = "start"
SUMMED_OUTPUTS = ("energy_kwh", "co2e_g", "co2e_low_g", "co2e_high_g", "embodied_g")
MAX_YEARS_SPANNED = 100
HOURS_PER_YEAR = 8784.0  # a leap year: an upper bound of the hours in any one year


def split_by_year(start: pd.Series[Any], hours: FloatArray) -> tuple[pd.DataFrame, npt.NDArray[Any]]:
    """The parts of each run in each calendar year (UTC) it touches.

    Parameters
    ----------
    start : the time each run began (text or datetimes; naive times are read as UTC).
    hours : wall-clock hours of each run [h].

    Returns
    -------
    parts : DataFrame with ``row`` (position of the run), ``year`` and ``hours`` [h] of the part;
        the parts of one run are in time order and their hours add up to the run's.
    problem : per run, None or why it could not be split (an unreadable start, or a span over
        MAX_YEARS_SPANNED years).
    """
    when = pd.to_datetime(start, errors="coerce", utc=True, format="mixed")
    problem = np.full(len(start), None, dtype=object)
    unreadable = when.isna().to_numpy() & start.notna().to_numpy()
    problem[unreadable] = [
        f"start must be a date and time such as 2024-03-01T12:00:00Z; got {shown(str(v))}" for v in start[unreadable]
    ]
    usable = when.notna().to_numpy() & (hours > 0) & np.isfinite(hours)
    capped = np.where(usable, np.minimum(hours, HOURS_PER_YEAR * (MAX_YEARS_SPANNED + 1)), 0.0)
    end = when + pd.to_timedelta(capped, unit="h")
    first_year = when.dt.year.to_numpy(dtype=float, na_value=np.nan)
    crossing = usable & (end.dt.year.to_numpy(dtype=float, na_value=np.nan) != first_year)
    # runs within one year (or without a usable start: year -1, they keep their own year column) are one part
    single = np.flatnonzero(~crossing)
    rows: list[Any] = [single]
    years: list[Any] = [np.where(usable[single], first_year[single], -1).astype(np.int64)]
    part_hours: list[Any] = [hours[single]]
    for i in np.flatnonzero(crossing):  # the few runs that cross New Year, part by part
        t: pd.Timestamp = when.iat[int(i)]  # type: ignore[assignment]
        h = float(hours[i])
        if h > HOURS_PER_YEAR * MAX_YEARS_SPANNED:
            problem[i] = f"a run of {h:g} hours from {t:%Y-%m-%d} spans more than {MAX_YEARS_SPANNED} years"
            rows.append(np.array([i]))
            years.append(np.array([t.year]))
            part_hours.append(np.array([h]))
            continue
        left, cursor, pieces, piece_years = h, t, [], []
        while left > 0:
            boundary = pd.Timestamp(year=cursor.year + 1, month=1, day=1, tz="UTC")
            piece = min(left, (boundary - cursor).total_seconds() / 3600.0)
            piece = piece if left - piece > 1e-9 * h else left
            pieces.append(piece)
            piece_years.append(cursor.year)
            left -= piece
            cursor = boundary
        rows.append(np.full(len(pieces), i))
        years.append(np.array(piece_years))
        part_hours.append(np.array(pieces))
    parts = pd.DataFrame(
        {"row": np.concatenate(rows), "year": np.concatenate(years), "hours": np.concatenate(part_hours)}
    )
    return parts.sort_values("row", kind="stable", ignore_index=True), problem


def _compute_from_start(runs: pd.DataFrame, data_files: DataFiles, memo: Memo) -> Result:
    if "year" in runs.columns:
        raise InputError("give a 'year' column or a 'start' column, not both", field="year")
    parts, problem = split_by_year(runs[START_COLUMN], numbers(runs["hours"])[0])
    rows = parts["row"].to_numpy()
    expanded = runs.drop(columns=[START_COLUMN]).iloc[rows].reset_index(drop=True)
    whole_hours = parts["year"].to_numpy() < 0
    expanded["hours"] = np.where(whole_hours, expanded["hours"].to_numpy(dtype=object), parts["hours"].to_numpy())
    expanded["year"] = pd.array(_where(whole_hours, None, parts["year"].to_numpy()), dtype="Int64")
    done = _compute(_Table.of_frame(expanded), data_files, memo)
    frame = runs.copy(deep=False)
    out = done.frame
    first = ~pd.Series(rows).duplicated().to_numpy()
    for name in OUTPUT_COLUMNS:
        if name in SUMMED_OUTPUTS:
            summed = pd.Series(out[name].to_numpy(dtype=np.float64)).groupby(rows, sort=True).sum(min_count=1)
            frame[name] = pd.Series(summed.to_numpy(), index=runs.index)
        else:
            frame[name] = pd.Series(out[name].to_numpy()[first], index=runs.index, dtype=out[name].dtype)
    split = np.bincount(rows, minlength=len(runs)) > 1
    if split.any():  # the hours-weighted intensity of a run split across years (others keep their year's figure)
        with np.errstate(invalid="ignore", divide="ignore"):
            weighted = frame["co2e_g"] / frame["energy_kwh"].where(frame["energy_kwh"] != 0)
        frame["intensity_g_per_kwh"] = frame["intensity_g_per_kwh"].where(~split, weighted)
    bad_parts = pd.Series(done.bad).groupby(rows, sort=True).any().to_numpy()
    # the first part in error speaks for its run (parts are in row order)
    failing = pd.DataFrame({"row": rows, "error": out["error"].to_numpy(), "column": done.columns})[done.bad]
    failing = failing.drop_duplicates("row")
    part_error = np.full(len(runs), None, dtype=object)
    part_column = np.full(len(runs), None, dtype=object)
    part_error[failing["row"].to_numpy()] = failing["error"].to_numpy()
    part_column[failing["row"].to_numpy()] = failing["column"].to_numpy()
    errors = np.where(pd.isna(problem), part_error, problem).astype(object)
    columns = np.where(pd.isna(problem), part_column, START_COLUMN).astype(object)
    bad = bad_parts | ~pd.isna(problem)
    for name in OUTPUT_COLUMNS:
        if name != "error":
            frame.loc[bad, name] = np.nan if frame[name].dtype.kind == "f" else None
    frame["error"] = pd.Series(_where(bad, errors, None), index=runs.index, dtype=object)
    frame.attrs.update(out.attrs)
    return Result.of_frame(frame, bad, _where(bad, columns, None))


# ---------------------------------------------------------------- the whole table


@dataclass
class Result:
    """The outputs of every row, which rows are bad, and the column each bad row's error is about.

    ``values`` maps each of OUTPUT_COLUMNS to a float64 array (NaN in bad rows)
    or a :class:`Text`; ``frame`` (the input table with the outputs added, as
    ``estimate_many`` returns it) is made on first use, so the Arrow path
    (files, Spark) never builds pandas columns of Python strings.
    """

    runs: pd.DataFrame | None  # the input table when it was pandas (None: Arrow columns; no ``frame``)
    values: dict[str, Any]
    bad: BoolArray
    blame: Text
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def columns(self) -> list[str | None]:
        """Per row, None or the input column its error is about."""
        return list(self.blame.objects())

    def error(self, i: int) -> str | None:
        """The message of row ``i`` (None for a good row)."""
        code = int(self.values["error"].codes[i])
        return None if code < 0 else str(self.values["error"].labels[code])

    @functools.cached_property
    def frame(self) -> pd.DataFrame:
        if self.runs is None:
            raise ValueError("a Result of Arrow columns has no pandas frame; read its values")
        frame = self.runs.copy(deep=False)
        for name in OUTPUT_COLUMNS:
            values = self.values[name]
            if isinstance(values, Text):
                frame[name] = pd.Series(values.objects(), index=frame.index, dtype=object, copy=False)
            elif name in INT_OUTPUTS:
                frame[name] = pd.Series(values, index=frame.index, dtype=np.float64).astype("Int64")
            else:
                frame[name] = pd.Series(values, index=frame.index, dtype=np.float64, copy=False)
        frame.attrs.update(self.attrs)
        return frame

    @classmethod
    def of_frame(cls, frame: pd.DataFrame, bad: BoolArray, blame: npt.NDArray[Any]) -> Result:
        """The Result of a finished table (the outputs already among its columns)."""
        values: dict[str, Any] = {}
        for name in OUTPUT_COLUMNS:
            column = frame[name]
            if name in TEXT_OUTPUTS:
                values[name] = Text.of_objects(column.to_numpy(dtype=object))
            else:
                values[name] = column.to_numpy(dtype=np.float64, na_value=np.nan)
        runs = frame.drop(columns=list(OUTPUT_COLUMNS))
        return cls(runs, values, bad, Text.of_objects(blame), {str(k): v for k, v in frame.attrs.items()})


def compute(runs: pd.DataFrame, data_files: DataFiles = None, memo: Memo | None = None) -> Result:
    """Estimate every row of ``runs`` (see the module docstring); never drops a row.

    A ``start`` column (the time the run began) gives each row its year; a run that
    crosses New Year is split by year, each part estimated with its year's
    intensity, and the parts summed (see :func:`split_by_year`). ``memo`` keeps
    what combinations resolved to across calls (the chunks of one file).
    """
    check_columns(list(runs.columns))
    memo = Memo() if memo is None else memo
    if START_COLUMN in runs.columns:
        return _compute_from_start(runs, data_files, memo)
    return _compute(_Table.of_frame(runs), data_files, memo)


def compute_columns(
    n: int,
    numbers_given: Mapping[str, Any],
    names: Mapping[str, Factor],
    data_files: DataFiles = None,
    memo: Memo | None = None,
    outputs: Sequence[str] = OUTPUT_COLUMNS,
) -> Result:
    """:func:`compute` of ``n`` runs given as columns rather than a pandas table (the Arrow path).

    ``numbers_given``: each number input column present, as a float64 array (or
    an object array holding the text of cells that are not numbers); ``names``:
    each name input column present as a :class:`Factor`. The caller has checked
    the columns (:func:`check_columns`); a ``start`` column goes through :func:`compute`.
    ``outputs``: the result columns to fill in ``values`` (``energy_kwh``,
    ``co2e_g`` and ``error`` always are); the Result then has no ``frame``.
    """
    table = _Table(n, numbers_given, names)
    return _compute(table, data_files, Memo() if memo is None else memo, frozenset(outputs) | ALWAYS_OUTPUTS)


def _rows_ok(table: _Table) -> BoolArray:
    """Rows whose own numbers are allowed (core's predicates, as estimate() checks them)."""
    rows_ok = np.ones(table.n, dtype=bool)
    for column, ok in ROW_CHECKS.items():
        if column not in table.present and column != "hours":
            continue  # a column not given allows every row
        values, given, parsed = table.nums[column]
        # NaN makes the predicates slow: a cell that is no number is checked as 1.0, then refused
        fine = ok(values) if parsed.all() else ok(np.where(parsed, values, 1.0)) & parsed
        if column != "hours" and not given.all():  # hours is required; the others may be left blank
            fine |= ~given
        rows_ok &= fine
    return rows_ok


ALWAYS_OUTPUTS = frozenset({"energy_kwh", "co2e_g", "error"})  # what a file's summary reads


def _compute(
    table: _Table, data_files: DataFiles, memo: Memo, outputs: frozenset[str] = frozenset(OUTPUT_COLUMNS)
) -> Result:
    rows_ok = _rows_ok(table)
    codes, combos = _combos(table, rows_ok, data_files, memo)
    out = _arrays(table, codes, combos, outputs)
    combo_failed = np.array([k.error is not None for k in combos] or [False], dtype=bool)[codes]
    finite = np.isfinite(out["co2e_g"]) & np.isfinite(out["co2e_high_g"])
    resolved = rows_ok & ~combo_failed
    good = resolved & finite
    bad = ~good
    error = Text.of([k.error for k in combos], codes).where(good, None)
    blame = Text.of([k.column for k in combos], codes).where(good, None)
    # rows of a failed combination carry its error; a bad number, or a result too large, is said per row
    messages: dict[int, tuple[str, str | None]] = {}
    for row in np.flatnonzero(~rows_ok | (resolved & ~finite)).tolist():
        try:  # a bad number, or too large: resolve() and core say what is wrong, as for estimate()
            compute_plan(resolve(table.job(row, data_files)))
            raise InputError(core.TOO_LARGE, field="hours")  # pragma: no cover - compute raises it first
        except EstimatorError as exc:
            messages[row] = (_error(exc), exc.field)
    values: dict[str, Any] = {}
    for name in OUTPUT_COLUMNS:
        if name not in outputs:
            continue
        if name == "error":
            values[name] = error.set(messages, 0)
        elif name in TEXT_OUTPUTS:
            values[name] = out[name].where(bad, None)
        else:
            values[name] = np.where(bad, np.nan, out[name])
    attrs = {
        "data_version": load_catalog(data_files).data_version,
        "package_version": __version__,
        "method": "TDP (or power_w) × count × utilization × hours × PUE × grid intensity (basis per row)",
    }
    return Result(table.frame, values, bad, blame.set(messages, 1), attrs)
