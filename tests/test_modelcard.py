"""Model cards: the block, the safe merge into README.md, reading cards in every
form real cards use, and the Hub's own ModelCard reading back what we wrote."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest
import yaml
from huggingface_hub import ModelCard
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator import Estimate, estimate, modelcard
from estimator.modelcard import CardError, CardWarning, merge, read_card, read_card_text, scan, update_card
from tests.conftest import ROOT

CARDS = ROOT / "tests" / "cards"


@pytest.fixture(scope="module")
def e() -> Estimate:
    # 8 × 400 W × 72 h × PUE 1.10 × 430 g/kWh = 108,979.2 g
    return estimate(hardware="A100 SXM4 80GB", hours=72, count=8, region="gcp:us-central1", pue=1.1, intensity=430)


def copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "README.md"
    shutil.copyfile(CARDS / name, target)
    return target


def test_block_shape(e: Estimate) -> None:
    card = {"co2_eq_emissions": modelcard.card_block(e, training_type="fine-tuning")}
    block = card["co2_eq_emissions"]
    assert list(card) == ["co2_eq_emissions"]
    assert block["emissions"] == pytest.approx(108_979.2)  # grams, not kg
    assert block["training_type"] == "fine-tuning"
    assert block["geographical_location"] == "Council Bluffs, Iowa, USA (Google Cloud us-central1)"
    assert block["hardware_used"] == "8 x NVIDIA A100 SXM4 80GB"
    assert "co2-estimator" in block["source"] and e.data_version in block["source"]
    assert yaml.safe_load(modelcard.card_yaml(e, "fine-tuning")) == card


def test_unknown_training_type_warns(e: Estimate) -> None:
    with pytest.warns(CardWarning, match="inference"):
        block = modelcard.card_block(e, training_type="inference")
    assert block["training_type"] == "inference"


def test_hub_modelcard_reads_it_back(tmp_path: Path, e: Estimate) -> None:
    path = copy(tmp_path, "bare_number.md")
    update_card(path, e, write=True)
    card = ModelCard.load(path)
    co2 = card.data.co2_eq_emissions
    assert co2["emissions"] == pytest.approx(108_979.2)
    assert co2["training_type"] == "pre-training"
    assert card.data.license == "apache-2.0"


def outside_block(text: str) -> str:
    """Everything but the co2_eq_emissions lines, for byte-for-byte comparison."""
    lines = text.splitlines(keepends=True)
    keep, skipping = [], False
    for line in lines:
        if line.startswith("co2_eq_emissions"):
            skipping = True
            continue
        if skipping and (line[:1] in (" ", "\t") or not line.strip()):
            continue
        skipping = False
        keep.append(line)
    return "".join(keep)


@pytest.mark.parametrize("name", ["bare_number.md", "crlf_string_units.md", "tonnes.md"])
def test_merge_keeps_every_other_byte(tmp_path: Path, e: Estimate, name: str) -> None:
    path = copy(tmp_path, name)
    before = path.read_bytes().decode("utf-8")
    update = update_card(path, e, write=True)
    after = path.read_bytes().decode("utf-8")
    assert update.changed and after == update.new
    assert outside_block(after) == outside_block(before)
    if "\r\n" in before:
        assert after.count("\n") == after.count("\r\n")
    assert read_card(path).emissions_g == pytest.approx(108_979.2)
    again = update_card(path, e, write=True)
    assert not again.changed  # idempotent
    assert path.read_bytes().decode("utf-8") == after


def test_body_with_rules_is_untouched(tmp_path: Path, e: Estimate) -> None:
    path = copy(tmp_path, "bare_number.md")
    body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    update_card(path, e, write=True)
    assert path.read_text(encoding="utf-8").endswith(body)
    assert "# keep this comment" in path.read_text(encoding="utf-8")


def test_no_front_matter_gets_one(tmp_path: Path, e: Estimate) -> None:
    path = copy(tmp_path, "no_front_matter.md")
    before = path.read_text(encoding="utf-8")
    update_card(path, e, write=True)
    after = path.read_text(encoding="utf-8")
    assert after.startswith("---\nco2_eq_emissions:\n")
    assert after.endswith("---\n" + before)


@pytest.mark.parametrize(
    ("name", "message"), [("malformed.md", r"line 4: .*opened on line 3"), ("python_tag.md", "!!python/object")]
)
def test_bad_front_matter_is_refused_and_file_untouched(tmp_path: Path, e: Estimate, name: str, message: str) -> None:
    path = copy(tmp_path, name)
    before = path.read_bytes()
    with pytest.raises(CardError, match=message):
        update_card(path, e, write=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left


def test_bad_paths(tmp_path: Path, e: Estimate) -> None:
    block = modelcard.card_block(e)
    with pytest.raises(CardError, match="is a folder"):
        update_card(tmp_path, block)
    with pytest.raises(CardError, match="no such file"):
        update_card(tmp_path / "missing.md", block)
    binary = tmp_path / "model.bin"
    binary.write_bytes(b"\x00\x01\x02")
    with pytest.raises(CardError, match="binary"):
        update_card(binary, block)
    big = tmp_path / "big.md"
    big.write_bytes(b"a" * (modelcard.MAX_CARD_BYTES + 1))
    with pytest.raises(CardError, match="limit"):
        update_card(big, block)


def test_dry_run_writes_nothing(tmp_path: Path, e: Estimate) -> None:
    path = copy(tmp_path, "bare_number.md")
    before = path.read_bytes()
    update = update_card(path, e, write=False)
    assert update.changed and "+  emissions: 108979.2" in update.diff()
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("name", "grams", "flag"),
    [
        ("bare_number.md", 149.2, "bare value"),
        ("crlf_string_units.md", 49.49, "text with a unit"),
        ("tonnes.md", 500_000, "text with a unit"),
        ("no_front_matter.md", None, "no YAML front matter"),
    ],
)
def test_read_card_forms(name: str, grams: float | None, flag: str) -> None:
    record = read_card(CARDS / name)
    assert record.emissions_g == (pytest.approx(grams) if grams is not None else None)
    assert any(flag in f for f in record.flags)


def test_kilograms_written_as_grams_is_flagged() -> None:
    record = read_card(CARDS / "bare_number.md")
    assert any("149.2 kg" in f and "unit may be wrong" in f for f in record.flags)


@pytest.mark.parametrize(
    ("value", "grams"),
    [("49.49 g", 49.49), ("1.7 kg", 1700), ("0.5 t", 500_000), ("1,234 g", 1234), ("12 kgCO2e", 12_000), (3, 3)],
)
def test_parse_amount(value: object, grams: float) -> None:
    assert modelcard.parse_amount(value)[0] == pytest.approx(grams)


@pytest.mark.parametrize("value", ["about a lot", "12 furlongs", True, [1]])
def test_unreadable_amounts_are_not_guessed(value: object) -> None:
    number, flag = modelcard.parse_amount(value)
    assert number is None and flag


def test_scan_sorts_filters_and_never_drops(tmp_path: Path) -> None:
    for name in ("bare_number.md", "crlf_string_units.md", "tonnes.md", "malformed.md", "no_front_matter.md"):
        folder = tmp_path / name.removesuffix(".md")
        folder.mkdir()
        shutil.copyfile(CARDS / name, folder / "README.md")
    everything = scan(tmp_path)
    assert len(everything) == 5
    values = [r.emissions_g for r in everything if r.emissions_g is not None]
    assert values == sorted(values) == [pytest.approx(49.49), pytest.approx(149.2), pytest.approx(500_000)]
    assert any("not valid YAML" in f for r in everything for f in r.flags)
    assert [r.emissions_g for r in scan(tmp_path, min_g=100, max_g=1000)] == [pytest.approx(149.2)]
    with pytest.raises(CardError, match="not a folder"):
        scan(tmp_path / "nope")


# Printable text: PyYAML itself folds control characters such as U+0085 into line breaks.
printable = st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), max_size=20)
metadata_values = st.recursive(
    st.none() | st.booleans() | st.integers(-10_000, 10_000) | printable,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(printable.filter(bool), children, max_size=3),
    max_leaves=8,
)
metadata = st.dictionaries(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyz_-", min_size=1, max_size=12).filter(lambda k: k != "co2_eq_emissions"),
    metadata_values,
    max_size=6,
)


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=metadata, hours=st.floats(0.01, 10_000), body=st.text(max_size=200))
def test_any_metadata_merges_and_reads_back(meta: dict[str, object], hours: float, body: str) -> None:
    e = estimate(hardware="nvidia-t4", hours=hours, region="FR")
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) if meta else ""
    text = f"---\n{front}---\n{body}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        block = modelcard.card_block(e)
    merged = merge(text, block)
    assert merge(merged, block) == merged
    loaded = yaml.safe_load(merged.split("---\n", 2)[1])
    assert loaded.pop("co2_eq_emissions") == block
    assert loaded == meta
    assert merged.endswith(f"---\n{body}")
    assert read_card_text(merged).emissions_g == block["emissions"]
