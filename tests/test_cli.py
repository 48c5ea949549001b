"""The real CLI in a subprocess: output, formats, and one-line errors with exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import run_cli


def test_estimate_text_shows_arithmetic_and_sources() -> None:
    r = run_cli(
        "estimate",
        "--hardware",
        "A100 SXM4 80GB",
        "--hours",
        "72",
        "--count",
        "8",
        "--region",
        "world",
        "--pue",
        "1.1",
        "--intensity",
        "430",
    )
    assert r.returncode == 0, r.stderr
    assert "8 × 400 W × 72 h × PUE 1.10 = 253.4 kWh × 430 g/kWh = 109.0 kg CO2e" in r.stdout
    assert "Sources:" in r.stdout and "TDP 400 W" in r.stdout
    assert "upper bound" in r.stdout


def test_estimate_json_and_yaml_agree() -> None:
    args = ("estimate", "--hardware", "nvidia-a100-sxm4-80gb", "--hours", "10", "--region", "FR")
    j = json.loads(run_cli(*args, "--format", "json").stdout)
    y = yaml.safe_load(run_cli(*args, "--format", "yaml").stdout)
    assert j["co2e_g"] == pytest.approx(y["co2e_g"])
    assert j["region"]["id"] == "FR"
    # 400 W × 10 h × PUE 1.54 (industry average, Uptime 2025) = 6.16 kWh
    assert j["energy_kwh"] == pytest.approx(6.16)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--hours", "-3"), "hours must be greater than 0"),
        (("--hours", "abc"), "--hours must be a number"),
        (("--hours", "nan"), "finite"),
        (("--hours", "1", "--count", "0"), "count must be 1 or more"),
        (("--hours", "1", "--count", "2.5"), "whole number"),
        (("--hours", "1", "--utilization", "1.5"), "utilization"),
        (("--hours", "1", "--pue", "0.5"), "pue must be"),
        (("--hours", "1", "--intensity", "-4"), "intensity"),
        (("--hours", "1", "--power-w", "0"), "--power-w must be"),  # the flag typed, not the keyword
        (("--hours", "1", "--region", "Atlantis"), "unknown region"),
        (("--hours", "1", "--hardware", "A100"), "ambiguous"),
        (("--hours", "1", "--hardware", "Quantum Toaster 9000"), "unknown hardware"),
        (("--hours", "1", "--data", "/nonexistent/mine.yaml"), "no such data file"),
        ((), "--hours"),
    ],
)
def test_bad_input_exits_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    base = ["estimate", "--hardware", "nvidia-a100-sxm4-80gb", "--region", "FR"]
    if "--hardware" in args:
        base = ["estimate", "--region", "FR"]
    r = run_cli(*base, *args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert message in lines[0]
    assert "Traceback" not in r.stderr


def test_listing_commands() -> None:
    hw = run_cli("hardware", "a100")
    assert hw.returncode == 0 and "nvidia-a100-sxm4-80gb" in hw.stdout
    regions = run_cli("regions", "--provider", "gcp", "--sort", "intensity", "--format", "json")
    rows = json.loads(regions.stdout)
    assert rows and all(r["provider"] == "gcp" for r in rows)
    values = [r["intensity_g_per_kwh"] for r in rows]
    assert values == sorted(values)
    inst = run_cli("instances", "p4d")
    assert inst.returncode == 0 and "aws:p4d.24xlarge" in inst.stdout
    none = run_cli("hardware", "zzzz-no-such-thing")
    assert none.returncode == 0 and "no devices match" in none.stdout


def test_regions_lists_every_place_with_or_without_a_figure() -> None:
    # Andorra has only a marginal (UNFCCC) figure: the full listing used to stop there with exit 2.
    r = run_cli("regions", "--year", "2023", "--sort", "intensity", "--format", "json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    andorra = next(row for row in rows if row["id"] == "AD")
    assert "intensity_g_per_kwh" not in andorra and rows[-1].get("intensity_g_per_kwh") is None
    values = [row["intensity_g_per_kwh"] for row in rows if "intensity_g_per_kwh" in row]
    assert values == sorted(values) and next(row for row in rows if row["id"] == "DE")["intensity_year"] == 2023


def test_bad_provider_exits_2() -> None:
    r = run_cli("regions", "--provider", "amazn")
    assert r.returncode == 2 and "unknown provider" in r.stderr


def test_user_data_file_bad_row(tmp_path: Path) -> None:
    bad = tmp_path / "mine.yaml"
    bad.write_text("devices:\n  - id: x1\n    name: X1\n    vendor: lab\n    kind: gpu\n    tdp_w: -5\n", "utf-8")
    r = run_cli("hardware", "--data", str(bad))
    assert r.returncode == 2
    assert "devices row 1 (id x1)" in r.stderr and "'tdp_w'" in r.stderr


def test_python_m_and_version() -> None:
    r = run_cli("--version")
    assert r.returncode == 0 and r.stdout.startswith("co2-estimator ")


CARD_ARGS = ("--hardware", "nvidia-a100-sxm4-80gb", "--hours", "72", "--count", "8", "--region", "world",
             "--pue", "1.1", "--intensity", "430")  # fmt: skip


def test_card_dry_run_then_write(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("---\nlicense: mit\n---\n# Model\n", encoding="utf-8")
    dry = run_cli("card", str(card), *CARD_ARGS)
    assert dry.returncode == 0, dry.stderr
    assert "+co2_eq_emissions:" in dry.stdout and "+  emissions: 109000" in dry.stdout
    assert card.read_text(encoding="utf-8") == "---\nlicense: mit\n---\n# Model\n"
    wrote = run_cli("card", str(card), *CARD_ARGS, "--training-type", "fine-tuning", "--write")
    assert wrote.returncode == 0, wrote.stderr
    meta = yaml.safe_load(card.read_text(encoding="utf-8").split("---\n")[1])
    assert meta["license"] == "mit"
    assert meta["co2_eq_emissions"]["emissions"] == 109_000  # 3 digits: the range is ±12 %
    again = run_cli("card", str(card), *CARD_ARGS, "--training-type", "fine-tuning", "--write")
    assert "already up to date" in again.stdout


def test_card_errors_exit_2_and_touch_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "README.md"
    bad.write_text("---\nlicense: [mit\n---\n", encoding="utf-8")
    r = run_cli("card", str(bad), *CARD_ARGS, "--write")
    assert r.returncode == 2 and "not valid YAML" in r.stderr and len(r.stderr.splitlines()) == 1
    assert bad.read_text(encoding="utf-8") == "---\nlicense: [mit\n---\n"
    missing = run_cli("card", str(tmp_path / "nope.md"), *CARD_ARGS)
    assert missing.returncode == 2 and "no such file" in missing.stderr


def test_unknown_training_type_is_a_one_line_warning(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("# Model\n", encoding="utf-8")
    r = run_cli("card", str(card), *CARD_ARGS, "--training-type", "distillation")
    assert r.returncode == 0
    assert r.stderr.strip().startswith("co2-estimator: warning: training_type 'distillation'")
    assert len(r.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    ("fmt", "expected"),
    [
        ("modelcard", "co2_eq_emissions:\n  emissions: 109000\n"),
        ("markdown", "**109.0 kg CO2e**"),
        ("latex", r"\cite{lacoste2019quantifying}"),
    ],
)
def test_publishing_formats(fmt: str, expected: str) -> None:
    r = run_cli("estimate", *CARD_ARGS, "--format", fmt)
    assert r.returncode == 0, r.stderr
    assert expected in r.stdout


def test_scan_formats(tmp_path: Path) -> None:
    for name, grams in (("small", 12), ("big", 5000)):
        (tmp_path / name).mkdir()
        (tmp_path / name / "README.md").write_text(f"---\nco2_eq_emissions:\n  emissions: {grams}\n---\n", "utf-8")
    table = run_cli("scan", str(tmp_path))
    assert table.returncode == 0 and table.stdout.index("small") < table.stdout.index("big")
    rows = json.loads(run_cli("scan", str(tmp_path), "--min-g", "100", "--format", "json").stdout)
    assert [(Path(r["path"]).parent.name, r["emissions_g"]) for r in rows] == [("big", 5000)]
    csv_out = run_cli("scan", str(tmp_path), "--format", "csv").stdout.splitlines()
    assert csv_out[0].startswith("path,emissions_g")
    assert len(csv_out) == 3
    bad = run_cli("scan", str(tmp_path / "missing"))
    assert bad.returncode == 2 and "not a folder" in bad.stderr


def test_card_from_codecarbon(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("# Model\n", encoding="utf-8")
    source = Path(__file__).parent / "data" / "codecarbon_v3.csv"
    r = run_cli("card", str(card), "--from-codecarbon", str(source), "--write")
    assert r.returncode == 0, r.stderr
    meta = yaml.safe_load(card.read_text(encoding="utf-8").split("---\n")[1])["co2_eq_emissions"]
    assert "CodeCarbon" in meta["source"]
    assert meta["emissions"] > 0


def test_regions_show_the_pue_an_estimate_there_uses(tmp_path: Path) -> None:
    # a blank PUE read as "none"; the estimate uses the provider's fleet figure or the industry's, and says which
    from estimator import estimate

    out = run_cli("regions", "frankfurt")
    assert out.returncode == 0
    line = next(x for x in out.stdout.splitlines() if x.startswith("aws:eu-central-1 "))
    pue = estimate(hardware="T4", hours=1, region="aws:eu-central-1").pue
    assert line.rstrip().endswith(f"{pue:g} (fleet)")
    country = next(x for x in run_cli("regions", "France").stdout.splitlines() if x.startswith("FR "))
    assert country.rstrip().endswith(f"{estimate(hardware='T4', hours=1, region='FR').pue:g} (industry)")
    missing = run_cli("scan", str(tmp_path / "nothere"))
    assert missing.returncode == 2 and "not a folder (nothing is there)" in missing.stderr


def test_an_option_of_another_command_is_named_as_such_not_suggested() -> None:
    # "unrecognized arguments: --power-w 200; did you mean '--power-w'?" suggested the flag it had just refused
    out = run_cli("preflight", "--params", "7e9", "--tokens", "2e12", "--hardware", "T4", "--power-w", "200")
    assert out.returncode == 2 and "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1
    assert "co2-estimator preflight has no --power-w (estimate, inference and card have it)" in out.stderr
    assert "did you mean '--power-w'" not in out.stderr
    typo = run_cli("estimate", "--hardware", "T4", "--hours", "2", "--huors", "2")
    assert typo.returncode == 2 and "did you mean '--hours'?" in typo.stderr


def test_estimate_errors_name_the_flags_the_api_names_the_keywords() -> None:
    # the CLI's reader typed --cpu-cores, not cpu_cores; estimate() keeps its keyword spelling
    from estimator import estimate
    from estimator.errors import InputError

    out = run_cli("estimate", "--hardware", "T4", "--hours", "1", "--cpu-cores", "4")
    assert out.returncode == 2 and out.stderr.startswith("co2-estimator: error: --cpu-cores needs cpu")
    with pytest.raises(InputError, match=r"^cpu_cores needs cpu"):
        estimate(hardware="T4", hours=1, cpu_cores=4)
