"""Left over from earlier stops and found by this stop's walks, mended."""

from __future__ import annotations

from typing import Any

import pytest

from app_pages import plain
from estimator import estimate
from estimator.errors import AmbiguousNameError, InputError
from tests.test_app import infos
from tests.test_app import run as run_app

LIFECYCLE_TAB = "Inference & lifecycle"


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


def test_a_days_requests_at_a_throughput_that_take_more_than_a_day_name_the_requests_per_second() -> None:
    """100,000 requests at 1 per second is 27.78 h: the message named the time per request and days=1, neither
    of which the user gave (the web form has no days field)."""
    from estimator import estimate_inference, lifecycle

    training = estimate(hardware="nvidia-a100-sxm4-80gb", hours=10, region="FR")
    serving = estimate_inference("nvidia-l4", "FR", requests=100_000, requests_per_second=1)
    with pytest.raises(InputError) as info:
        lifecycle(training, serving, period_days=365)
    assert str(info.value) == (
        "with period_days, inference must be ONE day of serving (requests per day); this one covers 27.7778 h of "
        "serving, more than a day; if 100,000 requests are one day's, check the requests per second (with several "
        "replicas serving at once, it is the rate of all of them together)"
    )
    week = estimate_inference("nvidia-l4", "FR", requests=100_000, requests_per_second=10, hours_per_day=24, days=7)
    with pytest.raises(InputError) as info:
        lifecycle(training, week, period_days=365)
    assert str(info.value) == (
        "with period_days, inference must be ONE day of serving (requests per day); this one covers 168 h over "
        "7 days: make it with the requests of one day (days=1)"
    )


def test_the_forms_lifecycle_says_what_to_check_in_its_own_inputs() -> None:
    """The form's throughput: 100,000 requests a day at 1 per second; the message names the requests per second."""
    at = run_app({"requests_per_day": "100000", "requests_per_second": "1"}, tab=LIFECYCLE_TAB)
    assert at.session_state["rate_by"] == "throughput"
    shown = [plain.unescape(e.value) for e in at.error]
    assert len(shown) == 1 and shown[0].endswith(
        "check the requests per second (with several replicas serving at once, it is the rate of all of them together)"
    )
    assert "days=1" not in shown[0]


def test_a_comment_after_a_key_the_card_sets_stays_with_the_new_value() -> None:
    """'emissions: 5000  # grams' became 'emissions: 10': the README promises the block's comments stay."""
    from estimator.modelcard import merge

    card = (
        '---\nco2_eq_emissions:\n  emissions: 5000  # grams\n  source: "a # b"   # who\n'
        "  training_type: pre-training # kept as is\n  hardware_used: |\n    8 x A100  # not a comment\n---\n"
    )
    out = merge(card, {"emissions": 10.5, "source": "c # d", "hardware_used": "1 x T4"})
    assert out == (
        "---\nco2_eq_emissions:\n  emissions: 10.5  # grams\n  source: 'c # d'   # who\n"
        "  training_type: pre-training # kept as is\n  hardware_used: 1 x T4\n---\n"
    )


def test_an_instances_accelerators_share_one_host_server() -> None:
    """trn2.48xlarge: 16 Trainium2 on one host. Each carried 1/8 of the 2,500 kg accelerator server (two servers
    in all); now 1/16: 16 × (150 + 2500/16) kg = 4,900 kg over 6 y × 8,760 h × 0.85, × 10 h. An 8-GPU instance
    keeps 1/8 (p5.48xlarge: 8 × (150 + 312.5) kg)."""
    trn2 = estimate(instance="aws:trn2.48xlarge", hours=10, region="aws:us-east-1")
    assert trn2.embodied_g == pytest.approx(16 * (150 + 2500 / 16) * 1000 / (6 * 8760 * 0.85) * 10, rel=1e-12)
    assert "1/16 of a 2500 kg server" in " ".join(trn2.embodied_basis)
    assert "aws:trn2.48xlarge's 16 accelerators share one host" in " ".join(trn2.embodied_basis)
    p5 = estimate(instance="aws:p5.48xlarge", hours=10, region="aws:us-east-1")
    assert p5.embodied_g == pytest.approx(8 * (150 + 2500 / 8) * 1000 / (6 * 8760 * 0.85) * 10, rel=1e-12)
    bare = estimate(hardware="aws-trainium2", count=16, hours=10, region="aws:us-east-1")
    assert bare.embodied_g == pytest.approx(16 * (150 + 2500 / 8) * 1000 / (6 * 8760 * 0.85) * 10, rel=1e-12)
