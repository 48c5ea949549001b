"""Before training: device-hours and emissions from the compute a run will need.

    compute_flop  = flops, or 6 × params × tokens (dense transformers: Kaplan et al. 2020,
                    "Scaling Laws for Neural Language Models"; Hoffmann et al. 2022, "Training
                    Compute-Optimal Large Language Models")
    device_hours  = compute_flop / (peak_tflops × 1e12 × MFU) / 3600
    wall hours    = device_hours / count; then the ordinary estimate

MFU (model FLOPs utilisation) defaults to 0.4 with a 0.3–0.5 range: large-scale
training reports 0.30–0.46 (Chowdhery et al. 2022, PaLM, Table 3: GPT-3 21.3 %,
Gopher 32.5 %, Megatron-Turing NLG 30.2 %, PaLM 46.2 %) and 0.38–0.43 for Llama 3
405B (Dubey et al. 2024, "The Llama 3 Herd of Models", Table 4).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.api import DataFiles, estimate
from estimator.catalog import load_catalog
from estimator.core import Estimate, check_count, check_positive
from estimator.errors import InputError, did_you_mean
from estimator.records import PRECISIONS, Device

MFU_CENTRAL = 0.4
MFU_RANGE = (0.3, 0.5)
MFU_SOURCE = (
    "typical large-scale training MFU: Chowdhery et al. 2022 (PaLM, Table 3: 21-46 %); "
    "Dubey et al. 2024 (Llama 3 405B: 38-43 %)"
)
DENSE_RULE_SOURCE = "6 × params × tokens for dense transformers (Kaplan et al. 2020; Hoffmann et al. 2022)"


def _mfu(value: object, name: str = "mfu") -> float:
    number = check_positive(name, value, "0.4")
    if number > 1:
        hint = f"; did you mean {number / 100:g}?" if number <= 100 else ""
        raise InputError(f"{name} must be a fraction greater than 0 and at most 1; got {number:g}{hint}")
    return number


@dataclass(frozen=True)
class Preflight:
    """A pre-training estimate: the compute, device-hours at low/central/high MFU, the estimates."""

    compute_flop: float
    precision: str
    peak_tflops: float
    mfu: float
    mfu_range: tuple[float, float]
    device_hours: float
    device_hours_range: tuple[float, float]  # at the high and the low MFU
    trials: int
    estimate: Estimate  # at the central MFU, all trials
    estimate_low: Estimate  # at the high MFU (fewest hours)
    estimate_high: Estimate  # at the low MFU (most hours)
    assumptions: tuple[str, ...]

    @property
    def co2e_g(self) -> float:
        return self.estimate.co2e_g

    @property
    def low(self) -> float:
        """Fewest hours and the low end of the estimate's own range."""
        return self.estimate_low.low

    @property
    def high(self) -> float:
        """Most hours and the high end of the estimate's own range."""
        return self.estimate_high.high

    def to_dict(self) -> dict[str, Any]:
        return {
            "compute_flop": self.compute_flop,
            "precision": self.precision,
            "peak_tflops": self.peak_tflops,
            "mfu": self.mfu,
            "mfu_range": list(self.mfu_range),
            "device_hours": self.device_hours,
            "device_hours_range": list(self.device_hours_range),
            "trials": self.trials,
            "co2e_g": self.co2e_g,
            "co2e_low_g": self.low,
            "co2e_high_g": self.high,
            "assumptions": list(self.assumptions),
            "estimate": self.estimate.to_dict(),
        }


def _device_with_peak(hardware: str, precision: str, data_files: DataFiles) -> Device:
    """The accelerator, which must publish a dense peak for ``precision``."""
    device, _ = load_catalog(data_files).device(hardware)
    if precision not in device.peaks:
        have = ", ".join(f"{p} {v:g}" for p, v in device.peaks.items()) or "none"
        raise InputError(
            f"{device.name} has no published dense peak for {precision}; its peaks (TFLOPS): {have}. "
            "Pass precision= one of those, or your own hours= to estimate()",
            field="precision",
        )
    return device


def _mfus(
    mfu: float | None, mfu_range: tuple[float, float] | None, assumptions: list[str]
) -> tuple[float, float, float]:
    """(central, low, high) model FLOPs utilisation, checked, with the assumption said."""
    central = _mfu(mfu) if mfu is not None else MFU_CENTRAL
    if mfu_range is not None:
        low_mfu, high_mfu = (_mfu(v, "mfu_range") for v in mfu_range)
        if low_mfu > high_mfu:
            raise InputError(f"mfu_range low bound {low_mfu:g} is above the high bound {high_mfu:g}")
        if not low_mfu <= central <= high_mfu:
            raise InputError(f"mfu_range {low_mfu:g}..{high_mfu:g} does not contain mfu {central:g}")
        assumptions.append(f"MFU {central:g} (your range {low_mfu:g}-{high_mfu:g})")
    elif mfu is not None:
        low_mfu = high_mfu = central
        assumptions.append(f"MFU {central:g} (yours)")
    else:
        low_mfu, high_mfu = MFU_RANGE
        assumptions.append(f"MFU {central:g}, range {low_mfu:g}-{high_mfu:g}: {MFU_SOURCE}")
    return central, low_mfu, high_mfu


def preflight(
    flops: float | None = None,
    params: float | None = None,
    tokens: float | None = None,
    hardware: str | None = None,
    count: int = 1,
    region: str | None = None,
    mfu: float | None = None,
    precision: str = "bf16",
    *,
    mfu_range: tuple[float, float] | None = None,
    trials: int = 1,
    pue: float | None = None,
    intensity: float | None = None,
    provider: str | None = None,
    year: int | None = None,
    basis: str = "lifecycle",
    data_files: DataFiles = None,
) -> Preflight:
    """Emissions of a training run before it happens, from its compute.

    Give ``flops`` (total training FLOPs), or ``params`` and ``tokens`` (then
    6 × params × tokens, for dense transformers). ``mfu`` is the model FLOPs
    utilisation you expect (default 0.4, range 0.3–0.5); ``precision`` selects
    the device's dense peak (fp32, tf32, bf16, fp16, fp8, int8). ``trials``
    multiplies the run, for a sweep.
    """
    if flops is not None and (params is not None or tokens is not None):
        raise InputError("give flops, or params and tokens, not both")
    if flops is None and (params is None or tokens is None):
        raise InputError("give flops (total training FLOPs), or both params and tokens (6 × params × tokens)")
    assumptions: list[str] = []
    if flops is not None:
        compute = check_positive("flops", flops, "8.4e22")
    else:
        compute = 6.0 * check_positive("params", params, "7e9") * check_positive("tokens", tokens, "2e12")
        assumptions.append(f"compute {compute:.3g} FLOP = {DENSE_RULE_SOURCE}")
    if precision not in PRECISIONS:
        raise InputError(
            f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r}{did_you_mean(precision, PRECISIONS)}"
        )
    if hardware is None:
        raise InputError("hardware is required: the accelerator you will train on, e.g. 'nvidia-h100-sxm5-80gb'")
    n = check_count(count)
    n_trials = check_count(trials, "trials", "runs")
    device = _device_with_peak(hardware, precision, data_files)
    peaks = device.peaks
    central, low_mfu, high_mfu = _mfus(mfu, mfu_range, assumptions)
    peak = peaks[precision]
    assumptions.append(
        f"{device.name} dense {precision} peak {peak:g} TFLOPS ({device.peak_source}, {device.peak_year})"
    )
    if n_trials > 1:
        assumptions.append(f"{n_trials} trials of the same run")

    def device_hours(utilisation: float) -> float:
        return compute / (peak * 1e12 * utilisation) / 3600.0

    def run(utilisation: float) -> Estimate:
        return estimate(
            hardware=device.id,
            hours=device_hours(utilisation) / n,
            count=n,
            region=region,
            pue=pue,
            intensity=intensity,
            provider=provider,
            trials=n_trials,
            year=year,
            basis=basis,
            data_files=data_files,
        )

    return Preflight(
        compute_flop=compute,
        precision=precision,
        peak_tflops=peak,
        mfu=central,
        mfu_range=(low_mfu, high_mfu),
        device_hours=device_hours(central),
        device_hours_range=(device_hours(high_mfu), device_hours(low_mfu)),
        trials=n_trials,
        estimate=run(central),
        estimate_low=run(high_mfu),
        estimate_high=run(low_mfu),
        assumptions=tuple(assumptions),
    )
