"""``lint``: the findings on every sample card, the plausibility reasoning worked
by hand, ``--fix`` keeping every byte outside the block, and the real CLI."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import lookup, modelcard
from estimator.catalog import Catalog
from estimator.lint import Finding, fix, fix_block, lint, lint_text
from estimator.modelcard import CardError, hub_grams, read_card
from estimator.report import num
from tests.conftest import ROOT, run_cli

CARDS = ROOT / "tests" / "cards"
MISSING = ("source", "geographical_location", "hardware_used")

# Expected (code, line) per sample card, read off the files by hand.
EXPECTED: dict[str, list[tuple[str, int | None]]] = {
    "bare_number.md": [("bare-value", 7), ("kg-as-grams", 7)],
    "crlf_string_units.md": [("units-in-string", 4)],
    "tonnes.md": [("units-in-string", 3), ("hub-misread", 3), *[("missing-field", 2)] * 3],
    "kg_string.md": [("units-in-string", 4), ("hub-misread", 4)],
    "thousands.md": [("units-in-string", 3), ("hub-misread", 3)],
    "negative.md": [("negative", 3)],
    "zero.md": [("zero", 5)],
    "no_emissions.md": [("no-emissions", 2), ("missing-field", 2), ("missing-field", 2)],
    "kg_as_grams.md": [("kg-as-grams", 4)],
    "malformed.md": [("bad-card", 4)],
    "python_tag.md": [("bad-card", 2)],
    "clean.md": [],
    "no_front_matter.md": [],
}


def test_every_sample_card_is_covered() -> None:
    assert sorted(EXPECTED) == sorted(p.name for p in CARDS.glob("*.md"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_findings_on_each_sample_card(name: str) -> None:
    findings = lint(CARDS / name)
    assert [(f.code, f.line) for f in findings] == EXPECTED[name]
    assert all(f.path == str(CARDS / name) and f.message and f.fix for f in findings)
    assert all(f.severity in ("error", "warning") for f in findings)


def test_messages_show_both_numbers_and_the_fix() -> None:
    by_code = {f.code: f for f in lint(CARDS / "tonnes.md")}
    assert "means 500,000 g" in by_code["hub-misread"].message
    assert "reads 0.5 g" in by_code["hub-misread"].message
    assert "1,000,000 times less" in by_code["hub-misread"].message
    assert by_code["hub-misread"].fix.startswith("write emissions: 500000")
    missing = [f.message for f in lint(CARDS / "tonnes.md") if f.code == "missing-field"]
    assert missing == [f"co2_eq_emissions has no {k}" for k in MISSING]
    assert "KeyError" in lint(CARDS / "no_emissions.md")[0].message
    assert "reads 5 g" in lint(CARDS / "negative.md")[0].message
    assert "leaves the card out" in lint(CARDS / "zero.md")[0].message
    assert "149.2 kg" in lint(CARDS / "bare_number.md")[1].message


def test_kg_as_grams_reasoning_worked_by_hand(catalog: Catalog) -> None:
    # 8 × 400 W (A100 SXM4 80GB TDP) × 72 h = 230.4 kWh; × PUE 1.0 × us-central1's intensity; a tenth.
    device, _ = catalog.device("NVIDIA A100 SXM4 80GB")
    grid = lookup.region_intensity("gcp:us-central1")  # the central figure estimates use
    assert device.tdp_w == 400
    kwh = 8 * 400 * 72 / 1000
    floor_g = kwh * grid.value_g_per_kwh / 10
    (finding,) = lint(CARDS / "kg_as_grams.md")
    assert "3,200 W × 72 h" in finding.message and "230.4 kWh" in finding.message
    label = f"{num(grid.value_g_per_kwh)} g/kWh (gcp:us-central1, {grid.dataset} {grid.year})"
    assert label in finding.message
    assert f"is {num(floor_g)} g" in finding.message
    assert finding.fix == "if the figure is in kilograms, write emissions: 110000"
    text = (CARDS / "kg_as_grams.md").read_text("utf-8")
    # Just above the floor: plausible, no finding; just below: flagged.
    above = text.replace("emissions: 110", f"emissions: {floor_g * 1.001:.3f}")
    below = text.replace("emissions: 110", f"emissions: {floor_g * 0.999:.3f}")
    assert [f.code for f in lint_text(above, catalog=catalog)] == []
    assert [f.code for f in lint_text(below, catalog=catalog)] == ["kg-as-grams"]


@pytest.mark.parametrize(
    ("hardware", "hours", "location", "watts", "hours_value"),
    [
        ("2 x T4", "training_time: 10", "FR", 140, 10),
        ("T4 x 2", "training_time: 10 hours", "France", 140, 10),
        ("aws:g4dn.12xlarge (4 x NVIDIA T4)", "training_hours: 0.5 days", "FR", 280, 12),
        ("1 x T4, 1 x RTX 3090", "training_time: 90 min", "FR", 420, 1.5),
    ],
)
def test_plausibility_reads_hardware_hours_and_location(
    catalog: Catalog, hardware: str, hours: str, location: str, watts: float, hours_value: float
) -> None:
    intensity = lookup.region_intensity("FR").value_g_per_kwh
    floor_g = watts * hours_value / 1000 * intensity / 10
    card = (
        f"---\nco2_eq_emissions:\n  emissions: {floor_g / 2:.4f}\n  source: x\n  training_type: fine-tuning\n"
        f"  geographical_location: {location}\n  hardware_used: {hardware}\n  {hours}\n---\n"
    )
    (finding,) = lint_text(card, catalog=catalog)
    assert finding.code == "kg-as-grams"
    assert f"{num(watts)} W × {num(hours_value)} h" in finding.message
    assert f"is {num(floor_g)} g" in finding.message


def test_hours_from_the_text_and_unknown_location(catalog: Catalog) -> None:
    card = (
        "---\nco2_eq_emissions:\n  emissions: 0.05\n  source: x\n  training_type: fine-tuning\n"
        "  geographical_location: somewhere nice\n  hardware_used: 1 x T4\n---\nThe model was trained for 3 hours.\n"
    )
    (finding,) = lint_text(card, catalog=catalog)
    assert "the card's text: 'trained for 3 hours'" in finding.message
    assert "no known location: the cleanest cloud region" in finding.message
    no_hours = card.replace("trained for 3 hours", "trained well")
    assert lint_text(no_hours, catalog=catalog) == []  # no hours: no guess


def test_clean_card_and_require_block(tmp_path: Path) -> None:
    assert lint(CARDS / "clean.md") == []
    assert lint(CARDS / "no_front_matter.md") == []
    (finding,) = lint(CARDS / "no_front_matter.md", require_block=True)
    assert finding.code == "no-block" and finding.severity == "error"


def test_folder_of_model_repos(tmp_path: Path) -> None:
    for name in ("clean.md", "tonnes.md", "zero.md"):
        repo = tmp_path / name.removesuffix(".md")
        repo.mkdir()
        shutil.copyfile(CARDS / name, repo / "README.md")
    findings = lint(tmp_path)
    assert {Path(f.path).parent.name for f in findings} == {"tonnes", "zero"}
    with pytest.raises(CardError, match="no such file"):
        lint(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(CardError, match=r"no README\.md"):
        lint(tmp_path / "empty")


def lines_outside(text: str) -> tuple[list[str], list[str]]:
    """The card's lines before and after the co2_eq_emissions block (an independent reading of the span)."""
    lines = text.splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("co2_eq_emissions"))
    end = start + 1
    while end < len(lines) and (lines[end][:1] in (" ", "\t") or not lines[end].strip()):
        end += 1
    return lines[:start], lines[end:]


FIXABLE = ["bare_number.md", "crlf_string_units.md", "tonnes.md", "kg_string.md", "thousands.md"]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fix_keeps_every_byte_outside_the_block(tmp_path: Path, name: str) -> None:
    path = tmp_path / "README.md"
    shutil.copyfile(CARDS / name, path)
    before = path.read_bytes()
    if name in ("malformed.md", "python_tag.md"):
        with pytest.raises(CardError):
            fix(path, write=True)
        assert path.read_bytes() == before
        return
    update = fix(path, write=False)
    assert path.read_bytes() == before  # dry run
    if name not in FIXABLE:
        assert update is None
        return
    assert update is not None and update.changed
    update = fix(path, write=True)
    assert update is not None
    after = path.read_bytes()
    old, new = before.decode("utf-8"), after.decode("utf-8")
    assert lines_outside(new) == lines_outside(old)
    if "\r\n" in old:
        assert new.count("\n") == new.count("\r\n")
    record = read_card(path)
    assert record.emissions_g == pytest.approx(read_card(CARDS / name).emissions_g)
    assert record.hub_g == pytest.approx(record.emissions_g)  # the Hub now reads what the card means
    assert not {f.code for f in lint(path)} & {"units-in-string", "hub-misread"}
    assert fix(path) is None  # nothing left to rewrite
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left


def test_fix_block_keeps_other_keys_and_refuses_guesses() -> None:
    raw = {"emissions": "0.5 t", "source": "s", "extra": [1, 2]}
    assert fix_block(raw) == {"emissions": 500000, "source": "s", "extra": [1, 2]}
    assert fix_block(12.5) == {"emissions": 12.5}
    for value in (-5, 0, "about a lot", {"source": "x"}, {"emissions": 3}, 1e-05):
        assert fix_block(value) is None, value


amounts = st.tuples(
    st.floats(0.001, 1e6).map(lambda x: round(x, 3)),
    st.sampled_from([("g", 1.0), ("kg", 1e3), ("t", 1e6), ("kgCO2e", 1e3), ("grams", 1.0)]),
)
extra_keys = st.dictionaries(
    st.text(alphabet="abcdefghij_", min_size=1, max_size=8).filter(lambda k: k != "co2_eq_emissions"),
    st.integers(0, 100) | st.text(alphabet="xyz ", max_size=5),
    max_size=3,
)


@settings(max_examples=60, deadline=None)
@given(amount=amounts, before=extra_keys, after=extra_keys, body=st.text(max_size=80), crlf=st.booleans())
def test_fix_any_unit_string(
    amount: tuple[float, tuple[str, float]], before: dict[str, object], after: dict[str, object], body: str, crlf: bool
) -> None:
    number, (unit, factor) = amount
    after = {k: v for k, v in after.items() if k not in before}
    head = yaml.safe_dump(before, sort_keys=False) if before else ""
    tail = yaml.safe_dump(after, sort_keys=False) if after else ""
    text = f"---\n{head}co2_eq_emissions:\n  emissions: '{number} {unit}'\n  source: s\n{tail}---\n{body}"
    if crlf:
        text = text.replace("\n", "\r\n")
    block = fix_block(modelcard.split_front_matter(text).metadata["co2_eq_emissions"])
    assert block is not None
    assert block["emissions"] == pytest.approx(number * factor)
    new = modelcard.merge(text, block)
    assert lines_outside(new) == lines_outside(text)
    assert hub_grams(block) == pytest.approx(number * factor)


def test_finding_text_and_dict() -> None:
    f = Finding("README.md", "zero", "error", "emissions 0 is zero", 5, "write the grams")
    assert str(f) == "README.md:5: error zero: emissions 0 is zero\n    fix: write the grams"
    assert f.to_dict()["line"] == 5


def test_estimator_lint_is_the_function_in_any_import_order() -> None:
    code = (
        "import estimator, estimator.lint; import estimator.lint as m; "
        "print(len(estimator.lint('tests/cards/tonnes.md')), len(m.lint('tests/cards/tonnes.md')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["5", "5"]
    code = "import estimator; f = estimator.lint; print(f.__name__, len(f('tests/cards/zero.md')))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert out.stdout.split() == ["lint", "1"]


# ---------------------------------------------------------------- the CLI


def test_cli_exit_codes_and_formats(tmp_path: Path) -> None:
    clean = run_cli("lint", str(CARDS / "clean.md"))
    assert clean.returncode == 0 and "no problems found" in clean.stdout
    found = run_cli("lint", str(CARDS / "kg_string.md"), str(CARDS / "zero.md"))
    assert found.returncode == 1
    assert f"{CARDS / 'kg_string.md'}:4: error hub-misread" in found.stdout
    assert "3 findings (2 errors, 1 warning) in 2 cards" in found.stdout
    out = json.loads(run_cli("lint", str(CARDS / "tonnes.md"), "--format", "json").stdout)
    assert [f["code"] for f in out["findings"]][:2] == ["units-in-string", "hub-misread"]
    missing = run_cli("lint", str(tmp_path / "nope.md"))
    assert missing.returncode == 2 and "no such file" in missing.stderr and "Traceback" not in missing.stderr
    write_alone = run_cli("lint", str(CARDS / "clean.md"), "--write")
    assert write_alone.returncode == 2 and "--write goes with --fix" in write_alone.stderr


def test_cli_fix_dry_run_then_write(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    shutil.copyfile(CARDS / "crlf_string_units.md", path)
    before = path.read_bytes()
    dry = run_cli("lint", str(path), "--fix")
    assert dry.returncode == 1
    assert '-  emissions: "49.49 g"' in dry.stdout and "+  emissions: 49.49" in dry.stdout
    assert "(dry run: add --write to update the file)" in dry.stdout
    assert path.read_bytes() == before
    wrote = run_cli("lint", str(path), "--fix", "--write")
    assert wrote.returncode == 1 and f"wrote {path}" in wrote.stdout
    assert lines_outside(path.read_bytes().decode()) == lines_outside(before.decode())
    again = run_cli("lint", str(path))
    assert again.returncode == 0, again.stdout


def test_empty_emissions_and_duplicate_blocks(tmp_path: Path) -> None:
    empty = "---\nco2_eq_emissions:\n  emissions:\n  source: s\n---\n"
    assert lint_text(empty)[0].code == "no-emissions" and lint_text(empty)[0].line == 3
    path = tmp_path / "README.md"
    path.write_text("---\nco2_eq_emissions: '1 kg'\nco2_eq_emissions: '2 kg'\n---\n", encoding="utf-8")
    before = path.read_bytes()
    r = run_cli("lint", str(path), "--fix", "--write")
    assert r.returncode == 1 and "cannot fix" in r.stderr and "more than once" in r.stderr
    assert path.read_bytes() == before
