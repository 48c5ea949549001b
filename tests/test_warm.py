"""Warm ``estimate()`` (issue 15, item 5): a repeat call reuses the resolved job and only
checks and multiplies the per-run numbers; the result is the one the plain path makes.

The reference here, ``cold()``, is the plain path with nothing remembered: ``Job`` ->
``plan.resolve`` (its plan cache switched off) -> ``api.compute`` (every field of the
Estimate made at once by its ``__init__``).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import inspect
import json
import math
import pickle
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from estimator import api, job, plan
from estimator.api import estimate
from estimator.catalog import load_catalog
from estimator.core import Estimate
from estimator.errors import EstimatorError, InputError

CATALOG = load_catalog()
DEVICES = sorted(d.id for d in CATALOG.devices.values() if not d.is_cpu)
CPUS = sorted(d.id for d in CATALOG.devices.values() if d.is_cpu)
REGIONS = sorted(CATALOG.regions)
INSTANCES = sorted(CATALOG.instances)
A100 = "nvidia-a100-sxm4-80gb"


class _Forgets(dict[Any, Any]):
    """A plan cache that keeps nothing."""

    def __setitem__(self, key: Any, value: Any) -> None:
        pass


@contextlib.contextmanager
def _no_plan_cache() -> Iterator[None]:
    saved = plan._STRUCTURES
    plan._STRUCTURES = _Forgets()
    try:
        yield
    finally:
        plan._STRUCTURES = saved


def cold(**kwargs: Any) -> Estimate | EstimatorError:
    """The plain path, nothing remembered; the error it raises, if any."""
    with _no_plan_cache():
        try:
            return api.compute(plan.resolve(job.Job.from_kwargs(kwargs)))
        except EstimatorError as exc:
            return exc


def warm(**kwargs: Any) -> Estimate | EstimatorError:
    try:
        return estimate(**kwargs)
    except EstimatorError as exc:
        return exc


def assert_same(got: Estimate | EstimatorError, want: Estimate | EstimatorError) -> None:
    """Same error (type, message, field), or the same Estimate field by field, types included."""
    if isinstance(want, EstimatorError) or isinstance(got, EstimatorError):
        assert type(got) is type(want), (got, want)
        assert str(got) == str(want)
        assert got.field == want.field  # type: ignore[union-attr]
        return
    for f in dataclasses.fields(Estimate):
        # repr: exact floats, NaN equal to NaN, and 8 told from 8.0
        assert repr(getattr(got, f.name)) == repr(getattr(want, f.name)), f.name
    assert repr(got.provenance) == repr(want.provenance)
    assert repr(got.breakdown) == repr(want.breakdown)
    assert (got.low, got.central, got.high, got.co2e_kg, got.overhead_kwh) == (
        want.low,
        want.central,
        want.high,
        want.co2e_kg,
        want.overhead_kwh,
    )
    assert json.dumps(got.to_dict(), sort_keys=True) == json.dumps(want.to_dict(), sort_keys=True)
    assert repr(got) == repr(want)
    if not any(isinstance(v, float) and math.isnan(v) for v in dataclasses.astuple(want)):
        assert got == want and hash(got) == hash(want)


# ---------------------------------------------------------------- the property


def _number(low: float, high: float) -> st.SearchStrategy[float | int]:
    """A number in [low, high], as an int when it can be one (8 and 8.0 are echoed differently)."""
    floats = st.floats(low, high, allow_nan=False)
    whole = st.integers(math.ceil(low), math.floor(high)) if math.ceil(low) <= math.floor(high) else floats
    return st.one_of(floats, whole, whole.map(float))


@st.composite
def jobs(draw: st.DrawFn) -> dict[str, Any]:
    """Keyword arguments of estimate(): mostly valid, some refused."""
    kw: dict[str, Any] = {}
    what = draw(st.sampled_from(["hardware", "hardware", "instance", "cpu", "power_w"]))
    if what == "hardware":
        kw["hardware"] = draw(st.sampled_from(DEVICES))
    elif what == "instance":
        kw["instance"] = draw(st.sampled_from(INSTANCES))
    elif what == "cpu":
        kw["cpu"] = draw(st.sampled_from(CPUS))
        kw.update(draw(st.sampled_from([{}, {"cpu_count": 2}, {"cpu_cores": 8}, {"cpu_cores": 8.0}])))
    else:
        kw["power_w"] = draw(_number(1, 1000))
    if what in ("hardware", "power_w") and draw(st.booleans()):
        kw["count"] = draw(st.sampled_from([1, 2, 8, 8.0, 16]))
    if draw(st.integers(0, 5)) == 0:
        kw["intensity"] = draw(_number(0, 1500))
    else:
        kw["region"] = draw(st.sampled_from(REGIONS))
        kw["year"] = draw(st.one_of(st.none(), st.integers(2015, 2026)))
        kw["basis"] = draw(st.sampled_from(["lifecycle", "lifecycle", "marginal"]))
    optional = {
        "pue": _number(1, 3),
        "utilization": _number(0.05, 1),
        "cpu_utilization": _number(0.05, 1),
        "memory_gb": _number(0, 512),
        "draw_low_fraction": st.floats(0.05, 1),
        "trials": st.integers(1, 5),
        "provider": st.sampled_from(["aws", "gcp", "azure"]),
        "intensity_range": st.tuples(_number(0, 300), _number(300, 2000)).map(
            lambda pair: list(pair) if pair[0] == 0 else pair  # a list too, as JSON gives it
        ),
    }
    for name, values in optional.items():
        if draw(st.integers(0, 3)) == 0:
            kw[name] = draw(values)
    kw["hours"] = draw(_number(0.01, 1e4))
    return {k: v for k, v in kw.items() if v is not None}


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(kw=jobs(), other_hours=_number(0.01, 1e4), other_trials=st.integers(1, 4))
def test_warm_estimate_is_the_plain_path_field_by_field(
    kw: dict[str, Any], other_hours: float, other_trials: int
) -> None:
    assert_same(warm(**kw), cold(**kw))  # the first call may make the prepared job
    again = {**kw, "hours": other_hours, "trials": other_trials}
    assert_same(warm(**again), cold(**again))  # a warm call: other hours, other trials
    assert_same(warm(**kw), cold(**kw))  # and back


# ---------------------------------------------------------------- errors on a warm key

BASE: dict[str, Any] = {"hardware": A100, "hours": 72, "count": 8, "region": "gcp:us-central1"}


@pytest.mark.parametrize(
    "change",
    [
        {"hours": 0},
        {"hours": -1.5},
        {"hours": math.nan},
        {"hours": math.inf},
        {"hours": 1e13},
        {"hours": True},
        {"hours": "72"},
        {"hours": None},
        {"hours": [72]},
        {"trials": 0},
        {"trials": 1.5},
        {"trials": True},
        {"trials": "2"},
        {"hours": -1, "trials": 0},  # both wrong: the same one is named first
        {"count": 0},
        {"count": True},
        {"count": 2.5},
        {"utilization": 80},
        {"hardware": ["nvidia-t4"]},
        {"region": "gcp:us-centrall"},
        {"year": True},
        {"intensity_range": [1, 2]},
    ],
    ids=repr,
)
def test_a_bad_value_on_a_warm_key_gives_the_cold_error(change: dict[str, Any]) -> None:
    estimate(**BASE)
    estimate(**BASE)  # warm
    kw = {**BASE, **change}
    got, want = warm(**kw), cold(**kw)
    assert isinstance(want, EstimatorError)
    assert_same(got, want)
    assert_same(warm(**BASE), cold(**BASE))  # nothing left behind by the failed call


def test_a_boolean_never_reuses_the_job_made_for_its_number() -> None:
    one = estimate(hardware=A100, hours=2, count=1, region="FR")
    assert one.inputs["count"] == 1
    with pytest.raises(InputError) as err:
        estimate(hardware=A100, hours=2, count=True, region="FR")
    assert err.value.field == "count"


@pytest.mark.parametrize(
    ("name", "a", "b", "rest"),
    [
        ("count", 8, 8.0, {"region": "FR"}),
        ("utilization", 1, 1.0, {"region": "FR"}),
        ("pue", 1.2, 1.2, {"region": "FR"}),
        ("intensity_range", (300, 500), (300.0, 500.0), {"intensity": 400}),
    ],
)
def test_equal_numbers_of_other_types_are_echoed_as_given(name: str, a: Any, b: Any, rest: dict[str, Any]) -> None:
    kw = {"hardware": A100, "hours": 5, **rest}
    for value in (a, b, a):
        e = estimate(**kw, **{name: value})
        assert repr(e.inputs[name]) == repr(list(value) if isinstance(value, tuple) else value)
        assert_same(e, cold(**kw, **{name: value}))


# ---------------------------------------------------------------- nothing shared


def _lab_file(path: Path, tdp_w: float, intensity: float = 20.0) -> Path:
    path.write_text(
        f"""\
devices:
  - id: lab-board
    name: Lab Board
    vendor: lab
    kind: npu
    tdp_w: {tdp_w}
    power_basis: tdp
    memory_gb: 8
    released: 2024
    year: 2024
    source: our own measurement, 2024
regions:
  - id: lab-room
    kind: zone
    name: Lab room
    country: FR
intensity:
  - place: lab-room
    year: 2024
    basis: lifecycle
    intensity_g_per_kwh: {intensity}
    dataset: utility-bill
    source: our utility bill 2024
""",
        encoding="utf-8",
    )
    return path


def test_mutating_a_result_never_changes_another(tmp_path: Path) -> None:
    lab = _lab_file(tmp_path / "lab.yaml", 100)
    kw: dict[str, Any] = {
        "hardware": A100,
        "hours": 3,
        "count": 2,
        "region": "gcp:us-central1",
        "intensity_range": [100, 900],
        "data_files": [lab],
    }
    first, second = estimate(**kw), estimate(**kw)  # two results of one prepared job, nothing read yet
    assert first.region is not None and first.hardware is not None
    assert first.region["beside"], "a region with figures beside (a nested list to mutate)"
    first.inputs["hours"] = -1
    first.inputs["intensity_range"].append(0)
    first.inputs["data_files"].clear()
    first.region["zone"] = "tampered"
    first.region["beside"].clear()
    first.hardware["id"] = "tampered"
    kw_cold = {**kw, "data_files": [str(lab)]}
    assert_same(second, cold(**kw_cold))
    assert_same(estimate(**kw), cold(**kw_cold))
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.co2e_g = 0.0  # type: ignore[misc]


def test_the_plain_path_shares_nothing_with_the_plan_cache() -> None:
    """api.compute, used by batch, copies the plan's nested facts too."""
    job_ = job.Job.from_kwargs({"hardware": A100, "hours": 1, "region": "gcp:us-central1"})
    first = api.compute(plan.resolve(job_))
    assert first.region is not None
    first.region["beside"].clear()
    assert api.compute(plan.resolve(job_)).region["beside"]  # type: ignore[index]


def test_the_key_tells_data_files_apart(tmp_path: Path) -> None:
    low = _lab_file(tmp_path / "low.yaml", 100)
    high = _lab_file(tmp_path / "high.yaml", 200)
    kw: dict[str, Any] = {"hardware": "lab-board", "hours": 10, "region": "lab-room", "pue": 1.0}
    at_100 = estimate(**kw, data_files=[low])
    at_200 = estimate(**kw, data_files=[high])
    assert at_100.co2e_g == pytest.approx(100 * 10 / 1000 * 20)
    assert at_200.co2e_g == pytest.approx(2 * at_100.co2e_g)
    assert estimate(**kw, data_files=str(low)).co2e_g == at_100.co2e_g  # one path, as str
    assert estimate(**kw, data_files=(low,)).co2e_g == at_100.co2e_g
    assert isinstance(warm(**kw), EstimatorError)  # no lab-board without the file
    _lab_file(low, 100, intensity=400.0)  # the file changes (its size too): the next call reads it
    assert estimate(**kw, data_files=[low]).co2e_g == pytest.approx(20 * at_100.co2e_g)
    assert_same(estimate(**kw, data_files=[low]), cold(**kw, data_files=[low]))


CHANGES: dict[str, tuple[dict[str, Any], Any, Any]] = {
    # input: (the rest of the job, one value, another value)
    "hardware": ({"region": "FR"}, A100, "nvidia-t4"),
    "count": ({"hardware": A100, "region": "FR"}, 2, 4),
    "region": ({"hardware": A100}, "FR", "DE"),
    "pue": ({"hardware": A100, "region": "FR"}, 1.1, 1.2),
    "intensity": ({"hardware": A100}, 100, 200),
    "power_w": ({"hardware": A100, "region": "FR"}, 100, 200),
    "utilization": ({"hardware": A100, "region": "FR"}, 0.5, 0.6),
    "instance": ({"region": "aws:us-east-1"}, "aws:p4d.24xlarge", "aws:p3.16xlarge"),
    "cpu": ({"region": "FR"}, CPUS[0], CPUS[1]),
    "cpu_count": ({"cpu": CPUS[0], "region": "FR"}, 1, 2),
    "cpu_cores": ({"cpu": CPUS[0], "region": "FR"}, 4, 8),
    "cpu_utilization": ({"cpu": CPUS[0], "region": "FR"}, 0.5, 0.6),
    "memory_gb": ({"hardware": A100, "region": "FR"}, 16, 32),
    "provider": ({"hardware": A100, "region": "Frankfurt"}, "aws", "gcp"),
    "year": ({"hardware": A100, "region": "FR"}, 2021, 2023),
    "basis": ({"hardware": A100, "region": "FR"}, "lifecycle", "marginal"),
    "draw_low_fraction": ({"hardware": A100, "region": "FR"}, 0.3, 0.5),
    "intensity_range": ({"hardware": A100, "intensity": 400}, (300, 500), (350, 450)),
    "data_files": ({"hardware": "lab-board", "region": "lab-room"}, "low.yaml", "high.yaml"),
}


def test_every_input_but_hours_and_trials_is_in_the_key() -> None:
    assert set(CHANGES) == set(job.NAMES) - {"hours", "trials"}
    assert set(inspect.signature(estimate).parameters) == set(job.NAMES)


@pytest.mark.parametrize("name", sorted(CHANGES))
def test_a_warm_key_changes_with_each_input(name: str, tmp_path: Path) -> None:
    rest, a, b = CHANGES[name]
    if name == "data_files":
        a, b = _lab_file(tmp_path / a, 100), _lab_file(tmp_path / b, 200)
    first = {**rest, "hours": 7, name: a}
    second = {**rest, "hours": 7, name: b}
    e_a = estimate(**first)
    estimate(**first)  # warm
    e_b = estimate(**second)
    assert_same(e_b, cold(**second))
    assert_same(estimate(**first), e_a)
    assert e_a.to_dict() != e_b.to_dict()


# ---------------------------------------------------------------- the Estimate's contract


def test_a_warm_estimate_pickles_copies_and_replaces_like_a_plain_one() -> None:
    kw = {**BASE, "hours": 11.5, "trials": 2}
    want = cold(**kw)
    assert isinstance(want, Estimate)
    for made in (
        lambda: estimate(**kw),
        lambda: pickle.loads(pickle.dumps(estimate(**kw))),
        lambda: copy.copy(estimate(**kw)),
        lambda: copy.deepcopy(estimate(**kw)),
        lambda: dataclasses.replace(estimate(**kw)),
    ):
        assert_same(made(), want)
    warm_one = estimate(**kw)
    assert dataclasses.asdict(warm_one) == dataclasses.asdict(want)
    assert dataclasses.replace(warm_one, hours=1.0).hours == 1.0
    state = pickle.loads(pickle.dumps(estimate(**kw))).__dict__
    assert set(state) == {f.name for f in dataclasses.fields(Estimate)}  # values, not how to make them


def test_a_plain_estimate_still_pickles() -> None:
    want = cold(**BASE)
    assert isinstance(want, Estimate)
    assert_same(pickle.loads(pickle.dumps(want)), want)


def test_the_caches_are_bounded(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(api, "MAX_PREPARED", 3)
    monkeypatch.setattr(api, "_PREPARED", {})
    monkeypatch.setattr(plan, "MAX_CACHED_CATALOGS", 2)
    for n in range(1, 10):
        assert_same(estimate(**{**BASE, "count": n}), cold(**{**BASE, "count": n}))
        assert [len(jobs) for jobs in api._PREPARED.values()] == [min(n, 3)]
    assert_same(estimate(**{**BASE, "count": 1}), cold(**{**BASE, "count": 1}))  # evicted: made again
    lab = _lab_file(tmp_path / "lab.yaml", 100)
    kw: dict[str, Any] = {"hardware": "lab-board", "hours": 10, "region": "lab-room", "data_files": [lab]}
    for tdp_w in (10, 100, 1000):  # the file edited (its size too): a new catalog each time
        _lab_file(lab, tdp_w)
        assert estimate(**kw).draw_w == tdp_w
        assert len(api._PREPARED) <= 2


def test_unhashable_inputs_take_the_plain_path() -> None:
    kw = {**BASE, "intensity": 400, "region": None, "intensity_range": [300, 500]}
    assert_same(estimate(**kw), cold(**kw))
    bad = {**BASE, "region": {"id": "FR"}}
    assert_same(warm(**bad), cold(**bad))
