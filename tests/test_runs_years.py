"""Batch and the year: a ``year`` column, or a ``start`` column that splits a run across New Year."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import estimator
from estimator import estimate
from estimator.errors import InputError
from estimator.runs import split_by_year

T4 = "nvidia-t4"


def test_year_column_uses_that_years_figure() -> None:
    runs = pd.DataFrame(
        {"hardware": [T4, T4, T4], "hours": [10, 10, 10], "region": ["DE"] * 3, "year": [2022, 2025, None]}
    )
    out = estimator.estimate_many(runs)
    for i, year in enumerate((2022, 2025, None)):
        e = estimate(hardware=T4, hours=10, region="DE", year=year)
        assert out["co2e_g"].iat[i] == e.co2e_g and out["intensity_year"].iat[i] == e.intensity_year
        assert out["zone"].iat[i] == "DE" and out["intensity_basis"].iat[i] == "lifecycle"
    assert out["intensity_year"].iat[0] == 2022 and out["intensity_year"].iat[1] == 2025


def test_run_across_new_year_is_split_by_year() -> None:
    # 48 h from 2024-12-31 12:00 UTC: 12 h in 2024, 36 h in 2025
    runs = pd.DataFrame({"hardware": [T4], "hours": [48], "region": ["DE"], "start": ["2024-12-31T12:00:00Z"]})
    out = estimator.estimate_many(runs)
    a = estimate(hardware=T4, hours=12, region="DE", year=2024)
    b = estimate(hardware=T4, hours=36, region="DE", year=2025)
    assert out["co2e_g"].iat[0] == a.co2e_g + b.co2e_g
    assert out["energy_kwh"].iat[0] == a.energy_kwh + b.energy_kwh
    assert out["co2e_high_g"].iat[0] == a.co2e_high_g + b.co2e_high_g
    assert out["intensity_year"].iat[0] == 2024  # the year it started
    # the intensity shown is the hours-weighted one: between the two years' figures
    low, high = sorted((a.intensity_g_per_kwh, b.intensity_g_per_kwh))
    weighted = out["intensity_g_per_kwh"].to_numpy(dtype=float)[0]
    assert low <= weighted <= high
    assert out["intensity_g_per_kwh"].iat[0] == pytest.approx((a.co2e_g + b.co2e_g) / (a.energy_kwh + b.energy_kwh))


def test_bad_start_is_kept_with_its_error_and_others_are_fine() -> None:
    runs = pd.DataFrame(
        {"hardware": [T4, T4], "hours": [5, 5], "region": ["FR", "FR"], "start": ["not a date", "2023-06-01"]}
    )
    result = estimator.estimate_many(runs)
    assert "start must be a date and time" in str(result["error"].iat[0])
    assert math.isnan(result["co2e_g"].to_numpy(dtype=float)[0])
    e = estimate(hardware=T4, hours=5, region="FR", year=2023)
    assert result["error"].iat[1] is None and result["co2e_g"].iat[1] == e.co2e_g
    with pytest.raises(InputError, match="start") as info:
        estimator.estimate_many(runs, strict=True)
    assert "row 0" in str(info.value)


def test_year_and_start_together_are_refused() -> None:
    runs = pd.DataFrame({"hardware": [T4], "hours": [5], "region": ["FR"], "start": ["2023-06-01"], "year": [2023]})
    with pytest.raises(InputError, match="not both"):
        estimator.estimate_many(runs)


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(
        min_value=pd.Timestamp("2019-01-01").to_pydatetime(), max_value=pd.Timestamp("2026-12-31").to_pydatetime()
    ),
    hours=st.floats(min_value=0.01, max_value=3 * 8784),
)
def test_parts_cover_the_run_in_time_order(start: object, hours: float) -> None:
    parts, problem = split_by_year(pd.Series([str(start)]), np.array([hours]))
    assert problem[0] is None
    assert parts["hours"].sum() == pytest.approx(hours, rel=1e-12)
    assert (parts["hours"] > 0).all() and parts["year"].is_monotonic_increasing
    assert parts["year"].iat[0] == pd.Timestamp(str(start)).year
    # every part but the last ends exactly at a New Year
    t = pd.Timestamp(str(start), tz="UTC")
    for year, h in zip(parts["year"].iloc[:-1], parts["hours"].iloc[:-1], strict=True):
        new_year = pd.Timestamp(year=year + 1, month=1, day=1, tz="UTC")
        assert abs(t + pd.Timedelta(hours=h) - new_year) < pd.Timedelta(microseconds=1)
        t = pd.Timestamp(year=year + 1, month=1, day=1, tz="UTC")
