"""The command line: parse, call the API, print. No arithmetic here.

Bad input exits with status 2 and one line on stderr, never a traceback; a
mistyped command, choice or option gets the closest valid one. Every --help
ends with examples and the exit codes (``EXAMPLES``, ``EXIT_CODES``); a bare
``co2-estimator`` prints the help and exits 0.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from estimator import api, job
from estimator.catalog import Catalog, load_catalog
from estimator.core import Estimate
from estimator.errors import EstimatorError, InputError
from estimator.names import listed, matches
from estimator.records import Region
from estimator.report import counted, num
from estimator.version import __version__

PROG = "co2-estimator"


EXIT_CODES = """exit status:
  0  done (a bare co2-estimator prints the help: 0 too); also when batch rows carry errors
     (their 'error' column) or scan lists flagged cards (its 'flags'): read the output.
  1  lint only: it found a problem in a card (so a model repo's CI fails on it)
  2  bad input: a wrong value, name, option or file; one line on stderr, nothing written"""

# Examples shown under each command's --help (tests/test_cli_help.py runs or parses every one).
EXAMPLES: dict[str, tuple[str, ...]] = {
    "": (
        "co2-estimator estimate --hardware 'A100 SXM4 80GB' --count 8 --hours 72 --region gcp:us-central1",
        "co2-estimator card README.md --instance aws:p4d.24xlarge --hours 72 --region aws:us-east-1 "
        "--training-type fine-tuning",
        "co2-estimator hardware h100",
        "co2-estimator COMMAND --help",
    ),
    "estimate": (
        "co2-estimator estimate --hardware 'A100 SXM4 80GB' --count 8 --hours 72 --region gcp:us-central1",
        "co2-estimator estimate --instance aws:p4d.24xlarge --hours 12 --region aws:us-east-1 --format json",
        "co2-estimator estimate --hardware nvidia-t4 --hours 10 --region FR --format modelcard "
        "--training-type fine-tuning",
    ),
    "inference": (
        "co2-estimator inference --hardware nvidia-t4 --region FR --requests 1e6 --seconds-per-request 0.25",
        "co2-estimator inference --instance aws:g5.xlarge --region aws:us-east-1 --requests 5e5 "
        "--requests-per-second 40",
    ),
    "preflight": (
        "co2-estimator preflight --params 7e9 --tokens 2e12 --hardware 'H100 SXM' --count 64 --region US-CA",
        "co2-estimator preflight --flops 8.4e22 --hardware 'A100 SXM4 80GB' --count 8 --region FR",
    ),
    "card": (
        "co2-estimator card README.md --hardware 'A100 SXM4 80GB' --count 8 --hours 72 --region FR "
        "--training-type fine-tuning",
        "co2-estimator card README.md --hardware nvidia-t4 --hours 5 --region FR --training-type fine-tuning --write",
        "co2-estimator card README.md --from-codecarbon emissions.csv --project my-run --training-type pre-training",
    ),
    "scan": (
        "co2-estimator scan ~/.cache/huggingface/hub",
        "co2-estimator scan models/ --min-g 1000 --max-g 1e6 --format csv",
    ),
    "hardware": ("co2-estimator hardware a100", "co2-estimator hardware --kind cpu --vendor amd --format json"),
    "instances": ("co2-estimator instances p4d", "co2-estimator instances --provider gcp h100"),
    "regions": ("co2-estimator regions frankfurt", "co2-estimator regions --provider aws --sort intensity"),
    "batch": (
        "co2-estimator batch runs.csv -o results.csv",
        "co2-estimator batch runs.parquet -o results.parquet --strict",
        "co2-estimator batch runs.csv --sep ';' > results.csv",
        "co2-estimator batch runs.parquet -o co2.parquet --columns energy_kwh,co2e_g",
    ),
    "from-codecarbon": (
        "co2-estimator from-codecarbon emissions.csv",
        "co2-estimator from-codecarbon emissions.csv --project my-run --format json",
        "co2-estimator from-codecarbon emissions.csv --run-id 0b6e2c1a --format modelcard --training-type fine-tuning",
    ),
    "lint": (
        "co2-estimator lint README.md",
        "co2-estimator lint models/ --format json",
        "co2-estimator lint README.md --fix --write",
    ),
    "validate": (
        "co2-estimator validate",
        "co2-estimator validate --format csv > validation.csv",
        "co2-estimator validate --training-low-fraction 0.5",
    ),
}


def _clean(value: Any) -> Any:
    """JSON/YAML-ready ``value`` without float noise: floats to 12 significant digits, shortest form.

    ``6.115200000000001`` is written ``6.1152``; NaN and infinities become None
    (valid JSON). The API's own values keep full precision.
    """
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        rounded = float(f"{value:.12g}")
        return rounded
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_clean(v) for v in value]
    return value


def _json(value: Any, **options: Any) -> str:
    import json

    return json.dumps(_clean(value), **options)


class _Raw(str):
    """Help text printed as written (examples, exit codes), not re-wrapped."""

    __slots__ = ()


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, its set-up deferred until it formats text.

    argparse makes a formatter for every ``add_argument`` only to check the
    metavar (``_format_args``, which reads no state); set-up asks the
    terminal's width through ``shutil`` (a few milliseconds of imports on a
    cold start). Any state read first sets it all up exactly as argparse does.
    """

    def __init__(self, prog: str, *args: Any, **kwargs: Any) -> None:
        self._deferred = (prog, args, kwargs)

    def __getattr__(self, name: str) -> Any:
        deferred = self.__dict__.pop("_deferred", None)
        if deferred is None:
            raise AttributeError(name)
        prog, args, kwargs = deferred
        super().__init__(prog, *args, **kwargs)
        return getattr(self, name)

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if isinstance(text, _Raw):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _epilog(command: str) -> _Raw:
    lines = [f"  {example}" for example in EXAMPLES[command]]
    return _Raw("\n".join(["examples:", *lines, "", EXIT_CODES]))


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {_did_you_mean(self, message)} (see '{self.prog} --help')\n")
        sys.exit(2)


def _options(parser: argparse.ArgumentParser) -> list[str]:
    """Every long option of ``parser`` and of its subcommands."""
    found: list[str] = []
    for action in parser._actions:
        found += [o for o in action.option_strings if o.startswith("--")]
        if isinstance(action, argparse._SubParsersAction):
            for child in action.choices.values():
                found += _options(child)
    return sorted(set(found))


def _did_you_mean(parser: argparse.ArgumentParser, message: str) -> str:
    """argparse's message, with the closest valid choice for a mistyped command, choice or option."""
    import difflib
    import re

    choice = re.search(r"invalid choice: '?([^' ]*)'? \(choose from (.*)\)", message)
    if choice:
        options = re.findall(r"'([^']*)'", choice.group(2)) or [c.strip() for c in choice.group(2).split(",")]
        close = difflib.get_close_matches(choice.group(1), options, n=1, cutoff=0.5)
        if close:
            return f"{message}; did you mean {close[0]!r}?"
        return message
    unknown = re.search(r"unrecognized arguments: (.*)", message)
    if unknown:
        command = _command_parser(parser, getattr(parser, "command", None))
        own, every = _options(command or parser), _options(parser)
        for word in unknown.group(1).split():
            if word.startswith("--"):
                flag = word.split("=")[0]
                if command is not None and flag in every:  # another command's option, not a typo
                    return f"{message}; {command.prog} has no {flag} ({_takers(parser, flag)})"
                meant = job.LIKELY_MEANT.get(flag[2:].replace("-", "_"))  # --gpus: --count, not --pue
                close = [job.BY_NAME[meant].cli_flag] if meant and job.BY_NAME[meant].cli_flag in every else []
                close = close or difflib.get_close_matches(flag, own, n=1, cutoff=0.6)
                close = close or difflib.get_close_matches(flag, every, n=1, cutoff=0.6)
                if close and command is not None and close[0] not in own:
                    return f"{message}; did you mean {close[0]!r}? ({_takers(parser, close[0])})"
                if close:
                    return f"{message}; did you mean {close[0]!r}?"
    return message


def _takers_of(parser: argparse.ArgumentParser, flag: str) -> list[str]:
    """The commands taking the option ``flag``."""
    return [n for n in PARSERS if flag in _options(_command_parser(parser, n) or parser)]


def _takers(parser: argparse.ArgumentParser, flag: str) -> str:
    """'estimate, inference and card have it': the commands taking the option ``flag``."""
    takers = _takers_of(parser, flag)
    return f"{listed(takers)} {'has' if len(takers) == 1 else 'have'} it"


def _command_parser(parser: argparse.ArgumentParser, name: str | None) -> argparse.ArgumentParser | None:
    """The parser of the command ``name`` under ``parser`` (None: no such command, or none asked)."""
    for action in parser._actions:
        if name is not None and isinstance(action, argparse._SubParsersAction) and name in action.choices:
            chosen: argparse.ArgumentParser = action.choices[name]
            return chosen
    return None


def _finite(what: str, example: str) -> Callable[[str], float]:
    """A number that is finite (no nan, no inf)."""
    parse = _number(what, example)

    def finite(text: str) -> float:
        value = parse(text)
        if not math.isfinite(value):
            raise argparse.ArgumentTypeError(f"{what} must be a finite number, e.g. {example}; got {text!r}")
        return value

    return finite


def _finish(parser: argparse.ArgumentParser, sub: Any) -> None:
    """Examples and exit codes under every --help; required options marked '(required)'."""
    parser.epilog = _epilog("")
    for name, child in sub.choices.items():
        child.epilog = _epilog(name)
        for action in child._actions:
            if action.required and action.option_strings and "(required)" not in (action.help or ""):
                action.help = f"{action.help} (required)" if action.help else "(required)"
        for group in child._mutually_exclusive_groups:
            if group.required:
                flags = " or ".join(a.option_strings[-1] for a in group._group_actions)
                for action in group._group_actions:
                    action.help = f"{action.help + ' ' if action.help else ''}(required: {flags})"


def _number(what: str, example: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, e.g. {example}; got {text!r}") from None

    return parse


SCALE_SUFFIXES = {"k": 1e3, "m": 1e6, "b": 1e9, "g": 1e9, "t": 1e12}  # 7B parameters, 2T tokens, 1M requests


def _amount(what: str, example: str) -> Callable[[str], float]:
    """A count of things (requests, parameters, tokens, FLOPs): a number, '1,000,000', or one with K, M, B or T."""

    def parse(text: str) -> float:
        plain = text.strip()
        if "," in plain:  # thousands only ('1,000,000'): '7,5B' is no 75B, and not read as 7.5B either
            head = plain.rstrip("kKmMbBgGtT")
            if not re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", head):
                raise argparse.ArgumentTypeError(
                    f"{what} reads a comma only between thousands (1,000,000): write decimals with a point "
                    f"(7.5B); got {text!r}"
                )
            plain = plain.replace(",", "")
        scale = SCALE_SUFFIXES.get(plain[-1:].lower(), 1.0) if plain[-1:].isalpha() else 1.0
        try:
            return float(plain[:-1] if scale != 1.0 else plain) * scale
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{what} must be a number, e.g. {example} (1,000,000, 7B and 2T read too); got {text!r}"
            ) from None

    return parse


def _whole(what: str, example: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value != int(value):
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, e.g. {example}; got {text!r}")
        return int(value)

    return parse


INFERENCE_INPUTS = (
    "hardware", "instance", "region", "provider", "count", "pue", "intensity", "power_w", "utilization",
    "year", "basis", "data_files",
)  # fmt: skip
PREFLIGHT_INPUTS = (
    "hardware",
    "count",
    "region",
    "provider",
    "trials",
    "pue",
    "intensity",
    "year",
    "basis",
    "data_files",
)
LISTING_INPUTS = ("data_files",)


def _add_job_args(p: argparse.ArgumentParser, names: Sequence[str] = job.NAMES, required: Sequence[str] = ()) -> None:
    """Flags made from :mod:`estimator.job`: one per input, with its unit, range, default and example."""
    for spec in job.INPUTS:
        if spec.name not in names:
            continue
        options: dict[str, Any] = {"dest": spec.name, "help": spec.describe(), "required": spec.name in required}
        if spec.kind == "number":
            options["type"] = _number(spec.cli_flag, spec.example)
        elif spec.kind == "whole":
            options["type"] = _whole(spec.cli_flag, spec.example)
        elif spec.kind == "choice":
            options["choices"] = spec.choices
        elif spec.kind == "pair":
            options.update(nargs=2, type=_number(spec.cli_flag, spec.example), metavar=("LOW", "HIGH"))
        elif spec.kind == "files":
            options.update(action="append", metavar="FILE")
        p.add_argument(spec.cli_flag, **options)


def _job_kwargs(args: argparse.Namespace, names: Sequence[str] = job.NAMES) -> dict[str, Any]:
    """The Job inputs given on the command line (left-out flags keep Job's defaults)."""
    return {n: getattr(args, n) for n in names if getattr(args, n, None) is not None}


def build_parser(command: str | None = None, parser_class: type[_Parser] | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or, given ``command``, of that one only (a cold start builds one).

    A parser of one command parses that command's arguments exactly as the
    whole one does; only its messages for a wrong command differ, so
    :func:`main` uses it only where the parse succeeds (see ``_Quick``).
    """
    parser = (parser_class or _Parser)(
        prog=PROG, description="Offline, sourced carbon footprint of machine-learning work."
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    # prog given: argparse would otherwise format the usage line to find it (same text, set-up paid)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, prog=PROG)
    for name, add in PARSERS.items():
        if command is None or name == command:
            add(sub)
    _finish(parser, sub)
    return parser


def _add_estimate(sub: Any) -> None:
    est = sub.add_parser("estimate", help="energy and CO2e of one run", description="Energy and CO2e of one run.")
    _add_job_args(est, required=("hours",))
    est.add_argument(
        "--format",
        choices=("text", "json", "yaml", "modelcard", "markdown", "latex"),
        default="text",
        help="modelcard: the co2_eq_emissions YAML; markdown/latex: a paragraph for a paper",
    )
    est.add_argument(
        "--training-type",
        help="for --format modelcard: pre-training or fine-tuning (left out of the card when not given)",
    )
    est.add_argument(
        "--score", type=_number("--score", "0.91"), help="a quality score (e.g. accuracy): prints score per gram"
    )


def _add_inference(sub: Any) -> None:
    inf = sub.add_parser(
        "inference",
        help="energy and CO2e of serving requests",
        description="Energy and CO2e of serving requests: in total, per request and per 1,000 requests.",
    )
    _add_job_args(inf, INFERENCE_INPUTS)
    inf.add_argument("--requests", type=_amount("--requests", "1000000"), required=True, help="requests served")
    rate = inf.add_mutually_exclusive_group()
    rate.add_argument(
        "--seconds-per-request",
        type=_number("--seconds-per-request", "0.25"),
        help="wall-clock seconds the whole deployment (all --count devices together) spends per request, e.g. 0.25; "
        "with batching or several replicas at once, the serving time divided by their number",
    )
    rate.add_argument(
        "--requests-per-second",
        type=_number("--requests-per-second", "40"),
        help="requests the whole deployment (all --count devices together) serves per second, e.g. 40",
    )
    up = inf.add_mutually_exclusive_group()
    up.add_argument(
        "--hours-per-day",
        type=_number("--hours-per-day", "24"),
        help="hours a day the servers are up (up to 24); the hours not serving count at the idle draw",
    )
    up.add_argument("--always-on", action="store_true", help="servers up 24 h a day (same as --hours-per-day 24)")
    inf.add_argument("--days", type=_number("--days", "30"), help="days the requests span (with --hours-per-day)")
    from estimator.inference import IDLE_DRAW_FRACTION

    inf.add_argument(
        "--idle-fraction",
        type=_number("--idle-fraction", f"{IDLE_DRAW_FRACTION:g}"),
        help=f"draw while up and idle, fraction of TDP (default {IDLE_DRAW_FRACTION:g}, Morrison et al. 2025)",
    )
    inf.add_argument("--score", type=_number("--score", "0.91"), help="a quality score: prints score per gram")
    inf.add_argument("--format", choices=("text", "json"), default="text")


def _add_preflight(sub: Any) -> None:
    pre = sub.add_parser(
        "preflight",
        help="emissions of a training run before it happens, from its compute",
        description="Device-hours and CO2e from training compute: FLOPs, or 6 × params × tokens; "
        "device-hours = FLOPs / (dense peak × MFU).",
    )
    pre.add_argument("--flops", type=_amount("--flops", "8.4e22"), help="total training FLOPs")
    pre.add_argument("--params", type=_amount("--params", "7e9"), help="parameters (with --tokens)")
    pre.add_argument("--tokens", type=_amount("--tokens", "2e12"), help="training tokens (with --params)")
    _add_job_args(pre, PREFLIGHT_INPUTS, required=("hardware",))
    pre.add_argument("--mfu", type=_number("--mfu", "0.4"), help="model FLOPs utilisation (default 0.4, range 0.3-0.5)")
    pre.add_argument("--precision", default="bf16", help="fp32, tf32, bf16, fp16, fp8 or int8 (default bf16)")
    pre.add_argument("--format", choices=("text", "json"), default="text")


def _add_card(sub: Any) -> None:
    card = sub.add_parser(
        "card",
        help="write co2_eq_emissions into a model card",
        description="Merge the co2_eq_emissions block into a model card (README.md). Prints the change as a "
        "unified diff; --write updates the file atomically. Only that block changes.",
    )
    card.add_argument("path", help="the model card, e.g. README.md")
    _add_job_args(card)
    card.add_argument(
        "--training-type", help="pre-training or fine-tuning (left out of the card when not given: no default)"
    )
    card.add_argument("--location", help="override geographical_location, e.g. 'Iowa, USA'")
    card.add_argument("--from-codecarbon", metavar="CSV", help="use a CodeCarbon emissions.csv instead of an estimate")
    card.add_argument("--run-id", help="with --from-codecarbon: the run (default: the last usable row)")
    card.add_argument("--project", help="with --from-codecarbon: only runs of this project_name")
    card.add_argument("--write", action="store_true", help="update the file (default: only show the diff)")


def _add_scan(sub: Any) -> None:
    scan = sub.add_parser(
        "scan",
        help="emissions of every model card in a folder, or in a Hub dump (.parquet / .jsonl)",
        description="Read co2_eq_emissions from every README.md below DIR (the Hub's emissions_thresholds, "
        "offline), or from every card of a Hub dump (.parquet or .jsonl with columns modelId and card): "
        "the distribution of reported emissions, how many the Hub's filter misreads and by how much, the ten "
        "largest.",
    )
    scan.add_argument("dir", help="a folder of model folders, or a dump file: .parquet or .jsonl")
    scan.add_argument("--min-g", type=_finite("--min-g", "1000"), help="keep cards with at least this many grams")
    scan.add_argument("--max-g", type=_finite("--max-g", "1e6"), help="keep cards with at most this many grams")
    scan.add_argument("--format", choices=("table", "json", "csv"), default="table")
    _add_scan_dump_args(scan)


def _add_hardware(sub: Any) -> None:
    hw = sub.add_parser("hardware", help="list devices", description="List devices (accelerators and CPUs).")
    hw.add_argument("query", nargs="*", help="words to look for, e.g. 'a100' or 'epyc 7742'")
    hw.add_argument("--kind", help="gpu, tpu, npu, soc or cpu")
    hw.add_argument("--vendor", help="nvidia, amd, intel, google, ...")
    hw.add_argument("--format", choices=("table", "json"), default="table")
    _add_job_args(hw, LISTING_INPUTS)


def _add_instances(sub: Any) -> None:
    ins = sub.add_parser("instances", help="list cloud instance types", description="List cloud instance types.")
    ins.add_argument("query", nargs="*", help="words to look for, e.g. 'p4d' or 'h100'")
    ins.add_argument("--provider", help="aws, gcp, azure, ...")
    ins.add_argument("--format", choices=("table", "json"), default="table")
    _add_job_args(ins, LISTING_INPUTS)


def _add_regions(sub: Any) -> None:
    reg = sub.add_parser("regions", help="list regions and intensities", description="List regions and intensities.")
    reg.add_argument("query", nargs="*", help="words to look for, e.g. 'frankfurt' or 'us-east'")
    reg.add_argument("--provider", help="aws, gcp, azure, ...")
    reg.add_argument("--sort", choices=("id", "intensity", "name"), default="id")
    _add_job_args(reg, ("year", "basis"))
    reg.add_argument("--format", choices=("table", "json"), default="table")
    _add_job_args(reg, LISTING_INPUTS)


def _add_batch(sub: Any) -> None:
    bat = sub.add_parser(
        "batch",
        help="estimate every run in a CSV or Parquet file",
        description="Estimate every run in a CSV or Parquet file (columns: hardware or instance, hours, "
        "region, optional count, pue, intensity, power_w, utilization, ...). Other columns pass through; "
        "a bad row gets its message in the 'error' column.",
    )
    bat.add_argument("runs", help="runs file: .csv (any delimiter) or .parquet")
    bat.add_argument("-o", "--output", help="results file, .csv or .parquet (default, or '-': CSV on stdout)")
    bat.add_argument("--strict", action="store_true", help="stop at the first bad row, naming its line and column")
    bat.add_argument("--sep", help="CSV delimiter (default: guessed from the header)")
    bat.add_argument("--no-progress", action="store_true", help="no progress bar (it only shows on a terminal)")
    bat.add_argument(
        "--columns",
        metavar="NAMES",
        action="append",
        help="result columns to write, comma-separated (default: all; 'error' is always written), "
        "e.g. energy_kwh,co2e_g,co2e_low_g,co2e_high_g; may be given more than once",
    )
    _add_job_args(bat, LISTING_INPUTS)


def _add_from_codecarbon(sub: Any) -> None:
    cc = sub.add_parser(
        "from-codecarbon",
        help="a CodeCarbon emissions.csv run, beside our estimate",
        description="Read CodeCarbon's emissions.csv: the measured run as a model-card block, and our "
        "TDP-based estimate of the same run with the ratio between them.",
    )
    cc.add_argument("emissions", help="CodeCarbon's emissions.csv")
    cc.add_argument("--run-id", help="the run to read (a unique prefix will do; default: the last usable row)")
    cc.add_argument("--project", help="only runs of this project_name (the last of them, or --run-id among them)")
    cc.add_argument("--format", choices=("text", "json", "modelcard"), default="text")
    cc.add_argument(
        "--training-type", help="for --format modelcard: pre-training or fine-tuning (left out when not given)"
    )
    _add_job_args(cc, LISTING_INPUTS)


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _emit(rows: list[Any], fmt: str, header: Sequence[str], cells: Callable[[Any], Sequence[Any]], what: str) -> None:
    if fmt == "json":
        print(_json([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        print(f"no {what} match")
        return
    print(_table([cells(r) for r in rows], header))
    print(f"\n{len(rows)} {what}")


def _estimate(args: argparse.Namespace) -> Estimate:
    return api.estimate(**_job_kwargs(args))


def _cmd_estimate(args: argparse.Namespace) -> None:
    from estimator import report

    e = _estimate(args)
    per_gram = None
    if args.score is not None:
        from estimator.inference import score_per_gram

        per_gram = score_per_gram(args.score, e.co2e_g)
    if args.format == "json":
        out = e.to_dict()
        if per_gram is not None:
            out["score_per_g"] = per_gram
        print(_json(out, indent=2, ensure_ascii=False))
    elif args.format == "yaml":
        import yaml

        print(yaml.safe_dump(_clean(e.to_dict()), sort_keys=False, allow_unicode=True), end="")
    elif args.format == "modelcard":
        from estimator import modelcard

        print(modelcard.to_yaml(modelcard.card_block(e, args.training_type)), end="")
        _note_warnings(e)
        _note_training_type(args.training_type)
    elif args.format == "markdown":
        print(report.markdown_paragraph(e))
        _note_warnings(e)
    elif args.format == "latex":
        print(report.latex_paragraph(e))
        print(f"\n% BibTeX:\n% {report.LACOSTE_BIBTEX.replace(chr(10), chr(10) + '% ')}")
        _note_warnings(e)
    else:
        print(report.text(e))
        if per_gram is not None:
            print(f"\nscore per gram CO2e: {num(per_gram)}")


FLAG_WORDED = frozenset({"estimate", "inference", "preflight"})  # commands whose errors come from Job's inputs


def _in_flags(exc: EstimatorError, args: argparse.Namespace) -> EstimatorError:
    """``exc`` with the Python spelling of the command's inputs written as its flags, in place.

    An input followed by "=" (``precision=3``: ``--precision 3``), an input whose name has an
    underscore (``hours_per_day``) and one that opens the message ("days must
    be ...") become the flag (``--precision``, ``--hours-per-day``,
    ``--days``); ``estimate()`` becomes ``co2-estimator estimate``. Other bare
    words (``days``) are left alone: they read as English. The Python API
    keeps its spelling; only the CLI's message changes.
    """
    import re

    flags = {n: job.BY_NAME[n].cli_flag for n in job.NAMES}
    flags |= {n: "--" + n.replace("_", "-") for n in vars(args) if n not in flags}
    names = "|".join(sorted(map(re.escape, flags), key=len, reverse=True))
    message = re.sub(
        rf"(?<![\w-])({names})(=|(?!\w))",
        lambda m: flags[m[1]] + " " if m[2] == "=" else flags[m[1]] if "_" in m[1] or m.start() == 0 else m[0],
        str(exc),
    )
    exc.args = (message.replace("estimate()", f"{PROG} estimate"), *exc.args[1:])
    return exc


def _cmd_inference(args: argparse.Namespace) -> None:
    from estimator import report
    from estimator.inference import estimate_inference, score_per_gram

    result = estimate_inference(
        requests=args.requests,
        seconds_per_request=args.seconds_per_request,
        requests_per_second=args.requests_per_second,
        hours_per_day=24.0 if args.always_on else args.hours_per_day,
        days=args.days,
        idle_fraction=args.idle_fraction,
        **_job_kwargs(args, INFERENCE_INPUTS),
    )
    per_gram = score_per_gram(args.score, result.co2e_g) if args.score is not None else None
    if args.format == "json":
        out = result.to_dict()
        if per_gram is not None:
            out["score_per_g"] = per_gram
        print(_json(out, indent=2, ensure_ascii=False))
        return
    print(report.inference_text(result, per_gram))


def _cmd_preflight(args: argparse.Namespace) -> None:
    from estimator import report
    from estimator.preflight import preflight

    p = preflight(
        flops=args.flops,
        params=args.params,
        tokens=args.tokens,
        mfu=args.mfu,
        precision=args.precision,
        **_job_kwargs(args, PREFLIGHT_INPUTS),
    )
    if args.format == "json":
        print(_json(p.to_dict(), indent=2, ensure_ascii=False))
        return
    print(report.preflight_text(p))


def _note(text: str) -> None:
    sys.stderr.write(f"{PROG}: note: {text}\n")


def _note_warnings(e: Estimate) -> None:
    """The estimate's warnings on stderr, for a format whose output has no place for them (a card, a paragraph)."""
    for text in _card_warnings(e):
        _note(text)


def _card_warnings(e: Estimate) -> list[str]:
    """``e``'s warnings but the TDP caveat, which a card's source and a paper's paragraph say themselves;
    and the note on hours that look like seconds."""
    from estimator import report
    from estimator.plan import TDP_WARNING

    return [*(text for text in e.warnings if text != TDP_WARNING), *report.typed_hours_notes(e)]


def _note_training_type(training_type: str | None) -> None:
    if training_type is None:
        from estimator.modelcard import TRAINING_TYPE_NOTE

        _note(TRAINING_TYPE_NOTE)


def _cmd_card(args: argparse.Namespace) -> None:
    from estimator import modelcard

    if args.from_codecarbon:
        from estimator.codecarbon import from_codecarbon

        given = [job.BY_NAME[n].cli_flag for n in _job_kwargs(args) if n != "data_files"]
        if given:
            raise InputError(f"--from-codecarbon takes the numbers from the file; leave out {', '.join(given)}")

        measured = from_codecarbon(
            args.from_codecarbon, run_id=args.run_id, project=args.project, data_files=args.data_files
        )
        notes = list(measured.notes)
        block = measured.to_model_card(args.training_type, args.location)["co2_eq_emissions"]
    else:
        if args.run_id or args.project:
            raise InputError("--run-id and --project choose a run of --from-codecarbon; give that file too")
        e = _estimate(args)
        notes = _card_warnings(e)  # what the text output says: a PUE by default, a year not in the data, ...
        block = modelcard.card_block(e, args.training_type, args.location)
    update = modelcard.update_card(args.path, block, write=args.write)
    for line in notes:  # after the work: an error stays the only line on stderr
        _note(line)
    _note_training_type(args.training_type)
    if not update.changed:
        print(f"{args.path}: already up to date; nothing to change")
        return
    sys.stdout.write(update.diff())
    if args.write:
        print(f"wrote {args.path}")
    else:
        print("(dry run: add --write to update the file)")


def _cmd_scan(args: argparse.Namespace) -> None:
    from estimator import modelcard

    if _scan_dump_given(args):
        _cmd_scan_dump(args)
        return
    records = modelcard.scan(args.dir, args.min_g, args.max_g, as_hub=args.as_hub)
    if args.format == "json":
        print(_json([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["path", "emissions_g", "hub_g", "training_type", "hardware_used", "source", "flags"])
        for r in records:
            flags = "; ".join(r.flags)
            row = [r.path, _clean(r.emissions_g), _clean(r.hub_g), r.training_type, r.hardware_used, r.source, flags]
            writer.writerow(row)
        return
    from pathlib import Path

    root = Path(args.dir)
    rows = [
        (
            str(Path(r.path).parent.relative_to(root)) if Path(r.path).is_relative_to(root) else r.path,
            "" if r.emissions_g is None else num(r.emissions_g),
            "-" if r.hub_g is None else num(r.hub_g),
            r.hardware_used or "",
            (r.source or "")[:40],
            "; ".join(r.flags),
        )
        for r in records
    ]
    if not rows:
        print("no model cards match")
        return
    print(_table(rows, ("model", "emissions g", "Hub reads g", "hardware", "source", "flags")))
    print(f"\n{counted(len(rows), 'model card')}")


def _cmd_hardware(args: argparse.Namespace) -> None:
    from estimator import lookup

    rows = lookup.hardware(kind=args.kind, vendor=args.vendor, data_files=args.data_files)
    if args.query:  # the words, quoted or not ('epyc 7742' or epyc 7742)
        rows = [d for d in rows if matches(" ".join(args.query), (d.id, d.name, *d.aliases))]
    _emit(
        rows,
        args.format,
        ("id", "name", "kind", "power W", "basis", "memory GB", "cores", "released"),
        lambda d: (
            d.id,
            d.name,
            d.kind,
            num(d.tdp_w),
            d.power_basis,
            num(d.memory_gb) if d.memory_gb else "",
            d.cores,
            d.released,
        ),
        "devices",
    )


def _cmd_instances(args: argparse.Namespace) -> None:
    from estimator import lookup

    rows = lookup.instances(args.provider, data_files=args.data_files)
    if args.query:
        rows = [i for i in rows if matches(" ".join(args.query), (i.id, i.accelerator or "", i.cpu or "", *i.aliases))]
    _emit(
        rows,
        args.format,
        ("id", "accelerators", "vCPUs", "cpu", "memory GB"),
        lambda i: (
            i.id,
            f"{i.accelerator_count} × {i.accelerator}" if i.accelerator else "-",
            i.vcpus,
            i.cpu or "-",
            num(i.memory_gb),
        ),
        "instance types",
    )


def _cmd_regions(args: argparse.Namespace) -> None:
    from estimator import grid, lookup

    rows = lookup.regions(args.provider, data_files=args.data_files)
    if args.query:
        rows = [r for r in rows if matches(" ".join(args.query), (r.id, r.name, r.location, *r.aliases))]
    catalog = load_catalog(args.data_files)
    basis = args.basis or "lifecycle"
    if basis == "marginal":
        rows = [r for r in rows if grid.central_series(catalog, r, basis)]
    figures = {r.id: grid.choose(catalog, r, args.year, basis) for r in rows if _has_figure(catalog, r, basis)}
    if args.sort == "intensity":  # places with no figure at all (Andorra: only a marginal one) last
        rows.sort(key=lambda r: (figures[r.id].value_g_per_kwh if r.id in figures else math.inf, r.id))
    elif args.sort == "name":
        rows.sort(key=lambda r: (r.name.lower(), r.id))
    if args.format == "json":
        out = [{**r.to_dict(), **(figures[r.id].facts() if r.id in figures else {})} for r in rows]
        print(_json(out, indent=2, ensure_ascii=False))
        return
    _emit(
        rows,
        args.format,
        ("id", "kind", "name", "place", "zone", "gCO2e/kWh", "year", "basis", "PUE"),
        lambda r: (
            r.id,
            r.kind,
            r.name,
            catalog.region_place(r) if r.kind != "country" else "",
            *(
                (figures[r.id].zone, num(figures[r.id].value_g_per_kwh), figures[r.id].year, figures[r.id].basis)
                if r.id in figures
                else ("", "no figure", "", "")
            ),
            _pue_used(catalog, r),
        ),
        "regions",
    )


def _pue_used(catalog: Catalog, region: Region) -> str:
    """The PUE an estimate there uses: the region's own, else its provider's fleet figure or the industry's, said so."""
    from estimator.plan import default_pue

    chosen = default_pue(catalog, region)
    said = {"region": "", "provider": " (fleet)", "industry-average": " (industry)"}.get(chosen.basis, "")
    return f"{num(chosen.pue)}{said}"


def _has_figure(catalog: Catalog, region: Region, basis: str) -> bool:
    """Whether ``region`` has a figure on ``basis`` (for lifecycle: any non-marginal one, its own or its zone's)."""
    from estimator import grid

    if basis == "marginal":
        return bool(grid.central_series(catalog, region, basis))
    places = (region.grid_id, region.id)
    return any(f.basis != "marginal" for p in places for f in catalog.intensity.get(p, ()))


def _cmd_batch(args: argparse.Namespace) -> None:
    from estimator.batch import estimate_file, summary_text
    from estimator.errors import InputError

    if args.output == "-":  # the usual name of stdout
        args.output = None
    try:
        summary = estimate_file(
            args.runs,
            args.output,
            data_files=args.data_files,
            strict=args.strict,
            sep=args.sep,
            progress=False if args.no_progress else None,
            columns=None if args.columns is None else ",".join(args.columns),
        )
    except KeyboardInterrupt:
        raise InputError("interrupted; no output written") from None
    print(summary_text(summary), file=sys.stdout if args.output else sys.stderr)


def _cmd_from_codecarbon(args: argparse.Namespace) -> None:
    from estimator.codecarbon import from_codecarbon, text

    run = from_codecarbon(args.emissions, args.run_id, project=args.project, data_files=args.data_files)
    if args.format == "json":
        print(_json(run.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "modelcard":
        import yaml

        card = run.to_model_card(training_type=args.training_type)
        print(yaml.safe_dump(card, sort_keys=False, allow_unicode=True), end="")
        for line in run.notes:
            _note(line)
        _note_training_type(args.training_type)
    else:
        print(text(run))


# ---------------------------------------------------------------- scan over a Hub dump (issue 18)


def _add_scan_dump_args(scan: argparse.ArgumentParser) -> None:
    scan.add_argument(
        "--as-hub",
        action="store_true",
        help="apply --min-g/--max-g the way the Hub's emissions filter reads cards (first number, units ignored)",
    )
    scan.add_argument("--chart", metavar="FILE", help="dump only: write the chart, .html (self-contained) or .svg")
    scan.add_argument("--dask", action="store_true", help="dump only: read and parse with dask.dataframe")


def _scan_dump_given(args: argparse.Namespace) -> bool:
    from pathlib import Path

    from estimator.hubdump import is_dump

    if is_dump(args.dir):
        return True
    if args.chart or args.dask:
        raise InputError("--chart and --dask go with a dump file (.parquet or .jsonl), not a folder")
    if Path(args.dir).is_file():
        raise InputError(
            f"{args.dir}: scan takes a folder of model cards or a dump file (.parquet or .jsonl); "
            "for one card use: co2-estimator lint README.md"
        )
    return False


def _cmd_scan_dump(args: argparse.Namespace) -> None:
    from estimator import hubdump

    summary = hubdump.scan_dump(args.dir, args.min_g, args.max_g, as_hub=args.as_hub, dask=args.dask)
    if args.chart:
        hubdump.write_chart(summary, args.chart)
    if args.format == "json":
        print(_json(summary.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["emissions", "cards_mean", "hub_reads"])
        writer.writerows(summary.bin_rows())
    else:
        print(summary.text())
        print(f"\n{summary.rows:,} cards in {summary.seconds:.1f} s ({summary.engine})")
    if args.chart:
        print(f"wrote {args.chart}", file=sys.stderr if args.format != "table" else sys.stdout)


# ---------------------------------------------------------------- lint (issue 18)


def _add_lint_parser(sub: Any) -> None:
    lint = sub.add_parser(
        "lint",
        help="check the co2_eq_emissions block of model cards (exit 1 when anything is found)",
        description="List every problem with the co2_eq_emissions block of a model card, or of every README.md "
        "below a folder: units in a string, a value the Hub's emissions filter reads differently from what it "
        "means, likely kg written as grams, no emissions, negative or zero, missing source / training_type / "
        "geographical_location / hardware_used. Exit status: 0 clean, 1 something found (with --fail-on error: "
        "an error found; warnings are printed, exit 0), 2 bad input. "
        "--fix shows the block rewritten in grams (dry run); --fix --write writes it.",
    )
    lint.add_argument("paths", nargs="+", metavar="PATH", help="a model card (README.md) or a folder of model repos")
    lint.add_argument("--fix", action="store_true", help="show the block rewritten in grams as a diff")
    lint.add_argument("--write", action="store_true", help="with --fix: write the rewritten cards (atomically)")
    lint.add_argument("--require-block", action="store_true", help="a card without co2_eq_emissions is an error")
    lint.add_argument("--format", choices=("text", "json"), default="text")
    lint.add_argument(
        "--fail-on",
        choices=("error", "warning"),
        default="warning",
        help="the least severe finding that makes the exit status 1 (default: warning, any finding)",
    )
    _add_job_args(lint, LISTING_INPUTS)


def _cmd_lint(args: argparse.Namespace) -> None:
    from estimator.lint import card_paths, fix, lint
    from estimator.modelcard import CardError, CardWriteError

    if args.write and not args.fix:
        raise InputError("--write goes with --fix: co2-estimator lint --fix --write PATH")
    findings = lint(args.paths, require_block=args.require_block, data_files=args.data_files)
    updates = []
    unwritable = 0  # cards whose fix could not be written (read-only): exit 2, as card's --write
    if args.fix:
        for card in card_paths(args.paths):
            try:
                update = fix(card, write=args.write)
            except CardError as exc:  # invalid YAML (a bad-card finding), a duplicated block, a read-only file...
                sys.stderr.write(f"{PROG}: cannot fix {card}: {' '.join(str(exc).split())}\n")
                unwritable += isinstance(exc, CardWriteError)
                continue
            if update is not None and update.changed:
                updates.append(update)
    if args.format == "json":
        out: dict[str, Any] = {"findings": [f.to_dict() for f in findings]}
        if args.fix:
            out["fixes"] = [{"path": str(u.path), "diff": u.diff(), "written": args.write} for u in updates]
        print(_json(out, indent=2, ensure_ascii=False))
    else:
        for finding in findings:
            print(finding)
        for update in updates:
            sys.stdout.write(update.diff())
            print(f"wrote {update.path}" if args.write else "(dry run: add --write to update the file)")
        errors = sum(f.severity == "error" for f in findings)
        cards = len({f.path for f in findings})
        if findings:
            warned = len(findings) - errors
            print(
                f"\n{counted(len(findings), 'finding')} ({counted(errors, 'error')}, {counted(warned, 'warning')})"
                f" in {counted(cards, 'card')}"
            )
        else:
            print("no problems found")
    if unwritable:
        raise SystemExit(2)
    if any(f.severity == "error" or args.fail_on == "warning" for f in findings):
        raise SystemExit(1)


# ---------------------------------------------------------------- validate (issue 19)


def _add_validate_parser(sub: Any) -> None:
    val = sub.add_parser(
        "validate",
        help="our estimates against measured energy of published runs",
        description="Run every measured run in the validation set (data/validation.csv) through the estimator "
        "as a user would, and print per run the estimate, our range, the measured energy and the ratio; then, "
        "for training and for inference, the share of measured figures inside the range and the median and "
        "worst ratio. Example: co2-estimator validate --format json",
    )
    val.add_argument("--format", choices=("text", "json", "csv"), default="text")
    val.add_argument("--runs", metavar="FILE", help="another validation file with the same columns")
    val.add_argument(
        "--training-low-fraction",
        type=_number("--training-low-fraction", "0.25"),
        help="low end of the training draw range, fraction of TDP (default: the package's)",
    )
    val.add_argument(
        "--inference-low-fraction",
        type=_number("--inference-low-fraction", "0.3"),
        help="low end of the serving draw range, fraction of TDP (default: the package's)",
    )
    _add_job_args(val, LISTING_INPUTS)


def _cmd_validate(args: argparse.Namespace) -> None:
    from estimator import validation

    result = validation.validate(
        path=args.runs,
        training_low_fraction=args.training_low_fraction,
        inference_low_fraction=args.inference_low_fraction,
        data_files=args.data_files,
    )
    if args.format == "json":
        print(_json(result.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        import csv

        rows = validation.to_csv_rows(result)
        writer = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["id"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    else:
        print(validation.text(result))


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "estimate": _cmd_estimate,
    "card": _cmd_card,
    "inference": _cmd_inference,
    "preflight": _cmd_preflight,
    "scan": _cmd_scan,
    "hardware": _cmd_hardware,
    "instances": _cmd_instances,
    "regions": _cmd_regions,
    "batch": _cmd_batch,
    "from-codecarbon": _cmd_from_codecarbon,
    "lint": _cmd_lint,
    "validate": _cmd_validate,
}


# ---------------------------------------------------------------- slurm (issue 17): parser, command, registration


def _add_slurm_parser(sub: Any) -> None:
    sl = sub.add_parser(
        "slurm",
        help="the footprint of every Slurm job in a sacct file, per user, account, partition and month",
        description="Read Slurm accounting (sacct --allusers --parsable2 --format=JobID,JobName,User,Account,"
        "Partition,State,Start,End,ElapsedRaw,NCPUS,NNodes,AllocTRES,NodeList) and a cluster description "
        "(cluster.yaml: site region and PUE, partitions -> devices); print the totals, and write the jobs, "
        "a summary and an HTML report. See docs/slurm.md.",
    )
    sl.add_argument("sacct", metavar="SACCT_FILE", help="sacct output (--parsable2 or --parsable)")
    sl.add_argument(
        "--cluster", required=True, metavar="YAML", help="the cluster description (docs/cluster.example.yaml)"
    )
    sl.add_argument("--delimiter", default="|", help="sacct's field delimiter (default '|')")
    sl.add_argument("--out", metavar="FILE", help="every job with its figures: .csv or .parquet")
    sl.add_argument("--summary", metavar="CSV", help="the summary table (grouped by --by, with a total row)")
    sl.add_argument("--report", metavar="HTML", help="a self-contained HTML report with charts")
    sl.add_argument(
        "--by", choices=("user", "account", "partition", "month"), default="user", help="summary grouping (user)"
    )
    sl.add_argument(
        "--within-year",
        type=_whole("--within-year", "2025"),
        metavar="YEAR",
        help="count each job's hours within that calendar year only (sacct's --starttime/--endtime give the jobs "
        "that overlap the year, whole), so yearly totals add up",
    )
    _add_job_args(sl, LISTING_INPUTS)


def _sum_text(value: float) -> str:
    """A group's sum for the slurm table; "–" when none of its jobs had a figure (a sum of nothing is NaN)."""
    return "–" if math.isnan(value) else num(value)


def _cmd_slurm(args: argparse.Namespace) -> None:
    from pathlib import Path

    from estimator import slurm

    source = Path(args.sacct).resolve()
    for option in ("out", "summary", "report"):
        target = getattr(args, option)
        if target is not None and Path(target).resolve() == source:
            raise InputError(f"--{option} {target} is the sacct file; write to another file")
    if args.out is not None and args.summary is not None and Path(args.out).resolve() == Path(args.summary).resolve():
        raise InputError(f"--out and --summary are both {args.out}: the jobs and the summary need a file each")
    if args.out is not None and Path(args.out).suffix.lower() not in (".csv", ".parquet", ".pq"):
        raise InputError(f"--out {args.out} must end in .csv or .parquet")
    if args.summary is not None and Path(args.summary).suffix.lower() != ".csv":
        raise InputError(f"--summary {args.summary} must end in .csv")
    cluster = slurm.load_cluster(args.cluster, data_files=args.data_files)
    try:
        jobs = slurm.read_sacct(args.sacct, delimiter=args.delimiter)
        if args.within_year is not None:
            jobs = slurm.within_year(jobs, args.within_year)
        out = slurm.estimate_jobs(jobs, cluster, data_files=args.data_files)
    except KeyboardInterrupt:
        raise InputError("interrupted; nothing written") from None

    from estimator.fileio import write_with  # a read-only file, a folder, no folder: refused; a link: written through

    if args.out is not None:
        if Path(args.out).suffix.lower() == ".csv":
            write_with(args.out, lambda p: out.to_csv(p, index=False))
        else:
            write_with(args.out, lambda p: out.to_parquet(p, index=False))
    summary = slurm.summarize(out, args.by)
    if args.summary is not None:
        write_with(args.summary, lambda p: summary.to_csv(p, index=False))
    if args.report is not None:
        from estimator import slurm_report

        slurm_report.write_report(out, cluster, args.report, data_files=args.data_files)
    print(slurm.totals_text(slurm.totals(out)))
    if args.within_year is not None:
        from estimator.report import counted

        cut = jobs.attrs.get("within_year", {}).get("cut", 0)
        print(f"hours within {args.within_year} only: {counted(cut, 'job')} cut at the year's bounds")
    top = summary if len(summary) <= 11 else summary.iloc[[*range(10), len(summary) - 1]]
    rows = [
        (r[args.by], f"{r['jobs']:,}", _sum_text(r["gpu_hours"]), _sum_text(r["energy_kwh"]), _sum_text(r["co2e_kg"]))
        for _, r in top.iterrows()
    ]
    print()
    print(_table(rows, (args.by, "jobs", "GPU-hours", "kWh", "kg CO2e")))
    if (top["co2e_kg"].isna() & (top["jobs"] > 0)).any():
        print("–: no job of the group could be estimated (see the 'error' column)")
    for option, label in (("out", "jobs"), ("summary", "summary"), ("report", "report")):
        if getattr(args, option) is not None:
            print(f"{label}: {getattr(args, option)}")


COMMANDS["slurm"] = _cmd_slurm
# Each command's parser, in the order --help lists them.
PARSERS: dict[str, Callable[[Any], None]] = {
    "estimate": _add_estimate,
    "inference": _add_inference,
    "preflight": _add_preflight,
    "card": _add_card,
    "scan": _add_scan,
    "hardware": _add_hardware,
    "instances": _add_instances,
    "regions": _add_regions,
    "batch": _add_batch,
    "from-codecarbon": _add_from_codecarbon,
    "lint": _add_lint_parser,
    "validate": _add_validate_parser,
    "slurm": _add_slurm_parser,
}
EXAMPLES["slurm"] = (
    "co2-estimator slurm sacct.txt --cluster cluster.yaml --report report.html",
    "co2-estimator slurm sacct.txt --cluster cluster.yaml --out jobs.parquet --summary by-account.csv --by account",
    "co2-estimator slurm sacct.csv --cluster cluster.yaml --delimiter ';'",
)


class _NotPlain(Exception):
    """Raised by ``_Quick`` where argparse would print an error: the whole parser then says it."""


class _Quick(_Parser):
    """A parser that raises ``_NotPlain`` instead of printing an error and exiting."""

    def error(self, message: str) -> NoReturn:
        raise _NotPlain(message)


def _parse(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed by the parser of its command alone when that parse succeeds, else by the whole parser.

    Building every command's parser is most of a cold ``estimate``'s parsing
    time. A parse that fails (a misspelt command or option, a bad value) is
    done again by the whole parser, so its message, its "did you mean" (which
    looks through every command's options) and its exit status are unchanged;
    --help and --version print what the whole parser prints.
    """
    if argv[0] in PARSERS:
        with contextlib.suppress(_NotPlain):
            return build_parser(argv[0], _Quick).parse_args(argv)
    parser = build_parser()
    parser.command = argv[0] if argv and argv[0] in PARSERS else None  # type: ignore[attr-defined]
    first = argv[0].split("=")[0]
    own = {o for action in parser._actions for o in action.option_strings}
    if first.startswith("--") and first not in own and first in _options(parser):  # a command's option, first
        example = _takers_of(parser, first)[0]
        parser.error(f"{first} goes after the command, e.g. {PROG} {example} ... {first} ({_takers(parser, first)})")
    return parser.parse_args(argv)


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    sys.stderr.write(f"{PROG}: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line ``argv`` (default ``sys.argv[1:]``); the exit status.

    Run as the program (no ``argv``: the ``co2-estimator`` script, ``python -m
    estimator``), what lives when the command is done is frozen (``gc.freeze``)
    so the interpreter's collections at exit do not walk every module's objects
    again (about 5 ms of a cold start's teardown); a call given ``argv`` leaves
    the collector alone.
    """
    status = _run(list(sys.argv[1:] if argv is None else argv), program=argv is None)
    if argv is None:
        import gc

        gc.freeze()
    return status


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM: leave through the ``finally`` and ``except BaseException`` blocks, exit status 128 + 15."""
    raise SystemExit(128 + signum)


# The commands that write files: as the program, a SIGTERM (Slurm's at a time limit, kill) unwinds them as Ctrl-C
# does, so a file being written is removed, not left half-written beside its target.
WRITERS = frozenset({"batch", "slurm", "card", "lint", "scan"})


def _run(argv: list[str], program: bool = False) -> int:
    import warnings

    warnings.showwarning = _show_warning
    if not argv:  # a bare `co2-estimator`: the help, as asked for (documented in README: exit 0)
        build_parser().print_help()
        return 0
    args = _parse(argv)
    if program and args.command in WRITERS:
        import signal

        signal.signal(signal.SIGTERM, _terminated)
    try:
        COMMANDS[args.command](args)
    except EstimatorError as exc:
        if args.command in FLAG_WORDED:  # the message names the flags the person typed, not the keywords
            exc = _in_flags(exc, args)
        sys.stderr.write(f"{PROG}: error: {' '.join(str(exc).split())}\n")
        return 2
    except BrokenPipeError:  # `co2-estimator regions | head`: the reader has what it wanted
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # nothing more to flush into the closed pipe at exit
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
