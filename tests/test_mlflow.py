"""MLflow logging against a real local file store, read back through MLflow's own client."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

import pytest
import yaml

from estimator import estimate, estimate_inference, modelcard
from estimator.errors import InputError, MissingExtraError
from estimator.integrations import mlflow as co2_mlflow
from tests.conftest import import_needed

# CI installs the [test] extra, which carries MLflow: there the test must run (tests/conftest.py).
mlflow = import_needed("mlflow")


@pytest.fixture
def tracking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    # The issue asks for a local file store; MLflow 3 keeps it behind this opt-in.
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", (tmp_path / "mlruns").as_uri())
    mlflow.set_tracking_uri((tmp_path / "mlruns").as_uri())
    yield mlflow.tracking.MlflowClient()
    mlflow.set_tracking_uri(None)


def test_log_estimate_round_trip(tracking: Any, tmp_path: Path) -> None:
    e = estimate(hardware="nvidia-t4", hours=10, count=2, region="FR", pue=1.2, intensity=50)
    served = estimate_inference(hardware="nvidia-t4", region="FR", requests=1000, seconds_per_request=0.5, pue=1.2)
    with mlflow.start_run() as run:
        logged = co2_mlflow.log_estimate(e, inference=served, score=0.9)
    assert logged == run.info.run_id
    data = tracking.get_run(logged).data
    # 2 × 70 W × 10 h × 1.2 = 1.68 kWh; × 50 g/kWh = 84 g
    assert data.metrics["energy_kwh"] == pytest.approx(1.68)
    assert data.metrics["co2e_g"] == pytest.approx(84.0)
    assert data.metrics["co2e_low_g"] <= data.metrics["co2e_g"] <= data.metrics["co2e_high_g"]
    assert data.metrics["co2e_g_per_1k_requests"] == pytest.approx(served.co2e_g_per_1k_requests)
    assert data.metrics["score_per_g_co2e"] == pytest.approx(0.9 / 84.0)
    assert data.params["co2_hardware"] == "nvidia-t4"
    assert data.params["co2_region"] == "FR"
    assert data.params["co2_data_version"] == e.data_version
    local = tracking.download_artifacts(logged, co2_mlflow.ARTIFACT, str(tmp_path))
    assert yaml.safe_load(Path(local).read_text(encoding="utf-8")) == {
        "co2_eq_emissions": modelcard.card_block(e)  # no training_type given: none in the card
    }


def test_without_active_run_starts_and_ends_one(tracking: Any) -> None:
    e = estimate(hardware="nvidia-t4", hours=1, region="FR")
    run_id = co2_mlflow.log_estimate(e)
    assert mlflow.active_run() is None
    assert tracking.get_run(run_id).data.metrics["co2e_g"] == pytest.approx(e.co2e_g)


def test_missing_mlflow_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_mlflow(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "mlflow" or name.startswith("mlflow."):
            raise ImportError("No module named 'mlflow'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_mlflow)
    with pytest.raises(MissingExtraError, match=r"co2-estimator\[mlflow\]"):
        co2_mlflow.log_estimate(estimate(hardware="nvidia-t4", hours=1, region="FR"))


def test_a_bad_argument_logs_nothing_and_a_second_estimate_is_refused(tracking: Any) -> None:
    """A bad training_type left a finished run with metrics and no card; a second estimate in a run overwrote its
    metrics, then failed on MLflow's first-value params, leaving metrics and params of two estimates."""
    e = estimate(hardware="nvidia-t4", hours=2, region="FR")
    before = len(tracking.search_runs([tracking.get_experiment_by_name("Default").experiment_id]))
    with pytest.raises(InputError, match="finetuning"):
        co2_mlflow.log_estimate(e, training_type="finetuning")
    with pytest.raises(InputError, match="log_estimate takes an Estimate from estimate\\(\\); got dict"):
        co2_mlflow.log_estimate({"co2e_g": 1.0})  # type: ignore[arg-type]
    assert len(tracking.search_runs([tracking.get_experiment_by_name("Default").experiment_id])) == before
    with mlflow.start_run() as run:
        co2_mlflow.log_estimate(e, training_type="fine-tuning")
        again = estimate(hardware="nvidia-t4", hours=4, region="FR")
        with pytest.raises(InputError, match=r"already holds another estimate \(co2_hours='2', this one '4'\)"):
            co2_mlflow.log_estimate(again)
        half = estimate(hardware="nvidia-t4", hours=2, region="FR", utilization=0.5)  # the same params, half the g
        with pytest.raises(InputError, match=r"already holds another estimate \(co2e_g="):
            co2_mlflow.log_estimate(half)
        co2_mlflow.log_estimate(e, training_type="fine-tuning")  # the same estimate again: allowed, unchanged
    data = tracking.get_run(run.info.run_id).data
    assert data.metrics["co2e_g"] == pytest.approx(e.co2e_g) and data.params["co2_hours"] == "2"
