"""The command line: parse, call the API, print. No arithmetic here.

Bad input exits with status 2 and one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

from estimator import api, lookup
from estimator.catalog import load_catalog
from estimator.core import Estimate
from estimator.errors import EstimatorError
from estimator.names import matches
from estimator.report import num
from estimator.version import __version__

PROG = "co2-estimator"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"{self.prog}: error: {message} (see '{self.prog} --help')\n")
        sys.exit(2)


def _number(what: str, example: str) -> Callable[[str], float]:
    def parse(text: str) -> float:
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, e.g. {example}; got {text!r}") from None

    return parse


def _whole(what: str) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value) or value != int(value):
            raise argparse.ArgumentTypeError(f"{what} must be a whole number, e.g. 8; got {text!r}")
        return int(value)

    return parse


def _add_data(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--data",
        action="append",
        metavar="FILE",
        help="your own devices, instances or regions (YAML or CSV, same schema); repeatable",
    )


def _add_estimate_args(p: argparse.ArgumentParser, hours_required: bool = True) -> None:
    p.add_argument("--hardware", help="device id or name, e.g. 'A100 SXM4 80GB', 'Tesla V100-SXM2-16GB'")
    p.add_argument("--instance", help="cloud instance type, e.g. aws:p4d.24xlarge")
    p.add_argument("--hours", type=_number("--hours", "72"), required=hours_required, help="wall-clock hours, > 0")
    p.add_argument("--count", type=_whole("--count"), help="number of devices (default 1 or the instance's)")
    p.add_argument("--region", help="gcp:us-central1, aws:us-east-1, FR, US-CA, world, or a name")
    p.add_argument("--provider", help="narrows a region name to one provider's regions")
    p.add_argument("--pue", type=_number("--pue", "1.1"), help="override the PUE (1 to 3)")
    p.add_argument("--intensity", type=_number("--intensity", "430"), help="override, gCO2e/kWh")
    p.add_argument("--power-w", type=_number("--power-w", "300"), help="override watts per device")
    p.add_argument("--utilization", type=_number("--utilization", "0.8"), default=1.0, help="(0, 1], default 1")
    p.add_argument("--cpu", help="CPU model, adds its draw")
    p.add_argument("--cpu-count", type=_whole("--cpu-count"), help="whole CPUs (packages)")
    p.add_argument("--cpu-cores", type=_number("--cpu-cores", "16"), help="cores used (TDP/cores each)")
    p.add_argument("--cpu-utilization", type=_number("--cpu-utilization", "0.5"), default=1.0)
    p.add_argument("--memory-gb", type=_number("--memory-gb", "64"), help="RAM in GB (0.3725 W/GB)")
    _add_data(p)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Offline, sourced carbon footprint of machine-learning work.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    est = sub.add_parser("estimate", help="energy and CO2e of one run", description="Energy and CO2e of one run.")
    _add_estimate_args(est)
    est.add_argument(
        "--format",
        choices=("text", "json", "yaml", "modelcard", "markdown", "latex"),
        default="text",
        help="modelcard: the co2_eq_emissions YAML; markdown/latex: a paragraph for a paper",
    )
    est.add_argument("--training-type", default="pre-training", help="for --format modelcard")

    card = sub.add_parser(
        "card",
        help="write co2_eq_emissions into a model card",
        description="Merge the co2_eq_emissions block into a model card (README.md). Prints the change as a "
        "unified diff; --write updates the file atomically. Only that block changes.",
    )
    card.add_argument("path", help="the model card, e.g. README.md")
    _add_estimate_args(card, hours_required=False)
    card.add_argument("--training-type", default="pre-training", help="pre-training or fine-tuning")
    card.add_argument("--location", help="override geographical_location, e.g. 'Iowa, USA'")
    card.add_argument("--from-codecarbon", metavar="CSV", help="use a CodeCarbon emissions.csv instead of an estimate")
    card.add_argument("--run-id", help="with --from-codecarbon: the run (default: the last)")
    card.add_argument("--write", action="store_true", help="update the file (default: only show the diff)")

    scan = sub.add_parser(
        "scan",
        help="emissions of every model card in a folder",
        description="Read co2_eq_emissions from every README.md below DIR (the Hub's emissions_thresholds, offline).",
    )
    scan.add_argument("dir", help="a folder of model folders")
    scan.add_argument("--min-g", type=_number("--min-g", "1000"), help="keep cards with at least this many grams")
    scan.add_argument("--max-g", type=_number("--max-g", "1e6"), help="keep cards with at most this many grams")
    scan.add_argument("--format", choices=("table", "json", "csv"), default="table")

    hw = sub.add_parser("hardware", help="list devices", description="List devices (accelerators and CPUs).")
    hw.add_argument("query", nargs="?", help="words to look for, e.g. 'a100' or 'epyc 7742'")
    hw.add_argument("--kind", help="gpu, tpu, npu, soc or cpu")
    hw.add_argument("--vendor", help="nvidia, amd, intel, google, ...")
    hw.add_argument("--format", choices=("table", "json"), default="table")
    _add_data(hw)

    ins = sub.add_parser("instances", help="list cloud instance types", description="List cloud instance types.")
    ins.add_argument("query", nargs="?", help="words to look for, e.g. 'p4d' or 'h100'")
    ins.add_argument("--provider", help="aws, gcp, azure, ...")
    ins.add_argument("--format", choices=("table", "json"), default="table")
    _add_data(ins)

    reg = sub.add_parser("regions", help="list regions and intensities", description="List regions and intensities.")
    reg.add_argument("query", nargs="?", help="words to look for, e.g. 'frankfurt' or 'us-east'")
    reg.add_argument("--provider", help="aws, gcp, azure, ...")
    reg.add_argument("--sort", choices=("id", "intensity", "name"), default="id")
    reg.add_argument("--format", choices=("table", "json"), default="table")
    _add_data(reg)
    return parser


def _table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    cells = [[str(c) for c in header]] + [["" if c is None else str(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(header))]
    out = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in cells]
    out.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(out)


def _emit(rows: list[Any], fmt: str, header: Sequence[str], cells: Callable[[Any], Sequence[Any]], what: str) -> None:
    if fmt == "json":
        print(json.dumps([r.to_dict() for r in rows], indent=2, ensure_ascii=False))
        return
    if not rows:
        print(f"no {what} match")
        return
    print(_table([cells(r) for r in rows], header))
    print(f"\n{len(rows)} {what}")


def _estimate(args: argparse.Namespace) -> Estimate:
    return api.estimate(
        hardware=args.hardware,
        hours=args.hours,
        count=args.count,
        region=args.region,
        pue=args.pue,
        intensity=args.intensity,
        power_w=args.power_w,
        utilization=args.utilization,
        instance=args.instance,
        cpu=args.cpu,
        cpu_count=args.cpu_count,
        cpu_cores=args.cpu_cores,
        cpu_utilization=args.cpu_utilization,
        memory_gb=args.memory_gb,
        provider=args.provider,
        data_files=args.data,
    )


def _cmd_estimate(args: argparse.Namespace) -> None:
    from estimator import report

    e = _estimate(args)
    if args.format == "json":
        print(json.dumps(e.to_dict(), indent=2, ensure_ascii=False))
    elif args.format == "yaml":
        import yaml

        print(yaml.safe_dump(e.to_dict(), sort_keys=False, allow_unicode=True), end="")
    elif args.format == "modelcard":
        print(e.to_yaml(args.training_type), end="")
    elif args.format == "markdown":
        print(report.markdown_paragraph(e))
    elif args.format == "latex":
        print(report.latex_paragraph(e))
        print(f"\n% BibTeX:\n% {report.LACOSTE_BIBTEX.replace(chr(10), chr(10) + '% ')}")
    else:
        print(report.text(e))


def _cmd_card(args: argparse.Namespace) -> None:
    from estimator import modelcard

    if args.from_codecarbon:
        import importlib

        codecarbon = importlib.import_module("estimator.codecarbon")
        measured = codecarbon.from_codecarbon(args.from_codecarbon, run_id=args.run_id)
        block = measured.to_model_card(args.training_type, args.location)["co2_eq_emissions"]
    else:
        block = modelcard.card_block(_estimate(args), args.training_type, args.location)
    update = modelcard.update_card(args.path, block, write=args.write)
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

    records = modelcard.scan(args.dir, args.min_g, args.max_g)
    if args.format == "json":
        print(json.dumps([r.to_dict() for r in records], indent=2, ensure_ascii=False))
        return
    if args.format == "csv":
        import csv

        writer = csv.writer(sys.stdout, lineterminator="\n")
        writer.writerow(["path", "emissions_g", "training_type", "hardware_used", "source", "flags"])
        for r in records:
            flags = "; ".join(r.flags)
            writer.writerow([r.path, r.emissions_g, r.training_type, r.hardware_used, r.source, flags])
        return
    root = Path(args.dir)
    rows = [
        (
            str(Path(r.path).parent.relative_to(root)) if Path(r.path).is_relative_to(root) else r.path,
            "" if r.emissions_g is None else num(r.emissions_g),
            r.hardware_used or "",
            (r.source or "")[:40],
            "; ".join(r.flags),
        )
        for r in records
    ]
    if not rows:
        print("no model cards match")
        return
    print(_table(rows, ("model", "emissions g", "hardware", "source", "flags")))
    print(f"\n{len(rows)} model cards")


def _cmd_hardware(args: argparse.Namespace) -> None:
    rows = lookup.hardware(kind=args.kind, vendor=args.vendor, data_files=args.data)
    if args.query:
        rows = [d for d in rows if matches(args.query, (d.id, d.name, *d.aliases))]
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
    rows = lookup.instances(args.provider, data_files=args.data)
    if args.query:
        rows = [i for i in rows if matches(args.query, (i.id, i.accelerator or "", i.cpu or "", *i.aliases))]
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
    rows = lookup.regions(args.provider, data_files=args.data)
    if args.query:
        rows = [r for r in rows if matches(args.query, (r.id, r.name, r.location, *r.aliases))]
    if args.sort == "intensity":
        rows.sort(key=lambda r: (r.intensity_g_per_kwh, r.id))
    elif args.sort == "name":
        rows.sort(key=lambda r: (r.name.lower(), r.id))
    catalog = load_catalog(args.data)
    _emit(
        rows,
        args.format,
        ("id", "kind", "name", "place", "gCO2e/kWh", "year", "PUE"),
        lambda r: (
            r.id,
            r.kind,
            r.name,
            catalog.region_place(r) if r.kind != "country" else "",
            num(r.intensity_g_per_kwh),
            r.year,
            num(r.pue) if r.pue else "",
        ),
        "regions",
    )


COMMANDS: dict[str, Callable[[argparse.Namespace], None]] = {
    "estimate": _cmd_estimate,
    "card": _cmd_card,
    "scan": _cmd_scan,
    "hardware": _cmd_hardware,
    "instances": _cmd_instances,
    "regions": _cmd_regions,
}


def _show_warning(message: Warning | str, category: type[Warning], *_: Any, **__: Any) -> None:
    sys.stderr.write(f"{PROG}: warning: {message}\n")


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    warnings.showwarning = _show_warning
    args = build_parser().parse_args(argv)
    try:
        COMMANDS[args.command](args)
    except EstimatorError as exc:
        sys.stderr.write(f"{PROG}: error: {' '.join(str(exc).split())}\n")
        return 2
    except BrokenPipeError:  # `co2-estimator regions | head`
        sys.stderr.close()
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
