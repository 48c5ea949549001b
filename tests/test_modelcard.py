"""Model cards: the block, the safe merge into README.md, reading cards in every
form real cards use, and the Hub's own ModelCard reading back what we wrote."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path
from typing import Any

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
    block = modelcard.card_block(e, training_type="fine-tuning")
    card = {"co2_eq_emissions": block}
    # 108,979.2 g on a range of 27,244.8-108,979.2 g (draw 0.25-1 × TDP): half-width 37.5 % of the
    # central value, so 2 + ceil(log10(1 / 0.375)) = 3 significant digits
    assert e.low == pytest.approx(27_244.8) and e.high == pytest.approx(108_979.2)
    assert block["emissions"] == 109_000  # grams, not kg
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
    update_card(path, modelcard.card_block(e, "pre-training"), write=True)
    card = ModelCard.load(path)
    co2 = card.data.co2_eq_emissions
    assert co2["emissions"] == 109_000
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
    update = update_card(path, modelcard.card_block(e, "pre-training"), write=True)
    after = path.read_bytes().decode("utf-8")
    assert update.changed and after == update.new
    assert outside_block(after) == outside_block(before)
    if "\r\n" in before:
        assert after.count("\n") == after.count("\r\n")
    assert read_card(path).emissions_g == 109_000
    again = update_card(path, modelcard.card_block(e, "pre-training"), write=True)
    assert not again.changed  # idempotent
    assert path.read_bytes().decode("utf-8") == after


def test_body_with_rules_is_untouched(tmp_path: Path, e: Estimate) -> None:
    path = copy(tmp_path, "bare_number.md")
    body = path.read_text(encoding="utf-8").split("---\n", 2)[2]
    update_card(path, modelcard.card_block(e, "pre-training"), write=True)
    assert path.read_text(encoding="utf-8").endswith(body)
    assert "# keep this comment" in path.read_text(encoding="utf-8")


def test_no_front_matter_gets_one(tmp_path: Path, e: Estimate) -> None:
    path = copy(tmp_path, "no_front_matter.md")
    before = path.read_text(encoding="utf-8")
    update_card(path, modelcard.card_block(e, "pre-training"), write=True)
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
        update_card(path, modelcard.card_block(e, "pre-training"), write=True)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["README.md"]  # no temporary file left


def test_bad_paths(tmp_path: Path, e: Estimate) -> None:
    block = modelcard.card_block(e, "pre-training")
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
    update = update_card(path, modelcard.card_block(e, "pre-training"), write=False)
    assert update.changed and "+  emissions: 109000" in update.diff()
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


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(meta=metadata, hours=st.floats(0.01, 10_000), body=st.text(max_size=200))
def test_any_metadata_merges_and_reads_back(meta: dict[str, object], hours: float, body: str) -> None:
    e = estimate(hardware="nvidia-t4", hours=hours, region="FR")
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False) if meta else ""
    text = f"---\n{front}---\n{body}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        block = modelcard.card_block(e, "pre-training")
    merged = merge(text, block)
    assert merge(merged, block) == merged
    loaded = yaml.safe_load(merged.split("---\n", 2)[1])
    assert loaded.pop("co2_eq_emissions") == block
    assert loaded == meta
    assert merged.endswith(f"---\n{body}")
    assert read_card_text(merged).emissions_g == block["emissions"]


# ---------------------------------------------------------------- front matter where the Hub finds it


def hub_reads(path: Path) -> dict[str, Any] | None:
    """huggingface_hub's own reader of a card's metadata (REGEX_YAML_BLOCK)."""
    from huggingface_hub.repocard import metadata_load

    return metadata_load(path)


@pytest.mark.parametrize(
    ("text", "newline"),
    [
        ("\n\n---\nlicense: mit\ntags: [a]\n---\n# Model\n", "\n"),  # leading blank lines
        ("  \n---\nlicense: mit\ntags: [a]\n---  \n# Model\n", "\n"),  # closing '---' with trailing spaces
        ("---\rlicense: mit\rtags: [a]\r---\r# Model\r", "\r"),  # CR-only (classic Mac) line breaks
        ("\r\n---\r\nlicense: mit\r\ntags: [a]\r\n---\r\n# Model\r\n", "\r\n"),
        ("\ufeff\n---\nlicense: mit\ntags: [a]\n---\n# Model\n", "\n"),  # a BOM, then a blank line
    ],
)
def test_front_matter_is_found_where_the_hub_finds_it(tmp_path: Path, e: Estimate, text: str, newline: str) -> None:
    path = tmp_path / "README.md"
    path.write_bytes(text.encode("utf-8"))
    assert hub_reads(path) == {"license": "mit", "tags": ["a"]}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        update_card(path, modelcard.card_block(e, "fine-tuning"), write=True)
    # huggingface_hub's ModelCard.load (newline="") finds no block in a CR-only file: said, not hidden
    said = [str(w.message) for w in caught if issubclass(w.category, CardWarning)]
    if newline == "\r":
        assert len(said) == 1 and said[0].startswith(f"{path}: its line breaks are CR only")
        assert "ModelCard.load finds none" in said[0]
    else:
        assert said == []
    after = path.read_bytes().decode("utf-8")
    assert after.count("---") == 2  # no second block in front
    others = after.replace(newline, "")
    assert "\n" not in others and "\r" not in others  # the file's own line breaks only
    meta = hub_reads(path)
    assert meta is not None
    assert meta["license"] == "mit" and meta["tags"] == ["a"]  # kept, as the Hub sees them
    assert meta["co2_eq_emissions"] == modelcard.card_block(e, "fine-tuning")
    assert after.endswith(f"# Model{newline}")


def test_empty_front_matter_is_filled(tmp_path: Path, e: Estimate) -> None:
    # '---' twice: huggingface_hub's rule finds no block here; we fill it rather than add a second one
    path = tmp_path / "README.md"
    path.write_text("---\n---\n# Model\n", encoding="utf-8")
    update_card(path, modelcard.card_block(e), write=True)
    assert path.read_text(encoding="utf-8").count("---") == 2
    meta = hub_reads(path)
    assert meta is not None and meta["co2_eq_emissions"]["emissions"] == 109_000


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("---\nlicense: mit\n...\n# Model\n", r"line 3: front matter ends with '\.\.\.'.*change that line to '---'"),
        (
            "---\nlicense: mit\n...\n# Model\n\nSome text.\n\n---\n\nmore\n",
            r"line 3: front matter has a '\.\.\.' line.*'---' line \(line 8\).*which fails.*change that line to '---'",
        ),
        ("--- \nlicense: mit\n---\n# Model\n", r"line 1: the opening '---' has spaces after it"),
        ("\n---\nlicense: mit\n# never closed\n", r"line 2: front matter opened with '---' is never closed"),
    ],
)
def test_front_matter_the_hub_would_not_read_gets_a_true_message(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    try:
        meta = hub_reads(path)
    except yaml.YAMLError:
        meta = None  # huggingface_hub fails on it
    assert meta is None or "license" not in meta  # the Hub does not see this license
    with pytest.raises(CardError, match=message):
        update_card(path, {"emissions": 1}, write=True)
    assert path.read_text(encoding="utf-8") == text


def test_dots_followed_only_by_comments_is_read_as_the_hub_reads_it(tmp_path: Path, e: Estimate) -> None:
    text = "---\nlicense: mit\n...\n# a comment\n---\n# Model\n"
    path = tmp_path / "README.md"
    path.write_text(text, encoding="utf-8")
    assert hub_reads(path) == {"license": "mit"}
    update_card(path, modelcard.card_block(e), write=True)
    assert hub_reads(path) == {"license": "mit", "co2_eq_emissions": modelcard.card_block(e)}
    assert path.read_text(encoding="utf-8").endswith("...\n# a comment\n---\n# Model\n")


def test_yaml_error_lines_count_leading_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "README.md"
    path.write_text("\n\n---\nlicense: mit\ntags: [a\n---\n", encoding="utf-8")
    with pytest.raises(CardError, match=r"line 6: front matter is not valid YAML.*opened on line 5"):
        read_card(path)


# ---------------------------------------------------------------- alias bombs


def alias_bomb(levels: int) -> str:
    """A card whose front matter expands to 9**levels entries (the 'billion laughs')."""
    lines = ["---", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    lines += ["co2_eq_emissions:", "  emissions: 1", "---", "# Model", ""]
    return "\n".join(lines)


def test_alias_bomb_is_refused_before_any_compare(tmp_path: Path, e: Estimate) -> None:
    path = tmp_path / "README.md"
    text = alias_bomb(10)
    assert len(text.encode()) < 1000
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CardError, match=r"line 3: YAML aliases \(\*name\) are not allowed"):
        update_card(path, modelcard.card_block(e), write=True)
    with pytest.raises(CardError, match="aliases"):
        read_card(path)
    assert path.read_text(encoding="utf-8") == text
    records = scan(tmp_path)
    assert len(records) == 1 and "aliases" in records[0].flags[0]


def test_anchors_without_aliases_still_merge(tmp_path: Path, e: Estimate) -> None:
    path = tmp_path / "README.md"
    path.write_text("---\nbase: &b {x: 1}\nlicense: mit\n---\n", encoding="utf-8")
    update_card(path, modelcard.card_block(e), write=True)
    assert (hub_reads(path) or {})["base"] == {"x": 1}


# ---------------------------------------------------------------- the merge keeps the rest of the block


def test_merge_keeps_other_keys_of_the_block(tmp_path: Path, e: Estimate) -> None:
    path = tmp_path / "README.md"
    path.write_text(
        "---\nlicense: mit\nco2_eq_emissions:\n  emissions: 5\n  training_time: 72 hours\n"
        "  training_type: fine-tuning\n  our_note: measured on node 3\n---\n# Model\n",
        encoding="utf-8",
    )
    update_card(path, modelcard.card_block(e), write=True)  # no training_type given
    co2 = (hub_reads(path) or {})["co2_eq_emissions"]
    assert co2["emissions"] == 109_000
    assert co2["training_time"] == "72 hours" and co2["our_note"] == "measured on node 3"
    assert co2["training_type"] == "fine-tuning"  # kept: the block we wrote has none
    assert list(co2)[:3] == ["emissions", "training_time", "training_type"]  # their order kept


def test_a_whole_card_mapping_is_not_nested_into_itself(tmp_path: Path, e: Estimate) -> None:
    path = tmp_path / "README.md"
    path.write_text("# Model\n", encoding="utf-8")
    with pytest.raises(CardError, match=r"give the inner mapping"):
        merge("# Model\n", {"co2_eq_emissions": modelcard.card_block(e)})
    with pytest.raises(CardError, match=r"not \{'co2_eq_emissions': \.\.\.\}"):
        update_card(path, {"co2_eq_emissions": modelcard.card_block(e)}, write=True)
    assert path.read_text(encoding="utf-8") == "# Model\n"


# ---------------------------------------------------------------- training_type and rounding


def test_no_training_type_unless_given(e: Estimate) -> None:
    assert "training_type" not in modelcard.card_block(e)
    assert modelcard.card_block(e, "fine-tuning")["training_type"] == "fine-tuning"
    with pytest.raises(ValueError, match="training_type must be text"):
        modelcard.card_block(e, "")


@pytest.mark.parametrize(
    ("central", "low", "high", "digits"),
    [
        (110_468.6208, 54_800, 117_600, 3),  # the card: ±28 %
        (1000, 900, 1100, 3),  # ±10 %: log10(10) = 1 → 3
        (1000, 950, 1050, 4),  # ±5 %: ceil(log10(20)) = 2 → 4
        (1000, 999, 1001, 5),  # ±0.1 %: ceil(log10(1000)) = 3 → 5
        (1000, 999.99, 1000.01, 6),  # capped at 6
        (1000, 1000, 1000, 6),  # no range: every input given
        (1000, float("nan"), float("nan"), 6),
        (1000, 1, 1e9, 3),  # wider than the value itself: still 3
    ],
)
def test_range_digits(central: float, low: float, high: float, digits: int) -> None:
    assert modelcard.range_digits(central, low, high) == digits


def test_card_emissions_rounded_to_the_range(e: Estimate) -> None:
    assert modelcard.round_significant(110_468.6208, 3) == 110_000
    assert modelcard.round_significant(6.115200000000001, 6) == 6.1152
    assert repr(modelcard.round_significant(0.30000000000000004, 6)) == "0.3"
    exact = estimate(hardware="A100 SXM4 80GB", hours=72, count=8, region="FR", pue=1.1, intensity=430, power_w=400)
    assert exact.low == exact.high  # every input given: no range
    assert modelcard.card_block(exact)["emissions"] == 108_979  # 6 digits of 108,979.2
    assert e.co2e_g == pytest.approx(108_979.2)  # the API keeps full precision


def test_scan_refuses_nan_bounds(tmp_path: Path) -> None:
    for bad in (float("nan"), float("inf"), "100"):
        with pytest.raises(ValueError, match="min_g must be a finite number"):
            scan(tmp_path, min_g=bad)  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    meta=metadata.filter(bool),
    newline=st.sampled_from(["\n", "\r\n", "\r"]),
    blank_lines=st.integers(0, 3),
    closer_spaces=st.sampled_from(["", " ", " \t"]),
    body=st.text(st.characters(codec="utf-8", blacklist_characters="\x00"), max_size=100),
)
def test_hub_reads_back_what_we_merge_in_any_layout(
    tmp_path: Path, e: Estimate, meta: dict[str, object], newline: str, blank_lines: int, closer_spaces: str, body: str
) -> None:
    front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False).replace("\n", newline)
    text = f"{newline * blank_lines}---{newline}{front}---{closer_spaces}{newline}{body}"
    path = tmp_path / "README.md"
    path.write_bytes(text.encode("utf-8"))
    assert hub_reads(path) == meta  # the layout is one the Hub reads
    block = modelcard.card_block(e, "fine-tuning")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CardWarning)  # CR-only: said, tested above
        update_card(path, block, write=True)
    assert hub_reads(path) == {**meta, "co2_eq_emissions": block}
    after = path.read_bytes().decode("utf-8")
    assert after.startswith(newline * blank_lines + "---" + newline) and after.endswith(body)
