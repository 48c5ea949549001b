"""Name resolution: loose words, nonsense, long values, suggestions from the trigram index, remembered misses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import names
from estimator.catalog import Catalog
from estimator.errors import AmbiguousNameError, UnknownHardwareError, UnknownRegionError
from estimator.names import NameIndex, shown
from tests.conftest import ROOT


def _tiny() -> NameIndex:
    return NameIndex(
        "hardware",
        ["intel-arc-b580", "nvidia-a2", "nvidia-t4"],
        [[("Intel Arc B580", "intel-arc-b580"), ("NVIDIA A2", "nvidia-a2"), ("NVIDIA T4 GPU", "nvidia-t4")]],
        {"intel-arc-b580": "intel-arc-b580 (Intel Arc B580)"},
        UnknownHardwareError,
    )


def test_one_letter_words_do_not_match_word_starts(catalog: Catalog) -> None:
    with pytest.raises(UnknownHardwareError, match=r"unknown hardware 'a b'"):
        catalog.device("a b")  # was Intel Arc B580: "a" started "arc", "b" started "b580"
    with pytest.raises(UnknownHardwareError):
        _tiny().resolve("a b")
    assert _tiny().resolve("arc b580").id == "intel-arc-b580"  # two letters or more still start a word
    assert catalog.device("H100 SXM")[0].id == "nvidia-h100-sxm5-80gb"


def test_letters_the_matcher_cannot_read_make_a_name_unknown_not_ambiguous(catalog: Catalog) -> None:
    with pytest.raises(UnknownHardwareError, match="unknown hardware '日本語GPU'") as info:
        catalog.device("日本語GPU")  # was "ambiguous among 10 GPUs": only "GPU" was read
    assert not isinstance(info.value, AmbiguousNameError)
    with pytest.raises(UnknownHardwareError):
        _tiny().resolve("日本語 T4")
    assert catalog.region("Montréal", "gcp")[0].id == "gcp:northamerica-northeast1"  # accents still fold


def test_long_values_are_cut_in_messages(catalog: Catalog) -> None:
    huge = "x" * 1_000_000
    with pytest.raises(UnknownHardwareError) as info:
        catalog.device(huge)
    message = str(info.value)
    assert len(message) < 200 and "1,000,000 characters" in message and "too long to be a name" in message
    long_region = "Frankfurt" + " am Main" * 20
    with pytest.raises((UnknownRegionError, AmbiguousNameError)) as region_info:
        catalog.region(long_region)
    assert long_region not in str(region_info.value) and f"({len(long_region):,} characters)" in str(region_info.value)
    assert shown("abc") == "'abc'"
    assert shown("y" * 61) == f"{'y' * 60!r}… (61 characters)"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("nvidia-a100-sxm4-80gbb", "nvidia-a100-sxm4-80gb"),
        ("H100 SMX5", "nvidia-h100-sxm5-80gb"),
        ("Tesla V100-SXM2-16GBx", "nvidia-v100-sxm2-16gb"),
    ],
)
def test_suggestions_from_the_trigram_index(catalog: Catalog, query: str, expected: str) -> None:
    names.forget_misses()
    with pytest.raises(UnknownHardwareError) as info:
        catalog.device(query)
    assert info.value.suggestions[0] == expected
    assert len(info.value.suggestions) <= 3


def test_suggestions_do_not_compare_with_every_name(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    import difflib

    def refuse(*args: object, **kwargs: object) -> list[str]:
        raise AssertionError("difflib over the whole list")

    monkeypatch.setattr(difflib, "get_close_matches", refuse)
    names.forget_misses()
    with pytest.raises(UnknownRegionError) as info:
        catalog.region("Frnace")
    assert "FR" in info.value.suggestions


def test_a_miss_is_worked_out_once(catalog: Catalog, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    original = NameIndex._miss

    def counting(self: NameIndex, text: str, allowed: object) -> object:
        calls.append(text)
        return original(self, text, allowed)  # type: ignore[arg-type]

    monkeypatch.setattr(NameIndex, "_miss", counting)
    names.forget_misses()
    messages = set()
    for _ in range(5):
        with pytest.raises(UnknownHardwareError) as info:
            catalog.device("Quantum Toaster 42")
        messages.add(str(info.value))
    assert calls == ["Quantum Toaster 42"] and len(messages) == 1
    names.forget_misses()
    with pytest.raises(UnknownHardwareError):
        catalog.device("Quantum Toaster 42")
    assert len(calls) == 2


def test_suggestions_are_the_same_in_every_process() -> None:
    # Dask and Spark workers must word a bad row as the driver does: no hash-order ties.
    code = (
        "from estimator import load_catalog\n"
        "c = load_catalog()\n"
        "for q in ['Atlantis', 'Frnace', 'Quantum Toaster', 'nvidia-a100-sxm4-80gbb', 'xyz']:\n"
        "    try:\n        c.region(q) if q in ('Atlantis', 'Frnace', 'xyz') else c.device(q)\n"
        "    except LookupError as e:\n        print(e)\n"
    )
    outputs = set()
    for seed in ("1", "2", "3"):
        env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed}
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
        outputs.add(out.stdout)
    assert len(outputs) == 1


def test_state_round_trip_with_parts_read_later(catalog: Catalog) -> None:
    from estimator import errors

    state = catalog.device_index.to_state()
    kinds = {"UnknownHardwareError": errors.UnknownHardwareError}
    read: list[str] = []

    def later(part: str) -> Callable[[], object]:
        def load() -> object:
            read.append(part)
            return state[part]

        return load

    eager = {k: state[k] for k in ("what", "error", "exact")}
    rebuilt = NameIndex.from_state(eager, kinds, {p: later(p) for p in ("bare", "tiers", "labels", "names")})
    assert rebuilt.resolve("nvidia-t4").id == "nvidia-t4" and read == []  # an id needs no part
    assert rebuilt.resolve("Tesla T4").id == "nvidia-t4" and sorted(read) == ["bare", "tiers"]
    assert rebuilt.to_state() == state


@given(st.dictionaries(st.integers(0, 200), st.integers(1, 6), max_size=120), st.integers(1, 70))
def test_the_most_shared_names_are_the_first_of_the_full_sort(counts: dict[int, int], k: int) -> None:
    from estimator.names import _GramIndex

    expected = sorted(counts, key=lambda n: (-counts[n], n))[:k]
    assert sorted(_GramIndex._most_shared(counts, k)) == sorted(expected)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -", min_size=1, max_size=30))
def test_the_trigram_scores_are_the_dice_coefficient_of_the_sets(catalog: Catalog, text: str) -> None:
    """closest() against the plain definition: the 64 names sharing most rarer trigrams, scored by sets."""
    from collections import Counter

    from estimator.names import _grams, norm

    index = catalog.device_index
    index._closest("warm", None)
    grams = index._grams
    assert grams is not None
    key = norm(text)
    query = _grams(key)
    lists = [grams.postings[g] for g in sorted(query) if g in grams.postings]
    rare = [p for p in lists if len(p) <= grams.common] or lists
    counts = Counter(n for p in rare for n in p)
    candidates = sorted(counts, key=lambda n: (-counts[n], n))[:64]
    scored = sorted(
        (-s, grams.keys[n], n)
        for n in candidates
        if (s := 2 * len(query & grams.grams[n]) / (len(query) + len(grams.grams[n]))) >= grams.CUTOFF
    )
    picked: list[str] = []
    for _, _, n in scored:
        picked += [i for i in sorted(grams.ids[n]) if i not in picked]
        if len(picked) >= 3:
            break
    assert grams.closest(key, None, 3) == tuple(picked[:3])
