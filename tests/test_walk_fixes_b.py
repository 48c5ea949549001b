"""A new user's walk, text reports: inference kept up says the whole, preflight's two ranges, equivalents.

- ``inference --always-on``: the lines under the headline are the total's (energy, range, embodied,
  equivalents); the serving and the idle parts follow, each labelled, so no part reads as the total;
- ``preflight``: the estimate block's range holds the device-hours fixed and says so;
- equivalents: 3 significant digits (0.000062816 flights was 5), and one line naming their sources.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from estimator import estimate_inference, preflight, report
from estimator.report import Equivalent, num

ROOT = Path(__file__).resolve().parent.parent
T4 = "nvidia-t4"  # 70 W, NVIDIA T4 datasheet

# 36,000 requests x 1 s = 10 h serving on 2 T4 (70 W), always on for a day, PUE 1.5, 100 g/kWh:
# serving 2 x 70 W x 10 h x 1.5 = 2.1 kWh = 210 g (low end at 0.25 x TDP: 52.5 g);
# idle 14 h at 0.15 x 140 W = 21 W: 21 W x 14 h x 1.5 = 0.441 kWh = 44.1 g (no range: intensity given).
# Total 254.1 g from 2.541 kWh, range 96.6-254.1 g; per 1,000 requests 2.683-7.058 g.
ALWAYS_ON = ["--hardware", T4, "--count", "2", "--requests", "36000", "--seconds-per-request", "1"]
ALWAYS_ON += ["--intensity", "100", "--pue", "1.5", "--always-on"]


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "estimator", *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, check=False)


def test_always_on_text_gives_the_total_under_the_headline_and_labels_the_parts() -> None:
    done = _cli("inference", *ALWAYS_ON)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("254.1 g CO2e for 36,000 requests (7.058 g CO2e per 1,000;")
    assert lines[1] == "servers up 24 h: 10 h serving, 14 h idle (44.10 g CO2e while idle)"
    assert lines[2].startswith(
        "total: 254.1 g CO2e from 2.541 kWh, range 96.60–254.1 g CO2e (2.683–7.058 g CO2e per 1,000 requests;"
    )
    # embodied of 2 T4 servers' shares (2 x (150 + 2500 / 8) kg = 925 kg) over 6 years at 85 %, for 24 h:
    # 925,000 g x 24 / (6 x 8,760 x 0.85) = 496.9 g; 4 years: 745.4 g
    assert lines[3] == (
        "embodied of the 24 h up (manufacturing, shown beside, not added): 496.9 g CO2e "
        "(up to 745.4 g CO2e over a shorter life)"
    )
    # the equivalents are the total's: 254.1 g / 248.5 g per km = 1.02 km; / 570 kg = 0.000446 flights
    about = lines.index("About as much as:")
    assert lines[about + 1] == "  1.02 km driven by an average US car"
    assert lines[about + 4] == "  0.000446 one-way New York–San Francisco flights (one passenger)"
    assert done.stdout.count("About as much as:") == 1
    # then the parts, each labelled; before, the block said "270.3 g CO2e from ..." and "range: ..." unlabelled
    serving = lines.index("Serving part, 10 h: 210.0 g CO2e from 2.100 kWh")
    idle = lines.index("Idle part, 14 h at 0.15 of TDP: 44.10 g CO2e from 441.0 Wh")
    assert about < serving < idle
    assert any(line.startswith("range of the serving part: 52.50–210.0 g CO2e (draw:") for line in lines)
    assert any(line.startswith("embodied of the serving part (manufacturing") for line in lines)
    assert any(line.startswith("embodied of the idle part (manufacturing") for line in lines)
    # no figure without its label: no bare "range:" or "embodied (" line, no headline of a part unnamed
    assert not [line for line in lines if line.startswith(("range:", "embodied ("))]
    assert not [line for line in lines if re.match(r"^[\d.,]+ [mk]?g CO2e from ", line)]
    assert "  serving: NVIDIA T4" in done.stdout and "  idle: NVIDIA T4" in done.stdout
    assert "  idle draw: 0.15 of TDP (Morrison et al. 2025" in done.stdout


def test_always_on_json_is_unchanged() -> None:
    done = _cli("inference", *ALWAYS_ON, "--format", "json")
    out = json.loads(done.stdout)
    assert out["energy_kwh"] == pytest.approx(2.541)
    assert out["co2e_low_g_per_1k_requests"] == pytest.approx(96.6 / 36)
    assert out["estimate"]["co2e_g"] == pytest.approx(210.0)
    assert out["idle"]["co2e_g"] == pytest.approx(44.1)


def test_text_of_a_serving_only_inference_keeps_its_single_block() -> None:
    """Without idle hours the estimate is the whole: one unlabelled block, as before."""
    r = estimate_inference(T4, None, 36_000, seconds_per_request=1, count=2, pue=1.5, intensity=100)
    text = report.inference_text(r, per_gram=0.5)
    assert text.splitlines()[1:4] == ["serving time: 10 h", "score per gram CO2e: 0.5", ""]
    assert "\n210.0 g CO2e from 2.100 kWh\n" in text
    assert "\nrange: 52.50–210.0 g CO2e (" in text
    assert "part" not in text and "total:" not in text


def test_idle_fraction_of_your_own_is_named_yours() -> None:
    # 8 h a day for 5 days; 18,000 requests x 1 s = 5 h serving, 35 h idle at 0.5 x 70 W = 1.225 kWh
    r = estimate_inference(
        T4, None, 18_000, seconds_per_request=1, pue=1.0, intensity=100, hours_per_day=8, days=5, idle_fraction=0.5
    )
    text = report.inference_text(r)
    assert "\nIdle part, 35 h at 0.5 of TDP: 122.5 g CO2e from 1.225 kWh\n" in text
    assert "  idle draw: 0.5 of TDP (your idle_fraction)" in text
    assert "Morrison" not in text


def test_preflight_labels_the_range_at_the_central_device_hours() -> None:
    # 3.6e18 FLOP on a T4 (fp16 65 TFLOPS dense) at MFU 0.4: 3.6e18 / 26e12 / 3600 = 38.46 device-hours
    p = preflight(flops=3.6e18, hardware=T4, region="FR", precision="fp16", pue=1.0)
    text = report.preflight_text(p)
    lines = text.splitlines()
    assert lines[0].startswith(f"{report.mass(p.co2e_g)} expected (range {report.mass(p.low)} to ")
    assert "\nAt the central device-hours (38.46, MFU 0.4): " in text
    block = [line for line in lines if line.startswith("range at the central device-hours: ")]
    assert len(block) == 1 and report.mass_range(p.estimate) in block[0]
    assert not [line for line in lines if line.startswith(("range:", "embodied ("))]
    done = _cli("preflight", "--flops", "3.6e18", "--hardware", T4, "--region", "FR", "--precision", "fp16")
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip("\n") == report.preflight_text(
        preflight(flops=3.6e18, hardware=T4, region="FR", precision="fp16")
    )


@pytest.mark.parametrize(
    ("value", "digits", "zeros", "shown"),
    [
        (6.2816e-05, 3, False, "0.0000628"),  # was 0.000062816
        (6.2816e-05, 4, False, "0.00006282"),  # was 0.000062816
        (1.75e-09, 3, False, "0.00000000175"),  # was 0.000000002
        (1e-05, 3, True, "0.0000100"),
        (0.000123456, 3, False, "0.000123"),  # no exponent from the start: as before
        (191_837.4, 3, False, "191,837"),  # num keeps whole numbers whole
    ],
)
def test_num_keeps_its_significant_digits_below_1e_minus_4(value: float, digits: int, zeros: bool, shown: str) -> None:
    assert num(value, digits, zeros) == shown


def _significant(shown: str) -> str:
    return shown.split(" ", maxsplit=1)[0].replace(",", "").replace(".", "").lstrip("0").rstrip("0")


@given(st.floats(1e-9, 1e12))
def test_every_equivalent_has_3_significant_digits(co2e_g: float) -> None:
    for q in report.equivalents(co2e_g):
        shown = str(q).split(" ")[0]
        assert len(_significant(shown)) <= 3, (q.amount, shown)
        assert float(shown.replace(",", "")) == pytest.approx(q.amount, rel=5e-3)


def test_equivalents_by_hand() -> None:
    assert str(Equivalent(191_837.4, "km", "")) == "192,000 km"  # was 191,837 km
    assert str(Equivalent(6.2816e-05, "flights", "")) == "0.0000628 flights"  # was 0.000062816 flights
    assert str(Equivalent(954.0, "flights", "")) == "954 flights"


def test_the_text_names_the_sources_of_the_equivalents() -> None:
    short = report.EQUIVALENTS_SOURCES
    for name, source in (
        ("US EPA 2023", report.CAR_US_SOURCE),
        ("UK G", report.CAR_EU_SOURCE),
        ("carbonfootprint.com", report.FLIGHT_SOURCE),
        ("Nowak & Crane 2002", report.TREE_SOURCE),
    ):
        assert name.split(" 2")[0] in source and name in short, name
    r = estimate_inference(T4, None, 36_000, seconds_per_request=1, intensity=100)
    for text in (report.inference_text(r), report.text(r.estimate)):
        lines = text.splitlines()
        about = lines.index("About as much as:")
        assert lines[about + 6] == f"  ({short})"
