"""Fixes from a second new user's walk (this stop): TPU names, provider and instance, region twins,
Slurm sites without a figure, summaries, --columns messages."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from estimator import estimate
from estimator.errors import InputError
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parent.parent


def test_tpu_v5_is_jax_device_kind_for_v5p_and_v5_lite_is_v5e() -> None:
    """JAX reports a v5p chip as 'TPU v5' and a v5e as 'TPU v5 lite' (see the rows' notes)."""
    assert estimate(hardware="TPU v5", hours=1, region="FR").components[0].device_id == "google-tpu-v5p"
    assert estimate(hardware="tpu v5", hours=1, region="FR").components[0].power_w == 320
    assert estimate(hardware="TPU v5 lite", hours=1, region="FR").components[0].device_id == "google-tpu-v5e"


def test_tpu_v4_says_its_figure_is_the_chip_alone() -> None:
    e = estimate(hardware="TPU v4", count=64, hours=24, region="gcp:us-central2")
    assert any("378.5 W (PaLM" in w and "host included" in w for w in e.warnings)


def test_a_provider_that_contradicts_the_instance_is_refused() -> None:
    with pytest.raises(InputError) as info:
        estimate(instance="aws:p4d.24xlarge", provider="gcp", hours=1, region="us-east-1")
    assert str(info.value) == (
        "provider gcp conflicts with instance aws:p4d.24xlarge, which runs on aws; leave provider out (the instance "
        "says it)"
    )
    assert info.value.field == "provider"
    assert estimate(instance="aws:p4d.24xlarge", provider="aws", hours=1, region="us-east-1").co2e_g > 0


def test_a_region_spelt_exactly_as_another_providers_is_named_first() -> None:
    """With provider gcp, 'us-east-1' reads as gcp:us-east1; AWS's (and Alibaba's) us-east-1 is spelt exactly so."""
    e = estimate(hardware="nvidia-t4", hours=1, region="us-east-1", provider="gcp")
    assert e.region is not None and e.region["id"] == "gcp:us-east1"
    assert (
        "region 'us-east-1' read as gcp:us-east1; alibaba:us-east-1 and aws:us-east-1 are spelt so; "
        "aws:us-east-2 is one character away: if you meant one, give the full id (e.g. alibaba:us-east-1)"
    ) in e.warnings
    bare = estimate(hardware="nvidia-t4", hours=1, region="us-east1")
    assert any("are one character away" in w and "spelt so" not in w for w in bare.warnings)


CLUSTER = "site: {site}\npartitions:\n  gpu: {{accelerator: nvidia-a100-sxm4-80gb}}\n"


@pytest.mark.parametrize(
    ("site", "said"),
    [
        (
            "{region: MC}",
            "site.region: MC (Monaco) has no life-cycle intensity figure; give the grid the site draws from "
            "(a neighbouring country or a grid zone; list them with 'co2-estimator regions')",
        ),
        ("{region: DE, pue: 0.9}", "site.pue must be from 1 (no overhead) to 3; got 0.9."),
        ("{region: DE, draw_fraction: 2}", "site.draw_fraction must be a fraction greater than 0 and at most 1"),
    ],
)
def test_a_cluster_site_is_checked_when_the_file_is_read(tmp_path: Path, site: str, said: str) -> None:
    from estimator import slurm

    path = tmp_path / "c.yaml"
    path.write_text(CLUSTER.format(site=site), encoding="utf-8")
    with pytest.raises(InputError) as info:
        slurm.load_cluster(path)
    assert str(info.value).startswith(f"{path}: {said}")
    done = run_cli("slurm", str(ROOT / "tests" / "data" / "sacct" / "basic.txt"), "--cluster", str(path))
    assert done.returncode == 2 and done.stdout == "" and len(done.stderr.splitlines()) == 1


def test_slurm_totals_say_how_many_errors_are_not_shown() -> None:
    from estimator.slurm import ClusterTotals, totals_text

    nan = math.nan
    totals = ClusterTotals(
        jobs=6, estimated=1, errors=5, zero_length=0, running=0, pending=0, never_started=0, steps=0,
        duplicates=1, unreadable=0, gpu_hours=1.0, cpu_core_hours=0.0, energy_kwh=1.0, co2e_g=10.0,
        co2e_low_g=nan, co2e_high_g=nan, embodied_g=nan, first_errors=("j1: a", "j2: b", "j3: c"),
    )  # fmt: skip
    lines = totals_text(totals).splitlines()
    assert lines[0] == "6 jobs: 1 estimated (0 of zero length), 5 with an error (see the 'error' column)"
    assert "; 1 repeated line" in lines[1] and not lines[1].endswith("lines")
    assert lines[-4:] == ["  j1: a", "  j2: b", "  j3: c", "  and 2 more (the 'error' column has each)"]
    assert "and" not in totals_text(ClusterTotals(**{**totals.__dict__, "errors": 3}))


@pytest.mark.parametrize(
    ("columns", "said"),
    [
        ("CO2E_G", "; did you mean 'co2e_g'?"),
        ("co2e_g;energy_kwh", "; separate them with commas: co2e_g,energy_kwh"),
    ],
)
def test_columns_messages_name_the_fix(tmp_path: Path, columns: str, said: str) -> None:
    src = tmp_path / "runs.csv"
    src.write_text("hardware,hours,region\nnvidia-t4,1,FR\n", encoding="utf-8")
    done = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"), "--columns", columns)
    assert done.returncode == 2 and done.stderr.rstrip().endswith(said)
    assert not (tmp_path / "out.csv").exists()


def test_a_trailing_comma_in_columns_is_no_column_and_one_run_is_one_run(tmp_path: Path) -> None:
    src = tmp_path / "runs.csv"
    src.write_text("hardware,hours,region\nnvidia-t4,1,FR\n", encoding="utf-8")
    done = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"), "--columns", "co2e_g,")
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out.csv").read_text(encoding="utf-8").splitlines()[
        0
    ] == '"hardware","hours","region","co2e_g","error"'
    assert f"1 run → {tmp_path / 'out.csv'}: 1 estimated" in done.stdout + done.stderr


def test_cpu_cores_with_a_cpu_given_as_hardware_says_to_give_it_as_cpu() -> None:
    with pytest.raises(InputError) as info:
        estimate(hardware="amd-epyc-9554", cpu_cores=96, hours=1, region="FR")
    assert str(info.value) == (
        "cpu_cores needs cpu, the CPU model (e.g. 'amd-epyc-9554'); amd-epyc-9554 is a CPU: give it as cpu, "
        "not hardware"
    )
    with pytest.raises(InputError, match=r"^cpu_cores needs cpu, the CPU model \(e\.g\. 'amd-epyc-7742'\)$"):
        estimate(hardware="nvidia-t4", cpu_cores=96, hours=1, region="FR")
    assert estimate(cpu="amd-epyc-9554", cpu_cores=96, hours=1, region="FR").co2e_g > 0


def test_more_accelerators_than_one_instance_has_is_refused_with_the_hours_to_give() -> None:
    """16 A100s on an 8-GPU a2-highgpu-8g are two instances: hours × 2 gives exactly that (all scales with hours)."""
    with pytest.raises(InputError) as info:
        estimate(instance="gcp:a2-highgpu-8g", count=16, hours=1, region="FR")
    assert str(info.value) == (
        "count 16 is more than the 8 accelerators of one gcp:a2-highgpu-8g; for 2 such instances give hours × 2 "
        "(everything scales with hours)"
    )
    assert info.value.field == "count"
    two = estimate(instance="gcp:a2-highgpu-8g", hours=2, region="FR")
    one = estimate(instance="gcp:a2-highgpu-8g", hours=1, region="FR")
    assert two.co2e_g == pytest.approx(2 * one.co2e_g, rel=1e-12)
    assert estimate(instance="gcp:a2-highgpu-8g", count=4, hours=1, region="FR").components[0].count == 4


def test_numbers_beyond_a_doubles_digits_show_only_their_meaningful_digits() -> None:
    from estimator.report import arithmetic, num

    assert num(5.0979e21) == "5,098,000,000,000,000,000,000"  # not 5,097,999,999,999,999,475,712
    assert num(-1.23456e18) == "-1,235,000,000,000,000,000"
    assert num(123_456_789_012.0) == "123,456,789,012"  # below 1e15: every digit, as before
    assert num(1234.5678) == "1,235"
    e = estimate(hardware="nvidia-t4", hours=1e12, count=10_000_000, trials=10_000_000, region="world")
    assert "× 10,000,000 trials" in arithmetic(e)


def test_a_commands_option_given_before_the_command_says_where_it_goes() -> None:
    done = run_cli("--format", "json", "estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "FR")
    assert done.returncode == 2 and done.stdout == ""
    line = done.stderr.strip()
    assert line.startswith("co2-estimator: error: --format goes after the command, e.g. co2-estimator estimate ")
    assert "did you mean 'scan'" not in line and len(done.stderr.splitlines()) == 1
    assert run_cli("--version").returncode == 0


def test_lookup_words_may_be_given_unquoted() -> None:
    quoted, bare = run_cli("hardware", "epyc 9554"), run_cli("hardware", "epyc", "9554")
    assert bare.returncode == quoted.returncode == 0 and bare.stdout == quoted.stdout
    assert "amd-epyc-9554 " in bare.stdout
    assert run_cli("regions", "us", "east").stdout == run_cli("regions", "us east").stdout


def test_an_id_with_spaces_around_its_colon_is_that_id() -> None:
    for spelt in ("aws: us-east-1", "aws : us-east-1", " aws :us-east-1 "):
        e = estimate(hardware="nvidia-t4", hours=1, region=spelt)
        assert e.region is not None and e.region["id"] == "aws:us-east-1", spelt
    assert (
        estimate(hardware="nvidia-t4", hours=1, region="gcp: us-east1").region
        == estimate(hardware="nvidia-t4", hours=1, region="gcp:us-east1").region
    )


def test_batch_words_an_instances_count_as_estimate_does_for_each_count() -> None:
    """The count-over-the-instance error depends on the count: batch may not reuse one count's message for another's."""
    import pandas as pd

    from estimator.batch import estimate_many

    runs = pd.DataFrame(
        {"instance": ["aws:g5.xlarge"] * 3, "count": [8, 3, 1], "hours": [1.0, 2.0, 3.0], "region": ["FR", "DE", "DE"]}
    )
    out = estimate_many(runs)
    for i, count in enumerate([8, 3]):
        with pytest.raises(InputError) as info:
            estimate(instance="aws:g5.xlarge", count=count, hours=float(i + 1), region=str(runs["region"][i]))
        assert out["error"][i] == str(info.value)
    assert (
        pd.isna(out["error"][2])
        and out["co2e_g"][2] == estimate(instance="aws:g5.xlarge", count=1, hours=3.0, region="DE").co2e_g
    )
