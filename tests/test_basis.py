"""Issue 13, "Done when": one basis (life-cycle, location-based, yearly), every year, by zone.

Figures are read from the reference series in ``../shared/reference/`` (Electricity
Maps yearly averages, ODbL; UNFCCC/IFI operating margins, CC BY-SA 4.0) and the
arithmetic is worked out here: 0.4 kW (NVIDIA A100 SXM4 80GB TDP, NVIDIA datasheet)
× 1 h × PUE 1.54 (industry average, Uptime Institute Global Data Center Survey 2025)
× the figure. The tests skip when the reference folder is missing, except in CI.
"""

from __future__ import annotations

import csv
import json
import re
from collections import defaultdict
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import estimate, grid, report, runs
from estimator.catalog import Catalog, load_catalog
from estimator.errors import AmbiguousNameError, EstimatorError, InputError
from estimator.job import Job
from estimator.modelcard import card_block
from estimator.plan import resolve
from tests.conftest import needed, run_cli

REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "reference"
A100 = "nvidia-a100-sxm4-80gb"
A100_KW = 0.4  # NVIDIA A100 80GB SXM datasheet: 400 W TDP
INDUSTRY_PUE = 1.54  # Uptime Institute, Global Data Center Survey 2025 (2024: 1.56)
BIG_THREE = ("aws", "gcp", "azure")


def _reference(*parts: str) -> Path:
    path = REFERENCE.joinpath(*parts)
    if not path.exists():
        needed(f"the reference data {path} is not here")
    return path


@cache
def _em_yearly() -> dict[int, dict[str, float]]:
    """Electricity Maps yearly averages: {year: {zone: gCO2eq/kWh}}, from the files themselves."""
    folder = _reference("electricity-maps-yearly")
    out: dict[int, dict[str, float]] = {}
    for path in sorted(folder.glob("yearly_*.json")):
        year = int(path.stem.split("_")[1])
        rows = json.loads(path.read_text(encoding="utf-8"))
        out[year] = {zone: float(row["carbonIntensity"]["value"]) for zone, row in rows.items()}
    assert out, f"no yearly_*.json in {folder}"
    return out


@cache
def _operating_margin() -> dict[str, float]:
    """UNFCCC/IFI 2021 v3.1: operating margin (the last column, gCO2/kWh) by country name."""
    path = _reference("unfccc-marginal", "IFI_Default_Grid_Factors_2021_v3.1_unfccc.csv")
    out = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.reader(handle):
            if len(row) >= 6 and row[0] and row[5].strip().isdigit():
                out[row[0]] = float(row[5])
    return out


@pytest.fixture(scope="module")
def cat() -> Catalog:
    return load_catalog()


def _cloud(cat: Catalog, providers: tuple[str, ...] | None = None) -> list[Any]:
    return sorted(
        (r for r in cat.regions.values() if r.is_cloud and (providers is None or r.provider in providers)),
        key=lambda r: r.id,
    )


# ---------------------------------------------------------------- the year


@pytest.mark.parametrize("year", [2022, 2025])
def test_germany_uses_the_electricity_maps_figure_of_the_year(year: int) -> None:
    figure = _em_yearly()[year]["DE"]
    e = estimate(hardware=A100, hours=1, region="DE", year=year)
    assert e.intensity_g_per_kwh == figure
    assert e.intensity_year == year
    assert e.region is not None
    assert e.region["zone"] == "DE"
    assert e.region["basis"] == "lifecycle"
    assert e.intensity_basis == "lifecycle"
    assert (e.pue, e.pue_basis) == (INDUSTRY_PUE, "industry-average")
    assert e.energy_kwh == pytest.approx(A100_KW * 1 * INDUSTRY_PUE, rel=1e-12)
    assert e.co2e_g == pytest.approx(A100_KW * 1 * INDUSTRY_PUE * figure, rel=1e-12)
    assert not [w for w in e.warnings if "asked" in w]  # a year in the series needs no note


def test_the_year_changes_the_number() -> None:
    """Germany 2022 vs 2025 (475 vs 342 g/kWh in Electricity Maps): the ratio of the results is theirs."""
    em = _em_yearly()
    e22 = estimate(hardware=A100, hours=1, region="DE", year=2022)
    e25 = estimate(hardware=A100, hours=1, region="DE", year=2025)
    assert e22.co2e_g / e25.co2e_g == pytest.approx(em[2022]["DE"] / em[2025]["DE"], rel=1e-12)


def test_no_year_is_the_latest_in_the_series() -> None:
    em = _em_yearly()
    latest = max(em)
    e = estimate(hardware=A100, hours=1, region="DE")
    assert (e.intensity_year, e.intensity_g_per_kwh) == (latest, em[latest]["DE"])


@pytest.mark.parametrize(("region", "zone"), [("DE", "DE"), ("aws:us-east-1", "US-MIDA-PJM")])
def test_a_year_before_the_series_uses_the_earliest_and_says_so(region: str, zone: str) -> None:
    em = _em_yearly()
    earliest = min(em)
    e = estimate(hardware=A100, hours=1, region=region, year=2019)
    assert (e.intensity_year, e.intensity_g_per_kwh) == (earliest, em[earliest][zone])
    assert e.region is not None and e.region["zone"] == zone
    notes = [w for w in e.warnings if w.startswith("2019 asked;")]
    assert notes, e.warnings
    assert f"{earliest} is the earliest" in notes[0]
    assert zone in notes[0]


def test_a_year_after_the_series_uses_the_latest_and_says_so() -> None:
    em = _em_yearly()
    latest = max(em)
    e = estimate(hardware=A100, hours=1, region="DE", year=latest + 5)
    assert (e.intensity_year, e.intensity_g_per_kwh) == (latest, em[latest]["DE"])
    assert any(w.startswith(f"{latest + 5} asked; {latest} is the latest") for w in e.warnings), e.warnings


# ---------------------------------------------------------------- cloud regions -> zones


def test_every_big_three_region_has_a_zone_with_a_lifecycle_figure_for_2024_or_later(cat: Catalog) -> None:
    regions = _cloud(cat, BIG_THREE)
    assert {r.provider for r in regions} == set(BIG_THREE)
    problems = []
    for r in regions:
        e = estimate(hardware=A100, hours=1, region=r.id)
        assert e.region is not None
        if not r.zone or not r.zone_source:
            problems.append(f"{r.id}: no zone or no zone source")
        elif e.region["zone"] != r.zone:
            problems.append(f"{r.id}: figure from {e.region['zone']}, not its zone {r.zone}")
        elif e.region["basis"] != "lifecycle" or e.intensity_year is None or e.intensity_year < 2024:
            problems.append(f"{r.id}: {e.region['basis']} {e.intensity_year}")
    assert not problems, "\n".join(problems)


def test_cloud_regions_in_an_electricity_maps_zone_carry_its_figure_every_year(cat: Catalog) -> None:
    """Every cloud region (any provider) whose zone is in the reference: the reference's figure, year by year."""
    em = _em_yearly()
    checked = 0
    for r in _cloud(cat):
        if r.zone not in em[max(em)]:
            continue
        for year, zones in em.items():
            if r.zone not in zones:
                continue
            e = estimate(hardware=A100, hours=1, region=r.id, year=year)
            assert (r.id, e.intensity_year, e.intensity_g_per_kwh) == (r.id, year, zones[r.zone])
            checked += 1
    assert checked > 500  # the big clouds' zones are nearly all in the series


YEARS = (None, 2019, 2021, 2022, 2023, 2024, 2025, 2027)


def test_same_zone_regions_of_different_providers_agree_exactly(cat: Catalog) -> None:
    by_zone: dict[str, list[str]] = defaultdict(list)
    for r in _cloud(cat):
        by_zone[r.grid_id].append(r.id)
    shared = {z: ids for z, ids in by_zone.items() if len({i.split(":")[0] for i in ids}) > 1}
    assert len(shared) >= 10  # e.g. US-MIDA-PJM, NL, DE, IE, FR, ...
    for zone, ids in shared.items():
        for year in YEARS:
            got = {}
            for rid in ids:
                e = estimate(hardware=A100, hours=1, region=rid, year=year)
                assert e.region is not None
                got[rid] = (e.region["zone"], e.region["basis"], e.intensity_year, e.intensity_g_per_kwh)
            assert len(set(got.values())) == 1, (zone, year, got)


def test_a_cloud_region_gets_exactly_its_zones_figure(cat: Catalog) -> None:
    """Every cloud region (any provider) and the zone row it points at: one figure, one year, every year asked."""
    for r in _cloud(cat):
        zone = cat.regions[r.grid_id]
        assert not zone.is_cloud, r.id
        for year in YEARS:
            ours = resolve(Job(hardware=A100, hours=1, region=r.id, year=year))
            theirs = resolve(Job(hardware=A100, hours=1, region=zone.id, year=year))
            assert ours.intensity is not None and theirs.intensity is not None
            assert (ours.intensity.zone, ours.intensity.year, ours.intensity_g_per_kwh) == (
                theirs.intensity.zone,
                theirs.intensity.year,
                theirs.intensity_g_per_kwh,
            ), (r.id, zone.id, year)


@settings(max_examples=150, deadline=None)
@given(data=st.data(), year=st.sampled_from(YEARS))
def test_two_cloud_regions_with_one_zone_get_one_figure(data: st.DataObject, year: int | None) -> None:
    """The same property on random pairs, through resolve() (the figure and its low/high)."""
    cat = load_catalog()
    regions = _cloud(cat)
    a = data.draw(st.sampled_from(regions))
    mates = [r for r in regions if r.grid_id == a.grid_id]
    b = data.draw(st.sampled_from(mates))
    pa = resolve(Job(hardware=A100, hours=1, region=a.id, year=year))
    pb = resolve(Job(hardware=A100, hours=1, region=b.id, year=year))
    assert pa.intensity_g_per_kwh == pb.intensity_g_per_kwh
    assert pa.intensity_year == pb.intensity_year


# ---------------------------------------------------------------- the words: year and basis


def _names_year_and_basis(text: str, year: int, basis_words: str) -> bool:
    return re.search(rf"\b{year}\b.{{0,60}}{basis_words}", text, flags=re.S) is not None


def test_card_markdown_latex_and_text_name_the_year_and_basis() -> None:
    e = estimate(hardware=A100, hours=1, region="DE", year=2023)
    source = card_block(e, "fine-tuning")["source"]
    for what, text in {
        "card source": source,
        "markdown": report.markdown_paragraph(e),
        "latex": report.latex_paragraph(e),
        "text": report.text(e),
    }.items():
        assert _names_year_and_basis(text, 2023, "life-cycle"), (what, text)


def test_cli_text_and_card_name_the_year_and_basis() -> None:
    base = ("estimate", "--hardware", A100, "--hours", "1", "--region", "DE", "--year", "2022")
    text = run_cli(*base)
    assert text.returncode == 0, text.stderr
    assert _names_year_and_basis(text.stdout, 2022, "life-cycle"), text.stdout
    assert f"{_em_yearly()[2022]['DE']:g} g/kWh" in text.stdout
    card = run_cli(*base, "--format", "modelcard", "--training-type", "fine-tuning")
    assert card.returncode == 0, card.stderr
    assert _names_year_and_basis(card.stdout, 2022, "life-cycle"), card.stdout


def test_marginal_is_named_marginal_in_every_text() -> None:
    e = estimate(hardware=A100, hours=1, region="DE", basis="marginal")
    source = card_block(e, "fine-tuning")["source"]
    for what, text in {
        "card source": source,
        "markdown": report.markdown_paragraph(e),
        "latex": report.latex_paragraph(e),
        "text": report.text(e),
    }.items():
        assert _names_year_and_basis(text, 2021, "marginal"), (what, text)
        assert "operating margin" in text, what
        assert "life-cycle" not in text, what


def test_a_marginal_card_does_not_call_itself_location_based() -> None:
    e = estimate(hardware=A100, hours=1, region="DE", basis="marginal")
    assert "location-based" not in card_block(e, "fine-tuning")["source"]


# ---------------------------------------------------------------- the marginal view


@pytest.mark.parametrize(("code", "country"), [("DE", "Germany"), ("FR", "France"), ("IN", "India")])
def test_marginal_is_the_unfccc_operating_margin_of_the_country(code: str, country: str) -> None:
    margin = _operating_margin()[country]  # worked by hand: DE 650, FR 158, IN 951 gCO2/kWh
    e = estimate(hardware=A100, hours=1, region=code, basis="marginal")
    assert e.intensity_g_per_kwh == margin
    assert e.intensity_basis == "marginal"
    assert e.region is not None and e.region["basis"] == "marginal"
    assert e.intensity_year == 2021  # the IFI harmonised factors are the 2021 edition
    assert e.co2e_g == pytest.approx(A100_KW * 1 * INDUSTRY_PUE * margin, rel=1e-12)
    lifecycle = estimate(hardware=A100, hours=1, region=code)
    assert lifecycle.intensity_g_per_kwh != margin


def test_a_cloud_region_takes_its_countrys_operating_margin() -> None:
    e = estimate(hardware=A100, hours=1, region="gcp:europe-west3", basis="marginal")
    assert e.intensity_g_per_kwh == _operating_margin()["Germany"]
    assert e.intensity_basis == "marginal"


def test_the_default_is_never_marginal(cat: Catalog) -> None:
    seen = 0
    for rid in sorted(cat.regions):
        try:
            plan = resolve(Job(hardware=A100, hours=1, region=rid))
        except EstimatorError:
            continue
        seen += 1
        assert plan.intensity_basis != "marginal", rid
        assert plan.region_facts is not None and plan.region_facts["basis"] != "marginal", rid
        assert all(f.basis != "marginal" for f in (plan.intensity.beside if plan.intensity else ())), rid
    assert seen > 700
    assert Job().basis == "lifecycle"


@pytest.mark.parametrize("basis", ["average", "Marginal", "", "location"])
def test_an_unknown_basis_is_refused_naming_the_field(basis: str) -> None:
    with pytest.raises(InputError) as info:
        estimate(hardware=A100, hours=1, region="DE", basis=basis)
    assert info.value.field == "basis"
    assert "lifecycle" in str(info.value) and "marginal" in str(info.value)


def test_the_cli_refuses_an_unknown_basis() -> None:
    out = run_cli("estimate", "--hardware", A100, "--hours", "1", "--region", "DE", "--basis", "average")
    assert out.returncode == 2
    assert "--basis" in out.stderr and "Traceback" not in out.stderr


# ---------------------------------------------------------------- bare region ids


def test_a_bare_id_shared_within_one_zone_resolves_with_a_note(cat: Catalog) -> None:
    candidates = sorted(r.id for r in _cloud(cat) if r.id.split(":", 1)[1] == "us-east-1")
    assert len(candidates) >= 2 and "aws:us-east-1" in candidates
    e = estimate(hardware=A100, hours=1, region="us-east-1")
    aws = estimate(hardware=A100, hours=1, region="aws:us-east-1")
    assert e.region is not None and e.region["zone"] == "US-MIDA-PJM"
    assert e.intensity_g_per_kwh == aws.intensity_g_per_kwh == _em_yearly()[max(_em_yearly())]["US-MIDA-PJM"]
    note = [w for w in e.warnings if "us-east-1" in w]
    assert note and all(c in note[0] for c in candidates), e.warnings


def test_a_bare_id_in_several_zones_lists_the_candidates(cat: Catalog) -> None:
    candidates = sorted(r.id for r in _cloud(cat) if r.id.split(":", 1)[1] == "eu-west-1")
    assert len({cat.regions[c].grid_id for c in candidates}) > 1
    with pytest.raises(AmbiguousNameError) as info:
        estimate(hardware=A100, hours=1, region="eu-west-1")
    assert info.value.field == "region"
    assert all(c in str(info.value) for c in candidates), str(info.value)


def test_every_bare_id_shared_by_providers_follows_the_rule(cat: Catalog) -> None:
    by_bare: dict[str, list[str]] = defaultdict(list)
    for r in _cloud(cat):
        by_bare[r.id.split(":", 1)[1]].append(r.id)
    shared = {bare: ids for bare, ids in by_bare.items() if len(ids) > 1}
    assert len(shared) >= 2
    for bare, ids in shared.items():
        zones = {cat.regions[i].grid_id for i in ids}
        if len(zones) == 1:
            e = estimate(hardware=A100, hours=1, region=bare)
            assert e.region is not None and e.region["zone"] == cat.regions[zones.pop()].grid_id, bare
            assert any(all(i in w for i in ids) for w in e.warnings), (bare, e.warnings)
        else:
            with pytest.raises(AmbiguousNameError) as info:
                estimate(hardware=A100, hours=1, region=bare)
            assert info.value.field == "region"
            assert all(i in str(info.value) for i in ids), (bare, str(info.value))


# ---------------------------------------------------------------- the range


@settings(max_examples=300, deadline=None)
@given(data=st.data(), year=st.sampled_from(YEARS))
def test_the_range_holds_the_central_figure_and_every_figure_beside(data: st.DataObject, year: int | None) -> None:
    cat = load_catalog()
    region = cat.regions[data.draw(st.sampled_from(sorted(cat.regions)))]
    try:
        choice = grid.choose(cat, region, year)
    except EstimatorError:
        return  # no figure at all: said in an error, checked elsewhere
    values = [choice.value_g_per_kwh, *(f.intensity_g_per_kwh for f in choice.beside)]
    assert choice.low_g_per_kwh == min(values)
    assert choice.high_g_per_kwh == max(values)
    plan = resolve(Job(hardware=A100, hours=1, region=region.id, year=year))
    assert plan.intensity_low_g_per_kwh <= plan.intensity_g_per_kwh <= plan.intensity_high_g_per_kwh
    for f in plan.intensity.beside if plan.intensity else ():
        assert plan.intensity_low_g_per_kwh <= f.intensity_g_per_kwh <= plan.intensity_high_g_per_kwh
    e = estimate(hardware=A100, hours=1, region=region.id, year=year)
    assert e.co2e_low_g <= e.co2e_g <= e.co2e_high_g
    # the high end is TDP draw at the highest figure: energy × max of all figures
    assert e.co2e_high_g == pytest.approx(e.energy_kwh * max(values), rel=1e-12)


def test_a_place_without_a_lifecycle_figure_says_so(cat: Catalog) -> None:
    """No life-cycle series: the best other figure, its basis named and never called life-cycle; or an error."""
    places = [r for r in cat.regions.values() if not grid.central_series(cat, r)]
    assert places  # eGRID-only balancing areas, a few small territories
    answered = 0
    for r in places:
        refused: InputError | None
        try:
            e = estimate(hardware=A100, hours=1, region=r.id)
        except InputError as exc:
            refused = exc
        else:
            refused = None
        if refused is not None:
            assert refused.field == "region" and r.id in str(refused), str(refused)
            continue
        answered += 1
        assert e.region is not None and e.region["basis"] not in ("lifecycle", "marginal"), r.id
        assert any(w.startswith(f"no life-cycle figure for {r.id}") for w in e.warnings), e.warnings
        for text in (report.markdown_paragraph(e), card_block(e, "fine-tuning")["source"]):
            assert "life-cycle" not in text, (r.id, text)
    assert answered


# ---------------------------------------------------------------- batch: the year from a run's start


def _batch(rows: list[dict[str, Any]]) -> runs.Result:
    return runs.compute(pd.DataFrame(rows))


def test_a_run_across_new_year_splits_its_hours_by_year() -> None:
    """5 h from 2022-12-31 22:00 UTC in Germany: 2 h at the 2022 figure, 3 h at the 2023 figure."""
    em = _em_yearly()
    result = _batch([{"hardware": A100, "hours": 5, "region": "DE", "start": "2022-12-31T22:00:00Z"}])
    row = result.frame.iloc[0]
    assert row["error"] is None
    by_hand = A100_KW * INDUSTRY_PUE * (2 * em[2022]["DE"] + 3 * em[2023]["DE"])
    assert row["co2e_g"] == pytest.approx(by_hand, rel=1e-12)
    assert row["energy_kwh"] == pytest.approx(A100_KW * INDUSTRY_PUE * 5, rel=1e-12)
    parts = (
        estimate(hardware=A100, hours=2, region="DE", year=2022),
        estimate(hardware=A100, hours=3, region="DE", year=2023),
    )
    assert row["co2e_g"] == parts[0].co2e_g + parts[1].co2e_g
    assert row["co2e_high_g"] == parts[0].co2e_high_g + parts[1].co2e_high_g
    assert row["intensity_g_per_kwh"] == pytest.approx(by_hand / (A100_KW * INDUSTRY_PUE * 5), rel=1e-12)


def test_a_start_with_an_offset_is_read_in_utc() -> None:
    """01:00 at +02:00 on 1 January 2023 is 23:00 UTC on 31 December 2022: 1 h in 2022, 4 h in 2023."""
    em = _em_yearly()
    result = _batch([{"hardware": A100, "hours": 5, "region": "DE", "start": "2023-01-01T01:00:00+02:00"}])
    by_hand = A100_KW * INDUSTRY_PUE * (1 * em[2022]["DE"] + 4 * em[2023]["DE"])
    assert result.frame.iloc[0]["co2e_g"] == pytest.approx(by_hand, rel=1e-12)


def test_a_run_over_several_years_is_split_into_each() -> None:
    """From 2021-12-31 12:00 UTC for 12 + 8760 + 8760 + 12 h: 2021, 2022 (365 d), 2023 (365 d), 2024."""
    em = _em_yearly()
    hours = 12 + 8760 + 8760 + 12
    result = _batch([{"hardware": A100, "hours": hours, "region": "FR", "start": "2021-12-31T12:00:00"}])
    split = 12 * em[2021]["FR"] + 8760 * em[2022]["FR"] + 8760 * em[2023]["FR"] + 12 * em[2024]["FR"]
    assert result.frame.iloc[0]["co2e_g"] == pytest.approx(A100_KW * INDUSTRY_PUE * split, rel=1e-12)


def test_start_and_year_together_are_refused() -> None:
    with pytest.raises(InputError) as info:
        _batch([{"hardware": A100, "hours": 1, "region": "DE", "start": "2023-05-01", "year": 2023}])
    assert info.value.field == "year"


def test_an_unreadable_start_is_that_rows_error() -> None:
    result = _batch(
        [
            {"hardware": A100, "hours": 1, "region": "DE", "start": "not a date"},
            {"hardware": A100, "hours": 1, "region": "DE", "start": "2023-05-01"},
        ]
    )
    assert "start" in result.frame.iloc[0]["error"] and result.columns[0] == "start"
    assert result.frame.iloc[1]["error"] is None


STARTS = st.datetimes(min_value=datetime(2019, 1, 1), max_value=datetime(2026, 12, 1))


@settings(max_examples=60, deadline=None)
@given(
    starts=st.lists(
        st.tuples(
            STARTS,
            st.floats(0.01, 600),
            st.sampled_from(["DE", "FR", "aws:us-east-1", "IN"]),
            st.sampled_from([None, 0.4, 1.0]),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_a_run_within_one_year_equals_estimate_of_that_year(starts: list[Any]) -> None:
    rows = [
        {"hardware": A100, "hours": h, "region": r, "utilization": u, "start": t.isoformat()} for t, h, r, u in starts
    ]
    result = _batch(rows)
    for (t, h, r, u), (_, got) in zip(starts, result.frame.iterrows(), strict=True):
        end = t + timedelta(hours=h)
        if end.year != t.year:
            continue
        kwargs = {"hardware": A100, "hours": h, "region": r, "year": t.year}
        e = estimate(**kwargs, **({} if u is None else {"utilization": u}))
        for column in ("energy_kwh", "co2e_g", "co2e_low_g", "co2e_high_g", "embodied_g"):
            assert got[column] == getattr(e, column), (column, t, h, r)
        assert got["intensity_year"] == e.intensity_year


def test_the_intensity_of_a_run_within_one_year_is_the_years_figure() -> None:
    hours = [0.1 * k for k in range(1, 60)]
    rows = [{"hardware": A100, "hours": h, "region": "aws:us-east-1", "start": "2023-05-01"} for h in hours]
    figure = estimate(hardware=A100, hours=1, region="aws:us-east-1", year=2023).intensity_g_per_kwh
    assert figure == _em_yearly()[2023]["US-MIDA-PJM"]
    got = _batch(rows).frame["intensity_g_per_kwh"].tolist()
    assert got == [figure] * len(hours)


def test_a_marginal_figure_for_a_subdivision_is_called_its_country_s() -> None:
    # UNFCCC's operating margins are per country: CA is Quebec's country, not its grid zone (that is CA-QC)
    from estimator.report import intensity_words

    e = estimate(hardware="T4", hours=1, region="CA-QC", basis="marginal")
    assert e.region is not None and e.region["zone"] == "CA"
    assert e.region["source"].startswith("CA, the country figure for CA-QC:")
    assert intensity_words(e).startswith("CA (the country figure for CA-QC), 2021")
    life = estimate(hardware="T4", hours=1, region="aws:eu-central-1")
    assert life.region is not None and "the grid zone of aws:eu-central-1" in life.region["source"]
