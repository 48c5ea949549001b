"""co2-estimator: the carbon footprint of machine-learning work, offline and sourced.

    >>> from estimator import estimate
    >>> e = estimate(hardware="A100 SXM4 80GB", hours=72, count=8, region="gcp:us-central1")
    >>> e.energy_kwh, e.co2e_kg  # doctest: +SKIP

Importing this package loads neither pandas nor streamlit.
"""

from estimator.api import estimate
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
from estimator.lookup import cleanest_regions, hardware, instances, regions
from estimator.records import Device, Instance, Provider, Region
from estimator.version import __version__

__all__ = [
    "AmbiguousNameError",
    "Catalog",
    "Component",
    "DataError",
    "Device",
    "Estimate",
    "EstimatorError",
    "InputError",
    "Instance",
    "NotFoundError",
    "Provider",
    "Region",
    "UnknownHardwareError",
    "UnknownInstanceError",
    "UnknownProviderError",
    "UnknownRegionError",
    "__version__",
    "cleanest_regions",
    "estimate",
    "hardware",
    "instances",
    "load_catalog",
    "regions",
]
