"""The Hugging Face ``co2_eq_emissions`` block: build it, merge it into a model
card without touching anything else, and read it back from existing cards.

The Hub reads ``co2_eq_emissions`` from the card's YAML front matter:
``emissions`` in grams of CO2e, ``source``, ``training_type``
("pre-training" or "fine-tuning"), ``geographical_location`` and
``hardware_used`` (https://huggingface.co/docs/hub/model-cards-co2).
"""

from __future__ import annotations

import functools
import math
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from estimator import fileio
from estimator.core import Estimate
from estimator.errors import EstimatorError, FileInputError, InputError
from estimator.names import one_edit_apart
from estimator.report import intensity_words, mass, num, power_term, pue_text

TRAINING_TYPES = ("pre-training", "fine-tuning")
MAX_CARD_BYTES = 10_000_000
METHOD = "TDP × hours × PUE × grid intensity (Lacoste et al. 2019)"  # with the device's own power term: power_term
_KEY_LINE = re.compile(r"""^(["']?)co2_eq_emissions\1[ \t]*:""")
_CARD = "a model card (README.md)"
# huggingface_hub's REGEX_YAML_BLOCK (repocard.py), on the text before newline translation: metadata_load
# reads with universal newlines, so a lone CR counts as a line break wherever the Hub's rule has one.
_BREAK = re.compile(r"\r\n|\r|\n")
_FRONT = re.compile(r"^(\s*---(?:\r\n|\r|\n))([\S\s]*?)((?:\r\n|\r|\n)---[ \t]*(?:\r\n|\r|\n|$))")
_EMPTY = re.compile(r"^(\s*---(?:\r\n|\r|\n))()(---[ \t]*(?:\r\n|\r|\n|$))")  # '---' twice: an empty block
HUB_FRONT = _FRONT  # the Hub's front matter: group 2 is the YAML text it loads (hubdump's fast path reads it too)
_OPENER = re.compile(r"^\s*(---)(?:\r\n|\r|\n)")
_OPENER_SPACES = re.compile(r"^\s*(---)[ \t]+(?:\r\n|\r|\n)")
_DOTS = re.compile(r"(?:^|\r\n|\r|\n)(\.\.\.)[ \t]*(?=\r\n|\r|\n|$)")
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")
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
_T_UNIT = re.compile(r"\d\s*[tT]\b")
IMPLAUSIBLE_G = 1e11  # 100,000 t CO2e: far above any published training run


class CardError(EstimatorError, ValueError):
    """A model card cannot be read or merged; the file is left untouched."""


class CardWriteError(CardError):
    """The card could be merged but not written (read-only, a full disk): the file is left untouched."""


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


def range_digits(central: float, low: float, high: float) -> int:
    """Significant digits the range supports: 3 to 6 (docs/methodology.md, "Rounding").

    With the half-width ``r = (high - low) / 2 / central`` of the range,
    ``2 + ceil(log10(1 / r))`` digits, at least 3 and at most 6: a range of
    ±10 % or wider keeps 3 digits, ±1 % keeps 4; no range (every input
    given, or a measured value) keeps 6.
    """
    if not all(math.isfinite(v) for v in (central, low, high)) or central == 0 or not high > low:
        return 6
    ratio = (high - low) / 2 / abs(central)
    return min(6, max(3, 2 + math.ceil(math.log10(1 / ratio))))


def round_significant(value: float, digits: int) -> float:
    """``value`` to ``digits`` significant digits, as the shortest float (an int when whole)."""
    if not math.isfinite(value):
        return value
    rounded = float(f"{value:.{digits}g}")
    return int(rounded) if rounded.is_integer() and abs(rounded) < 1e15 else rounded


def card_grams(e: Estimate) -> float:
    """The card's ``emissions``: ``e.co2e_g`` in grams to the digits its range supports (``range_digits``)."""
    return round_significant(e.co2e_g, range_digits(e.co2e_g, e.low, e.high))


def check_emissions(value: Any, name: str = "emissions") -> None:
    """Refuse an ``emissions`` value the Hub would not read as it is meant: grams as a number above 0.

    The Hub's filter reads the digits of ``str(value)`` (see :func:`hub_grams`): a float under 0.0001 or from
    1e16 prints with an exponent (``3.34e-05``) and reads as 3.34; text reads its first number whatever its unit.
    Zero is allowed (a run on a zero-carbon supply): the filter leaves such a card out, and ``lint`` says so.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise CardError(
            f"{name} must be grams of CO2e as a number (e.g. 1250.5), as the Hub reads it; got {value!r}"
            + (" (text: the Hub reads its first number and ignores the unit)" if isinstance(value, str) else "")
        )
    if not math.isfinite(value) or value < 0:
        raise CardError(f"{name} must be grams of CO2e, 0 or more; got {value!r}")
    if value and hub_grams(value) != float(value):
        raise CardError(
            f"{name} {value!r} g cannot be written so that the Hub reads it: its filter reads the digits before "
            f"the exponent ({hub_grams(value):g} g). A card carries grams from 0.0001 to below 1e16; check the "
            "job's hours and counts"
        )


def _source(e: Estimate) -> str:
    grid = f"; grid {intensity_words(e)}" if intensity_words(e) else "; grid intensity given by the authors"
    method = METHOD.replace("TDP", power_term(e), 1)  # the authors' power, a measured mean, × utilization, ...
    runs = f"; all {e.trials} runs of a sweep" if e.trials > 1 else ""  # emissions cover them all
    return f"co2-estimator {e.package_version}: {method}{grid}; PUE {pue_text(e.pue)}{runs}; data {e.data_version}"


def card_block(
    e: Estimate,
    training_type: str | None = None,
    location_text: str | None = None,
    source: str | None = None,
) -> dict[str, Any]:
    """The ``co2_eq_emissions`` mapping for ``e``.

    ``emissions`` is rounded to the digits the range supports (``card_grams``).
    ``training_type`` None leaves the key out (there is no safe default: a
    fine-tune published as pre-training is wrong metadata); a type the Hub
    does not know warns.
    """
    grams_ = card_grams(e)
    try:  # shown or logged (the web page, MLflow, --format modelcard) it is still the estimate: said, not refused;
        check_emissions(grams_)  # update_card refuses to write it
    except CardError as exc:
        warnings.warn(str(exc), CardWarning, stacklevel=2)
    if grams_ == 0:
        warnings.warn(
            "emissions 0 g (a zero intensity or power): the Hub's emissions filter leaves a card with 0 out "
            "(it skips falsy values), and co2-estimator lint reports it",
            CardWarning,
            stacklevel=2,
        )
    block: dict[str, Any] = {
        "emissions": grams_,
        "source": source or _source(e),
    }
    if training_type is not None:
        block["training_type"] = check_training_type(training_type)
    where = location_text or location(e)
    if where:
        block["geographical_location"] = where
    block["hardware_used"] = hardware_used(e)
    return block


def check_training_type(training_type: object) -> str:
    """``training_type`` as given: one the Hub knows, or deliberately other text (which warns).

    Not text raises ``InputError``; so does a near miss of a known type (one edit
    away, or the same once case, spaces, hyphens and underscores are dropped:
    ``finetuning``, ``Pre-Training``), naming the type meant. Other text
    (``distillation``) is written as given, with a ``CardWarning``.
    """
    if not isinstance(training_type, str) or not training_type.strip():
        raise InputError(f"training_type must be text such as {' or '.join(TRAINING_TYPES)}; got {training_type!r}")
    meant = near_training_type(training_type)
    if meant is not None:
        raise InputError(
            f"training_type {training_type!r} is a misspelling: did you mean {meant!r}? "
            f"The Hub knows {', '.join(TRAINING_TYPES)} (other text, e.g. 'distillation', is written as given)",
            field="training_type",
        )
    if training_type not in TRAINING_TYPES:
        warnings.warn(
            f"training_type {training_type!r} is not one the Hub knows ({', '.join(TRAINING_TYPES)}); written as given",
            CardWarning,
            stacklevel=4,
        )
    return training_type


def near_training_type(text: str) -> str | None:
    """The known training type ``text`` misspells (None when it is one, or far from all)."""
    if text in TRAINING_TYPES:
        return None
    squeezed = re.sub(r"[\s_-]+", "", text.casefold())
    for known in TRAINING_TYPES:
        if squeezed == known.replace("-", "") or one_edit_apart(text.casefold(), known):
            return known
    return None


TRAINING_TYPE_NOTE = (
    "training_type left out of the card: give --training-type pre-training or fine-tuning "
    "(the Hub shows it; there is no safe default)"
)


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
    """A card split into its parts; ``lines`` keep their own endings.

    ``bom + head + "".join(lines) + tail`` is the card, byte for byte.
    """

    bom: str
    newline: str
    lines: list[str] = field(default_factory=list)  # between the delimiters
    head: str = ""  # leading blank lines and the opening '---' line, or "" when there is no front matter
    tail: str = ""  # the closing delimiter line and the body
    metadata: dict[str, Any] = field(default_factory=dict)
    first_line: int = 2  # the line number of lines[0] in the file


def _newline(text: str) -> str:
    r"""The card's first line break: '\r\n', '\r' (old Mac files keep it) or '\n'."""
    match = _BREAK.search(text)
    return match.group(0) if match else "\n"


def _line_of(text: str, index: int) -> int:
    """The 1-based line number of character ``index`` of ``text``."""
    return len(_BREAK.findall(text, 0, index)) + 1


class _YamlSyntaxError(CardError):
    """The front matter is not valid YAML."""


class _AliasFound(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


@functools.lru_cache(maxsize=1)
def _loader() -> type[Any]:
    """PyYAML's SafeLoader refusing aliases as it composes, before anything is built or compared."""
    import yaml

    class NoAliasLoader(yaml.SafeLoader):
        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                raise _AliasFound(self.peek_event().start_mark.line)  # type: ignore[no-untyped-call]
            return super().compose_node(parent, index)

    return NoAliasLoader


def _load(inner: str, name: str, first: int) -> Any:
    """The YAML of the front matter (``first``: the file line of its first line)."""
    import yaml

    try:
        return yaml.load(inner, Loader=_loader())  # a SafeLoader subclass
    except _AliasFound as found:
        raise CardError(
            f"{name}: line {found.line + first}: YAML aliases (*name) are not allowed in a model card's front "
            "matter (a few nested aliases expand to billions of entries); write the value out in full"
        ) from None
    except yaml.constructor.ConstructorError as exc:
        line = exc.problem_mark.line + first if exc.problem_mark else first - 1
        raise CardError(
            f"{name}: line {line}: YAML tags such as !!python/object are not allowed in a model card ({exc.problem})"
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        start = getattr(exc, "context_mark", None)
        line = mark.line + first if mark is not None else first - 1
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        if start is not None and start.line + first != line:
            context = getattr(exc, "context", None) or "the construct"
            problem += f" ({context} opened on line {start.line + first})"
        raise _YamlSyntaxError(f"{name}: line {line}: front matter is not valid YAML: {problem}") from None


def _unfound(rest: str, name: str) -> None:
    """Refuse, with a true message, what looks like front matter but is not where the Hub reads it."""
    opener = _OPENER_SPACES.match(rest)
    if opener:
        line = _line_of(rest, opener.end(1))
        raise CardError(
            f"{name}: line {line}: the opening '---' has spaces after it; the Hub reads front matter only when "
            "'---' is alone on the first line: remove the spaces"
        )
    opener = _OPENER.match(rest)
    if opener is None:
        return
    after = rest[opener.end() :]
    dots = _DOTS.search(after)
    if dots:
        line = _line_of(rest, opener.end() + dots.start(1))
        raise CardError(
            f"{name}: line {line}: front matter ends with '...' (YAML's document end), but the Hub ends it only "
            "at a '---' line and would read no metadata: change that line to '---'"
        )
    line = _line_of(rest, opener.end(1))
    raise CardError(f"{name}: line {line}: front matter opened with '---' is never closed by a '---' line")


def split_front_matter(text: str, name: str = "model card") -> FrontMatter:
    """Split a card where the Hub splits it; malformed or unsafe YAML raises ``CardError`` naming the line.

    The front matter is found by the rule of huggingface_hub's ``REGEX_YAML_BLOCK``
    (``metadata_load``, ``RepoCard``): optional leading whitespace, '---' alone
    on its line, the YAML, then a line of '---' (trailing spaces allowed).
    Line breaks may be LF, CRLF or CR. An empty block ('---' twice) counts too.
    Aliases and Python tags are refused before any value is built.
    """
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    rest = text[len(bom) :]
    newline = _newline(rest)
    empty = _EMPTY.match(rest)
    match = empty or _FRONT.match(rest)
    if match is None:
        _unfound(rest, name)
        return FrontMatter(bom, newline, tail=rest)
    head, closer = match.group(1), match.group(3)
    brk = "" if empty else closer[: _BREAK.match(closer).end()]  # type: ignore[union-attr]
    inner = match.group(2) + brk  # every line of the YAML with its own line break
    tail = closer[len(brk) :] + rest[match.end() :]
    first = _line_of(rest, len(head))
    dots = _DOTS.search(inner)
    try:
        loaded = _load(match.group(2), name, first)  # the Hub's text: without the line break before '---'
    except _YamlSyntaxError as hub_error:
        if not dots:
            try:  # the same text with its last line break: the error's lines read better (an unclosed '{')
                _load(inner, name, first)
            except _YamlSyntaxError as error:
                raise error from None
            raise hub_error from None
        closing = _line_of(rest, match.start(3) + len(brk))
        raise CardError(
            f"{name}: line {_line_of(inner, dots.start(1)) + first - 1}: front matter has a '...' line (YAML's "
            f"document end), but the Hub ends front matter only at a '---' line (line {closing}) "
            "and reads the text between as YAML, which fails: change that line to '---'"
        ) from None
    if loaded is None:
        loaded = {}
    if not isinstance(loaded, dict):
        raise CardError(f"{name}: line {first}: front matter must be a mapping of keys, got {type(loaded).__name__}")
    if dots:  # only comments follow '...' (the YAML loaded): they stay after it, the block goes before it
        cut = dots.start(1)
        inner, tail = inner[:cut], inner[cut:] + tail
    return FrontMatter(bom, newline, _LINE.findall(inner), head, tail, loaded, first)


def block_span(lines: list[str]) -> tuple[int, int] | None:
    """Start and end (exclusive) of the top-level co2_eq_emissions entry among the front matter's ``lines``
    (its indented lines, and comments at column 0 between them); None without one. Lint reads it too."""
    start = next((i for i, line in enumerate(lines) if _KEY_LINE.match(line)), None)
    if start is None:
        return None
    end = start + 1
    last = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() == "" or line.startswith("#"):  # a comment at column 0 may sit between the block's lines
            end += 1
            continue
        if line[0] in " \t" or line.startswith("- "):
            end += 1
            last = end
            continue
        break
    return start, last


_ENTRY = re.compile(r"""^([ \t]+)(["']?)([^\s"':#][^"':#]*?)\2[ \t]*:(?:[ \t]|\r?$)""")  # '  key:' in the block


def _set_in_place(lines: list[str], block: dict[str, Any], newline: str, at_end: bool = False) -> list[str] | None:
    """The block's ``lines`` (its ``co2_eq_emissions:`` line first) with each key of ``block`` set where it stands
    (a new key after the last entry, or before it when ``at_end`` and it is a kept block scalar: see
    :func:`_insert_at`), every other line kept as it is; None when the block is no indented mapping of one entry a
    line (flow style, a list) or names a key twice: then it is written whole."""
    import yaml

    if not re.fullmatch(r"""(["']?)co2_eq_emissions\1[ \t]*:[ \t]*(#.*)?""", lines[0].rstrip("\r\n")):
        return None
    entries = [(i, m) for i, line in enumerate(lines) if i and (m := _ENTRY.match(line))]
    if not entries:
        return None
    indent = entries[0][1][1]
    keys = [(m[3], i) for i, m in entries if m[1] == indent]
    at = dict(keys)
    if len(at) < len(keys):  # a key twice: the whole rewrite keeps the one YAML reads (the last)
        return None
    last_kept = at_end and keys[-1][0] not in block  # ``at_end``: the block ends the front matter

    def end_of(start: int) -> int:
        """The line after the entry at ``start``: its own lines are those indented deeper (a long value)."""
        stop = start + 1
        while stop < len(lines) and _deeper(lines[stop], indent):
            stop += 1
        return stop

    def rendered(key: str) -> list[str]:
        text = yaml.safe_dump(
            {key: block[key]}, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096
        )
        return [indent + line + newline for line in text.splitlines()]

    out = list(lines)
    after_last = end_of(max(at.values()))
    if last_kept:  # a kept block scalar ending the front matter stays last (see _insert_at)
        after_last = _insert_at(lines, 1, after_last, indent)
    out[after_last:after_last] = [line for key in block if key not in at for line in rendered(key)]
    for start in sorted((at[key] for key in block if key in at), reverse=True):  # bottom up: the lines above stay put
        key = next(k for k, i in at.items() if i == start)
        new = rendered(key)
        stop = end_of(start)
        comment = _trailing_comment(lines[start]) if stop == start + 1 and len(new) == 1 else None
        if comment is not None and key == "emissions" and _OTHER_UNIT.search(comment):
            comment = None  # 'emissions: 5  # kg' would call the new grams kilograms
        if comment is not None:  # 'emissions: 5000  # grams': the person's comment stays with the new value
            new = [new[0][: -len(newline)] + comment + newline]
        out[start:stop] = new
    return out


# An entry whose value is a block scalar ('key: |', 'key: >-'), and nothing after the indicator but a comment.
_BLOCK_SCALAR = re.compile(r"""^[ \t]*(["']?)[^\s"':#][^"':#]*?\1[ \t]*:[ \t]+[|>][-+0-9]*[ \t]*(#.*)?$""")


def _insert_at(lines: list[str], lo: int, hi: int, indent: str) -> int:
    """Where new entries indented ``indent`` go among ``lines[lo:hi]``: after the last, unless the last one's
    value is a block scalar ('|', '>') ending the front matter. The Hub reads the front matter without its final
    line break, so such a text has no final line break ('Please agree to the terms'); an entry after it would
    give it one. New entries then go before it."""
    last = None
    for i in range(lo, hi):
        line = lines[i]
        body = line[len(indent) :]
        if line.startswith(indent) and body.strip() and body[0] not in " \t#" and not body.startswith("- "):
            last = i
    if last is None or hi != len(lines) or not _BLOCK_SCALAR.match(lines[last].rstrip("\r\n")):
        return hi
    return last


# A comment naming a mass unit other than grams (the Hub's emissions are grams).
_OTHER_UNIT = re.compile(
    r"(?<![a-z'])(kg|kgs|kilo\w*|mg|t|tons?|tonnes?|lbs?|pounds?|mt|kt|gt)(?=co2|[^a-z]|$)", re.IGNORECASE
)


def _last_entry(lines: list[str]) -> int | None:
    """The line of the front matter's last top-level entry ('key:' at column 0), or None."""
    found = None
    for i, line in enumerate(lines):
        if line.strip() and line[0] not in " \t#-":
            found = i
    return found


def _trailing_comment(line: str) -> str | None:
    """The comment ending a one-line entry, with the blanks before it ('  # grams'), or None.

    A ``#`` after a blank starts a comment in YAML unless it is inside a quoted
    value: the comment starts at the first such ``#`` where the line before it
    reads as the same mapping as the whole line.
    """
    import yaml

    body = line.rstrip("\r\n")
    try:
        whole = yaml.safe_load(body.strip())
    except yaml.YAMLError:
        return None
    for m in re.finditer(r"[ \t]+#", body):
        try:
            if yaml.safe_load(body[: m.start()].strip()) == whole:
                return body[m.start() :]
        except yaml.YAMLError:
            continue
    return None


def _deeper(line: str, indent: str) -> bool:
    """Whether ``line`` is text indented deeper than ``indent`` (a line of the entry above it)."""
    return bool(line.strip()) and line.startswith(indent) and line[len(indent) : len(indent) + 1] in (" ", "\t")


def merged_block(old: Any, block: dict[str, Any]) -> dict[str, Any]:
    """``block`` over an existing ``co2_eq_emissions`` mapping: its other keys (``training_time``, ...) kept."""
    if not isinstance(old, dict):
        return dict(block)
    out = dict(old)
    out.update(block)
    return out


def merge(text: str, block: dict[str, Any], name: str = "model card") -> str:
    """``text`` with the keys of ``block`` set in its ``co2_eq_emissions``; every other byte kept.

    Keys of an existing ``co2_eq_emissions`` mapping that ``block`` does not
    set (``training_time``, a custom key) are kept.
    """
    if list(block) == ["co2_eq_emissions"] and isinstance(block["co2_eq_emissions"], dict):
        raise CardError(
            f"{name}: the block given is a whole card mapping ({{'co2_eq_emissions': {{...}}}}); "
            "give the inner mapping (card_block(e))"
        )
    fm = split_front_matter(text, name)
    if fm.newline == "\r":
        warnings.warn(
            f"{name}: its line breaks are CR only (classic Mac); they are kept, and huggingface_hub's "
            "metadata_load reads the front matter, but its ModelCard.load finds none: save the card with LF "
            "line breaks to be safe",
            CardWarning,
            stacklevel=3,
        )
    expected_block = merged_block(fm.metadata.get("co2_eq_emissions"), block)
    rendered = to_yaml(expected_block, fm.newline)
    if not fm.head:
        new = f"{fm.bom}---{fm.newline}{rendered}---{fm.newline}{fm.tail}"
        expected: dict[str, Any] = {}
    else:
        lines = list(fm.lines)
        span = block_span(lines)
        if span is None:
            lines.insert(_insert_at(lines, 0, len(lines), ""), rendered)
        else:
            lines[span[0] : span[1]] = [rendered]
        new = fm.bom + fm.head + "".join(lines) + fm.tail
        expected = {k: v for k, v in fm.metadata.items() if k != "co2_eq_emissions"}
        at_end = span is not None and not any(line.strip() for line in fm.lines[span[1] :])
        in_place = _set_in_place(fm.lines[span[0] : span[1]], block, fm.newline, at_end) if span else None
        if span is not None and in_place is not None:  # the block's other keys, comments and quoting, byte for byte
            kept = [*fm.lines[: span[0]], *in_place, *fm.lines[span[1] :]]
            candidate = fm.bom + fm.head + "".join(kept) + fm.tail
            if _reads_as(candidate, name, expected_block, expected):
                new = candidate
        last = _last_entry(fm.lines)
        if span is None and last is not None and not _reads_as(new, name, expected_block, expected):
            # the front matter ends inside a nested '>' or '|' text (a list's, a mapping's): before its entry
            moved = [*fm.lines[:last], rendered, *fm.lines[last:]]
            candidate = fm.bom + fm.head + "".join(moved) + fm.tail
            if _reads_as(candidate, name, expected_block, expected):
                new = candidate
    if fm.head and len([line for line in fm.lines if _KEY_LINE.match(line)]) > 1:
        where = [str(i + fm.first_line) for i, line in enumerate(fm.lines) if _KEY_LINE.match(line)]
        raise CardError(f"{name}: co2_eq_emissions appears more than once (lines {', '.join(where)}); keep one")
    try:
        check = split_front_matter(new, name)
    except CardError as exc:
        raise CardError(
            f"{name}: replacing co2_eq_emissions would break the front matter (does the block define a YAML "
            f"anchor used elsewhere?): {exc}; the file is left untouched"
        ) from None
    others = {k: v for k, v in check.metadata.items() if k != "co2_eq_emissions"}
    if check.metadata.get("co2_eq_emissions") != expected_block or others != expected:
        raise CardError(f"{name}: the merge would change other metadata; the file is left untouched")
    return new


# ---------------------------------------------------------------- files


def _reads_as(text: str, name: str, block: dict[str, Any], others: dict[str, Any]) -> bool:
    """Whether card ``text`` reads back with ``block`` as its co2_eq_emissions and ``others`` as its other metadata."""
    try:
        check = split_front_matter(text, name)
    except CardError:
        return False
    rest = {k: v for k, v in check.metadata.items() if k != "co2_eq_emissions"}
    return check.metadata.get("co2_eq_emissions") == block and rest == others


def read_text(path: str | os.PathLike[str]) -> str:
    """A card's text, refusing folders, special files, missing, binary and oversized files."""
    try:
        data = fileio.read_bytes(path, what=_CARD, limit_bytes=MAX_CARD_BYTES)
    except FileInputError as exc:
        raise CardError(str(exc)) from None
    return decode_card(str(path), data)


def decode_card(name: str, data: bytes) -> str:
    """A card's bytes as text, refusing oversized, binary and non-UTF-8 content (files and uploads)."""
    if len(data) > MAX_CARD_BYTES:
        raise CardError(f"{name}: {len(data):,} bytes is over the {MAX_CARD_BYTES:,}-byte limit for {_CARD}")
    try:
        return fileio.decode_text(name, data, what=_CARD, keep_bom=True)
    except FileInputError as exc:
        raise CardError(str(exc)) from None


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
    training_type: str | None = None,
    location_text: str | None = None,
    source: str | None = None,
    write: bool = False,
) -> CardUpdate:
    """Merge the ``co2_eq_emissions`` block of ``e`` into the card at ``path``; write it only if ``write``.

    Parameters
    ----------
    path : path-like
        The card (README.md): a regular UTF-8 file of at most 10 MB.
    e : Estimate or mapping
        An Estimate, or an already-made block (the mapping :func:`card_block`
        returns). Its keys replace those of an existing block, whose other keys
        (``training_time``, your own) are kept.
    training_type, location_text, source : str, optional
        As :func:`card_block` (for an Estimate); ``training_type`` None leaves
        the key out.
    write : bool
        Replace the file through ``fileio.write_atomic``: a temporary file,
        fsync and a rename; a symbolic link is written through to its target,
        mode and owner are kept, a read-only file is refused.

    Returns
    -------
    CardUpdate
        The old and new text and their diff.

    Raises
    ------
    CardError
        The file cannot be read or written, or the front matter cannot be
        merged safely; the file is then left untouched.
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
    if "emissions" in block:
        check_emissions(block["emissions"])  # a card the Hub would misread is not written
    p = Path(path)
    if not os.path.lexists(p):  # a card is merged into, never made up: say how to start one
        raise CardError(
            f"{p}: no such file; give the path of the model card (README.md) to merge the block into, "
            f"or create an empty {p.name} there to start one"
        )
    old = read_text(p)
    new = merge(old, block, str(p))
    made_here = str(block.get("source", "")).startswith("co2-estimator")  # an estimate's block, not a user's keys
    if made_here and "emissions" in block and "geographical_location" not in block:
        before = split_front_matter(old, str(p)).metadata.get("co2_eq_emissions")
        if isinstance(before, dict) and before.get("geographical_location"):
            warnings.warn(
                f"{p}: geographical_location {str(before['geographical_location'])!r} is kept from the card; this "
                "estimate names no place (its intensity was given): give location_text (CLI --location) if it "
                "ran elsewhere",
                CardWarning,
                stacklevel=2,
            )
    if len(new.encode("utf-8")) > MAX_CARD_BYTES:  # it could not be read back (read_text's limit)
        raise CardError(
            f"{p}: with the block the card would be over the {MAX_CARD_BYTES:,}-byte limit of a card this tool "
            "reads; the file is left untouched"
        )
    if write and new != old:
        try:
            fileio.write_atomic(p, new)
        except FileInputError as exc:
            raise CardWriteError(f"{exc}; the file is left untouched") from None
    return CardUpdate(p, old, new)


def card_yaml(e: Estimate, training_type: str | None = None, location_text: str | None = None) -> str:
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
    hub_g: float | None = None  # what the Hub's emissions filter reads (``hub_grams``); None: left out
    written: str | None = None  # the emissions value as the card writes it (repr), for reports

    @property
    def hub_misreads(self) -> bool:
        """True when the Hub's filter reads another number than the grams the card means (or only one reads one)."""
        return hub_differs(self.emissions_g, self.hub_g)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "emissions_g": self.emissions_g,
            "hub_g": self.hub_g,
            "written": self.written,
            "source": self.source,
            "training_type": self.training_type,
            "geographical_location": self.geographical_location,
            "hardware_used": self.hardware_used,
            "flags": list(self.flags),
        }


# ---------------------------------------------------------------- the Hub's reading

_HUB_NUMBER = re.compile(r"\d+\.\d+|\d+")


def hub_grams(value: Any) -> float | None:
    """The grams the Hub's emissions filter reads from a card's ``co2_eq_emissions`` value.

    The rule of huggingface_hub's ``_is_emission_within_threshold``, which
    ``HfApi.list_models(emissions_thresholds=(min, max), cardData=True)`` applies
    to every model (huggingface_hub 2.4, ``utils/endpoint_helpers.py``; tests check it against the installed one):

    1. a mapping is replaced by its ``emissions`` entry (a mapping without one
       makes huggingface_hub raise ``KeyError``: here, None);
    2. a falsy value (``0``, ``0.0``, ``""``, ``[]``, ``False``, None) is left out;
    3. otherwise the first match of ``\\d+\\.\\d+|\\d+`` in ``str(value)`` is the
       number of grams: units and signs are ignored, so ``"1.7 kg"`` reads 1.7,
       ``"0.5 t"`` 0.5, ``"1,234 g"`` 1, ``-5`` 5, ``"1e-3"`` 1 and the float
       ``1e-05`` (``str`` gives ``'1e-05'``) 1; no digit at all is left out.

    Parameters
    ----------
    value
        The ``co2_eq_emissions`` value as loaded from the card's YAML (a mapping,
        a number, a string, a list...).

    Returns
    -------
    float or None
        Grams CO2e as the Hub's filter reads them; None where the filter leaves
        the card out (or, for a mapping without ``emissions``, fails).
    """
    if isinstance(value, dict):
        if "emissions" not in value:
            return None
        value = value["emissions"]
    if not value:
        return None
    match = _HUB_NUMBER.search(str(value))
    return float(match.group(0)) if match else None


def hub_within(hub_g: float | None, min_g: float | None, max_g: float | None) -> bool:
    """The Hub's threshold test on a ``hub_grams`` reading: a missing bound is -1 (min) or infinity (max)."""
    if hub_g is None:
        return False
    low = -1.0 if min_g is None else min_g
    high = math.inf if max_g is None else max_g
    return low <= hub_g <= high


def hub_differs(meant_g: float | None, hub_g: float | None) -> bool:
    """True when the grams a card means and the Hub's reading differ (relative tolerance 1e-9)."""
    if meant_g is None or hub_g is None:
        return (meant_g is None) != (hub_g is None)
    return not math.isclose(meant_g, hub_g, rel_tol=1e-9, abs_tol=0.0)


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
    low = body.lower().replace("\u0131", "i")  # re.IGNORECASE also matches a dotless i
    if not ("kg" in low or "kilogram" in low or "ton" in low or _T_UNIT.search(body)):
        return []  # no unit _BODY_AMOUNT could match: skip the slow scan (a whole Hub dump passes here)
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
    return record_from_metadata(fm.metadata, fm.tail, name)


def record_from_metadata(metadata: dict[str, Any], body: str, name: str = "model card") -> CardRecord:
    """The ``CardRecord`` of a card whose front matter is already loaded (``body``: the text after it)."""
    raw = metadata.get("co2_eq_emissions")
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
    if emissions is not None and not math.isfinite(emissions):
        flags.append(f"emissions {value!r} is not a finite number; not read")
        emissions = None
    if emissions is not None:
        if emissions < 0:
            flags.append("negative emissions")
        if emissions > IMPLAUSIBLE_G:
            flags.append(f"{mass(emissions)} is implausibly large for one model; check the unit")
        if isinstance(value, int | float) and not isinstance(value, bool):
            flags.extend(_body_flags(body, float(value)))
    training = fields.get("training_type")
    if training is not None and training not in TRAINING_TYPES:
        flags.append(f"training_type {training!r} is not one of {', '.join(TRAINING_TYPES)}")
    hub = hub_grams(raw)
    if isinstance(raw, dict) and "emissions" not in raw:
        flags.append("the Hub's emissions filter fails on it (huggingface_hub raises KeyError 'emissions')")
    elif hub_differs(emissions, hub):
        said = "leaves it out" if hub is None else f"reads {num(hub)} g"
        meant = "" if emissions is None else f", not {num(emissions)} g"
        flags.append(f"the Hub's emissions filter {said}{meant}")
    written = None if value is None else repr(value)
    return CardRecord(name, emissions, flags=tuple(flags), hub_g=hub, written=written, **fields)


def read_card(path: str | os.PathLike[str]) -> CardRecord:
    """Read the ``co2_eq_emissions`` of the card at ``path`` in any form real cards use."""
    return read_card_text(read_text(path), str(path))


def scan(
    folder: str | os.PathLike[str], min_g: float | None = None, max_g: float | None = None, as_hub: bool = False
) -> list[CardRecord]:
    """Every README.md below ``folder``, sorted by emissions; the Hub's ``emissions_thresholds`` offline.

    With a bound, cards without emissions are left out (as the Hub's filter does);
    a card that cannot be read is listed with a flag, never dropped silently.
    With ``as_hub``, the bounds apply to ``hub_g`` (the Hub's reading, see
    ``hub_grams``) the way ``list_models(emissions_thresholds=...)`` applies them,
    and the cards are sorted by that reading.
    """
    root = Path(folder)
    if not root.is_dir():
        what = "not a folder" if root.exists() else "not a folder (nothing is there)"
        raise CardError(f"{root}: {what}; scan takes a folder of model cards")
    for label, bound in (("min_g", min_g), ("max_g", max_g)):
        if bound is not None and (
            isinstance(bound, bool) or not isinstance(bound, int | float) or not math.isfinite(bound)
        ):
            raise InputError(f"{label} must be a finite number of grams, e.g. 1000; got {bound!r}")
    if min_g is not None and max_g is not None and min_g > max_g:
        raise InputError(f"--min-g {min_g:g} is above --max-g {max_g:g}")
    records = []
    for path in sorted(p for p in root.rglob("*") if p.name.lower() == "readme.md" and p.is_file()):
        try:
            record = read_card(path)
        except CardError as exc:
            record = CardRecord(str(path), None, flags=(str(exc),))
        records.append(record)
    if as_hub:
        if min_g is not None or max_g is not None:
            records = [r for r in records if hub_within(r.hub_g, min_g, max_g)]
        return sorted(records, key=lambda r: (r.hub_g is None, r.hub_g or 0.0, r.path))
    if min_g is not None or max_g is not None:
        records = [
            r
            for r in records
            if r.emissions_g is not None
            and (min_g is None or r.emissions_g >= min_g)
            and (max_g is None or r.emissions_g <= max_g)
        ]
    return sorted(records, key=lambda r: (r.emissions_g is None, r.emissions_g or 0.0, r.path))
