"""Slurm accounting in, the footprint of every job out.

    >>> from estimator import slurm
    >>> jobs = slurm.read_sacct("sacct.txt")            # one row per allocation
    >>> cluster = slurm.load_cluster("cluster.yaml")    # partitions -> devices, site -> region
    >>> out = slurm.estimate_jobs(jobs, cluster)        # energy_kwh, co2e_g, range, embodied
    >>> slurm.summarize(out, "user")                    # doctest: +SKIP

The input is what ``sacct`` writes with ``--parsable2`` (or ``--parsable``) and
these fields (others are ignored; ``Elapsed`` may replace ``ElapsedRaw``)::

    sacct --allusers --parsable2 --starttime 2025-01-01 --endtime 2026-01-01 \\
      --format=JobID,JobName,User,Account,Partition,State,Start,End,ElapsedRaw,NCPUS,NNodes,AllocTRES,NodeList

What real files hold, and what is done with it (Slurm's sacct manual,
https://slurm.schedmd.com/sacct.html, and its job array and heterogeneous job
guides):

- job steps (``123.batch``, ``123.extern``, ``123.0``) run inside their
  allocation's resources: they are folded into the allocation (``123``),
  which is counted once;
- array tasks (``123_4``) are allocations of their own; a pending range
  (``123_[5-9%2]``) counts its tasks as pending;
- heterogeneous job components (``123+0``, ``123+1``) are allocations of
  their own (each has its partition and resources);
- ``CANCELLED by 1234`` is the state ``CANCELLED``;
- jobs still running or pending (``End`` is ``Unknown``), and jobs
  cancelled before they started (an End, no Start), are left out and
  counted (``frame.attrs["sacct"]``);
- zero-length jobs are kept, with zero energy;
- ``AllocTRES``: ``gres/gpu=4,gres/gpu:a100=4`` is four GPUs (the untyped
  count is the total; typed counts are summed only when it is missing);
  ``mem`` in K/M/G/T (Slurm's units, powers of 1024, read as GB = GiB);
- a line that cannot be read is kept with its message in ``error``, never
  dropped. A job name holding the delimiter is repaired when the line has a
  ``JobName`` column.

Reading is vectorised with pyarrow (a year of a large cluster, a million jobs,
in seconds); only lines that need a message go through Python one by one.

Energy and CO2e come from :func:`estimator.batch.estimate_many`, so each job's
figure is exactly ``estimate()`` of its allocation: the partition's
accelerator × the job's GPUs, its CPUs' share of the partition's CPU model,
its allocated memory, its hours, the site's region and PUE, its start year.
A job that runs across New Year (its start and start + elapsed in two
calendar years) is split by year as a batch table with a ``start`` column is
(:func:`estimator.runs.split_by_year`): each part at its year's intensity,
the parts summed. Times are sacct's, the cluster's local time: New Year is
the cluster's midnight.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import io
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from estimator import core
from estimator.api import DataFiles
from estimator.catalog import Catalog, load_catalog
from estimator.errors import AmbiguousNameError, InputError, NotFoundError
from estimator.records import Device

FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

SACCT_FIELDS = "JobID,JobName,User,Account,Partition,State,Start,End,ElapsedRaw,NCPUS,NNodes,AllocTRES,NodeList"
SACCT_COMMAND = f"sacct --allusers --parsable2 --format={SACCT_FIELDS} --starttime 2025-01-01 --endtime 2026-01-01"

# Our column -> the sacct header names that give it (compared case-insensitively).
SACCT_HEADERS: dict[str, tuple[str, ...]] = {
    "job_id": ("jobid",),
    "job_name": ("jobname",),
    "user": ("user",),
    "account": ("account",),
    "partition": ("partition",),
    "state": ("state",),
    "start": ("start",),
    "end": ("end",),
    "elapsed_raw": ("elapsedraw",),
    "elapsed": ("elapsed",),
    "cpus": ("ncpus", "alloccpus"),
    "nodes": ("nnodes", "allocnodes"),
    "tres": ("alloctres",),
    "node_list": ("nodelist",),
}
JOB_COLUMNS = (
    "job_id",
    "job_name",
    "user",
    "account",
    "partition",
    "state",
    "start",
    "end",
    "hours",
    "gpus",
    "gpu_type",
    "cpus",
    "nodes",
    "mem_gb",
    "node_list",
    "month",
    "year",
    "error",
)
ESTIMATE_COLUMNS = (
    "accelerator",
    "gpu_hours",
    "cpu_core_hours",
    "energy_kwh",
    "co2e_g",
    "co2e_low_g",
    "co2e_high_g",
    "embodied_g",
    "intensity_g_per_kwh",
    "intensity_year",
    "pue_used",
)
SUMMARY_BY = ("user", "account", "partition", "month")
_TEXT_FIELDS = ("job_name", "user", "account", "partition", "node_list")
_UNKNOWN_TIMES = ("", "unknown", "none", "n/a")
_MEM_UNITS_GB = {"": 1.0 / 1024.0, "K": 1.0 / 1024.0**2, "M": 1.0 / 1024.0, "G": 1.0, "T": 1024.0, "P": 1024.0**2}
MAX_CLUSTER_BYTES = 256 * 1024


def _pa() -> Any:
    """pyarrow (a dependency), imported on first use; typed Any (it ships no stubs)."""
    return importlib.import_module("pyarrow")


def _pc() -> Any:
    return importlib.import_module("pyarrow.compute")


def _pacsv() -> Any:
    return importlib.import_module("pyarrow.csv")


def _where(mask: Any, a: Any, b: Any) -> npt.NDArray[Any]:
    """np.where, typed (``b`` may be None for object arrays)."""
    chosen: npt.NDArray[Any] = np.where(mask, a, b)
    return chosen


# ---------------------------------------------------------------- reading sacct


@dataclass
class _Raw:
    """The lines of a sacct file as an Arrow table of strings, plus the lines that needed help."""

    table: Any  # pyarrow.Table, one string column per header field
    columns: dict[str, str]  # our name -> the header's name
    unreadable: list[tuple[int | None, str, str]]  # (line, first field, message)
    repaired: int = 0


def _source_bytes(source: str | os.PathLike[str] | bytes) -> tuple[Any, str]:
    """(something pyarrow reads, a name for messages). Text holding a line break is the file's content."""
    if isinstance(source, bytes):
        return io.BytesIO(source), "<text>"
    if isinstance(source, str) and ("\n" in source or "\r" in source):
        return io.BytesIO(source.encode("utf-8")), "<text>"
    if not isinstance(source, str | os.PathLike):
        raise InputError(f"read_sacct takes a path or the text of a sacct file; got {type(source).__name__}")
    path = Path(source)
    if path.is_dir():
        raise InputError(f"{path} is a folder; give the file sacct wrote (sacct --parsable2 ... > sacct.txt)")
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    return str(path), str(path)


def _header(source: Any, name: str) -> str:
    if isinstance(source, io.BytesIO):
        first = source.getvalue().split(b"\n", 1)[0]
    else:
        try:
            with open(source, "rb") as fh:
                first = fh.readline(1_000_000)
        except OSError as exc:
            raise InputError(f"cannot read {name}: {exc.strerror or exc}") from None
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not text.strip():
        raise InputError(f"{name} is empty: expected sacct's header line ({SACCT_FIELDS.replace(',', '|')})")
    return text


def _map_columns(names: Sequence[str], delimiter: str, name: str) -> dict[str, str]:
    lowered = {n.strip().lower(): n for n in names if n.strip()}
    found: dict[str, str] = {}
    for ours, theirs in SACCT_HEADERS.items():
        for h in theirs:
            if h in lowered:
                found[ours] = lowered[h]
                break
    shown = ", ".join(n for n in names[:14] if n.strip())
    if "job_id" not in found:
        others = [d for d in ("|", ",", ";", "\t", ":") if d != delimiter and d in names[0]] if len(names) == 1 else []
        if others and others[0] == "," and "alloctres" in names[0].lower():  # --delimiter ',' would misread it
            hint = (
                " The header is comma-separated, but sacct's AllocTRES values hold commas too "
                "(cpu=8,mem=64G,gres/gpu=4), so the columns cannot be told apart: export again with "
                "sacct --parsable2 (fields separated by '|', the default here)."
            )
        elif others:
            shown_d = {"\t": "tab"}.get(others[0], repr(others[0]))
            hint = f" The header holds {shown_d}: is the file {shown_d}-separated (--delimiter {shown_d})?"
        elif len(names) == 1:
            hint = f" Only one column was found with the delimiter {delimiter!r}: is it the delimiter sacct used?"
        elif names and re.fullmatch(r"\d+([_+.].*)?", names[0].strip()):
            hint = " The first line is a job, not a header: run sacct without --noheader."
        else:
            close = difflib.get_close_matches("JobID", list(names), n=1, cutoff=0.6)
            hint = f" Did you mean {close[0]!r}?" if close else ""
        raise InputError(
            f"{name}: no JobID column in the header (found: {shown or 'nothing'}).{hint} "
            f"Expected sacct --parsable2 --format={SACCT_FIELDS}"
        )
    if not {"elapsed_raw", "elapsed"} & found.keys() and not {"start", "end"} <= found.keys():
        raise InputError(
            f"{name}: no ElapsedRaw or Elapsed column (nor Start and End) to take the hours from "
            f"(found: {shown}); add ElapsedRaw to sacct's --format"
        )
    return found


def _read_arrow(source: Any, delimiter: str, names: list[str], threads: bool) -> tuple[Any, list[tuple[Any, str]]]:
    pa, pacsv = _pa(), _pacsv()
    invalid: list[tuple[Any, str]] = []

    def handler(row: Any) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    data = io.BytesIO(source.getvalue()) if isinstance(source, io.BytesIO) else source
    table = pacsv.read_csv(
        data,
        read_options=pacsv.ReadOptions(use_threads=threads, block_size=1 << 24, encoding="utf8"),
        parse_options=pacsv.ParseOptions(
            delimiter=delimiter, quote_char=False, escape_char=False, invalid_row_handler=handler
        ),
        convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for n in names}, strings_can_be_null=False, check_utf8=True
        ),
    )
    return table, invalid


def _read_raw(source: str | os.PathLike[str] | bytes, delimiter: str) -> _Raw:
    if not isinstance(delimiter, str) or len(delimiter) != 1 or delimiter in "\r\n\"'":
        raise InputError(f"the delimiter must be one character such as '|' (sacct's default); got {delimiter!r}")
    readable, name = _source_bytes(source)
    header = _header(readable, name)
    names = header.split(delimiter)
    columns = _map_columns(names, delimiter, name)
    try:
        table, invalid = _read_arrow(readable, delimiter, names, threads=True)
    except (ValueError, OSError) as exc:  # pyarrow.ArrowInvalid is a ValueError
        message = " ".join(str(exc).split())
        if "UTF8" not in message and "utf8" not in message.lower():
            raise InputError(f"{name}: cannot read as sacct output ({message})") from None
        # Job names in another encoding: read the bytes as UTF-8 with replacement characters.
        content = readable.getvalue() if isinstance(readable, io.BytesIO) else Path(readable).read_bytes()
        readable = io.BytesIO(content.decode("utf-8", errors="replace").encode("utf-8"))
        table, invalid = _read_arrow(readable, delimiter, names, threads=True)
    if invalid and any(n is None for n, _ in invalid):
        # Parallel reading does not know line numbers: read again in one thread (only when lines are bad).
        table, invalid = _read_arrow(readable, delimiter, names, threads=False)
    table = table.rename_columns([f"c{i}" for i in range(table.num_columns)])
    by_header = {n: f"c{i}" for i, n in reversed(list(enumerate(names)))}
    columns = {ours: by_header[theirs] for ours, theirs in columns.items()}
    raw = _Raw(table, columns, [])
    if invalid:
        _repair(raw, invalid, names, delimiter)
    return raw


def _repair(raw: _Raw, invalid: list[tuple[Any, str]], names: list[str], delimiter: str) -> None:
    """Lines with the wrong number of fields: a job name holding the delimiter is put back together."""
    pa = _pa()
    expected = len(names)
    name_col = raw.columns.get("job_name")
    name_at = int(name_col[1:]) if name_col else None
    fixed: list[list[str]] = []
    for number, text in invalid:
        fields = text.split(delimiter)
        extra = len(fields) - expected
        if extra > 0 and name_at is not None:
            merged = delimiter.join(fields[name_at : name_at + extra + 1])
            fixed.append([*fields[:name_at], merged, *fields[name_at + extra + 1 :]])
            continue
        where = f"line {number}" if number is not None else "a line"
        why = (
            f"{where} has {len(fields)} fields where the header has {expected}"
            + (
                f"; a job name may contain the delimiter {delimiter!r}: rerun sacct with --delimiter"
                if extra > 0
                else "; the line may be cut short"
            )
            + ": not counted"
        )
        raw.unreadable.append((number, fields[0].strip(), why))
    if fixed:
        columns = list(zip(*fixed, strict=True))
        extra_table = pa.table({f"c{i}": pa.array(list(c), pa.string()) for i, c in enumerate(columns)})
        raw.table = pa.concat_tables([raw.table, extra_table])
        raw.repaired = len(fixed)


_TRIMMED = frozenset({"job_id", "partition", "state", "start", "end", "elapsed_raw", "elapsed", "cpus", "nodes"})


def _column(raw: _Raw, ours: str, n: int) -> Any:
    """The column as a pyarrow string array (empty when absent); short fields with spaces around removed."""
    pa, pc = _pa(), _pc()
    if ours not in raw.columns:
        return pa.array([""] * n, pa.string()) if n else pa.array([], pa.string())
    column = raw.table.column(raw.columns[ours]).combine_chunks()
    return pc.utf8_trim_whitespace(column) if ours in _TRIMMED else column


def _whole_numbers(array: Any) -> tuple[FloatArray, BoolArray]:
    """(values, readable) of a string array of whole numbers; blank is unreadable."""
    pc = _pc()
    ok = pc.match_substring_regex(array, r"^\d{1,15}$")
    values = pc.cast(pc.if_else(ok, array, "0"), "int64")
    return values.to_numpy().astype(np.float64), ok.to_numpy(zero_copy_only=False).astype(bool)


def _times(array: Any) -> tuple[npt.NDArray[Any], BoolArray, BoolArray]:
    """(datetime64[s] values, known, unreadable): ISO times as sacct prints them, or Unix seconds."""
    pa, pc = _pa(), _pc()
    iso = pc.strptime(array, format="%Y-%m-%dT%H:%M:%S", unit="s", error_is_null=True)
    spaced = pc.strptime(array, format="%Y-%m-%d %H:%M:%S", unit="s", error_is_null=True)
    epoch_ok = pc.match_substring_regex(array, r"^\d{9,11}$")
    epoch = pc.cast(pc.cast(pc.if_else(epoch_ok, array, "0"), "int64"), pa.timestamp("s"))
    value = pc.coalesce(iso, spaced, pc.if_else(epoch_ok, epoch, pa.scalar(None, pa.timestamp("s"))))
    known = pc.is_valid(value).to_numpy(zero_copy_only=False).astype(bool)
    unknown_words = pc.is_in(pc.utf8_lower(array), value_set=pa.array(_UNKNOWN_TIMES))
    unreadable = ~known & ~unknown_words.to_numpy(zero_copy_only=False).astype(bool)
    values = value.to_numpy(zero_copy_only=False).astype("datetime64[s]")
    return values, known, unreadable


def _elapsed_text(array: Any) -> tuple[FloatArray, BoolArray]:
    """Seconds from sacct's Elapsed, ``[DD-[HH:]]MM:SS``."""
    pc = _pc()
    parts = pc.extract_regex(array, r"^(?:(?P<d>\d+)-)?(?:(?P<h>\d+):)?(?P<m>\d+):(?P<s>\d+)$")
    ok = pc.is_valid(parts).to_numpy(zero_copy_only=False).astype(bool)
    total = np.zeros(len(array), dtype=np.float64)
    for name, seconds in (("d", 86400.0), ("h", 3600.0), ("m", 60.0), ("s", 1.0)):
        text = pc.fill_null(pc.struct_field(parts, name), "")
        digits = pc.if_else(pc.equal(text, ""), "0", text)
        total += pc.cast(digits, "int64").to_numpy(zero_copy_only=False).astype(np.float64) * seconds
    return total, ok


def _tres_number(array: Any, key: str) -> tuple[FloatArray, BoolArray]:
    """(value, present) of a whole-number ``key=N`` field of AllocTRES strings, one regex pass (RE2)."""
    pc = _pc()
    found = pc.struct_field(pc.extract_regex(array, rf"(?:^|,){re.escape(key)}=(?P<x>\d+)(?:,|$)"), "x")
    values = pc.cast(found, "float64").to_numpy(zero_copy_only=False)
    return np.nan_to_num(values), ~np.isnan(values)


def _typed_gpus(array: Any, rows: npt.NDArray[np.int64], n: int) -> tuple[FloatArray, npt.NDArray[Any]]:
    """Typed GPU counts summed, and the first type named, for ``rows`` (those without an untyped total: few)."""
    pc = _pc()
    total = np.zeros(n)
    first = np.full(n, None, dtype=object)
    if not len(rows):
        return total, first
    subset = pc.take(array, rows)
    lists = pc.split_pattern(subset, ",")
    parents = rows[pc.list_parent_indices(lists).to_numpy()]
    parts = pc.extract_regex(pc.list_flatten(lists), r"^gres/gpu:(?P<t>[^=]+)=(?P<x>\d+)$")
    ok = pc.is_valid(parts).to_numpy(zero_copy_only=False).astype(bool)
    counts = pc.cast(pc.struct_field(parts, "x"), "float64").to_numpy(zero_copy_only=False)
    names = pc.struct_field(parts, "t").to_numpy(zero_copy_only=False)
    total += np.bincount(parents[ok], weights=counts[ok], minlength=n)
    first[parents[ok][::-1]] = names[ok][::-1]  # the first type named wins
    return total, first


def _tres(array: Any, n: int, need_counts: bool = True) -> dict[str, Any]:
    """GPUs, their type, memory (GB), CPUs and nodes from AllocTRES, one value per row (NaN when absent).

    A few regex passes over the whole column (RE2, in C++); typed GPU counts
    are split out only on the rows that name a type.
    """
    pa, pc = _pa(), _pc()
    untyped, has_untyped = _tres_number(array, "gres/gpu")
    named = pc.match_substring(array, "gres/gpu:").to_numpy(zero_copy_only=False).astype(bool)
    # Typed counts matter only without the untyped total; the type's name is read wherever one is named.
    typed, _ = _typed_gpus(array, np.flatnonzero(named & ~has_untyped).astype(np.int64), n)
    gpus = np.where(has_untyped, untyped, typed)
    gpu_type = np.full(n, None, dtype=object)
    rows = np.flatnonzero(named)
    if len(rows):
        first = pc.extract_regex(pc.take(array, rows), r"(?:^|,)gres/gpu:(?P<t>[^=,]+)=")
        gpu_type[rows] = pc.struct_field(first, "t").to_numpy(zero_copy_only=False)
    if need_counts:
        cpus, has_cpus = _tres_number(array, "cpu")
        nodes, has_nodes = _tres_number(array, "node")
    else:  # NCPUS and NNodes are columns of their own
        cpus, has_cpus = np.zeros(n), np.zeros(n, dtype=bool)
        nodes, has_nodes = cpus, has_cpus
    mem_parts = pc.extract_regex(array, r"(?:^|,)mem=(?P<x>\d+(?:\.\d+)?)(?P<u>[KMGTP]?)(?:,|$)")
    mem_x = pc.cast(pc.struct_field(mem_parts, "x"), "float64").to_numpy(zero_copy_only=False)
    units = list(_MEM_UNITS_GB)
    unit_at = pc.index_in(pc.struct_field(mem_parts, "u"), value_set=pa.array(units))
    factors = np.array([_MEM_UNITS_GB[u] for u in units] + [math.nan])
    mem = mem_x * factors[pc.fill_null(unit_at, len(units)).to_numpy(zero_copy_only=False)]
    mem_given = np.zeros(n, dtype=bool)
    unread = np.flatnonzero(np.isnan(mem))  # was mem= there, but not a size? (looked at where no size was read)
    if len(unread):
        found = pc.match_substring_regex(pc.take(array, unread), r"(?:^|,)mem=")
        mem_given[unread] = found.to_numpy(zero_copy_only=False).astype(bool)
    return {
        "gpus": gpus,
        "gpu_type": gpu_type,
        "mem_gb": mem,
        "cpus": np.where(has_cpus, cpus, np.nan),
        "nodes": np.where(has_nodes, nodes, np.nan),
        "mem_bad": mem_given & ~np.isfinite(mem),
    }


_ARRAY_RANGE = re.compile(r"_\[([^\]]*)\]")


def array_tasks(job_id: str) -> int:
    """Tasks a pending array line stands for: ``123_[5-9%2]`` is 5, ``123_[1,3,7-8]`` is 4, ``123_4`` is 1."""
    m = _ARRAY_RANGE.search(job_id)
    if not m:
        return 1
    spec = m.group(1).split("%", 1)[0]
    total = 0
    for piece in spec.split(","):
        part = piece.strip()
        step = 1
        if ":" in part:
            part, step_text = part.split(":", 1)
            step = int(step_text) if step_text.isdigit() and int(step_text) > 0 else 1
        if "-" in part:
            lo, _, hi = part.partition("-")
            if lo.isdigit() and hi.isdigit() and int(hi) >= int(lo):
                total += (int(hi) - int(lo)) // step + 1
        elif part.isdigit():
            total += 1
    return max(total, 1)


def _set_error(error: npt.NDArray[Any], mask: BoolArray, message: Any) -> None:
    """Fill ``error`` where ``mask`` and no earlier message: the first problem found is the one named."""
    where = mask & pd.isna(error)
    if where.any():
        if callable(message):
            for i in np.flatnonzero(where):
                error[i] = message(int(i))
        else:
            error[where] = message


def _fold_steps(raw: _Raw) -> tuple[BoolArray, list[str]]:
    """Keep only the allocation lines in ``raw.table``; the job steps are folded into their allocation.

    Parameters
    ----------
    raw : _Raw
        The lines read; its ``table`` is replaced by the allocation lines.

    Returns
    -------
    is_step : numpy.ndarray of bool
        One per line read: the line is a job step (``123.batch``, ``123.0``).
    orphan_ids : list of str
        Sorted ids of the allocations whose steps are there but whose own line is missing.
    """
    pa, pc = _pa(), _pc()
    job_all = _column(raw, "job_id", raw.table.num_rows)
    is_step = pc.match_substring(job_all, ".").to_numpy(zero_copy_only=False).astype(bool)
    alloc_mask = ~is_step
    # Steps whose allocation line is missing: named once each, not counted.
    orphan_ids: list[str] = []
    if is_step.any():
        step_ids = pc.filter(job_all, pa.array(is_step))
        bases = pc.unique(pc.list_element(pc.split_pattern(step_ids, ".", max_splits=1), 0))
        alloc_ids = pc.filter(job_all, pa.array(alloc_mask))
        missing = pc.invert(pc.is_in(bases, value_set=alloc_ids))
        orphan_ids = sorted(set(pc.filter(bases, missing).to_pylist()))
    raw.table = raw.table.filter(pa.array(alloc_mask))
    return is_step, orphan_ids


@dataclass(frozen=True)
class _Times:
    """State, Start and End of each allocation line, and what they say of whether the job ran."""

    state: Any  # pyarrow string array: the first word of State, upper case ("CANCELLED by 1234" -> "CANCELLED")
    start: npt.NDArray[Any]  # datetime64[s], the cluster's local time
    end: npt.NDArray[Any]  # datetime64[s]
    start_known: BoolArray
    end_known: BoolArray
    start_bad: BoolArray  # a Start that is not a time (nor Unknown/None)
    end_bad: BoolArray
    pending: BoolArray  # no End and not started (or PENDING)
    running: BoolArray  # no End, started
    never_started: BoolArray  # an End and no Start: cancelled while pending
    unfinished: BoolArray  # pending, running or never started: left out


def _job_times(raw: _Raw, n: int) -> _Times:
    """The state and times of the ``n`` allocation lines of ``raw``, and which jobs are unfinished."""
    pc = _pc()
    state_raw = _column(raw, "state", n)
    state = pc.utf8_upper(pc.fill_null(pc.struct_field(pc.extract_regex(state_raw, r"^(?P<s>\S*)"), "s"), ""))
    start, start_known, start_bad = _times(_column(raw, "start", n))
    end, end_known, end_bad = _times(_column(raw, "end", n))
    is_pending = pc.equal(state, "PENDING").to_numpy(zero_copy_only=False).astype(bool)
    pending = (~end_known & ~end_bad) & (~start_known | is_pending)
    running = ~end_known & ~end_bad & ~pending
    # Cancelled while pending: an End, no Start (sacct prints None or Unknown). Never ran: left out, counted.
    never_started = end_known & ~start_known & ~start_bad
    unfinished = pending | running | never_started
    return _Times(
        state, start, end, start_known, end_known, start_bad, end_bad, pending, running, never_started, unfinished
    )


def _hours(raw: _Raw, n: int, times: _Times) -> tuple[FloatArray, BoolArray, str]:
    """Wall-clock hours of each allocation: ElapsedRaw (seconds), else Elapsed ([DD-[HH:]]MM:SS), else End - Start.

    Returns
    -------
    hours : numpy.ndarray of float
        Hours [h]; NaN where the field cannot be read.
    readable : numpy.ndarray of bool
        The field was read (for End - Start: both known, End not before Start).
    what : str
        The field the hours came from: "ElapsedRaw", "Elapsed" or "End - Start".
    """
    if "elapsed_raw" in raw.columns:
        seconds, seconds_ok = _whole_numbers(_column(raw, "elapsed_raw", n))
        what_elapsed = "ElapsedRaw"
    elif "elapsed" in raw.columns:
        seconds, seconds_ok = _elapsed_text(_column(raw, "elapsed", n))
        what_elapsed = "Elapsed"
    else:
        with np.errstate(invalid="ignore"):
            seconds = (times.end - times.start).astype("timedelta64[s]").astype(np.float64)
        seconds_ok = times.start_known & times.end_known & (seconds >= 0)
        what_elapsed = "End - Start"
    hours = np.where(seconds_ok, seconds / 3600.0, np.nan)
    return hours, seconds_ok, what_elapsed


@dataclass(frozen=True)
class _Allocated:
    """What each allocation holds: AllocTRES's fields, and its CPUs and nodes (NCPUS/NNodes, else AllocTRES)."""

    tres: dict[str, Any]  # gpus, gpu_type, mem_gb [GB], mem_bad: see _tres
    cpus: FloatArray  # Slurm CPUs (0 where unreadable)
    cpus_ok: BoolArray
    nodes: FloatArray  # nodes (0 where unreadable)
    nodes_ok: BoolArray


def _allocated(raw: _Raw, n: int) -> _Allocated:
    """GPUs, memory, CPUs and nodes of the ``n`` allocation lines of ``raw``."""
    tres = _tres(_column(raw, "tres", n), n, need_counts=not {"cpus", "nodes"} <= raw.columns.keys())
    cpus_np, cpus_ok = _whole_numbers(_column(raw, "cpus", n))
    nodes_np, nodes_ok = _whole_numbers(_column(raw, "nodes", n))
    if "cpus" not in raw.columns:
        cpus_np, cpus_ok = np.nan_to_num(tres["cpus"]), ~np.isnan(tres["cpus"])
    if "nodes" not in raw.columns:
        nodes_np, nodes_ok = np.nan_to_num(tres["nodes"]), ~np.isnan(tres["nodes"])
    return _Allocated(tres, cpus_np, cpus_ok, nodes_np, nodes_ok)


def _line_errors(
    raw: _Raw, n: int, job_id: Any, times: _Times, elapsed: tuple[BoolArray, str], held: _Allocated
) -> npt.NDArray[Any]:
    """The message of each allocation line that cannot be estimated (None where it can); the first problem wins.

    Parameters
    ----------
    raw : _Raw
        The allocation lines (the text of a field is fetched only for the lines that get a message).
    n : int
        The number of allocation lines.
    job_id : pyarrow string array
        The JobID of each line.
    times : _Times
        Their times (unreadable Start or End; unfinished jobs get no message about their hours).
    elapsed : (numpy.ndarray of bool, str)
        Whether the hours were read, and the field they came from (see :func:`_hours`).
    held : _Allocated
        Their CPUs, nodes and memory.
    """
    pc = _pc()
    seconds_ok, what_elapsed = elapsed
    error = np.full(n, None, dtype=object)

    def text(column: str) -> Any:
        """The raw text of row i of a column, fetched only for rows that get a message."""
        values = _column(raw, column, n)
        return lambda i: values[i].as_py()

    _set_error(error, pc.equal(job_id, "").to_numpy(zero_copy_only=False).astype(bool), "no JobID on this line")
    start_text, end_text = text("start"), text("end")
    _set_error(error, times.start_bad, lambda i: f"Start {start_text(i)!r} is not a time such as 2025-03-01T10:00:00")
    _set_error(error, times.end_bad, lambda i: f"End {end_text(i)!r} is not a time such as 2025-03-01T10:00:00")
    if "elapsed_raw" in raw.columns or "elapsed" in raw.columns:
        elapsed_text = text("elapsed_raw" if "elapsed_raw" in raw.columns else "elapsed")
        form = "whole seconds" if what_elapsed == "ElapsedRaw" else "[DD-[HH:]]MM:SS"
        _set_error(
            error, ~seconds_ok & ~times.unfinished, lambda i: f"{what_elapsed} {elapsed_text(i)!r} is not {form}"
        )
    else:
        _set_error(error, ~seconds_ok & ~times.unfinished, "End is before Start")
    if "cpus" in raw.columns or "tres" in raw.columns:
        cpu_text = text("cpus")
        _set_error(error, ~held.cpus_ok, lambda i: f"NCPUS {cpu_text(i)!r} is not a whole number")
    if "nodes" in raw.columns or "tres" in raw.columns:
        node_text = text("nodes")
        _set_error(error, ~held.nodes_ok, lambda i: f"NNodes {node_text(i)!r} is not a whole number")
    tres_text = text("tres")
    _set_error(error, held.tres["mem_bad"], lambda i: f"AllocTRES mem in {tres_text(i)!r} is not a size such as 64G")
    return error


def _left_out(job_series: pd.Series[Any], times: _Times) -> tuple[BoolArray, int, BoolArray]:
    """Which allocation lines are kept: unfinished jobs and repeated lines (same id and start) are left out.

    Returns
    -------
    keep : numpy.ndarray of bool
        The lines kept.
    pending_tasks : int
        Jobs pending (an array range counts its tasks, see :func:`array_tasks`).
    duplicated : numpy.ndarray of bool
        The finished lines that repeat an earlier one.
    """
    keep = ~times.unfinished
    pending = times.pending
    pending_tasks = sum(array_tasks(j) for j in job_series[pending]) if pending.any() else 0
    duplicated = pd.DataFrame({"job_id": job_series, "start": times.start}).duplicated().to_numpy()
    duplicated = duplicated & keep & (job_series != "").to_numpy()
    keep &= ~duplicated
    return keep, pending_tasks, duplicated


def _job_frame(
    raw: _Raw,
    n: int,
    job_series: pd.Series[Any],
    times: _Times,
    hours: FloatArray,
    held: _Allocated,
    error: npt.NDArray[Any],
) -> pd.DataFrame:
    """The table of the ``n`` allocation lines, in :data:`JOB_COLUMNS` order (hours [h], mem_gb [GB])."""
    names = {c: _column(raw, c, n).to_pandas() for c in _TEXT_FIELDS}
    start, start_known = times.start, times.start_known
    start_s = pd.Series(start)
    return pd.DataFrame(
        {
            "job_id": job_series,
            "job_name": names["job_name"],
            "user": names["user"],
            "account": names["account"],
            "partition": names["partition"],
            "state": times.state.to_pandas(),
            "start": start_s.where(start_known),
            "end": pd.Series(times.end).where(times.end_known),
            "hours": hours,
            "gpus": held.tres["gpus"],
            "gpu_type": held.tres["gpu_type"],
            "cpus": np.where(held.cpus_ok, held.cpus, np.nan),
            "nodes": np.where(held.nodes_ok, held.nodes, np.nan),
            "mem_gb": held.tres["mem_gb"],
            "node_list": names["node_list"],
            "month": _where(start_known, np.datetime_as_string(start.astype("datetime64[M]")), None),
            "year": np.where(start_known, start.astype("datetime64[Y]").astype(np.int64) + 1970, np.nan),
            "error": error,
        }
    )


def _with_unreadable(out: pd.DataFrame, raw: _Raw, orphan_ids: list[str]) -> pd.DataFrame:
    """``out`` with a row (job id and message) for each unreadable line and each allocation missing its line."""
    extra: list[dict[str, Any]] = [
        {"job_id": job, "error": message, "line": line} for line, job, message in raw.unreadable
    ]
    extra += [
        {
            "job_id": job,
            "error": f"job steps of {job} without its allocation line (the file may be cut, or sacct was "
            "run with --jobs naming steps): not counted",
        }
        for job in orphan_ids
    ]
    if extra:
        extra_frame = pd.DataFrame(extra).drop(columns=["line"], errors="ignore")
        out = pd.concat([out, extra_frame.reindex(columns=out.columns)], ignore_index=True)
    return out


def read_sacct(source: str | os.PathLike[str] | bytes, delimiter: str = "|") -> pd.DataFrame:
    """One row per allocation from ``sacct --parsable2`` output.

    Job steps are folded into their allocation; jobs still running or pending,
    and jobs cancelled before they started, are left out and counted. A line
    that cannot be read is kept with its message in ``error``.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        The sacct file, or its text (a string holding a line break, or bytes).
    delimiter : str, default "|"
        The field separator (sacct's ``--delimiter``).

    Returns
    -------
    pandas.DataFrame
        Columns ``job_id``, ``job_name``, ``user``, ``account``,
        ``partition``, ``state`` (``CANCELLED by 1234`` -> ``CANCELLED``),
        ``start`` and ``end`` (datetime64[s], the cluster's local time as sacct
        prints it), ``hours`` (wall-clock [h], from ElapsedRaw, else Elapsed,
        else End - Start), ``gpus`` (AllocTRES: the untyped count, else the
        typed counts summed), ``gpu_type`` (the first type named, e.g.
        ``a100``), ``cpus`` (NCPUS), ``nodes``, ``mem_gb`` (allocated memory
        [GB], Slurm's powers of 1024), ``node_list``, ``month`` (``YYYY-MM`` of
        the start), ``year`` (of the start) and ``error`` (None, or why the
        line cannot be estimated). ``attrs["sacct"]`` counts ``lines``,
        ``allocations``, ``steps``, ``running``, ``pending``,
        ``never_started``, ``duplicates``, ``unreadable``, ``repaired`` and
        ``orphan_steps``.

    Raises
    ------
    InputError
        A missing file, a file without sacct's header, a bad delimiter.

    References
    ----------
    Slurm's sacct manual (https://slurm.schedmd.com/sacct.html): the fields,
    ``--parsable2``, the Elapsed format ``[DD-[HH:]]MM:SS``; the job array and
    heterogeneous job guides for ``123_4`` and ``123+0``.
    """
    raw = _read_raw(source, delimiter)
    lines = raw.table.num_rows + len(raw.unreadable)
    is_step, orphan_ids = _fold_steps(raw)
    n = raw.table.num_rows
    job_id = _column(raw, "job_id", n)
    times = _job_times(raw, n)
    hours, seconds_ok, what_elapsed = _hours(raw, n, times)
    held = _allocated(raw, n)
    error = _line_errors(raw, n, job_id, times, (seconds_ok, what_elapsed), held)
    job_series = job_id.to_pandas()
    keep, pending_tasks, duplicated = _left_out(job_series, times)
    out = _job_frame(raw, n, job_series, times, hours, held, error)
    out = _with_unreadable(out[keep].reset_index(drop=True), raw, orphan_ids)
    out = _tidy_types(out)
    out.attrs["sacct"] = {
        "lines": int(lines),
        "allocations": int(n),
        "steps": int(is_step.sum()),
        "running": int(times.running.sum()),
        "pending": int(pending_tasks),
        "never_started": int(times.never_started.sum()),
        "duplicates": int(duplicated.sum()),
        "unreadable": len(raw.unreadable),
        "repaired": raw.repaired,
        "orphan_steps": len(orphan_ids),
        "gpu_counts": "tres" in raw.columns,  # AllocTRES read: without it no job holds a GPU
    }
    return out


def _tidy_types(out: pd.DataFrame) -> pd.DataFrame:
    for c in ("hours", "mem_gb"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(np.float64)
    for c in ("gpus", "cpus", "nodes", "year"):
        out[c] = pd.to_numeric(out[c], errors="coerce").round().astype("Int64")
    for c in ("start", "end"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[s]")
    for c in ("gpu_type", "error"):
        out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


# ---------------------------------------------------------------- the cluster description


@dataclass(frozen=True)
class NodeType:
    """What one partition (or node-name pattern) runs on.

    accelerator: catalog device id of its GPUs (None: no GPUs).
    gpus_per_node: GPUs in one node (a check on the jobs' counts).
    cpu: catalog CPU id; a job's CPUs count as ``cpus / threads_per_core``
    cores of it (TDP / cores each). memory_gb_per_node: used for jobs whose
    AllocTRES has no memory.
    """

    name: str
    accelerator: str | None = None
    gpus_per_node: int | None = None
    cpu: str | None = None
    cpus_per_node: int | None = None
    threads_per_core: int = 1
    memory_gb_per_node: float | None = None
    cpu_cores: int | None = None  # cores of one package of ``cpu`` (from the catalog)


@dataclass(frozen=True)
class Cluster:
    """A validated ``cluster.yaml``: the site, and what each partition or node pattern runs on."""

    region: str  # catalog region id
    pue: float | None = None
    draw_fraction: float | None = None
    name: str = ""
    partitions: tuple[NodeType, ...] = ()
    nodes: tuple[tuple[str, NodeType], ...] = ()  # (glob pattern, type), tried in order
    source: str = ""
    region_query: str = ""

    def partition(self, name: str) -> NodeType | None:
        for p in self.partitions:
            if p.name == name:
                return p
        return None

    def node_type(self, partition: str | None, first_node: str | None) -> NodeType | None:
        """The node pattern matching ``first_node`` (first), else the partition's description."""
        if first_node:
            for pattern, kind in self.nodes:
                if fnmatch.fnmatchcase(first_node, pattern):
                    return kind
        return self.partition(partition) if partition else None


CLUSTER_KEYS = ("name", "site", "partitions", "nodes")
SITE_KEYS = ("region", "pue", "draw_fraction")
NODE_KEYS = (
    "accelerator",
    "gpus_per_node",
    "cpu",
    "cpus_per_node",
    "threads_per_core",
    "memory_gb_per_node",
)


def _closest(word: str, allowed: Sequence[str]) -> str | None:
    """The allowed word ``word`` most likely meant: one it starts, else the closest spelling."""
    starts = [a for a in allowed if a.startswith(word.lower()) or word.lower().startswith(a)]
    if len(starts) == 1:
        return starts[0]
    close = difflib.get_close_matches(word.lower(), list(allowed), n=1, cutoff=0.5)
    return close[0] if close else None


def _unknown_key(key: Any, allowed: Sequence[str], where: str) -> InputError:
    close = _closest(str(key), allowed)
    hint = f"; did you mean {close!r}?" if close else "."
    return InputError(f"{where}: unknown key {key!r}{hint} Allowed: {', '.join(allowed)}")


def _mapping(value: Any, where: str, example: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"{where} must be a mapping of keys, e.g. {example}; got {type(value).__name__}")
    return value


def _whole(value: Any, where: str, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value) or value < low:
        raise InputError(f"{where} must be a whole number, {low} or more; got {value!r}")
    return int(value)


def _positive(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value <= 0:
        raise InputError(f"{where} must be a number greater than 0; got {value!r}")
    return float(value)


def _catalog_device(catalog: Catalog, query: Any, where: str, want_cpu: bool) -> Device:
    """The catalog device a cluster description names for a node's accelerator or CPU, or a clear error."""
    example = "'amd-epyc-7763'" if want_cpu else "'nvidia-a100-sxm4-80gb'"
    if not isinstance(query, str) or not query.strip():
        what = "a CPU model name or id" if want_cpu else "a device name or id"
        raise InputError(f"{where} must be {what} such as {example}")
    try:
        device, _ = catalog.device(query)
    except (NotFoundError, AmbiguousNameError) as exc:
        raise InputError(f"{where}: {' '.join(str(exc).split())}") from None
    if want_cpu and not device.is_cpu:
        raise InputError(f"{where} {query!r} is {device.name}, a {device.kind}: give it as accelerator")
    if not want_cpu and device.is_cpu:
        raise InputError(f"{where} {query!r} is {device.name}, a CPU: give it as cpu instead")
    return device


def _node_type(name: str, spec: Any, where: str, data_files: DataFiles) -> NodeType:
    spec = _mapping(spec, where, "{accelerator: nvidia-a100-sxm4-80gb, gpus_per_node: 4}")
    for key in spec:
        if key not in NODE_KEYS:
            raise _unknown_key(key, NODE_KEYS, where)
    catalog = load_catalog(data_files)
    accelerator = cpu = None
    cores = None
    if spec.get("accelerator") is not None:
        accelerator = _catalog_device(catalog, spec["accelerator"], f"{where}.accelerator", want_cpu=False).id
    if spec.get("cpu") is not None:
        device = _catalog_device(catalog, spec["cpu"], f"{where}.cpu", want_cpu=True)
        cpu, cores = device.id, device.cores or 1
    gpus = _whole(spec["gpus_per_node"], f"{where}.gpus_per_node") if spec.get("gpus_per_node") is not None else None
    if gpus is not None and accelerator is None:
        raise InputError(f"{where}: gpus_per_node without accelerator; name the GPU model (e.g. nvidia-h100-sxm5-80gb)")
    if accelerator is None and cpu is None:
        raise InputError(
            f"{where}: give accelerator (a GPU model such as nvidia-a100-sxm4-80gb) or cpu (such as amd-epyc-7763)"
        )
    cpus = _whole(spec["cpus_per_node"], f"{where}.cpus_per_node") if spec.get("cpus_per_node") is not None else None
    tpc = spec.get("threads_per_core", 1)
    if tpc not in (1, 2, 4, 8) or isinstance(tpc, bool):
        raise InputError(f"{where}.threads_per_core must be 1, 2, 4 or 8 (Slurm's ThreadsPerCore); got {tpc!r}")
    mem = spec.get("memory_gb_per_node")
    mem_gb = core.check_memory_gb(_positive(mem, f"{where}.memory_gb_per_node")) if mem is not None else None
    return NodeType(name, accelerator, gpus, cpu, cpus, int(tpc), mem_gb, cores)


def _refuse_aliases(text: str, source: str) -> None:
    import yaml

    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                line = event.start_mark.line + 1 if event.start_mark is not None else "?"
                raise InputError(
                    f"{source}: line {line}: YAML anchors and aliases (&name, *name) are not "
                    "read in a cluster description; write each partition out"
                )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f" line {mark.line + 1}:" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(f"{source}:{line} not valid YAML: {problem}") from None


def parse_cluster(text: str, source: str = "<cluster>", *, data_files: DataFiles = None) -> Cluster:
    """A :class:`Cluster` from the text of a cluster description (see :func:`load_cluster`).

    Parameters
    ----------
    text : str
        The YAML text.
    source : str
        The name used in messages (a file name).
    data_files : path or list of paths, optional
        Your own devices or regions, merged over the shipped catalog.

    Raises
    ------
    InputError
        Naming the key, what is allowed and the closest valid choice.
    """
    import yaml

    if len(text.encode("utf-8")) > MAX_CLUSTER_BYTES:
        raise InputError(f"{source} is over {MAX_CLUSTER_BYTES // 1024} KiB: a cluster description is a short file")
    _refuse_aliases(text, source)
    data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    if data is None:
        raise InputError(f"{source} is empty: it needs site (region) and partitions; see docs/cluster.example.yaml")
    data = _mapping(data, source, "site: {region: DE}, partitions: {gpu: {accelerator: ...}}")
    for key in data:
        if key not in CLUSTER_KEYS:
            raise _unknown_key(key, CLUSTER_KEYS, source)
    if "site" not in data:
        raise InputError(f"{source}: missing site (with region, e.g. 'site: {{region: DE, pue: 1.3}}')")
    site = _mapping(data["site"], f"{source}: site", "{region: DE, pue: 1.3}")
    for key in site:
        if key not in SITE_KEYS:
            raise _unknown_key(key, SITE_KEYS, f"{source}: site")
    query = site.get("region")
    if not isinstance(query, str) or not query.strip():
        raise InputError(
            f"{source}: site.region is required: a region id, country, subdivision or grid zone "
            "(e.g. DE, US-CA, FR, world); list them with 'co2-estimator regions'"
        )
    catalog = load_catalog(data_files)
    try:
        region, _ = catalog.region(query)
    except (NotFoundError, AmbiguousNameError) as exc:
        raise InputError(f"{source}: site.region: {' '.join(str(exc).split())}") from None
    from estimator import grid

    try:  # every job is estimated on the site's grid: one without a figure would leave each job in error
        grid.choose(catalog, region)
    except InputError:
        raise InputError(
            f"{source}: site.region: {region.id} ({region.name}) has no life-cycle intensity figure; give the "
            "grid the site draws from (a neighbouring country or a grid zone; list them with 'co2-estimator regions')"
        ) from None
    try:
        pue = core.check_pue(site["pue"]) if site.get("pue") is not None else None
        fraction = site.get("draw_fraction")
        draw = core.check_utilization(fraction, "draw_fraction") if fraction is not None else None
    except InputError as exc:
        raise InputError(f"{source}: site.{exc}") from None
    parts = data.get("partitions") or {}
    nodes = data.get("nodes") or {}
    parts = _mapping(parts, f"{source}: partitions", "{gpu: {accelerator: nvidia-a100-sxm4-80gb}}")
    nodes = _mapping(nodes, f"{source}: nodes", "{'gpu[0-9]*': {accelerator: nvidia-h100-sxm5-80gb}}")
    if not parts and not nodes:
        raise InputError(f"{source}: describe at least one partition (partitions:) or node pattern (nodes:)")
    partitions = tuple(
        _node_type(str(name), spec, f"{source}: partitions.{name}", data_files) for name, spec in parts.items()
    )
    patterns = tuple(
        (str(pattern), _node_type(str(pattern), spec, f"{source}: nodes.{pattern}", data_files))
        for pattern, spec in nodes.items()
    )
    name = data.get("name") or ""
    if not isinstance(name, str):
        raise InputError(f"{source}: name must be text; got {name!r}")
    return Cluster(
        region=region.id,
        pue=pue,
        draw_fraction=draw,
        name=name,
        partitions=partitions,
        nodes=patterns,
        source=source,
        region_query=query,
    )


def load_cluster(path: str | os.PathLike[str], *, data_files: DataFiles = None) -> Cluster:
    """Read and check a cluster description (YAML; see docs/cluster.example.yaml).

    ::

        name: Example HPC            # optional
        site:
          region: DE                 # a region id, country, subdivision or grid zone
          pue: 1.3                   # optional: else the region's, provider's or industry figure
          draw_fraction: 0.8         # optional: fraction of TDP drawn (utilization)
        partitions:
          gpu:
            accelerator: nvidia-a100-sxm4-80gb   # a catalog device; "did you mean" on a typo
            gpus_per_node: 4
            cpu: AMD EPYC 7763                   # optional, with cpus_per_node, threads_per_core
            cpus_per_node: 128
            memory_gb_per_node: 512
        nodes:                                   # optional: node-name patterns, tried before partitions
          "hgx[0-9]*": {accelerator: nvidia-h100-sxm5-80gb, gpus_per_node: 8}

    Read with ``yaml.safe_load`` rules; anchors and aliases are refused, and
    files over 256 KiB.

    Raises
    ------
    InputError
        Naming the key, what is allowed and the closest valid choice (device
        and region names through the catalog's "closest matches").
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise InputError(f"{p} is a folder; give the cluster description file (cluster.yaml)")
        if size > MAX_CLUSTER_BYTES:
            raise InputError(f"{p} is over {MAX_CLUSTER_BYTES // 1024} KiB: a cluster description is a short file")
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"no such file: {p}") from None
    except UnicodeDecodeError:
        raise InputError(f"{p} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(f"cannot read {p}: {exc.strerror or exc}") from None
    return parse_cluster(text, str(p), data_files=data_files)


# ---------------------------------------------------------------- estimating


_FIRST_NODE = re.compile(r"^\s*([^,\[\s]+)(?:\[(\d+))?")


def first_node(node_list: str | None) -> str | None:
    """The first host of a Slurm node list: ``gpu[001-004],gpu010`` -> ``gpu001``."""
    if not node_list or node_list.lower().startswith("none"):
        return None
    m = _FIRST_NODE.match(node_list)
    if not m:
        return None
    return m.group(1) + (m.group(2) or "")


class _LazyColumn:
    """``column[i]`` computed on demand: only rows that get a message look at their text."""

    def __init__(self, get: Any) -> None:
        self._get = get

    def __getitem__(self, i: int) -> Any:
        return self._get(i)


@dataclass(frozen=True)
class _JobRuns:
    runs: pd.DataFrame  # the estimate_many input, one row per job to estimate
    rows: npt.NDArray[np.int64]  # positions in ``jobs`` of those rows
    accelerator: npt.NDArray[Any]
    error: npt.NDArray[Any]
    zero: BoolArray
    # per run: its start (datetime64[s]) when the job may run across a 1 January, else NaT (see _new_year_starts)
    start: npt.NDArray[Any]


def _cpu_arguments(cpus: FloatArray, kinds: list[NodeType | None], codes: npt.NDArray[np.int64]) -> dict[str, Any]:
    """cpu with cpu_cores or cpu_count per job, so the draw is cores × TDP / package cores.

    A job's cores are its Slurm CPUs / threads_per_core. Whole packages:
    ``cpu_count``. Otherwise ``cpu_cores``, within one package or across
    several (96 cores of 64-core packages: 1.5 packages' TDP).
    """
    described = [k if k is not None and k.cpu is not None else None for k in kinds]
    if not described:
        described = [None]
        codes = np.zeros(len(cpus), dtype=np.int64)
    cpu = np.array([k.cpu if k else None for k in described], dtype=object)[codes]
    per_core = np.array([float(k.cpu_cores or 1) if k else np.nan for k in described])[codes]
    tpc = np.array([float(k.threads_per_core) if k else np.nan for k in described])[codes]
    with np.errstate(invalid="ignore", divide="ignore"):
        cores = cpus / tpc
        has = pd.notna(cpu) & (cores > 0)
        packages = cores / per_core
        whole = has & (cores > per_core) & (packages == np.round(packages))
    return {
        "cpu": _where(has, cpu, None),
        "cpu_cores": np.where(has & ~whole, cores, np.nan),
        "cpu_count": np.where(whole, packages, np.nan),
    }


def _job_numbers(jobs: pd.DataFrame) -> dict[str, FloatArray]:
    """The numbers of each job as floats, NaN where missing or unreadable.

    Returns
    -------
    dict
        ``hours`` [h], ``gpus``, ``cpus`` (Slurm CPUs), ``nodes``, ``mem_gb``
        [GB] and ``year`` (of the start); ``mem_gb`` and ``year`` all NaN when
        the table lacks them (the others must be there).
    """
    n = len(jobs)

    def floats(column: str) -> FloatArray:
        if column in ("mem_gb", "year") and column not in jobs:  # the others are required (KeyError)
            return np.full(n, np.nan)
        values: FloatArray = pd.to_numeric(jobs[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
        return values

    return {c: floats(c) for c in ("hours", "gpus", "cpus", "nodes", "mem_gb", "year")}


@dataclass(frozen=True)
class _Placed:
    """Where each job ran: the node type of each distinct (partition, first node) pair, and each job's pair."""

    kinds: list[NodeType | None]  # one per distinct pair; None: not in the cluster description
    codes: npt.NDArray[np.int64]  # each job's pair, an index into ``kinds``
    known: BoolArray  # the job's pair has a node type
    partition: _LazyColumn  # the job's partition (text, "" when missing), read for messages
    first: _LazyColumn  # the job's first node ("" when none), read for messages


def _place(jobs: pd.DataFrame, cluster: Cluster) -> _Placed:
    """The node type of each job: its first node's pattern, else its partition, looked up once per distinct pair."""
    n = len(jobs)
    parts_col = jobs["partition"].reset_index(drop=True)
    lists_col = jobs["node_list"].reset_index(drop=True) if "node_list" in jobs else pd.Series([None] * n, dtype=object)
    list_codes, unique_lists = pd.factorize(lists_col.fillna(""))
    first_codes_of_list, unique_firsts = pd.factorize(
        np.array([first_node(str(s)) or "" for s in unique_lists], dtype=object)
    )
    first_codes = first_codes_of_list[list_codes] if len(unique_lists) else np.zeros(n, dtype=np.int64)
    part_codes, unique_parts = pd.factorize(parts_col.fillna(""))
    combined = part_codes.astype(np.int64) * (len(unique_firsts) + 1) + first_codes
    pair_codes, pair_keys = pd.factorize(combined)
    radix = len(unique_firsts) + 1
    part_names, first_names = [str(p) for p in unique_parts], [str(f) for f in unique_firsts]
    pairs = [(part_names[int(k) // radix], first_names[int(k) % radix]) for k in pair_keys]

    def partition_at(i: int) -> str:
        value: Any = parts_col.iat[i]
        return value if isinstance(value, str) else ""

    kinds = [cluster.node_type(p or None, f or None) for p, f in pairs]
    codes = np.asarray(pair_codes, dtype=np.int64)
    known = np.array([k is not None for k in kinds], dtype=bool)[codes] if kinds else np.zeros(n, dtype=bool)
    return _Placed(
        kinds,
        codes,
        known,
        _LazyColumn(partition_at),
        _LazyColumn(lambda i: first_names[first_codes[i]] if len(first_names) else ""),
    )


def _per_node(placed: _Placed, n: int, attribute: str) -> FloatArray:
    """A per-node figure of each job's node type (``gpus_per_node``, ``cpus_per_node``, ``memory_gb_per_node``
    [GB]); NaN where not described."""
    if not placed.kinds:
        return np.full(n, np.nan)
    values = [getattr(k, attribute) or np.nan if k else np.nan for k in placed.kinds]
    per_job: FloatArray = np.array(values, dtype=np.float64)[placed.codes]
    return per_job


def _set_unknown_node(error: npt.NDArray[Any], placed: _Placed, cluster: Cluster) -> None:
    """The message of jobs whose partition is not described and whose first node matches no pattern."""
    names = [p.name for p in cluster.partitions]

    def unknown(i: int) -> str:
        part = placed.partition[i]
        close = difflib.get_close_matches(part, names, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        listed = ", ".join(names) or "none"
        return (
            f"partition {part!r}{hint} is not in the cluster description, nor does node "
            f"{placed.first[i] or '(none)'!r} match a node pattern; described partitions: {listed}"
        )

    _set_error(error, ~placed.known, unknown)


def _set_allocation_errors(
    error: npt.NDArray[Any],
    placed: _Placed,
    numbers: dict[str, FloatArray],
    acc: npt.NDArray[Any],
    cpu_args: dict[str, Any],
) -> BoolArray:
    """The messages of jobs their node type cannot hold: GPUs without an accelerator, more GPUs or CPUs than
    its nodes have, neither GPUs nor a CPU model. Returns which jobs have GPUs."""
    n = len(error)
    gpus, cpus, nodes = numbers["gpus"], numbers["cpus"], numbers["nodes"]
    gpn, cpn = _per_node(placed, n, "gpus_per_node"), _per_node(placed, n, "cpus_per_node")
    known, partition = placed.known, placed.partition
    with np.errstate(invalid="ignore"):
        has_gpus = gpus > 0
        too_many_gpus = has_gpus & (gpus > nodes * gpn)
        too_many_cpus = cpus > nodes * cpn
    _set_error(
        error,
        known & has_gpus & pd.isna(acc),
        lambda i: (
            f"the job has {gpus[i]:g} GPU{'s' * int(gpus[i] != 1)} but partition {partition[i]!r} "
            "has no accelerator in the cluster description"
        ),
    )
    _set_error(
        error,
        known & too_many_gpus,
        lambda i: (
            f"the job has {gpus[i]:g} GPUs on {nodes[i]:g} node(s), more than gpus_per_node "
            f"{gpn[i]:g} allows in {partition[i]!r}"
        ),
    )
    _set_error(
        error,
        known & too_many_cpus,
        lambda i: (
            f"the job has {cpus[i]:g} CPUs on {nodes[i]:g} node(s), more than cpus_per_node "
            f"{cpn[i]:g} allows in {partition[i]!r}"
        ),
    )
    with np.errstate(invalid="ignore"):
        held_nothing = known & ~has_gpus & ~(cpus > 0)
    _set_error(
        error,
        held_nothing,
        "the job held no GPUs and no CPUs (NCPUS 0, as sacct gives for a job cancelled before it was given any); "
        "nothing to count",
    )
    _set_error(
        error,
        known & ~has_gpus & pd.isna(cpu_args["cpu"]),
        lambda i: (
            f"no GPUs allocated and partition {partition[i]!r} has no cpu in the cluster description: "
            "give it a cpu model to count CPU-only jobs"
        ),
    )
    return has_gpus


def _job_runs(jobs: pd.DataFrame, cluster: Cluster) -> _JobRuns:
    """The :func:`estimator.batch.estimate_many` input of the jobs that can be estimated, and the others' messages.

    Parameters
    ----------
    jobs : pandas.DataFrame
        ``partition``, ``hours`` [h], ``gpus``, ``cpus``, ``nodes`` (and
        optionally ``node_list``, ``mem_gb`` [GB], ``year``, ``error``), index 0..n-1.
    cluster : Cluster

    Returns
    -------
    _JobRuns
        One run per job without a message and of non-zero length (``hardware``,
        ``count``, ``hours``, ``region``, ``cpu``, ``cpu_cores``, ``cpu_count``,
        ``memory_gb``, ``year``, and ``utilization``, ``cpu_utilization``,
        ``pue`` when they apply), their positions, each job's accelerator,
        message and whether it is of zero length.
    """
    n = len(jobs)
    error = jobs["error"].to_numpy(dtype=object).copy() if "error" in jobs else np.full(n, None, dtype=object)
    numbers = _job_numbers(jobs)
    hours, gpus, cpus = numbers["hours"], numbers["gpus"], numbers["cpus"]
    placed = _place(jobs, cluster)
    kinds, codes = placed.kinds, placed.codes
    _set_unknown_node(error, placed, cluster)
    acc = np.array([k.accelerator if k else None for k in kinds], dtype=object)[codes] if kinds else np.full(n, None)
    cpu_args = _cpu_arguments(np.where(np.isnan(cpus), 0.0, cpus), kinds, codes)
    has_gpus = _set_allocation_errors(error, placed, numbers, acc, cpu_args)
    mem, per_node_gb = numbers["mem_gb"], _per_node(placed, n, "memory_gb_per_node")
    memory = np.where(np.isnan(mem), numbers["nodes"] * per_node_gb, mem)  # GB: AllocTRES's, else its nodes'
    with np.errstate(invalid="ignore"):
        zero = pd.isna(error) & (hours == 0)
    todo = np.flatnonzero(pd.isna(error) & ~zero)
    runs: dict[str, Any] = {
        "hardware": _where(has_gpus, acc, None)[todo],
        "count": np.where(has_gpus, gpus, np.nan)[todo],
        "hours": hours[todo],
        "region": np.full(len(todo), cluster.region, dtype=object),
        "cpu": cpu_args["cpu"][todo],
        "cpu_cores": cpu_args["cpu_cores"][todo],
        "cpu_count": cpu_args["cpu_count"][todo],
        "memory_gb": np.where(memory > 0, memory, np.nan)[todo],
        "year": numbers["year"][todo],
    }
    if cluster.draw_fraction is not None:  # the site's measured draw: GPUs and CPUs alike
        runs["utilization"] = np.full(len(todo), cluster.draw_fraction)
        runs["cpu_utilization"] = np.full(len(todo), cluster.draw_fraction)
    if cluster.pue is not None:
        runs["pue"] = np.full(len(todo), cluster.pue)
    start = _new_year_starts(jobs, hours)[todo]
    return _JobRuns(pd.DataFrame(runs), todo.astype(np.int64), acc, error, zero, start)


MAX_CHECKED_HOURS = 100_000.0  # h: over eleven years, so a job this long surely crosses a New Year


def _new_year_starts(jobs: pd.DataFrame, hours: FloatArray) -> npt.NDArray[Any]:
    """The start of each job that may run across a 1 January (datetime64[s]); NaT for the others.

    A job whose start and end (start + hours, rounded up to the second, plus
    one) fall in different calendar years is kept: a generous test on the
    numpy times :func:`read_sacct` gives, no text parsed, so the jobs within
    one year (nearly all) cost nothing more. :func:`estimator.runs.split_by_year`
    then makes the parts; a kept job that ends at midnight is one part, with
    the same figures as its start year's.

    Times are compared as they are: sacct prints the cluster's local time
    (naive), so New Year is the cluster's midnight of 1 January, as the
    ``year`` column is the local start's year. A ``start`` column of text (a
    table made by hand) is read as :func:`~estimator.runs.split_by_year` reads
    it (naive as UTC); times with a zone are taken in UTC.
    """
    none = np.full(len(jobs), np.datetime64("NaT"), dtype="datetime64[s]")
    if "start" not in jobs or not len(jobs):
        return none
    column = jobs["start"].reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(column.dtype):
        column = pd.to_datetime(column, errors="coerce", utc=True, format="mixed")
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.tz_convert("UTC").dt.tz_localize(None)
    start = column.to_numpy(dtype="datetime64[s]")
    with np.errstate(invalid="ignore"):
        usable = ~np.isnat(start) & np.isfinite(hours) & (hours > 0)
        seconds = np.ceil(np.where(usable, np.minimum(hours, MAX_CHECKED_HOURS), 0.0) * 3600.0) + 1.0
    # the next New Year after each start, by a binary search in a table of them (no calendar arithmetic per job)
    start_s = start.astype(np.int64)
    after = np.searchsorted(_NEW_YEARS_S, start_s, side="right")
    next_s = _NEW_YEARS_S[np.minimum(after, len(_NEW_YEARS_S) - 1)]
    outside = (after == 0) | (after >= len(_NEW_YEARS_S))
    crossing = usable & ((start_s + seconds.astype(np.int64) > next_s) | outside)
    return np.where(crossing, start, none)


# 1 January 00:00 of the years 1900 to 2500, in seconds since 1970 (a start outside them is always kept)
_NEW_YEARS_S = np.arange("1900", "2501", dtype="datetime64[Y]").astype("datetime64[s]").astype(np.int64)


def _estimate_many(runs: pd.DataFrame, data_files: DataFiles) -> pd.DataFrame:
    """:func:`estimator.batch.estimate_many` without its note of how names and years were read: the names are
    the cluster description's (checked when it is read), the years the jobs' own, shown in ``intensity_year``."""
    import warnings

    from estimator.batch import estimate_many
    from estimator.runs import READINGS_HEAD

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=READINGS_HEAD, category=UserWarning)
        return estimate_many(runs, data_files=data_files)


def _estimate_runs(runs: pd.DataFrame, start: npt.NDArray[Any], data_files: DataFiles) -> pd.DataFrame:
    """:func:`estimator.batch.estimate_many` of ``runs``, a job across New Year through batch's ``start`` path.

    Every run goes through ``estimate_many`` with its ``year`` (one call, as
    before); the runs with a ``start`` (see :func:`_new_year_starts`: a few)
    go again with a ``start`` column instead of ``year``, and their results
    replace the first ones: split by year, each part at its year's intensity,
    the parts summed, the intensity hours-weighted and ``intensity_year`` the
    first part's, exactly as a batch table with a ``start`` column. Rows come
    back in the order of ``runs``.
    """
    from estimator.batch import OUTPUT_COLUMNS

    out = _estimate_many(runs, data_files)
    across = np.flatnonzero(~np.isnat(start))
    if not len(across):
        return out
    crossing = runs.iloc[across].drop(columns=["year"], errors="ignore").assign(start=start[across])
    split = _estimate_many(crossing, data_files)
    for position in out.columns.get_indexer(pd.Index(OUTPUT_COLUMNS)).tolist():
        out.iloc[across, position] = split[out.columns[position]].to_numpy()
    return out


def job_arguments(job: Mapping[Any, Any], cluster: Cluster) -> dict[str, Any]:
    """The keyword arguments of ``estimate()`` for one job (a row of :func:`read_sacct`).

    The same rules as :func:`estimate_jobs`, one job at a time: what its
    figure can be checked against (``estimate(**job_arguments(job, cluster))``).
    A job running across New Year is, in :func:`estimate_jobs`, the sum of
    ``estimate(**{**job_arguments(job, cluster), "hours": h, "year": y})`` over
    its parts ``(y, h)`` (:func:`estimator.runs.split_by_year` of its start
    and hours); these arguments are its start year's, with all its hours.

    Parameters
    ----------
    job : mapping
        ``partition``, ``node_list``, ``hours``, ``gpus``, ``cpus``, ``nodes``,
        ``mem_gb``, ``year`` (and ``error``) of one job.
    cluster : Cluster

    Returns
    -------
    dict
        ``hardware`` and ``count`` (GPUs), ``hours``, ``region``, ``pue``,
        ``utilization``, ``cpu`` with ``cpu_cores`` or ``cpu_count`` and
        ``cpu_utilization``, ``memory_gb``, ``year``: those that apply.

    Raises
    ------
    InputError
        A job that cannot be estimated (its message), or of zero length.
    """
    frame = pd.DataFrame(
        [
            {
                c: job.get(c)
                for c in ("partition", "node_list", "hours", "gpus", "cpus", "nodes", "mem_gb", "year", "error")
            }
        ]
    )
    built = _job_runs(frame, cluster)
    if built.error[0] is not None:
        raise InputError(str(built.error[0]))
    if built.zero[0]:
        raise InputError("a zero-length job: no energy, nothing to estimate")
    row = built.runs.iloc[0].to_dict()
    out: dict[str, Any] = {}
    for k, v in row.items():
        if v is None or (isinstance(v, float) and math.isnan(v)):
            continue
        value = v.item() if isinstance(v, np.generic) else v
        if k in ("count", "cpu_count", "year"):
            value = int(value)
        out[str(k)] = value
    return out


def within_year(jobs: pd.DataFrame, year: int) -> pd.DataFrame:
    """``jobs`` with each job's time cut to the calendar ``year`` (the cluster's local time, as sacct prints it).

    ``sacct --starttime Y-01-01 --endtime Y+1-01-01`` gives every job that overlaps
    the year, whole: a job across New Year is in two years' exports, its hours
    of the other year with it. Cut, each job keeps the hours it ran within the
    year (``start`` and ``end`` moved to the year's bounds, ``hours`` the overlap;
    a job that ran none of them has 0 hours), so yearly totals add up. Every row
    is kept. Jobs without a start time are left as they are (their ``error``
    says why they cannot be estimated).

    Parameters
    ----------
    jobs : pandas.DataFrame
        What :func:`read_sacct` returns.
    year : int
        The calendar year, e.g. 2025.
    """
    if isinstance(year, bool) or not isinstance(year, int) or not 1900 <= year <= 2500:
        raise InputError(f"year must be a calendar year such as 2025; got {year!r}")
    out = jobs.copy()
    if not len(out):
        return out
    first = np.datetime64(f"{year}-01-01T00:00:00", "s")
    after = np.datetime64(f"{year + 1}-01-01T00:00:00", "s")
    start = out["start"].to_numpy(dtype="datetime64[s]")
    hours = pd.to_numeric(out["hours"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    usable = ~np.isnat(start) & np.isfinite(hours)
    seconds = np.where(usable, np.round(hours * 3600.0), 0).astype(np.int64)
    end = np.where(usable, start + seconds.astype("timedelta64[s]"), start)
    cut_start = np.where(usable, np.maximum(start, first), start)
    cut_end = np.where(usable, np.minimum(end, after), end)
    overlap_s = np.where(usable, np.maximum((cut_end - cut_start).astype(np.int64), 0), 0)
    moved = usable & ((cut_start != start) | (cut_end != end))  # a job within the year is left exactly as it was
    out["hours"] = np.where(moved, overlap_s / 3600.0, hours)
    out["start"] = np.where(moved, np.minimum(cut_start, after), start).astype("datetime64[s]")
    if "end" in out:
        out["end"] = np.where(moved, np.maximum(cut_end, first), out["end"].to_numpy(dtype="datetime64[s]"))
    if "year" in out:
        out.loc[moved, "year"] = year
    if "month" in out:
        out.loc[moved, "month"] = pd.Series(out["start"]).dt.strftime("%Y-%m")[moved].to_numpy()
    out.attrs = {**jobs.attrs, "within_year": {"year": year, "cut": int(moved.sum())}}
    return out


def _check_gpu_counts(jobs: pd.DataFrame, cluster: Cluster) -> None:
    """Refuse accounting read without AllocTRES when its jobs ran on GPU partitions: each would count as CPUs only.

    (A CPU-only cluster needs no AllocTRES: NCPUS and NNodes give what its jobs held.)
    """
    if jobs.attrs.get("sacct", {}).get("gpu_counts", True) or not len(jobs):
        return
    placed = _place(jobs, cluster)  # where each job ran: its node pattern, else its partition
    gpu_types = [k for k in placed.kinds if k is not None and k.accelerator]
    if not gpu_types:
        return
    where = ", ".join(sorted({k.name for k in gpu_types}))
    raise InputError(
        f"the accounting has no AllocTRES column, which holds the GPUs each job held (gres/gpu=4); the jobs that "
        f"ran on {where} (GPUs in the cluster description) would be counted as CPUs only. Export again with sacct "
        f"--parsable2 --format={SACCT_FIELDS} (AllocGRES and ReqTRES are not read: they are not what a job held)"
    )


def estimate_jobs(jobs: pd.DataFrame, cluster: Cluster, *, data_files: DataFiles = None) -> pd.DataFrame:
    """The jobs with their energy and emissions, computed through :func:`estimator.batch.estimate_many`.

    Each job is its allocation: the partition's (or node pattern's)
    accelerator × the job's GPUs, its CPUs' share of the partition's CPU
    model, its allocated memory, its hours, the site's region and PUE, the
    intensity of its start year. Its figures equal
    ``estimate(**job_arguments(job, cluster))``. A job that runs across New
    Year (the cluster's local midnight of 1 January) is split by year exactly
    as :func:`estimator.batch.estimate_many` splits a run with a ``start``
    column: each part is ``estimate()`` with that part's hours and year, the
    parts are summed, ``intensity_g_per_kwh`` is the hours-weighted intensity
    (``co2e_g / energy_kwh``) and ``intensity_year`` the start year. Only those
    jobs take that path; the others cost what they did. TDP is an upper bound
    of draw.

    Parameters
    ----------
    jobs : pandas.DataFrame
        What :func:`read_sacct` returns (or a partition of it).
    cluster : Cluster
        What :func:`load_cluster` returns.
    data_files : path or list of paths, optional
        Your own devices or regions.

    Returns
    -------
    pandas.DataFrame
        ``jobs`` (index reset) with ``accelerator`` (catalog id of the GPUs),
        ``gpu_hours`` [GPU h], ``cpu_core_hours`` [Slurm CPU h],
        ``energy_kwh`` [kWh, with PUE], ``co2e_g`` [gCO2e, location-based],
        ``co2e_low_g`` and ``co2e_high_g`` [gCO2e, the range],
        ``embodied_g`` [gCO2e, manufacturing, beside, not added],
        ``intensity_g_per_kwh``, ``intensity_year``, ``pue_used``; ``error``
        kept or filled (NaN figures). Zero-length jobs have zero energy.
    """
    from estimator.batch import OUTPUT_COLUMNS

    if not isinstance(jobs, pd.DataFrame):
        raise InputError(f"estimate_jobs takes the DataFrame read_sacct returns; got {type(jobs).__name__}")
    missing = [c for c in ("partition", "hours", "gpus", "cpus", "nodes") if c not in jobs.columns]
    if missing:
        raise InputError(f"the jobs table lacks {', '.join(missing)}: give it the DataFrame read_sacct returns")
    if not isinstance(cluster, Cluster):
        raise InputError(f"estimate_jobs takes the Cluster load_cluster returns; got {type(cluster).__name__}")
    _check_gpu_counts(jobs, cluster)
    built = _job_runs(jobs.reset_index(drop=True), cluster)
    n = len(jobs)
    result = _estimate_runs(built.runs, built.start, data_files) if len(built.runs) else None
    floats = {c: np.full(n, np.nan) for c in ESTIMATE_COLUMNS if c != "accelerator"}
    error = built.error
    if result is not None:
        for c, values in floats.items():
            if c in result.columns:  # co2e_low_g, co2e_high_g, embodied_g, intensity_year: newer estimate_many
                values[built.rows] = pd.to_numeric(result[c], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        error[built.rows] = result["error"].to_numpy(dtype=object)
    for c in ("energy_kwh", "co2e_g", "co2e_low_g", "co2e_high_g", "embodied_g"):
        if c in OUTPUT_COLUMNS:  # the figures this version of estimate_many gives
            floats[c][built.zero] = 0.0
    gpus = pd.to_numeric(jobs["gpus"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    cpus = pd.to_numeric(jobs["cpus"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    hours = pd.to_numeric(jobs["hours"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    ok = pd.isna(error)
    floats["gpu_hours"] = np.where(ok, gpus * hours, np.nan)
    floats["cpu_core_hours"] = np.where(ok, cpus * hours, np.nan)
    out = jobs.reset_index(drop=True).copy()
    with np.errstate(invalid="ignore"):
        out["accelerator"] = pd.Series(_where(ok & (gpus > 0), built.accelerator, None), dtype="object")
    for c in ESTIMATE_COLUMNS:
        if c != "accelerator":
            out[c] = floats[c]
    out = out.drop(columns=["error"], errors="ignore")
    out["error"] = pd.Series(error, dtype="object")
    out.attrs = {**jobs.attrs, "cluster": cluster.name or cluster.source, "region": cluster.region}
    if result is not None:
        out.attrs.update({k: v for k, v in result.attrs.items() if k in ("data_version", "package_version")})
    return out


# ---------------------------------------------------------------- summaries


SUMMARY_COLUMNS = (
    "jobs",
    "errors",
    "gpu_hours",
    "cpu_core_hours",
    "energy_kwh",
    "co2e_kg",
    "co2e_low_kg",
    "co2e_high_kg",
    "embodied_kg",
)


def summarize(estimated: pd.DataFrame, by: str | None = None) -> pd.DataFrame:
    """Totals per ``by``, with a ``total`` row last.

    Parameters
    ----------
    estimated : pandas.DataFrame
        What :func:`estimate_jobs` returns.
    by : {"user", "account", "partition", "month"} or None
        None: the total row alone.

    Returns
    -------
    pandas.DataFrame
        ``by`` then ``jobs`` (allocations, errors included), ``errors``,
        ``gpu_hours``, ``cpu_core_hours``, ``energy_kwh``, ``co2e_kg``,
        ``co2e_low_kg``, ``co2e_high_kg``, ``embodied_kg`` (sums over the
        estimated jobs). Sorted by emissions; months in order.
    """
    if by is not None and by not in SUMMARY_BY:
        close = difflib.get_close_matches(str(by), SUMMARY_BY, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise InputError(f"summaries are by {', '.join(SUMMARY_BY)}; got {by!r}{hint}")
    frame = pd.DataFrame(
        {
            "key": estimated[by].astype(object).where(estimated[by].notna() & (estimated[by] != ""), "(none)")
            if by
            else "total",
            "jobs": 1,
            "errors": estimated["error"].notna().astype(np.int64),
            "gpu_hours": estimated["gpu_hours"],
            "cpu_core_hours": estimated["cpu_core_hours"],
            "energy_kwh": estimated["energy_kwh"],
            "co2e_kg": estimated["co2e_g"] / 1000.0,
            "co2e_low_kg": estimated["co2e_low_g"] / 1000.0,
            "co2e_high_kg": estimated["co2e_high_g"] / 1000.0,
            "embodied_kg": estimated["embodied_g"] / 1000.0,
        }
    )
    sums = frame.groupby("key", sort=False, dropna=False).sum(min_count=1)
    if by == "month":
        sums = sums.sort_index()
    elif by is not None:
        sums = sums.sort_values(["co2e_kg", "jobs"], ascending=False, kind="stable")
    total = frame.drop(columns=["key"]).sum(min_count=1).to_frame("total").T
    out = pd.concat([sums, total]) if by is not None else total
    out.index.name = by or "scope"
    out = out.reset_index()
    for c in ("jobs", "errors"):
        out[c] = out[c].fillna(0).astype(np.int64)
    return out


@dataclass(frozen=True)
class ClusterTotals:
    """What a sacct file held and what it emitted (sums over the estimated jobs; NaN when none was)."""

    jobs: int  # allocations in the table, errors included
    estimated: int  # jobs with figures (zero-length ones included)
    errors: int  # rows with a message in 'error'
    zero_length: int  # estimated jobs of zero hours
    running: int  # left out: End=Unknown, started
    pending: int  # left out: not started (array ranges count their tasks)
    never_started: int  # left out: cancelled while pending
    steps: int  # step lines folded into their allocations
    duplicates: int  # repeated allocation lines counted once
    unreadable: int  # lines that could not be split into the header's fields
    gpu_hours: float  # GPU h
    cpu_core_hours: float  # Slurm CPU h
    energy_kwh: float  # kWh, with PUE
    co2e_g: float  # gCO2e, location-based
    co2e_low_g: float  # gCO2e, low end of the range
    co2e_high_g: float  # gCO2e, high end of the range
    embodied_g: float  # gCO2e, manufacturing share, beside (not in co2e_g)
    first_errors: tuple[str, ...] = field(default=())  # up to three "job: message" lines

    def to_dict(self) -> dict[str, Any]:
        from dataclasses import asdict

        out = asdict(self)
        out["first_errors"] = list(self.first_errors)
        return out


def totals(estimated: pd.DataFrame) -> ClusterTotals:
    """Counts and sums over an :func:`estimate_jobs` table (what was left out comes from ``attrs``)."""
    counts = estimated.attrs.get("sacct", {})
    bad = estimated["error"].notna().to_numpy()
    hours = pd.to_numeric(estimated["hours"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    first: list[str] = []
    if bad.any():
        for i in np.flatnonzero(bad)[:3]:
            first.append(f"{estimated['job_id'].iat[int(i)]}: {estimated['error'].iat[int(i)]}")

    def total(column: str) -> float:
        values = estimated[column].to_numpy(dtype=np.float64, na_value=np.nan)
        return float(np.nansum(values)) if (~np.isnan(values)).any() or not len(values) else math.nan

    return ClusterTotals(
        jobs=len(estimated),
        estimated=int((~bad).sum()),
        errors=int(bad.sum()),
        zero_length=int(((hours == 0) & ~bad).sum()),
        running=int(counts.get("running", 0)),
        pending=int(counts.get("pending", 0)),
        never_started=int(counts.get("never_started", 0)),
        steps=int(counts.get("steps", 0)),
        duplicates=int(counts.get("duplicates", 0)),
        unreadable=int(counts.get("unreadable", 0)),
        gpu_hours=total("gpu_hours"),
        cpu_core_hours=total("cpu_core_hours"),
        energy_kwh=total("energy_kwh"),
        co2e_g=total("co2e_g"),
        co2e_low_g=total("co2e_low_g"),
        co2e_high_g=total("co2e_high_g"),
        embodied_g=total("embodied_g"),
        first_errors=tuple(first),
    )


def totals_text(t: ClusterTotals) -> str:
    """A few lines for the CLI."""
    from estimator.report import counted, energy, mass, num

    lines = [
        f"{counted(t.jobs, 'job')}: {t.estimated:,} estimated ({t.zero_length:,} of zero length)"
        + (f", {t.errors:,} with an error (see the 'error' column)" if t.errors else ""),
        f"left out: {t.running:,} running, {t.pending:,} pending, {t.never_started:,} cancelled before they started; "
        f"{t.steps:,} job steps folded into their jobs"
        + (f"; {counted(t.duplicates, 'repeated line')}" if t.duplicates else ""),
    ]
    if math.isnan(t.co2e_g):  # no job could be estimated: sums of nothing, no figure to give
        lines.append("no total: no job could be estimated")
    else:
        lines += [
            f"{num(t.gpu_hours)} GPU-hours, {num(t.cpu_core_hours)} Slurm CPU-hours",
            f"total {mass(t.co2e_g)}"
            + (f" (range {mass(t.co2e_low_g)} to {mass(t.co2e_high_g)})" if not math.isnan(t.co2e_low_g) else "")
            + f" from {energy(t.energy_kwh)}"
            + (f"; embodied {mass(t.embodied_g)} beside" if not math.isnan(t.embodied_g) else "")
            + " (TDP is an upper bound; the grid's life-cycle figure of each year a job ran in)",
        ]
    lines += [f"  {e}" for e in t.first_errors]
    if t.errors > len(t.first_errors):
        lines.append(f"  and {t.errors - len(t.first_errors):,} more (the 'error' column has each)")
    return "\n".join(lines)


__all__ = [
    "CLUSTER_KEYS",
    "JOB_COLUMNS",
    "NODE_KEYS",
    "SACCT_COMMAND",
    "SACCT_FIELDS",
    "SITE_KEYS",
    "SUMMARY_BY",
    "Cluster",
    "ClusterTotals",
    "NodeType",
    "array_tasks",
    "estimate_jobs",
    "first_node",
    "job_arguments",
    "load_cluster",
    "parse_cluster",
    "read_sacct",
    "summarize",
    "totals",
    "totals_text",
]
