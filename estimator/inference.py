"""Serving a model, and its whole life: inference per request, lifecycle sums.

    hours (serving)  = requests × seconds_per_request / 3600 = requests / requests_per_second / 3600
    inference co2e   = estimate(hardware, hours, count, region, ...)   (the ordinary formula)
    lifecycle co2e   = training × experiments_factor × (1 + retrainings) + inference over the period

``seconds_per_request`` and ``requests_per_second`` describe the whole
deployment (``count`` devices together), as Green Algorithms counts continuous
inference (Lannelongue et al. 2021).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

from estimator.api import DataFiles, estimate
from estimator.core import Estimate, check_positive
from estimator.errors import InputError


@dataclass(frozen=True)
class InferenceEstimate:
    """The footprint of serving ``requests`` requests, in total and per request."""

    requests: float
    hours: float
    estimate: Estimate

    @property
    def energy_kwh(self) -> float:
        return self.estimate.energy_kwh

    @property
    def co2e_g(self) -> float:
        return self.estimate.co2e_g

    @property
    def co2e_g_per_request(self) -> float:
        return self.estimate.co2e_g / self.requests

    @property
    def co2e_g_per_1k_requests(self) -> float:
        return 1000.0 * self.estimate.co2e_g / self.requests

    @property
    def energy_wh_per_request(self) -> float:
        return 1000.0 * self.estimate.energy_kwh / self.requests

    @property
    def low_g_per_1k_requests(self) -> float:
        return 1000.0 * self.estimate.low / self.requests

    @property
    def high_g_per_1k_requests(self) -> float:
        return 1000.0 * self.estimate.high / self.requests

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "hours": self.hours,
            "energy_kwh": self.energy_kwh,
            "co2e_g": self.co2e_g,
            "co2e_g_per_request": self.co2e_g_per_request,
            "co2e_g_per_1k_requests": self.co2e_g_per_1k_requests,
            "energy_wh_per_request": self.energy_wh_per_request,
            "co2e_low_g_per_1k_requests": self.low_g_per_1k_requests,
            "co2e_high_g_per_1k_requests": self.high_g_per_1k_requests,
            "estimate": self.estimate.to_dict(),
        }


def estimate_inference(
    hardware: str | None = None,
    region: str | None = None,
    requests: float | None = None,
    seconds_per_request: float | None = None,
    requests_per_second: float | None = None,
    count: int | None = None,
    pue: float | None = None,
    utilization: float = 1.0,
    *,
    intensity: float | None = None,
    power_w: float | None = None,
    instance: str | None = None,
    provider: str | None = None,
    draw_low_fraction: float | None = None,
    data_files: DataFiles = None,
) -> InferenceEstimate:
    """Energy and emissions of serving ``requests`` requests, and per request / per 1,000.

    Give exactly one of ``seconds_per_request`` (wall-clock seconds the deployment
    spends per request) or ``requests_per_second`` (its throughput).
    """
    if requests is None:
        raise InputError("requests is required: how many requests were (or will be) served, e.g. 1_000_000")
    n = check_positive("requests", requests, "1000000")
    if (seconds_per_request is None) == (requests_per_second is None):
        raise InputError(
            "give exactly one of seconds_per_request (e.g. 0.25) or requests_per_second (e.g. 40), not "
            + ("both" if seconds_per_request is not None else "neither")
        )
    if seconds_per_request is not None:
        seconds = check_positive("seconds_per_request", seconds_per_request, "0.25")
    else:
        seconds = 1.0 / check_positive("requests_per_second", requests_per_second, "40")
    hours = n * seconds / 3600.0
    e = estimate(
        hardware=hardware,
        hours=hours,
        count=count,
        region=region,
        pue=pue,
        intensity=intensity,
        power_w=power_w,
        utilization=utilization,
        instance=instance,
        provider=provider,
        draw_low_fraction=draw_low_fraction,
        data_files=data_files,
    )
    return InferenceEstimate(requests=n, hours=hours, estimate=e)


@dataclass(frozen=True)
class Lifecycle:
    """Training (with retrainings and R&D experiments) plus serving over a period."""

    training_g: float
    inference_g: float
    retrainings: int
    experiments_factor: float
    period_days: float | None

    @property
    def total_g(self) -> float:
        return self.training_g + self.inference_g

    @property
    def training_share(self) -> float:
        return self.training_g / self.total_g if self.total_g else 0.0

    @property
    def inference_share(self) -> float:
        return self.inference_g / self.total_g if self.total_g else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            "total_g": self.total_g,
            "training_g": self.training_g,
            "inference_g": self.inference_g,
            "training_share": self.training_share,
            "inference_share": self.inference_share,
            "retrainings": self.retrainings,
            "experiments_factor": self.experiments_factor,
            "period_days": self.period_days,
        }


def lifecycle(
    training: Estimate,
    inference: InferenceEstimate | None = None,
    retrainings: int = 0,
    experiments_factor: float = 1.0,
    period_days: float | None = None,
) -> Lifecycle:
    """Sum a model's life: training × experiments_factor × (1 + retrainings) + inference.

    experiments_factor (>= 1): all R&D runs relative to the final training run.
    inference: with ``period_days``, the footprint of ONE DAY of serving (make it
    with requests = requests per day), multiplied by ``period_days``; without,
    taken as the total for the whole deployment.
    """
    if not isinstance(training, Estimate):
        raise InputError(f"training must be an Estimate from estimate(); got {type(training).__name__}")
    if isinstance(retrainings, bool) or not isinstance(retrainings, int) or retrainings < 0:
        raise InputError(f"retrainings must be a whole number, 0 or more; got {retrainings!r}")
    if isinstance(experiments_factor, bool) or not isinstance(experiments_factor, Real):
        raise InputError(f"experiments_factor must be a number, 1 or more; got {experiments_factor!r}")
    if not (math.isfinite(experiments_factor) and experiments_factor >= 1):
        raise InputError(
            f"experiments_factor must be 1 or more (all runs relative to the final one); got {experiments_factor!r}"
        )
    days = check_positive("period_days", period_days, "365") if period_days is not None else None
    if inference is not None and not isinstance(inference, InferenceEstimate):
        raise InputError(f"inference must come from estimate_inference(); got {type(inference).__name__}")
    if inference is not None and days is not None and inference.hours > 24:
        raise InputError(
            f"with period_days, inference must be ONE day of serving (requests per day); this one serves for "
            f"{inference.hours:g} h, more than a day: make it with the requests of one day"
        )
    training_g = training.co2e_g * float(experiments_factor) * (1 + retrainings)
    inference_g = 0.0
    if inference is not None:
        inference_g = inference.co2e_g * (days if days is not None else 1.0)
    return Lifecycle(training_g, inference_g, retrainings, float(experiments_factor), days)


def score_per_gram(score: float, co2e_g: float) -> float:
    """Any score (accuracy, BLEU, ...) per gram of CO2e, as mlflow-emissions-sdk's accuracy per emission."""
    if isinstance(score, bool) or not isinstance(score, Real) or not math.isfinite(float(score)):
        raise InputError(f"score must be a finite number, e.g. 0.91; got {score!r}")
    if isinstance(co2e_g, bool) or not isinstance(co2e_g, Real) or co2e_g <= 0:
        raise InputError(f"score per gram needs emissions greater than 0; got {co2e_g!r}")
    return float(score) / float(co2e_g)
