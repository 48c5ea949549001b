"""Left over from earlier stops and found by this stop's walks, mended."""

from __future__ import annotations

import pytest

from estimator import estimate
from estimator.errors import AmbiguousNameError


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
    with pytest.raises(AmbiguousNameError, match="US-NE-ISNE .*US-NEWE"):
        estimate(hardware="nvidia-t4", hours=1, region="New England")
