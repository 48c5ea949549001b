"""The same job elsewhere: cleaner regions, and other hardware when you give its speed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from estimator.api import estimate
from estimator.catalog import load_catalog
from estimator.core import Estimate, check_power_w
from estimator.errors import InputError, did_you_mean

SCOPES = ("provider", "all")


@dataclass(frozen=True)
class Alternative:
    """One option: its estimate and what it saves against the original (g and %)."""

    label: str
    estimate: Estimate
    saving_g: float
    saving_pct: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "label": self.label,
            "region": (self.estimate.region or {}).get("id"),
            "co2e_g": self.estimate.co2e_g,
            "saving_g": self.saving_g,
            "saving_pct": self.saving_pct,
        }


def _option(label: str, original: Estimate, other: Estimate) -> Alternative:
    saving = original.co2e_g - other.co2e_g
    pct = 100.0 * saving / original.co2e_g if original.co2e_g else 0.0
    return Alternative(label, other, saving, pct)


def _rerun(original: Estimate, **changes: Any) -> Estimate:
    kwargs = {k: v for k, v in original.inputs.items() if k not in ("provider",)}
    if "intensity_range" in kwargs:
        kwargs["intensity_range"] = tuple(kwargs["intensity_range"])
    kwargs.update(changes)
    return estimate(**kwargs)


def alternatives(
    e: Estimate,
    scope: str = "provider",
    n: int = 5,
    hardware: str | None = None,
    speedup: float | None = None,
) -> list[Alternative]:
    """The same job in the ``n`` cleanest regions that beat ``e``, sorted by emissions.

    scope: "provider" (the same provider's regions; needs a cloud region) or
    "all" (every cloud region). Only regions emitting less are listed; an empty
    list means ``e`` already ran in the cleanest. With ``hardware`` and
    ``speedup`` (how many times faster the other hardware runs this job, from
    your own measurement: we never invent performance data), the same job on
    that hardware, in the same region, is listed too. A cloud instance is
    compared across its own provider's regions only; a region without a figure
    on the estimate's basis (marginal) is left out.
    """
    if scope not in SCOPES:
        raise InputError(f"scope must be one of {', '.join(SCOPES)}; got {scope!r}{did_you_mean(scope, SCOPES)}")
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise InputError(f"n must be a whole number, 1 or more; got {n!r}")
    if "intensity" in e.inputs:
        raise InputError("alternatives compare regions; this estimate uses your own intensity, so there is none")
    region = e.region or {}
    catalog = load_catalog(e.inputs.get("data_files"))
    provider = region.get("provider") or ""
    if scope == "provider" and not provider:
        raise InputError(
            "scope='provider' needs a cloud region (such as 'gcp:us-central1'); use scope='all' for any cloud region"
        )
    instance = catalog.instances.get(str((e.hardware or {}).get("instance") or ""))
    runs_on = instance.provider if instance is not None and instance.provider else None  # its own regions only
    candidates = [
        r
        for r in catalog.regions.values()
        if r.is_cloud and (scope == "all" or r.provider == provider) and (runs_on is None or r.provider == runs_on)
    ]
    options: list[Alternative] = []
    for r in candidates:
        if r.id == region.get("id"):
            continue
        try:
            other = _rerun(e, region=r.id)
        except InputError as exc:
            if exc.field != "basis":
                raise
            continue  # no figure on the estimate's basis there (marginal: per country): not a choice to offer
        if other.co2e_g < e.co2e_g:
            options.append(_option(f"{r.id} ({catalog.region_place(r)})", e, other))
    options.sort(key=lambda a: (a.estimate.co2e_g, a.label))
    options = options[:n]
    if hardware is not None or speedup is not None:
        options.append(_hardware_option(e, hardware, speedup))
    return options


def _hardware_option(e: Estimate, hardware: str | None, speedup: float | None) -> Alternative:
    if hardware is None or speedup is None:
        raise InputError(
            "a hardware alternative needs both hardware and speedup (how many times faster it runs this "
            "job, from your own measurement); co2-estimator never invents performance data"
        )
    ratio = check_power_w(speedup, "speedup")
    other = _rerun(e, hardware=hardware, hours=e.inputs["hours"] / ratio, instance=None, power_w=None)
    name = (other.hardware or {}).get("name") or hardware
    return _option(f"{name} at {ratio:g}× the speed", e, other)
