"""Slurm jobs that run across New Year: split by year, as batch's ``start`` column splits a run.

The test cluster (tests/data/sacct/cluster.yaml) is at FR with PUE 1.2; its
``h100`` partition is H100 SXM5 80GB at 700 W with no CPU model and no memory
per node, so a one-GPU job without ``mem=`` in AllocTRES draws 700 W. FR's
life-cycle yearly figures (Electricity Maps, data/intensity.csv) are 33
gCO2e/kWh for 2024 and 31 for 2025. A job from 2024-12-31T18:00 for 12 h:

    energy_kwh = 0.7 kW × 12 h × 1.2                  = 10.08 kWh (5.04 in each year)
    co2e_g     = 5.04 × 33 (2024) + 5.04 × 31 (2025)  = 166.32 + 156.24 = 322.56 g
    intensity  = 322.56 / 10.08                        = 32.0 gCO2e/kWh (hours-weighted)
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import estimate, slurm, slurm_report
from estimator.batch import estimate_file, estimate_many
from tests.conftest import ROOT, run_cli

CLUSTER = ROOT / "tests" / "data" / "sacct" / "cluster.yaml"
HEADER = "JobID|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList"
H100 = "nvidia-h100-sxm5-80gb"
FR_2024, FR_2025 = 33.0, 31.0
# every figure Slurm writes that batch's start path makes too (not the job's own hours, its accelerator, its PUE)
COMPARED = tuple(
    c for c in slurm.ESTIMATE_COLUMNS if c not in ("accelerator", "gpu_hours", "cpu_core_hours", "pue_used")
)


@pytest.fixture(scope="module")
def cluster() -> slurm.Cluster:
    return slurm.load_cluster(CLUSTER)


def _line(job: str, start: str, seconds: int, partition: str = "h100", gpus: int = 1, cpus: int = 1) -> str:
    begin = dt.datetime.fromisoformat(start)
    end = (begin + dt.timedelta(seconds=seconds)).isoformat(timespec="seconds")
    gres = f"gres/gpu={gpus}," if gpus else ""
    tres = f"billing=1,cpu={cpus},{gres}node=1"
    return f"{job}|u|a|{partition}|COMPLETED|{start}|{end}|{seconds}|{cpus}|1|{tres}|n{job}"


def _sacct(*lines: str) -> str:
    return "\n".join([HEADER, *lines]) + "\n"


def _row(frame: pd.DataFrame, job_id: str) -> pd.Series[Any]:
    rows = frame[frame["job_id"] == job_id]
    assert len(rows) == 1
    return rows.iloc[0]


ACROSS = _line("1", "2024-12-31T18:00:00", 12 * 3600)
WITHIN = _line("2", "2024-06-01T18:00:00", 12 * 3600)
TO_MIDNIGHT = _line("3", "2024-12-31T12:00:00", 12 * 3600)  # ends at 2025-01-01T00:00:00: all of it in 2024


def test_the_figures_worked_by_hand_come_from_the_data() -> None:
    for year, figure in ((2024, FR_2024), (2025, FR_2025)):
        e = estimate(hardware=H100, hours=1, region="FR", year=year)
        assert (e.intensity_g_per_kwh, e.intensity_year) == (figure, year)


def test_a_job_across_new_year_worked_by_hand(cluster: slurm.Cluster) -> None:
    out = slurm.estimate_jobs(slurm.read_sacct(_sacct(ACROSS)), cluster)
    job = _row(out, "1")
    assert job["error"] is None and job["hours"] == 12.0 and job["year"] == 2024
    assert job["energy_kwh"] == pytest.approx(0.7 * 12 * 1.2, rel=1e-12)  # 10.08 kWh
    assert job["co2e_g"] == pytest.approx(5.04 * 33 + 5.04 * 31, rel=1e-12)  # 322.56 g
    assert job["intensity_g_per_kwh"] == pytest.approx(32.0, rel=1e-12)  # hours-weighted
    assert job["intensity_year"] == 2024  # the first part's year, as batch writes it
    assert job["gpu_hours"] == 12.0  # device-hours are the whole job's
    # at its start year's figure alone it would have been 5.04 × 2 × 33 = 332.64 g
    assert job["co2e_g"] < 332.64


def test_a_job_across_new_year_is_the_sum_of_two_estimates(cluster: slurm.Cluster) -> None:
    job = _row(slurm.estimate_jobs(slurm.read_sacct(_sacct(ACROSS)), cluster), "1")
    kwargs = slurm.job_arguments(job.to_dict(), cluster)
    assert kwargs["year"] == 2024 and kwargs["hours"] == 12.0
    first = estimate(**{**kwargs, "hours": 6.0, "year": 2024})
    second = estimate(**{**kwargs, "hours": 6.0, "year": 2025})
    assert job["energy_kwh"] == first.energy_kwh + second.energy_kwh
    assert job["co2e_g"] == first.co2e_g + second.co2e_g
    assert job["co2e_low_g"] == first.co2e_low_g + second.co2e_low_g
    assert job["co2e_high_g"] == first.co2e_high_g + second.co2e_high_g
    assert job["embodied_g"] == first.embodied_g + second.embodied_g
    assert (first.intensity_g_per_kwh, second.intensity_g_per_kwh) == (FR_2024, FR_2025)


def _batch_runs(out: pd.DataFrame, starts: list[str], cluster: slurm.Cluster) -> pd.DataFrame:
    """The same jobs as a batch table: each job's estimate() arguments, ``start`` in place of ``year``."""
    rows = []
    for (_, job), start in zip(out.iterrows(), starts, strict=True):
        kwargs = slurm.job_arguments(job.to_dict(), cluster)
        kwargs.pop("year", None)
        rows.append({**kwargs, "start": start})
    return pd.DataFrame(rows)


def test_equal_to_batch_with_a_start_column(cluster: slurm.Cluster, tmp_path: Path) -> None:
    out = slurm.estimate_jobs(slurm.read_sacct(_sacct(ACROSS, WITHIN, TO_MIDNIGHT)), cluster)
    starts = ["2024-12-31T18:00:00", "2024-06-01T18:00:00", "2024-12-31T12:00:00"]
    runs = _batch_runs(out, starts, cluster)
    batch = estimate_many(runs)
    for c in COMPARED:
        assert list(out[c]) == list(batch[c].astype(np.float64)), c
    # and batch's file path (estimate_file, through Arrow then the start column's pandas path)
    runs.to_csv(tmp_path / "runs.csv", index=False)
    summary = estimate_file(tmp_path / "runs.csv", tmp_path / "out.csv", progress=False)
    assert summary.errors == 0
    with open(tmp_path / "out.csv", newline="") as fh:
        written = list(csv.DictReader(fh))
    assert [float(r["co2e_g"]) for r in written] == list(out["co2e_g"])
    assert [float(r["energy_kwh"]) for r in written] == list(out["energy_kwh"])
    assert [int(r["intensity_year"]) for r in written] == [2024, 2024, 2024]


def test_jobs_within_one_year_are_unchanged(cluster: slurm.Cluster) -> None:
    out = slurm.estimate_jobs(slurm.read_sacct(_sacct(ACROSS, WITHIN, TO_MIDNIGHT)), cluster)
    for job_id in ("2", "3"):  # "3" ends at the stroke of midnight: nothing of it in 2025
        job = _row(out, job_id)
        e = estimate(**slurm.job_arguments(job.to_dict(), cluster))
        assert (job["energy_kwh"], job["co2e_g"], job["co2e_high_g"]) == (e.energy_kwh, e.co2e_g, e.co2e_high_g)
        assert job["intensity_g_per_kwh"] == FR_2024 and job["intensity_year"] == 2024
        assert job["co2e_g"] == pytest.approx(0.7 * 12 * 1.2 * FR_2024, rel=1e-12)


def test_a_start_column_of_text_or_with_a_zone_splits_the_same(cluster: slurm.Cluster) -> None:
    jobs = slurm.read_sacct(_sacct(ACROSS, WITHIN))
    base = slurm.estimate_jobs(jobs, cluster)
    as_text = slurm.estimate_jobs(jobs.assign(start=jobs["start"].dt.strftime("%Y-%m-%dT%H:%M:%S")), cluster)
    zoned = slurm.estimate_jobs(jobs.assign(start=jobs["start"].dt.tz_localize("Europe/Paris")), cluster)
    assert list(as_text["co2e_g"]) == list(base["co2e_g"])
    # 2024-12-31T18:00 in Paris is 17:00 UTC: 7 h in 2024 and 5 h in 2025
    assert zoned["co2e_g"].iat[0] == pytest.approx(0.7 * 1.2 * (7 * FR_2024 + 5 * FR_2025), rel=1e-12)
    assert zoned["co2e_g"].to_numpy()[1] == base["co2e_g"].to_numpy()[1]


def test_what_if_splits_a_job_across_new_year(cluster: slurm.Cluster) -> None:
    out = slurm.estimate_jobs(slurm.read_sacct(_sacct(ACROSS, WITHIN)), cluster)
    scenarios = slurm_report.what_if(out, cluster)
    runs = _batch_runs(out, ["2024-12-31T18:00:00", "2024-06-01T18:00:00"], cluster)
    places = {"at the world average": "world"}
    for label in scenarios["scenario"]:
        found = re.match(r"in (\S+) \(grid ", label)
        if found:
            places[label] = found.group(1)
    assert len(places) == 4  # the three cleanest cloud regions and the world
    for label, region in places.items():
        got = scenarios[scenarios["scenario"] == label]["co2e_kg"].iat[0]
        split = float(estimate_many(runs.assign(region=region))["co2e_g"].sum()) / 1000.0
        assert got == pytest.approx(split, rel=1e-12), label
    assert scenarios["co2e_kg"].iat[0] == pytest.approx(float(out["co2e_g"].sum()) / 1000.0, rel=1e-12)


PARTITIONS = {"h100": (1, 8), "gpu": (0, 4), "cpu": (0, 0)}  # GPUs allowed on one node
EPOCH = dt.datetime(2019, 6, 1)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "start_s": st.one_of(
                    st.integers(0, 8 * 365 * 86400),  # anywhere from mid-2019 to 2027
                    st.sampled_from([0, 1, 3600]).map(lambda s: (dt.datetime(2024, 12, 31) - EPOCH).days * 86400 + s),
                ),
                "seconds": st.one_of(st.integers(1, 3 * 86400), st.integers(1, 800 * 86400)),
                "partition": st.sampled_from(sorted(PARTITIONS)),
                "gpus": st.integers(0, 8),
                "cpus": st.integers(1, 128),
            }
        ),
        min_size=1,
        max_size=6,
    )
)
def test_property_slurm_equals_batch_start_path_row_for_row(jobs: list[dict[str, Any]]) -> None:
    cluster = slurm.load_cluster(CLUSTER)
    lines, starts = [], []
    for i, j in enumerate(jobs):
        low, high = PARTITIONS[j["partition"]]
        gpus = min(max(j["gpus"], low), high)
        start = (EPOCH + dt.timedelta(seconds=j["start_s"])).isoformat(timespec="seconds")
        starts.append(start)
        lines.append(_line(str(i), start, j["seconds"], j["partition"], gpus, j["cpus"]))
    out = slurm.estimate_jobs(slurm.read_sacct(_sacct(*lines)), cluster)
    assert out["error"].isna().all(), list(out["error"])
    batch = estimate_many(_batch_runs(out, starts, cluster))
    assert batch["error"].isna().all()
    for c in COMPARED:
        assert list(out[c]) == list(batch[c].astype(np.float64)), c
    # and the totals: the parts of every job add up to its energy at its hours
    single = estimate_many(_batch_runs(out, starts, cluster).drop(columns=["start"]).assign(year=2025))
    assert out["energy_kwh"].to_numpy() == pytest.approx(single["energy_kwh"].to_numpy(), rel=1e-9)


def test_the_cli_splits_a_job_across_new_year_as_batch_does(tmp_path: Path) -> None:
    sacct = tmp_path / "sacct.txt"
    sacct.write_text(_sacct(ACROSS, WITHIN))
    jobs_csv = tmp_path / "jobs.csv"
    result = run_cli("slurm", str(sacct), "--cluster", str(CLUSTER), "--out", str(jobs_csv))
    assert result.returncode == 0, result.stderr
    assert "each year a job ran in" in result.stdout
    runs_csv, batch_csv = tmp_path / "runs.csv", tmp_path / "batch.csv"
    runs_csv.write_text(
        "hardware,count,hours,region,pue,start\n"
        f"{H100},1,12,FR,1.2,2024-12-31T18:00:00\n"
        f"{H100},1,12,FR,1.2,2024-06-01T18:00:00\n"
    )
    result = run_cli("batch", str(runs_csv), "-o", str(batch_csv), "--no-progress")
    assert result.returncode == 0, result.stderr
    with open(jobs_csv, newline="") as fh:
        slurm_rows = list(csv.DictReader(fh))
    with open(batch_csv, newline="") as fh:
        batch_rows = list(csv.DictReader(fh))
    for s, b in zip(slurm_rows, batch_rows, strict=True):
        for c in ("energy_kwh", "co2e_g", "intensity_g_per_kwh"):
            assert float(s[c]) == float(b[c]), c
    assert float(slurm_rows[0]["co2e_g"]) == pytest.approx(322.56, rel=1e-12)
    assert float(slurm_rows[1]["co2e_g"]) == pytest.approx(332.64, rel=1e-12)
