"""Left over from earlier stops and found by this stop's walks, mended."""

from __future__ import annotations

import dataclasses
import os
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app_pages import plain
from estimator import estimate, estimate_many
from estimator.errors import AmbiguousNameError, InputError
from tests.conftest import run_cli
from tests.test_app import infos
from tests.test_app import run as run_app

LIFECYCLE_TAB = "Inference & lifecycle"


@pytest.mark.parametrize(("name", "place"), [("England", "GB-ENG"), ("Scotland", "GB-SCT"), ("Wales", "GB-WLS")])
def test_the_nations_of_great_britain_are_places_on_its_grid(name: str, place: str) -> None:
    """'England' was ambiguous between two New England grids, 'Scotland' unknown, 'Wales' New South Wales."""
    e = estimate(hardware="nvidia-t4", hours=1, region=name, year=2024)
    gb = estimate(hardware="nvidia-t4", hours=1, region="GB", year=2024)
    region = e.to_dict()["region"]
    assert (region["id"], region["zone"], region["kind"]) == (place, "GB", "subdivision")
    assert e.intensity_g_per_kwh == gb.intensity_g_per_kwh == 175.0  # Electricity Maps GB 2024, life-cycle
    assert e.co2e_g == pytest.approx(70 * 1 * 1.54 / 1000 * 175.0, rel=1e-12)


def test_new_england_stays_ambiguous_between_its_lifecycle_zone_and_its_egrid_subregion() -> None:
    """The two differ under basis='direct' (eGRID's figure is on NEWE only): the user chooses."""
    with pytest.raises(AmbiguousNameError, match=r"US-NE-ISNE .*US-NEWE"):
        estimate(hardware="nvidia-t4", hours=1, region="New England")


def _moved(at: Any) -> list[str]:
    return [i for i in infos(at) if i.startswith("Region set to")]


def test_the_form_keeps_the_place_when_an_instance_of_another_provider_is_chosen_and_back() -> None:
    """gcp:europe-west4 (Netherlands), then an AWS instance: AWS has no region on the NL grid, so its first
    region is shown, and said; back to hardware: gcp and europe-west4 again (it was gcp:us-central1)."""
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west4").run()
    at.radio(key="what").set_value("instance").run()
    assert at.session_state["region"] == "aws:us-east-1"
    assert _moved(at) == [
        "Region set to aws:us-east-1: gcp:europe-west4 is not among aws's regions, and none of them is on its "
        "grid (NL). Choose the region the job ran in."
    ]
    at.run()
    assert _moved(at) == []  # said once, on the run that moved it
    at.radio(key="what").set_value("device").run()
    assert (at.session_state["provider"], at.session_state["region"]) == ("gcp", "gcp:europe-west4")
    assert _moved(at) == []


def test_the_form_takes_the_instance_providers_region_on_the_same_grid() -> None:
    """gcp:europe-west9 (Paris) with an AWS instance: aws:eu-west-3 (Paris), the same FR grid figure, no note."""
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west9").run()
    at.radio(key="what").set_value("instance").run()
    assert at.session_state["region"] == "aws:eu-west-3"
    assert _moved(at) == []
    e = estimate(instance="aws:p4d.24xlarge", hours=24, region="aws:eu-west-3")
    assert e.intensity_g_per_kwh == estimate(hardware="nvidia-t4", hours=1, region="FR").intensity_g_per_kwh


def test_on_premise_takes_the_grid_zone_of_the_cloud_region_chosen_before() -> None:
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west4").run()
    at.selectbox(key="provider").set_value("onprem").run()
    assert at.session_state["region"] == "NL"
    at.selectbox(key="provider").set_value("gcp").run()
    assert at.session_state["region"] == "gcp:europe-west4"


def test_a_days_requests_at_a_throughput_that_take_more_than_a_day_name_the_requests_per_second() -> None:
    """100,000 requests at 1 per second is 27.78 h: the message named the time per request and days=1, neither
    of which the user gave (the web form has no days field)."""
    from estimator import estimate_inference, lifecycle

    training = estimate(hardware="nvidia-a100-sxm4-80gb", hours=10, region="FR")
    serving = estimate_inference("nvidia-l4", "FR", requests=100_000, requests_per_second=1)
    with pytest.raises(InputError) as info:
        lifecycle(training, serving, period_days=365)
    assert str(info.value) == (
        "with period_days, inference must be ONE day of serving (requests per day); this one covers 27.7778 h of "
        "serving, more than a day; if 100,000 requests are one day's, check the requests per second (with several "
        "replicas serving at once, it is the rate of all of them together)"
    )
    week = estimate_inference("nvidia-l4", "FR", requests=100_000, requests_per_second=10, hours_per_day=24, days=7)
    with pytest.raises(InputError) as info:
        lifecycle(training, week, period_days=365)
    assert str(info.value) == (
        "with period_days, inference must be ONE day of serving (requests per day); this one covers 168 h over "
        "7 days: make it with the requests of one day (days=1)"
    )


def test_the_forms_lifecycle_says_what_to_check_in_its_own_inputs() -> None:
    """The form's throughput: 100,000 requests a day at 1 per second; the message names the requests per second."""
    at = run_app({"requests_per_day": "100000", "requests_per_second": "1"}, tab=LIFECYCLE_TAB)
    assert at.session_state["rate_by"] == "throughput"
    shown = [plain.unescape(e.value) for e in at.error]
    assert len(shown) == 1 and shown[0].endswith(
        "check the requests per second (with several replicas serving at once, it is the rate of all of them together)"
    )
    assert "days=1" not in shown[0]


def test_a_comment_after_a_key_the_card_sets_stays_with_the_new_value() -> None:
    """'emissions: 5000  # grams' became 'emissions: 10': the README promises the block's comments stay."""
    from estimator.modelcard import merge

    card = (
        '---\nco2_eq_emissions:\n  emissions: 5000  # grams\n  source: "a # b"   # who\n'
        "  training_type: pre-training # kept as is\n  hardware_used: |\n    8 x A100  # not a comment\n---\n"
    )
    out = merge(card, {"emissions": 10.5, "source": "c # d", "hardware_used": "1 x T4"})
    assert out == (
        "---\nco2_eq_emissions:\n  emissions: 10.5  # grams\n  source: 'c # d'   # who\n"
        "  training_type: pre-training # kept as is\n  hardware_used: 1 x T4\n---\n"
    )


def test_an_instances_accelerators_share_one_host_server() -> None:
    """trn2.48xlarge: 16 Trainium2 on one host. Each carried 1/8 of the 2,500 kg accelerator server (two servers
    in all); now 1/16: 16 × (150 + 2500/16) kg = 4,900 kg over 6 y × 8,760 h × 0.85, × 10 h. An 8-GPU instance
    keeps 1/8 (p5.48xlarge: 8 × (150 + 312.5) kg)."""
    trn2 = estimate(instance="aws:trn2.48xlarge", hours=10, region="aws:us-east-1")
    assert trn2.embodied_g == pytest.approx(16 * (150 + 2500 / 16) * 1000 / (6 * 8760 * 0.85) * 10, rel=1e-12)
    assert "1/16 of a 2500 kg server" in " ".join(trn2.embodied_basis)
    assert "aws:trn2.48xlarge's 16 accelerators share one host" in " ".join(trn2.embodied_basis)
    p5 = estimate(instance="aws:p5.48xlarge", hours=10, region="aws:us-east-1")
    assert p5.embodied_g == pytest.approx(8 * (150 + 2500 / 8) * 1000 / (6 * 8760 * 0.85) * 10, rel=1e-12)
    bare = estimate(hardware="aws-trainium2", count=16, hours=10, region="aws:us-east-1")
    assert bare.embodied_g == pytest.approx(16 * (150 + 2500 / 8) * 1000 / (6 * 8760 * 0.85) * 10, rel=1e-12)


LOOSE_US_EAST1 = (
    "region 'us-east1' read as gcp:us-east1; alibaba:us-east-1, aws:us-east-1 and ibm:us-east are one character "
    "away: if you meant one, give the full id (e.g. alibaba:us-east-1)"
)
SHARED_US_EAST_1 = (
    "region 'us-east-1' is alibaba:us-east-1 or aws:us-east-1, all in grid zone US-MIDA-PJM: using the zone's "
    "figure and the default PUE; give provider (e.g. 'aws') for that provider's region and PUE"
)


def test_batch_says_how_it_read_loose_names_and_years_once_each(tmp_path: Path) -> None:
    """'us-east1' (gcp, 654 g/kWh) and 'us-east-1' (PJM's zone at the default PUE) were read without a word, as
    was a year before the place's series; estimate() says each. Four rows, three notes (us-east1 twice: once)."""
    src = tmp_path / "loose.csv"
    src.write_text(
        "job,hardware,hours,region,year\na,nvidia-t4,100,us-east1,\nb,nvidia-t4,100,us-east-1,\n"
        "c,nvidia-t4,3,FR,2015\nd,nvidia-t4,1,us-east1,\n",
        encoding="utf-8",
    )
    out = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"))
    assert out.returncode == 0, out.stderr
    expected = (
        "note: how inputs were read: "
        f"{LOOSE_US_EAST1} | {SHARED_US_EAST_1} | 2015 asked; 2021 is the earliest year for FR (electricity-maps)"
    )
    assert expected in (out.stdout + out.stderr).splitlines()
    for row, region in (("a", "us-east1"), ("b", "us-east-1"), ("c", "FR")):
        said = estimate(hardware="nvidia-t4", hours=1, region=region, year=2015 if row == "c" else None).warnings
        assert any(note in expected for note in said), region  # the same words estimate() says


def test_estimate_many_warns_how_it_read_loose_names() -> None:
    runs = pd.DataFrame({"hardware": ["nvidia-t4"] * 3, "hours": [1.0, 2.0, 3.0], "region": ["us-east1"] * 3})
    with pytest.warns(UserWarning, match="^how inputs were read: ") as said:
        out = estimate_many(runs)
    assert [str(w.message) for w in said] == [f"how inputs were read: {LOOSE_US_EAST1}"]
    assert list(out["region_id"]) == ["gcp:us-east1"] * 3


def test_many_loose_names_are_said_in_part(tmp_path: Path) -> None:
    """Seven distinct loose names: the first five, and how many more."""
    from estimator.runs import Memo, readings_note

    memo = Memo()
    memo.readings = {f"region 'r{k}' read as X{k}": None for k in range(7)}
    assert readings_note(memo) == (
        "how inputs were read: " + " | ".join(f"region 'r{k}' read as X{k}" for k in range(5)) + " | and 2 more"
    )
    assert readings_note(Memo()) is None


def test_the_form_says_how_a_links_region_was_read_until_it_is_set() -> None:
    """?region=us-east1 showed gcp:us-east1 at 654 g/kWh with no word of the AWS region one character away."""
    at = run_app({"hardware": "nvidia-t4", "hours": "10", "region": "us-east1"})
    assert at.session_state["region"] == "gcp:us-east1"
    assert [i for i in infos(at) if i.startswith("From the link")] == [f"From the link: {LOOSE_US_EAST1}"]
    at = run_app({"hardware": "nvidia-t4", "hours": "10", "region": "us-east-1"})
    assert [i for i in infos(at) if i.startswith("From the link")] == [f"From the link: {SHARED_US_EAST_1}"]
    at.selectbox(key="provider").set_value("aws").run()
    assert [i for i in infos(at) if i.startswith("From the link")] == []
    assert [i for i in infos(run_app({"region": "FR"})) if i.startswith("From the link")] == []


def test_a_tpu_instance_says_its_host_vcpus_are_not_counted() -> None:
    """gcp:v4-8 counted 4 chips and 407 GB but not its 240 vCPUs, without a word (a GPU instance counts its own)."""
    e = estimate(instance="gcp:v4-8", hours=100, region="gcp:us-central2")
    note = (
        "gcp:v4-8's 240 host vCPUs are not counted: no CPU model is published for it; to count them, give cpu "
        "(the host's CPU model) and cpu_cores=120, its vCPUs as cores"
    )
    assert note in e.warnings
    assert [c.kind for c in e.components] == ["accelerator", "memory"]
    with_host = estimate(instance="gcp:v4-8", hours=100, region="gcp:us-central2", cpu="amd-epyc-7742", cpu_cores=120)
    assert note not in with_host.warnings
    assert with_host.draw_w == pytest.approx(e.draw_w + 120 * 225 / 64, rel=1e-12)  # EPYC 7742: 225 W, 64 cores
    assert not any("host vCPUs" in w for w in estimate(instance="aws:p4d.24xlarge", hours=1, region="FR").warnings)


def test_preflight_with_trials_gives_device_hours_per_trial_and_over_all_trials() -> None:
    """200 trials: 'device-hours: 2.527' under a 200-trial headline was one trial's."""
    from estimator import preflight, report

    p = preflight(flops=3.6e18, hardware="H100 SXM", region="FR", trials=200)
    text = report.preflight_text(p)
    each = p.device_hours
    assert each == pytest.approx(3.6e18 / (989.5e12 * 0.4) / 3600, rel=1e-12)  # FLOP / (peak × MFU), in hours
    low, high = p.device_hours_range
    assert (
        f"device-hours: {report.num(each)} per trial (range {report.num(low)}-{report.num(high)}); "
        f"{report.num(each * 200)} over the 200 trials at MFU 0.4 (0.3-0.5)"
    ) in text.splitlines()
    assert f"At the central device-hours ({report.num(each)} per trial, MFU 0.4): " in text
    one = report.preflight_text(preflight(flops=3.6e18, hardware="H100 SXM", region="FR")).splitlines()
    assert f"device-hours: {report.num(each)} (range {report.num(low)}-{report.num(high)}) at MFU 0.4 (0.3-0.5)" in one


def test_a_slurm_report_names_the_intensity_of_the_years_its_jobs_ran_and_the_sites_draw_fraction() -> None:
    """Jobs of 2023 used FR's 2023 figure; the report's sources named the latest (2025) one, and with a site
    draw_fraction the method line left the fraction out and the range spoke of a draw it did not use."""
    from estimator import slurm, slurm_report

    data = Path(__file__).parent / "data" / "sacct"
    text = (data / "basic.txt").read_text().replace("2025-", "2023-")
    cluster = slurm.load_cluster(data / "cluster.yaml")
    jobs = slurm.estimate_jobs(slurm.read_sacct(text), cluster)
    assert set(jobs["intensity_year"].dropna().astype(int)) == {2023}
    fr_2023 = estimate(hardware="nvidia-t4", hours=1, region="FR", year=2023).intensity_source
    fr_2025 = estimate(hardware="nvidia-t4", hours=1, region="FR", year=2025).intensity_source
    lines = slurm_report.sources(jobs, cluster)
    assert fr_2023 in lines and fr_2025 not in lines
    page = slurm_report.report_html(jobs, cluster)
    assert "cores per package) + memory GB" in page and "draw_fraction" not in page
    drawn = dataclasses.replace(cluster, draw_fraction=0.8)
    page = slurm_report.report_html(slurm.estimate_jobs(slurm.read_sacct(text), drawn), drawn)
    assert "cores per package) × 0.8 (the site&#x27;s draw_fraction) + memory GB" in page
    assert "devices drawing below their TDP" not in page
    assert "The devices draw 0.8 of their TDP" in page


def test_accounting_without_alloctres_is_refused_when_its_jobs_ran_on_gpu_partitions(tmp_path: Path) -> None:
    """ReqTRES/AllocGRES in place of AllocTRES: a 4-GPU job was counted as 8 CPUs, without a word."""
    from estimator import slurm

    data = Path(__file__).parent / "data" / "sacct"
    header = "JobID|JobName|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|ReqTRES|NodeList"
    gpu_job = "1001|train|alice|nlp|gpu|COMPLETED|2025-03-01T10:00:00|2025-03-01T12:00:00|7200|8|1|gres/gpu=4|g1"
    jobs = slurm.read_sacct(f"{header}\n{gpu_job}\n")
    cluster = slurm.load_cluster(data / "cluster.yaml")
    with pytest.raises(
        InputError, match=r"^the accounting has no AllocTRES column, .* the jobs that ran on gpu \(GPUs in the cluster"
    ):
        slurm.estimate_jobs(jobs, cluster)
    src = tmp_path / "sacct.txt"
    src.write_text(f"{header}\n{gpu_job}\n", encoding="utf-8")
    out = run_cli("slurm", str(src), "--cluster", str(data / "cluster.yaml"))
    assert out.returncode == 2 and out.stderr.startswith("co2-estimator: error: the accounting has no AllocTRES")
    gpu_type = next(p for p in cluster.partitions if p.accelerator)
    patterned = dataclasses.replace(cluster, nodes=(("gpunode*", gpu_type),))  # a GPU node pattern no job ran on
    on_cpu_node = gpu_job.replace("|gpu|", "|cpu|").replace("|g1", "|c1")
    fine = slurm.estimate_jobs(slurm.read_sacct(f"{header}\n{on_cpu_node}\n"), patterned)
    assert fine["error"].isna().all()
    cpu_only = gpu_job.replace("|gpu|", "|cpu|")
    if any(p.name == "cpu" and not p.accelerator for p in cluster.partitions):  # a CPU partition needs no AllocTRES
        fine = slurm.estimate_jobs(slurm.read_sacct(f"{header}\n{cpu_only}\n"), cluster)
        assert fine["error"].isna().all()


def test_slurm_refuses_one_file_for_the_jobs_and_the_summary(tmp_path: Path) -> None:
    """--out same.csv --summary same.csv wrote the jobs, then the summary over them, and said it wrote both."""
    data = Path(__file__).parent / "data" / "sacct"
    same = tmp_path / "same.csv"
    out = run_cli("slurm", str(data / "basic.txt"), "--cluster", str(data / "cluster.yaml"), "--out", str(same),
                  "--summary", str(tmp_path / "." / "same.csv"))  # fmt: skip
    assert out.returncode == 2
    assert (
        out.stderr
        == f"co2-estimator: error: --out and --summary are both {same}: the jobs and the summary need a file each\n"
    )
    assert not same.exists()


@pytest.mark.parametrize(
    ("card", "key", "hub_reads"),
    [
        ("---\nlicense: mit\nextra_gated_prompt: >\n  Please agree\n  to the terms\n---\nbody\n", None, None),
        ("---\nlicense: mit\nnote: |\n  hi\n---\n", None, None),
        ("---\nlicense: mit\nnote: |+\n  hi\n\n---\n", None, None),
        ("---\nlicense: mit\nwidget:\n- text: >\n    hello\n---\n", None, None),  # nested in a list
        ("---\nlicense: mit\nextra:\n  prompt: |\n    agree\n---\n", None, None),  # nested in a mapping
        (
            "---\nco2_eq_emissions:\n  emissions: 5\n  training_time: |\n    72 hours\n---\n",
            "training_time",
            "72 hours",
        ),
    ],
)
def test_a_block_scalar_ending_the_front_matter_reads_the_same_after_the_card_is_set(
    tmp_path: Path, card: str, key: str | None, hub_reads: str | None
) -> None:
    """The Hub reads the front matter without its last line break, so a '>' or '|' text ending it has no final
    line break; entries written after it gave it one ('Please agree to the terms\\n'), unseen by the check."""
    from huggingface_hub import metadata_load

    from estimator.modelcard import card_grams, update_card

    path = tmp_path / "README.md"
    path.write_text(card, encoding="utf-8")
    before = metadata_load(path) or {}
    e = estimate(hardware="nvidia-t4", hours=3, region="FR", year=2024)
    update_card(path, e, training_type="fine-tuning", write=True)
    after = metadata_load(path) or {}
    assert {k: v for k, v in after.items() if k != "co2_eq_emissions"} == {
        k: v for k, v in before.items() if k != "co2_eq_emissions"
    }
    assert after["co2_eq_emissions"]["emissions"] == card_grams(e)
    if key is not None:
        assert after["co2_eq_emissions"][key] == before["co2_eq_emissions"][key] == hub_reads


def test_a_card_refuses_grams_the_hub_would_read_as_other_grams(tmp_path: Path) -> None:
    """36 ms on a T4 is 3.34e-05 g: written as such, the Hub's filter read 3.34 g (the digits before the
    exponent); update_card wrote any mapping's emissions ('12 kg', -3, True)."""
    from estimator.modelcard import CardError, CardWarning, card_block, hub_grams, update_card

    tiny = estimate(hardware="nvidia-t4", hours=0.00001, region="FR", year=2024)
    assert hub_grams(tiny.co2e_g) == pytest.approx(float(str(tiny.co2e_g).split("e")[0]))  # the misreading
    with pytest.warns(CardWarning, match=r"^emissions \d\.\d+e-05 g cannot be written so that the Hub reads it"):
        card_block(tiny)  # shown (web page, MLflow, --format modelcard): said, not refused
    path = tmp_path / "README.md"
    path.write_text("---\nlicense: mit\n---\n", encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CardWarning)
        with pytest.raises(CardError, match="cannot be written so that the Hub reads it"):
            update_card(path, tiny, write=True)  # written: refused
    for bad, said in (("12 kg", "as a number"), (-3, "0 or more"), (True, "as a number"), (1e16, "cannot be")):
        with pytest.raises(CardError, match=said):
            update_card(path, {"emissions": bad}, write=True)
    assert path.read_text(encoding="utf-8") == "---\nlicense: mit\n---\n"
    out = run_cli("card", str(path), "--hardware", "nvidia-t4", "--hours", "0.00001", "--region", "FR", "--write")
    assert out.returncode == 2 and "cannot be written so that the Hub reads it" in out.stderr
    zero = estimate(hardware="nvidia-t4", hours=3, intensity=0)
    with pytest.warns(CardWarning, match=r"^emissions 0 g .*the Hub's emissions filter leaves a card with 0 out"):
        assert card_block(zero)["emissions"] == 0


def test_lint_does_not_offer_a_fix_that_cannot_work_for_tiny_grams(tmp_path: Path) -> None:
    card = tmp_path / "README.md"
    card.write_text("---\nco2_eq_emissions:\n  emissions: 0.0000334\n---\n", encoding="utf-8")
    out = run_cli("lint", str(card))
    assert out.returncode == 1
    assert (
        "    fix: none: the Hub reads a number of grams under 0.0001 or from 1e16 by the digits before its exponent, "
        "however it is written; check the figure (a run's hours, its counts)"
    ) in out.stdout.splitlines()


def _runs_csv(path: Path, n: int) -> None:
    rows = "".join(f"nvidia-t4,{1 + k % 7},FR\n" for k in range(n))
    path.write_text("hardware,hours,region\n" + rows, encoding="utf-8")


def test_sigterm_mid_batch_leaves_no_temporary_file(tmp_path: Path) -> None:
    """Slurm ends a job at its time limit with SIGTERM: the half-written temporary file stayed beside the output."""
    import signal
    import subprocess
    import sys
    import time

    src, out = tmp_path / "runs.csv", tmp_path / "out.csv"
    _runs_csv(src, 600_000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "estimator", "batch", str(src), "-o", str(out), "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")] and proc.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.005)
    if proc.poll() is not None:  # pragma: no cover - finished before its temporary file was seen
        pytest.skip("the batch ended before it could be interrupted")
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs.csv"]  # no output, no temporary file


def test_a_closed_pipe_ends_batch_quietly(tmp_path: Path) -> None:
    """`co2-estimator batch runs.csv | head -3` said 'cannot write stdout: Broken pipe; nothing written', exit 2."""
    import subprocess
    import sys

    src = tmp_path / "runs.csv"
    _runs_csv(src, 200_000)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parent.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "estimator", "batch", str(src), "--no-progress"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None and proc.stderr is not None
    assert proc.stdout.readline().startswith(b'"hardware","hours","region","energy_kwh"')
    proc.stdout.close()
    assert proc.wait(timeout=60) == 0
    assert proc.stderr.read() == b""


def test_a_quoted_name_ending_in_a_line_break_is_a_name_not_an_unclosed_quote(tmp_path: Path) -> None:
    """pandas writes a name ending in a line break quoted; batch refused the whole file ('is a closing quote
    missing?'), while estimate_many of the same table estimated every row."""
    src = tmp_path / "runs.csv"
    pd.DataFrame({"hardware": ["nvidia-t4\n", "nvidia-t4"], "hours": [1, 2], "region": ["FR", "FR"]}).to_csv(
        src, index=False
    )
    out = run_cli("batch", str(src), "-o", str(tmp_path / "out.csv"))
    assert out.returncode == 0, out.stderr
    got = pd.read_csv(tmp_path / "out.csv")
    want = estimate_many(pd.read_csv(src))
    assert got["co2e_g"].tolist() == want["co2e_g"].tolist() and got["error"].isna().all()
    literal = tmp_path / "literal.csv"  # a literal quote in an unquoted cell is text, not an open quote
    literal.write_text('hardware,hours,region,note\n"nvidia-t4\n",1,FR,12" disk\nnvidia-t4,2,FR,x\n', encoding="utf-8")
    assert run_cli("batch", str(literal), "-o", str(tmp_path / "out1.csv")).returncode == 0
    swallowed = tmp_path / "swallowed.csv"  # an unclosed quote: the next lines read as one cell, delimiters and all
    swallowed.write_text('hardware,hours,region\n"nvidia-t4,1,FR\nnvidia-t4,2,FR\n"x",3,FR\n', encoding="utf-8")
    out = run_cli("batch", str(swallowed), "-o", str(tmp_path / "out2.csv"))
    assert out.returncode == 2 and "is a closing quote missing?" in out.stderr


def test_a_unit_comment_on_emissions_goes_with_the_old_value(tmp_path: Path) -> None:
    """'emissions: 5  # kg' became 'emissions: 10  # kg': the new grams called kilograms. Other comments stay."""
    from estimator.modelcard import merge

    card = "---\nco2_eq_emissions:\n  emissions: 5  # kg\n  source: x  # who\n---\n"
    out = merge(card, {"emissions": 10, "source": "y"})
    assert out == "---\nco2_eq_emissions:\n  emissions: 10\n  source: y  # who\n---\n"
    for unit in ("# kgCO2e", "# tCO2eq", "# MtCO2e", "# 5kg", "# tonnes"):
        assert merge(f"---\nco2_eq_emissions:\n  emissions: 5  {unit}\n---\n", {"emissions": 10}).count("#") == 0
    for kept in ("# don't edit", "# at the wall", "# measured"):
        assert kept in merge(f"---\nco2_eq_emissions:\n  emissions: 5  {kept}\n---\n", {"emissions": 10})
    assert merge("---\nco2_eq_emissions:\n  emissions: 5  # grams, measured\n---\n", {"emissions": 10}) == (
        "---\nco2_eq_emissions:\n  emissions: 10  # grams, measured\n---\n"
    )


def test_a_sweeps_card_says_its_emissions_cover_all_runs() -> None:
    from estimator.modelcard import card_block

    e = estimate(hardware="nvidia-t4", hours=3, region="FR", trials=50)
    assert "; all 50 runs of a sweep; data " in card_block(e)["source"]
    assert "runs of a sweep" not in card_block(estimate(hardware="nvidia-t4", hours=3, region="FR"))["source"]


def test_card_and_lint_fix_refuse_what_they_cannot_write_with_exit_2(tmp_path: Path) -> None:
    """A card the block would push over the 10 MB limit was written (and then refused by card and lint); lint
    --fix --write on a read-only card exited 1, the status of findings."""
    from estimator.modelcard import MAX_CARD_BYTES, CardError, update_card

    big = tmp_path / "big.md"
    big.write_text("x" * (MAX_CARD_BYTES - 100), encoding="utf-8")
    with pytest.raises(CardError, match="over the 10,000,000-byte limit"):
        update_card(big, estimate(hardware="nvidia-t4", hours=3, region="FR"), write=True)
    assert big.stat().st_size == MAX_CARD_BYTES - 100
    ro = tmp_path / "ro.md"
    ro.write_text('---\nco2_eq_emissions:\n  emissions: "1.7 kg"\n---\n', encoding="utf-8")
    ro.chmod(0o444)
    out = run_cli("lint", "--fix", "--write", str(ro))
    assert out.returncode == 2 and "is read-only" in out.stderr
    assert ro.read_text(encoding="utf-8") == '---\nco2_eq_emissions:\n  emissions: "1.7 kg"\n---\n'


def test_the_dask_recipe_of_docs_slurm_runs_and_writes_parquet(tmp_path: Path) -> None:
    """docs/slurm.md's 'Beyond one machine' ended in ArrowInvalid at to_parquet (Dask's placeholder objects)."""
    from estimator import slurm

    dask = pytest.importorskip("dask")  # the dask extra (CI installs it): typed as the tests of test_slurm.py
    dd = pytest.importorskip("dask.dataframe")

    data = Path(__file__).parent / "data" / "sacct"
    text = (data / "basic.txt").read_text()
    files = []
    for month in (1, 2):
        path = tmp_path / f"sacct-2025-{month:02d}.txt"
        path.write_text(text.replace("2025-03-", f"2025-{month:02d}-"), encoding="utf-8")
        files.append(path)
    cluster = slurm.load_cluster(data / "cluster.yaml")
    months = [dask.delayed(slurm.read_sacct)(str(f)) for f in files]
    jobs = dd.from_delayed(months, meta=slurm.read_sacct(str(files[0])).iloc[:0])
    out = jobs.map_partitions(slurm.estimate_jobs, cluster, meta=slurm.estimate_jobs(jobs._meta, cluster))
    with dask.config.set(scheduler="synchronous"):
        out.to_parquet(str(tmp_path / "jobs"), schema=None)
    back = pd.read_parquet(tmp_path / "jobs")
    want = pd.concat([slurm.estimate_jobs(slurm.read_sacct(str(f)), cluster) for f in files], ignore_index=True)
    assert back["co2e_g"].fillna(-1).tolist() == want["co2e_g"].fillna(-1).tolist()
    assert (tmp_path / "jobs").is_dir() and "schema=None" in (
        Path(__file__).parent.parent / "docs" / "slurm.md"
    ).read_text()


@pytest.mark.parametrize(
    "card",
    [
        "--- \nlicense: mit\nco2_eq_emissions:\n  emissions: 3500\n---\n# m\n",  # the Hub finds no front matter
        "---\nlicense: mit\nco2_eq_emissions:\n  emissions:\t2500\n---\n# m\n",  # the Hub's loader refuses the tab
    ],
)
def test_the_dump_scan_reads_a_card_as_the_folder_reader_does(tmp_path: Path, card: str) -> None:
    """The dump scan's fast path (libyaml, its own opener rule) counted 3,500 and 2,500 g that the Hub never
    reads, and that the folder scan and lint refuse."""
    from huggingface_hub import metadata_load

    from estimator.hubdump import read_dump_card
    from estimator.modelcard import CardError, read_card_text

    record, has_block, bad = read_dump_card(card, "m/x")
    assert (record.emissions_g, has_block, bad) == (None, False, True)
    with pytest.raises(CardError):
        read_card_text(card, "m/x")
    path = tmp_path / "README.md"
    path.write_text(card, encoding="utf-8")
    try:
        hub = metadata_load(path)
    except Exception:
        hub = None
    assert not hub or "co2_eq_emissions" not in hub


def test_a_job_that_held_nothing_says_so(tmp_path: Path) -> None:
    """NCPUS 0 in a partition with a cpu model was told 'partition 'cpu' has no cpu in the cluster description'."""
    from estimator import slurm

    data = Path(__file__).parent / "data" / "sacct"
    header = "JobID|JobName|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList"
    line = "9101|z|u|a|cpu|CANCELLED by 0|2025-03-10T08:00:00|2025-03-10T08:05:00|300|0|0||None assigned"
    out = slurm.estimate_jobs(slurm.read_sacct(f"{header}\n{line}\n"), slurm.load_cluster(data / "cluster.yaml"))
    assert out["error"].tolist() == [
        "the job held no GPUs and no CPUs (NCPUS 0, as sacct gives for a job cancelled before it was given any); "
        "nothing to count"
    ]


def test_batch_output_dash_is_stdout(tmp_path: Path) -> None:
    src = tmp_path / "runs.csv"
    _runs_csv(src, 3)
    out = run_cli("batch", str(src), "-o", "-")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[0].startswith('"hardware","hours","region","energy_kwh"')
    assert not (tmp_path / "-").exists() and "3 runs" in out.stderr


def test_a_card_kept_place_beside_a_given_intensity_is_said(tmp_path: Path) -> None:
    """An estimate with intensity given names no place: the card's old 'France' stayed beside 'grid intensity
    given by the authors' without a word."""
    from estimator.modelcard import CardWarning, update_card

    path = tmp_path / "README.md"
    path.write_text("---\nco2_eq_emissions:\n  emissions: 5\n  geographical_location: France\n---\n", encoding="utf-8")
    e = estimate(hardware="nvidia-t4", hours=2, intensity=50)
    with pytest.warns(CardWarning, match="geographical_location 'France' is kept from the card"):
        update = update_card(path, e, training_type="fine-tuning")
    assert "geographical_location: France" in update.new
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        update_card(path, estimate(hardware="nvidia-t4", hours=2, region="DE"), training_type="fine-tuning")
        update_card(path, {"emissions": 7})  # the person's own keys: nothing said


def test_a_column_0_comment_inside_the_block_is_part_of_it(tmp_path: Path) -> None:
    """The Hub reads 'co2_eq_emissions:\\n# measured\\n  emissions: ...' as one block; card refused it ('the merge
    would change other metadata'), lint --fix could not fix it and its findings pointed at the key's line."""
    from huggingface_hub import metadata_load

    text = '---\nlicense: mit\nco2_eq_emissions:\n# measured\n  emissions: "1.7 kg"\n---\n'
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    out = run_cli("lint", str(path))
    assert (
        f"{path}:5: warning units-in-string: emissions is text '1.7 kg', not a number of grams; it means 1,700 g"
        in (out.stdout.splitlines())
    )
    assert run_cli("lint", "--fix", "--write", str(path)).returncode == 1  # fixed; the missing fields remain
    assert (
        path.read_text(encoding="utf-8") == "---\nlicense: mit\nco2_eq_emissions:\n# measured\n  emissions: 1700\n---\n"
    )
    out = run_cli("card", str(path), "--hardware", "nvidia-t4", "--hours", "3", "--region", "FR", "--write")
    assert out.returncode == 0, out.stderr
    block = (metadata_load(path) or {})["co2_eq_emissions"]
    assert block["emissions"] == 10 and "# measured\n  emissions: 10\n" in path.read_text(encoding="utf-8")


def test_the_form_remembers_only_regions_the_person_chose() -> None:
    """europe-west4 -> instance (aws:us-east-1, chosen by the form) -> hardware -> europe-west9 -> instance gave
    aws:us-east-1 again (remembered), not aws:eu-west-3 on europe-west9's grid."""
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west4").run()
    at.radio(key="what").set_value("instance").run()
    assert at.session_state["region"] == "aws:us-east-1"
    at.radio(key="what").set_value("device").run()
    at.selectbox(key="region").set_value("gcp:europe-west9").run()
    at.radio(key="what").set_value("instance").run()
    assert at.session_state["region"] == "aws:eu-west-3"


def test_a_links_reading_note_goes_when_the_form_moves_its_region() -> None:
    at = run_app({"hardware": "nvidia-t4", "hours": "10", "region": "us-east1"})
    assert [i for i in infos(at) if i.startswith("From the link")]
    at.radio(key="what").set_value("instance").run()  # an AWS instance: the region is moved to AWS's
    assert at.session_state["region"].startswith("aws:")
    assert [i for i in infos(at) if i.startswith("From the link")] == []


def test_a_tiny_estimate_shows_without_a_card_crash() -> None:
    """A link of 36 s at 0.01 g/kWh: card_block refused the emissions and the page ended in an exception."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        at = run_app({"hardware": "nvidia-t4", "hours": "0.01", "intensity": "0.01"})
    assert not at.exception and at.metric


def test_part_of_a_tpu_instance_says_only_its_memory_is_counted_beside_it() -> None:
    e = estimate(instance="gcp:v4-8", count=2, hours=1, region="gcp:us-central2")
    assert (
        "count 2 of the 4 accelerators of gcp:v4-8: those 2 and the whole instance's host (its memory) are "
        "counted; leave count out for the whole instance"
    ) in e.warnings


@pytest.mark.parametrize(
    ("card", "fix"),
    [
        (
            "---\nx: &a 5\nco2_eq_emissions:\n  emissions: *a\n---\n",
            "write each aliased value (*name) out in full: aliases are valid YAML, but refused here",
        ),
        (
            "---\nco2_eq_emissions:\n  emissions: 5\n...\n# m\n",
            "change the '...' line to '---', where the Hub ends front matter",
        ),
        (
            "---\nco2_eq_emissions: {emissions: 5\n---\n",
            "make the front matter valid YAML (plain keys and values; no !!python tags)",
        ),
    ],
)
def test_lints_fix_for_front_matter_it_cannot_read_says_what_to_do(tmp_path: Path, card: str, fix: str) -> None:
    path = tmp_path / "README.md"
    path.write_text(card, encoding="utf-8")
    out = run_cli("lint", str(path))
    assert out.returncode == 1 and f"    fix: {fix}" in out.stdout.splitlines()


def test_slurm_does_not_print_how_names_were_read(tmp_path: Path) -> None:
    """Its names are the cluster description's; jobs of 2019 (before FR's series) printed the batch note once per
    what-if, naming columns its output does not have."""
    data = Path(__file__).parent / "data" / "sacct"
    src = tmp_path / "sacct.txt"
    src.write_text((data / "basic.txt").read_text().replace("2025-", "2019-"), encoding="utf-8")
    out = run_cli("slurm", str(src), "--cluster", str(data / "cluster.yaml"), "--report", str(tmp_path / "r.html"))
    assert out.returncode == 0, out.stderr
    assert "how inputs were read" not in out.stderr and "inputs read as" not in out.stderr


def test_a_user_called_total_is_a_user_in_the_report() -> None:
    """The report's charts dropped every row named 'total', a user of that name too, and styled it as the total."""
    from estimator import slurm, slurm_report

    data = Path(__file__).parent / "data" / "sacct"
    text = (data / "basic.txt").read_text().replace("|alice|", "|total|")
    cluster = slurm.load_cluster(data / "cluster.yaml")
    jobs = slurm.estimate_jobs(slurm.read_sacct(text), cluster)
    table = slurm.summarize(jobs, "user")
    assert list(table["user"]).count("total") == 2  # the user, then the total row (last)
    user_kg = float(table[table["user"] == "total"].iloc[0]["co2e_kg"])
    top = slurm_report.chart_top(jobs, "user").data
    assert "total" in list(top["user"]) and float(top[top["user"] == "total"].iloc[0]["co2e_kg"]) == user_kg
    assert len(top) == len(table) - 1
    page = slurm_report.report_html(jobs, cluster)
    assert page.count('<tr class="total">') == 4  # month, user, account, partition: one total row each


NEW_YEAR_JOB = (
    "JobID|JobName|User|Account|Partition|State|Start|End|ElapsedRaw|NCPUS|NNodes|AllocTRES|NodeList\n"
    "1005|ny|carol|nlp|gpu|COMPLETED|2024-12-31T18:00:00|2025-01-01T06:00:00|43200|8|1|"
    "billing=8,cpu=8,gres/gpu=4,mem=64G,node=1|gpu001\n"
    "1006|in|dave|nlp|gpu|COMPLETED|2025-03-01T10:00:00|2025-03-01T12:00:00|7200|8|1|"
    "billing=8,cpu=8,gres/gpu=4,mem=64G,node=1|gpu001\n"
)


def test_within_year_cuts_a_job_across_new_year_so_yearly_totals_add_up(tmp_path: Path) -> None:
    """sacct's window gives the jobs that overlap a year, whole: 12 h from 2024-12-31T18:00 were counted in both
    years' reports. Cut, 6 h go to each year, at that year's intensity; the two add up to the whole job."""
    from estimator import slurm

    data = Path(__file__).parent / "data" / "sacct"
    cluster = slurm.load_cluster(data / "cluster.yaml")
    jobs = slurm.read_sacct(NEW_YEAR_JOB)
    whole = slurm.estimate_jobs(jobs, cluster)
    parts = {y: slurm.estimate_jobs(slurm.within_year(jobs, y), cluster) for y in (2024, 2025)}
    assert list(parts[2024]["hours"]) == [6.0, 0.0] and list(parts[2025]["hours"]) == [6.0, 2.0]
    assert str(parts[2025]["start"][0]) == "2025-01-01 00:00:00" and parts[2025]["month"][0] == "2025-01"
    assert parts[2024]["co2e_g"][0] + parts[2025]["co2e_g"][0] == pytest.approx(whole["co2e_g"][0], rel=1e-12)
    assert parts[2025]["co2e_g"][1] == whole["co2e_g"][1]  # a job within the year is left as it was
    assert parts[2024]["co2e_g"][1] == 0.0  # no hour of it in 2024: kept, at 0
    each = estimate(hardware="nvidia-a100-sxm4-80gb", hours=1, region="FR", year=2025).intensity_g_per_kwh
    assert parts[2025]["intensity_g_per_kwh"][0] == each  # the 2025 part at the 2025 figure
    with pytest.raises(InputError, match="calendar year"):
        slurm.within_year(jobs, 25)
    src = tmp_path / "sacct.txt"
    src.write_text(NEW_YEAR_JOB, encoding="utf-8")
    out = run_cli("slurm", str(src), "--cluster", str(data / "cluster.yaml"), "--within-year", "2025")
    assert out.returncode == 0, out.stderr
    assert "hours within 2025 only: 1 job cut at the year's bounds" in out.stdout.splitlines()


@settings(max_examples=60, deadline=None)
@given(
    start_s=st.integers(min_value=0, max_value=3 * 366 * 86400),
    hours=st.floats(min_value=0.0, max_value=2 * 8784.0, allow_nan=False),
)
def test_property_a_jobs_hours_within_each_year_sum_to_its_hours(start_s: int, hours: float) -> None:
    """Cut to each year it touches, a job's hours (to the second, as sacct counts them) sum to its whole."""
    from estimator import slurm

    start = np.datetime64("2023-01-01T00:00:00", "s") + np.timedelta64(start_s, "s")
    jobs = pd.DataFrame({"start": pd.Series([start], dtype="datetime64[s]"), "hours": [round(hours * 3600) / 3600]})
    first = int(str(start)[:4])
    cut = [float(slurm.within_year(jobs, y)["hours"][0]) for y in range(first, first + 4)]
    assert sum(cut) == pytest.approx(float(jobs["hours"][0]), abs=1e-9)
    assert all(0.0 <= c <= float(jobs["hours"][0]) + 1e-12 for c in cut)
