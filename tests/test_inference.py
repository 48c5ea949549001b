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


# ---------------------------------------------------------------- servers kept up (issue 16 item 19)


def test_always_on_by_hand() -> None:
    # 36,000 requests x 1 s = 10 h serving on 2 T4 (70 W): 2 x 70 W x 10 h x PUE 1.5 = 2.1 kWh;
    # 14 h idle at 0.15 x 140 W = 21 W: 21 W x 14 h x 1.5 = 0.441 kWh; total 2.541 kWh x 100 g = 254.1 g
    r = estimate_inference(T4, None, 36_000, seconds_per_request=1, count=2, pue=1.5, intensity=100, hours_per_day=24)
    assert (r.hours, r.idle_hours, r.up_hours, r.days) == (10, 14, 24, 1)
    assert r.estimate.energy_kwh == pytest.approx(2.1)
    assert r.idle is not None
    assert r.idle.energy_kwh == pytest.approx(0.441)
    assert r.energy_kwh == pytest.approx(2.541)
    assert r.co2e_g == pytest.approx(254.1)
    # low end: serving at 0.25 x TDP (0.525 kWh) + the same idle 0.441 kWh = 0.966 kWh
    assert r.energy_low_kwh == pytest.approx(0.966)
    assert r.low_g == pytest.approx(96.6)
    assert r.high_g == pytest.approx(254.1)
    assert r.energy_wh_per_request == pytest.approx(2541 / 36_000)
    assert r.to_dict()["idle_hours"] == 14


def test_hours_per_day_over_days_by_hand() -> None:
    # 8 h a day for 5 days = 40 h up; 18,000 requests x 1 s = 5 h serving, 35 h idle:
    # 70 W x 5 h = 0.35 kWh + 10.5 W x 35 h = 0.3675 kWh = 0.7175 kWh at PUE 1
    r = estimate_inference(T4, None, 18_000, seconds_per_request=1, pue=1.0, intensity=100, hours_per_day=8, days=5)
    assert (r.hours, r.idle_hours, r.up_hours) == (5, 35, 40)
    assert r.energy_kwh == pytest.approx(0.7175)
    # your own idle draw: 0.5 x 70 W x 35 h = 1.225 kWh + 0.35 kWh
    own = estimate_inference(
        T4, None, 18_000, seconds_per_request=1, pue=1.0, intensity=100, hours_per_day=8, days=5, idle_fraction=0.5
    )
    assert own.energy_kwh == pytest.approx(1.575)


def test_always_on_serving_time_unknown_by_hand() -> None:
    # no rate: 2 days x 24 h = 48 h at 2 x 70 W x PUE 1.5 = 10.08 kWh; low end at idle 0.15 x = 1.512 kWh
    r = estimate_inference(T4, None, 1000, count=2, pue=1.5, intensity=100, hours_per_day=24, days=2)
    assert not r.busy_known
    assert r.idle is None
    assert r.hours == 48
    assert r.energy_kwh == pytest.approx(10.08)
    assert r.energy_low_kwh == pytest.approx(1.512)


def test_serving_draw_range_uses_the_inference_fraction() -> None:
    from estimator.inference import INFERENCE_DRAW_LOW_FRACTION

    r = estimate_inference(T4, None, 3600, seconds_per_request=1, pue=1.0, intensity=100)  # 70 Wh
    assert INFERENCE_DRAW_LOW_FRACTION == 0.25
    assert r.energy_kwh == pytest.approx(0.07)
    assert r.energy_low_kwh == pytest.approx(0.0175)  # 0.25 x 70 Wh
    own = estimate_inference(T4, None, 3600, seconds_per_request=1, pue=1.0, intensity=100, draw_low_fraction=0.76)
    assert own.energy_low_kwh == pytest.approx(0.0532)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"seconds_per_request": 1, "hours_per_day": 25}, "at most 24"),
        ({"seconds_per_request": 1, "hours_per_day": 0}, "hours_per_day must be"),
        ({"seconds_per_request": 1, "days": 3}, "give hours_per_day too"),
        ({"seconds_per_request": 1, "idle_fraction": 0.2}, "give hours_per_day too"),
        ({"seconds_per_request": 1, "hours_per_day": 24, "idle_fraction": 1.5}, "idle_fraction"),
        ({"seconds_per_request": 10, "hours_per_day": 24}, "servers are up only 24 h"),
        ({"seconds_per_request": 1, "hours_per_day": 24, "days": -1}, "days must be"),
    ],
)
def test_always_on_bad_input(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(InputError, match=message):
        estimate_inference(T4, "FR", 10_000, **kwargs)  # type: ignore[arg-type]


def test_lifecycle_counts_the_hours_servers_are_up() -> None:
    # training 7 kWh -> 700 g; a day: 1 h serving (70 Wh) + 23 h idle at 10.5 W (241.5 Wh) = 311.5 Wh -> 31.15 g
    training = estimate(hardware=T4, hours=100, intensity=100, pue=1.0)
    day = estimate_inference(T4, None, 3600, seconds_per_request=1, intensity=100, pue=1.0, hours_per_day=24)
    assert day.co2e_g == pytest.approx(31.15)
    life = lifecycle(training, day, period_days=365)
    assert life.inference_g == pytest.approx(31.15 * 365)
    assert life.total_g == pytest.approx(700 + 11_369.75)
    two_days = estimate_inference(T4, None, 3600, seconds_per_request=1, intensity=100, hours_per_day=10, days=2)
    with pytest.raises(InputError, match="ONE day"):
        lifecycle(training, two_days, period_days=365)


def test_cli_always_on() -> None:
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    args = ["--hardware", T4, "--count", "2", "--requests", "36000", "--seconds-per-request", "1"]
    args += ["--intensity", "100", "--pue", "1.5", "--format", "json"]
    env = {**os.environ, "PYTHONPATH": str(root)}

    def run(*extra: str) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "estimator", "inference", *args, *extra]
        return subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)

    out = run("--always-on")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["energy_kwh"] == pytest.approx(2.541)
    same = json.loads(run("--hours-per-day", "24").stdout)
    assert same["energy_kwh"] == pytest.approx(2.541)
    busy = json.loads(run().stdout)
    assert busy["energy_kwh"] == pytest.approx(2.1)
    bad = run("--hours-per-day", "30")
    assert bad.returncode == 2
    assert "at most 24" in bad.stderr


def test_default_serving_and_idle_fractions_name_their_source() -> None:
    served = estimate_inference(T4, "FR", 1000, seconds_per_request=1)
    assert any("draw: 0.25 to 1 × TDP (serving: ML.ENERGY" in b for b in served.estimate.range_basis)
    up = estimate_inference(T4, "FR", 1000, hours_per_day=24)
    assert any("draw: 0.15 to 1 × TDP (idle Morrison et al. 2025" in b for b in up.estimate.range_basis)
    own = estimate_inference(T4, "FR", 1000, seconds_per_request=1, draw_low_fraction=0.5)
    assert any("your draw_low_fraction 0.5" in b for b in own.estimate.range_basis)
