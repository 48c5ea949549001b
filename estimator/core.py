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
from collections.abc import Sequence
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
# The predicates take a number or an array (numpy, pandas) and say which values are
# allowed; the check_* functions below use them for one value and batch for a column,
# so both refuse exactly the same values. NaN and infinities are never allowed.


def hours_ok(x: Any) -> Any:
    """0 < hours <= MAX_HOURS."""
    return (x > 0) & (x <= MAX_HOURS)


def count_ok(x: Any) -> Any:
    """A whole number from 1 to MAX_COUNT (a number, or an array: numpy's fmod is ten times slower than rounding)."""
    whole = x % 1 == 0 if isinstance(x, int | float) else x == x.round()  # the same outside ±inf, which are refused
    return (x >= 1) & (x <= MAX_COUNT) & whole


def utilization_ok(x: Any) -> Any:
    """0 < utilization <= 1."""
    return (x > 0) & (x <= 1)


def pue_ok(x: Any) -> Any:
    """PUE_RANGE[0] <= pue <= PUE_RANGE[1]."""
    return (x >= PUE_RANGE[0]) & (x <= PUE_RANGE[1])


def intensity_ok(x: Any) -> Any:
    """INTENSITY_RANGE_G_PER_KWH[0] <= intensity <= INTENSITY_RANGE_G_PER_KWH[1]."""
    return (x >= INTENSITY_RANGE_G_PER_KWH[0]) & (x <= INTENSITY_RANGE_G_PER_KWH[1])


def power_ok(x: Any) -> Any:
    """0 < power_w <= MAX_POWER_W."""
    return (x > 0) & (x <= MAX_POWER_W)


def memory_ok(x: Any) -> Any:
    """0 <= memory_gb <= MAX_MEMORY_GB."""
    return (x >= 0) & (x <= MAX_MEMORY_GB)


def cores_ok(x: Any) -> Any:
    """cpu_cores > 0 (the checks refuse infinities before)."""
    return x > 0


def _real(name: str, value: object, allowed: str) -> float:
    if type(value) is float or type(value) is int:  # fast path; bool is not int here
        number = float(value)
        if math.isfinite(number):
            return number
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{name} must be a number ({allowed}); got {value!r}", field=name)
    number = float(value)
    if math.isnan(number) or math.isinf(number):
        raise InputError(f"{name} must be a finite number ({allowed}); got {number}", field=name)
    return number


def check_positive(name: str, value: object, example: str) -> float:
    """A finite number greater than 0 (requests, rates, FLOPs, parameters, days)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(float(value)) or value <= 0:
        raise InputError(f"{name} must be a number greater than 0, e.g. {example}; got {value!r}", field=name)
    return float(value)


def check_hours(hours: object) -> float:
    number = _real("hours", hours, "hours > 0, e.g. 72")
    if not hours_ok(number):
        if number <= 0:
            raise InputError(f"hours must be greater than 0, e.g. 72; got {number:g}", field="hours")
        raise InputError(f"hours must be at most {MAX_HOURS:g}; got {number:g}", field="hours")
    return number


def check_count(count: object, name: str = "count", what: str = "devices") -> int:
    """``count`` as an int of ``what`` ("devices", "runs", "CPUs"), 1 to MAX_COUNT, or an InputError naming it."""
    if type(count) is int and count_ok(count):  # fast path
        return count
    if isinstance(count, bool) or not isinstance(count, Real):
        raise InputError(f"{name} must be a whole number of {what}, 1 or more; got {count!r}", field=name)
    number = float(count)
    if not math.isfinite(number) or number != int(number):
        raise InputError(f"{name} must be a whole number of {what}, 1 or more; got {count!r}", field=name)
    if number < 1:
        raise InputError(f"{name} must be 1 or more; got {int(number)}", field=name)
    if number > MAX_COUNT:
        raise InputError(f"{name} must be at most {MAX_COUNT:,}; got {number:g}", field=name)
    return int(number)


def check_utilization(utilization: object, name: str = "utilization") -> float:
    number = _real(name, utilization, "a fraction in (0, 1], e.g. 0.8 for 80 %")
    if not utilization_ok(number):
        hint = f"; did you mean {number / 100:g} ({number:g} %)?" if 1 < number <= 100 else ""
        raise InputError(f"{name} must be a fraction greater than 0 and at most 1; got {number:g}{hint}", field=name)
    return number


def check_pue(pue: object) -> float:
    low, high = PUE_RANGE
    number = _real("pue", pue, f"from {low:g} to {high:g}")
    if not pue_ok(number):
        raise InputError(
            field="pue",
            message=f"pue must be from {low:g} (no overhead) to {high:g}; got {number:g}. "
            "Typical values: 1.1 for hyperscale clouds, 1.54 industry average (Uptime Institute 2025)",
        )
    return number


def check_intensity(intensity: object) -> float:
    low, high = INTENSITY_RANGE_G_PER_KWH
    number = _real("intensity", intensity, f"gCO2e/kWh from {low:g} to {high:g}")
    if not intensity_ok(number):
        hint = " (if it is lbs/MWh, multiply by 0.4536)" if high < number <= 4500 else ""
        raise InputError(
            f"intensity must be from {low:g} to {high:g} gCO2e/kWh; got {number:g}{hint}", field="intensity"
        )
    return number


def check_power_w(power_w: object, name: str = "power_w") -> float:
    number = _real(name, power_w, f"watts per device, > 0 and at most {MAX_POWER_W:g}")
    if not power_ok(number):
        raise InputError(
            f"{name} must be greater than 0 and at most {MAX_POWER_W:g} W per device; got {number:g}", field=name
        )
    return number


def check_memory_gb(memory_gb: object) -> float:
    number = _real("memory_gb", memory_gb, "gigabytes of RAM, 0 or more")
    if not memory_ok(number):
        raise InputError(f"memory_gb must be from 0 to {MAX_MEMORY_GB:g} GB; got {number:g}", field="memory_gb")
    return number


def check_cores(cores: object) -> float:
    number = _real("cpu_cores", cores, "cores used, > 0")
    if not cores_ok(number):
        raise InputError(f"cpu_cores must be greater than 0; got {number:g}", field="cpu_cores")
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
    high_fraction: float = 1.0  # of power_w × utilization, for the high end (a published upper bound)
    power_basis: str = "tdp"  # what power_w is: "tdp", "tbp", "measured", "estimate" (the row's), "user", "memory"
    per: str = ""  # power_w is a share of the device's figure: per "core" or "vCPU" ("" for the whole device)


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
    power_basis: str = "tdp"  # as ComponentSpec's ("tdp", "tbp", "measured", "estimate", "user", "memory"), or "pue"
    per: str = ""  # "core", "vCPU": power_w is that share of the device's figure


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
    intensity_basis: str  # "user", or the figure's basis: "lifecycle", "marginal", "direct", "unknown"
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
    energy_high_kwh: float = math.nan  # the high end's energy: above energy_kwh only if the figure is no upper bound
    co2e_low_g: float = math.nan
    co2e_high_g: float = math.nan
    range_basis: tuple[str, ...] = ()
    embodied_g: float = math.nan
    embodied_high_g: float = math.nan
    embodied_basis: tuple[str, ...] = ()
    trials: int = 1
    intensity_year: int | None = None  # the year of the grid intensity used; None for a user-given one

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
            power_basis="pue",  # (PUE - 1) × the IT draw
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

    def __getstate__(self) -> dict[str, Any]:
        """Every field, made (pickles and copies hold values, never how to make them)."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready mapping of the whole estimate."""
        return {
            "energy_kwh": self.energy_kwh,
            "co2e_g": self.co2e_g,
            "co2e_kg": self.co2e_kg,
            "co2e_low_g": self.co2e_low_g,
            "co2e_high_g": self.co2e_high_g,
            "energy_low_kwh": self.energy_low_kwh,
            "energy_high_kwh": self.energy_high_kwh,
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
            "intensity_year": self.intensity_year,
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


class Totals(NamedTuple):
    """The totals of an estimate; each a float, or an array when the inputs are arrays."""

    draw_w: Any
    it_energy_kwh: Any
    energy_kwh: Any
    co2e_g: Any
    energy_low_kwh: Any
    co2e_low_g: Any
    co2e_high_g: Any
    energy_high_kwh: Any


class Draws(NamedTuple):
    """The draw of a job [W]: central, and at the low and high ends of the range (no hours in it)."""

    draw_w: Any
    low_draw_w: Any
    high_draw_w: Any


def draws(parts: Sequence[tuple[Any, Any, Any, Any, Any]]) -> Draws:
    """Σ number × power_w × utilization over the parts, and the same at the low and high fractions.

    Parameters
    ----------
    parts : sequence of (number, power_w, utilization, low_fraction, high_fraction)
        As in :func:`totals`.
    """
    draw: Any = 0.0
    low_draw: Any = 0.0
    high_draw: Any = 0.0
    for number, power, utilization, low_fraction, high_fraction in parts:
        component = number * power * utilization
        draw = draw + component
        low_draw = low_draw + component * low_fraction
        high_draw = high_draw + component * high_fraction
    return Draws(draw, low_draw, high_draw)


def totals(
    parts: Sequence[tuple[Any, Any, Any, Any, Any]],
    hours: Any,
    pue: Any,
    intensity_g_per_kwh: Any,
    intensity_low_g_per_kwh: Any,
    intensity_high_g_per_kwh: Any,
) -> Totals:
    """The arithmetic of every estimate, on numbers or on arrays (numpy, pandas) alike.

    Parameters
    ----------
    parts : sequence of (number, power_w, utilization, low_fraction, high_fraction)
        One per component: devices (or cores, GB), [W] per item, [fraction]
        drawn, and the fractions of that draw at the low and high ends of the
        range (high_fraction is 1 except for a device whose estimated power has
        a published upper bound).
    hours : wall-clock hours [h] (× trials).
    pue : facility power usage effectiveness [-].
    intensity_g_per_kwh, intensity_low_g_per_kwh, intensity_high_g_per_kwh :
        grid intensity, central and range [gCO2e/kWh].

    Returns
    -------
    Totals
        draw_w = Σ number × power_w × utilization [W];
        energy_kwh = draw_w × hours × pue / 1000 [kWh];
        co2e_g = energy_kwh × intensity [gCO2e]; the low end uses the low
        fractions and the low intensity, the high end the high fractions and
        the high intensity (energy_low_kwh, energy_high_kwh: the ends' energy).
    """
    return totals_of_draws(
        draws(parts), hours, pue, intensity_g_per_kwh, intensity_low_g_per_kwh, intensity_high_g_per_kwh
    )


def totals_of_draws(
    draw: Draws,
    hours: Any,
    pue: Any,
    intensity_g_per_kwh: Any,
    intensity_low_g_per_kwh: Any,
    intensity_high_g_per_kwh: Any,
) -> Totals:
    """:func:`totals` from draws already summed [W] (a job whose parts are fixed, run for new hours)."""
    draw_w, low_draw_w, high_draw_w = draw
    energy = draw_w * hours * pue / 1000.0
    energy_low = low_draw_w * hours * pue / 1000.0
    energy_high = high_draw_w * hours * pue / 1000.0
    # Totals(draw_w, it_energy_kwh, energy_kwh, co2e_g, energy_low_kwh, co2e_low_g, co2e_high_g, energy_high_kwh)
    return _new_tuple(
        Totals,
        (
            draw_w,
            draw_w * hours / 1000.0,
            energy,
            energy * intensity_g_per_kwh,
            energy_low,
            energy_low * intensity_low_g_per_kwh,
            energy_high * intensity_high_g_per_kwh,
            energy_high,
        ),
    )


_new_tuple = tuple.__new__  # a NamedTuple made without its Python-level __new__ (warm estimate() calls this)


def embodied_total_g(fixed_per_hour_g: Any, per_device_hour_g: Any, devices: Any, hours: Any) -> Any:
    """Embodied emissions of a run [gCO2e]: (fixed + per device × devices) [g/h] × hours [h]."""
    return embodied_per_hour_g(fixed_per_hour_g, per_device_hour_g, devices) * hours


def embodied_per_hour_g(fixed_per_hour_g: Any, per_device_hour_g: Any, devices: Any) -> Any:
    """Embodied emissions per hour of a run [gCO2e/h]: fixed + per device × devices."""
    return fixed_per_hour_g + per_device_hour_g * devices


TOO_LARGE = "the result is too large to compute; check hours, count and power for a unit mistake"


def components(specs: tuple[ComponentSpec, ...], hours: float, intensity_g_per_kwh: float) -> tuple[Component, ...]:
    """Each component's draw [W], IT energy over ``hours`` [kWh] and its emissions [gCO2e]."""
    return tuple(
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
            power_basis=s.power_basis,
            per=s.per,
        )
        for s in specs
    )


def _finite(t: Totals) -> Totals:
    """``t``, unless its emissions overflowed (a unit mistake): then an InputError about hours."""
    if not math.isfinite(t.co2e_g) or not math.isfinite(t.co2e_high_g):
        raise InputError(TOO_LARGE, field="hours")
    return t


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
    """The estimate for already-checked plain values: :func:`totals` plus the breakdown.

    Without a low or high intensity, the range's intensity is the central one.
    Every field is made now (:func:`prepare` and :func:`of_hours` make the same
    Estimate, its rarely read fields on first read).
    """
    ci_low = intensity_g_per_kwh if intensity_low_g_per_kwh is None else intensity_low_g_per_kwh
    ci_high = intensity_g_per_kwh if intensity_high_g_per_kwh is None else intensity_high_g_per_kwh
    parts = [(s.number, s.power_w, s.utilization, s.low_fraction, s.high_fraction) for s in specs]
    t = _finite(totals(parts, hours, pue, intensity_g_per_kwh, ci_low, ci_high))
    return Estimate(
        hours=hours,
        pue=pue,
        intensity_g_per_kwh=intensity_g_per_kwh,
        components=components(specs, hours, intensity_g_per_kwh),
        draw_w=t.draw_w,
        it_energy_kwh=t.it_energy_kwh,
        energy_kwh=t.energy_kwh,
        co2e_g=t.co2e_g,
        energy_low_kwh=t.energy_low_kwh,
        energy_high_kwh=t.energy_high_kwh,
        co2e_low_g=t.co2e_low_g,
        co2e_high_g=t.co2e_high_g,
        **provenance,
    )


# ---------------------------------------------------------------- one job, many hours


def fresh(value: Any) -> Any:
    """A copy of JSON-like data: every dict and list copied, at every level (other values are immutable)."""
    if isinstance(value, dict):
        return {k: fresh(v) if isinstance(v, (dict, list)) else v for k, v in value.items()}
    if isinstance(value, list):
        return [fresh(v) if isinstance(v, (dict, list)) else v for v in value]
    return value


def echo_inputs(hours: Any, given: dict[str, Any], trials: int) -> dict[str, Any]:
    """``Estimate.inputs``: ``hours`` as given, the other inputs given, and ``trials`` unless 1 (a new dict)."""
    inputs = {"hours": hours, **fresh(given)}
    if trials != 1:
        inputs["trials"] = trials
    return inputs


class Prepared(NamedTuple):
    """The estimate of one resolved job but for its hours: what every run of it for other hours shares.

    Holds only immutable values and private dicts that no caller ever receives
    (each :class:`Estimate` gets its own copies).
    """

    fields: dict[str, Any]  # the Estimate's fields that hold whatever the hours (immutable values)
    specs: tuple[ComponentSpec, ...]
    draws: Draws
    pue: float
    intensity_g_per_kwh: float
    intensity_low_g_per_kwh: float
    intensity_high_g_per_kwh: float
    embodied_g_per_hour: float
    embodied_high_g_per_hour: float
    region: dict[str, Any] | None
    hardware: dict[str, Any] | None
    given: dict[str, Any]  # the inputs echoed, but hours and trials


def prepare(
    specs: tuple[ComponentSpec, ...],
    *,
    pue: float,
    intensity_g_per_kwh: float,
    intensity_low_g_per_kwh: float | None = None,
    intensity_high_g_per_kwh: float | None = None,
    embodied_g_per_hour: float = math.nan,
    embodied_high_g_per_hour: float = math.nan,
    region: dict[str, Any] | None = None,
    hardware: dict[str, Any] | None = None,
    given: dict[str, Any] | None = None,
    **provenance: Any,
) -> Prepared:
    """What :func:`compute` would make for any hours, made once; :func:`of_hours` adds the hours.

    Parameters are :func:`compute`'s but the hours: embodied emissions per hour
    [gCO2e/h] instead of totals, ``given`` the inputs echoed (but hours and
    trials), and ``provenance`` the other fields of :class:`Estimate` that do
    not depend on the hours (sources, bases, versions, warnings).
    """
    unknown, missing = set(provenance) - _SHARED, _SHARED - set(_SHARED_DEFAULTS) - set(provenance)
    if unknown or missing:
        raise TypeError(f"prepare(): fields unknown or per run {sorted(unknown)}, missing {sorted(missing)}")
    ci_low = intensity_g_per_kwh if intensity_low_g_per_kwh is None else intensity_low_g_per_kwh
    ci_high = intensity_g_per_kwh if intensity_high_g_per_kwh is None else intensity_high_g_per_kwh
    drawn = draws([(s.number, s.power_w, s.utilization, s.low_fraction, s.high_fraction) for s in specs])
    shared = {**_SHARED_DEFAULTS, **provenance, "pue": pue, "intensity_g_per_kwh": intensity_g_per_kwh}
    shared["draw_w"] = drawn.draw_w
    return Prepared(
        shared,
        specs,
        drawn,
        pue,
        intensity_g_per_kwh,
        ci_low,
        ci_high,
        embodied_g_per_hour,
        embodied_high_g_per_hour,
        fresh(region),
        fresh(hardware),
        fresh(given or {}),
    )


_new = object.__new__
_DEFERRED = "_deferred"  # an Estimate of of_hours: (its Prepared, the hours as given), for its deferred fields


def of_hours(prepared: Prepared, hours_given: Any, hours: float, trials: int = 1) -> Estimate:
    """The Estimate of ``prepared`` for ``hours`` [h] (wall-clock hours × trials, checked): equal to :func:`compute`'s.

    Only the arithmetic runs here; ``components``, ``inputs``, ``region`` and
    ``hardware`` are made when first read, each a new value of this Estimate.
    ``hours_given`` is echoed in ``inputs`` as the caller gave it.
    """
    p = prepared
    t = _finite(
        totals_of_draws(
            p.draws, hours, p.pue, p.intensity_g_per_kwh, p.intensity_low_g_per_kwh, p.intensity_high_g_per_kwh
        )
    )
    e: Estimate = _new(Estimate)
    values = e.__dict__
    values.update(p.fields)
    values["hours"] = hours
    values["it_energy_kwh"] = t.it_energy_kwh
    values["energy_kwh"] = t.energy_kwh
    values["co2e_g"] = t.co2e_g
    values["energy_low_kwh"] = t.energy_low_kwh
    values["energy_high_kwh"] = t.energy_high_kwh
    values["co2e_low_g"] = t.co2e_low_g
    values["co2e_high_g"] = t.co2e_high_g
    values["embodied_g"] = p.embodied_g_per_hour * hours
    values["embodied_high_g"] = p.embodied_high_g_per_hour * hours
    values["trials"] = trials
    values[_DEFERRED] = (p, hours_given)
    return e


class _Deferred:
    """A field of :class:`Estimate` that :func:`of_hours` leaves to be made on first read, then kept.

    A non-data descriptor: an Estimate made by its ``__init__`` holds the value
    in its ``__dict__``, which Python reads first; this runs only when it is absent.
    """

    def __init__(self, name: str, make: Any) -> None:
        self.name = name
        self.make = make
        self.default = Estimate.__dataclass_fields__[name].default  # what the class showed before

    def __get__(self, obj: Estimate | None, owner: type | None = None) -> Any:
        if obj is None:
            return self if self.default is dataclasses.MISSING else self.default
        values = obj.__dict__
        try:
            prepared, hours_given = values[_DEFERRED]
        except KeyError:
            raise AttributeError(f"'Estimate' object has no attribute {self.name!r}") from None
        value = self.make(obj, prepared, hours_given)
        values[self.name] = value
        return value


def _deferred(name: str, make: Any) -> None:
    setattr(Estimate, name, _Deferred(name, make))


_deferred("components", lambda e, p, _: components(p.specs, e.hours, p.intensity_g_per_kwh))
_deferred("inputs", lambda e, p, hours_given: echo_inputs(hours_given, p.given, e.trials))
_deferred("region", lambda e, p, _: fresh(p.region))
_deferred("hardware", lambda e, p, _: fresh(p.hardware))
_PER_RUN = frozenset(
    {"hours", "it_energy_kwh", "energy_kwh", "co2e_g", "energy_low_kwh", "energy_high_kwh", "co2e_low_g", "co2e_high_g"}
    | {"embodied_g", "embodied_high_g", "trials", "components", "inputs", "region", "hardware"}
)
_SHARED = frozenset(
    f.name for f in dataclasses.fields(Estimate) if f.name not in _PER_RUN | {"pue", "intensity_g_per_kwh", "draw_w"}
)  # the fields prepare() takes as provenance
_SHARED_DEFAULTS = {
    f.name: f.default
    for f in dataclasses.fields(Estimate)
    if f.name in _SHARED and f.default is not dataclasses.MISSING
}
