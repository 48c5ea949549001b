"""Regressions found in review: each once gave a wrong number or an unclear failure."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import estimator
from estimator import alternatives, estimate, estimate_inference, lifecycle, modelcard
from estimator.errors import InputError
from estimator.modelcard import CardError, merge, read_card_text
from tests.conftest import run_cli


def test_hardware_alternative_counts_trials_once() -> None:
    e = estimate(hardware="nvidia-v100-sxm2-16gb", hours=10, trials=3, region="FR")
    faster = alternatives(e, scope="all", n=1, hardware="nvidia-a100-sxm4-80gb", speedup=2)[-1]
    # 3 trials × 10 h / 2 = 15 h of A100 (400 W) against 30 h of V100 (300 W): 6 kWh-equivalents vs 9
    assert faster.estimate.hours == pytest.approx(15)
    assert faster.saving_pct == pytest.approx(100 * (1 - (400 * 15) / (300 * 30)))


@pytest.mark.parametrize(("kwargs", "message"), [({"hours": 1e308}, "at most"), ({"count": 10**20}, "at most")])
def test_absurd_sizes_are_refused_not_infinite(kwargs: dict[str, float], message: str) -> None:
    args: dict[str, object] = {"hardware": "nvidia-t4", "hours": 1, "region": "FR", **kwargs}
    with pytest.raises(InputError, match=message):
        estimate(**args)  # type: ignore[arg-type]


def test_cli_huge_hours_is_one_line() -> None:
    r = run_cli("estimate", "--hardware", "nvidia-t4", "--hours", "1e308", "--region", "FR", "--format", "json")
    assert r.returncode == 2 and len(r.stderr.splitlines()) == 1 and r.stdout == ""


def test_city_of_a_cloud_region_says_how_it_was_read() -> None:
    e = estimate(hardware="nvidia-t4", hours=1, region="Las Vegas")
    assert e.region is not None and e.region["kind"] == "cloud"
    assert any("read as" in w and "local grid" in w for w in e.warnings)
    wa = estimate(hardware="nvidia-t4", hours=1, region="Washington")
    assert wa.region is not None and wa.region["id"] == "US-WA"


def test_instance_with_other_hardware_is_refused() -> None:
    # 8 × H100 on a p4d was accepted silently (issue 16 item 8): the instance has A100s
    with pytest.raises(InputError, match=r"conflicts with instance aws:p4d\.24xlarge") as info:
        estimate(instance="aws:p4d.24xlarge", hardware="nvidia-h100-sxm5-80gb", hours=1, region="FR")
    assert info.value.field == "hardware"
    # the instance's own accelerator, named again, is fine; a custom device goes through power_w
    same = estimate(instance="aws:p4d.24xlarge", hardware="nvidia-a100-sxm4-40gb", hours=1, region="FR")
    assert same.components[0].count == 8


def test_cpu_cores_beyond_the_chip_are_cores_across_chips_and_said() -> None:
    """500 cores of 64-core EPYC 7742s (225 W): 500 × 225 / 64 = 1757.8125 W, as 7.81 CPUs, with a note.

    (A multi-node Slurm job holds any number of cores; each draws TDP / cores all the same.)
    """
    e = estimate(hardware="nvidia-t4", hours=1, region="FR", cpu="amd-epyc-7742", cpu_cores=500)
    cpu = e.components[1]
    assert cpu.count == 500 and cpu.draw_w == 500 * 225 / 64 == 1757.8125
    said = "cpu_cores 500 is more than the 64 cores of one AMD EPYC 7742: counted as 7.81 CPUs"
    assert any(said in w for w in e.warnings)
    within = estimate(hardware="nvidia-t4", hours=1, region="FR", cpu="amd-epyc-7742", cpu_cores=64)
    assert not any("cpu_cores" in w for w in within.warnings)


@pytest.mark.parametrize(
    ("kwargs", "name"), [({"cpu": 5}, "cpu"), ({"provider": 3}, "provider"), ({"hardware": ""}, "hardware")]
)
def test_non_text_names(kwargs: dict[str, object], name: str) -> None:
    args: dict[str, object] = {"hardware": "nvidia-t4", "hours": 1, "region": "FR", **kwargs}
    with pytest.raises(InputError, match=f"{name} must be"):
        estimate(**args)  # type: ignore[arg-type]


def test_single_data_file_string(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("devices: []\n", encoding="utf-8")
    assert estimate(hardware="nvidia-t4", hours=1, region="FR", data_files=str(path)).co2e_g > 0


def test_lifecycle_refuses_more_than_a_day_per_day() -> None:
    training = estimate(hardware="nvidia-t4", hours=1, region="FR")
    month = estimate_inference("nvidia-t4", "FR", requests=30 * 86_400, seconds_per_request=1)
    with pytest.raises(InputError, match="ONE day"):
        lifecycle(training, month, period_days=30)


def test_pue_printed_with_its_digits() -> None:
    e = estimate(hardware="nvidia-t4", hours=1, region="FR", pue=1.125)
    assert "PUE 1.125 " in estimator.report.arithmetic(e)


def test_duplicate_block_and_anchor_cards_are_named() -> None:
    block = modelcard.card_block(estimate(hardware="nvidia-t4", hours=1, region="FR"))
    with pytest.raises(CardError, match="more than once"):
        merge("---\nco2_eq_emissions: 1\nco2_eq_emissions: 2\n---\n", block)
    with pytest.raises(CardError, match=r"aliases \(\*name\) are not allowed"):
        merge("---\nco2_eq_emissions: &x 5\nother: *x\n---\n", block)


def test_string_amount_is_not_said_to_be_grams() -> None:
    flags = read_card_text("---\nco2_eq_emissions: 1.7 kg\n---\n").flags
    assert not any("read as grams" in f for f in flags)
    assert any("1,700 g" in f for f in flags)


def test_batch_trials_column_multiplies_hours_and_odd_output_is_refused(tmp_path: Path) -> None:
    out = estimator.estimate_many(
        pd.DataFrame({"hardware": ["nvidia-t4"], "hours": [1], "region": ["FR"], "trials": [3]})
    )
    one = estimate(hardware="nvidia-t4", hours=1, region="FR", trials=3)
    assert out["co2e_g"].iat[0] == one.co2e_g and out["error"].iat[0] is None
    runs = tmp_path / "runs.csv"
    runs.write_text("hardware,hours,region\nnvidia-t4,1,FR\n", encoding="utf-8")
    r = run_cli("batch", str(runs), "-o", str(tmp_path / "out.xlsx"))
    assert r.returncode == 2 and ".csv or .parquet" in r.stderr and not (tmp_path / "out.xlsx").exists()


def test_card_from_codecarbon_refuses_estimate_arguments(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("# Model\n", encoding="utf-8")
    source = Path(__file__).parent / "data" / "codecarbon_v3.csv"
    r = run_cli("card", str(card), "--from-codecarbon", str(source), "--hardware", "nvidia-t4", "--hours", "5")
    assert r.returncode == 2 and "--hardware" in r.stderr and "--hours" in r.stderr


def test_read_card_and_scan_are_public() -> None:
    assert estimator.read_card is estimator.modelcard.read_card
    assert estimator.scan is estimator.modelcard.scan
