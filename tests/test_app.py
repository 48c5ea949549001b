"""The web form through Streamlit's AppTest: it computes through the API and shows errors."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

import estimator
from estimator import report
from tests.conftest import ROOT

APP = str(ROOT / "app.py")


def test_first_load_shows_a_result() -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    assert not at.exception
    assert at.metric[0].label == "Emissions"
    hw, region = at.selectbox[0].value, at.selectbox[1].value
    e = estimator.estimate(hardware=hw, hours=24.0, count=1, region=region)
    assert at.metric[0].value == report.mass(e.co2e_g)
    assert report.arithmetic(e) in [c.value for c in at.code]


def test_changing_inputs_updates_the_number() -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.number_input[0].set_value(8).run()
    at.number_input[1].set_value(72.0).run()
    at.selectbox[1].set_value("FR").run()
    e = estimator.estimate(hardware=at.selectbox[0].value, hours=72.0, count=8, region="FR")
    assert at.metric[0].value == report.mass(e.co2e_g)


@pytest.mark.parametrize("hours", [0.0])
def test_bad_hours_shows_error_not_exception(hours: float) -> None:
    at = AppTest.from_file(APP, default_timeout=30).run()
    at.number_input[1].set_value(hours).run()
    assert not at.exception
    assert "hours must be greater than 0" in at.error[0].value
