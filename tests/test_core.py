"""core: the formula worked by hand, its properties, and every input check."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator import core
from estimator.core import ComponentSpec
from estimator.errors import InputError


def gpu(count: float = 8, power_w: float = 400, utilization: float = 1.0) -> ComponentSpec:
    return ComponentSpec("gpu", "accelerator", count, power_w, utilization, "test")


def run(specs: tuple[ComponentSpec, ...], hours: float, pue: float, intensity: float) -> core.Estimate:
    return core.compute(
        specs,
        hours=hours,
        pue=pue,
        intensity_g_per_kwh=intensity,
        pue_basis="user",
        pue_source="test",
        intensity_basis="user",
        intensity_source="test",
    )


def test_issue_example_by_hand() -> None:
    # 8 × 400 W × 72 h × PUE 1.10 = 253.44 kWh; × 430 g/kWh = 108,979.2 g
    e = run((gpu(),), hours=72, pue=1.10, intensity=430)
    assert e.draw_w == 3200
    assert e.it_energy_kwh == pytest.approx(230.4)
    assert e.energy_kwh == pytest.approx(253.44)
    assert e.co2e_g == pytest.approx(108_979.2)
    assert e.co2e_kg == pytest.approx(108.9792)
    assert e.overhead_kwh == pytest.approx(23.04)


def test_components_and_overhead_sum_to_totals() -> None:
    # GPU 4 × 300 W × 0.5 = 600 W; CPU 2 × 205 W = 410 W; memory 256 GB × 0.3725 = 95.36 W
    specs = (
        gpu(4, 300, 0.5),
        ComponentSpec("cpu", "cpu", 2, 205, 1.0, "test"),
        ComponentSpec("mem", "memory", 256, core.MEMORY_W_PER_GB, 1.0, "test"),
    )
    e = run(specs, hours=10, pue=1.5, intensity=100)
    assert e.draw_w == pytest.approx(1105.36)
    # 1105.36 W × 10 h = 11.0536 kWh IT; × 1.5 = 16.5804 kWh; × 100 g = 1658.04 g
    assert e.energy_kwh == pytest.approx(16.5804)
    assert e.co2e_g == pytest.approx(1658.04)
    rows = e.breakdown
    assert [r.kind for r in rows] == ["accelerator", "cpu", "memory", "overhead"]
    assert rows[0].energy_kwh == pytest.approx(6.0)
    assert rows[1].co2e_g == pytest.approx(410.0)
    assert rows[3].energy_kwh == pytest.approx(5.5268)
    assert sum(r.energy_kwh for r in rows) == pytest.approx(e.energy_kwh)
    assert sum(r.co2e_g for r in rows) == pytest.approx(e.co2e_g)


def test_pue_one_reproduces_ml_co2_impact() -> None:
    # ML CO2 Impact ignores PUE: 1 × 250 W × 100 h = 25 kWh × 0.5 kg = 12.5 kg
    e = run((gpu(1, 250),), hours=100, pue=1.0, intensity=500)
    assert e.co2e_kg == pytest.approx(12.5)
    assert e.overhead_kwh == 0


positive = st.floats(min_value=1e-3, max_value=1e5, allow_nan=False, allow_infinity=False)
factor = st.floats(min_value=1.5, max_value=10)


@given(hours=positive, k=factor, count=st.integers(1, 512), power=positive)
def test_linear_in_hours_and_count(hours: float, k: float, count: int, power: float) -> None:
    base = run((gpu(count, power),), hours, 1.2, 300)
    assert run((gpu(count, power),), hours * k, 1.2, 300).co2e_g == pytest.approx(base.co2e_g * k, rel=1e-9)
    assert run((gpu(count * 3, power),), hours, 1.2, 300).co2e_g == pytest.approx(base.co2e_g * 3, rel=1e-9)


@given(pue=st.floats(1.0, 1.5), intensity=st.floats(0, 1000), hours=positive)
def test_linear_in_pue_and_intensity(pue: float, intensity: float, hours: float) -> None:
    base = run((gpu(),), hours, pue, intensity)
    assert run((gpu(),), hours, pue * 2, intensity).energy_kwh == pytest.approx(base.energy_kwh * 2, rel=1e-9)
    assert run((gpu(),), hours, pue, intensity * 2).co2e_g == pytest.approx(base.co2e_g * 2, rel=1e-9, abs=1e-12)


@given(hours=positive, pue=st.floats(1.0, 3.0))
def test_zero_intensity_gives_zero(hours: float, pue: float) -> None:
    e = run((gpu(),), hours, pue, 0.0)
    assert e.co2e_g == 0
    assert e.energy_kwh > 0


@pytest.mark.parametrize("bad", [0, -1, math.nan, math.inf, "10", None, True])
def test_hours_rejected(bad: object) -> None:
    with pytest.raises(InputError, match="hours"):
        core.check_hours(bad)


@pytest.mark.parametrize("bad", [0, -2, 2.5, math.nan, "8", True])
def test_count_rejected(bad: object) -> None:
    with pytest.raises(InputError, match="count"):
        core.check_count(bad)


def test_count_accepts_integral_float() -> None:
    assert core.check_count(8.0) == 8


@pytest.mark.parametrize("bad", [0, -0.1, 1.01, math.nan])
def test_utilization_rejected(bad: float) -> None:
    with pytest.raises(InputError, match="utilization"):
        core.check_utilization(bad)


def test_utilization_percent_hint() -> None:
    with pytest.raises(InputError, match=r"did you mean 0\.8"):
        core.check_utilization(80)


@pytest.mark.parametrize("bad", [0.99, 3.01, -1, math.inf])
def test_pue_rejected(bad: float) -> None:
    with pytest.raises(InputError, match="pue must be"):
        core.check_pue(bad)


@pytest.mark.parametrize("bad", [-0.1, 2000.1, math.nan])
def test_intensity_rejected(bad: float) -> None:
    with pytest.raises(InputError, match="intensity"):
        core.check_intensity(bad)


def test_intensity_lbs_hint() -> None:
    with pytest.raises(InputError, match="lbs/MWh"):
        core.check_intensity(2500)


@pytest.mark.parametrize("bad", [0, -5, 100_001, math.nan])
def test_power_rejected(bad: float) -> None:
    with pytest.raises(InputError, match="power_w"):
        core.check_power_w(bad)


def test_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="hours"):
        core.check_hours(-1)
