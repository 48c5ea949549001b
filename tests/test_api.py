"""estimate(): the public API against the shipped catalog and users' own files."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

import estimator
from estimator import estimate
from estimator.catalog import Catalog
from estimator.errors import (
    AmbiguousNameError,
    InputError,
    UnknownHardwareError,
    UnknownInstanceError,
    UnknownRegionError,
)

A100 = "nvidia-a100-sxm4-80gb"


def test_done_criterion_includes_pue(catalog: Catalog) -> None:
    e = estimate(hardware="A100 SXM4 80GB", hours=10, count=8, region="gcp:us-central1")
    row = catalog.regions["gcp:us-central1"]
    pue = row.pue if row.pue is not None else catalog.providers["gcp"].pue
    assert pue is not None and pue > 1
    # 8 × 400 W × 10 h = 32 kWh IT, × PUE, × the row's intensity
    assert e.energy_kwh == pytest.approx(32 * pue)
    # the life-cycle figure of the region's grid zone (Iowa: MISO), latest year
    zone = catalog.intensity[row.zone]
    latest = max((f for f in zone if f.dataset == "electricity-maps"), key=lambda f: f.year)
    assert row.zone == "US-MIDW-MISO"
    assert e.co2e_g == pytest.approx(32 * pue * latest.intensity_g_per_kwh)
    assert e.pue_basis in ("region", "provider")
    assert e.region is not None and e.region["id"] == "gcp:us-central1"
    assert e.region["zone"] == "US-MIDW-MISO" and e.region["basis"] == "lifecycle"
    assert e.intensity_year == latest.year and e.region["intensity_year"] == latest.year


def test_overrides_by_hand() -> None:
    # 8 × 400 W × 72 h × 1.10 × 430 g/kWh = 108,979.2 g (the example)
    e = estimate(hardware=A100, hours=72, count=8, region="world", pue=1.10, intensity=430)
    assert e.co2e_g == pytest.approx(108_979.2)
    assert e.pue_basis == "user" and e.intensity_basis == "user"


def test_utilization_and_power_override() -> None:
    # 2 × 250 W × 0.6 × 5 h × 1.0 = 1.5 kWh; × 200 g/kWh = 300 g
    e = estimate(hardware=A100, hours=5, count=2, power_w=250, utilization=0.6, intensity=200, pue=1.0)
    assert e.energy_kwh == pytest.approx(1.5)
    assert e.co2e_g == pytest.approx(300)
    assert "user-supplied power_w" in e.components[0].power_source
    assert estimator.plan.TDP_WARNING not in e.warnings


def test_names_nvidia_smi_prints(catalog: Catalog) -> None:
    for name in ("NVIDIA A100-SXM4-80GB", "nvidia a100 sxm4 80gb", "A100 80GB SXM", A100.upper()):
        e = estimate(hardware=name, hours=1, intensity=100, pue=1)
        assert e.hardware is not None and e.hardware["id"] == A100, name
    v100 = estimate(hardware="Tesla V100-SXM2-16GB", hours=1, intensity=100, pue=1)
    assert v100.hardware is not None and v100.hardware["tdp_w"] == 300


def test_bare_a100_is_ambiguous() -> None:
    with pytest.raises(AmbiguousNameError, match="ambiguous") as info:
        estimate(hardware="A100", hours=1, region="FR")
    assert A100 in info.value.candidates
    assert isinstance(info.value, LookupError)


def test_unknown_hardware_lists_close_matches() -> None:
    with pytest.raises(UnknownHardwareError, match="Closest matches") as info:
        estimate(hardware="nvidia-a100-sxm4-80gbb", hours=1, region="FR")
    assert A100 in info.value.suggestions
    assert len(info.value.suggestions) <= 3


def test_unknown_region_lists_close_matches() -> None:
    with pytest.raises(UnknownRegionError, match="FR") as info:
        estimate(hardware=A100, hours=1, region="Frnace")
    assert "FR" in info.value.suggestions


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hours": 0}, "hours"),
        ({"hours": -1}, "hours"),
        ({"hours": math.nan}, "hours"),
        ({"hours": math.inf}, "hours"),
        ({"hours": "ten"}, "hours"),
        ({"hours": None}, "hours is required"),
        ({"count": 0}, "count"),
        ({"count": 1.5}, "count"),
        ({"utilization": 0}, "utilization"),
        ({"utilization": 1.2}, "utilization"),
        ({"pue": 0.9}, "pue"),
        ({"pue": 3.5}, "pue"),
        ({"intensity": -1}, "intensity"),
        ({"intensity": 2001}, "intensity"),
        ({"power_w": 0}, "power_w"),
        ({"power_w": -300}, "power_w"),
        ({"region": None}, "give region"),
        ({"cpu_count": 2}, "cpu_count needs cpu"),
    ],
)
def test_bad_input(kwargs: dict[str, object], message: str) -> None:
    args: dict[str, object] = {"hardware": A100, "hours": 10, "region": "FR", **kwargs}
    with pytest.raises(InputError, match=message):
        estimate(**args)  # type: ignore[arg-type]


def test_default_pue_order(catalog: Catalog) -> None:
    # a country: no region or provider PUE, so the industry average
    fr = estimate(hardware=A100, hours=1, region="FR")
    assert fr.pue == catalog.industry_pue.pue == 1.54
    assert fr.pue_basis == "industry-average"
    assert "Uptime" in fr.pue_source
    # a cloud region without its own PUE takes the provider's
    no_own = [r for r in catalog.regions.values() if r.is_cloud and r.pue is None and catalog.providers[r.provider].pue]
    assert no_own
    e = estimate(hardware=A100, hours=1, region=no_own[0].id)
    assert e.pue_basis == "provider" and e.pue == catalog.providers[no_own[0].provider].pue
    # a region with a published PUE uses it
    own = [r for r in catalog.regions.values() if r.pue is not None]
    assert own
    e = estimate(hardware=A100, hours=1, region=own[0].id)
    assert e.pue_basis == "region" and e.pue == own[0].pue


def test_cpu_only_run(catalog: Catalog) -> None:
    cpu = next(d for d in catalog.devices.values() if d.is_cpu)
    # 2 × TDP × 3 h × 1.0 × 100 g/kWh
    e = estimate(hardware=cpu.id, hours=3, count=2, intensity=100, pue=1.0)
    assert e.components[0].kind == "cpu"
    assert e.co2e_g == pytest.approx(2 * cpu.tdp_w * 3 / 1000 * 100)


def test_cpu_and_memory_components(catalog: Catalog) -> None:
    cpu = next(d for d in catalog.devices.values() if d.is_cpu)
    assert cpu.cores
    e = estimate(hardware=A100, hours=2, cpu=cpu.id, cpu_cores=4, memory_gb=100, intensity=100, pue=1.0)
    # 400 W + 4 × TDP/cores + 100 GB × 0.3725 W/GB
    draw = 400 + 4 * cpu.tdp_w / cpu.cores + 37.25
    assert e.draw_w == pytest.approx(draw)
    assert e.co2e_g == pytest.approx(draw * 2 / 1000 * 100)
    assert [c.kind for c in e.components] == ["accelerator", "cpu", "memory"]
    sockets = estimate(hardware=A100, hours=2, cpu=cpu.id, cpu_count=2, intensity=100, pue=1.0)
    assert sockets.draw_w == pytest.approx(400 + 2 * cpu.tdp_w)


def test_instance_fills_devices(catalog: Catalog) -> None:
    inst = catalog.instances["aws:p4d.24xlarge"]
    assert inst.accelerator and inst.cpu
    acc, cpu = catalog.devices[inst.accelerator], catalog.devices[inst.cpu]
    e = estimate(instance="aws:p4d.24xlarge", hours=1, intensity=100, pue=1.0)
    threads = cpu.threads or 1
    draw = inst.accelerator_count * acc.tdp_w + inst.vcpus * cpu.tdp_w / threads + inst.memory_gb * 0.3725
    assert e.draw_w == pytest.approx(draw)
    assert e.hardware is not None and e.hardware["instance"] == "aws:p4d.24xlarge"
    # explicit arguments win
    two = estimate(instance="p4d.24xlarge", hours=1, count=2, intensity=100, pue=1.0, memory_gb=0)
    assert two.components[0].count == 2
    # the instance's provider names the fleet PUE when the region is a country
    e = estimate(instance="aws:p4d.24xlarge", hours=1, intensity=100)
    assert e.pue_basis == "provider"


def test_unknown_instance() -> None:
    with pytest.raises(UnknownInstanceError, match=r"p4d\.24xlarge"):
        estimate(instance="aws:p4d.48xlarge", hours=1, region="FR")


def test_estimate_is_frozen_and_sourced() -> None:
    e = estimate(hardware=A100, hours=1, region="FR")
    with pytest.raises(AttributeError):
        e.co2e_g = 0  # type: ignore[misc]
    assert e.package_version == estimator.__version__
    assert len(e.data_version) >= 12
    assert estimator.plan.TDP_WARNING in e.warnings
    assert e.provenance["intensity"].startswith("FR: ")
    d = e.to_dict()
    assert d["co2e_g"] == e.co2e_g and d["breakdown"][-1]["kind"] == "overhead"


def test_user_power_for_unknown_device_warns() -> None:
    e = estimate(hardware="Our FPGA v2", power_w=75, hours=4, intensity=100, pue=1.0)
    assert e.co2e_g == pytest.approx(30.0)
    assert any("Our FPGA v2" in w for w in e.warnings)


def test_region_by_name_and_provider_hint(catalog: Catalog) -> None:
    e = estimate(hardware=A100, hours=1, region="us-central1")
    assert e.region is not None and e.region["id"] == "gcp:us-central1"
    e = estimate(hardware=A100, hours=1, region="Iowa", provider="gcp")
    assert e.region is not None and e.region["id"] == "gcp:us-central1"


def test_user_data_file_merges(tmp_path: Path) -> None:
    mine = tmp_path / "mine.yaml"
    mine.write_text(
        """
devices:
  - id: lab-fpga
    name: Lab FPGA Board
    vendor: lab
    kind: npu
    tdp_w: 75
    power_basis: tdp
    memory_gb: 8
    released: 2024
    year: 2024
    source: our own measurement, 2024
regions:
  - id: lab-basement
    kind: zone
    name: Lab basement (own solar)
    country: FR
intensity:
  - place: lab-basement
    year: 2024
    basis: lifecycle
    intensity_g_per_kwh: 20
    dataset: utility-bill
    source: our utility bill 2024
""",
        encoding="utf-8",
    )
    e = estimate(hardware="Lab FPGA Board", hours=10, region="lab-basement", data_files=[mine], pue=1.0)
    # 75 W × 10 h = 0.75 kWh × 20 g = 15 g
    assert e.co2e_g == pytest.approx(15.0)
    assert "+user." in e.data_version


def test_resolution_cache_shares_nothing_mutable() -> None:
    first = estimate(hardware=A100, hours=1, region="gcp:us-central1")
    assert first.region is not None and first.hardware is not None
    first.region["id"] = "tampered"
    first.hardware["tdp_w"] = 1
    first.inputs["hours"] = 99
    again = estimate(hardware=A100, hours=1, region="gcp:us-central1")
    assert again.region is not None and again.region["id"] == "gcp:us-central1"
    assert again.hardware is not None and again.hardware["tdp_w"] == 400
    assert again.inputs["hours"] == 1


def test_unhashable_arguments_get_the_packages_error() -> None:
    with pytest.raises(InputError, match="hardware must be a name"):
        estimate(hardware=["A100"], hours=1, region="FR")  # type: ignore[arg-type]
    e = estimate(hardware=A100, hours=1, intensity=100, intensity_range=[50, 200])  # type: ignore[arg-type]
    assert e.low < e.central < e.high
