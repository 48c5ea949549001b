"""Scan a whole Hub dump of model cards: what the cards mean and what the Hub's filter reads.

A dump is a Parquet or JSON Lines file with one row per model: ``modelId`` and
``card`` (the README.md text), the layout of public Hub card dumps. It is read in
batches (Parquet through ``pyarrow.parquet.ParquetFile.iter_batches``, JSON Lines
as pieces of whole lines parsed by ``pyarrow.json.read_json``), so memory stays flat however many
rows there are. The cards that contain ``co2_eq_emissions`` at all are found with
``pyarrow.compute.match_substring_regex`` (RE2, in C++, on the whole batch); only those are
parsed in Python, with the same reading as ``estimator.modelcard.read_card``.
With ``dask=True`` the file is read with ``dask.dataframe`` and the cards are
parsed on the active Dask scheduler (a ``distributed.Client`` for a cluster).

The result: how many cards carry a block, the distribution of reported emissions
(decade bins, as the cards mean them and as the Hub reads them), how many the
Hub misreads and by what factor, and the ten largest, as text, JSON or a
self-contained HTML chart (inline SVG, no JavaScript, no CDN).
"""

from __future__ import annotations

import heapq
import html
import itertools
import math
import os
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.errors import InputError
from estimator.modelcard import (
    HUB_FRONT,
    CardError,
    CardRecord,
    hub_within,
    record_from_metadata,
    split_front_matter,
)
from estimator.report import num

FORMATS = {".parquet": "parquet", ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl"}
ID_COLUMN = "modelId"
CARD_COLUMN = "card"
KEY = "co2_eq_emissions"
BATCH_ROWS = 16_384
JSONL_CHUNK_BYTES = 16 << 20  # JSON Lines read this many bytes (whole lines) at a time
TOP = 10
# Decade bins in grams: < 1 g, 1-10 g, ..., 100-1,000 t, >= 1,000 t.
EDGES_G = (1.0, 10.0, 100.0, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9)


def _mass_label(grams_value: float) -> str:
    if grams_value >= 1e6:
        return f"{num(grams_value / 1e6)} t"
    if grams_value >= 1e3:
        return f"{num(grams_value / 1e3)} kg"
    return f"{num(grams_value)} g"


BIN_LABELS = (
    f"< {_mass_label(EDGES_G[0])}",
    *(f"{_mass_label(lo)} to {_mass_label(hi)}" for lo, hi in itertools.pairwise(EDGES_G)),
    f">= {_mass_label(EDGES_G[-1])}",
)


def bin_label(grams_value: float) -> str:
    """The decade bin of a positive amount of grams (``BIN_LABELS``)."""
    index = sum(grams_value >= edge for edge in EDGES_G)
    return BIN_LABELS[index]


def misread_kind(meant_g: float | None, hub_g: float | None, has_emissions: bool = True) -> str:
    """How the Hub's reading differs from the card's: a factor ('x1,000'), or why it does."""
    if not has_emissions:
        return "the Hub's filter fails (no emissions)"
    if hub_g is None:
        return "left out by the Hub (0 or no number)"
    if meant_g is None:
        return "the Hub reads a number the card does not mean"
    if meant_g < 0:
        return "sign dropped (negative)"
    if hub_g == 0:
        return "the Hub reads 0"
    factor = meant_g / hub_g
    power = round(math.log10(factor))
    return f"×{num(10.0**power)}" if power >= 0 else f"÷{num(10.0**-power)}"


@dataclass
class DumpSummary:
    """What a dump's cards report. Counts are of cards (rows); grams are g CO2e.

    With bounds (``min_g``/``max_g``), ``matched`` counts the cards kept and the
    bins, misreads and largest are of those cards only; ``rows`` and
    ``with_block`` are always of the whole dump.
    """

    path: str
    rows: int = 0
    with_block: int = 0
    unreadable_cards: int = 0  # the front matter is not valid YAML
    matched: int = 0
    readable: int = 0
    hub_read: int = 0
    misread: int = 0
    bins: Counter[str] = field(default_factory=Counter)
    hub_bins: Counter[str] = field(default_factory=Counter)
    misreads: Counter[str] = field(default_factory=Counter)
    largest: list[CardRecord] = field(default_factory=list)
    worst: list[CardRecord] = field(default_factory=list)  # the largest misreads by factor
    seconds: float = 0.0
    bounds: tuple[float | None, float | None, bool] = (None, None, False)
    engine: str = "pyarrow"
    _largest: list[tuple[float, int, CardRecord]] = field(default_factory=list, repr=False)
    _worst: list[tuple[float, int, CardRecord]] = field(default_factory=list, repr=False)
    _seen: int = 0

    def add(self, record: CardRecord, has_block: bool, bad: bool = False) -> None:
        """Count one card that mentions co2_eq_emissions (the others only count in ``rows``)."""
        if bad:
            self.unreadable_cards += 1
            return
        if not has_block:
            return
        self.with_block += 1
        min_g, max_g, as_hub = self.bounds
        if min_g is not None or max_g is not None:
            if as_hub:
                keep = hub_within(record.hub_g, min_g, max_g)
            else:
                meant = record.emissions_g
                keep = meant is not None and (min_g is None or meant >= min_g) and (max_g is None or meant <= max_g)
            if not keep:
                return
        self.matched += 1
        self._seen += 1
        meant, hub = record.emissions_g, record.hub_g
        if meant is not None:
            self.readable += 1
            self.bins[bin_label(meant) if meant > 0 else ("zero" if meant == 0 else "negative")] += 1
            item = (meant, -self._seen, record)
            if len(self._largest) < TOP:
                heapq.heappush(self._largest, item)
            elif item > self._largest[0]:
                heapq.heapreplace(self._largest, item)
        if hub is not None:
            self.hub_read += 1
            self.hub_bins[bin_label(hub) if hub > 0 else "zero"] += 1
        else:
            self.hub_bins["left out by the Hub"] += 1
        if record.hub_misreads or any("fails on it" in f for f in record.flags):
            self.misread += 1
            has_emissions = not any("fails on it" in f for f in record.flags)
            self.misreads[misread_kind(meant, hub, has_emissions)] += 1
            if meant is not None and meant > 0 and hub:
                item = (meant / hub, -self._seen, record)
                if len(self._worst) < TOP:
                    heapq.heappush(self._worst, item)
                elif item > self._worst[0]:
                    heapq.heapreplace(self._worst, item)

    def finish(self) -> DumpSummary:
        self.largest = [r for _, _, r in sorted(self._largest, key=lambda t: (-t[0], -t[1]))]
        self.worst = [r for _, _, r in sorted(self._worst, key=lambda t: (-t[0], -t[1]))]
        return self

    def to_dict(self) -> dict[str, Any]:
        def rec(r: CardRecord) -> dict[str, Any]:
            return {"modelId": r.path, "emissions_g": r.emissions_g, "hub_g": r.hub_g, "written": r.written}

        min_g, max_g, as_hub = self.bounds
        return {
            "path": self.path,
            "engine": self.engine,
            "rows": self.rows,
            "with_block": self.with_block,
            "unreadable_cards": self.unreadable_cards,
            "bounds": {"min_g": min_g, "max_g": max_g, "as_hub": as_hub},
            "matched": self.matched,
            "readable": self.readable,
            "hub_read": self.hub_read,
            "misread": self.misread,
            "bins": {label: self.bins[label] for label in (*BIN_LABELS, "zero", "negative") if self.bins[label]},
            "hub_bins": {
                label: self.hub_bins[label]
                for label in (*BIN_LABELS, "zero", "left out by the Hub")
                if self.hub_bins[label]
            },
            "misreads": dict(self.misreads.most_common()),
            "largest": [rec(r) for r in self.largest],
            "worst_misreads": [rec(r) for r in self.worst],
            "seconds": self.seconds,
        }

    def bin_rows(self) -> list[tuple[str, int, int]]:
        """(bin, cards as they mean it, cards as the Hub reads it), in order; empty rows left out."""
        labels = ("negative", "zero", *BIN_LABELS, "left out by the Hub")
        rows = [(label, self.bins[label], self.hub_bins[label]) for label in labels]
        return [r for r in rows if r[1] or r[2]]

    def text(self) -> str:
        """The summary as plain-text tables."""
        out = [
            f"{self.path}: {self.rows:,} cards, {self.with_block:,} with co2_eq_emissions"
            + (f" ({100 * self.with_block / self.rows:.2f}%)" if self.rows else "")
            + (f", {self.unreadable_cards:,} with invalid front matter" if self.unreadable_cards else ""),
        ]
        min_g, max_g, as_hub = self.bounds
        if min_g is not None or max_g is not None:
            reading = "as the Hub reads them" if as_hub else "as the cards mean them"
            out.append(
                f"kept {self.matched:,} between {'-' if min_g is None else num(min_g)} and "
                f"{'-' if max_g is None else num(max_g)} g ({reading})"
            )
        out.append(
            f"the Hub's emissions filter misreads {self.misread:,} of {self.matched:,}"
            + (f" ({100 * self.misread / self.matched:.1f}%)" if self.matched else "")
        )
        out += ["", _table(self.bin_rows(), ("emissions", "cards mean", "Hub reads"))]
        if self.misreads:
            out += ["", _table(self.misreads.most_common(), ("how the Hub misreads", "cards"))]
        if self.largest:
            out += ["", "largest reported emissions:", _records_table(self.largest)]
        if self.worst:
            out += ["", "largest misreads (meant / Hub reads):", _records_table(self.worst)]
        return "\n".join(out)


def _table(rows: Iterable[Iterable[Any]], header: tuple[str, ...]) -> str:
    cells = [list(header)] + [[f"{c:,}" if isinstance(c, int) else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    lines = [
        "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths, strict=True)))
        for r in cells
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def _records_table(records: list[CardRecord]) -> str:
    rows = [
        (
            r.path,
            "" if r.emissions_g is None else num(r.emissions_g),
            "-" if r.hub_g is None else num(r.hub_g),
            (r.written or "")[:30],
        )
        for r in records
    ]
    return _table(rows, ("model", "meant g", "Hub reads g", "written"))


# ---------------------------------------------------------------- reading one card


def _arrow(module: str) -> Any:
    """pyarrow (a dependency) or one of its modules, imported when needed (it ships no type stubs)."""
    import importlib

    return importlib.import_module(f"pyarrow.{module}" if module else "pyarrow")


def _loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_dump_card(text: str, model_id: str, loader: Any = None) -> tuple[CardRecord, bool, bool]:
    """(record, has a block, front matter invalid) for one card's text; ``read_card_text``'s reading.

    The front matter is loaded with libyaml's safe loader where PyYAML has it (the
    same values as the pure-Python loader, several times faster); anything the
    fast path is not sure of goes through ``modelcard.split_front_matter`` itself.
    """
    import yaml

    match = HUB_FRONT.match(text)  # the Hub's rule: '---' alone on its line ('--- ' opens nothing)
    inner = match.group(2) if match is not None else ""
    # aliases: the card reader refuses them, say it the same; a tab: libyaml takes 'key:\tvalue', which the Hub's
    # pure-Python loader refuses (both to the reference reader)
    if match is not None and "*" not in inner and "\t" not in inner:
        try:
            metadata = yaml.load(inner, Loader=loader or _loader())  # a safe loader (libyaml's or PyYAML's)
        except yaml.YAMLError:
            metadata = None
        if isinstance(metadata, dict):
            if metadata.get(KEY) is None:
                return CardRecord(model_id, None), False, False
            return record_from_metadata(metadata, text[match.end() :], model_id), True, False
    try:  # the reference reader: its exact message for bad YAML, and the forms the fast path skips
        fm = split_front_matter(text, model_id)
    except CardError as exc:
        return CardRecord(model_id, None, flags=(str(exc),)), False, True
    if not fm.head or fm.metadata.get(KEY) is None:
        return CardRecord(model_id, None), False, False
    return record_from_metadata(fm.metadata, fm.tail, model_id), True, False


# ---------------------------------------------------------------- the file


def dump_format(path: str | os.PathLike[str]) -> str | None:
    """'parquet' or 'jsonl' for a dump file's name, None for anything else."""
    return FORMATS.get(Path(path).suffix.lower())


def is_dump(path: str | os.PathLike[str]) -> bool:
    """True when ``path`` is a file named like a Parquet or JSON Lines dump."""
    return dump_format(path) is not None and not Path(path).is_dir()


def _check(path: Path) -> str:
    kind = dump_format(path)
    if kind is None:
        raise InputError(
            f"{path}: not a dump file; give a .parquet or .jsonl file of cards (columns {ID_COLUMN}, {CARD_COLUMN})"
        )
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    return kind


def _columns_error(path: Path, names: list[str]) -> InputError:
    return InputError(
        f"{path}: a dump needs the columns {ID_COLUMN!r} and {CARD_COLUMN!r} (the model id and its README text); "
        f"it has {', '.join(map(repr, names)) or 'none'}"
    )


def iter_batches(path: str | os.PathLike[str], batch_rows: int = BATCH_ROWS) -> Iterator[Any]:
    """The dump's ``modelId`` and ``card`` columns, a batch at a time (flat memory)."""
    pa = _arrow("")

    p = Path(path)
    kind = _check(p)
    if kind == "parquet":
        pq = _arrow("parquet")

        try:
            # pre_buffer off: Arrow otherwise reads ahead whole row groups (measured: 4x the peak memory)
            parquet = pq.ParquetFile(p, pre_buffer=False)
        except (pa.ArrowInvalid, OSError) as exc:
            raise InputError(f"{p}: not a readable Parquet file ({exc})") from None
        columns = parquet.schema_arrow.names
        if ID_COLUMN not in columns or CARD_COLUMN not in columns:
            raise _columns_error(p, columns)
        yield from parquet.iter_batches(batch_size=batch_rows, columns=[ID_COLUMN, CARD_COLUMN])
        return
    pj = _arrow("json")
    names: list[str] | None = None
    try:
        for chunk in _line_chunks(p):
            # One block per chunk (a card can be long: the block must hold whole lines); parsed in C++.
            table = pj.read_json(pa.BufferReader(chunk), read_options=pj.ReadOptions(block_size=len(chunk) + 1))
            if names is None:
                names = table.schema.names
                if ID_COLUMN not in names or CARD_COLUMN not in names:
                    raise _columns_error(p, names)
            if ID_COLUMN not in table.schema.names or CARD_COLUMN not in table.schema.names:
                continue  # no row of this chunk has the column: nothing to read in it
            yield from table.select([ID_COLUMN, CARD_COLUMN]).to_batches(max_chunksize=batch_rows)
    except pa.ArrowInvalid as exc:
        raise InputError(f"{p}: not readable JSON Lines ({exc})") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot read it ({exc})") from None


def _line_chunks(path: Path, size: int | None = None) -> Iterator[bytes]:
    """The file's bytes in pieces of about ``size`` (default ``JSONL_CHUNK_BYTES``) that end at a line end
    (a longer line is one piece)."""
    size = size or JSONL_CHUNK_BYTES
    with path.open("rb") as fh:
        rest = b""
        while block := fh.read(size):
            block = rest + block
            cut = block.rfind(b"\n") + 1
            if cut == 0:
                rest = block
                continue
            yield block[:cut]
            rest = block[cut:]
        if rest.strip():
            yield rest


def _candidates(batch: Any) -> tuple[list[Any], list[Any]]:
    """The ids and texts of the batch's cards that contain co2_eq_emissions anywhere."""
    pc = _arrow("compute")

    cards = batch.column(CARD_COLUMN)
    if cards.type not in (_string_types()):
        cards = cards.cast("large_string")
    # RE2 on a literal: several times faster than match_substring on long texts (same answer)
    mask = pc.fill_null(pc.match_substring_regex(cards, KEY), False)
    if not pc.any(mask).as_py():
        return [], []
    return batch.column(ID_COLUMN).filter(mask).to_pylist(), cards.filter(mask).to_pylist()


def _string_types() -> tuple[Any, ...]:
    pa = _arrow("")

    return (pa.string(), pa.large_string(), pa.string_view())


def scan_dump(
    path: str | os.PathLike[str],
    min_g: float | None = None,
    max_g: float | None = None,
    as_hub: bool = False,
    dask: bool = False,
    batch_rows: int = BATCH_ROWS,
) -> DumpSummary:
    """Scan a Parquet or JSON Lines dump of model cards; see the module docstring.

    Parameters
    ----------
    path
        ``.parquet`` or ``.jsonl`` (``.ndjson``, ``.json``) with columns ``modelId`` and ``card``.
    min_g, max_g
        Keep only cards within these grams (as the cards mean them, or with
        ``as_hub`` as the Hub's filter reads them, ``hub_grams``).
    as_hub
        Apply the bounds the way ``HfApi.list_models(emissions_thresholds=...)`` does.
    dask
        Read and parse with ``dask.dataframe`` (``pip install 'co2-estimator[dask]'``).
    batch_rows
        Rows per batch for the streamed (pyarrow) reading.

    Returns
    -------
    DumpSummary
    """
    if min_g is not None and max_g is not None and min_g > max_g:
        raise InputError(f"--min-g {min_g:g} is above --max-g {max_g:g}")
    if batch_rows < 1:
        raise InputError(f"batch_rows must be at least 1; got {batch_rows}")
    start = time.perf_counter()
    summary = DumpSummary(str(path), bounds=(min_g, max_g, as_hub))
    if dask:
        _scan_dask(Path(path), summary)
    else:
        loader = _loader()
        for batch in iter_batches(path, batch_rows):
            summary.rows += batch.num_rows
            for model_id, text in zip(*_candidates(batch), strict=True):
                if text is None:
                    continue
                record, has_block, bad = read_dump_card(text, str(model_id), loader)
                summary.add(record, has_block, bad)
    summary.seconds = time.perf_counter() - start
    return summary.finish()


# ---------------------------------------------------------------- dask


def _partition(frame: Any) -> Any:
    """One Dask partition's cards with a block, as plain columns (plus a row holding the partition's size)."""
    import pandas as pd

    loader = _loader()
    cards = frame[CARD_COLUMN]
    mask = cards.str.contains(KEY, regex=False, na=False)
    out: list[tuple[Any, ...]] = [("", None, None, None, False, False, "", len(frame))]
    for model_id, text in zip(frame[ID_COLUMN][mask], cards[mask], strict=True):
        record, has_block, bad = read_dump_card(str(text), str(model_id), loader)
        if has_block or bad:
            out.append(
                (
                    record.path,
                    record.emissions_g,
                    record.hub_g,
                    record.written,
                    has_block,
                    bad,
                    "\n".join(record.flags),
                    0,
                )
            )
    return pd.DataFrame(out, columns=list(_DASK_META))


_DASK_META = {
    "modelId": "object",
    "emissions_g": "float64",
    "hub_g": "float64",
    "written": "object",
    "has_block": "bool",
    "bad": "bool",
    "flags": "object",
    "rows": "int64",
}


def _scan_dask(path: Path, summary: DumpSummary) -> None:
    kind = _check(path)
    try:
        import dask.dataframe as dd
    except ImportError:
        raise InputError("dask=True needs Dask: pip install 'co2-estimator[dask]'") from None
    import pandas as pd

    summary.engine = "dask"
    if kind == "parquet":
        pq = _arrow("parquet")

        names = pq.ParquetFile(path).schema_arrow.names
        if ID_COLUMN not in names or CARD_COLUMN not in names:
            raise _columns_error(path, names)
        frame = dd.read_parquet(str(path), columns=[ID_COLUMN, CARD_COLUMN])
    else:
        frame = dd.read_json(str(path), lines=True, blocksize=32 << 20, dtype=False)
        names = list(frame.columns)
        if ID_COLUMN not in names or CARD_COLUMN not in names:
            raise _columns_error(path, names)
        frame = frame[[ID_COLUMN, CARD_COLUMN]]
    meta = pd.DataFrame({k: pd.Series(dtype=v) for k, v in _DASK_META.items()})
    result = frame.map_partitions(_partition, meta=meta).compute()
    summary.rows = int(result["rows"].sum())
    for row in result[result["rows"] == 0].itertuples(index=False):
        flags = tuple(row.flags.split("\n")) if row.flags else ()
        emissions = None if pd.isna(row.emissions_g) else float(row.emissions_g)
        hub = None if pd.isna(row.hub_g) else float(row.hub_g)
        record = CardRecord(row.modelId, emissions, flags=flags, hub_g=hub, written=row.written)
        summary.add(record, bool(row.has_block), bool(row.bad))


# ---------------------------------------------------------------- the chart


# The charts' colours and type, in the page's style block and inside a standalone SVG alike.
SVG_STYLE = (
    "text{font-size:12px;fill:#222;font-family:system-ui,sans-serif}.n{fill:#555}.meant{fill:#2b7a4b}.hub{fill:#c0504d}"
)


def chart_html(summary: DumpSummary) -> str:
    """A self-contained HTML page: the summary's bins and misreads as inline SVG bar charts.

    No JavaScript and nothing fetched: it opens offline in any browser. Every
    text from the dump (model ids) is HTML-escaped.
    """
    bins = summary.bin_rows()
    width, bar_h, gap, label_w = 760, 14, 10, 170
    scale_max = max([max(b[1], b[2]) for b in bins] + [1])
    plot_w = width - label_w - 80
    parts = []
    y = 30
    parts.append(
        f'<text x="{label_w}" y="18" class="legend"><tspan class="meant">■</tspan> as the cards mean them '
        f'<tspan class="hub">■</tspan> as the Hub\'s filter reads them</text>'
    )
    for label, meant, hub in bins:
        parts.append(f'<text x="{label_w - 8}" y="{y + bar_h}" text-anchor="end">{html.escape(label)}</text>')
        for i, (count, cls) in enumerate(((meant, "meant"), (hub, "hub"))):
            w = plot_w * count / scale_max
            top = y + i * bar_h
            parts.append(f'<rect class="{cls}" x="{label_w}" y="{top}" width="{w:.1f}" height="{bar_h - 1}"/>')
            parts.append(f'<text x="{label_w + w + 4:.1f}" y="{top + bar_h - 3}" class="n">{count:,}</text>')
        y += 2 * bar_h + gap
    svg_bins = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10}">{"".join(parts)}</svg>'

    misreads = summary.misreads.most_common()
    parts = []
    y = 10
    top_n = max([n for _, n in misreads] + [1])
    for label, count in misreads:
        w = plot_w * count / top_n
        parts.append(f'<text x="{label_w + 60}" y="{y + bar_h - 2}" text-anchor="end">{html.escape(label)}</text>')
        parts.append(f'<rect class="hub" x="{label_w + 68}" y="{y}" width="{w * 0.85:.1f}" height="{bar_h}"/>')
        parts.append(f'<text x="{label_w + 72 + w * 0.85:.1f}" y="{y + bar_h - 2}" class="n">{count:,}</text>')
        y += bar_h + 6
    svg_misreads = f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{y + 10}">{"".join(parts)}</svg>'

    def table(records: list[CardRecord]) -> str:
        rows = "".join(
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>".format(
                html.escape(r.path),
                "" if r.emissions_g is None else html.escape(num(r.emissions_g)),
                "-" if r.hub_g is None else html.escape(num(r.hub_g)),
                html.escape(r.written or ""),
            )
            for r in records
        )
        return f"<table><tr><th>model</th><th>meant g</th><th>Hub reads g</th><th>written</th></tr>{rows}</table>"

    share = f"{100 * summary.misread / summary.matched:.1f}%" if summary.matched else "-"
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        "<title>co2_eq_emissions in a Hub dump</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em;max-width:60em}"
        f"{SVG_STYLE}"
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:left}"
        "</style></head><body>"
        f"<h1>co2_eq_emissions in {html.escape(Path(summary.path).name)}</h1>"
        f"<p>{summary.rows:,} cards; {summary.with_block:,} with a co2_eq_emissions block; "
        f"the Hub's emissions filter misreads {summary.misread:,} of {summary.matched:,} ({share}). "
        "The Hub's filter takes the first number of the value and ignores units and signs.</p>"
        f"<h2>Reported emissions (decade bins)</h2>{svg_bins}"
        f"<h2>How the Hub misreads</h2>{svg_misreads}"
        f"<h2>Ten largest reported</h2>{table(summary.largest)}"
        f"<h2>Largest misreads</h2>{table(summary.worst)}"
        "<p>Made by co2-estimator scan.</p></body></html>\n"
    )


# The charts' colours and type, in the page's style block and inside a standalone SVG alike.
SVG_STYLE = (
    "text{font-size:12px;fill:#222;font-family:system-ui,sans-serif}.n{fill:#555}.meant{fill:#2b7a4b}.hub{fill:#c0504d}"
)


def write_chart(summary: DumpSummary, path: str | os.PathLike[str]) -> Path:
    """Write ``chart_html`` (``.html``) or the bins' SVG alone, with its colours (``.svg``), to ``path``."""
    from estimator import fileio

    p = Path(path)
    text = chart_html(summary)
    if p.suffix.lower() == ".svg":
        start = text.index("<svg")
        svg = text[start : text.index("</svg>", start) + len("</svg>")]
        opened = svg.index(">") + 1
        text = f"{svg[:opened]}<style>{SVG_STYLE}</style>{svg[opened:]}\n"
    elif p.suffix.lower() not in (".html", ".htm"):
        raise InputError(f"--chart {p}: give a .html or .svg file name")
    fileio.write_atomic(p, text)  # through a link, never over it; a read-only file refused
    return p
