"""Left over from earlier stops, mended: the energy's high end, and cloud region ids spelt with a slash or a space."""

from __future__ import annotations

import json

import pytest

from estimator import estimate, estimate_inference
from estimator import validation as validation_module
from tests.conftest import run_cli


def test_the_energy_high_end_of_a_measured_mean_is_its_measured_maximum() -> None:
    """TPU v4 (90/170/192 W measured): 4 chips, 10 h, PUE 1.2: high 4 × 192 × 10 × 1.2 / 1000 = 9.216 kWh,
    central 4 × 170 × 10 × 1.2 / 1000 = 8.16 kWh."""
    e = estimate(hardware="google-tpu-v4", count=4, hours=10, pue=1.2, intensity=100)
    assert e.energy_high_kwh == pytest.approx(9.216, rel=1e-12)
    assert e.energy_kwh == pytest.approx(8.16, rel=1e-12)
    assert e.co2e_high_g == pytest.approx(921.6, rel=1e-12)  # the high end's energy at the (given) intensity
    assert e.to_dict()["energy_high_kwh"] == e.energy_high_kwh


def test_the_energy_high_end_of_a_tdp_device_is_the_central_figure() -> None:
    """TDP is an upper bound of draw: the high end's energy is the central one, exactly (72 h × 8 × 400 W × PUE)."""
    e = estimate(hardware="nvidia-a100-sxm4-80gb", count=8, hours=72, region="gcp:us-central1")
    assert e.energy_high_kwh == e.energy_kwh
    assert e.energy_kwh == pytest.approx(72 * 8 * 400 * e.pue / 1000, rel=1e-12)
    again = estimate(hardware="nvidia-a100-sxm4-80gb", count=8, hours=36, region="gcp:us-central1")  # the warm path
    assert again.energy_high_kwh == again.energy_kwh == pytest.approx(e.energy_kwh / 2, rel=1e-12)


def test_serving_has_an_energy_high_end_with_its_idle_hours() -> None:
    """2 TPU v4 serving 1,000 requests of 3.6 s (1 h busy) up 24 h a day for 1 day, PUE 1: busy at the high end
    2 × 192 W × 1 h = 0.384 kWh; idle 23 h at the idle fraction of the chip's figure, the same at both ends."""
    r = estimate_inference(
        "google-tpu-v4", "FR", requests=1000, seconds_per_request=3.6, count=2, pue=1.0, hours_per_day=24, days=1
    )
    assert r.idle is not None
    assert r.estimate.energy_high_kwh == pytest.approx(0.384, rel=1e-12)
    assert r.energy_high_kwh == pytest.approx(0.384 + r.idle.energy_high_kwh, rel=1e-12)
    assert r.energy_high_kwh > r.energy_kwh
    assert r.to_dict()["energy_high_kwh"] == r.energy_high_kwh


def test_validation_takes_the_high_end_from_the_estimate() -> None:
    """GLaM on TPU v4: the range now ends at the measured maximum (192 / 170 of the central figure); still below
    what was measured, so the run stays outside."""
    v = validation_module.validate()
    glam = next(c for c in v.checks if c.run.id == "du22-glam-64b64e-280b")
    assert glam.high_kwh == pytest.approx(glam.estimate_kwh * 192 / 170, rel=1e-12)
    assert glam.high_kwh < glam.measured_kwh
    t4 = next(c for c in v.checks if c.run.hardware.startswith("nvidia"))
    assert t4.high_kwh == t4.estimate_kwh  # a TDP device: the central figure is the high end


@pytest.mark.parametrize(
    ("spelt", "region_id"),
    [
        ("aws/us-east-1", "aws:us-east-1"),
        ("AWS us-east-1", "aws:us-east-1"),
        ("gcp / us-central1", "gcp:us-central1"),
        ("Azure/westeurope", "azure:westeurope"),
    ],
)
def test_a_cloud_region_id_spelt_with_a_slash_or_a_space_is_that_id(spelt: str, region_id: str) -> None:
    """Before, 'aws/us-east-1' and 'AWS us-east-1' were ambiguous with aws:us-gov-east-1 (every word matched both)."""
    assert estimate(hardware="nvidia-t4", hours=1, region=spelt).region is not None
    assert estimate(hardware="nvidia-t4", hours=1, region=spelt).region["id"] == region_id  # type: ignore[index]


def test_a_region_spelt_with_a_slash_works_from_the_cli() -> None:
    out = run_cli(
        "estimate", "--hardware", "nvidia-t4", "--hours", "1", "--region", "aws/us-east-1", "--format", "json"
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["region"]["id"] == "aws:us-east-1"


def test_a_name_of_two_words_is_not_read_as_an_id() -> None:
    """'Tesla V100' has the shape 'word word' but no id tesla:v100: it resolves by name, as before."""
    e = estimate(hardware="Tesla V100-SXM2-16GB", hours=1, region="FR")
    assert e.components[0].device_id == "nvidia-v100-sxm2-16gb"
    words = estimate(hardware="nvidia-t4", hours=1, region="aws us-gov")  # no id aws:us-gov: matched by words
    assert words.region is not None and words.region["id"] == "US"  # both GovCloud regions: one grid zone, said
    assert any("aws:us-gov-east-1 or aws:us-gov-west-1, all in grid zone US" in w for w in words.warnings)
