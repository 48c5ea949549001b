"""Left over from earlier stops and found by this stop's walks, mended."""

from __future__ import annotations

from typing import Any

import pytest

from estimator import estimate
from estimator.errors import AmbiguousNameError
from tests.test_app import infos
from tests.test_app import run as run_app


@pytest.mark.parametrize(("name", "place"), [("England", "GB-ENG"), ("Scotland", "GB-SCT"), ("Wales", "GB-WLS")])
def test_the_nations_of_great_britain_are_places_on_its_grid(name: str, place: str) -> None:
    """'England' was ambiguous between two New England grids, 'Scotland' unknown, 'Wales' New South Wales."""
    e = estimate(hardware="nvidia-t4", hours=1, region=name, year=2024)
    gb = estimate(hardware="nvidia-t4", hours=1, region="GB", year=2024)
    region = e.to_dict()["region"]
    assert (region["id"], region["zone"], region["kind"]) == (place, "GB", "subdivision")
    assert e.intensity_g_per_kwh == gb.intensity_g_per_kwh == 175.0  # Electricity Maps GB 2024, life-cycle
    assert e.co2e_g == pytest.approx(70 * 1 * 1.54 / 1000 * 175.0, rel=1e-12)


def test_new_england_stays_ambiguous_between_its_lifecycle_zone_and_its_egrid_subregion() -> None:
    """The two differ under basis='direct' (eGRID's figure is on NEWE only): the user chooses."""
    with pytest.raises(AmbiguousNameError, match=r"US-NE-ISNE .*US-NEWE"):
        estimate(hardware="nvidia-t4", hours=1, region="New England")


def _moved(at: Any) -> list[str]:
    return [i for i in infos(at) if i.startswith("Region set to")]


def test_the_form_keeps_the_place_when_an_instance_of_another_provider_is_chosen_and_back() -> None:
    """gcp:europe-west4 (Netherlands), then an AWS instance: AWS has no region on the NL grid, so its first
    region is shown, and said; back to hardware: gcp and europe-west4 again (it was gcp:us-central1)."""
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west4").run()
    at.radio(key="what").set_value("instance").run()
    assert at.session_state["region"] == "aws:us-east-1"
    assert _moved(at) == [
        "Region set to aws:us-east-1: gcp:europe-west4 is not among aws's regions, and none of them is on its "
        "grid (NL). Choose the region the job ran in."
    ]
    at.run()
    assert _moved(at) == []  # said once, on the run that moved it
    at.radio(key="what").set_value("device").run()
    assert (at.session_state["provider"], at.session_state["region"]) == ("gcp", "gcp:europe-west4")
    assert _moved(at) == []


def test_the_form_takes_the_instance_providers_region_on_the_same_grid() -> None:
    """gcp:europe-west9 (Paris) with an AWS instance: aws:eu-west-3 (Paris), the same FR grid figure, no note."""
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west9").run()
    at.radio(key="what").set_value("instance").run()
    assert at.session_state["region"] == "aws:eu-west-3"
    assert _moved(at) == []
    e = estimate(instance="aws:p4d.24xlarge", hours=24, region="aws:eu-west-3")
    assert e.intensity_g_per_kwh == estimate(hardware="nvidia-t4", hours=1, region="FR").intensity_g_per_kwh


def test_on_premise_takes_the_grid_zone_of_the_cloud_region_chosen_before() -> None:
    at = run_app()
    at.selectbox(key="region").set_value("gcp:europe-west4").run()
    at.selectbox(key="provider").set_value("onprem").run()
    assert at.session_state["region"] == "NL"
    at.selectbox(key="provider").set_value("gcp").run()
    assert at.session_state["region"] == "gcp:europe-west4"
