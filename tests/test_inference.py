"""Inference, lifecycle, score per gram, uncertainty ranges and alternatives."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import estimator
from estimator import alternatives, estimate, estimate_inference, lifecycle, score_per_gram
from estimator.errors import InputError
from estimator.plan import TYPICAL_TRAINING_DRAW_FRACTION

T4 = "nvidia-t4"  # 70 W, NVIDIA T4 datasheet


def test_inference_by_hand() -> None:
    # 1,000,000 requests × 0.36 s = 100 h; 2 × 70 W × 100 h × PUE 1.5 = 21 kWh; × 200 g = 4,200 g
    r = estimate_inference(T4, "FR", 1_000_000, seconds_per_request=0.36, count=2, pue=1.5)
    assert r.hours == pytest.approx(100)
    assert r.energy_kwh == pytest.approx(21.0)
    fr = estimator.region_intensity("FR").value_g_per_kwh
    assert r.co2e_g == pytest.approx(21.0 * fr)
    assert r.co2e_g_per_request == pytest.approx(21.0 * fr / 1e6)
    assert r.co2e_g_per_1k_requests == pytest.approx(21.0 * fr / 1e3)
    assert r.energy_wh_per_request == pytest.approx(0.021)
    same = estimate_inference(T4, "FR", 1_000_000, requests_per_second=1 / 0.36, count=2, pue=1.5)
    assert same.co2e_g == pytest.approx(r.co2e_g)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requests": 0, "seconds_per_request": 1}, "requests must be"),
        ({"requests": -5, "seconds_per_request": 1}, "requests must be"),
        ({"requests": 10}, "neither"),
        ({"requests": 10, "seconds_per_request": 1, "requests_per_second": 1}, "both"),
        ({"requests": 10, "seconds_per_request": 0}, "seconds_per_request"),
        ({"requests": 10, "requests_per_second": -3}, "requests_per_second"),
        ({"requests": math.nan, "seconds_per_request": 1}, "requests"),
    ],
)
def test_inference_bad_input(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        estimate_inference(T4, "FR", **kwargs)  # type: ignore[arg-type]


def test_lifecycle_by_hand() -> None:
    training = estimate(hardware=T4, hours=100, intensity=100, pue=1.0)  # 7 kWh → 700 g
    daily = estimate_inference(T4, None, 3600, seconds_per_request=1, intensity=100, pue=1.0)  # 1 h → 7 g
    life = lifecycle(training, daily, retrainings=2, experiments_factor=1.5, period_days=365)
    # training 700 × 1.5 × 3 = 3,150 g; inference 7 × 365 = 2,555 g
    assert life.training_g == pytest.approx(3150)
    assert life.inference_g == pytest.approx(2555)
    assert life.total_g == pytest.approx(5705)
    assert life.training_share + life.inference_share == pytest.approx(1)
    assert lifecycle(training).total_g == pytest.approx(700)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"retrainings": -1}, "retrainings"),
        ({"retrainings": 1.5}, "retrainings"),
        ({"experiments_factor": 0.5}, "experiments_factor"),
        ({"period_days": 0}, "period_days"),
    ],
)
def test_lifecycle_bad_input(kwargs: dict[str, float], message: str) -> None:
    training = estimate(hardware=T4, hours=1, region="FR")
    with pytest.raises(InputError, match=message):
        lifecycle(training, **kwargs)  # type: ignore[arg-type]


def test_score_per_gram() -> None:
    assert score_per_gram(0.9, 300) == pytest.approx(0.003)
    with pytest.raises(InputError):
        score_per_gram(0.9, 0)


def test_range_by_hand() -> None:
    # GCP row with its own figure and a grid figure: both bound the intensity
    e = estimate(hardware=T4, hours=10, region="gcp:us-central1", pue=1.0)
    row = estimator.region_intensity("gcp:us-central1")
    assert row.low_g_per_kwh < row.value_g_per_kwh <= row.high_g_per_kwh and row.beside
    kwh = 70 * 10 / 1000
    assert e.central == e.co2e_g
    assert e.low == pytest.approx(kwh * TYPICAL_TRAINING_DRAW_FRACTION * row.low_g_per_kwh)
    assert e.high == pytest.approx(kwh * row.high_g_per_kwh)
    assert e.range_basis


@settings(max_examples=40)
@given(
    hours=st.floats(0.1, 1000),
    low_fraction=st.floats(0.05, 1.0),
    region=st.sampled_from(["FR", "gcp:us-central1", "US-CA", "aws:us-east-1", "world"]),
)
def test_range_contains_central(hours: float, low_fraction: float, region: str) -> None:
    e = estimate(hardware=T4, hours=hours, count=2, region=region, draw_low_fraction=low_fraction)
    assert e.low <= e.central * (1 + 1e-12)
    assert e.central <= e.high * (1 + 1e-12)


@settings(max_examples=20)
@given(hours=st.floats(0.1, 1000), power=st.floats(10, 1000), ci=st.floats(0, 1000))
def test_range_collapses_when_draw_and_intensity_are_fixed(hours: float, power: float, ci: float) -> None:
    e = estimate(hardware=T4, hours=hours, region="gcp:us-central1", power_w=power, intensity=ci)
    assert e.low == e.central == e.high


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"draw_low_fraction": 1.5}, "draw_low_fraction"),
        ({"draw_low_fraction": 0}, "draw_low_fraction"),
        ({"intensity": 100, "intensity_range": (200, 50)}, "above the high bound"),
        ({"intensity": 100, "intensity_range": (150, 200)}, "does not contain"),
    ],
)
def test_range_bad_input(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        estimate(hardware=T4, hours=1, region="FR", **kwargs)  # type: ignore[arg-type]


def test_user_range_is_used() -> None:
    e = estimate(hardware=T4, hours=10, intensity=100, intensity_range=(50, 300), pue=1.0, power_w=70)
    assert e.low == pytest.approx(35.0)
    assert e.high == pytest.approx(210.0)


def test_alternatives_sorted_and_never_worse() -> None:
    e = estimate(hardware=T4, hours=100, count=4, region="gcp:us-east1")
    options = alternatives(e, scope="provider", n=5)
    assert 0 < len(options) <= 5
    values = [a.estimate.co2e_g for a in options]
    assert values == sorted(values)
    assert all(v < e.co2e_g for v in values)
    assert all(a.estimate.region and a.estimate.region["provider"] == "gcp" for a in options)
    best = options[0]
    assert best.saving_g == pytest.approx(e.co2e_g - best.estimate.co2e_g)
    assert best.saving_pct == pytest.approx(100 * best.saving_g / e.co2e_g)
    everywhere = alternatives(e, scope="all", n=3)
    assert everywhere[0].estimate.co2e_g <= best.estimate.co2e_g


def test_cleanest_region_has_no_alternative() -> None:
    cleanest, _ = estimator.cleanest_regions("gcp", n=1)[0]
    e = estimate(hardware=T4, hours=10, region=cleanest.id)
    assert alternatives(e, scope="provider") == []


def test_hardware_alternative_needs_a_speed_ratio() -> None:
    e = estimate(hardware=T4, hours=10, region="FR")
    with pytest.raises(InputError, match="never invents performance data"):
        alternatives(e, scope="all", hardware="nvidia-l4")
    faster = alternatives(e, scope="all", n=1, hardware="nvidia-l4", speedup=2.0)[-1]
    # L4 72 W for 5 h against T4 70 W for 10 h, same region and PUE
    assert faster.estimate.hours == pytest.approx(5)
    assert faster.estimate.co2e_g == pytest.approx(e.co2e_g * 72 * 5 / (70 * 10))


def test_alternatives_bad_input() -> None:
    e = estimate(hardware=T4, hours=10, region="FR")
    with pytest.raises(InputError, match="cloud region"):
        alternatives(e, scope="provider")
    with pytest.raises(InputError, match="scope"):
        alternatives(e, scope="galaxy")
    with pytest.raises(InputError, match="own intensity"):
        alternatives(estimate(hardware=T4, hours=1, intensity=100), scope="all")
