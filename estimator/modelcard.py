"""The Hugging Face ``co2_eq_emissions`` block: build it, merge it into a model
card without touching anything else, and read it back from existing cards.

The Hub reads ``co2_eq_emissions`` from the card's YAML front matter:
``emissions`` in grams of CO2e, ``source``, ``training_type``
("pre-training" or "fine-tuning"), ``geographical_location`` and
``hardware_used`` (https://huggingface.co/docs/hub/model-cards-co2).
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator.core import Estimate
from estimator.errors import EstimatorError, InputError
from estimator.report import intensity_words, mass, num, pue_text

TRAINING_TYPES = ("pre-training", "fine-tuning")
MAX_CARD_BYTES = 10_000_000
METHOD = "TDP × hours × PUE × location-based grid intensity (Lacoste et al. 2019)"
_KEY_LINE = re.compile(r"""^(["']?)co2_eq_emissions\1[ \t]*:""")
_DELIMITER = re.compile(r"^---[ \t]*$")
_UNITS_G = {
    "mg": 1e-3,
    "g": 1.0,
    "gram": 1.0,
    "grams": 1.0,
    "kg": 1e3,
    "kilogram": 1e3,
    "kilograms": 1e3,
    "t": 1e6,
    "tonne": 1e6,
    "tonnes": 1e6,
    "metric ton": 1e6,
    "metric tons": 1e6,
}
_AMOUNT = re.compile(
    r"^\s*(?P<n>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*"
    r"(?P<unit>[a-zA-Z]+(?: tons?)?)?\s*(?:co2[- ]?e?q?|co2e)?\.?\s*$",
    re.IGNORECASE,
)
_BODY_AMOUNT = re.compile(
    r"(\d[\d,]*(?:\.\d+)?)\s*(kg|kilograms?|t|tonnes?|tons?)\b(?:\s*(?:of\s*)?co2)?", re.IGNORECASE
)
IMPLAUSIBLE_G = 1e11  # 100,000 t CO2e: far above any published training run


class CardError(EstimatorError, ValueError):
    """A model card cannot be read or merged; the file is left untouched."""


class CardWarning(UserWarning):
    """Something about a card or block worth a look, not an error."""


# ---------------------------------------------------------------- the block


def hardware_used(e: Estimate) -> str:
    """'8 x NVIDIA A100 SXM4 80GB', plus the CPU share where it was counted."""
    parts = []
    for c in e.components:
        if c.kind == "memory":
            continue
        parts.append(f"{num(c.count)} x {c.label}" if c.kind == "accelerator" else c.label)
    text = ", ".join(parts)
    instance = (e.hardware or {}).get("instance")
    return f"{instance} ({text})" if instance else text


def location(e: Estimate) -> str | None:
    """'Council Bluffs, Iowa, USA (Google Cloud us-central1)' or 'France'."""
    if not e.region:
        return None
    place = e.region["place"]
    if e.region.get("provider"):
        name = e.region.get("provider_name") or e.region["provider"]
        return f"{place} ({name} {e.region['id'].split(':', 1)[1]})"
    return str(place)


def grams(value: float) -> float:
    """Emissions in grams to 10 significant digits, dropping float noise (the Hub stores a plain number)."""
    rounded = float(f"{value:.10g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def _source(e: Estimate) -> str:
    grid = f"; grid {intensity_words(e)}" if intensity_words(e) else "; grid intensity given by the authors"
    return f"co2-estimator {e.package_version}: {METHOD}{grid}; PUE {pue_text(e.pue)}; data {e.data_version}"


def card_block(
    e: Estimate,
    training_type: str = "pre-training",
    location_text: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The ``co2_eq_emissions`` mapping for ``e``. An unknown training type warns."""
    if not isinstance(training_type, str) or not training_type.strip():
        raise InputError(f"training_type must be text such as {' or '.join(TRAINING_TYPES)}; got {training_type!r}")
    if training_type not in TRAINING_TYPES:
        warnings.warn(
            f"training_type {training_type!r} is not one the Hub knows ({', '.join(TRAINING_TYPES)}); written as given",
            CardWarning,
            stacklevel=3,
        )
    block: dict[str, Any] = {
        "emissions": grams(e.co2e_g),
        "source": source or _source(e),
        "training_type": training_type,
    }
    where = location_text or location(e)
    if where:
        block["geographical_location"] = where
    block["hardware_used"] = hardware_used(e)
    return block


def to_yaml(block: dict[str, Any], newline: str = "\n") -> str:
    """``co2_eq_emissions:`` and its block as YAML text."""
    import yaml

    text = yaml.safe_dump(
        {"co2_eq_emissions": block}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096
    )
    return text.replace("\n", newline)


# ---------------------------------------------------------------- front matter


@dataclass(frozen=True)
class FrontMatter:
    """A card split into its parts; ``lines`` keep their own endings."""

    bom: str
    newline: str
    lines: list[str] = field(default_factory=list)  # between the delimiters
    head: str = ""  # the opening delimiter line, or "" when there is no front matter
    tail: str = ""  # the closing delimiter line and the body
    metadata: dict[str, Any] = field(default_factory=dict)


def _newline(text: str) -> str:
    index = text.find("\n")
    return "\r\n" if index > 0 and text[index - 1] == "\r" else "\n"


def split_front_matter(text: str, name: str = "model card") -> FrontMatter:
    """Split a card; malformed or unsafe YAML raises ``CardError`` naming the line."""
    import yaml

    bom = "\ufeff" if text.startswith("\ufeff") else ""
    rest = text[len(bom) :]
    newline = _newline(rest)
    lines = rest.splitlines(keepends=True)
    if not lines or not _DELIMITER.match(lines[0].rstrip("\r\n")):
        return FrontMatter(bom, newline, tail=rest)
    end = next((i for i in range(1, len(lines)) if _DELIMITER.match(lines[i].rstrip("\r\n"))), None)
    if end is None:
        raise CardError(f"{name}: line 1: front matter opened with '---' is never closed by a '---' line")
    inner = lines[1:end]
    try:
        loaded = yaml.safe_load("".join(inner))
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + 2 if exc.problem_mark else 1
        raise CardError(
            f"{name}: line {line}: YAML tags such as !!python/object are not allowed in a model card ({exc.problem})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        start = getattr(exc, "context_mark", None)
        line = mark.line + 2 if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if start is not None and start.line + 2 != line:
            context = getattr(exc, "context", None) or "the construct"
            problem += f" ({context} opened on line {start.line + 2})"
        raise CardError(f"{name}: line {line}: front matter is not valid YAML: {problem}") from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise CardError(f"{name}: line 2: front matter must be a mapping of keys, got {type(loaded).__name__}")
    return FrontMatter(bom, newline, inner, lines[0], "".join(lines[end:]), loaded)


def _block_span(lines: list[str]) -> tuple[int, int] | None:
    """Start and end (exclusive) of the top-level co2_eq_emissions entry."""
    start = next((i for i, line in enumerate(lines) if _KEY_LINE.match(line)), None)
    if start is None:
        return None
    end = start + 1
    last = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() == "":
            end += 1
            continue
        if line[0] in " \t" or line.startswith("- "):
            end += 1
            last = end
            continue
        break
    return start, last


def merge(text: str, block: dict[str, Any], name: str = "model card") -> str:
    """``text`` with its ``co2_eq_emissions`` set to ``block``; every other byte kept."""
    fm = split_front_matter(text, name)
    rendered = to_yaml(block, fm.newline)
    if not fm.head:
        new = f"{fm.bom}---{fm.newline}{rendered}---{fm.newline}{fm.tail}"
        expected: dict[str, Any] = {}
    else:
        lines = list(fm.lines)
        span = _block_span(lines)
        if span is None:
            if lines and not lines[-1].endswith(("\n", "\r")):
                lines[-1] += fm.newline
            lines.append(rendered)
        else:
            lines[span[0] : span[1]] = [rendered]
        new = fm.bom + fm.head + "".join(lines) + fm.tail
        expected = {k: v for k, v in fm.metadata.items() if k != "co2_eq_emissions"}
    if fm.head and len([line for line in fm.lines if _KEY_LINE.match(line)]) > 1:
        where = [str(i + 2) for i, line in enumerate(fm.lines) if _KEY_LINE.match(line)]
        raise CardError(f"{name}: co2_eq_emissions appears more than once (lines {', '.join(where)}); keep one")
    try:
        check = split_front_matter(new, name)
    except CardError as exc:
        raise CardError(
            f"{name}: replacing co2_eq_emissions would break the front matter (does the block define a YAML "
            f"anchor used elsewhere?): {exc}; the file is left untouched"
        ) from None
    others = {k: v for k, v in check.metadata.items() if k != "co2_eq_emissions"}
    if check.metadata.get("co2_eq_emissions") != block or others != expected:
        raise CardError(f"{name}: the merge would change other metadata; the file is left untouched")
    return new


# ---------------------------------------------------------------- files


def read_text(path: str | os.PathLike[str]) -> str:
    """A card's text, refusing folders, missing, binary and oversized files."""
    p = Path(path)
    if p.is_dir():
        raise CardError(f"{p}: is a folder; give the model card file (README.md)")
    try:
        size = p.stat().st_size
        if size > MAX_CARD_BYTES:
            raise CardError(f"{p}: {size:,} bytes is over the {MAX_CARD_BYTES:,}-byte limit for a model card")
        raw = p.read_bytes()
    except FileNotFoundError:
        raise CardError(f"{p}: no such file") from None
    except PermissionError:
        raise CardError(f"{p}: not readable (permission denied)") from None
    except OSError as exc:
        raise CardError(f"{p}: cannot read it ({exc.strerror})") from None
    return decode_card(str(p), raw)


def decode_card(name: str, data: bytes) -> str:
    """A card's bytes as text, refusing oversized, binary and non-UTF-8 content (files and uploads)."""
    if len(data) > MAX_CARD_BYTES:
        raise CardError(f"{name}: {len(data):,} bytes is over the {MAX_CARD_BYTES:,}-byte limit for a model card")
    if b"\x00" in data:
        raise CardError(f"{name}: looks binary (NUL bytes); a model card is UTF-8 text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CardError(f"{name}: not UTF-8 text (byte {exc.start})") from None


def write_atomic(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` through a temporary file and a rename."""
    import tempfile

    p = Path(path)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if p.exists():
            os.chmod(tmp, p.stat().st_mode & 0o7777)
        os.replace(tmp, p)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class CardUpdate:
    """The old and new text of a card, and the unified diff between them."""

    path: Path
    old: str
    new: str

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def diff(self) -> str:
        import difflib

        name = str(self.path)
        return "".join(
            difflib.unified_diff(
                self.old.splitlines(keepends=True),
                self.new.splitlines(keepends=True),
                fromfile=f"a/{name}",
                tofile=f"b/{name}",
            )
        )


def update_card(
    path: str | os.PathLike[str],
    e: Estimate | Mapping[str, Any],
    *,
    training_type: str = "pre-training",
    location_text: str | None = None,
    source: str | None = None,
    write: bool = False,
) -> CardUpdate:
    """Merge the ``co2_eq_emissions`` block of ``e`` into the card at ``path``.

    Parameters
    ----------
    path : path of the model card (README.md).
    e : Estimate, or an already-made block (the mapping :func:`card_block` returns).
    training_type, location_text, source : as :func:`card_block` (for an Estimate).
    write : write the file (atomically); default only compute the change.

    Returns
    -------
    CardUpdate
        The old and new text and their diff.
    """
    if isinstance(e, Estimate):
        block = card_block(e, training_type, location_text, source)
    elif isinstance(e, Mapping):
        if "co2_eq_emissions" in e:
            raise CardError(
                "update_card takes the Estimate (or the block itself), not {'co2_eq_emissions': ...}: "
                "pass e, or e_block['co2_eq_emissions']"
            )
        block = dict(e)
    else:
        raise InputError(f"update_card takes an Estimate; got {type(e).__name__}")
    p = Path(path)
    old = read_text(p)
    new = merge(old, block, str(p))
    if write and new != old:
        try:
            write_atomic(p, new)
        except OSError as exc:
            raise CardError(f"{p}: cannot write it ({exc.strerror}); the file is left untouched") from None
    return CardUpdate(p, old, new)


def card_yaml(e: Estimate, training_type: str = "pre-training", location_text: str | None = None) -> str:
    """The ``co2_eq_emissions`` block of ``e`` as YAML text, ready for a card's front matter."""
    return to_yaml(card_block(e, training_type, location_text))


# ---------------------------------------------------------------- reading cards


@dataclass(frozen=True)
class CardRecord:
    """What a card says of its emissions, read without guessing; ``flags`` say what looked off."""

    path: str
    emissions_g: float | None
    source: str | None = None
    training_type: str | None = None
    geographical_location: str | None = None
    hardware_used: str | None = None
    flags: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "emissions_g": self.emissions_g,
            "source": self.source,
            "training_type": self.training_type,
            "geographical_location": self.geographical_location,
            "hardware_used": self.hardware_used,
            "flags": list(self.flags),
        }


def parse_amount(value: Any) -> tuple[float | None, str | None]:
    """Grams from a number or a string with a unit ("49.49 g", "1.7 kg", "0.5 t"); and a flag."""
    if isinstance(value, bool):
        return None, f"emissions is {value!r}, not a number"
    if isinstance(value, int | float):
        return float(value), None
    if not isinstance(value, str):
        return None, f"emissions is {type(value).__name__}, not a number"
    match = _AMOUNT.match(value)
    if not match:
        return None, f"emissions {value!r} is not a number with a unit; not read"
    number = float(match["n"].replace(",", ""))
    unit = (match["unit"] or "").lower()
    if not unit:
        return number, f"emissions written as text {value!r}; read as {num(number)} g"
    if unit in ("ton", "tons"):
        return number * 1e6, f"emissions {value!r}: 'tons' read as metric tonnes"
    if unit not in _UNITS_G:
        return None, f"emissions {value!r}: unknown unit {match['unit']!r}; not read"
    grams_value = number * _UNITS_G[unit]
    return grams_value, f"emissions written as text with a unit {value!r}; read as {num(grams_value)} g"


def _body_flags(body: str, metadata_number: float) -> list[str]:
    flags = []
    for amount, unit in _BODY_AMOUNT.findall(body):
        try:
            said = float(amount.replace(",", ""))
        except ValueError:
            continue
        if said == metadata_number and said != 0:
            flags.append(
                f"the text says {amount} {unit} while the metadata says {num(metadata_number)} (grams): "
                "the unit may be wrong"
            )
    return flags


def read_card_text(text: str, name: str = "model card") -> CardRecord:
    """``read_card`` for text already in memory."""
    fm = split_front_matter(text, name)
    if not fm.head:
        return CardRecord(name, None, flags=("no YAML front matter",))
    raw = fm.metadata.get("co2_eq_emissions")
    if raw is None:
        return CardRecord(name, None)
    flags: list[str] = []
    fields: dict[str, Any] = {}
    if isinstance(raw, dict):
        if "emissions" not in raw:
            flags.append("co2_eq_emissions has no 'emissions' field")
        value = raw.get("emissions")
        for key in ("source", "training_type", "geographical_location", "hardware_used"):
            if raw.get(key) is not None:
                fields[key] = str(raw[key])
    else:
        value = raw
        flags.append(
            "co2_eq_emissions is a bare value, not the mapping the Hub documents"
            + ("; read as grams" if isinstance(raw, int | float) and not isinstance(raw, bool) else "")
        )
    emissions, flag = parse_amount(value) if value is not None else (None, None)
    if flag:
        flags.append(flag)
    if emissions is not None:
        if emissions < 0:
            flags.append("negative emissions")
        if emissions > IMPLAUSIBLE_G:
            flags.append(f"{mass(emissions)} is implausibly large for one model; check the unit")
        if isinstance(value, int | float) and not isinstance(value, bool):
            flags.extend(_body_flags(fm.tail, float(value)))
    training = fields.get("training_type")
    if training is not None and training not in TRAINING_TYPES:
        flags.append(f"training_type {training!r} is not one of {', '.join(TRAINING_TYPES)}")
    return CardRecord(name, emissions, flags=tuple(flags), **fields)


def read_card(path: str | os.PathLike[str]) -> CardRecord:
    """Read the ``co2_eq_emissions`` of the card at ``path`` in any form real cards use."""
    return read_card_text(read_text(path), str(path))


def scan(folder: str | os.PathLike[str], min_g: float | None = None, max_g: float | None = None) -> list[CardRecord]:
    """Every README.md below ``folder``, sorted by emissions; the Hub's ``emissions_thresholds`` offline.

    With a bound, cards without emissions are left out (as the Hub's filter does);
    a card that cannot be read is listed with a flag, never dropped silently.
    """
    root = Path(folder)
    if not root.is_dir():
        raise CardError(f"{root}: not a folder; scan takes a folder of model cards")
    if min_g is not None and max_g is not None and min_g > max_g:
        raise InputError(f"--min-g {min_g:g} is above --max-g {max_g:g}")
    records = []
    for path in sorted(p for p in root.rglob("*") if p.name.lower() == "readme.md" and p.is_file()):
        try:
            record = read_card(path)
        except CardError as exc:
            record = CardRecord(str(path), None, flags=(str(exc),))
        records.append(record)
    if min_g is not None or max_g is not None:
        records = [
            r
            for r in records
            if r.emissions_g is not None
            and (min_g is None or r.emissions_g >= min_g)
            and (max_g is None or r.emissions_g <= max_g)
        ]
    return sorted(records, key=lambda r: (r.emissions_g is None, r.emissions_g or 0.0, r.path))
