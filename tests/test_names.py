"""Name resolution: loose words, nonsense, long values, suggestions from the trigram index, remembered misses."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from estimator import load_catalog, names
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


def _closest_by_definition(index: NameIndex, key: str, allowed: frozenset[str] | None) -> tuple[str, ...]:
    """Every name scored by the Dice coefficient of its trigram set and the query's, best first, ties by name."""
    from estimator.names import _grams

    grams = index._grams
    assert grams is not None
    query = _grams(key)
    scored = sorted(
        (-s, name, n)
        for n, name in enumerate(grams.keys)
        if (s := 2 * len(query & _grams(name)) / (len(query) + len(_grams(name)))) >= grams.CUTOFF
    )
    picked: list[str] = []
    for _, _, n in scored:
        picked += [i for i in sorted(grams.ids[n]) if i not in picked and (allowed is None or i in allowed)]
        if len(picked) >= 3:
            break
    return tuple(picked[:3])


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -", min_size=1, max_size=30))
def test_the_suggestions_are_the_best_dice_scores_over_every_name(catalog: Catalog, text: str) -> None:
    """closest() against the plain definition: every name scored on its trigram set, not a sample of them."""
    from estimator.names import _grams, norm

    index = catalog.device_index
    index._closest("warm", None)
    assert index._grams is not None
    key = norm(text)
    assert index._grams.closest(key, None, 3) == _closest_by_definition(index, key, None)
    query = _grams(key)  # the route without numpy ranks every name as the one with it
    assert index._grams._ranked(query) == index._grams._ranked_numpy(query, None)[0]


def test_a_name_with_many_spellings_does_not_crowd_out_the_other_suggestions() -> None:
    # the fast route orders only the best few names; when they are spellings of fewer than three ids it
    # must look further, as the plain route does
    from estimator.names import _GramIndex, _grams, norm

    many = {norm(f"nvidia a100 sxm4 80gb edition {i}"): {"crowded"} for i in range(40)}
    many[norm("nvidia a100 sxm4 40gb")] = {"second"}
    many[norm("nvidia a100 pcie 80gb")] = {"third"}
    index = _GramIndex(many)
    key = norm("nvidia a100 sxm4 80gb editio")
    assert index.closest(key, None, 3) == index._picked(index._ranked(_grams(key)), None, 3)
    assert index.closest(key, None, 3) == ("crowded", "second", "third")


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789 -", min_size=1, max_size=30), st.integers(0, 2**32))
def test_the_suggestions_among_allowed_ids_are_the_best_of_those(catalog: Catalog, text: str, seed: int) -> None:
    import random

    from estimator.names import norm

    index = catalog.region_index
    index._closest("warm", None)
    assert index._grams is not None
    ids = sorted({i for g in index._grams.ids for i in g})
    allowed = frozenset(random.Random(seed).sample(ids, 40))
    key = norm(text)
    assert index._grams.closest(key, allowed, 3) == _closest_by_definition(index, key, allowed)


def test_a_typo_without_numpy_loaded_gets_the_same_suggestions() -> None:
    # the command line does not import numpy for one message; a batch (numpy loaded) must word it alike
    queries = ["A100 SXM9", "h100 pcie 90gb", "Quantum Toaster 9000", "rtx 409O", "radeon instinkt mi250x"]
    code = (
        "import sys\n"
        "from estimator import load_catalog\n"
        "c = load_catalog()\n"
        f"for q in {queries!r}:\n"
        "    try:\n        c.device(q)\n"
        "    except LookupError as e:\n        print(e)\n"
        "print('numpy' in sys.modules)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    *messages, numpy_loaded = out.stdout.splitlines()
    assert numpy_loaded == "False"
    import numpy  # noqa: F401 - the other route

    names.forget_misses()
    here = []
    for q in queries:
        with pytest.raises(LookupError) as info:
            load_catalog().device(q)
        here.append(str(info.value))
    assert messages == here and all("Closest matches" in m for m in messages[:2])
