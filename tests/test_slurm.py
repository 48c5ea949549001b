"""Slurm accounting: reading sacct files, the cluster description, per-job figures, summaries, the CLI.

The fixtures in tests/data/sacct/ are written by hand in the formats of Slurm's
sacct manual (--parsable2, --parsable, Elapsed, --delimiter). Figures worked by
hand use the test cluster (tests/data/sacct/cluster.yaml): PUE 1.2, A100 SXM4
80GB at 400 W, H100 SXM5 80GB at 700 W, AMD EPYC 7763 at 280 W / 64 cores
= 4.375 W per core, memory at 0.3725 W/GB:

    energy_kwh = (gpus × TDP + cores × 4.375 + mem_gb × 0.3725) × hours × 1.2 / 1000
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import estimate, slurm
from estimator.errors import EstimatorError, InputError
from tests.conftest import ROOT, run_cli

DATA = ROOT / "tests" / "data" / "sacct"
CLUSTER = DATA / "cluster.yaml"
EXAMPLE = ROOT / "docs" / "cluster.example.yaml"
PUE = 1.2
A100_W, H100_W, CORE_W, MEM_W_PER_GB = 400.0, 700.0, 280.0 / 64, 0.3725


@pytest.fixture(scope="module")
def cluster() -> slurm.Cluster:
    return slurm.load_cluster(CLUSTER)


@pytest.fixture(scope="module")
def basic(cluster: slurm.Cluster) -> pd.DataFrame:
    return slurm.estimate_jobs(slurm.read_sacct(DATA / "basic.txt"), cluster)


def _row(frame: pd.DataFrame, job_id: str) -> pd.Series[Any]:
    rows = frame[frame["job_id"] == job_id]
    assert len(rows) == 1, f"{job_id}: {len(rows)} rows"
    return rows.iloc[0]


# ---------------------------------------------------------------- reading


def test_steps_fold_into_their_allocation_and_unfinished_jobs_are_left_out() -> None:
    jobs = slurm.read_sacct(DATA / "basic.txt")
    assert list(jobs.columns) == list(slurm.JOB_COLUMNS)
    # 27 data lines: 15 allocation lines (2 unfinished, 1 pending array range, 1 cancelled before it
    # started) and 12 steps.
    assert list(jobs["job_id"]) == [
        "1001",
        "1002_1",
        "1002_2",
        "1003+0",
        "1003+1",
        "1004",
        "1007",
        "1008",
        "1009",
        "1010",
        "1011",
    ]
    counts = jobs.attrs["sacct"]
    assert counts["lines"] == 27 and counts["steps"] == 12 and counts["allocations"] == 15
    assert counts["running"] == 1  # 1005, End=Unknown
    assert counts["pending"] == 6  # 1006 and the five tasks of 1002_[3-7%2]
    assert counts["never_started"] == 1  # 1012: CANCELLED, Start None, an End
    assert counts["unreadable"] == 0 and counts["duplicates"] == 0
    assert jobs["error"].isna().all()


def test_states_times_and_hours() -> None:
    jobs = slurm.read_sacct(DATA / "basic.txt")
    assert _row(jobs, "1004")["state"] == "CANCELLED"  # "CANCELLED by 1234"
    assert _row(jobs, "1007")["state"] == "CANCELLED"  # "CANCELLED by 0"
    assert _row(jobs, "1008")["state"] == "TIMEOUT"
    assert _row(jobs, "1001")["hours"] == 2.0  # 7200 s
    assert _row(jobs, "1002_2")["hours"] == 600 / 3600
    assert _row(jobs, "1007")["hours"] == 0.0  # zero-length, kept
    assert _row(jobs, "1008")["hours"] == 24.0
    assert _row(jobs, "1001")["start"] == pd.Timestamp("2025-03-01T10:00:00")
    assert _row(jobs, "1008")["month"] == "2025-04" and _row(jobs, "1008")["year"] == 2025


def test_alloc_tres_gpus_typed_and_untyped_and_memory_units() -> None:
    jobs = slurm.read_sacct(DATA / "basic.txt")
    assert _row(jobs, "1001")["gpus"] == 4  # gres/gpu:a100=4,gres/gpu=4: four, not eight
    assert _row(jobs, "1001")["gpu_type"] == "a100"
    assert _row(jobs, "1004")["gpus"] == 2  # typed only: gres/gpu:a100=2
    assert _row(jobs, "1008")["gpus"] == 8  # untyped only, over two nodes
    assert _row(jobs, "1003+1")["gpus"] == 0
    assert _row(jobs, "1001")["mem_gb"] == 64.0  # 64G
    assert _row(jobs, "1004")["mem_gb"] == 32000 / 1024  # 32000M = 31.25 GB
    assert _row(jobs, "1008")["mem_gb"] == 1024.0  # 1T
    assert _row(jobs, "1010")["mem_gb"] == 1.0  # 1048576K
    assert _row(jobs, "1008")["cpus"] == 256 and _row(jobs, "1008")["nodes"] == 2
    assert _row(jobs, "1008")["node_list"] == "gpu[005-006]"


def test_elapsed_parsable_and_delimiter_variants_read_the_same() -> None:
    base = slurm.read_sacct(DATA / "basic.txt")
    for other in (slurm.read_sacct(DATA / "elapsed.txt"), slurm.read_sacct(DATA / "parsable.txt")):
        pd.testing.assert_frame_equal(other, base)
        assert other.attrs["sacct"] == base.attrs["sacct"]
    semi = slurm.read_sacct(DATA / "delimiter.txt", delimiter=";")
    assert list(semi["job_id"]) == ["2001", "2002"]
    assert _row(semi, "2001")["job_name"] == "a|b pipeline"  # '|' is plain text with ';'
    assert _row(semi, "2002")["gpus"] == 2


def test_text_in_place_of_a_path() -> None:
    text = (DATA / "basic.txt").read_text()
    pd.testing.assert_frame_equal(slurm.read_sacct(text), slurm.read_sacct(DATA / "basic.txt"))


@pytest.mark.parametrize(
    ("elapsed", "seconds"),
    [("00:00:00", 0), ("10:05", 605), ("01:02:03", 3723), ("1-00:00:00", 86400), ("12-03:04:05", 12 * 86400 + 11045)],
)
def test_elapsed_formats(elapsed: str, seconds: int) -> None:
    text = (
        "JobID|Partition|State|Start|End|Elapsed|NCPUS|NNodes|AllocTRES\n"
        f"1|cpu|COMPLETED|2025-01-01T00:00:00|2025-01-02T00:00:00|{elapsed}|1|1|cpu=1\n"
    )
    assert slurm.read_sacct(text)["hours"].iat[0] == seconds / 3600


def test_array_task_ranges() -> None:
    assert slurm.array_tasks("123_[5-9]") == 5
    assert slurm.array_tasks("123_[5-9%2]") == 5
    assert slurm.array_tasks("123_[1,3,7-8]") == 4
    assert slurm.array_tasks("123_[0-10:2]") == 6  # 0, 2, 4, 6, 8, 10
    assert slurm.array_tasks("123_4") == 1


def test_lines_that_cannot_be_read_are_kept_with_a_message(cluster: slurm.Cluster) -> None:
    jobs = slurm.read_sacct(DATA / "bad.txt")
    out = slurm.estimate_jobs(jobs, cluster)
    errors = dict(zip(out["job_id"], out["error"], strict=True))
    assert errors["3001"] is None  # fine, and its repeated line is counted once
    assert "line 3 has 7 fields where the header has 13" in errors["3002"]
    assert errors["3003"] is None and _row(out, "3003")["job_name"] == "a|b|c"  # name with '|' repaired
    assert errors["3004"] == "ElapsedRaw 'abc' is not whole seconds"
    assert errors["3005"] == "NCPUS 'x' is not a whole number"
    assert errors["3006"].startswith("Start 'yesterday' is not a time")
    assert "partition 'gpux' (did you mean 'gpu'?)" in errors["3007"]
    assert "1 GPU but partition 'cpu' has no accelerator" in errors["3008"]
    assert "9 GPUs on 1 node(s), more than gpus_per_node 4" in errors["3009"]
    assert "mem" in errors["3010"] and "not a size" in errors["3010"]
    assert "job steps of 2999 without its allocation line" in errors["2999"]
    counts = jobs.attrs["sacct"]
    assert counts["duplicates"] == 1 and counts["unreadable"] == 1 and counts["repaired"] == 1
    assert counts["orphan_steps"] == 1
    bad = out["error"].notna()
    assert bad.sum() == 9 and out.loc[bad, "co2e_g"].isna().all() and out.loc[~bad, "co2e_g"].notna().all()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("1001|x|alice\n", "run sacct without --noheader"),
        ("JobID,User,State\n1,a,COMPLETED\n", "is the file ','-separated"),
        ("JobId|User\n1|a\n", "no ElapsedRaw or Elapsed column"),
        ("JobName|User|Elapsed\nx|a|00:01:00\n", "no JobID column"),
    ],
)
def test_files_that_are_not_sacct_output(text: str, message: str, tmp_path: Path) -> None:
    path = tmp_path / "sacct.txt"
    path.write_text(text)
    with pytest.raises(InputError, match=message.replace("|", r"\|").replace("(", r"\(")):
        slurm.read_sacct(path)


def test_missing_file_and_bad_delimiter(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        slurm.read_sacct(tmp_path / "nope.txt")
    with pytest.raises(InputError, match="is a folder"):
        slurm.read_sacct(tmp_path)
    with pytest.raises(InputError, match="one character"):
        slurm.read_sacct(DATA / "basic.txt", delimiter="||")


def test_job_names_in_another_encoding_are_read(tmp_path: Path) -> None:
    raw = (DATA / "basic.txt").read_bytes().replace(b"|train|", b"|tr\xe9n|")  # Latin-1 é
    path = tmp_path / "latin1.txt"
    path.write_bytes(raw)
    jobs = slurm.read_sacct(path)
    assert _row(jobs, "1001")["job_name"] == "tr\ufffdn" and len(jobs) == 11


# ---------------------------------------------------------------- per-job figures worked by hand


def _energy(gpus: int, gpu_w: float, cores: float, mem_gb: float, hours: float) -> float:
    return (gpus * gpu_w + cores * CORE_W + mem_gb * MEM_W_PER_GB) * hours * PUE / 1000


@pytest.mark.parametrize(
    ("job", "expected_kwh"),
    [
        # 4 A100 + 8 cores + 64 GB for 2 h: (1600 + 35 + 23.84) W × 2 h × 1.2 / 1000 = 3.981216 kWh
        ("1001", 3.981216),
        # 1 A100 + 4 cores + 16 GB for 1.5 h: (400 + 17.5 + 5.96) × 1.5 × 1.2 / 1000 = 0.762228
        ("1002_1", 0.762228),
        # the same for 600 s: 423.46 × (1/6) × 1.2 / 1000 = 0.084692
        ("1002_2", 0.084692),
        # het component 0 on H100 (no CPU model): (8 × 700 + 256 × 0.3725) × 1 × 1.2 / 1000 = 6.834432
        ("1003+0", 6.834432),
        # het component 1 on the CPU partition: (64 × 4.375 + 128 × 0.3725) × 1.2 / 1000 = 0.393216
        ("1003+1", 0.393216),
        # typed GPUs only (2) + 8 cores + 31.25 GB, 15 min: 846.640625 × 0.25 × 1.2 / 1000 = 0.2539921875
        ("1004", 0.2539921875),
        # zero-length: nothing
        ("1007", 0.0),
        # 8 A100 + 256 cores (4 whole packages: 1120 W) + 1 TB (381.44 W), 24 h: 4701.44 × 24 × 1.2 / 1000
        ("1008", 135.401472),
        # 96 cores of 64-core packages = 2 packages at 0.75: 420 W, + 192 GB (71.52 W), 10 h: 5.89824
        ("1009", 5.89824),
        # 2 cores + 1 GB (1048576K), 30 min: (8.75 + 0.3725) × 0.5 × 1.2 / 1000 = 0.0054735
        ("1010", 0.0054735),
        # a GPU partition job without GPUs: 4 cores + 8 GB: 20.48 W × 1 h × 1.2 / 1000 = 0.024576
        ("1011", 0.024576),
    ],
)
def test_energy_of_each_job_worked_by_hand(basic: pd.DataFrame, job: str, expected_kwh: float) -> None:
    row = _row(basic, job)
    assert row["error"] is None
    assert row["energy_kwh"] == pytest.approx(expected_kwh, rel=1e-12)
    assert row["co2e_g"] == pytest.approx(expected_kwh * row["intensity_g_per_kwh"], rel=1e-12) or job == "1007"
    assert row["pue_used"] == PUE or job == "1007"


def test_hand_formula_matches_the_helper(basic: pd.DataFrame) -> None:
    assert _energy(4, A100_W, 8, 64, 2) == pytest.approx(_row(basic, "1001")["energy_kwh"], rel=1e-12)
    assert _energy(8, H100_W, 0, 256, 1) == pytest.approx(_row(basic, "1003+0")["energy_kwh"], rel=1e-12)


def test_device_hours_and_accelerators(basic: pd.DataFrame) -> None:
    assert _row(basic, "1008")["gpu_hours"] == 8 * 24 and _row(basic, "1008")["cpu_core_hours"] == 256 * 24
    assert _row(basic, "1001")["accelerator"] == "nvidia-a100-sxm4-80gb"
    assert _row(basic, "1003+0")["accelerator"] == "nvidia-h100-sxm5-80gb"
    assert _row(basic, "1003+1")["accelerator"] is None


def test_every_job_equals_estimate_of_its_allocation(basic: pd.DataFrame, cluster: slurm.Cluster) -> None:
    for _, job in basic.iterrows():
        if job["hours"] == 0:
            continue
        e = estimate(**slurm.job_arguments(job.to_dict(), cluster))
        assert job["energy_kwh"] == e.energy_kwh  # bit for bit
        assert job["co2e_g"] == e.co2e_g
        assert job["intensity_g_per_kwh"] == e.intensity_g_per_kwh


def test_range_embodied_and_the_start_year(basic: pd.DataFrame, cluster: slurm.Cluster) -> None:
    """Needs estimate_many's year input and range / embodied / intensity_year outputs (the lead's change)."""
    job = _row(basic, "1001")
    e = estimate(**slurm.job_arguments(job.to_dict(), cluster))
    assert job["co2e_low_g"] == e.co2e_low_g and job["co2e_high_g"] == e.co2e_high_g
    assert job["co2e_low_g"] < job["co2e_g"] <= job["co2e_high_g"]
    assert job["embodied_g"] == e.embodied_g and job["embodied_g"] > 0
    assert job["intensity_year"] == e.intensity_year
    assert slurm.job_arguments(job.to_dict(), cluster)["year"] == 2025


def test_draw_fraction_and_pue_default(tmp_path: Path) -> None:
    text = CLUSTER.read_text().replace("  pue: 1.2\n", "  draw_fraction: 0.5\n")
    cluster = slurm.parse_cluster(text)
    out = slurm.estimate_jobs(slurm.read_sacct(DATA / "basic.txt"), cluster)
    job = _row(out, "1001")
    kwargs = slurm.job_arguments(job.to_dict(), cluster)
    assert kwargs["utilization"] == 0.5 and kwargs["cpu_utilization"] == 0.5 and "pue" not in kwargs
    e = estimate(**kwargs)
    assert job["energy_kwh"] == e.energy_kwh and job["pue_used"] == e.pue
    # half the draw, at the region's default PUE: (1658.84 - 23.84) / 2 + 23.84 W × 2 h × PUE / 1000
    assert job["energy_kwh"] == pytest.approx((1635 / 2 + 23.84) * 2 * e.pue / 1000, rel=1e-12)


PARTITIONS = ("gpu", "h100", "cpu")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "partition": st.sampled_from(PARTITIONS),
                "gpus": st.integers(0, 8),
                "cpus": st.integers(1, 256),
                "nodes": st.integers(1, 2),
                "seconds": st.integers(0, 10 * 86400),
                "mem": st.sampled_from(["", "mem=512M,", "mem=4G,", "mem=250G,", "mem=1.5T,"]),
                "typed": st.booleans(),
            }
        ),
        min_size=1,
        max_size=8,
    )
)
def test_property_each_job_equals_estimate_or_has_a_message(jobs: list[dict[str, Any]]) -> None:
    cluster = slurm.load_cluster(CLUSTER)
    lines = ["JobID|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList"]
    for i, j in enumerate(jobs):
        gpu = ""
        if j["gpus"]:
            gpu = f"gres/gpu:x={j['gpus']}," if j["typed"] else f"gres/gpu:x={j['gpus']},gres/gpu={j['gpus']},"
        tres = f"billing=1,cpu={j['cpus']},{gpu}{j['mem']}node={j['nodes']}"
        lines.append(
            f"{i}|u{i % 3}|a|{j['partition']}|COMPLETED|2025-01-01T00:00:00|2025-01-11T00:00:00|"
            f"{j['seconds']}|{j['cpus']}|{j['nodes']}|{tres}|n{i}"
        )
    out = slurm.estimate_jobs(slurm.read_sacct("\n".join(lines) + "\n"), cluster)
    assert len(out) == len(jobs)
    for i, j in enumerate(jobs):
        row = out.iloc[i]
        assert row["gpus"] == j["gpus"]  # typed + untyped counted once
        message: str | None = None
        try:
            kwargs = slurm.job_arguments(row.to_dict(), cluster)
            e = estimate(**kwargs)
        except EstimatorError as exc:
            message = " ".join(str(exc).split())
        if message is not None:
            assert row["error"] == message or (j["seconds"] == 0 and row["energy_kwh"] == 0 and "zero" in message)
            continue
        assert row["error"] is None
        assert row["energy_kwh"] == e.energy_kwh and row["co2e_g"] == e.co2e_g
        # and the physics, independently: GPUs × TDP + cores × TDP / 64 + memory, × hours × PUE
        kind = cluster.partition(j["partition"])
        assert kind is not None
        gpu_w = {"gpu": A100_W, "h100": H100_W}.get(j["partition"], 0.0)
        cores = j["cpus"] if kind.cpu else 0
        mem_gb = row["mem_gb"] if not math.isnan(row["mem_gb"]) else (512.0 * j["nodes"] if kind.name == "gpu" else 0)
        assert e.energy_kwh == pytest.approx(_energy(j["gpus"], gpu_w, cores, mem_gb, j["seconds"] / 3600), rel=1e-9)


# ---------------------------------------------------------------- summaries


def test_summary_by_user_worked_by_hand(basic: pd.DataFrame) -> None:
    table = slurm.summarize(basic, "user")
    assert list(table.columns) == ["user", *slurm.SUMMARY_COLUMNS]
    assert list(table["user"]) == ["carol", "erin", "alice", "bob", "total"]  # by emissions, total last
    carol = table.iloc[0]
    # carol: 1003+0, 1003+1 and 1008 = 6.834432 + 0.393216 + 135.401472 kWh
    assert carol["jobs"] == 3 and carol["energy_kwh"] == pytest.approx(142.62912, rel=1e-12)
    assert carol["gpu_hours"] == 8 * 1 + 0 + 8 * 24
    assert carol["cpu_core_hours"] == 16 + 64 + 256 * 24
    total = table.iloc[-1]
    assert total["jobs"] == 11 and total["errors"] == 0
    assert total["energy_kwh"] == pytest.approx(basic["energy_kwh"].sum(), rel=1e-12)
    assert total["co2e_kg"] == pytest.approx(basic["co2e_g"].sum() / 1000, rel=1e-12)


def test_summary_by_month_partition_account(basic: pd.DataFrame) -> None:
    months = slurm.summarize(basic, "month")
    assert list(months["month"]) == ["2025-03", "2025-04", "total"]
    assert list(months["jobs"]) == [7, 4, 11]
    blank = basic.assign(account=[""] * len(basic))
    assert list(slurm.summarize(blank, "account")["account"]) == ["(none)", "total"]
    parts = slurm.summarize(basic, "partition")
    assert parts.iloc[0]["partition"] == "gpu" and set(parts["partition"]) == {"gpu", "h100", "cpu", "total"}
    accounts = slurm.summarize(basic, "account")
    assert accounts.set_index("account").loc["total", "jobs"] == 11
    with pytest.raises(InputError, match="did you mean 'user'"):
        slurm.summarize(basic, "users")


def test_totals_count_what_was_left_out(basic: pd.DataFrame) -> None:
    t = slurm.totals(basic)
    assert (t.jobs, t.estimated, t.errors, t.zero_length) == (11, 11, 0, 1)
    assert (t.running, t.pending, t.never_started, t.steps) == (1, 6, 1, 12)
    assert t.gpu_hours == pytest.approx(8 + 1.5 + 1 / 6 + 8 + 0.5 + 192)
    text = slurm.totals_text(t)
    assert "1 running, 6 pending, 1 cancelled before they started" in text and "12 job steps folded" in text


# ---------------------------------------------------------------- the cluster description


def test_example_cluster_loads() -> None:
    example = slurm.load_cluster(EXAMPLE)
    assert example.partition("a100") is not None and example.partition("h100") is not None
    cpu = example.partition("cpu")
    assert cpu is not None and cpu.accelerator is None and cpu.cpu is not None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "is empty"),
        ("- a\n", "must be a mapping"),
        ("site: {region: FR}\npartitons: {}\n", "unknown key 'partitons'; did you mean 'partitions'?"),
        ("site: {region: FR}\n", "describe at least one partition"),
        ("partitions: {gpu: {accelerator: nvidia-t4}}\n", "missing site"),
        ("site: {pue: 1.2}\npartitions: {gpu: {accelerator: nvidia-t4}}\n", "site.region is required"),
        ("site: {region: Atlantis}\npartitions: {gpu: {accelerator: nvidia-t4}}\n", "site.region: unknown region"),
        ("site: {region: FR, pue: 0.5}\npartitions: {gpu: {accelerator: nvidia-t4}}\n", "pue"),
        ("site: {region: FR, draw: 1}\npartitions: {gpu: {accelerator: nvidia-t4}}\n", "did you mean 'draw_fraction'"),
        (
            "site: {region: FR}\npartitions: {gpu: {accelerator: nvidia-a100-sxm4-80gbb}}\n",
            "partitions.gpu.accelerator: unknown hardware 'nvidia-a100-sxm4-80gbb'. "
            "Closest matches: nvidia-a100-sxm4-80gb",
        ),
        ("site: {region: FR}\npartitions: {gpu: {accelerator: amd-epyc-7763}}\n", "a CPU: give it as cpu"),
        ("site: {region: FR}\npartitions: {gpu: {cpu: nvidia-t4}}\n", "give it as accelerator"),
        ("site: {region: FR}\npartitions: {gpu: {gpus_per_node: 4}}\n", "gpus_per_node without accelerator"),
        ("site: {region: FR}\npartitions: {gpu: {accelerator: nvidia-t4, gpus: 4}}\n", "did you mean 'gpus_per_node'"),
        ("site: {region: FR}\npartitions: {gpu: {accelerator: nvidia-t4, gpus_per_node: 2.5}}\n", "whole number"),
        ("site: {region: FR}\npartitions: {c: {cpu: amd-epyc-7763, threads_per_core: 3}}\n", "threads_per_core"),
        ("site: {region: FR}\npartitions: {gpu: {}}\n", "give accelerator"),
        ("site: &s {region: FR}\nother: *s\n", "anchors and aliases"),
        ("site: {region: FR\n", "not valid YAML"),
    ],
)
def test_cluster_errors_name_the_key_and_the_choices(text: str, message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(".", r"\.")):
        slurm.parse_cluster(text, "cluster.yaml")


def test_cluster_file_limits(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("# " + "x" * (slurm.MAX_CLUSTER_BYTES + 10))
    with pytest.raises(InputError, match="over 256 KiB"):
        slurm.load_cluster(big)
    with pytest.raises(InputError, match="no such file"):
        slurm.load_cluster(tmp_path / "missing.yaml")


def test_node_patterns_come_before_partitions() -> None:
    cluster = slurm.parse_cluster(
        "site: {region: FR, pue: 1.2}\n"
        "partitions: {mixed: {accelerator: nvidia-a100-sxm4-80gb, gpus_per_node: 8}}\n"
        "nodes: {'hgx[0-9]*': {accelerator: nvidia-h100-sxm5-80gb, gpus_per_node: 8}}\n"
    )
    text = (
        "JobID|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList\n"
        "1|mixed|COMPLETED|2025-01-01T00:00:00|2025-01-01T01:00:00|3600|1|1|gres/gpu=1|hgx[01-02]\n"
        "2|mixed|COMPLETED|2025-01-01T00:00:00|2025-01-01T01:00:00|3600|1|1|gres/gpu=1|dgx07\n"
        "3|other|COMPLETED|2025-01-01T00:00:00|2025-01-01T01:00:00|3600|1|1|gres/gpu=1|hgx3\n"
    )
    out = slurm.estimate_jobs(slurm.read_sacct(text), cluster)
    assert list(out["accelerator"]) == ["nvidia-h100-sxm5-80gb", "nvidia-a100-sxm4-80gb", "nvidia-h100-sxm5-80gb"]
    # 1 H100 for 1 h at PUE 1.2: 700 × 1.2 / 1000 = 0.84 kWh
    assert out["energy_kwh"].iat[0] == pytest.approx(0.84, rel=1e-12)
    assert slurm.first_node("gpu[001-004],gpu010") == "gpu001" and slurm.first_node("None assigned") is None


def test_estimate_jobs_checks_its_arguments(cluster: slurm.Cluster) -> None:
    with pytest.raises(InputError, match="DataFrame"):
        slurm.estimate_jobs([], cluster)  # type: ignore[arg-type]
    with pytest.raises(InputError, match="lacks"):
        slurm.estimate_jobs(pd.DataFrame({"hours": [1.0]}), cluster)
    with pytest.raises(InputError, match="Cluster"):
        slurm.estimate_jobs(slurm.read_sacct(DATA / "basic.txt"), {"site": "FR"})  # type: ignore[arg-type]


def test_ten_thousand_copies_of_a_job_get_its_figure(cluster: slurm.Cluster) -> None:
    """10,000 jobs of one shape (one distinct combination, many rows): every row has the one job's figure."""
    lines = (DATA / "basic.txt").read_text().splitlines()
    body = [line for line in lines[1:] if "." not in line.split("|")[0]]
    text = "\n".join([lines[0], *(f"9{i:05d}|{line.split('|', 1)[1]}" for i in range(10_000) for line in body[:1])])
    out = slurm.estimate_jobs(slurm.read_sacct(text + "\n"), cluster)
    assert len(out) == 10_000 and out["error"].isna().all()
    assert np.all(
        out["energy_kwh"].to_numpy()
        == _row(slurm.estimate_jobs(slurm.read_sacct(DATA / "basic.txt"), cluster), "1001")["energy_kwh"]
    )


# ---------------------------------------------------------------- the command line


def test_cli_writes_jobs_summary_and_report(tmp_path: Path) -> None:
    jobs, summary, report = tmp_path / "jobs.csv", tmp_path / "summary.csv", tmp_path / "report.html"
    result = run_cli(
        "slurm",
        str(DATA / "basic.txt"),
        "--cluster",
        str(CLUSTER),
        "--out",
        str(jobs),
        "--summary",
        str(summary),
        "--report",
        str(report),
        "--by",
        "account",
    )
    assert result.returncode == 0, result.stderr
    assert "11 jobs: 11 estimated" in result.stdout and "1 running, 6 pending" in result.stdout
    table = pd.read_csv(jobs, dtype={"job_id": str})
    assert len(table) == 11 and table.loc[table["job_id"] == "1001", "energy_kwh"].iat[0] == pytest.approx(3.981216)
    sums = pd.read_csv(summary)
    assert list(sums["account"]) == ["nlp", "bio", "vision", "total"]
    assert report.read_text().startswith("<!DOCTYPE html>")


def test_cli_parquet_and_delimiter(tmp_path: Path) -> None:
    out = tmp_path / "jobs.parquet"
    result = run_cli(
        "slurm", str(DATA / "delimiter.txt"), "--cluster", str(CLUSTER), "--delimiter", ";", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    assert list(pd.read_parquet(out)["job_id"]) == ["2001", "2002"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.txt", "--cluster", str(CLUSTER)], "no such file: missing.txt"),
        ([str(DATA / "basic.txt"), "--cluster", str(DATA / "basic.txt")], "must be a mapping"),
        ([str(DATA / "basic.txt"), "--cluster", str(CLUSTER), "--out", "x.xlsx"], "must end in .csv or .parquet"),
        ([str(DATA / "basic.txt"), "--cluster", str(CLUSTER), "--report", "r.pdf"], "must end in .html"),
        ([str(DATA / "basic.txt"), "--cluster", str(CLUSTER), "--delimiter", ","], "is the file '|'-separated"),
        ([str(DATA / "basic.txt"), "--cluster", str(CLUSTER), "--out", str(DATA / "basic.txt")], "is the sacct file"),
    ],
)
def test_cli_bad_input_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = run_cli("slurm", *args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_dask_partitions_give_the_same_jobs(cluster: slurm.Cluster) -> None:
    """estimate_jobs per partition of a Dask table (one sacct file each), as docs/slurm.md shows."""
    dask = pytest.importorskip("dask")
    dd = pytest.importorskip("dask.dataframe")
    files = [DATA / "basic.txt", DATA / "elapsed.txt"]
    parts = [dask.delayed(slurm.read_sacct)(f) for f in files]
    jobs = dd.from_delayed(parts, meta=slurm.read_sacct(files[0]).iloc[:0])
    meta = slurm.estimate_jobs(jobs._meta, cluster)
    got = jobs.map_partitions(slurm.estimate_jobs, cluster, meta=meta).compute()
    one = slurm.estimate_jobs(slurm.read_sacct(files[0]), cluster)
    assert len(got) == 2 * len(one)
    assert list(got["energy_kwh"]) == list(one["energy_kwh"]) * 2  # bit for bit, per job


def test_a_header_alone_and_windows_line_ends(cluster: slurm.Cluster) -> None:
    header = (DATA / "basic.txt").read_text().splitlines()[0] + "\n"
    empty = slurm.estimate_jobs(slurm.read_sacct(header), cluster)
    assert len(empty) == 0 and slurm.summarize(empty, "user")["jobs"].tolist() == [0]
    crlf = (DATA / "basic.txt").read_text().replace("\n", "\r\n")
    pd.testing.assert_frame_equal(slurm.read_sacct(crlf), slurm.read_sacct(DATA / "basic.txt"))


def test_cli_writes_its_tables_through_a_link_and_refuses_a_read_only_one(tmp_path: Path) -> None:
    real = tmp_path / "shared" / "jobs.csv"
    real.parent.mkdir()
    real.write_text("old\n", encoding="utf-8")
    link = tmp_path / "jobs.csv"
    link.symlink_to(real)
    result = run_cli("slurm", str(DATA / "basic.txt"), "--cluster", str(CLUSTER), "--out", str(link))
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and "job_id" in real.read_text(encoding="utf-8").splitlines()[0]
    summary = tmp_path / "summary.csv"
    summary.write_text("keep\n", encoding="utf-8")
    summary.chmod(0o444)
    result = run_cli("slurm", str(DATA / "basic.txt"), "--cluster", str(CLUSTER), "--summary", str(summary))
    assert result.returncode == 2 and "read-only" in result.stderr and result.stderr.count("\n") == 1
    assert summary.read_text(encoding="utf-8") == "keep\n"
