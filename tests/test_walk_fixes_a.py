"""Bugs a new user's walk through the README found: the real CLI in a subprocess."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, run_cli

HEADER = "JobID|JobName|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList"
A100_JOB = (
    "1001|train|alice|nlp|a100|COMPLETED|2025-03-01T10:00:00|2025-03-01T12:00:00|7200|8|1|"
    "billing=8,cpu=8,gres/gpu:a100=4,gres/gpu=4,mem=64G,node=1|gpu001"
)
# partition 'gpu' is not in docs/cluster.example.yaml: this job gets an error
UNKNOWN_JOB = (
    "1002|sweep|bob|vision|gpu|COMPLETED|2025-03-02T00:00:00|2025-03-02T01:30:00|5400|4|1|"
    "billing=4,cpu=4,gres/gpu=1,mem=16G,node=1|gpu002"
)
CLUSTER = str(ROOT / "docs" / "cluster.example.yaml")


def _slurm(tmp_path: Path, lines: list[str], by: str) -> tuple[str, dict[str, dict[str, str]]]:
    sacct = tmp_path / "sacct.txt"
    sacct.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    summary = tmp_path / "summary.csv"
    r = run_cli(
        "slurm",
        str(sacct),
        "--cluster",
        CLUSTER,
        "--by",
        by,
        "--report",
        str(tmp_path / "report.html"),
        "--out",
        str(tmp_path / "jobs.csv"),
        "--summary",
        str(summary),
    )
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr and r.stderr == ""
    with summary.open(encoding="utf-8", newline="") as f:
        rows = {row[by]: row for row in csv.DictReader(f)}
    return r.stdout, rows


def _table_row(stdout: str, key: str) -> list[str]:
    table = stdout.split("---------", 1)[1].splitlines()  # the lines under the table's rule
    return next(line.split() for line in table if line.split()[:1] == [key])


@pytest.mark.parametrize(("by", "bad", "good"), [("user", "bob", "alice"), ("partition", "gpu", "a100")])
def test_slurm_group_with_only_errors_is_shown_not_crashed(tmp_path: Path, by: str, bad: str, good: str) -> None:
    stdout, rows = _slurm(tmp_path, [A100_JOB, UNKNOWN_JOB], by)
    # the text table: the group with no estimate shows dashes and a note says why
    assert _table_row(stdout, bad) == [bad, "1", "–", "–", "–"]
    assert _table_row(stdout, good) == [good, "1", "8", "4.313", "1.475"]
    assert _table_row(stdout, "total") == ["total", "2", "8", "4.313", "1.475"]
    assert "–: no job of the group could be estimated (see the 'error' column)" in stdout
    # the summary CSV: blank figures and the group's error count
    assert rows[bad]["jobs"] == "1" and rows[bad]["errors"] == "1"
    assert all(rows[bad][c] == "" for c in ("gpu_hours", "energy_kwh", "co2e_kg", "co2e_low_kg"))
    assert rows["total"]["errors"] == "1" and float(rows["total"]["gpu_hours"]) == 8.0
    assert (tmp_path / "jobs.csv").read_text(encoding="utf-8").count("\n") == 3
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f"<tr><td>{bad}</td><td>1</td><td>1</td><td></td>" in page  # jobs 1, errors 1, blank figures


def test_slurm_every_job_an_error_says_no_total(tmp_path: Path) -> None:
    stdout, rows = _slurm(tmp_path, [UNKNOWN_JOB], "month")
    assert "no total: no job could be estimated" in stdout
    assert "1002: partition 'gpu'" in stdout
    assert _table_row(stdout, "total") == ["total", "1", "–", "–", "–"]
    assert rows["total"]["errors"] == "1" and rows["total"]["co2e_kg"] == ""
    assert "Lines that could not be estimated" in (tmp_path / "report.html").read_text(encoding="utf-8")


def test_slurm_empty_file_has_no_note_of_failed_groups(tmp_path: Path) -> None:
    stdout, _ = _slurm(tmp_path, [], "user")
    assert "0 jobs: 0 estimated" in stdout
    assert _table_row(stdout, "total") == ["total", "0", "–", "–", "–"]
    assert "could be estimated" not in stdout


# ---------------------------------------------------------------- CLI messages name the flags


def _error_line(*args: str) -> str:
    r = run_cli(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    return r.stderr


def test_preflight_without_a_peak_names_the_flags() -> None:
    err = _error_line("preflight", "--params", "7e9", "--tokens", "2e12", "--hardware", "rtx 2080")
    assert err == (
        "co2-estimator: error: NVIDIA GeForce RTX 2080 has no published dense peak for bf16; its peaks (TFLOPS): "
        "fp32 10.07, fp16 40.28, int8 161.12. Pass --precision one of those, or your own --hours to "
        "co2-estimator estimate\n"
    )


def test_preflight_python_api_keeps_its_spelling() -> None:
    from estimator import InputError, preflight

    with pytest.raises(InputError, match=r"Pass precision= one of those, or your own hours= to estimate\(\)$"):
        preflight(params=7e9, tokens=2e12, hardware="rtx 2080")


@pytest.mark.parametrize(
    ("given", "words"),
    [
        (("--days", "30"), "--days describes"),
        (("--idle-fraction", "0.2"), "--idle-fraction describes"),
        (("--days", "30", "--idle-fraction", "0.2"), "--days and --idle-fraction describe"),
    ],
)
def test_inference_uptime_names_the_flags_given(given: tuple[str, ...], words: str) -> None:
    err = _error_line(
        "inference", "--hardware", "nvidia-l4", "--requests", "1000", "--seconds-per-request", "0.2", *given
    )
    assert err == (
        f"co2-estimator: error: {words} servers kept up: give --hours-per-day too (24 for always on), e.g. 24\n"
    )


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"days": 30}, "days describes"),
        ({"idle_fraction": 0.2}, "idle_fraction describes"),
        ({"days": 30, "idle_fraction": 0.2}, "days and idle_fraction describe"),
    ],
)
def test_inference_python_api_names_what_was_given(kwargs: dict[str, float], words: str) -> None:
    from estimator import InputError, estimate_inference

    with pytest.raises(InputError, match=f"^{words} servers kept up: give hours_per_day too") as info:
        estimate_inference("nvidia-l4", "FR", requests=1000, seconds_per_request=0.2, **kwargs)  # type: ignore[arg-type]
    assert info.value.field == "hours_per_day"


def test_inference_other_messages_name_the_flags() -> None:
    err = _error_line(
        "inference",
        "--hardware",
        "nvidia-l4",
        "--requests",
        "1e6",
        "--seconds-per-request",
        "2",
        "--hours-per-day",
        "1",
    )
    assert "(--hours-per-day × days): raise --hours-per-day or days, or check the rate" in err
    err = _error_line("inference", "--hardware", "nvidia-l4", "--requests", "1000")
    assert "give exactly one of --seconds-per-request (e.g. 0.25) or --requests-per-second (e.g. 40)" in err
    assert _error_line(
        "inference", "--hardware", "nvidia-l4", "--requests", "1", "--seconds-per-request", "2",
        "--hours-per-day", "1", "--days", "-1",
    ).startswith("co2-estimator: error: --days must be a number greater than 0")  # fmt: skip


# ---------------------------------------------------------------- slurm: the low end of CPU-only jobs

TEST_CLUSTER = ROOT / "tests" / "data" / "sacct" / "cluster.yaml"


def _cpu_job(tmp_path: Path, cpus: int) -> dict[str, Any]:
    from estimator import slurm

    line = (
        f"1009|md|erin|bio|cpu|COMPLETED|2025-04-10T00:00:00|2025-04-10T10:00:00|36000|{cpus}|1|"
        f"billing={cpus},cpu={cpus},mem=192G,node=1|cn003"
    )
    sacct = tmp_path / f"cpu{cpus}.txt"
    sacct.write_text(f"{HEADER}\n{line}\n", encoding="utf-8")
    out = slurm.estimate_jobs(slurm.read_sacct(sacct), slurm.load_cluster(TEST_CLUSTER))
    return {str(k): v for k, v in out.iloc[0].to_dict().items()}


def test_fr_low_end_is_the_draw_alone(tmp_path: Path) -> None:
    """FR's central intensity (Electricity Maps 2025, 31 g) is its lowest source: the low end lowers only the draw.

    64 cores of an EPYC 7763 (280 W / 64 cores) at TDP, + 192 GB at 0.3725 W/GB (no draw range for memory):
    low / central = (0.25 × 280 + 71.52) / (280 + 71.52).
    """
    from estimator import estimate, slurm

    job = _cpu_job(tmp_path, 64)
    assert job["co2e_low_g"] / job["co2e_g"] == pytest.approx((0.25 * 280 + 71.52) / (280 + 71.52), rel=1e-12)
    e = estimate(**slurm.job_arguments(job, slurm.load_cluster(TEST_CLUSTER)))
    assert e.intensity_g_per_kwh == 31.0
    assert e.co2e_low_g == pytest.approx(e.energy_low_kwh * 31.0, rel=1e-12)  # the low end at the central intensity
    assert job["co2e_low_g"] == e.co2e_low_g


def test_cores_between_packages_keep_the_draw_range(tmp_path: Path) -> None:
    """96 cores of 64-core EPYC 7763s are 96 × 280 / 64 = 420 W at TDP, with the range of any CPU at TDP.

    + 192 GB at 0.3725 W/GB (71.52 W, no draw range): low / central = (0.25 × 420 + 71.52) / (420 + 71.52).
    """
    from estimator import estimate, slurm

    whole = _cpu_job(tmp_path, 128)
    between = _cpu_job(tmp_path, 96)
    assert whole["co2e_low_g"] < whole["co2e_g"]
    assert between["co2e_low_g"] / between["co2e_g"] == pytest.approx((0.25 * 420 + 71.52) / (420 + 71.52), rel=1e-12)
    # the draw per core is the same within one package, across two, and in whole packages
    assert between["co2e_g"] / whole["co2e_g"] == pytest.approx((420 + 71.52) / (560 + 71.52), rel=1e-12)
    arguments = slurm.job_arguments(between, slurm.load_cluster(TEST_CLUSTER))
    assert arguments["cpu_cores"] == 96 and "cpu_count" not in arguments and "cpu_utilization" not in arguments
    e = estimate(**arguments)
    assert (e.co2e_g, e.co2e_low_g) == (between["co2e_g"], between["co2e_low_g"])
    assert any("96 is more than the 64 cores of one" in w for w in e.warnings)
