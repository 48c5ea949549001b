"""co2-estimator: the carbon footprint of machine-learning work, offline and sourced.

    >>> from estimator import estimate
    >>> e = estimate(hardware="A100 SXM4 80GB", hours=72, count=8, region="gcp:us-central1")
    >>> e.energy_kwh, e.co2e_kg  # doctest: +SKIP

Importing this package loads neither pandas nor streamlit.
"""

from typing import TYPE_CHECKING, Any

# alternatives and preflight share their module's name: imported eagerly, or the
# submodule, once imported, would shadow the function of the same name.
from estimator.alternatives import Alternative, alternatives
from estimator.api import default_pue, estimate
from estimator.catalog import Catalog, load_catalog
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
from estimator.lookup import cleanest_regions, hardware, instances, intensity_series, region_intensity, regions
from estimator.preflight import Preflight, preflight
from estimator.records import Device, Instance, Provider, Region
from estimator.version import __version__

if TYPE_CHECKING:  # loaded on first use, so a cold `co2-estimator estimate` imports only what it needs
    from estimator.batch import estimate_many
    from estimator.codecarbon import from_codecarbon
    from estimator.inference import InferenceEstimate, Lifecycle, estimate_inference, lifecycle, score_per_gram
    from estimator.lint import lint
    from estimator.modelcard import read_card, scan

_LAZY = {
    "InferenceEstimate": "estimator.inference",
    "Lifecycle": "estimator.inference",
    "estimate_inference": "estimator.inference",
    "lifecycle": "estimator.inference",
    "score_per_gram": "estimator.inference",
    "estimate_many": "estimator.batch",
    "from_codecarbon": "estimator.codecarbon",
    "lint": "estimator.lint",  # the module is callable too: `estimator.lint(path)` works in any import order
    "read_card": "estimator.modelcard",
    "scan": "estimator.modelcard",
}


def __getattr__(name: str) -> Any:
    """The names in ``_LAZY``, imported on first use so ``import estimator`` (and a cold
    ``co2-estimator estimate``) loads only the core, and never pandas."""
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'estimator' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


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
