"""from_codecarbon: CodeCarbon 1.x/2.x/3.x emissions.csv layouts, the model-card block, the comparison, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from estimator import estimate
from estimator.codecarbon import from_codecarbon
from estimator.errors import InputError, NotFoundError
from tests.conftest import run_cli

DATA = Path(__file__).resolve().parent / "data"
V1 = DATA / "codecarbon_v1.csv"  # before codecarbon_version and pue columns
V2 = DATA / "codecarbon_v2.csv"  # 2.2-2.7: pue, codecarbon_version
V3 = DATA / "codecarbon_v3.csv"  # 3.x: experiment_id, utilisation, water_consumed, wue
EMPTY = DATA / "codecarbon_empty.csv"


def test_v2_default_is_the_last_row_and_measured_numbers_are_converted() -> None:
    run = from_codecarbon(V2)
    assert run.run_id == "0b6e2c1a-3333-4c1e-9a55-000000000003"
    assert run.measured_co2e_g == pytest.approx(0.016563636840486076 * 1000)
    assert run.measured_energy_kwh == pytest.approx(0.03388806064239389)
    assert run.codecarbon_version == "2.4.2"
    # "Intel(R) Xeon(R) CPU @ 2.20GHz" names a family, not a model: no comparison, a note says why
    assert run.estimate is None and run.ratio is None
    assert any("no comparison" in n and "Intel(R) Xeon(R) CPU @ 2.20GHz" in n for n in run.notes)
    card = run.to_model_card(training_type="fine-tuning")
    block = card["co2_eq_emissions"]
    assert block["emissions"] == pytest.approx(16.56363684)
    assert block["source"].startswith("CodeCarbon 2.4.2")
    assert block["training_type"] == "fine-tuning"
    assert block["geographical_location"] == "Singapore"
    assert block["hardware_used"].startswith("1 x NVIDIA A100-SXM4-40GB")


def test_v2_run_by_id_compares_with_our_estimate() -> None:
    run = from_codecarbon(V2, run_id="0b6e2c1a-1111-4c1e-9a55-000000000001")
    assert run.estimate is not None and run.region_id == "FR"
    expected = estimate(
        hardware="nvidia-a100-sxm4-80gb",
        count=1,
        cpu="amd-epyc-7543",
        cpu_cores=16.0,  # 32 logical CPUs of a 32-core / 64-thread part
        memory_gb=80.0,
        hours=2.0,
        region="FR",
        pue=1.0,
    )
    assert run.estimate.co2e_g == pytest.approx(expected.co2e_g)
    assert run.ratio == pytest.approx(expected.co2e_g / 50.0)
    assert run.energy_ratio == pytest.approx(expected.energy_kwh / 0.645)
    assert run.to_model_card()["co2_eq_emissions"]["emissions"] == 50


def test_run_id_prefix_and_file_pue() -> None:
    run = from_codecarbon(V2, run_id="0b6e2c1a-2222")
    assert run.pue == 1.2 and run.region_id == "US-CA"
    assert run.estimate is not None and run.estimate.pue == 1.2
    assert run.estimate.hardware is not None and run.estimate.hardware["count"] == 4


def test_v3_layout_cloud_region() -> None:
    run = from_codecarbon(V3, run_id="5f0c9a62-aaaa-4b2e-8d0e-0000000000a1")
    assert run.codecarbon_version == "3.0.1"
    assert run.region_id == "gcp:us-central1"
    assert run.measured_co2e_g == pytest.approx(12_500)
    assert run.estimate is not None and run.ratio is not None and run.ratio > 1
    assert run.to_model_card()["co2_eq_emissions"]["source"].startswith("CodeCarbon 3.0.1")


def test_v3_bare_family_name_keeps_the_measured_block() -> None:
    run = from_codecarbon(V3)  # last row: cpu_model "AMD EPYC", no GPU
    assert run.estimate is None
    assert any("'AMD EPYC'" in n for n in run.notes)
    block = run.to_model_card()["co2_eq_emissions"]
    assert block["emissions"] == 10 and block["hardware_used"] == "AMD EPYC"


def test_v1_layout_without_pue_or_version() -> None:
    run = from_codecarbon(V1)
    assert run.codecarbon_version is None and run.pue is None
    assert run.region_id == "CA-QC"
    assert run.estimate is not None and run.estimate.pue == 1.0
    assert any("no pue column" in n for n in run.notes)
    assert run.to_model_card()["co2_eq_emissions"]["source"].startswith("CodeCarbon (measured")


def test_several_runs_say_which_was_used_and_a_project_picks() -> None:
    run = from_codecarbon(V2)
    assert run.notes[0] == (
        "the file holds 3 runs in 2 projects (bert-finetune, codecarbon); used the last usable run: "
        "0b6e2c1a-3333-4c1e-9a55-000000000003 (line 4, 2024-05-27T11:31:35); "
        "choose another with --run-id or --project (run_id= / project=)"
    )
    picked = from_codecarbon(V2, project="bert-finetune")
    assert picked.run_id == "0b6e2c1a-2222-4c1e-9a55-000000000002" and picked.project_name == "bert-finetune"
    assert "used the last usable run of project 'bert-finetune'" in picked.notes[0]
    first = from_codecarbon(V2, run_id="0b6e2c1a-1111", project="bert-finetune")
    assert first.run_id == "0b6e2c1a-1111-4c1e-9a55-000000000001"
    with pytest.raises(NotFoundError, match="no run '0b6e2c1a-3333'"):  # a run of another project
        from_codecarbon(V2, run_id="0b6e2c1a-3333", project="bert-finetune")
    with pytest.raises(NotFoundError, match=r"no project 'bert-fintune'.*did you mean 'bert-finetune'\?"):
        from_codecarbon(V2, project="bert-fintune")


def test_one_run_gets_no_choice_note(tmp_path: Path) -> None:
    f = tmp_path / "emissions.csv"
    f.write_text("run_id,duration,emissions,energy_consumed\nr1,3600,1.0,2.0\n")
    assert not any("holds" in n for n in from_codecarbon(f).notes)


def test_bad_rows_are_skipped_with_a_note(tmp_path: Path) -> None:
    f = tmp_path / "emissions.csv"
    f.write_text(
        "project_name,run_id,duration,emissions,energy_consumed\n"
        "p,good,3600,1.0,2.0\n"
        "p,empty,3600,,2.0\n"
        "p,short,3600\n"
        "p,negative,3600,-1,2.0\n"
    )
    run = from_codecarbon(f)
    assert run.run_id == "good" and run.measured_co2e_g == 1000
    assert run.notes[1] == (
        "skipped 3 bad rows (line 3, 4, 5: column 'emissions' is empty; it is required; "
        "3 cells for the header's 5 columns; column 'emissions' must be a finite number, 0 or more; got '-1')"
    )
    with pytest.raises(InputError, match="line 3: column 'emissions' is empty"):
        from_codecarbon(f, run_id="empty")  # asked for by name: an error, not a skip


def test_to_model_card_has_no_default_training_type() -> None:
    block = from_codecarbon(V2).to_model_card()["co2_eq_emissions"]
    assert "training_type" not in block


def test_to_model_card_overrides() -> None:
    run = from_codecarbon(V2)
    block = run.to_model_card("pre-training", location="Lab 3, Singapore", source="our tracker")["co2_eq_emissions"]
    assert block["geographical_location"] == "Lab 3, Singapore" and block["source"] == "our tracker"
    with pytest.raises(InputError):
        run.to_model_card(training_type="")


def test_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="header but no runs"):
        from_codecarbon(EMPTY)
    with pytest.raises(NotFoundError, match=r"no run 'nope'.*0b6e2c1a-3333"):
        from_codecarbon(V2, run_id="nope")
    with pytest.raises(InputError, match="ambiguous"):
        from_codecarbon(V2, run_id="0b6e2c1a")
    with pytest.raises(InputError, match="no such file"):
        from_codecarbon(tmp_path / "missing.csv")
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(InputError, match="is empty"):
        from_codecarbon(empty)
    wrong = tmp_path / "w.csv"
    wrong.write_text("timestamp;duration;emissions;energy_consumed\n1;2;3;4\n")
    with pytest.raises(InputError, match=r"missing column 'duration'.*';'-separated"):
        from_codecarbon(wrong)
    bad = tmp_path / "b.csv"
    bad.write_text("run_id,duration,emissions,energy_consumed\nx,abc,1,1\n")
    with pytest.raises(InputError, match="line 2: column 'duration' must be a number"):
        from_codecarbon(bad)


def test_mixed_gpus_and_unknown_place(tmp_path: Path) -> None:
    f = tmp_path / "emissions.csv"
    f.write_text(
        "run_id,duration,emissions,energy_consumed,country_name,country_iso_code,cpu_model,gpu_count,gpu_model\n"
        "r1,3600,1.0,2.0,Atlantis,ATL,AMD EPYC 7543 32-Core Processor,5,4 x NVIDIA A401 x NVIDIA A100 80GB PCIe\n"
    )
    run = from_codecarbon(f)
    assert run.estimate is None
    assert any("mixed GPUs" in n for n in run.notes) and any("Atlantis" in n for n in run.notes)
    assert run.to_model_card()["co2_eq_emissions"]["emissions"] == 1000


def test_cli_project_and_notes(tmp_path: Path) -> None:
    r = run_cli("from-codecarbon", str(V2), "--project", "bert-finetune", "--format", "modelcard")
    assert r.returncode == 0, r.stderr
    assert "run 0b6e2c1a-2222" in yaml.safe_load(r.stdout)["co2_eq_emissions"]["source"]
    assert "note: the file holds 3 runs" in r.stderr and "training_type left out" in r.stderr
    card = tmp_path / "README.md"
    card.write_text("# Model\n", encoding="utf-8")
    r = run_cli("card", str(card), "--from-codecarbon", str(V2), "--project", "bert-finetune", "--write")
    assert r.returncode == 0, r.stderr
    assert "used the last usable run of project 'bert-finetune'" in r.stderr
    assert yaml.safe_load(card.read_text(encoding="utf-8").split("---\n")[1])["co2_eq_emissions"]["emissions"] == 291.6
    bad = run_cli("card", str(card), "--hardware", "T4", "--hours", "1", "--project", "x")
    assert bad.returncode == 2 and "give that file too" in bad.stderr
    json_out = run_cli("from-codecarbon", str(V2), "--format", "json")
    assert '"measured_co2e_g": 16.5636368405,' in json_out.stdout  # 12 digits, no float noise


def test_cli_formats() -> None:
    text = run_cli("from-codecarbon", str(V2), "--run-id", "0b6e2c1a-1111")
    assert text.returncode == 0, text.stderr
    assert "measured by CodeCarbon 2.3.4" in text.stdout and "ratio" in text.stdout
    data = json.loads(run_cli("from-codecarbon", str(V3), "--format", "json").stdout)
    assert data["estimate"] is None and data["notes"]
    card = yaml.safe_load(
        run_cli("from-codecarbon", str(V3), "--run-id", "5f0c9a62-aaaa", "--format", "modelcard").stdout
    )
    assert card["co2_eq_emissions"]["emissions"] == 12500


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((str(EMPTY),), "no runs"),
        ((str(V2), "--run-id", "nope"), "no run 'nope'"),
        (("/nonexistent.csv",), "no such file"),
        ((str(V2), "--project", "nope"), "no project 'nope'"),
    ],
)
def test_cli_errors_exit_2_with_one_line(args: tuple[str, ...], message: str) -> None:
    r = run_cli("from-codecarbon", *args)
    assert r.returncode == 2 and r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]
