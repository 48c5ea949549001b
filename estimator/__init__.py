"""co2-estimator: the carbon footprint of machine-learning work, offline and sourced.

    >>> from estimator import estimate
    >>> e = estimate(hardware="A100 SXM4 80GB", hours=72, count=8, region="gcp:us-central1")
    >>> e.energy_kwh, e.co2e_kg  # doctest: +SKIP

Importing this package loads neither pandas nor streamlit.
"""

import sys
import types
from typing import TYPE_CHECKING, Any

from estimator.version import __version__

if TYPE_CHECKING:  # loaded on first use, so a cold `co2-estimator estimate` imports only what it needs
    from estimator.alternatives import Alternative, alternatives
    from estimator.api import default_pue, estimate
    from estimator.batch import estimate_many
    from estimator.catalog import Catalog, load_catalog
    from estimator.codecarbon import from_codecarbon
    from estimator.core import Component, Estimate
    from estimator.errors import (
        AmbiguousNameError,
        DataError,
        EstimatorError,
        InputError,
        NotFoundError,
        UnknownHardwareError,
        UnknownInstanceError,
        UnknownProviderError,
        UnknownRegionError,
    )
    from estimator.inference import InferenceEstimate, Lifecycle, estimate_inference, lifecycle, score_per_gram
    from estimator.lint import lint
    from estimator.lookup import cleanest_regions, hardware, instances, intensity_series, region_intensity, regions
    from estimator.modelcard import read_card, scan
    from estimator.preflight import Preflight, preflight
    from estimator.records import Device, Instance, Provider, Region

# Each public name and the module that defines it, imported on first use.
_LAZY = {
    **dict.fromkeys(("Alternative", "alternatives"), "estimator.alternatives"),
    **dict.fromkeys(("default_pue", "estimate"), "estimator.api"),
    **dict.fromkeys(("Catalog", "load_catalog"), "estimator.catalog"),
    **dict.fromkeys(("Component", "Estimate"), "estimator.core"),
    **dict.fromkeys(
        (
            "AmbiguousNameError",
            "DataError",
            "EstimatorError",
            "InputError",
            "NotFoundError",
            "UnknownHardwareError",
            "UnknownInstanceError",
            "UnknownProviderError",
            "UnknownRegionError",
        ),
        "estimator.errors",
    ),
    **dict.fromkeys(
        ("cleanest_regions", "hardware", "instances", "intensity_series", "region_intensity", "regions"),
        "estimator.lookup",
    ),
    **dict.fromkeys(("Preflight", "preflight"), "estimator.preflight"),
    **dict.fromkeys(("Device", "Instance", "Provider", "Region"), "estimator.records"),
    **dict.fromkeys(
        ("InferenceEstimate", "Lifecycle", "estimate_inference", "lifecycle", "score_per_gram"), "estimator.inference"
    ),
    "estimate_many": "estimator.batch",
    "from_codecarbon": "estimator.codecarbon",
    "lint": "estimator.lint",  # the module is callable too: `estimator.lint(path)` works in any import order
    **dict.fromkeys(("read_card", "scan"), "estimator.modelcard"),
}
# Functions named like the module that defines them: importing that module binds the module's
# name in this package, which would hide the function; the function is bound instead.
_SAME_NAME = ("alternatives", "preflight")


def __getattr__(name: str) -> Any:
    """The names in ``_LAZY``, imported on first use so ``import estimator`` (and a cold
    ``co2-estimator estimate``) loads only what is used, and never pandas."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'estimator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


class _Package(types.ModuleType):
    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SAME_NAME and isinstance(value, types.ModuleType):
            value = getattr(value, name)  # `import estimator.preflight` keeps `estimator.preflight` the function
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "Alternative",
    "AmbiguousNameError",
    "Catalog",
    "Component",
    "DataError",
    "Device",
    "Estimate",
    "EstimatorError",
    "InferenceEstimate",
    "InputError",
    "Instance",
    "Lifecycle",
    "NotFoundError",
    "Preflight",
    "Provider",
    "Region",
    "UnknownHardwareError",
    "UnknownInstanceError",
    "UnknownProviderError",
    "UnknownRegionError",
    "__version__",
    "alternatives",
    "cleanest_regions",
    "default_pue",
    "estimate",
    "estimate_inference",
    "estimate_many",
    "from_codecarbon",
    "hardware",
    "instances",
    "intensity_series",
    "lifecycle",
    "lint",
    "load_catalog",
    "preflight",
    "read_card",
    "region_intensity",
    "regions",
    "scan",
    "score_per_gram",
]
