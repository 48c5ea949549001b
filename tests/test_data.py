"""The shipped data: schema (enforced by the loader), coverage, ranges, and
figures checked by hand against vendor datasheets and providers' own reports."""

from __future__ import annotations

import csv
import math
from collections import Counter
from pathlib import Path

import pytest

from estimator.catalog import Catalog
from estimator.errors import AmbiguousNameError, UnknownHardwareError
from estimator.names import norm

HERE = Path(__file__).resolve().parent
REFERENCE = HERE.parent.parent / "shared" / "reference"

# Plausible power per device, by kind (W). A value outside is a unit or copy mistake.
POWER_RANGE_W = {"gpu": (10, 1500), "tpu": (50, 1500), "npu": (10, 1500), "soc": (3, 400), "cpu": (3, 600)}


def read_csv(name: str) -> list[dict[str, str]]:
    with open(HERE / "data" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_coverage(catalog: Catalog) -> None:
    kinds = Counter(d.kind for d in catalog.devices.values())
    assert sum(n for k, n in kinds.items() if k != "cpu") >= 120
    assert kinds["cpu"] >= 300
    assert len(catalog.instances) >= 150
    assert len(catalog.regions) >= 450
    regions = Counter(r.kind for r in catalog.regions.values())
    assert regions["country"] >= 200
    assert regions["world"] == 1
    clouds = Counter(r.provider for r in catalog.regions.values() if r.is_cloud)
    assert clouds["gcp"] >= 40 and clouds["aws"] >= 30 and clouds["azure"] >= 55


@pytest.mark.parametrize("kind", sorted(POWER_RANGE_W))
def test_power_is_plausible_per_kind(catalog: Catalog, kind: str) -> None:
    low, high = POWER_RANGE_W[kind]
    bad = [(d.id, d.tdp_w) for d in catalog.devices.values() if d.kind == kind and not low <= d.tdp_w <= high]
    assert not bad


def test_every_row_is_sourced_and_dated(catalog: Catalog) -> None:
    assert all(len(d.source) >= 8 and 2000 <= d.year <= 2026 for d in catalog.devices.values())
    assert all(len(i.source) >= 8 and 2000 <= i.year <= 2026 for i in catalog.instances.values())
    assert all(len(r.source) >= 8 and 2015 <= r.year <= 2026 for r in catalog.regions.values())
    for p in catalog.providers.values():
        assert p.pue is None or (p.pue_source and p.pue_year)


def test_cpus_have_cores(catalog: Catalog) -> None:
    cpus = [d for d in catalog.devices.values() if d.is_cpu]
    assert all(d.cores and d.threads and d.threads >= d.cores for d in cpus)


def test_names_and_aliases_are_unique(catalog: Catalog) -> None:
    owner: dict[str, str] = {}
    for d in catalog.devices.values():
        for name in {d.id, d.name, *d.aliases}:
            assert owner.setdefault(norm(name), d.id) == d.id, name


@pytest.mark.parametrize("row", read_csv("tdp_verified.csv"), ids=lambda r: r["id"])
def test_tdp_checked_against_vendor_datasheet(catalog: Catalog, row: dict[str, str]) -> None:
    device = catalog.devices[row["id"]]
    assert device.tdp_w == float(row["tdp_w"])


def test_tdp_table_is_large_enough() -> None:
    assert len(read_csv("tdp_verified.csv")) >= 30


def test_known_public_table_mistakes_are_not_inherited(catalog: Catalog) -> None:
    # NVIDIA V100 datasheet: SXM2 300 W, PCIe 250 W (ML CO2 Impact lists the reverse)
    assert catalog.devices["nvidia-v100-sxm2-16gb"].tdp_w == 300
    assert catalog.devices["nvidia-v100-pcie-16gb"].tdp_w == 250
    gtx750 = [d for d in catalog.devices.values() if "gtx 750" in d.name.lower()]
    assert all(d.tdp_w < 100 for d in gtx750)


@pytest.mark.parametrize("row", read_csv("regions_checked.csv"), ids=lambda r: r["id"])
def test_intensity_checked_against_source(catalog: Catalog, row: dict[str, str]) -> None:
    region = catalog.regions[row["id"]]
    assert region.intensity_g_per_kwh == float(row["intensity_g_per_kwh"])
    assert region.year == int(row["year"])


def test_region_table_is_large_enough() -> None:
    assert len(read_csv("regions_checked.csv")) >= 20


def test_cloud_rows_inherit_their_grid_figure(catalog: Catalog) -> None:
    inherited = [r for r in catalog.regions.values() if r.intensity_from]
    assert inherited
    for r in inherited:
        grid = catalog.regions[r.intensity_from]
        assert (r.intensity_g_per_kwh, r.year, r.source) == (grid.intensity_g_per_kwh, grid.year, grid.source)
    # every row ends with a real figure and year: none left empty by a broken grid link
    assert all(math.isfinite(r.intensity_g_per_kwh) and r.year and r.source for r in catalog.regions.values())


def test_own_figures_far_from_the_grid_say_why(catalog: Catalog) -> None:
    for r in catalog.regions.values():
        if r.is_cloud and r.grid and not r.intensity_from:
            grid = catalog.regions[r.grid].intensity_g_per_kwh
            low, high = sorted((grid, r.intensity_g_per_kwh))
            if high > 1.3 * low:
                assert "30 %" in r.note or "30%" in r.note, r.id


@pytest.mark.skipif(not REFERENCE.is_dir(), reason="shared/reference is beside the checkout only in CI")
def test_country_rows_far_from_eco2ai_say_which_was_chosen(catalog: Catalog) -> None:
    with open(REFERENCE / "eco2ai" / "carbon_index.csv", encoding="utf-8") as fh:
        eco = {
            r["alpha_2_code"]: float(r["Emission intensity, kg/MWh"])
            for r in csv.DictReader(fh)
            if r["region"] == "Whole country" and r["Emission intensity, kg/MWh"]
        }
    for code, other in eco.items():
        row = catalog.regions.get(code)
        if row is None or row.kind != "country" or min(other, row.intensity_g_per_kwh) <= 0:
            continue
        low, high = sorted((other, row.intensity_g_per_kwh))
        if high > 1.3 * low:
            assert row.note, f"{code}: ours {row.intensity_g_per_kwh}, eco2AI {other}, and no note"


def test_every_instance_resolves_to_catalog_devices(catalog: Catalog) -> None:
    for inst in catalog.instances.values():
        if inst.accelerator:
            assert not catalog.devices[inst.accelerator].is_cpu
        if inst.cpu:
            assert catalog.devices[inst.cpu].is_cpu


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("NVIDIA H100 80GB HBM3", "nvidia-h100-sxm5-80gb"),
        ("Tesla V100-SXM2-32GB", "nvidia-v100-sxm2-32gb"),
        ("NVIDIA A100-SXM4-40GB", "nvidia-a100-sxm4-40gb"),
        ("Tesla P100-PCIE-16GB", "nvidia-p100-pcie-16gb"),
        ("Tesla T4", "nvidia-t4"),
        ("H100 SXM", "nvidia-h100-sxm5-80gb"),
        ("A100 80GB SXM", "nvidia-a100-sxm4-80gb"),
    ],
)
def test_names_tools_print(catalog: Catalog, query: str, expected: str) -> None:
    assert catalog.device(query)[0].id == expected


@pytest.mark.parametrize("query", ["A100 80G", "A100"])
def test_near_misses_list_the_variants(catalog: Catalog, query: str) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        catalog.device(query)
    assert "nvidia-a100-sxm4-80gb" in info.value.candidates


def test_did_you_mean(catalog: Catalog) -> None:
    assert catalog.device("h100sxm")[0].id == "nvidia-h100-sxm5-80gb"  # punctuation-insensitive alias
    with pytest.raises(UnknownHardwareError) as info:
        catalog.device("H100 SMX5")
    assert "nvidia-h100-sxm5-80gb" in info.value.suggestions


@pytest.mark.parametrize(
    ("query", "provider", "expected"),
    [
        ("Iowa", None, "US-IA"),
        ("Iowa", "gcp", "gcp:us-central1"),
        ("Montréal", "gcp", "gcp:northamerica-northeast1"),
        ("Montreal", "aws", "aws:ca-central-1"),
        ("Frankfurt", "aws", "aws:eu-central-1"),
        ("East US", None, "azure:eastus"),
        ("Europe (Frankfurt)", None, "aws:eu-central-1"),
        ("West Europe", None, "azure:westeurope"),
        ("us-central1", None, "gcp:us-central1"),
        ("eastus", None, "azure:eastus"),
        ("google:europe-west4", None, "gcp:europe-west4"),
        ("québec", None, "CA-QC"),
        ("CA-QC", None, "CA-QC"),
        ("se-se3", None, "SE-SE3"),
        ("Czech Republic", None, "CZ"),
    ],
)
def test_region_lookup_by_name(catalog: Catalog, query: str, provider: str | None, expected: str) -> None:
    assert catalog.region(query, provider)[0].id == expected


def test_city_shared_by_providers_is_ambiguous(catalog: Catalog) -> None:
    with pytest.raises(AmbiguousNameError) as info:
        catalog.region("Frankfurt")
    assert {"aws:eu-central-1", "gcp:europe-west3", "azure:germanywestcentral"} <= set(info.value.candidates)


def test_grid_spread_is_real(catalog: Catalog) -> None:
    # Québec's hydro grid against Poland's coal: the factor the tool exists to show
    assert catalog.regions["CA-QC"].intensity_g_per_kwh < 50
    assert catalog.regions["PL"].intensity_g_per_kwh > 500
