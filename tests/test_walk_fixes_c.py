"""Fixes from a new user's walk through the README: MLflow's store, training types, lint, regions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, import_needed, run_cli

# ---------------------------------------------------------------- MLflow refusing its store

LOG = """
from estimator import estimate
from estimator.integrations.mlflow import TrackingStoreError, log_estimate
try:
    print("run", log_estimate(estimate(hardware="nvidia-t4", hours=1, region="FR"), score=0.9))
except TrackingStoreError as err:
    print("error", str(err))
"""


def _log_in_fresh_process(tmp_path: Path, **env: str) -> str:
    """The README's example in a new process, in an empty folder, with only ``env`` of MLflow's variables."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    done = subprocess.run(
        [sys.executable, "-c", LOG],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**clean, **env, "PYTHONPATH": str(ROOT)},
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def _opens_sqlite() -> bool:
    """Full mlflow (with SQLAlchemy) opens its default sqlite store; mlflow-skinny cannot."""
    import importlib.util

    return importlib.util.find_spec("sqlalchemy") is not None


@pytest.mark.parametrize(
    ("env", "why"),
    [
        ({}, "MLflow's default when MLFLOW_TRACKING_URI is not set"),
        ({"MLFLOW_TRACKING_URI": "file:./mlruns"}, "'file:./mlruns' only when MLFLOW_ALLOW_FILE_STORE=true is set"),
    ],
)
def test_mlflow_store_refused_is_one_line_naming_the_fix(tmp_path: Path, env: dict[str, str], why: str) -> None:
    mlflow = import_needed("mlflow")
    if int(mlflow.__version__.split(".")[0]) < 3 or (not env and _opens_sqlite()):
        pytest.skip("this MLflow opens the store: nothing to refuse")
    out = _log_in_fresh_process(tmp_path, **env)
    assert out.startswith("error ") and out.count("\n") == 1, out
    assert why in out
    assert "MLFLOW_TRACKING_URI=file:./mlruns and MLFLOW_ALLOW_FILE_STORE=true" in out
    assert "MLflow server (e.g. http://localhost:5000)" in out


def test_mlflow_local_folder_with_both_variables_logs(tmp_path: Path) -> None:
    import_needed("mlflow")
    out = _log_in_fresh_process(tmp_path, MLFLOW_TRACKING_URI="file:./mlruns", MLFLOW_ALLOW_FILE_STORE="true")
    assert out.startswith("run ") and (tmp_path / "mlruns").is_dir(), out


# ---------------------------------------------------------------- a misspelt training type

CARD = "---\nlicense: mit\n---\n# nt\n"
CARD_ARGS = ("--hardware", "T4", "--hours", "2", "--region", "FR")


@pytest.mark.parametrize(
    ("given", "meant"),
    [
        ("finetuning", "fine-tuning"),
        ("pretraining", "pre-training"),
        ("Fine-Tuning", "fine-tuning"),
        ("pre_training", "pre-training"),
        ("fine-tunning", "fine-tuning"),
    ],
)
def test_card_refuses_a_misspelt_training_type(tmp_path: Path, given: str, meant: str) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(CARD, encoding="utf-8")
    r = run_cli("card", str(readme), *CARD_ARGS, "--training-type", given, "--write")
    assert r.returncode == 2 and r.stdout == "", r
    assert r.stderr.count("\n") == 1 and f"did you mean '{meant}'?" in r.stderr, r.stderr
    assert "pre-training, fine-tuning" in r.stderr
    assert readme.read_text(encoding="utf-8") == CARD


def test_card_writes_a_deliberately_custom_training_type_with_a_warning(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(CARD, encoding="utf-8")
    r = run_cli("card", str(readme), *CARD_ARGS, "--training-type", "distillation", "--write")
    assert r.returncode == 0, r.stderr
    assert "training_type 'distillation' is not one the Hub knows" in r.stderr
    assert "  training_type: distillation\n" in readme.read_text(encoding="utf-8")


def test_api_refuses_a_misspelt_training_type() -> None:
    from estimator import estimate, modelcard
    from estimator.errors import InputError

    e = estimate(hardware="nvidia-t4", hours=2, region="FR")
    with pytest.raises(InputError, match=r"did you mean 'fine-tuning'\?") as caught:
        modelcard.card_block(e, "finetuning")
    assert caught.value.field == "training_type"
    assert modelcard.card_block(e, "fine-tuning")["training_type"] == "fine-tuning"


# ---------------------------------------------------------------- lint --fail-on, and fix lines as examples


def test_lint_of_a_card_the_tool_wrote_fails_only_on_warnings_unless_fail_on_error(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(CARD, encoding="utf-8")
    assert run_cli("card", str(readme), *CARD_ARGS, "--write").returncode == 0
    strict = run_cli("lint", str(readme), "--require-block")
    assert strict.returncode == 1, strict
    assert "warning missing-field: co2_eq_emissions has no training_type" in strict.stdout
    assert "    fix: add training_type: <pre-training or fine-tuning>\n" in strict.stdout
    lenient = run_cli("lint", str(readme), "--require-block", "--fail-on", "error")
    assert lenient.returncode == 0, lenient
    assert lenient.stdout == strict.stdout  # the same findings are printed either way


def test_lint_fail_on_error_still_fails_on_an_error(tmp_path: Path) -> None:
    card = ROOT / "tests" / "cards" / "kg_string.md"
    r = run_cli("lint", str(card), "--fail-on", "error")
    assert r.returncode == 1 and " error hub-misread: " in r.stdout, r
    empty = tmp_path / "README.md"
    empty.write_text(CARD, encoding="utf-8")
    assert run_cli("lint", str(empty), "--require-block", "--fail-on", "error").returncode == 1  # no-block is an error
    bad = run_cli("lint", str(card), "--fail-on", "warnings")
    assert bad.returncode == 2 and "'warning'" in bad.stderr and bad.stderr.count("\n") == 1, bad


def test_lint_fix_lines_read_as_examples_not_as_values_from_the_card(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("---\nco2_eq_emissions:\n  emissions: 12\n---\n", encoding="utf-8")
    r = run_cli("lint", str(readme))
    assert r.returncode == 1
    fixes = sorted(line.strip() for line in r.stdout.splitlines() if line.startswith("    fix: "))
    assert fixes == [
        "fix: add geographical_location: <a cloud region, country or place, e.g. gcp:us-central1>",
        "fix: add hardware_used: <your hardware, e.g. 8 x NVIDIA A100 SXM4 80GB>",
        "fix: add source: <the tool and method you used, e.g. CodeCarbon>",
        "fix: add training_type: <pre-training or fine-tuning>",
    ]


def test_lint_suggests_the_training_type_a_card_misspells(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text("---\nco2_eq_emissions:\n  emissions: 12\n  training_type: finetuning\n---\n", encoding="utf-8")
    r = run_cli("lint", str(readme), "--format", "json")
    (finding,) = [f for f in json.loads(r.stdout)["findings"] if f["code"] == "training-type"]
    assert finding["message"].endswith("did you mean 'fine-tuning'?")
    assert finding["fix"] == "write training_type: fine-tuning"


# ---------------------------------------------------------------- a bare region id one character from another's


def test_provider_clash_suggests_the_providers_closest_region() -> None:
    r = run_cli("estimate", "--hardware", "T4", "--hours", "1", "--region", "us-east1", "--provider", "aws")
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr == (
        "co2-estimator: error: --region gcp:us-east1 is a gcp region but provider is aws; give one of them; "
        "did you mean aws:us-east-1?\n"
    )


def test_bare_region_id_one_character_from_another_providers_gets_a_note() -> None:
    from estimator import estimate

    e = estimate(hardware="nvidia-t4", hours=1, region="us-east1")
    assert e.region is not None and e.region["id"] == "gcp:us-east1"
    (note,) = [w for w in e.warnings if w.startswith("region 'us-east1'")]
    assert "aws:us-east-1" in note and "one character away" in note
    r = run_cli("estimate", "--hardware", "T4", "--hours", "1", "--region", "us-east1")
    assert r.returncode == 0 and "aws:us-east-1" in r.stdout
    # the full id, or a bare id with no near twin elsewhere, gets no such note
    for region in ("gcp:us-east1", "us-central1"):
        assert not any(
            "one character away" in w for w in estimate(hardware="nvidia-t4", hours=1, region=region).warnings
        )


# ---------------------------------------------------------------- walk findings left last stop


def test_a_place_with_only_a_marginal_figure_says_basis_marginal_uses_it() -> None:
    """Monaco has only UNFCCC's operating-margin figure (158 g/kWh, 2021): the error names it as the way out."""
    from estimator import estimate
    from estimator.errors import InputError

    with pytest.raises(InputError) as info:
        estimate(hardware="nvidia-t4", hours=1, region="MC")
    assert str(info.value) == (
        "no life-cycle intensity figure for MC (Monaco); basis='marginal' uses its UNFCCC operating-margin "
        "figure, or give intensity in gCO2e/kWh"
    )
    assert info.value.field == "region"
    done = run_cli("estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "MC")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "co2-estimator: error: no life-cycle intensity figure for MC (Monaco); --basis 'marginal' uses its "
        "UNFCCC operating-margin figure, or give intensity in gCO2e/kWh"
    ]
    e = estimate(hardware="nvidia-t4", hours=1, region="MC", basis="marginal")  # 70 W × 1 h × PUE 1.54 × 158 g/kWh
    assert (e.intensity_g_per_kwh, e.intensity_basis) == (158.0, "marginal")
    assert e.co2e_g == 70 * 1 * 1.54 / 1000 * 158


def test_card_on_a_missing_file_says_how_to_start_one_and_an_empty_file_becomes_a_card(tmp_path: Path) -> None:
    args = ("--hardware", "nvidia-t4", "--hours", "1", "--region", "FR", "--training-type", "fine-tuning")
    done = run_cli("card", "README.md", *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines() == [
        "co2-estimator: error: README.md: no such file; give the path of the model card (README.md) to merge "
        "the block into, or create an empty README.md there to start one"
    ]
    assert list(tmp_path.iterdir()) == []  # nothing made up
    (tmp_path / "README.md").write_text("", encoding="utf-8")
    done = run_cli("card", "README.md", *args, "--write", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert text.startswith("---\nco2_eq_emissions:\n  emissions: ") and text.endswith("---\n")
    assert "  training_type: fine-tuning\n" in text


def _region_id(**kwargs: Any) -> str:
    from estimator import estimate

    region = estimate(**kwargs).region
    assert region is not None
    return str(region["id"])


def test_an_instance_with_another_providers_region_is_refused_with_its_providers_region() -> None:
    """us-east1 is GCP's (South Carolina); a p4d runs only on AWS, whose us-east-1 is in Virginia."""
    from estimator import estimate
    from estimator.errors import InputError

    with pytest.raises(InputError) as info:
        estimate(instance="aws:p4d.24xlarge", hours=1, region="us-east1")
    assert str(info.value) == (
        "region gcp:us-east1 is a gcp region but instance aws:p4d.24xlarge runs on aws; give one of aws's regions, "
        "or a grid zone; did you mean aws:us-east-1?"
    )
    assert info.value.field == "region"
    with pytest.raises(InputError, match=r"runs on aws; give one of aws's regions, or a grid zone$"):
        estimate(instance="aws:p4d.24xlarge", hours=1, region="gcp:europe-west4")  # said in full: no guess
    assert _region_id(instance="aws:p4d.24xlarge", hours=1, region="us-east-1") == "aws:us-east-1"
    assert _region_id(instance="aws:p4d.24xlarge", hours=1, region="FR") == "FR"  # a grid zone is fine
    assert _region_id(instance="gcp:a2-highgpu-1g", hours=1, region="us-east1") == "gcp:us-east1"


def test_the_instance_region_check_holds_with_a_provider_and_suggests_only_the_same_grid_or_a_typo() -> None:
    from estimator import estimate
    from estimator.errors import InputError

    with pytest.raises(InputError, match=r"provider gcp conflicts with instance aws:p4d\.24xlarge"):
        estimate(instance="aws:p4d.24xlarge", provider="gcp", hours=1, region="gcp:us-east1")
    # us-central1 is Iowa: aws:ca-central-1 (Canada) is spelt alike but another grid, so no guess
    with pytest.raises(InputError, match=r"give one of aws's regions, or a grid zone$"):
        estimate(instance="aws:p4d.24xlarge", hours=1, region="us-central1")
    # europe-west3 is Frankfurt (zone DE): AWS's regions in DE, not Milan's eu-south-1
    with pytest.raises(InputError, match=r"did you mean aws:eu-central-1( or [^?]+)?\?$") as info:
        estimate(instance="aws:p4d.24xlarge", hours=1, region="europe-west3")
    assert "eu-south" not in str(info.value)


def test_cpu_cores_over_ten_million_cpus_are_refused() -> None:
    from estimator import estimate
    from estimator.errors import InputError

    with pytest.raises(InputError) as info:
        estimate(cpu="amd-epyc-7742", cpu_cores=1e300, hours=1, region="FR")
    assert info.value.field == "cpu_cores"
    assert str(info.value) == "cpu_cores 1e+300 would be over 10,000,000 CPUs of 64 cores; check the number of cores"
    assert estimate(cpu="amd-epyc-7742", cpu_cores=64 * 10_000_000, hours=1, region="FR").co2e_g > 0
