"""Serving a model, and its whole life: inference per request, lifecycle sums.

    hours (serving)  = requests × seconds_per_request / 3600 = requests / requests_per_second / 3600
    inference co2e   = estimate(hardware, hours, count, region, ...)   (the ordinary formula)
    lifecycle co2e   = training × experiments_factor × (1 + retrainings) + inference over the period

Servers kept up (``hours_per_day``, 24 = always on) also draw while waiting:

    up hours         = hours_per_day × days
    idle hours       = up hours − serving hours
    idle co2e        = estimate(hardware, idle hours, utilization=idle_fraction, ...)

``seconds_per_request`` and ``requests_per_second`` describe the whole
deployment (``count`` devices together), as Green Algorithms counts continuous
inference (Lannelongue et al. 2021).

Draw while serving: the range's low end is ``INFERENCE_DRAW_LOW_FRACTION`` of
TDP, calibrated on the measured inference runs in ``data/validation.csv``
(docs/validation.md); the central figure stays TDP, an upper bound.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from numbers import Real
from typing import Any

from estimator.api import DataFiles, estimate
from estimator.core import Estimate, check_positive, check_utilization
from estimator.errors import InputError

# Low end of the draw while serving requests, as a fraction of TDP. Calibrated on the measured inference runs in
# data/validation.csv (the lowest measured draw, rounded down to a 0.05 step, the rule of the training fraction):
# ML.ENERGY Leaderboard v1 (Zeus/NVML) A40 chat runs drew 0.33 to 0.99 of TDP and A100 text-to-image runs down to
# 0.29 (Stable Cascade). See docs/validation.md.
INFERENCE_DRAW_LOW_FRACTION = 0.25
INFERENCE_DRAW_SOURCE = (
    "ML.ENERGY Leaderboard v1 (2023), measured with Zeus: A40 chat 0.33-0.99 and A100 text-to-image from 0.29 "
    "of TDP (data/validation.csv)"
)
# Draw of a server that is up but not serving, as a fraction of TDP: OLMo training on H100s "during checkpointing,
# power usage drops to just over 100W, or about 15% maximum" (Morrison et al. 2025, ICLR, "Holistically evaluating
# the environmental impact of creating language models", arXiv:2503.05804, Section 4, measured at sub-second rate).
IDLE_DRAW_FRACTION = 0.15
IDLE_DRAW_SOURCE = (
    "Morrison et al. 2025 (arXiv:2503.05804): H100s waiting on checkpoints drew just over 100 W, about 15 % of 700 W"
)


@dataclass(frozen=True)
class InferenceEstimate:
    """The footprint of serving ``requests`` requests, in total and per request.

    ``estimate`` covers the serving time (``hours``). When the servers are kept
    up (``hours_per_day``), ``idle`` covers the hours they were up but not
    serving (``idle_hours``, at ``IDLE_DRAW_FRACTION`` of TDP), and ``up_hours``
    is serving plus idle. With no serving rate given, the serving time is not
    known: ``estimate`` then covers all ``up_hours`` (``busy_known`` is False)
    and its range runs from idle draw to TDP. Totals sum both parts.
    """

    requests: float
    hours: float
    estimate: Estimate
    idle: Estimate | None = None
    up_hours: float | None = None
    days: float | None = None
    busy_known: bool = True
    rate_input: str | None = None  # "seconds_per_request" or "requests_per_second": what gave ``hours`` (None: neither)

    @property
    def idle_hours(self) -> float:
        """Hours the servers were up but not serving (0 without ``hours_per_day``)."""
        return self.idle.hours if self.idle is not None else 0.0

    def _sum(self, busy: float, idle: float) -> float:
        return busy + (idle if self.idle is not None else 0.0)

    @property
    def energy_kwh(self) -> float:
        """Energy of serving plus idle, kWh (facility overhead included)."""
        return self._sum(self.estimate.energy_kwh, self.idle.energy_kwh if self.idle else 0.0)

    @property
    def energy_low_kwh(self) -> float:
        """Low end of the energy range, kWh: serving at its low draw, plus idle."""
        return self._sum(self.estimate.energy_low_kwh, self.idle.energy_low_kwh if self.idle else 0.0)

    @property
    def energy_high_kwh(self) -> float:
        """High end of the energy range, kWh: serving at its high draw, plus idle."""
        return self._sum(self.estimate.energy_high_kwh, self.idle.energy_high_kwh if self.idle else 0.0)

    @property
    def co2e_g(self) -> float:
        return self._sum(self.estimate.co2e_g, self.idle.co2e_g if self.idle else 0.0)

    @property
    def low_g(self) -> float:
        """Low end of the emissions range, gCO2e."""
        return self._sum(self.estimate.low, self.idle.low if self.idle else 0.0)

    @property
    def high_g(self) -> float:
        """High end of the emissions range, gCO2e."""
        return self._sum(self.estimate.high, self.idle.high if self.idle else 0.0)

    @property
    def co2e_g_per_request(self) -> float:
        return self.co2e_g / self.requests

    @property
    def co2e_g_per_1k_requests(self) -> float:
        return 1000.0 * self.co2e_g / self.requests

    @property
    def energy_wh_per_request(self) -> float:
        return 1000.0 * self.energy_kwh / self.requests

    @property
    def low_g_per_1k_requests(self) -> float:
        return 1000.0 * self.low_g / self.requests

    @property
    def high_g_per_1k_requests(self) -> float:
        return 1000.0 * self.high_g / self.requests

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "requests": self.requests,
            "hours": self.hours,
            "energy_kwh": self.energy_kwh,
            "energy_low_kwh": self.energy_low_kwh,
            "energy_high_kwh": self.energy_high_kwh,
            "co2e_g": self.co2e_g,
            "co2e_g_per_request": self.co2e_g_per_request,
            "co2e_g_per_1k_requests": self.co2e_g_per_1k_requests,
            "energy_wh_per_request": self.energy_wh_per_request,
            "co2e_low_g_per_1k_requests": self.low_g_per_1k_requests,
            "co2e_high_g_per_1k_requests": self.high_g_per_1k_requests,
            "estimate": self.estimate.to_dict(),
        }
        if self.up_hours is not None:
            out.update(
                up_hours=self.up_hours,
                days=self.days,
                idle_hours=self.idle_hours,
                busy_known=self.busy_known,
                idle=self.idle.to_dict() if self.idle is not None else None,
            )
        return out


def _named_draw_source(e: Estimate, fraction: float, source: str) -> Estimate:
    """Name the source of a default draw fraction in the range basis (estimate() calls any given one 'yours')."""
    yours = f"your draw_low_fraction {fraction:g}"
    basis = tuple(b.replace(yours, source) for b in e.range_basis)
    return dataclasses.replace(e, range_basis=basis) if basis != e.range_basis else e


def _uptime(
    hours_per_day: float | None, days: float | None, idle_fraction: float | None
) -> tuple[float | None, float | None, float]:
    """(hours the servers are up [h] or None, days or None, idle draw [fraction of TDP]), checked."""
    up_hours: float | None = None
    n_days: float | None = None
    if hours_per_day is not None:
        per_day = check_positive("hours_per_day", hours_per_day, "24 (always on)")
        if per_day > 24:
            raise InputError(f"hours_per_day must be at most 24 (always on); got {per_day:g}", field="hours_per_day")
        n_days = check_positive("days", days, "30") if days is not None else 1.0
        up_hours = per_day * n_days
    elif days is not None or idle_fraction is not None:
        given = [n for n, v in (("days", days), ("idle_fraction", idle_fraction)) if v is not None]
        raise InputError(
            f"{' and '.join(given)} describe{'s' if len(given) == 1 else ''} servers kept up: "
            "give hours_per_day too (24 for always on), e.g. 24",
            field="hours_per_day",
        )
    idle_frac = IDLE_DRAW_FRACTION if idle_fraction is None else check_utilization(idle_fraction, "idle_fraction")
    return up_hours, n_days, idle_frac


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
    hours_per_day: float | None = None,
    days: float | None = None,
    idle_fraction: float | None = None,
    year: int | None = None,
    basis: str = "lifecycle",
    data_files: DataFiles = None,
) -> InferenceEstimate:
    """Energy and emissions of serving ``requests`` requests, and per request / per 1,000.

    Parameters
    ----------
    requests : float
        Requests served (over ``days`` when ``hours_per_day`` is given).
    seconds_per_request, requests_per_second : float
        Exactly one: wall-clock seconds the deployment spends per request, or
        its throughput. With ``hours_per_day`` both may be left out: the
        serving time is then unknown and all up-time is counted, with a range
        from idle draw to TDP.
    draw_low_fraction : float, optional
        Low end of the draw while serving, fraction of TDP (default
        ``INFERENCE_DRAW_LOW_FRACTION``, 0.25, calibrated on measured runs).
    hours_per_day : float, optional
        Hours a day the servers are up, in (0, 24]; 24 is always on. The hours
        up but not serving are counted at ``idle_fraction`` of TDP.
    days : float, optional
        Days the requests span (default 1; only with ``hours_per_day``).
    idle_fraction : float, optional
        Draw while up and idle, fraction of TDP (default ``IDLE_DRAW_FRACTION``,
        0.15: Morrison et al. 2025 measured H100s waiting at about 15 % of
        700 W).

    Other parameters are those of ``estimate()``.

    Returns
    -------
    InferenceEstimate
        Serving (``estimate``) and, with ``hours_per_day``, idle (``idle``) parts.

    Examples
    --------
    Always on, 36,000 requests of 1 s a day on two T4s (70 W): 10 h serving at
    140 W and 14 h idle at 0.15 x 140 W = 21 W, so 1.4 + 0.294 = 1.694 kWh at PUE 1.
    """
    if requests is None:
        raise InputError("requests is required: how many requests were (or will be) served, e.g. 1_000_000")
    n = check_positive("requests", requests, "1000000")
    up_hours, n_days, idle_frac = _uptime(hours_per_day, days, idle_fraction)
    both = seconds_per_request is not None and requests_per_second is not None
    if both or (seconds_per_request is None and requests_per_second is None and up_hours is None):
        raise InputError(
            "give exactly one of seconds_per_request (e.g. 0.25) or requests_per_second (e.g. 40), not "
            + ("both" if both else "neither")
            + ("" if both else "; or hours_per_day (e.g. 24) for servers kept up whose serving time is unknown")
        )
    common: dict[str, Any] = {
        "hardware": hardware,
        "count": count,
        "region": region,
        "pue": pue,
        "intensity": intensity,
        "power_w": power_w,
        "instance": instance,
        "provider": provider,
        "year": year,
        "basis": basis,
        "data_files": data_files,
    }
    serving_low = INFERENCE_DRAW_LOW_FRACTION if draw_low_fraction is None else draw_low_fraction
    if seconds_per_request is None and requests_per_second is None:
        assert up_hours is not None
        # serving time unknown: all up-time, between idle draw and TDP
        e = estimate(hours=up_hours, utilization=utilization, draw_low_fraction=idle_frac, **common)
        if idle_fraction is None:
            e = _named_draw_source(e, idle_frac, "idle " + IDLE_DRAW_SOURCE)
        return InferenceEstimate(n, up_hours, e, None, up_hours, n_days, busy_known=False)
    if seconds_per_request is not None:
        rate_input = "seconds_per_request"
        seconds = check_positive("seconds_per_request", seconds_per_request, "0.25")
    else:
        rate_input = "requests_per_second"
        seconds = 1.0 / check_positive("requests_per_second", requests_per_second, "40")
    hours = n * seconds / 3600.0
    if up_hours is not None and hours > up_hours * (1 + 1e-12):
        raise InputError(
            f"serving {n:g} requests takes {hours:g} h but the servers are up only {up_hours:g} h "
            "(hours_per_day × days): raise hours_per_day or days, or check the rate"
        )
    e = estimate(hours=hours, utilization=utilization, draw_low_fraction=serving_low, **common)
    if draw_low_fraction is None:
        e = _named_draw_source(e, serving_low, "serving: " + INFERENCE_DRAW_SOURCE)
    if up_hours is None:
        return InferenceEstimate(requests=n, hours=hours, estimate=e, rate_input=rate_input)
    idle_hours = up_hours - hours
    idle: Estimate | None = None
    if idle_hours > 0:
        # an instance's host CPU idles too (an instance without one has no CPU to scale)
        host_cpu = instance is not None and any(c.kind == "cpu" for c in e.components[1:])
        cpu_idle = idle_frac if host_cpu else 1.0
        idle = estimate(hours=idle_hours, utilization=idle_frac, cpu_utilization=cpu_idle, **common)
    return InferenceEstimate(n, hours, e, idle, up_hours, n_days, rate_input=rate_input)


# What to check when one day's requests take more than a day, by the input that gave the serving time.
_RATE_HINT = {
    "seconds_per_request": "check the time per request (with batching or several replicas serving at once, it is "
    "the serving time divided by their number)",
    "requests_per_second": "check the requests per second (with several replicas serving at once, it is the rate "
    "of all of them together)",
}


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
    with requests = requests per day, and ``hours_per_day`` to count the hours
    the servers are up), multiplied by ``period_days``; without, taken as the
    total for the whole deployment.
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
    if inference is not None and days is not None:
        span = inference.up_hours if inference.up_hours is not None else inference.hours
        if inference.days is not None and inference.days != 1:
            raise InputError(
                f"with period_days, inference must be ONE day of serving (requests per day); this one covers "
                f"{span:g} h over {inference.days:g} days: make it with the requests of one day (days=1)"
            )
        if span > 24:
            raise InputError(
                f"with period_days, inference must be ONE day of serving (requests per day); this one covers "
                f"{span:g} h of serving, more than a day; if {inference.requests:,.0f} requests are one day's, "
                + _RATE_HINT.get(inference.rate_input or "", "check the rate")
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
