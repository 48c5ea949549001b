"""Log an estimate to MLflow: metrics, params, and the model-card YAML as an artifact.

Needs the optional extra: ``pip install 'co2-estimator[mlflow]'``. Works with any
tracking URI MLflow supports. MLflow 3 defaults to ``sqlite:///mlflow.db``, which
mlflow-skinny (what the extra installs) cannot open, and keeps a local folder
behind ``MLFLOW_ALLOW_FILE_STORE=true``: when MLflow refuses its store, the error
is one line naming what to set (nothing is set for you).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from estimator import modelcard
from estimator.core import Estimate
from estimator.errors import EstimatorError, InputError, MissingExtraError
from estimator.inference import InferenceEstimate, score_per_gram

ARTIFACT = "co2_eq_emissions.yaml"

SETUP_FIX = (
    "set MLFLOW_TRACKING_URI to an MLflow server (e.g. http://localhost:5000), or log to a local "
    "folder with MLFLOW_TRACKING_URI=file:./mlruns and MLFLOW_ALLOW_FILE_STORE=true"
)


class TrackingStoreError(EstimatorError, RuntimeError):
    """MLflow refused to open its tracking store; the message names what to set."""


def _mlflow() -> Any:
    try:
        import mlflow
    except ImportError:
        raise MissingExtraError(
            "MLflow is not installed: pip install 'co2-estimator[mlflow]' (or pip install mlflow)"
        ) from None
    return mlflow


def _store_error(mlflow: Any, err: Exception) -> TrackingStoreError | None:
    """Our one-line error for MLflow refusing its tracking store, or None for any other error."""
    text = str(err)
    uri = mlflow.get_tracking_uri()
    if "MLFLOW_ALLOW_FILE_STORE" in text:
        why = f"MLflow 3 opens the local folder store {uri!r} only when MLFLOW_ALLOW_FILE_STORE=true is set"
    elif type(err).__name__ == "UnsupportedModelRegistryStoreURIException":
        why = f"this MLflow cannot open the tracking store {uri!r} (a sqlite: store needs the full mlflow package)"
        if "MLFLOW_TRACKING_URI" not in os.environ:
            why += ", MLflow's default when MLFLOW_TRACKING_URI is not set"
    else:
        return None
    return TrackingStoreError(f"{why}: {SETUP_FIX}")


def _open(mlflow: Any, run_id: str | None) -> tuple[Any, str, bool]:
    """The MLflow client, the run id (the active run, else a new one) and whether it was started here."""
    started = False
    try:
        if run_id is None:
            active = mlflow.active_run()
            if active is None:
                active = mlflow.start_run()
                started = True
            run_id = active.info.run_id
        client = mlflow.tracking.MlflowClient()
    except mlflow.exceptions.MlflowException as err:
        mine = _store_error(mlflow, err)
        if mine is None:
            raise
        raise mine from None
    return client, str(run_id), started


def metrics_and_params(
    estimate: Estimate, inference: InferenceEstimate | None = None, score: float | None = None
) -> tuple[dict[str, float], dict[str, str]]:
    """What ``log_estimate`` logs, as plain mappings (metric names are MLflow-safe)."""
    metrics = {
        "energy_kwh": estimate.energy_kwh,
        "co2e_g": estimate.co2e_g,
        "co2e_low_g": estimate.low,
        "co2e_high_g": estimate.high,
    }
    if inference is not None:
        metrics["co2e_g_per_1k_requests"] = inference.co2e_g_per_1k_requests
        metrics["energy_wh_per_request"] = inference.energy_wh_per_request
    if score is not None:
        metrics["score_per_g_co2e"] = score_per_gram(score, estimate.co2e_g)
    hardware = estimate.hardware or {}
    region = estimate.region or {}
    params = {
        "co2_hardware": str(hardware.get("id") or ", ".join(c.label for c in estimate.components)),
        "co2_count": str(hardware.get("count") or ""),
        "co2_instance": str(hardware.get("instance") or ""),
        "co2_region": str(region.get("id") or ""),
        "co2_pue": f"{estimate.pue:g}",
        "co2_pue_basis": estimate.pue_basis,
        "co2_intensity_g_per_kwh": f"{estimate.intensity_g_per_kwh:g}",
        "co2_hours": f"{estimate.hours:g}",
        "co2_data_version": estimate.data_version,
        "co2_estimator_version": estimate.package_version,
    }
    return metrics, {k: v for k, v in params.items() if v}


def log_estimate(
    estimate: Estimate,
    run_id: str | None = None,
    inference: InferenceEstimate | None = None,
    score: float | None = None,
    training_type: str | None = None,
) -> str:
    """Log ``estimate`` to the MLflow run ``run_id`` (default: the active run, else a new one).

    Returns the run id. Metrics: energy_kwh, co2e_g, co2e_low_g, co2e_high_g, and
    per-1k-requests emissions when ``inference`` is given, score per gram when
    ``score`` is; params: hardware, count, region, PUE, intensity, data version;
    artifact: the model card's co2_eq_emissions YAML (``training_type`` in it only when
    given: the Hub shows it, and there is no safe default). Raises ``TrackingStoreError``
    (one line naming what to set) when MLflow refuses its tracking store. Everything is
    checked before the run is touched: a bad argument logs nothing, and a run already
    holding another estimate's params is refused (MLflow keeps a param's first value).
    """
    if not isinstance(estimate, Estimate):
        raise InputError(f"log_estimate takes an Estimate from estimate(); got {type(estimate).__name__}")
    if inference is not None and not isinstance(inference, InferenceEstimate):
        raise InputError(
            f"inference must be the result of estimate_inference(); got {type(inference).__name__}", field="inference"
        )
    card = modelcard.card_yaml(estimate, training_type)  # a bad training_type is refused here, before the run
    metrics, params = metrics_and_params(estimate, inference, score)
    mlflow = _mlflow()
    client, run_id, started = _open(mlflow, run_id)
    try:
        data = client.get_run(run_id).data
        differ = sorted(k for k, v in params.items() if k in data.params and data.params[k] != v)
        differ += sorted(k for k, v in metrics.items() if k in data.metrics and data.metrics[k] != float(v))
        if differ:  # a param differs (MLflow keeps its first value), or a figure (its inputs need not be params)
            name = differ[0]
            held, this = (data.params, params) if name in params else (data.metrics, metrics)
            raise InputError(
                f"MLflow run {run_id} already holds another estimate ({name}={held[name]!r}, this one "
                f"{this[name]!r}): log this estimate in a new run"
            )
        for metric, number in metrics.items():
            client.log_metric(run_id, metric, float(number))
        for param, text in params.items():
            client.log_param(run_id, param, text)
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / ARTIFACT
            path.write_text(card, encoding="utf-8")
            client.log_artifact(run_id, str(path))
    finally:
        if started:
            mlflow.end_run()
    return str(run_id)
