"""The validation set (data/validation.csv), validate(), and `co2-estimator validate`."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from estimator import estimate, validation
from estimator.errors import DataError, InputError
from estimator.validation import RECOMMENDED_TRAINING_LOW_FRACTION, Run, validate

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = ROOT / "data" / "validation.csv"
# Coverage reached after calibration (docs/validation.md): it may rise, never fall. Counts of runs inside our
# range, and shares of the set as it now is (52 runs). Training: 17 of 19, every GPU run and the TPU v2 and v3 runs
# (at their TDPs) inside; the two outside are the TPU v4 runs (GLaM, PaLM): a measured chip mean in the catalog, and
# a measurement that includes the host. Inference: 33 of 33 with the 0.25 low end (Stable Cascade on an A100 drew
# 0.29 of TDP). Before the TPU v3 TDP and the 0.25 serving low end: training 13 of 19, inference 32 of 33.
TRAINING_INSIDE_FLOOR = 17
TRAINING_SHARE_FLOOR = 17 / 19  # at least 80 % (issue 19)
INFERENCE_INSIDE_FLOOR = 33
INFERENCE_SHARE_FLOOR = 33 / 33


def _by_id(v: validation.Validation) -> dict[str, validation.Check]:
    return {c.run.id: c for c in v.checks}


def test_shipped_set_is_complete_and_sourced() -> None:
    runs = validation.load_runs(SHIPPED)
    assert len(runs) >= 15
    assert {r.group for r in runs} == {"training", "inference"}
    for r in runs:
        assert r.reference
        assert r.table_or_page
        assert 2015 <= r.year <= 2026
        assert r.measured_scope in validation.SCOPES
        assert r.measured_total_kwh > 0
    with SHIPPED.open(newline="", encoding="utf-8") as handle:
        header = next(csv.reader(handle))
    assert tuple(header) == validation.COLUMNS


def test_default_path_is_the_shipped_file() -> None:
    assert validation.default_path().resolve() == SHIPPED.resolve()


def test_checks_by_hand() -> None:
    v = _by_id(validate(training_low_fraction=0.25))
    # ViT Huge: 4 V100 SXM2 (300 W) x 216 h, PUE 1 (GPU-only measurement) = 259.2 kWh; low 0.25 x = 64.8 kWh
    huge = v["dodge22-vit-huge"]
    assert huge.estimate_kwh == pytest.approx(259.2)
    assert huge.low_kwh == pytest.approx(64.8)
    assert huge.measured_kwh == pytest.approx(237.6)
    assert huge.ratio == pytest.approx(259.2 / 237.6)
    assert huge.inside
    # T5: 512 TPU v3 (450 W TDP per chip) x 480 h x PUE 1.12 = 123,863.04 kWh, low 0.25 x = 30,965.76 kWh;
    # the measured 85,700 kWh (host included) is inside
    t5 = v["patterson21-t5"]
    assert t5.estimate_kwh == pytest.approx(512 * 0.450 * 480 * 1.12)
    assert t5.low_kwh == pytest.approx(0.25 * 512 * 0.450 * 480 * 1.12)
    assert t5.inside
    # BLOOM API: 16 A100 (400 W) up 18 x 24 h, serving time unknown: 2,764.8 kWh, low at idle 0.15 = 414.72 kWh
    bloom = v["luccioni22-bloom-api"]
    assert bloom.estimate_kwh == pytest.approx(16 * 0.4 * 432)
    assert bloom.low_kwh == pytest.approx(0.15 * 16 * 0.4 * 432)
    assert bloom.measured_kwh == 914
    assert bloom.inside
    # LLaMA-7B on an A40 (300 W), 2.2848 s per response: 300 x 2.2848 / 3600 = 0.1904 Wh; low 0.25 x = 0.0476 Wh
    llama = v["mlenergy23-a40-llama-7b"]
    assert llama.unit == "Wh/request"
    assert llama.shown(llama.estimate_kwh) == pytest.approx(0.1904)
    assert llama.shown(llama.low_kwh) == pytest.approx(0.0476)
    assert llama.shown(llama.measured_kwh) == pytest.approx(525.7081235728675 / 3600, rel=1e-5)
    # Evolved Transformer NAS: 200 TPU v2 at the chip TDP, 280 W (Patterson et al. 2021, Table 4) x 163.2 h x PUE 1.1
    # = 10,053.12 kWh; measured 7,500 kWh is inside (low end 0.25 x = 2,513.28 kWh)
    nas = v["patterson21-evolved-transformer-nas"]
    assert nas.estimate_kwh == pytest.approx(200 * 0.280 * 163.2 * 1.1)
    assert nas.inside
    # GLaM: 1,024 TPU v4 (catalog 170 W, Google's measured chip mean) x 574 h x PUE 1.11 = 110,913.4 kWh,
    # about half the measured 213,000 kWh (system power 326 W per chip with the host)
    glam = v["du22-glam-64b64e-280b"]
    assert glam.estimate_kwh == pytest.approx(1024 * 0.170 * 574 * 1.11)
    assert glam.ratio == pytest.approx(1024 * 0.170 * 574 * 1.11 / 213_000)
    assert glam.position == "above"
    # PaLM: 6,144 chips x 1,368 h = 8,404,992 chip-hours (6,144 x 1,200 h + 3,072 x 336 h) at 170 W, PUE 1
    # (the measurement has no facility share) = 1,428,848.64 kWh; measured 8,404,992 x 378.5 W = 3,181,289.5 kWh
    palm = v["chowdhery22-palm-540b"]
    assert 6144 * 1368 == 6144 * 1200 + 3072 * 336
    assert palm.estimate_kwh == pytest.approx(6144 * 1368 * 0.170)
    assert palm.measured_kwh == pytest.approx(6144 * 1368 * 0.3785, abs=0.1)
    assert palm.position == "above"
    # Stable Cascade on an A100 SXM4 40 GB (400 W), 9.2506 s per image: 400 x 9.2506 / 3600 = 1.02784 Wh, low end
    # 0.25 x = 0.25696 Wh; measured 1,086.17 J = 0.30171 Wh (0.29 of TDP) lies inside
    cascade = v["mlenergy24-a100-stable-cascade"]
    assert cascade.shown(cascade.estimate_kwh) == pytest.approx(400 * 9.2506 / 3600)
    assert cascade.shown(cascade.low_kwh) == pytest.approx(0.25 * 400 * 9.2506 / 3600)
    assert cascade.shown(cascade.measured_kwh) == pytest.approx(1086.1702999999748 / 3600, rel=1e-5)
    assert cascade.inside  # measured 0.29 of TDP: inside since the serving low end is 0.25


def _assert_floors(v: validation.Validation) -> None:
    assert v.training.inside >= TRAINING_INSIDE_FLOOR
    assert v.training.share_inside >= TRAINING_SHARE_FLOOR - 1e-12
    assert v.inference.inside >= INFERENCE_INSIDE_FLOOR
    assert v.inference.share_inside >= INFERENCE_SHARE_FLOOR - 1e-12


def test_coverage_after_calibration_does_not_fall() -> None:
    v = validate(training_low_fraction=RECOMMENDED_TRAINING_LOW_FRACTION)
    _assert_floors(v)
    # every GPU and TPU v2/v3 training run is inside; the rows outside are TPU v4 runs (the catalog has a
    # measured chip mean there, no published TDP) whose measurement includes the host: above our range
    gpu = [c for c in v.training.checks if c.run.hardware.startswith("nvidia-")]
    assert len(gpu) >= 12
    assert all(c.inside for c in gpu)
    outside = [c for c in v.training.checks if not c.inside]
    assert {c.run.hardware for c in outside} <= {"google-tpu-v4"}
    assert {c.position for c in outside} <= {"above"}


def _package_training_fraction() -> float:
    e = estimate(hardware="nvidia-t4", hours=1, intensity=0, pue=1.0)
    return e.energy_low_kwh / e.energy_kwh


@pytest.mark.xfail(
    _package_training_fraction() > RECOMMENDED_TRAINING_LOW_FRACTION + 1e-12,
    reason="the calibrated training fraction is applied in api.py by the lead (docs/validation.md)",
    strict=True,
)
def test_coverage_with_the_package_defaults() -> None:
    _assert_floors(validate())


def test_fractions_are_read_from_the_results() -> None:
    v = validate()
    assert v.training_low_fraction == pytest.approx(_package_training_fraction())
    assert v.inference_low_fraction == pytest.approx(0.25)
    chosen = validate(training_low_fraction=0.5, inference_low_fraction=0.4)
    assert (chosen.training_low_fraction, chosen.inference_low_fraction) == (0.5, 0.4)
    huge = _by_id(chosen)["dodge22-vit-huge"]
    assert huge.low_kwh == pytest.approx(0.5 * 259.2)


def _run(id_: str, hours: float, kwh: float) -> Run:
    return Run(
        id=id_,
        kind="training",
        model="m",
        hardware="nvidia-t4",
        count=1,
        hours=hours,
        requests=None,
        seconds_per_request=None,
        hours_per_day=None,
        days=None,
        region="FR",
        intensity_g_per_kwh=None,
        pue_reported=None,
        measured_kwh=kwh,
        measured_wh_per_request=None,
        measured_scope="gpu-only",
        reference="test",
        table_or_page="-",
        year=2024,
    )


def test_summary_by_hand() -> None:
    # T4 70 W x 10 h = 0.7 kWh central, 0.35 kWh low at 0.5: measured 0.35 / 0.7 / 1.4 kWh give ratios 2, 1, 0.5
    runs = [_run("a", 10, 0.35), _run("b", 10, 0.7), _run("c", 10, 1.4), _run("d", 10, 0.175)]
    v = validate(runs, training_low_fraction=0.5)
    s = v.training
    assert [c.ratio for c in s.checks] == pytest.approx([2.0, 1.0, 0.5, 4.0])
    assert [c.position for c in s.checks] == ["inside", "inside", "above", "below"]
    assert s.inside == 2
    assert s.share_inside == 0.5
    assert s.median_ratio == pytest.approx(1.5)
    assert s.worst is not None
    assert s.worst.run.id == "d"
    assert math.isnan(v.inference.share_inside)
    assert "2 of 4 runs (50%)" in validation.text(v)


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda rows: rows[1].__setitem__(1, "pretraining"), "line 2: kind 'pretraining'"),
        (lambda rows: rows[1].__setitem__(5, "-3"), "line 2: hours must be"),
        (lambda rows: rows[2].__setitem__(5, "ten"), "line 3: hours must be a number"),
        (lambda rows: rows[1].__setitem__(15, "wall plug"), "measured_scope 'wall plug'"),
        (lambda rows: rows[1].__setitem__(16, ""), "line 2: reference is empty"),
        (lambda rows: rows[2].__setitem__(0, rows[1][0]), "duplicate ids dodge22-bert-finetune"),
        (lambda rows: rows[1].__setitem__(14, "0.5"), "exactly one of measured_kwh or measured_wh_per_request"),
    ],
)
def test_bad_files_say_what_and_where(tmp_path: Path, edit: object, message: str) -> None:
    with SHIPPED.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    edit(rows)  # type: ignore[operator]
    bad = tmp_path / "runs.csv"
    with bad.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    with pytest.raises(DataError, match=message):
        validation.load_runs(bad)


def test_missing_column_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "runs.csv"
    bad.write_text("id,kind\nx,training\n", encoding="utf-8")
    with pytest.raises(DataError, match="missing columns model, hardware"):
        validation.load_runs(bad)
    with pytest.raises(DataError, match="cannot read the validation file"):
        validation.load_runs(tmp_path / "nope.csv")


@pytest.mark.parametrize("fraction", [0, 1.5, math.nan, True])
def test_bad_fraction(fraction: float) -> None:
    with pytest.raises(InputError, match="training_low_fraction"):
        validate(training_low_fraction=fraction)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "estimator", "validate", *args], capture_output=True, text=True, env=env, check=False
    )


def test_cli_formats_agree_with_the_api() -> None:
    api = validate(training_low_fraction=0.25)
    out = _cli("--format", "json", "--training-low-fraction", "0.25")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["summary"]["training"]["inside"] == api.training.inside
    assert data["summary"]["inference"]["inside"] == api.inference.inside
    assert [r["id"] for r in data["runs"]] == [c.run.id for c in api.checks]
    rows = list(csv.DictReader(io.StringIO(_cli("--format", "csv").stdout)))
    assert len(rows) == len(api.checks)
    assert {"estimate", "low", "high", "measured", "ratio", "inside"} <= set(rows[0])
    text = _cli().stdout
    assert "training: measured inside our range for" in text
    assert "inference: measured inside our range for" in text


def test_cli_bad_input_is_one_line() -> None:
    out = _cli("--training-low-fraction", "2")
    assert out.returncode == 2
    assert out.stderr.count("\n") == 1
    assert "training_low_fraction must be a fraction" in out.stderr
    missing = _cli("--runs", "/nonexistent/runs.csv")
    assert missing.returncode == 2
    assert "cannot read the validation file" in missing.stderr


def test_plot_is_svg_with_a_dot_and_a_bar_per_run() -> None:
    import xml.dom.minidom

    v = validate(training_low_fraction=RECOMMENDED_TRAINING_LOW_FRACTION)
    doc = xml.dom.minidom.parseString(validation.svg(v))
    groups = [g for g in doc.getElementsByTagName("g") if g.getElementsByTagName("title")]
    assert len(groups) == len(v.checks)
    hollow = [g for g in groups if g.getElementsByTagName("circle")[0].getAttribute("fill") == "white"]
    assert len(hollow) == sum(not c.inside for c in v.checks)
    # the committed plot is this one (regenerate with: python bench/validate.py --svg docs/validation.svg)
    assert (ROOT / "docs" / "validation.svg").read_text(encoding="utf-8") == validation.svg(v)


def test_the_reported_default_fractions_are_the_ones_estimates_use() -> None:
    from estimator import estimate, estimate_inference
    from estimator.validation import validate

    result = validate()
    e = estimate(hardware="nvidia-t4", hours=1, intensity=0, pue=1.0)
    r = estimate_inference("nvidia-t4", None, 3600, seconds_per_request=1, intensity=0, pue=1.0)
    assert result.training_low_fraction == pytest.approx(e.energy_low_kwh / e.energy_kwh, rel=1e-12)
    assert result.inference_low_fraction == pytest.approx(r.energy_low_kwh / r.energy_kwh, rel=1e-12)
