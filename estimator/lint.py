"""Lint a model card's ``co2_eq_emissions`` block: every problem, with its line and a fix.

The Hub documents the block as a mapping with ``emissions`` in grams of CO2e,
``source``, ``training_type``, ``geographical_location`` and ``hardware_used``
(https://huggingface.co/docs/hub/model-cards-co2). Its emissions filter
(``HfApi.list_models(emissions_thresholds=...)``) reads the first number of the
value and ignores units and signs (``estimator.modelcard.hub_grams``), so a card
can mean 1,700 g and be found at 1.7 g. ``lint`` says so, with both numbers, and
``fix_block`` gives the block rewritten in grams for the safe merge.

Codes (severity):

- ``bad-card`` (error): the front matter is not valid YAML, or unsafe.
- ``no-emissions`` (error): a mapping without ``emissions``; huggingface_hub's
  filter raises ``KeyError`` on it.
- ``unreadable`` (error): ``emissions`` is not a number with a known unit.
- ``negative`` (error), ``zero`` (error): the Hub reads -5 as 5 g and leaves 0 out.
- ``hub-misread`` (error): the Hub's filter reads another number than the card means.
- ``units-in-string`` (warning): ``emissions`` is text with a unit, not a number of grams.
- ``bare-value`` (warning): ``co2_eq_emissions: 12`` rather than the documented mapping.
- ``kg-as-grams`` (warning): the number is implausibly small for the hardware and
  hours the card names, or the card's text gives the same number in kg.
- ``missing-field`` (warning): one of ``source``, ``training_type``,
  ``geographical_location``, ``hardware_used`` is absent.
- ``training-type`` (warning): not "pre-training" or "fine-tuning".
- ``too-large`` (warning): above 100,000 t, beyond any published training run.
- ``no-block`` (error, only with ``require_block``): the card has no block.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import types
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from estimator import modelcard
from estimator.errors import AmbiguousNameError, EstimatorError
from estimator.modelcard import CardError, CardUpdate, grams, hub_differs, hub_grams, parse_amount
from estimator.report import num

if TYPE_CHECKING:
    from estimator.catalog import Catalog
    from estimator.records import Region

FIELDS = ("source", "training_type", "geographical_location", "hardware_used")
# What a "fix" line suggests adding: a placeholder in <>, with an example (never read from the card).
FIELD_EXAMPLES = {
    "source": "source: <the tool and method you used, e.g. CodeCarbon>",
    "training_type": "training_type: <pre-training or fine-tuning>",
    "geographical_location": "geographical_location: <a cloud region, country or place, e.g. gcp:us-central1>",
    "hardware_used": "hardware_used: <your hardware, e.g. 8 x NVIDIA A100 SXM4 80GB>",
}
# A reported figure below this fraction of the TDP-based figure (all devices at
# their rated power, PUE 1.0) is flagged as likely kilograms. A threshold we chose,
# not a measured figure: well below the lowest measured training draw behind the
# package's own range (0.27 of TDP, Dodge et al. 2022, FAccT, Table 2; see
# plan.TYPICAL_TRAINING_DRAW_FRACTION), leaving room for a cleaner grid as well.
PLAUSIBLE_FRACTION = 0.1
HOURS_KEYS = ("training_time", "training_hours", "hours", "training_duration")
_DURATION = re.compile(
    r"(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>hours?|hrs?|h|days?|d|minutes?|mins?|m|seconds?|secs?|s)\b", re.IGNORECASE
)
_BODY_DURATION = re.compile(
    r"\b(?:trained|training(?:\s+time)?(?:\s+took)?)\s*(?:for|took|of|:|was)?\s*(?:about|around|approximately|~)?\s*"
    r"(?P<n>\d[\d,]*(?:\.\d+)?)\s*(?P<unit>hours?|hrs?|h|days?|minutes?|mins?)\b",
    re.IGNORECASE,
)
_UNIT_HOURS = {"h": 1.0, "d": 24.0, "m": 1 / 60, "s": 1 / 3600}
_COUNT_FIRST = re.compile(r"^\s*(?P<count>\d+)\s*[x×]\s*(?P<name>.+?)\s*$", re.IGNORECASE)
_COUNT_LAST = re.compile(r"^\s*(?P<name>.+?)\s*[x×]\s*(?P<count>\d+)\s*$", re.IGNORECASE)
_EMISSIONS_LINE = re.compile(r"""^[ \t]+(["']?)emissions\1[ \t]*:""")


@dataclass(frozen=True)
class Finding:
    """One problem with a card's ``co2_eq_emissions``: where, what, and how to fix it.

    ``line`` is 1-based in the file (None when the problem has no line, such as
    a missing block); ``fix`` is the suggested change, as text.
    """

    path: str
    code: str
    severity: str  # "error" or "warning"
    message: str
    line: int | None
    fix: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "line": self.line,
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "fix": self.fix,
        }

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        return f"{where}: {self.severity} {self.code}: {self.message}\n    fix: {self.fix}"


# ---------------------------------------------------------------- paths


def card_paths(paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]]) -> list[Path]:
    """The card files ``paths`` name: a file as given, a folder as every README.md below it."""
    items = [paths] if isinstance(paths, str | os.PathLike) else list(paths)
    if not items:
        raise CardError("no path given; name a model card (README.md) or a folder of model repos")
    found: list[Path] = []
    for item in items:
        p = Path(item)
        if p.is_dir():
            cards = sorted(c for c in p.rglob("*") if c.name.lower() == "readme.md" and c.is_file())
            if not cards:
                raise CardError(f"{p}: no README.md below this folder; give a model card or a folder of model repos")
            found.extend(cards)
        elif p.exists():
            found.append(p)
        else:
            raise CardError(f"{p}: no such file or folder")
    return found


# ---------------------------------------------------------------- the checks


def _hours(block: dict[str, Any], body: str) -> tuple[float, str] | None:
    """Training hours from the block (``training_time``...) or the card's text; and where they came from."""
    for key in HOURS_KEYS:
        value = block.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value), f"{key}: {value!r} (read as hours)"
        if isinstance(value, str):
            match = _DURATION.search(value)
            if match:
                hours = _to_hours(match["n"], match["unit"])
                if hours > 0:
                    return hours, f"{key}: {value!r}"
    match = _BODY_DURATION.search(body)
    if match:
        hours = _to_hours(match["n"], match["unit"])
        if hours > 0:
            return hours, f"the card's text: {match.group(0).strip()!r}"
    return None


def _to_hours(number: str, unit: str) -> float:
    return float(number.replace(",", "")) * _UNIT_HOURS[unit[0].lower()]


def _devices(catalog: Catalog, text: str) -> list[tuple[int, str, float]]:
    """(count, name, watts) for each device ``hardware_used`` names; an ambiguous name takes the lowest TDP."""
    inner = re.search(r"\(([^()]*)\)\s*$", text)
    if inner:
        text = inner.group(1)
    out = []
    for piece in re.split(r",|\+|\band\b", text):
        part = piece.strip()
        if not part:
            continue
        match = _COUNT_FIRST.match(part) or _COUNT_LAST.match(part)
        count, name = (int(match["count"]), match["name"]) if match else (1, part)
        try:
            device, _ = catalog.device(name)
        except AmbiguousNameError as exc:
            options = [catalog.devices[c] for c in exc.candidates if c in catalog.devices]
            if not options:
                continue
            low = min(options, key=lambda d: d.tdp_w)
            out.append((count, f"{name} (lowest TDP of {len(options)} matches: {low.name})", low.tdp_w))
            continue
        except EstimatorError:
            continue
        out.append((count, device.name, device.tdp_w))
    return out


def _grid(catalog: Catalog, region: Region) -> tuple[float, str] | None:
    """The central intensity estimates use for ``region`` (``grid.choose``, latest year): g/kWh and its label."""
    from estimator import grid

    try:
        choice = grid.choose(catalog, region)
    except EstimatorError:
        return None
    return choice.value_g_per_kwh, f"{region.id}, {choice.dataset} {choice.year}"


@functools.lru_cache(maxsize=16)  # per catalog (compared by identity, and kept alive: no reuse of a dead id)
def _cleanest_cloud(catalog: Catalog) -> tuple[float, str]:
    """The lowest central intensity among the catalog's cloud regions (computed once per catalog)."""
    figures = [g for r in catalog.regions.values() if r.provider and (g := _grid(catalog, r)) is not None]
    return min(figures) if figures else (0.0, "no cloud region with a figure")


def _intensity(catalog: Catalog, location: str | None) -> tuple[float, str]:
    """Grid intensity (g/kWh) for ``location``; the cleanest cloud region in the catalog when it is unknown."""
    if location:
        inner = re.search(r"\(([^()]*)\)", location)
        tries = [location]
        if inner:
            tries += [inner.group(1), *inner.group(1).split()]
        tries += [part.strip() for part in re.sub(r"\([^()]*\)", "", location).split(",")]
        for query in tries:
            if not query:
                continue
            try:
                region, hit = catalog.region(query)
            except AmbiguousNameError as exc:
                figures = [
                    g for c in exc.candidates if c in catalog.regions and (g := _grid(catalog, catalog.regions[c]))
                ]
                if not figures:
                    continue
                value, label = min(figures)
                return (
                    value,
                    f"{num(value)} g/kWh ({label}: the lowest of the {len(figures)} regions {query!r} matches)",
                )
            except EstimatorError:
                continue
            figure = _grid(catalog, region) if not hit.loose else None
            if figure is not None:
                return figure[0], f"{num(figure[0])} g/kWh ({figure[1]})"
    value, label = _cleanest_cloud(catalog)
    return value, f"{num(value)} g/kWh (no known location: the cleanest cloud region in the catalog, {label})"


def plausible_floor(
    catalog: Catalog, hardware: str | None, location: str | None, block: dict[str, Any], body: str
) -> tuple[float, str] | None:
    """The least a run on this hardware for these hours plausibly emitted (grams), and the reasoning.

    ``count × TDP (W) × hours / 1000 × PUE 1.0 × grid intensity (g/kWh) × PLAUSIBLE_FRACTION``;
    None when the card names no known hardware or no hours.
    """
    if not hardware:
        return None
    hours = _hours(block, body)
    devices = _devices(catalog, hardware)
    if hours is None or not devices:
        return None
    hours_value, hours_from = hours
    watts = sum(count * tdp for count, _, tdp in devices)
    kwh = watts * hours_value / 1000
    intensity, intensity_from = _intensity(catalog, location)
    at_tdp_g = kwh * intensity
    floor_g = at_tdp_g * PLAUSIBLE_FRACTION
    parts = " + ".join(f"{count} × {name} ({num(tdp)} W TDP)" for count, name, tdp in devices)
    reasoning = (
        f"{parts} = {num(watts)} W × {num(hours_value)} h ({hours_from}) = {num(kwh)} kWh at TDP; "
        f"× PUE 1.0 × {intensity_from} = {num(at_tdp_g)} g; a tenth of that, allowing for devices "
        f"drawing well under their TDP, is {num(floor_g)} g"
    )
    return floor_g, reasoning


def fix_block(raw: Any) -> dict[str, Any] | None:
    """``co2_eq_emissions`` rewritten with ``emissions`` as a number of grams, or None if there is nothing
    to rewrite (already grams) or nothing safe to write (unreadable, negative, zero, no ``emissions``).

    Only the unit changes: a string with a unit becomes its grams, a bare value
    becomes ``{emissions: grams}``; every other key is kept as it is.
    """
    if isinstance(raw, dict):
        if "emissions" not in raw:
            return None
        value = raw["emissions"]
        block = dict(raw)
    else:
        value = raw
        block = {}
    meant, _ = parse_amount(value)
    if meant is None or meant <= 0:
        return None
    block["emissions"] = grams(meant)
    if hub_differs(meant, hub_grams(block)):
        return None  # no plain number form the Hub reads right (e.g. 1e-05 g, str() gives '1e-05')
    if isinstance(raw, dict) and block["emissions"] == value and type(value) is type(block["emissions"]):
        return None
    return block


def _line_numbers(fm: modelcard.FrontMatter) -> tuple[int | None, int | None]:
    """File lines (1-based) of the ``co2_eq_emissions`` key and of its ``emissions`` entry, in a card's front matter."""
    span = modelcard.block_span(fm.lines) if fm.head else None
    if span is None:
        return None, None
    key, end = span
    emissions = next((i for i in range(key + 1, end) if _EMISSIONS_LINE.match(fm.lines[i])), key)
    return key + 2, emissions + 2


def _bad_card_fix(message: str) -> str:
    """The fix for front matter this tool cannot read, by what the message found."""
    if "aliases" in message:
        return "write each aliased value (*name) out in full: aliases are valid YAML, but refused here"
    if "'...'" in message:
        return "change the '...' line to '---', where the Hub ends front matter"
    return "make the front matter valid YAML (plain keys and values; no !!python tags)"


def lint_text(
    text: str, name: str = "model card", require_block: bool = False, catalog: Catalog | None = None
) -> list[Finding]:
    """The findings for a card's text (see the module's codes); ``catalog`` for the plausibility check."""
    try:
        fm = modelcard.split_front_matter(text, name)
    except CardError as exc:
        message = str(exc).removeprefix(f"{name}: ")
        line_match = re.match(r"line (\d+):", message)
        return [
            Finding(
                name,
                "bad-card",
                "error",
                message,
                int(line_match.group(1)) if line_match else None,
                _bad_card_fix(message),
            )
        ]
    raw = fm.metadata.get("co2_eq_emissions") if fm.head else None
    if raw is None:
        if not require_block:
            return []
        return [
            Finding(
                name,
                "no-block",
                "error",
                "the card has no co2_eq_emissions block" + ("" if fm.head else " (no YAML front matter)"),
                None,
                "add one: co2-estimator card README.md --hardware ... --hours ... --region ... --write",
            )
        ]
    key_line, value_line = _line_numbers(fm)
    record = modelcard.record_from_metadata(fm.metadata, fm.tail, name)
    block = raw if isinstance(raw, dict) else {}
    value = raw.get("emissions") if isinstance(raw, dict) else raw
    meant, hub = record.emissions_g, record.hub_g
    fixed = fix_block(raw)
    in_grams = f"emissions: {fixed['emissions']}" if fixed else None
    fix_hint = f"write {in_grams} (co2-estimator lint --fix does it)" if in_grams else ""
    findings: list[Finding] = []

    def add(code: str, severity: str, message: str, fix: str, line: int | None = value_line) -> None:
        findings.append(Finding(name, code, severity, message, line, fix))

    _shape_findings(add, raw, value, meant, in_grams, fix_hint, key_line)
    _value_findings(add, value, meant, hub, fix_hint)
    if meant is not None and meant > 0:
        _kg_findings(add, record, meant, block, fm.tail, catalog)
    if isinstance(raw, dict):
        _field_findings(add, raw, key_line)
    return findings


Add = Callable[..., None]


def _shape_findings(
    add: Add, raw: Any, value: Any, meant: float | None, in_grams: str | None, fix_hint: str, key_line: int | None
) -> None:
    """The block's shape: emissions missing or empty, a bare value, unreadable, units in a string."""
    if isinstance(raw, dict) and "emissions" not in raw:
        add(
            "no-emissions",
            "error",
            "co2_eq_emissions has no 'emissions' entry; the Hub's emissions filter fails on this card "
            "(huggingface_hub raises KeyError 'emissions')",
            "add emissions: <grams of CO2e>, e.g. from co2-estimator estimate --format modelcard",
            key_line,
        )
    elif not isinstance(raw, dict):
        add(
            "bare-value",
            "warning",
            f"co2_eq_emissions is a bare value ({value!r}), not the mapping the Hub documents",
            (f"write it as a mapping with {in_grams}" if in_grams else "write it as a mapping with emissions: <grams>")
            + " and source, training_type, geographical_location, hardware_used",
            key_line,
        )
    if isinstance(raw, dict) and "emissions" in raw and value is None:
        add(
            "no-emissions",
            "error",
            "co2_eq_emissions has an empty 'emissions'; the Hub's emissions filter leaves the card out",
            "write emissions: <grams of CO2e>, e.g. from co2-estimator estimate --format modelcard",
        )
    if value is not None and meant is None:
        add(
            "unreadable",
            "error",
            f"emissions {value!r} is not a number of grams (nor a number with a known unit)",
            "write the number of grams of CO2e, e.g. emissions: 1700",
        )
    if isinstance(value, str) and meant is not None:
        add(
            "units-in-string",
            "warning",
            f"emissions is text {value!r}, not a number of grams; it means {num(meant)} g",
            fix_hint or "write the number of grams without a unit",
        )


def _value_findings(add: Add, value: Any, meant: float | None, hub: float | None, fix_hint: str) -> None:
    """The value: negative, zero, read differently by the Hub, implausibly large."""
    if meant is not None and meant < 0:
        add(
            "negative",
            "error",
            f"emissions {value!r} is negative; the Hub's filter drops the sign and reads {num(hub or 0)} g",
            "write the positive number of grams the run emitted",
        )
    if meant == 0:
        add(
            "zero",
            "error",
            f"emissions {value!r} is zero; the Hub's emissions filter leaves the card out",
            "write the measured or estimated grams (a run draws power: 0 g is never right)",
        )
    if value is not None and meant is not None and meant > 0 and hub_differs(meant, hub):
        said = "leaves it out" if hub is None else f"reads {num(hub)} g"
        ratio = meant / hub if hub else 0.0
        factor = f" ({num(ratio)} times less)" if ratio > 1 else (f" ({num(1 / ratio)} times more)" if ratio else "")
        add(
            "hub-misread",
            "error",
            f"emissions {value!r} means {num(meant)} g but the Hub's emissions filter {said}{factor}: "
            "it takes the first number and ignores units",
            fix_hint
            or (
                "none: the Hub reads a number of grams under 0.0001 or from 1e16 by the digits before its exponent, "
                "however it is written; check the figure (a run's hours, its counts)"
                if meant < 1e-4 or meant >= 1e16
                else "write the grams as a plain number"
            ),
        )
    elif value is not None and meant is None and hub is not None:
        add(
            "hub-misread",
            "error",
            f"emissions {value!r} cannot be read as grams, yet the Hub's emissions filter reads {num(hub)} g",
            "write the number of grams of CO2e, e.g. emissions: 1700",
        )
    if meant is not None and meant > modelcard.IMPLAUSIBLE_G:
        add(
            "too-large",
            "warning",
            f"{num(meant)} g is above 100,000 t, beyond any published training run",
            "check the unit: emissions is in grams",
        )


def _kg_findings(
    add: Add, record: Any, meant: float, block: dict[str, Any], tail: str, catalog: Catalog | None
) -> None:
    """Likely kilograms written as grams: the card's text says so, or the hardware and hours make it implausible."""
    body_kg = [f for f in record.flags if "unit may be wrong" in f]
    if body_kg:
        add(
            "kg-as-grams",
            "warning",
            f"likely kilograms written as grams: {body_kg[0]}",
            f"if the figure is in kilograms, write emissions: {grams(meant * 1000)}",
        )
    else:
        if catalog is None:
            from estimator.catalog import load_catalog

            catalog = load_catalog()
        hardware = block.get("hardware_used")
        location = block.get("geographical_location")
        floor = plausible_floor(
            catalog,
            hardware if isinstance(hardware, str) else None,
            location if isinstance(location, str) else None,
            block,
            tail,
        )
        if floor is not None and meant < floor[0]:
            add(
                "kg-as-grams",
                "warning",
                f"likely kilograms written as grams: {num(meant)} g is implausibly small for the hardware "
                f"and hours in the card: {floor[1]}",
                f"if the figure is in kilograms, write emissions: {grams(meant * 1000)}",
            )


def _field_findings(add: Add, raw: dict[str, Any], key_line: int | None) -> None:
    """Missing source, training_type, geographical_location, hardware_used; an unknown training type."""
    if isinstance(raw, dict):
        for key in FIELDS:
            if raw.get(key) in (None, ""):
                add(
                    "missing-field",
                    "warning",
                    f"co2_eq_emissions has no {key}",
                    f"add {FIELD_EXAMPLES[key]}",
                    key_line,
                )
        training = raw.get("training_type")
        if training not in (None, "") and training not in modelcard.TRAINING_TYPES:
            meant = modelcard.near_training_type(training) if isinstance(training, str) else None
            add(
                "training-type",
                "warning",
                f"training_type {training!r} is not one the Hub knows ({', '.join(modelcard.TRAINING_TYPES)})"
                + (f": did you mean {meant!r}?" if meant else ""),
                f"write training_type: {meant}"
                if meant
                else "write training_type: pre-training or training_type: fine-tuning",
                key_line,
            )


def lint(
    path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    require_block: bool = False,
    data_files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
) -> list[Finding]:
    """Every problem with the ``co2_eq_emissions`` block of a card, or of every README.md in a folder.

    Parameters
    ----------
    path
        A model card (README.md), a folder of model repos, or several of them.
    require_block
        Report a card without the block (``no-block``); by default such a card
        has nothing to lint.
    data_files
        Your own devices or regions (same schema), for the plausibility check.

    Returns
    -------
    list of Finding
        In file order, then check order; empty when every card is clean.

    Raises
    ------
    CardError
        A path that does not exist, a folder without README.md, a file that is
        not UTF-8 text or is over the size limit. (A card whose front matter is
        not valid YAML is a ``bad-card`` finding.)
    """
    from estimator.catalog import load_catalog

    catalog = load_catalog(data_files) if data_files is not None else None
    findings: list[Finding] = []
    for card in card_paths(path):
        findings.extend(lint_text(modelcard.read_text(card), str(card), require_block, catalog))
    return findings


def fix(path: str | os.PathLike[str], write: bool = False) -> CardUpdate | None:
    """The card at ``path`` with its block rewritten in grams through ``modelcard.update_card``
    (the safe merge: every byte outside the block kept); None when there is nothing to rewrite."""
    text = modelcard.read_text(path)
    fm = modelcard.split_front_matter(text, str(path))
    block = fix_block(fm.metadata.get("co2_eq_emissions")) if fm.head else None
    if block is None:
        return None
    return modelcard.update_card(path, block, write=write)


class _CallableModule(types.ModuleType):
    """``estimator.lint`` is both this module and the function ``lint`` (exported lazily from
    ``estimator``): once ``import estimator.lint`` has run, Python binds the name to the
    module, so the module forwards calls to the function and either works."""

    def __call__(
        self,
        path: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
        require_block: bool = False,
        data_files: str | os.PathLike[str] | Iterable[str | os.PathLike[str]] | None = None,
    ) -> list[Finding]:
        return lint(path, require_block, data_files)


sys.modules[__name__].__class__ = _CallableModule
