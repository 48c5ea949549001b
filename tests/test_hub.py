"""The Hub's reading of ``co2_eq_emissions`` (``hub_grams``) checked against
huggingface_hub's own filter, and ``read_card`` / ``scan`` reporting both readings."""

from __future__ import annotations

import math
import shutil
from pathlib import Path
from typing import Any

import pytest
from huggingface_hub.hf_api import ModelInfo
from huggingface_hub.utils.endpoint_helpers import _is_emission_within_threshold
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import modelcard
from estimator.modelcard import hub_grams, read_card, read_card_text, scan
from tests.conftest import ROOT

CARDS = ROOT / "tests" / "cards"


def hub_keeps(value: Any, low: float | None, high: float | None) -> bool:
    """huggingface_hub's own decision, on the object list_models builds from the Hub's JSON."""
    info = ModelInfo(id="someone/model", cardData={"co2_eq_emissions": value})  # type: ignore[no-untyped-call]
    return _is_emission_within_threshold(info, low, high)  # type: ignore[arg-type]


def thresholds_around(x: float) -> list[tuple[float | None, float | None]]:
    near = [x, math.nextafter(x, -math.inf), math.nextafter(x, math.inf), x * 0.999, x * 1.001 + 1e-9]
    pairs: list[tuple[float | None, float | None]] = [(None, math.inf), (-math.inf, None), (0.0, None)]
    pairs += [(lo, None) for lo in near] + [(None, hi) for hi in near] + [(lo, hi) for lo in near for hi in near]
    return pairs


def check_agrees(value: Any) -> None:
    ours = hub_grams(value)
    probe = ours if ours is not None else 1.0
    for low, high in thresholds_around(probe):
        assert hub_keeps(value, low, high) == modelcard.hub_within(ours, low, high), (value, low, high, ours)


# Every form the issue names, worked by hand: what the Hub reads (None: left out).
FORMS: list[tuple[Any, float | None]] = [
    (149.2, 149.2),
    (3, 3.0),
    (0, None),
    (0.0, None),
    ("0", 0.0),  # a non-empty string is not falsy: "0" is read as 0 g
    (-5, 5.0),
    (-5.5, 5.5),
    ("-5 g", 5.0),
    (1e-3, 0.001),  # str(0.001) == "0.001"
    ("1e-3", 1.0),  # PyYAML keeps 1e-3 (no dot) as the string "1e-3"
    (1e-05, 1.0),  # str(1e-05) == "1e-05"
    (1.5e16, 1.5),  # str(1.5e16) == "1.5e+16"
    ("1,234 g", 1.0),
    ("0.5 t", 0.5),
    ("1.7 kg", 1.7),
    ("49.49 g", 49.49),
    ("12 kgCO2e", 12.0),
    ("about a lot", None),
    ("", None),
    (None, None),
    (True, None),  # str(True) has no digit
    (False, None),
    ([], None),
    ([1.7, 2], 1.7),
    ({"emissions": 1700}, 1700.0),
    ({"emissions": "1.7 kg", "source": "x"}, 1.7),
    ({"emissions": 0}, None),
    ({"emissions": None}, None),
    ({"emissions": {"value": 3}}, 3.0),
    (math.nan, None),
    (math.inf, None),
]


@pytest.mark.parametrize(("value", "expected"), FORMS)
def test_hub_grams_by_hand_and_against_huggingface_hub(value: Any, expected: float | None) -> None:
    assert hub_grams(value) == expected
    check_agrees(value)


def test_dict_without_emissions_makes_the_hub_fail_and_reads_none() -> None:
    with pytest.raises(KeyError):
        hub_keeps({"source": "x"}, None, 10)
    assert hub_grams({"source": "x"}) is None


units = st.sampled_from(["", " g", "g", " kg", " t", " tonnes", " kgCO2e", " grams of CO2", " mg"])
numbers = st.floats(allow_nan=True, allow_infinity=True) | st.integers(-(10**20), 10**20)
number_text = st.one_of(
    st.floats(-1e9, 1e9, allow_nan=False).map(repr),
    st.integers(-(10**9), 10**9).map(lambda n: f"{n:,}"),
    st.floats(1e-12, 1e20).map(lambda x: f"{x:e}"),
)
strings = st.builds(lambda n, u: n + u, number_text, units) | st.text(max_size=12)
scalars = numbers | strings | st.none() | st.booleans()
values = st.one_of(
    scalars,
    st.lists(scalars, max_size=3),
    st.builds(lambda v, s: {"emissions": v, "source": s}, scalars, st.text(max_size=5)),
)


@settings(max_examples=400, deadline=None)
@given(value=values)
def test_hub_grams_agrees_with_huggingface_hub(value: Any) -> None:
    check_agrees(value)


@settings(max_examples=200, deadline=None)
@given(value=st.floats(-1e6, 1e6, allow_nan=False), lo=st.floats(-10, 1e6), hi=st.floats(-10, 1e6))
def test_random_thresholds_agree(value: float, lo: float, hi: float) -> None:
    assert hub_keeps(value, lo, hi) == modelcard.hub_within(hub_grams(value), lo, hi)


@pytest.mark.parametrize(
    ("name", "meant", "hub"),
    [
        ("bare_number.md", 149.2, 149.2),
        ("crlf_string_units.md", 49.49, 49.49),
        ("tonnes.md", 500_000, 0.5),
        ("kg_string.md", 1700, 1.7),
        ("thousands.md", 1234, 1.0),
        ("negative.md", -5, 5.0),
        ("zero.md", 0, None),
        ("no_emissions.md", None, None),
        ("no_front_matter.md", None, None),
    ],
)
def test_read_card_reports_both_readings(name: str, meant: float | None, hub: float | None) -> None:
    record = read_card(CARDS / name)
    assert record.emissions_g == (None if meant is None else pytest.approx(meant))
    assert record.hub_g == (None if hub is None else pytest.approx(hub))
    assert record.to_dict()["hub_g"] == record.hub_g
    assert record.hub_misreads == (name in {"tonnes.md", "kg_string.md", "thousands.md", "negative.md", "zero.md"})


def test_misread_is_flagged_with_both_numbers() -> None:
    record = read_card(CARDS / "kg_string.md")
    assert any("reads 1.7 g, not 1,700 g" in f for f in record.flags)
    zero = read_card_text("---\nco2_eq_emissions: {emissions: 0}\n---\n")
    assert any("leaves it out" in f for f in zero.flags)


def test_scan_as_hub_filters_the_way_the_hub_does(tmp_path: Path) -> None:
    for name in ("bare_number.md", "tonnes.md", "kg_string.md", "zero.md", "negative.md", "no_front_matter.md"):
        folder = tmp_path / name.removesuffix(".md")
        folder.mkdir()
        shutil.copyfile(CARDS / name, folder / "README.md")

    def names(records: list[modelcard.CardRecord]) -> list[str]:
        return [Path(r.path).parent.name for r in records]

    # What the cards mean: 1,700 g and 500,000 g are above 100 g; 149.2 g too.
    assert names(scan(tmp_path, min_g=100)) == ["bare_number", "kg_string", "tonnes"]
    # What the Hub reads: 1.7, 0.5 and 5 are below 100; only 149.2 is kept.
    assert names(scan(tmp_path, min_g=100, as_hub=True)) == ["bare_number"]
    assert names(scan(tmp_path, max_g=10, as_hub=True)) == ["tonnes", "kg_string", "negative"]
    # Same decision as huggingface_hub for every card.
    for record in scan(tmp_path):
        raw = modelcard.split_front_matter(Path(record.path).read_text("utf-8")).metadata.get("co2_eq_emissions")
        if raw is not None:
            kept = hub_keeps(raw, None, 10)
            assert kept == (Path(record.path).parent.name in names(scan(tmp_path, max_g=10, as_hub=True)))
    # No bounds: the Hub filters nothing, every card is listed.
    assert len(scan(tmp_path, as_hub=True)) == 6
