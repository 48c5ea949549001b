"""Pure arithmetic of an estimate: no I/O, no catalog, plain values in and out.

    draw_w     = Σ count × power_w × utilization            (per component)
    energy_kwh = draw_w × hours × pue / 1000
    co2e_g     = energy_kwh × intensity_g_per_kwh

Memory draw uses 0.3725 W/GB (Karyakin & Salem, "An analysis of memory power
consumption in database systems", DaMoN 2017, as used by Green Algorithms,
Lannelongue et al. 2021).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from numbers import Real
from typing import Any, NamedTuple

from estimator.errors import InputError

MEMORY_W_PER_GB = 0.3725
MEMORY_W_PER_GB_SOURCE = (
    "Karyakin & Salem, DaMoN 2017 (doi:10.1145/3076113.3076117), "
    "0.3725 W/GB as used by Green Algorithms (Lannelongue et al. 2021)"
)

# Allowed ranges of inputs (documented in README and the error messages).
PUE_RANGE = (1.0, 3.0)
INTENSITY_RANGE_G_PER_KWH = (0.0, 2000.0)
MAX_POWER_W = 100_000.0
MAX_HOURS = 1e12  # beyond any real job: a unit mistake (finite results are checked too)
MAX_COUNT = 10_000_000
MAX_MEMORY_GB = 1_000_000.0


# ---------------------------------------------------------------- input checks


def _real(name: str, value: object, allowed: str) -> float:
    if type(value) is float or type(value) is int:  # fast path; bool is not int here
        number = float(value)
        if math.isfinite(number):
            return number
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{name} must be a number ({allowed}); got {value!r}")
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InputError(f"{name} must be a finite number ({allowed}); got {number}")
    return number


def check_positive(name: str, value: object, example: str) -> float:
    """A finite number greater than 0 (requests, rates, FLOPs, parameters, days)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)) or value <= 0:
        raise InputError(f"{name} must be a number greater than 0, e.g. {example}; got {value!r}")
    return float(value)


def check_hours(hours: object) -> float:
    number = _real("hours", hours, "hours > 0, e.g. 72")
    if number <= 0:
        raise InputError(f"hours must be greater than 0, e.g. 72; got {number:g}")
    if number > MAX_HOURS:
        raise InputError(f"hours must be at most {MAX_HOURS:g}; got {number:g}")
    return number


def check_count(count: object, name: str = "count") -> int:
    if type(count) is int and 1 <= count <= MAX_COUNT:  # fast path
        return count
    if isinstance(count, bool) or not isinstance(count, Real):
        raise InputError(f"{name} must be a whole number of devices, 1 or more; got {count!r}")
    number = float(count)
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"{name} must be a whole number of devices, 1 or more; got {count!r}")
    if number < 1:
        raise InputError(f"{name} must be 1 or more; got {int(number)}")
    if number > MAX_COUNT:
        raise InputError(f"{name} must be at most {MAX_COUNT:,}; got {number:g}")
    return int(number)


def check_utilization(utilization: object, name: str = "utilization") -> float:
    number = _real(name, utilization, "a fraction in (0, 1], e.g. 0.8 for 80 %")
    if not 0 < number <= 1:
        hint = f"; did you mean {number / 100:g} ({number:g} %)?" if 1 < number <= 100 else ""
        raise InputError(f"{name} must be a fraction greater than 0 and at most 1; got {number:g}{hint}")
    return number


def check_pue(pue: object) -> float:
    low, high = PUE_RANGE
    number = _real("pue", pue, f"from {low:g} to {high:g}")
    if not low <= number <= high:
        raise InputError(
            f"pue must be from {low:g} (no overhead) to {high:g}; got {number:g}. "
            "Typical values: 1.1 for hyperscale clouds, 1.56 industry average (Uptime Institute 2024)"
        )
    return number


def check_intensity(intensity: object) -> float:
    low, high = INTENSITY_RANGE_G_PER_KWH
    number = _real("intensity", intensity, f"gCO2e/kWh from {low:g} to {high:g}")
    if not low <= number <= high:
        hint = " (if it is lbs/MWh, multiply by 0.4536)" if high < number <= 4500 else ""
        raise InputError(f"intensity must be from {low:g} to {high:g} gCO2e/kWh; got {number:g}{hint}")
    return number


def check_power_w(power_w: object, name: str = "power_w") -> float:
    number = _real(name, power_w, f"watts per device, > 0 and at most {MAX_POWER_W:g}")
    if not 0 < number <= MAX_POWER_W:
        raise InputError(f"{name} must be greater than 0 and at most {MAX_POWER_W:g} W per device; got {number:g}")
    return number


def check_memory_gb(memory_gb: object) -> float:
    number = _real("memory_gb", memory_gb, "gigabytes of RAM, 0 or more")
    if not 0 <= number <= MAX_MEMORY_GB:
        raise InputError(f"memory_gb must be from 0 to {MAX_MEMORY_GB:g} GB; got {number:g}")
    return number


def check_cores(cores: object) -> float:
    number = _real("cpu_cores", cores, "cores used, > 0")
    if number <= 0:
        raise InputError(f"cpu_cores must be greater than 0; got {number:g}")
    return number


# ---------------------------------------------------------------- values


class ComponentSpec(NamedTuple):
    """One part of the draw: ``number`` × ``power_w`` × ``utilization``.

    ``power_source`` says where ``power_w`` came from (datasheet TDP, the
    user's override, the memory constant) with its source and year.
    """

    label: str
    kind: str  # "accelerator", "cpu", "memory"
    number: float  # devices, cores, vCPUs or GB of memory
    power_w: float
    utilization: float
    power_source: str
    device_id: str = ""
    low_fraction: float = 1.0  # of power_w × utilization, for the low end of the range
    high_fraction: float = 1.0  # of power_w × utilization, for the high end (an estimated power's upper bound)


@dataclass(frozen=True)
class Component:
    """A component's draw, IT energy and emissions (facility overhead is its own row)."""

    label: str
    kind: str  # "accelerator", "cpu", "memory", "overhead"
    count: float
    power_w: float
    utilization: float
    draw_w: float
    energy_kwh: float
    co2e_g: float
    power_source: str
    device_id: str = ""


@dataclass(frozen=True)
class Estimate:
    """The result of one estimate: totals, breakdown and provenance.

    ``energy_kwh`` includes facility overhead (PUE); ``co2e_g`` is
    location-based. Every figure used is named in ``provenance``.
    """

    hours: float
    pue: float
    pue_basis: str  # "user", "region", "provider", "industry-average"
    pue_source: str
    intensity_g_per_kwh: float
    intensity_basis: str  # "user", "region"
    intensity_source: str
    components: tuple[Component, ...]
    draw_w: float
    it_energy_kwh: float
    energy_kwh: float
    co2e_g: float
    region: dict[str, Any] | None = field(default=None, hash=False, compare=True)
    hardware: dict[str, Any] | None = field(default=None, hash=False, compare=True)
    inputs: dict[str, Any] = field(default_factory=dict, hash=False)
    data_version: str = ""
    package_version: str = ""
    warnings: tuple[str, ...] = ()
    energy_low_kwh: float = math.nan
    co2e_low_g: float = math.nan
    co2e_high_g: float = math.nan
    range_basis: tuple[str, ...] = ()
    embodied_g: float = math.nan
    embodied_high_g: float = math.nan
    embodied_basis: tuple[str, ...] = ()
    trials: int = 1

    @property
    def low(self) -> float:
        """Low end of the emissions range, gCO2e (typical draw below TDP, lowest intensity source)."""
        return self.co2e_low_g

    @property
    def central(self) -> float:
        """The central estimate, gCO2e (== ``co2e_g``)."""
        return self.co2e_g

    @property
    def high(self) -> float:
        """High end of the emissions range, gCO2e (TDP draw, highest intensity source)."""
        return self.co2e_high_g

    @property
    def co2e_kg(self) -> float:
        return self.co2e_g / 1000.0

    @property
    def overhead_kwh(self) -> float:
        """Facility overhead: IT energy × (PUE − 1)."""
        return self.energy_kwh - self.it_energy_kwh

    @property
    def breakdown(self) -> tuple[Component, ...]:
        """Components plus a facility-overhead row; energies and emissions sum to the totals."""
        overhead = Component(
            label=f"facility overhead (PUE {self.pue:g})",
            kind="overhead",
            count=1,
            power_w=self.draw_w * (self.pue - 1),
            utilization=1.0,
            draw_w=self.draw_w * (self.pue - 1),
            energy_kwh=self.overhead_kwh,
            co2e_g=self.overhead_kwh * self.intensity_g_per_kwh,
            power_source=self.pue_source,
        )
        return (*self.components, overhead)

    @property
    def provenance(self) -> dict[str, Any]:
        """Every source behind the number, with versions."""
        return {
            "power": [c.power_source for c in self.components],
            "intensity": self.intensity_source,
            "pue": self.pue_source,
            "data_version": self.data_version,
            "package_version": self.package_version,
        }

    def to_model_card(
        self, training_type: str = "pre-training", location: str | None = None, source: str | None = None
    ) -> dict[str, Any]:
        """``{"co2_eq_emissions": {...}}`` for a Hugging Face model card (emissions in grams).

        A convenience over ``estimator.modelcard.card_block``.
        """
        from estimator.modelcard import card_block

        return {"co2_eq_emissions": card_block(self, training_type, location, source)}

    def to_yaml(
        self, training_type: str = "pre-training", location: str | None = None, source: str | None = None
    ) -> str:
        """The same block as YAML text, ready for a card's front matter."""
        from estimator.modelcard import to_yaml

        return to_yaml(self.to_model_card(training_type, location, source)["co2_eq_emissions"])

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping of the whole estimate."""
        return {
            "energy_kwh": self.energy_kwh,
            "co2e_g": self.co2e_g,
            "co2e_kg": self.co2e_kg,
            "co2e_low_g": self.co2e_low_g,
            "co2e_high_g": self.co2e_high_g,
            "energy_low_kwh": self.energy_low_kwh,
            "range_basis": list(self.range_basis),
            "embodied_g": self.embodied_g,
            "embodied_high_g": self.embodied_high_g,
            "embodied_basis": list(self.embodied_basis),
            "trials": self.trials,
            "hours": self.hours,
            "draw_w": self.draw_w,
            "it_energy_kwh": self.it_energy_kwh,
            "overhead_kwh": self.overhead_kwh,
            "pue": self.pue,
            "pue_basis": self.pue_basis,
            "pue_source": self.pue_source,
            "intensity_g_per_kwh": self.intensity_g_per_kwh,
            "intensity_basis": self.intensity_basis,
            "intensity_source": self.intensity_source,
            "hardware": self.hardware,
            "region": self.region,
            "breakdown": [dataclasses.asdict(c) for c in self.breakdown],
            "inputs": self.inputs,
            "data_version": self.data_version,
            "package_version": self.package_version,
            "warnings": list(self.warnings),
        }


def hours_from_device_hours(device_hours: float, count: int) -> float:
    """Wall-clock hours when ``count`` devices share ``device_hours`` of work."""
    return device_hours / count


def embodied_g(kg: float, item_hours: float, lifetime_years: float, utilization: float) -> float:
    """Manufacturing emissions amortised over use: kg × 1000 × hours / (years × 8760 h × utilization).

    The method of Luccioni et al. 2022 (BLOOM): a share of the item's footprint
    per hour of its expected in-use life.
    """
    return kg * 1000.0 * item_hours / (lifetime_years * 8760.0 * utilization)


def draw_w(specs: tuple[ComponentSpec, ...]) -> float:
    """Σ number × power_w × utilization, in watts."""
    return sum(s.number * s.power_w * s.utilization for s in specs)


def energy_kwh(draw: float, hours: float, pue: float) -> float:
    """draw_w × hours × pue / 1000."""
    return draw * hours * pue / 1000.0


def compute(
    specs: tuple[ComponentSpec, ...],
    *,
    hours: float,
    pue: float,
    intensity_g_per_kwh: float,
    intensity_low_g_per_kwh: float | None = None,
    intensity_high_g_per_kwh: float | None = None,
    **provenance: Any,
) -> Estimate:
    """The estimate for already-checked plain values (see the module formula).

    The range: low = Σ draw × low_fraction × hours × PUE × intensity_low;
    high = Σ draw × high_fraction × hours × PUE × intensity_high (high_fraction is 1
    except for a device whose estimated power has a published upper bound).
    """
    components = tuple(
        Component(
            label=s.label,
            kind=s.kind,
            count=s.number,
            power_w=s.power_w,
            utilization=s.utilization,
            draw_w=(d := s.number * s.power_w * s.utilization),
            energy_kwh=(e := d * hours / 1000.0),
            co2e_g=e * intensity_g_per_kwh,
            power_source=s.power_source,
            device_id=s.device_id,
        )
        for s in specs
    )
    total_draw = draw_w(specs)
    total_kwh = energy_kwh(total_draw, hours, pue)
    if not math.isfinite(total_kwh * intensity_g_per_kwh):
        raise InputError("the result is too large to compute; check hours, count and power for a unit mistake")
    low_kwh = energy_kwh(sum(s.number * s.power_w * s.utilization * s.low_fraction for s in specs), hours, pue)
    ci_low = intensity_g_per_kwh if intensity_low_g_per_kwh is None else intensity_low_g_per_kwh
    ci_high = intensity_g_per_kwh if intensity_high_g_per_kwh is None else intensity_high_g_per_kwh
    high_kwh = total_kwh
    if any(s.high_fraction != 1.0 for s in specs):
        high_kwh = energy_kwh(sum(s.number * s.power_w * s.utilization * s.high_fraction for s in specs), hours, pue)
    return Estimate(
        hours=hours,
        pue=pue,
        intensity_g_per_kwh=intensity_g_per_kwh,
        components=components,
        draw_w=total_draw,
        it_energy_kwh=total_draw * hours / 1000.0,
        energy_kwh=total_kwh,
        co2e_g=total_kwh * intensity_g_per_kwh,
        energy_low_kwh=low_kwh,
        co2e_low_g=low_kwh * ci_low,
        co2e_high_g=high_kwh * ci_high,
        **provenance,
    )
