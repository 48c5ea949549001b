"""Each physical server is counted once in the embodied (manufacturing) figure.

Hand figures (data/embodied.yaml), amortised over 6 years x 8,760 h x 0.85 =
44,676 h (the high end: 4 years, 29,784 h):

- An accelerator without a figure of its own: 150 kg (the kind's default) plus
  1/8 of the 2,500 kg 8-GPU server = 462.5 kg. The server figure leaves out
  only the GPUs (Luccioni et al. 2022, BLOOM, section 4.1: "This does not
  include the embodied emissions of the GPUs"), so the host CPUs, memory and
  chassis are in it: a job's or an instance's CPUs add nothing beside an
  accelerator. Before 2026-12-03 each CPU package added 100 kg + 1/2 of the
  1,000 kg CPU server = 600 kg more: a second server.
- A CPU-only job: 1/2 of the 1,000 kg two-socket Cloud Carbon Footprint (CCF)
  base server, which holds one CPU, plus 1/2 of the 100 kg of its second CPU =
  550 kg per CPU package (CCF: 1,000 + 100 x (sockets - 1)). Was 600 kg.
- An instance with a CCF row: its share of the whole host, as before.

The cases: (a) an instance with a CCF row, (b) a GPU instance without one,
(c) bare hardware, (d) hardware and a CPU given by the user, (e) CPU-only.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import estimate, load_catalog
from estimator.batch import estimate_many
from estimator.job import Job
from estimator.plan import resolve
from estimator.records import Device
from tests.conftest import run_cli

LIFE_H, LIFE_SHORT_H = 6 * 8760 * 0.85, 4 * 8760 * 0.85  # 44,676 h and 29,784 h
GPU_KG = 150 + 2500 / 8  # 462.5 kg per accelerator, its host inside
CPU_KG = (1000 + (2 - 1) * 100) / 2  # 550 kg per CPU package of a CPU-only job
SERVER_WORDS = "inside the 2500 kg accelerator server's figure (which leaves out only its accelerators)"

CATALOG = load_catalog()
NO_ROW_GPU = sorted(
    i.id for i in CATALOG.instances.values() if i.accelerator and i.id not in CATALOG.embodied.instances and i.cpu
)


def g(kg: float, hours: float, life_h: float = LIFE_H) -> float:
    """kg amortised over ``life_h`` hours, for ``hours`` hours [g]."""
    return kg * 1000 * hours / life_h


def accelerator_kg(device: Device, on_host: int = 0) -> float:
    """What one accelerator carries, from the data: its kg (or its kind's) + 1/8 of the server, or 1/N when the
    instance's N accelerators are more than 8 (they share one host); a share its share."""
    emb = CATALOG.embodied
    if device.share_of is not None and device.share is not None:
        return device.share * accelerator_kg(CATALOG.devices[device.share_of])
    found = emb.devices.get(device.id) or emb.kinds[device.kind]
    assert emb.accelerator_server is not None
    return found.kg + emb.accelerator_server.kg / max(emb.accelerator_server.per, on_host)


def test_the_hand_figures_are_the_datas() -> None:
    emb = CATALOG.embodied
    assert emb.kinds["gpu"].kg == 150 and emb.kinds["cpu"].kg == 100
    assert emb.accelerator_server is not None and (emb.accelerator_server.kg, emb.accelerator_server.per) == (2500, 8)
    assert emb.cpu_server is not None and (emb.cpu_server.kg, emb.cpu_server.per) == (1000, 2)
    assert emb.lifetime is not None
    assert (emb.lifetime.years, emb.lifetime.years_short, emb.lifetime.utilization) == (6, 4, 0.85)
    assert emb.instances["aws:p4d.24xlarge"].kg == 4676.79 and emb.instances["aws:m5.xlarge"].kg == 67.12
    for ident in ("nvidia-a10", "nvidia-h100-sxm5-80gb", "amd-epyc-7742", "amd-epyc-74f3v", "amd-epyc-7r13"):
        assert ident not in emb.devices, ident  # the kinds' defaults apply
    assert emb.devices["nvidia-a100-sxm4-80gb"].kg == 150
    assert len(NO_ROW_GPU) >= 50


# ---------------------------------------------------------------- (a) an instance with a CCF host row


@pytest.mark.parametrize(("instance", "kg"), [("aws:p4d.24xlarge", 4676.79), ("aws:m5.xlarge", 67.12)])
def test_a_ccf_row_is_the_whole_host_share(instance: str, kg: float) -> None:
    # p4d.24xlarge: 4,676.79 kg x 1000 x 10 h / 44,676 h = 1,046.82 g; its GPUs and CPUs are in CCF's host total
    e = estimate(instance=instance, hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(kg, 10), rel=1e-12)
    assert e.embodied_high_g == pytest.approx(g(kg, 10, LIFE_SHORT_H), rel=1e-12)
    assert e.embodied_basis[1:] == (e.embodied_basis[1],) and e.embodied_basis[1].startswith(f"{instance}: {kg:g} kg")


def test_p4d_worked_by_hand() -> None:
    e = estimate(instance="aws:p4d.24xlarge", hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(1046.8238, abs=1e-4)


# ---------------------------------------------------------------- (b) a GPU instance without a CCF row


@pytest.mark.parametrize(
    ("instance", "gpus", "old_kg"),
    [
        # 1 A10 + 36 of 48 threads of an EPYC 74F3V: was 462.5 + 36/48 x 600 = 912.5 kg
        ("azure:Standard_NV36ads_A10_v5", 1, 912.5),
        # 8 H100 + 192 vCPUs = 2 EPYC 7R13 packages: was 3,700 + 2 x 600 = 4,900 kg
        ("aws:p5.48xlarge", 8, 4900.0),
        # 8 H100 + 96 of 112 threads of a Xeon 8480C: was 3,700 + 96/112 x 600 = 4,214.29 kg
        ("azure:Standard_ND96isr_H100_v5", 8, 3700 + 96 / 112 * 600),
    ],
)
def test_a_gpu_instance_without_a_row_counts_its_server_once(instance: str, gpus: int, old_kg: float) -> None:
    inst = CATALOG.instances[instance]
    assert inst.id not in CATALOG.embodied.instances and inst.cpu and inst.accelerator_count == gpus
    e = estimate(instance=instance, hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(gpus * GPU_KG, 10), rel=1e-12)
    assert e.embodied_high_g == pytest.approx(g(gpus * GPU_KG, 10, LIFE_SHORT_H), rel=1e-12)
    assert e.embodied_g < g(old_kg, 10) - 1  # the double count is gone
    cpu = CATALOG.devices[inst.cpu].name
    assert f"{cpu} ({inst.vcpus} vCPUs): {SERVER_WORDS}; not counted again" in e.embodied_basis


def test_nv36ads_a10_v5_worked_by_hand() -> None:
    # 462.5 kg x 1000 x 10 h / 44,676 h = 103.523 g (was 912.5 kg -> 204.248 g); 4-year life: 155.285 g
    e = estimate(instance="azure:Standard_NV36ads_A10_v5", hours=10, intensity=100)
    assert (e.embodied_g, e.embodied_high_g) == pytest.approx((103.5231, 155.2847), abs=1e-4)


def test_a_ccf_instance_with_other_gpus_counts_its_server_once() -> None:
    # p3.8xlarge (4 V100) with count=2: its CCF row no longer applies; 2 x 462.5 kg = 925 kg, its CPUs inside
    e = estimate(instance="aws:p3.8xlarge", count=2, hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(2 * GPU_KG, 10), rel=1e-12)
    assert any(b.endswith(f"{SERVER_WORDS}; not counted again") for b in e.embodied_basis)


@settings(max_examples=60, deadline=None)
@given(
    instance=st.sampled_from(NO_ROW_GPU),
    hours=st.floats(min_value=0.01, max_value=1e5, allow_nan=False, allow_infinity=False),
)
def test_property_a_gpu_instance_without_a_row_is_its_accelerators(instance: str, hours: float) -> None:
    """Embodied per hour = accelerators x (their kg + 2,500 kg / max(8, accelerators)) / 44,676 h, whatever
    the vCPUs."""
    inst = CATALOG.instances[instance]
    device = CATALOG.devices[str(inst.accelerator)]
    each = accelerator_kg(device, inst.accelerator_count)
    per_hour = inst.accelerator_count * each * 1000 / LIFE_H
    emb = resolve(Job(instance=instance, hours=hours, intensity=100), CATALOG).embodied
    assert emb.fixed_per_hour_g == emb.fixed_high_per_hour_g == 0
    assert emb.per_device_hour_g == pytest.approx(each * 1000 / LIFE_H, rel=1e-12)
    e = estimate(instance=instance, hours=hours, intensity=100)
    assert e.embodied_g == pytest.approx(per_hour * hours, rel=1e-12)
    assert e.embodied_high_g == pytest.approx(per_hour * hours * 6 / 4, rel=1e-12)


def test_batch_equals_estimate_on_gpu_instances_without_a_row() -> None:
    runs = pd.DataFrame(
        # a grid zone: the instances are of every provider
        {"instance": NO_ROW_GPU, "hours": [1.0 + k for k in range(len(NO_ROW_GPU))], "region": "NL"}
    )
    out = estimate_many(runs)
    assert out["error"].isna().all()
    for (_, row), got in zip(runs.iterrows(), out["embodied_g"], strict=True):
        e = estimate(instance=row["instance"], hours=row["hours"], region="NL")
        assert got == e.embodied_g, row["instance"]  # bit for bit
    at = NO_ROW_GPU.index("azure:Standard_NV36ads_A10_v5")
    assert out["embodied_g"].iloc[at] == pytest.approx(g(GPU_KG, 1.0 + at), rel=1e-12)


def test_cli_shows_the_figure_and_why() -> None:
    out = run_cli("estimate", "--instance", "azure:Standard_NV36ads_A10_v5", "--hours", "10", "--intensity", "100")
    assert out.returncode == 0, out.stderr
    assert "embodied (manufacturing, shown beside, not added): 103.5 g CO2e (up to 155.3 g CO2e" in out.stdout
    assert f"AMD EPYC 74F3V (36 vCPUs): {SERVER_WORDS}; not counted again" in out.stdout
    assert "its host CPUs, memory and chassis included" in out.stdout


# ---------------------------------------------------------------- (c) bare hardware


def test_bare_8_h100_worked_by_hand() -> None:
    # 8 x 462.5 = 3,700 kg -> 3,700,000 g x 10 h / 44,676 h = 828.185 g (unchanged)
    e = estimate(hardware="nvidia-h100-sxm5-80gb", count=8, hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(8 * GPU_KG, 10), rel=1e-12) == pytest.approx(828.1852, abs=1e-4)
    assert e.embodied_high_g == pytest.approx(g(8 * GPU_KG, 10, LIFE_SHORT_H), rel=1e-12)
    (line,) = e.embodied_basis[1:]
    assert line.startswith("NVIDIA H100 SXM5 80GB: 150 kg (") and line.endswith(" = 462.5 kg")


# ---------------------------------------------------------------- (d) hardware and a CPU given by the user


@pytest.mark.parametrize("cpu_args", [{"cpu_count": 2}, {"cpu_cores": 16}, {}])
def test_a_users_cpu_beside_gpus_adds_nothing(cpu_args: dict[str, Any]) -> None:
    # 8 A100 + 2 EPYC 7742: 3,700 kg (was 3,700 + 2 x 600 = 4,900 kg)
    args: dict[str, Any] = {"hardware": "nvidia-a100-sxm4-80gb", "count": 8, "hours": 10, "intensity": 100}
    e = estimate(cpu="amd-epyc-7742", **cpu_args, **args)
    assert e.embodied_g == pytest.approx(g(8 * GPU_KG, 10), rel=1e-12) == estimate(**args).embodied_g
    assert any(b.startswith("AMD EPYC 7742") and b.endswith("not counted again") for b in e.embodied_basis)


@settings(max_examples=40, deadline=None)
@given(
    count=st.integers(min_value=1, max_value=64),
    cpu_count=st.integers(min_value=1, max_value=8),
    hours=st.floats(min_value=0.01, max_value=1e4, allow_nan=False, allow_infinity=False),
)
def test_property_cpus_beside_accelerators_add_nothing(count: int, cpu_count: int, hours: float) -> None:
    args: dict[str, Any] = {"hardware": "nvidia-a10", "count": count, "hours": hours, "intensity": 100}
    alone, both = estimate(**args), estimate(cpu="amd-epyc-7742", cpu_count=cpu_count, **args)
    assert both.embodied_g == alone.embodied_g == pytest.approx(g(count * GPU_KG, hours), rel=1e-12)
    assert both.embodied_high_g == alone.embodied_high_g


def test_a_custom_accelerator_leaves_the_cpu_its_own_server() -> None:
    # power_w only: no accelerator figure, so no accelerator server; the CPU's 550 kg stands for the host
    e = estimate(power_w=300, cpu="amd-epyc-7742", hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(CPU_KG, 10), rel=1e-12)


# ---------------------------------------------------------------- (e) CPU only


def test_two_cpus_worked_by_hand() -> None:
    # 2 x 550 kg = 1,100 kg (CCF: 1,000 kg base with one CPU + 100 kg for the second; was 1,200 kg)
    e = estimate(cpu="amd-epyc-7742", cpu_count=2, hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(2 * CPU_KG, 10), rel=1e-12) == pytest.approx(246.2172, abs=1e-4)
    (line,) = e.embodied_basis[1:]
    assert line.startswith("AMD EPYC 7742: 1/2 of a 1000 kg 2-socket server that holds one CPU (")
    assert "+ 1/2 × 100 kg (" in line and line.endswith("for the CPUs beyond the base = 550 kg per CPU")


def test_a_cpu_instance_without_a_row_worked_by_hand() -> None:
    # m7i.xlarge: 4 of the 96 threads of a Xeon 8488C = 1/24 of a package x 550 kg = 22.917 kg (was 25 kg)
    inst = CATALOG.instances["aws:m7i.xlarge"]
    assert inst.id not in CATALOG.embodied.instances and not inst.accelerator
    assert inst.vcpus == 4 and CATALOG.devices[str(inst.cpu)].threads == 96
    e = estimate(instance="aws:m7i.xlarge", hours=10, intensity=100)
    assert e.embodied_g == pytest.approx(g(CPU_KG / 24, 10), rel=1e-12) == pytest.approx(5.1295, abs=1e-4)


@settings(max_examples=40, deadline=None)
@given(
    cpu_count=st.integers(min_value=1, max_value=16),
    hours=st.floats(min_value=0.01, max_value=1e5, allow_nan=False, allow_infinity=False),
)
def test_property_cpu_only_is_550_kg_per_package(cpu_count: int, hours: float) -> None:
    e = estimate(cpu="amd-epyc-7742", cpu_count=cpu_count, hours=hours, intensity=100)
    assert e.embodied_g == pytest.approx(g(cpu_count * CPU_KG, hours), rel=1e-12)
    assert e.embodied_high_g == pytest.approx(g(cpu_count * CPU_KG, hours, LIFE_SHORT_H), rel=1e-12)
    assert math.isfinite(e.embodied_g)
