"""The web form through Streamlit's AppTest: every input path computes through the API,
every bad input shows the API's message (never an exception), the link round-trips,
and the downloads hold exactly what the API writes."""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

import pytest
import streamlit as st
import yaml
from hypothesis import given, settings
from hypothesis import strategies as hs
from streamlit.testing.v1 import AppTest

import estimator
from app_pages import cleaner, lifecycle, methodology, plain, preflight, state
from estimator import grid, job, modelcard, report, slurm
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
DEFAULT: dict[str, Any] = {"hardware": "nvidia-a100-sxm4-80gb", "hours": 24.0, "count": 1, "region": "gcp:us-central1"}


CLEANER = "Cleaner regions"


def run(params: dict[str, str] | None = None, tab: str | None = None) -> AppTest:
    """The page from a link (``params``); ``tab`` open (the cleaner regions are computed only when open)."""
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    if tab is not None:
        at.session_state["tab"] = tab
    at.run()
    assert not at.exception, at.exception
    all_plain(at)
    return at


def all_plain(at: AppTest) -> None:
    """Every message box holds plain text: its Markdown is exactly ``plain.escape`` of some text."""
    for box in [*at.error, *at.info, *at.warning, *at.success]:
        assert box.value == plain.escape(plain.unescape(box.value)), box.value


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def errors(at: AppTest) -> list[str]:
    """The error boxes' text, as the page shows it (each box holds escaped Markdown)."""
    all_plain(at)
    return [plain.unescape(e.value) for e in at.error]


def infos(at: AppTest) -> list[str]:
    return [plain.unescape(i.value) for i in at.info]


def warnings_shown(at: AppTest) -> list[str]:
    return [plain.unescape(w.value) for w in at.warning]


def codes(at: AppTest) -> list[str]:
    """The code blocks' text (st.code drops a trailing newline: so do we, on both sides)."""
    return [c.value.rstrip("\n") for c in at.code]


def in_code(at: AppTest, text: str) -> bool:
    return text.rstrip("\n") in codes(at)


def shows(at: AppTest, e: estimator.Estimate) -> None:
    """The page shows ``e``: emissions, energy and the arithmetic line."""
    assert metric(at, "Emissions") == report.mass(e.co2e_g)
    assert metric(at, "Energy") == report.energy(e.energy_kwh)
    assert in_code(at, report.arithmetic(e))


def card_text(e: estimator.Estimate, training_type: str | None = None, location: str | None = None) -> str:
    """The card block the page should show: the API's block, without training_type unless chosen."""
    block = modelcard.card_block(e, training_type or "pre-training", location)
    if training_type is None:
        del block["training_type"]
    return modelcard.to_yaml(block)


def api_error(**kwargs: Any) -> str:
    with pytest.raises(estimator.EstimatorError) as info:
        estimator.estimate(**(DEFAULT | kwargs))
    return str(info.value)


# ---------------------------------------------------------------- first load and each input path


def test_first_load_shows_a_result_with_range_sources_and_link() -> None:
    at = run()
    e = estimator.estimate(**DEFAULT)
    shows(at, e)
    assert not errors(at)
    assert f"**Range: {report.mass_range(e)}**" in [m.value for m in at.markdown]
    assert any("; ".join(e.range_basis) == c.value for c in at.caption)
    text = "\n".join(m.value for m in at.markdown)
    assert e.intensity_source in text and e.pue_source in text
    assert e.warnings and all(w in infos(at) for w in e.warnings)
    assert at.query_params == {
        "hardware": DEFAULT["hardware"],
        "count": "1",
        "hours": "24",
        "region": DEFAULT["region"],
    }


def test_market_based_note_is_shown_beside_not_subtracted() -> None:
    at = run()
    e = estimator.estimate(**DEFAULT)
    assert e.region is not None and e.region["cfe_pct"] is not None
    note = next(c.value for c in at.caption if "carbon-free energy" in c.value)
    assert "not subtracted" in note and f"{report.num(e.region['cfe_pct'])} %" in note
    assert metric(at, "Emissions") == report.mass(e.co2e_g)  # location-based, untouched


def test_changing_inputs_updates_the_number() -> None:
    at = run()
    at.number_input(key="count").set_value(8).run()
    at.number_input(key="hours").set_value(72.0).run()
    at.selectbox(key="provider").set_value("onprem").run()
    at.selectbox(key="region").set_value("FR").run()
    assert not at.exception
    shows(at, estimator.estimate(hardware=DEFAULT["hardware"], hours=72.0, count=8, region="FR"))
    assert at.query_params["region"] == "FR" and at.query_params["count"] == "8"


def test_switching_provider_picks_one_of_its_regions() -> None:
    at = run()
    at.selectbox(key="provider").set_value("aws").run()
    assert at.selectbox(key="region").value == "aws:us-east-1"
    shows(at, estimator.estimate(**(DEFAULT | {"region": "aws:us-east-1"})))
    labels = at.selectbox(key="region").options
    assert all("gCO2e/kWh" in label for label in labels), "region options show the intensity"


def test_hardware_options_are_grouped_by_kind() -> None:
    at = run()
    box = at.selectbox(key="hardware")
    kinds = [label.rsplit("(", 1)[1].split(",")[0] for label in box.options]
    order = ["GPU", "TPU", "NPU", "SoC", "CPU"]
    assert kinds == sorted(kinds, key=order.index)
    at.selectbox(key="hardware").set_value("nvidia-h100-sxm5-80gb").run()
    shows(at, estimator.estimate(**(DEFAULT | {"hardware": "nvidia-h100-sxm5-80gb"})))


def test_cloud_instance_type() -> None:
    at = run()
    at.radio(key="what").set_value("instance").run()
    at.selectbox(key="instance").set_value("aws:p4d.24xlarge").run()
    assert at.selectbox(key="region").value == "aws:us-east-1"
    at.number_input(key="hours").set_value(10.0).run()
    shows(at, estimator.estimate(instance="aws:p4d.24xlarge", hours=10.0, region="aws:us-east-1"))
    assert at.query_params["instance"] == "aws:p4d.24xlarge" and "hardware" not in at.query_params


def test_total_device_hours() -> None:
    at = run()
    at.number_input(key="count").set_value(4).run()
    at.radio(key="duration").set_value("device_hours").run()
    at.number_input(key="device_hours").set_value(100.0).run()
    shows(at, estimator.estimate(**(DEFAULT | {"count": 4, "hours": 25.0})))
    assert at.query_params["device_hours"] == "100" and "hours" not in at.query_params


def test_pue_prefilled_from_the_region_with_its_source_and_editable() -> None:
    at = run()
    e = estimator.estimate(**DEFAULT)
    assert at.number_input(key="pue").value == e.pue
    assert any(e.pue_source in c.value for c in at.sidebar.caption)
    at.selectbox(key="region").set_value("gcp:europe-west9").run()
    other = estimator.estimate(**(DEFAULT | {"region": "gcp:europe-west9"}))
    assert at.number_input(key="pue").value == other.pue, "an untouched PUE follows the region"
    at.number_input(key="pue").set_value(1.0).run()
    shows(at, estimator.estimate(**(DEFAULT | {"region": "gcp:europe-west9", "pue": 1.0})))
    assert at.query_params["pue"] == "1"


def test_advanced_utilization_power_cpu_memory() -> None:
    at = run()
    at.number_input(key="utilization").set_value(0.6).run()
    shows(at, estimator.estimate(**(DEFAULT | {"utilization": 0.6})))
    at.number_input(key="power_w").set_value(310.0).run()
    at.selectbox(key="cpu").set_value("amd-epyc-7742").run()
    at.number_input(key="cpu_count").set_value(2).run()
    at.number_input(key="memory_gb").set_value(512.0).run()
    job = DEFAULT | {"utilization": 0.6, "power_w": 310.0, "cpu": "amd-epyc-7742", "cpu_count": 2, "memory_gb": 512.0}
    e = estimator.estimate(**job)
    shows(at, e)
    table = at.dataframe[0].value
    assert list(table["component"]) == [c.label for c in e.breakdown]
    at.radio(key="cpu_by").set_value("cores").run()
    at.number_input(key="cpu_cores").set_value(16.0).run()
    at.number_input(key="cpu_utilization").set_value(0.5).run()
    job = {k: v for k, v in job.items() if k != "cpu_count"} | {"cpu_cores": 16.0, "cpu_utilization": 0.5}
    shows(at, estimator.estimate(**job))
    assert at.query_params["cpu_cores"] == "16" and at.query_params["cpu"] == "amd-epyc-7742"


def test_custom_intensity_and_no_region_alternatives() -> None:
    at = run(tab=CLEANER)
    at.checkbox(key="custom_intensity").check().run()
    at.number_input(key="intensity").set_value(100.0).run()
    shows(at, estimator.estimate(**(DEFAULT | {"intensity": 100.0})))
    e = estimator.estimate(**(DEFAULT | {"intensity": 100.0}))
    with pytest.raises(estimator.EstimatorError) as info:
        estimator.alternatives(e, scope="all")
    assert str(info.value) in infos(at)


def test_training_type_goes_in_the_card() -> None:
    at = run()
    at.selectbox(key="training_type").set_value("fine-tuning").run()
    e = estimator.estimate(**DEFAULT)
    assert in_code(at, card_text(e, "fine-tuning"))
    assert at.query_params["training_type"] == "fine-tuning"


def test_equivalents_and_breakdown_chart() -> None:
    at = run()
    e = estimator.estimate(**DEFAULT)
    text = "\n".join(m.value for m in at.markdown)
    for q in report.equivalents(e.co2e_g):
        assert str(q) in text and q.source in text
    assert at.get("vega_lite_chart"), "charts are drawn"


# ---------------------------------------------------------------- bad input from the form


@pytest.mark.parametrize(
    ("key", "value", "changes"),
    [
        ("hours", 0.0, {"hours": 0.0}),
        ("device_hours", 0.0, {"hours": 0.0}),
        ("intensity", 5000.0, {"intensity": 5000.0}),
        ("utilization", 0.0, {"utilization": 0.0}),
        ("power_w", 0.0, {"power_w": 0.0}),
    ],
)
def test_bad_form_input_shows_the_api_message(key: str, value: float, changes: dict[str, float]) -> None:
    at = run()
    if key == "device_hours":
        at.radio(key="duration").set_value("device_hours").run()
    if key == "intensity":
        at.checkbox(key="custom_intensity").check().run()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert errors(at) == [api_error(**changes)]
    at.number_input(key=key).set_value(1.0 if key != "intensity" else 50.0).run()  # the form stays usable
    assert not errors(at) and metric(at, "Emissions")


# ---------------------------------------------------------------- the shareable link


def test_link_restores_the_form_and_the_result() -> None:
    params = {
        "hardware": "NVIDIA H100 80GB HBM3",  # an nvidia-smi name is resolved to the catalog's id
        "count": "8",
        "hours": "36.5",
        "region": "FR",
        "utilization": "0.7",
        "memory_gb": "256",
        "training_type": "fine-tuning",
    }
    at = run(params)
    assert not errors(at)
    assert at.selectbox(key="hardware").value == "nvidia-h100-sxm5-80gb"
    assert at.selectbox(key="provider").value == "onprem" and at.selectbox(key="region").value == "FR"
    assert at.number_input(key="count").value == 8 and at.number_input(key="hours").value == 36.5
    e = estimator.estimate(
        hardware="nvidia-h100-sxm5-80gb", count=8, hours=36.5, region="FR", utilization=0.7, memory_gb=256.0
    )
    shows(at, e)
    assert in_code(at, card_text(e, "fine-tuning"))


def test_link_round_trip_every_input() -> None:
    at = run()
    at.radio(key="what").set_value("instance").run()
    at.selectbox(key="instance").set_value("gcp:a2-highgpu-8g").run()
    at.selectbox(key="region").set_value("gcp:europe-west4").run()
    at.number_input(key="hours").set_value(12.5).run()
    at.number_input(key="pue").set_value(1.2).run()
    at.selectbox(key="cpu").set_value("amd-epyc-7742").run()
    at.radio(key="cpu_by").set_value("cores").run()
    at.number_input(key="cpu_cores").set_value(12.0).run()
    at.number_input(key="draw_low_fraction").set_value(0.5).run()
    at.number_input(key="requests_per_day").set_value(5000).run()
    at.number_input(key="days").set_value(90).run()
    shown = metric(at, "Emissions"), metric(at, "Per 1,000 requests"), metric(at, "Whole life")
    link = dict(at.query_params)
    again = run(link)
    assert not errors(again)
    assert (metric(again, "Emissions"), metric(again, "Per 1,000 requests"), metric(again, "Whole life")) == shown
    assert dict(again.query_params) == link


def test_the_same_link_twice_gives_the_same_page() -> None:
    first = run({"hardware": "tpu v4", "hours": "100", "region": "gcp:us-central2"})
    second = run(dict(first.query_params))
    assert [m.value for m in first.metric] == [m.value for m in second.metric]


BAD_LINKS = [
    # (link, the API call that refuses it, the widget left empty, a good value for it, the job once set)
    ({"hardware": "nope-9000"}, {"hardware": "nope-9000"}, "hardware", "nvidia-h100-sxm5-80gb", {}),
    ({"hours": "-5"}, {"hours": -5}, "hours", 10.0, {}),
    ({"hours": "abc"}, {"hours": "abc"}, "hours", 10.0, {}),
    ({"count": "2.5"}, {"count": 2.5}, "count", 2, {}),
    ({"count": "many"}, {"count": "many"}, "count", 2, {}),
    ({"pue": "9"}, {"pue": 9}, "pue", 1.2, {}),
    ({"region": "Atlantis"}, {"region": "Atlantis"}, "region", "gcp:europe-west9", {}),
    ({"utilization": "80"}, {"utilization": 80}, "utilization", 0.8, {}),
    (
        {"instance": "aws:nope.large"},
        {"hardware": None, "count": None, "instance": "aws:nope.large"},
        "instance",
        "aws:p4d.24xlarge",
        {"hardware": None, "count": None, "region": "aws:us-east-1"},
    ),
    ({"intensity": "-1"}, {"intensity": -1}, "intensity", 50.0, {}),
    ({"memory_gb": "lots"}, {"memory_gb": "lots"}, "memory_gb", 64.0, {}),
]


def _set(at: AppTest, key: str, value: Any) -> None:
    if isinstance(value, str):
        at.selectbox(key=key).set_value(value).run()
    else:
        at.number_input(key=key).set_value(value).run()
    assert not at.exception, at.exception


@pytest.mark.parametrize(("params", "changes", "key", "good", "job"), BAD_LINKS)
def test_bad_link_shows_the_message_no_figure_and_keeps_the_url(
    params: dict[str, str], changes: dict[str, Any], key: str, good: Any, job: dict[str, Any]
) -> None:
    """Issue 16, item 14: no default stands in for what the link got wrong, and the URL is left alone."""
    at = run(params)
    assert errors(at) == [f"From the link: {api_error(**changes)}"]
    assert not at.metric, "no figure while an input did not resolve"
    assert any(key in w and w.startswith("No figure") for w in warnings_shown(at))
    assert dict(at.query_params) == params, "the URL is not rewritten to a default"
    widget = at.selectbox(key=key) if isinstance(good, str) else at.number_input(key=key)
    assert widget.value is None, "the form shows the input empty, not a default"
    _set(at, key, good)
    assert not errors(at)
    api_key = "hours" if key == "device_hours" else key
    expected = estimator.estimate(**{k: v for k, v in (DEFAULT | job | {api_key: good}).items() if v is not None})
    shows(at, expected)
    assert at.query_params[key] == state.text_of(good), "the URL follows the form again"


def test_bad_link_keeps_the_good_values_and_other_inputs_do_not_stand_in() -> None:
    at = run({"hardware": "nope", "hours": "48", "region": "FR"})
    assert len(errors(at)) == 1 and "nope" in errors(at)[0]
    assert at.number_input(key="hours").value == 48 and at.selectbox(key="region").value == "FR"
    at.number_input(key="hours").set_value(50.0).run()  # another input: the hardware is still unknown
    assert not at.metric and len(errors(at)) == 1
    assert dict(at.query_params) == {"hardware": "nope", "hours": "48", "region": "FR"}
    at.selectbox(key="hardware").set_value(DEFAULT["hardware"]).run()
    shows(at, estimator.estimate(**(DEFAULT | {"hours": 50.0, "region": "FR"})))


def test_a_bad_instance_is_settled_by_going_back_to_hardware() -> None:
    at = run({"instance": "aws:nope.large"})
    assert at.radio(key="what").value == "instance" and not at.metric
    at.radio(key="what").set_value("device").run()
    shows(at, estimator.estimate(**DEFAULT))


def test_bad_training_type_in_the_link_gives_no_card() -> None:
    at = run({"training_type": "pre-train"})
    assert len(errors(at)) == 1 and "training_type must be one of" in errors(at)[0]
    shows(at, estimator.estimate(**DEFAULT))  # the emissions do not depend on it
    assert not any("co2_eq_emissions:" in c for c in codes(at)), "no card with a training type left out"
    assert any(w.startswith("No model card") for w in warnings_shown(at))
    assert dict(at.query_params) == {"training_type": "pre-train"}
    at.selectbox(key="training_type").set_value("fine-tuning").run()
    assert in_code(at, card_text(estimator.estimate(**DEFAULT), "fine-tuning"))


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"requests_per_day": "-1"}, "requests must be a number greater than 0"),
        ({"experiments_factor": "0.5"}, "experiments_factor must be 1 or more"),
        ({"retrainings": "1.5"}, "retrainings must be a whole number"),
        ({"seconds_per_request": "0"}, "seconds_per_request must be a number greater than 0"),
    ],
)
def test_bad_link_serving_values_give_no_serving_figure(params: dict[str, str], needle: str) -> None:
    at = run(params)
    assert len(errors(at)) == 1 and needle in errors(at)[0]
    shows(at, estimator.estimate(**DEFAULT))  # the training figure does not depend on them
    assert "Per 1,000 requests" not in [m.label for m in at.metric]
    assert any(w.startswith("No serving figure") and w.endswith("Set it here.") for w in warnings_shown(at))
    assert dict(at.query_params) == params
    (name,) = params
    at.number_input(key=name).set_value(state.INFERENCE_DEFAULTS[name]).run()
    assert not errors(at) and metric(at, "Per 1,000 requests")


# ---------------------------------------------------------------- text from a user is plain text (issue 16, item 1)

HOSTILE_LINK = {"region": "![x](http://evil.example/t.png)", "training_type": "[Click](https://evil.example)"}


def rendered(markdown: str) -> str:
    """HTML of a Markdown body as a GitHub-flavoured renderer draws it (autolinks on)."""
    from markdown_it import MarkdownIt

    html: str = MarkdownIt("gfm-like").render(markdown)
    return html


def test_markdown_in_a_link_is_shown_as_plain_text() -> None:
    at = run(HOSTILE_LINK)
    shown = errors(at)
    assert len(shown) == 2
    assert any(HOSTILE_LINK["region"] in m for m in shown) and any(HOSTILE_LINK["training_type"] in m for m in shown)
    for box in [*at.error, *at.warning, *at.info, *at.caption, *at.markdown]:
        html = rendered(box.value)
        assert "<img" not in html and "<a " not in html, html
    raw = [rendered(m) for m in shown]  # what the same text would have drawn as Markdown
    assert any("<img" in h for h in raw) and any("<a " in h for h in raw), "the test's links are live Markdown"


def test_an_uploaded_files_name_is_plain_text() -> None:
    at = run()
    name = "[x](http://evil.example)_**b**.md"
    at.file_uploader(key="readme").upload(name, CARD.encode(), "text/markdown").run()
    assert not at.exception
    (box,) = at.success
    assert plain.unescape(box.value) == f"{name}: merged."
    assert "<a " not in rendered(box.value) and "<strong>" not in rendered(box.value)


PIECES = [*"ab :/.!*_`[]()<>&#$~|-\\\n\t", "http://", "www.", ":smile:", "&lt;", "    "]
MARKDOWNISH = hs.lists(hs.sampled_from(PIECES), max_size=40).map("".join)


@settings(max_examples=300, deadline=None)
@given(st_text=hs.one_of(MARKDOWNISH, hs.text()))
def test_escape_is_plain_text(st_text: str) -> None:
    """Any text, escaped, renders to exactly its characters: no tag, link, emphasis or entity."""
    escaped = plain.escape(st_text)
    if not re.search(r"^[\u00a0\u2003]|\u2060|\r", st_text, re.MULTILINE):  # what escape() adds or folds
        assert plain.unescape(escaped) == st_text
    html = rendered(escaped)
    assert "<a " not in html and "<img" not in html and "<em>" not in html and "<code>" not in html


# ---------------------------------------------------------------- cleaner regions


def test_cleaner_regions_are_computed_only_when_their_tab_is_open() -> None:
    with mock.patch("estimator.alternatives", wraps=estimator.alternatives) as spy:
        at = run()
        assert spy.call_count == 0 and "Computed when this tab is open." in [c.value for c in at.caption]
        at.session_state["tab"] = CLEANER
        at.run()
        assert spy.call_count == 2, "the provider's cleaner regions and the cleanest overall"
    assert any(m.value.startswith("**Had this run in") for m in at.markdown)


def _cleanest_region(provider: str) -> str:
    region = estimator.cleanest_regions(provider, n=1)[0][0].id
    while True:
        options = estimator.alternatives(estimator.estimate(**(DEFAULT | {"region": region})), scope="provider")
        if not options:
            return region
        region = str(options[0].estimate.region["id"])  # type: ignore[index]


def test_alternatives_sentence_chart_and_saving() -> None:
    at = run(tab=CLEANER)
    e = estimator.estimate(**DEFAULT)
    best = estimator.alternatives(e, scope="provider")[0]
    sentence = (
        f"**Had this run in {best.label}, it would have emitted {report.mass(best.estimate.co2e_g)}, "
        f"{report.mass(best.saving_g)} ({report.num(best.saving_pct, 3)} %) less.**"
    )
    assert sentence in [m.value for m in at.markdown]
    table = next(d.value for d in at.dataframe if "saving vs yours" in d.value.columns)
    assert table["group"].iloc[-1] == "your choice", "sorted: the chosen region emits most"
    assert list(table["region"]).count(f"{e.region['id']} ({e.region['place']})") == 1  # type: ignore[index]
    for a in estimator.alternatives(e, scope="all"):
        assert a.label in list(table["region"])


def test_the_providers_cleanest_region_says_so() -> None:
    region = _cleanest_region("gcp")
    at = run({"region": region}, tab=CLEANER)
    assert any("You picked the provider's cleanest region" in m.value for m in at.markdown)


def test_on_premise_alternatives_are_cloud_regions() -> None:
    at = run({"region": "PL"}, tab=CLEANER)
    best = estimator.alternatives(estimator.estimate(**(DEFAULT | {"region": "PL"})), scope="all")[0]
    assert any(m.value.startswith(f"**Had this run in {best.label}") for m in at.markdown)


# ---------------------------------------------------------------- publish


def test_download_holds_exactly_estimate_to_yaml() -> None:
    with mock.patch("streamlit.download_button", wraps=st.download_button) as spy:
        at = run({"training_type": "fine-tuning"})
    calls = [c for c in spy.call_args_list if c.kwargs.get("key") == "download_yaml"]
    assert calls
    data = calls[-1].args[1]
    e = estimator.estimate(**DEFAULT)
    assert data == card_text(e, "fine-tuning")
    assert calls[-1].kwargs["file_name"] == "co2_eq_emissions.yaml"
    assert in_code(at, data)
    assert at.get("download_button")


def test_location_override_goes_in_the_card() -> None:
    at = run()
    at.text_input(key="location_text").input("Our lab, Montréal").run()
    assert in_code(at, card_text(estimator.estimate(**DEFAULT), None, "Our lab, Montréal"))


def test_no_training_type_unless_chosen() -> None:
    """Issue 16, item 15: the card leaves training_type out unless the person chose one, and says so."""
    at = run()
    assert at.selectbox(key="training_type").value is None
    e = estimator.estimate(**DEFAULT)
    text = next(c for c in codes(at) if c.startswith("co2_eq_emissions:"))
    assert text == card_text(e).rstrip("\n")
    block = yaml.safe_load(text)["co2_eq_emissions"]
    assert "training_type" not in block and block["emissions"] == modelcard.card_grams(e)
    assert any("No `training_type` in the block" in c.value for c in at.caption)
    assert "training_type" not in at.query_params
    at.selectbox(key="training_type").set_value("pre-training").run()
    assert yaml.safe_load(next(c for c in codes(at) if c.startswith("co2_eq"))) == {
        "co2_eq_emissions": modelcard.card_block(e, "pre-training")
    }
    assert at.query_params["training_type"] == "pre-training", "chosen, so in the link"


def test_paper_paragraphs() -> None:
    at = run()
    e = estimator.estimate(**DEFAULT)
    assert in_code(at, report.latex_paragraph(e))
    assert in_code(at, report.markdown_paragraph(e))
    assert in_code(at, report.LACOSTE_BIBTEX)
    assert in_code(at, report.environmental_impact_section(e))


CARD = "---\nlicense: mit\n# keep this comment\ntags: [a, b]\n---\n# My model\n\nBody.\n"


def test_readme_upload_is_merged_safely() -> None:
    with mock.patch("streamlit.download_button", wraps=st.download_button) as spy:
        at = run()
        at.file_uploader(key="readme").upload("README.md", CARD.encode(), "text/markdown").run()
    assert not at.exception and not errors(at)
    merged = next(c.args[1] for c in reversed(spy.call_args_list) if c.kwargs.get("key") == "download_readme")
    e = estimator.estimate(**DEFAULT)
    block = {k: v for k, v in modelcard.card_block(e, "pre-training").items() if k != "training_type"}
    assert merged == modelcard.merge(CARD, block, "README.md")
    assert "training_type" not in merged, "none chosen: none written"
    assert "# keep this comment" in merged and merged.endswith("# My model\n\nBody.\n")
    assert modelcard.read_card_text(merged).emissions_g == modelcard.card_grams(e)


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"---\nlicense: mit\n# never closed\n", "never closed"),
        (b"---\nkey: [unclosed\n---\nbody\n", "not valid YAML"),
        (b"---\nx: !!python/object/apply:os.system ['ls']\n---\n", "README.md"),
        (b"\xff\xfe not utf-8", "not UTF-8"),
        (b"binary\x00file", "looks binary"),
    ],
)
def test_malformed_upload_shows_an_error_not_a_crash(content: bytes, needle: str) -> None:
    at = run()
    at.file_uploader(key="readme").upload("README.md", content, "text/markdown").run()
    assert not at.exception
    assert len(errors(at)) == 1 and needle in errors(at)[0]
    assert metric(at, "Emissions") == report.mass(estimator.estimate(**DEFAULT).co2e_g)


# ---------------------------------------------------------------- inference, lifecycle, methodology


def test_inference_and_lifecycle() -> None:
    at = run()
    at.number_input(key="requests_per_day").set_value(200_000).run()
    at.radio(key="rate_by").set_value("throughput").run()
    at.number_input(key="requests_per_second").set_value(20.0).run()
    at.number_input(key="days").set_value(180).run()
    at.number_input(key="retrainings").set_value(2).run()
    at.number_input(key="experiments_factor").set_value(3.0).run()
    training = estimator.estimate(**DEFAULT)
    day = estimator.estimate_inference(
        DEFAULT["hardware"], DEFAULT["region"], requests=200_000, requests_per_second=20.0, count=1
    )
    life = estimator.lifecycle(training, day, retrainings=2, experiments_factor=3.0, period_days=180)
    assert metric(at, "Per 1,000 requests") == report.mass(day.co2e_g_per_1k_requests)
    assert metric(at, "Serving, per day") == report.mass(day.co2e_g)
    assert metric(at, "Whole life") == report.mass(life.total_g)
    assert any(f"({life.training_share:.1%})" in m.value for m in at.markdown)
    assert at.query_params["requests_per_second"] == "20" and at.query_params["retrainings"] == "2"


@pytest.mark.parametrize(
    ("key", "value", "needle"),
    [
        ("requests_per_day", 0, "requests must be a number greater than 0"),
        ("seconds_per_request", 0.0, "seconds_per_request must be a number greater than 0"),
        ("days", 0, "period_days must be a number greater than 0"),
        ("experiments_factor", 0.5, "experiments_factor must be 1 or more"),
    ],
)
def test_bad_lifecycle_input_shows_the_api_message(key: str, value: float, needle: str) -> None:
    at = run()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert len(errors(at)) == 1 and needle in errors(at)[0]
    assert metric(at, "Emissions"), "the training result stays"


# ---------------------------------------------------------------- serving hardware kept up (issue 16, item 19)

SERVING: dict[str, Any] = {"requests": 100_000, "seconds_per_request": 0.1, "count": 1}  # the tab's defaults, per day
UPTIME_CASES = [
    # (radio choice, hours up per day typed (None: not asked), idle draw typed (None: left at the default),
    #  estimate_inference's keywords for it, the link it makes)
    ("serving", None, None, {}, {}),
    ("always", None, None, {"hours_per_day": 24.0}, {"hours_per_day": "24"}),
    (
        "always",
        None,
        0.25,
        {"hours_per_day": 24.0, "idle_fraction": 0.25},
        {"hours_per_day": "24", "idle_fraction": "0.25"},
    ),
    ("hours", None, None, {"hours_per_day": 8.0}, {"hours_per_day": "8"}),
    ("hours", 6.5, 0.1, {"hours_per_day": 6.5, "idle_fraction": 0.1}, {"hours_per_day": "6.5", "idle_fraction": "0.1"}),
]


def shows_serving(at: AppTest, day: estimator.InferenceEstimate, period_days: int = 365) -> None:
    """The tab shows exactly ``day`` (one day of serving) and the lifecycle made from it."""
    life = estimator.lifecycle(estimator.estimate(**DEFAULT), day, period_days=period_days)
    assert metric(at, "Per 1,000 requests") == report.mass(day.co2e_g_per_1k_requests)
    assert metric(at, "Serving, per day") == report.mass(day.co2e_g)
    assert metric(at, "Whole life") == report.mass(life.total_g)
    ranges = (
        f"Range per 1,000 requests: {report.mass(day.low_g_per_1k_requests)} to "
        f"{report.mass(day.high_g_per_1k_requests)}; per day: {report.mass(day.low_g)} to {report.mass(day.high_g)}."
    )
    assert ranges in [c.value for c in at.caption]
    if day.idle is None:
        assert in_code(at, report.arithmetic(day.estimate))
    else:
        assert in_code(
            at,
            f"serving: {report.arithmetic(day.estimate)}\nidle:    {report.arithmetic(day.idle)}\n"
            f"day:     {report.energy(day.energy_kwh)}, {report.mass(day.co2e_g)}",
        )


@pytest.mark.parametrize(("uptime", "hours", "idle", "kwargs", "link"), UPTIME_CASES)
def test_how_the_serving_hardware_runs_shows_the_apis_figures(
    uptime: str, hours: float | None, idle: float | None, kwargs: dict[str, Any], link: dict[str, str]
) -> None:
    at = run()
    at.radio(key="uptime").set_value(uptime).run()
    if hours is not None:
        at.number_input(key="hours_per_day").set_value(hours).run()
    if idle is not None:
        at.number_input(key="idle_fraction").set_value(idle).run()
    assert not errors(at)
    day = estimator.estimate_inference(DEFAULT["hardware"], DEFAULT["region"], **SERVING, **kwargs)
    assert (day.idle is not None) == (uptime != "serving")
    shows_serving(at, day)
    assert {k: v for k, v in at.query_params.items() if k in ("hours_per_day", "idle_fraction")} == link
    again = run(dict(at.query_params))  # the link restores the choice and the figures
    assert not errors(again) and again.radio(key="uptime").value == ("always" if uptime == "always" else uptime)
    shows_serving(again, day)


def test_always_on_worked_by_hand() -> None:
    """Always on, the defaults: an A100 SXM4 80GB (400 W) in gcp:us-central1 (PUE 1.11, 501 g/kWh, 2025).

    serving: 100,000 requests × 0.1 s = 10,000 s = 2.7778 h at 400 W        = 1.11111 kWh
    idle:    24 h − 2.7778 h = 21.2222 h at 0.15 × 400 W = 60 W             = 1.27333 kWh
    day:     (1.11111 + 1.27333) kWh × PUE 1.11 = 2.64673 kWh × 501 g/kWh   = 1,326.01 g  -> "1.326 kg CO2e"
    per 1,000 requests: 1,326.01 g / 100                                    = 13.26 g
    """
    at = run({"hours_per_day": "24"})
    assert at.radio(key="uptime").value == "always"
    assert metric(at, "Serving, per day") == "1.326 kg CO2e"
    assert metric(at, "Per 1,000 requests") == "13.26 g CO2e"
    day = estimator.estimate_inference(DEFAULT["hardware"], DEFAULT["region"], **SERVING, hours_per_day=24)
    assert day.energy_kwh == pytest.approx((400 * 10_000 / 3600 + 60 * (24 - 10_000 / 3600)) / 1000 * 1.11)
    assert day.co2e_g == pytest.approx(2.6467333 * 501)
    assert "One day: up 24 h, 2.778 h of serving and 21.22 h idle, at the training run's region and PUE." in " ".join(
        c.value for c in at.caption
    )
    source = next(c.value for c in at.caption if c.value.startswith("Idle draw"))
    assert "0.15 of TDP, the default" in source and "Morrison et al. 2025" in source


@pytest.mark.parametrize(
    ("params", "bad", "needle", "good"),
    [
        ({"hours_per_day": "30"}, "hours_per_day", "hours_per_day must be at most 24", 8.0),
        ({"hours_per_day": "0"}, "hours_per_day", "hours_per_day must be a number greater than 0", 8.0),
        ({"hours_per_day": "abc"}, "hours_per_day", "hours_per_day", 8.0),
        ({"hours_per_day": "24", "idle_fraction": "1.5"}, "idle_fraction", "idle_fraction must be a fraction", 0.2),
        ({"hours_per_day": "6", "idle_fraction": "[x](http://evil.example)"}, "idle_fraction", "idle_fraction", 0.2),
    ],
)
def test_bad_kept_up_link_values_show_the_message_and_no_serving_figure(
    params: dict[str, str], bad: str, needle: str, good: float
) -> None:
    at = run(params)  # run() checks every message box is plain text
    (shown,) = errors(at)
    assert shown.startswith("From the link: ") and needle in shown
    shows(at, estimator.estimate(**DEFAULT))  # the training figure does not depend on them
    assert "Per 1,000 requests" not in [m.label for m in at.metric]
    assert any(w.startswith(f"No serving figure: the link's {bad} did not resolve") for w in warnings_shown(at))
    assert dict(at.query_params) == params, "the URL is left as sent"
    assert at.number_input(key=bad).value is None, "empty, not a default"
    at.number_input(key=bad).set_value(good).run()
    assert not errors(at)
    kwargs: dict[str, Any] = {k: float(v) for k, v in params.items() if k != bad} | {bad: good}
    shows_serving(at, estimator.estimate_inference(DEFAULT["hardware"], DEFAULT["region"], **SERVING, **kwargs))


def test_a_bad_hours_per_day_is_settled_by_choosing_always_on_or_only_while_serving() -> None:
    cases: list[tuple[str, dict[str, Any]]] = [("always", {"hours_per_day": 24.0}), ("serving", {})]
    for choice, kwargs in cases:
        at = run({"hours_per_day": "30", "idle_fraction": "2"})
        assert len(errors(at)) == 2 and at.radio(key="uptime").value == "hours"
        at.radio(key="uptime").set_value(choice).run()
        if choice == "always":  # the idle draw is still the link's bad value: set it
            assert "Per 1,000 requests" not in [m.label for m in at.metric]
            at.number_input(key="idle_fraction").set_value(0.15).run()
        assert not errors(at)
        shows_serving(at, estimator.estimate_inference(DEFAULT["hardware"], DEFAULT["region"], **SERVING, **kwargs))


def test_an_idle_draw_without_hours_up_is_named_and_ignored() -> None:
    at = run({"idle_fraction": "0.2"})
    message = "idle_fraction describes servers kept up: give hours_per_day too"
    assert any(message in w and w.endswith("; ignored") for w in warnings_shown(at))
    assert not errors(at) and at.radio(key="uptime").value == "serving"
    shows_serving(at, estimator.estimate_inference(DEFAULT["hardware"], DEFAULT["region"], **SERVING))


def test_serving_longer_than_the_hours_up_shows_the_apis_message() -> None:
    at = run()
    at.radio(key="uptime").set_value("hours").run()
    at.number_input(key="hours_per_day").set_value(2.0).run()  # 100,000 × 0.1 s = 2.78 h of serving
    with pytest.raises(estimator.EstimatorError) as info:
        estimator.estimate_inference(DEFAULT["hardware"], DEFAULT["region"], **SERVING, hours_per_day=2.0)
    assert errors(at) == [str(info.value)]
    assert "Per 1,000 requests" not in [m.label for m in at.metric]


def test_methodology_is_on_the_page() -> None:
    at = run()
    text = "\n".join(m.value for m in at.markdown)
    assert "# Methodology" in text and "What the estimate leaves out" in text


# ---------------------------------------------------------------- embodied beside operational (issue 9)


def test_embodied_is_shown_beside_the_operational_figure_not_in_it() -> None:
    at = run()
    e = estimator.estimate(**DEFAULT)
    assert e.embodied_g == e.embodied_g, "the default hardware has an embodied figure"
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Emissions", "Embodied (manufacturing)"], "beside the operational figure"
    assert metric(at, "Embodied (manufacturing)") == report.mass(e.embodied_g)
    assert metric(at, "Emissions") == report.mass(e.co2e_g), "operational, embodied not added"
    sentence = next(m.value for m in at.markdown if m.value.startswith("**Embodied (manufacturing)"))
    assert report.mass(e.embodied_g) in sentence and f"up to {report.mass(e.embodied_high_g)}" in sentence
    assert "**not included**" in sentence and "model card" in sentence
    text = "\n".join(m.value for m in at.markdown)
    for basis in e.embodied_basis:
        assert f"- {basis}" in text
    assert in_code(at, card_text(e)), "the card's emissions stay operational"


def test_no_embodied_figure_is_said_plainly() -> None:
    at = run({"hardware": "nvidia-jetson-agx-thor"})
    e = estimator.estimate(**(DEFAULT | {"hardware": "nvidia-jetson-agx-thor"}))
    assert e.embodied_g != e.embodied_g  # NaN: no figure for this device
    assert errors(at) == [_preflight_error(hardware="nvidia-jetson-agx-thor")], "only the tab's: no dense peak"
    assert metric(at, "Embodied (manufacturing)") == "no figure"
    assert any(m.value.startswith("**Embodied (manufacturing): no figure**") for m in at.markdown)
    assert not any("nan" in m.value.split() for m in at.metric)
    shows(at, e)


# ---------------------------------------------------------------- before you train (issue 9)

PREFLIGHT_TAB = "Before you train"
PREFLIGHT_DEFAULT: dict[str, Any] = {
    "params": 7e9,
    "tokens": 2e12,
    "hardware": DEFAULT["hardware"],
    "count": 1,
    "region": DEFAULT["region"],
}


def preflight_tab(at: AppTest) -> Any:
    return next(t for t in at.tabs if t.label == PREFLIGHT_TAB)


def shows_preflight(at: AppTest, p: estimator.Preflight) -> None:
    """The tab shows ``p``: emissions and range, device- and wall-clock hours, energy, embodied, assumptions."""
    tab = preflight_tab(at)
    shown = {m.label: m.value for m in tab.metric}
    e = p.estimate
    assert shown == {
        "Expected emissions": report.mass(p.co2e_g),
        "Device-hours": report.num(p.device_hours),
        "Wall-clock hours": report.num(e.inputs["hours"]),
        "Expected energy": report.energy(e.energy_kwh),
        "Embodied (manufacturing)": report.mass(e.embodied_g),
    }
    text = "\n".join(m.value for m in tab.markdown)
    assert f"**Range: {report.mass(p.low)} to {report.mass(p.high)}**" in text
    low, high = p.device_hours_range
    captions = "\n".join(c.value for c in tab.caption)
    assert f"one run takes {report.num(low)} to {report.num(high)} device-hours" in captions
    wall_low, wall_high = p.estimate_low.inputs["hours"], p.estimate_high.inputs["hours"]
    assert f"{report.num(wall_low)} h to {report.num(wall_high)} h of wall-clock time" in captions
    assert report.mass(e.embodied_g) in text and report.mass(e.embodied_high_g) in text
    for assumption in p.assumptions:
        assert f"- {assumption}" in text
    assert report.arithmetic(e) in [c.value.rstrip("\n") for c in tab.code]


def test_preflight_tab_defaults_equal_the_api() -> None:
    at = run()
    assert not errors(at)
    assert at.selectbox(key="pf_precision").value == "bf16"
    shows_preflight(at, estimator.preflight(**PREFLIGHT_DEFAULT))
    assert "186,966" in [m.value for m in preflight_tab(at).metric], "Llama 2 7B check of docs/methodology.md"


def test_preflight_tab_every_input_and_the_sidebars_job() -> None:
    at = run()
    at.selectbox(key="hardware").set_value("nvidia-h100-sxm5-80gb").run()
    at.number_input(key="count").set_value(8).run()
    at.selectbox(key="provider").set_value("onprem").run()
    at.selectbox(key="region").set_value("FR").run()
    at.number_input(key="pue").set_value(1.2).run()
    at.radio(key="pf_compute_by").set_value("flops").run()
    at.number_input(key="pf_flops").set_value(3.6e21).run()
    at.selectbox(key="pf_precision").set_value("fp8").run()
    at.number_input(key="pf_mfu_low").set_value(0.25).run()
    at.number_input(key="pf_mfu").set_value(0.35).run()
    at.number_input(key="pf_trials").set_value(20).run()
    assert not errors(at)
    p = estimator.preflight(
        flops=3.6e21,
        hardware="nvidia-h100-sxm5-80gb",
        count=8,
        region="FR",
        mfu=0.35,
        precision="fp8",
        mfu_range=(0.25, 0.5),
        trials=20,
        pue=1.2,
    )
    shows_preflight(at, p)
    assert any(f"{p.trials} trials: {report.num(p.estimate.hours)} h" in c.value for c in preflight_tab(at).caption)


def test_preflight_uses_a_cloud_instances_accelerators() -> None:
    at = run()
    at.radio(key="what").set_value("instance").run()
    at.selectbox(key="instance").set_value("aws:p4d.24xlarge").run()
    inst = estimator.load_catalog().instances["aws:p4d.24xlarge"]
    assert inst.accelerator is not None
    p = estimator.preflight(
        params=7e9, tokens=2e12, hardware=inst.accelerator, count=inst.accelerator_count, region="aws:us-east-1"
    )
    shows_preflight(at, p)


def test_preflight_offers_only_the_devices_precisions() -> None:
    at = run({"count": "64"})  # a K80 alone would need more than the API's 10,000,000 h
    cat = estimator.load_catalog()
    for device in ("nvidia-h100-sxm5-80gb", "nvidia-k80"):
        at.selectbox(key="hardware").set_value(device).run()
        peaks = cat.devices[device].peaks
        assert at.selectbox(key="pf_precision").options == [p for p in estimator.records.PRECISIONS if p in peaks]
        assert not errors(at)
    assert at.selectbox(key="pf_precision").value == "fp32", "K80: fp32 only"
    kwargs = PREFLIGHT_DEFAULT | {"hardware": "nvidia-k80", "count": 64, "precision": "fp32"}
    shows_preflight(at, estimator.preflight(**kwargs))
    at.selectbox(key="hardware").set_value("nvidia-a100-sxm4-80gb").run()
    assert at.selectbox(key="pf_precision").value == "bf16", "an untouched precision follows the hardware"


def _preflight_error(**changes: Any) -> str:
    with pytest.raises(estimator.EstimatorError) as info:
        estimator.preflight(**(PREFLIGHT_DEFAULT | changes))
    return str(info.value)


def test_preflight_error_for_a_precision_the_device_lacks() -> None:
    at = run()
    at.selectbox(key="hardware").set_value("nvidia-a10g").run()  # no published dense peak at all
    assert not at.exception
    assert at.selectbox(key="pf_precision").options == [] and at.selectbox(key="pf_precision").disabled
    message = _preflight_error(hardware="nvidia-a10g", precision="bf16")
    assert "no published dense peak for bf16" in message
    assert errors(at) == [message]
    assert not preflight_tab(at).metric, "no numbers without a peak"
    shows(at, estimator.estimate(**(DEFAULT | {"hardware": "nvidia-a10g"})))  # the rest of the page works
    at.selectbox(key="hardware").set_value("nvidia-a100-sxm4-80gb").run()
    assert not errors(at)
    shows_preflight(at, estimator.preflight(**PREFLIGHT_DEFAULT))


@pytest.mark.parametrize(
    ("key", "value", "changes"),
    [
        ("pf_mfu", 0.6, {"mfu": 0.6, "mfu_range": (0.3, 0.5)}),
        ("pf_mfu", 0.0, {"mfu": 0.0, "mfu_range": (0.3, 0.5)}),
        ("pf_mfu_low", 0.45, {"mfu": 0.4, "mfu_range": (0.45, 0.5)}),
        ("pf_params", 0.0, {"params": 0.0}),
    ],
)
def test_preflight_bad_input_shows_the_api_message(key: str, value: float, changes: dict[str, Any]) -> None:
    at = run()
    at.number_input(key=key).set_value(value).run()
    assert not at.exception
    assert errors(at) == [_preflight_error(**changes)]
    assert metric(at, "Emissions") == report.mass(estimator.estimate(**DEFAULT).co2e_g), "the page keeps working"
    at.number_input(key=key).set_value(PREFLIGHT_VALUES[key]).run()
    assert not errors(at)
    shows_preflight(at, estimator.preflight(**PREFLIGHT_DEFAULT))


PREFLIGHT_VALUES = {"pf_mfu": 0.4, "pf_mfu_low": 0.3, "pf_params": 7e9}


# ---------------------------------------------------------------- the page reads well (issue 16, item 18)


def test_region_choice_shows_its_unit_before_the_place() -> None:
    at = run()
    box = at.selectbox(key="region")
    assert box.label == "Region (gCO2e/kWh)"
    cat = estimator.load_catalog()
    region = cat.regions[DEFAULT["region"]]
    figure = grid.choose(cat, region)
    label = f"us-central1 · {report.num(figure.value_g_per_kwh)} gCO2e/kWh ({figure.year}) · {cat.region_place(region)}"
    assert box.options[box.options.index(label)] == label


def test_sources_are_listed_once_each() -> None:
    """A CPU counted as the hardware and as the host: its power and embodied sources once each."""
    job = DEFAULT | {"hardware": "amd-epyc-7742", "cpu": "amd-epyc-7742"}
    at = run({k: str(v) for k, v in job.items()})
    e = estimator.estimate(**job)
    raw = [f"- power: {c.power_source}" for c in e.components]
    raw += [f"- embodied (not included): {basis}" for basis in e.embodied_basis]
    assert len(set(raw)) < len(raw), "this job's sources do repeat"
    sources = next(m.value for m in at.markdown if m.value.startswith("- power:"))
    lines = sources.splitlines()
    assert len(lines) == len(set(lines))
    assert set(raw) <= set(lines) and f"- intensity: {e.intensity_source}" in lines


def test_one_device_is_singular_and_the_mfu_range_in_order() -> None:
    at = run()
    caption = next(c.value for c in preflight_tab(at).caption if c.value.startswith("For an MFU range"))
    assert "on 1 device;" in caption and "1 devices" not in caption
    assert caption.startswith("For an MFU range of 0.3 to 0.5")
    at.number_input(key="count").set_value(8).run()
    caption = next(c.value for c in preflight_tab(at).caption if c.value.startswith("For an MFU range"))
    assert "on 8 devices;" in caption


def test_a_run_of_years_gets_a_sanity_note() -> None:
    at = run()  # Llama 2 7B's 2 T tokens on one A100: 186,966 device-hours
    p = estimator.preflight(**PREFLIGHT_DEFAULT)
    years = p.estimate.inputs["hours"] / 8766
    note = next(w for w in warnings_shown(at) if w.startswith("One run would take"))
    assert f"{report.num(years, 3)} years of wall-clock time on 1 device." in note
    at.number_input(key="count").set_value(4096).run()  # 46 h: no note
    assert not any(w.startswith("One run would take") for w in warnings_shown(at))


def test_cleaner_regions_legend_names_only_what_is_drawn() -> None:
    at = run({"region": "PL"}, tab=CLEANER)  # on-premise: no "same provider" bars
    spec = next(c for c in at.get("vega_lite_chart") if "group" in c.proto.spec)
    color = json.loads(spec.proto.spec)["encoding"]["color"]
    assert color["scale"]["domain"] == ["your choice", "other provider"]
    assert color["scale"]["range"] == ["#d62728", "#98c9a3"]
    for params in ({}, {"region": "aws:us-east-1"}):
        at = run(params, tab=CLEANER)
        spec = next(c for c in at.get("vega_lite_chart") if "group" in c.proto.spec)
        drawn = set(next(d.value for d in at.dataframe if "saving vs yours" in d.value.columns)["group"])
        domain = json.loads(spec.proto.spec)["encoding"]["color"]["scale"]["domain"]
        assert domain == [g for g in ("your choice", "same provider", "other provider") if g in drawn]


# ---------------------------------------------------------------- review pass at 1400 px (issue 16, item 18)


def test_methodology_headings_sit_below_the_page_title() -> None:
    at = run()
    text = next(m.value for m in at.markdown if "What the estimate leaves out" in m.value)
    headings = [line for line in text.splitlines() if re.match(r"#+\s", line)]
    assert "### Methodology" in headings and "#### The formula" in headings
    assert all(h.startswith("###") for h in headings), "no heading as large as the page's own title"
    fenced = "# title\n```\n# a comment in code\n```\n## sub\n####### not a heading\n"
    assert methodology.demote(fenced) == "### title\n```\n# a comment in code\n```\n#### sub\n####### not a heading\n"


def test_the_cleaner_regions_table_keeps_its_last_columns_in_view() -> None:
    at = run(tab=CLEANER)
    table = next(d for d in at.dataframe if "saving vs yours" in d.value.columns)
    columns = json.loads(table.proto.columns)
    assert columns["region"]["width"] == cleaner.REGION_COLUMN_PX
    assert list(table.value.columns)[-1] == "group"


def test_the_upload_says_the_cards_own_size_limit() -> None:
    at = run()
    (upload,) = at.get("file_uploader")
    assert upload.proto.max_upload_size_mb * 1_000_000 == modelcard.MAX_CARD_BYTES == 10_000_000


def test_the_share_note_says_what_the_link_does_not_hold() -> None:
    at = run()
    at.text_input(key="location_text").input("Somewhere").run()
    note = next(c.value for c in at.caption if c.value.startswith("Share this page's URL"))
    assert "except uploads and text boxes" in note and "location" in note
    assert "Somewhere" not in dict(at.query_params).values(), "typed text is not in the link, as the note says"
    assert not set(at.query_params) - set(state.LINK_PARAMS)


def test_the_cluster_uploads_say_the_readers_limits() -> None:
    at = run(tab="Cluster (Slurm)")
    cluster_upload = next(u for u in at.get("file_uploader") if u.proto.label == "cluster.yaml")
    assert cluster_upload.proto.max_upload_size_mb * 1024 * 1024 >= slurm.MAX_CLUSTER_BYTES
    assert cluster_upload.proto.max_upload_size_mb == 1, "not Streamlit's 200 MB"
    assert at.text_input(key="slurm_delimiter").label.endswith("writes |)")


def test_parameters_and_tokens_are_said_in_words() -> None:
    at = run()
    captions = [c.value for c in preflight_tab(at).caption]
    assert "7 billion parameters" in captions and "2 trillion tokens" in captions
    at.number_input(key="pf_params").set_value(1.25e8).run()
    assert "125 million parameters" in [c.value for c in preflight_tab(at).caption]
    words = [preflight.in_words(n) for n in (950, 1e3, 2.5e12, 1e15)]
    assert words == ["950", "1 thousand", "2.5 trillion", "1,000 trillion"]


def test_the_lifecycle_bar_puts_training_first_as_the_sentence_does() -> None:
    at = run()
    spec = json.loads(next(c for c in at.get("vega_lite_chart") if "over the model" in c.proto.spec).proto.spec)
    life = estimator.lifecycle(estimator.estimate(**DEFAULT), period_days=365)
    rows = lifecycle._shares_chart(life)["data"]["values"]  # Streamlit sends the rows apart from the spec
    parts = [row["part"] for row in sorted(rows, key=lambda r: r["order"])]
    assert parts == ["training (all runs)", "serving"]
    assert spec["encoding"]["order"] == {"field": "order", "type": "quantitative"}
    assert spec["encoding"]["color"]["sort"] == parts
    sentence = next(m.value for m in at.markdown if m.value.startswith("Training "))
    assert sentence.index("Training") < sentence.index("serving")


def test_the_serving_hardware_follows_the_sidebar_until_picked() -> None:
    at = run()
    at.selectbox(key="hardware").set_value("nvidia-h100-sxm5-80gb").run()
    assert at.selectbox(key="serve_hardware").value == "nvidia-h100-sxm5-80gb", "not left on the first one"
    day = estimator.estimate_inference("nvidia-h100-sxm5-80gb", DEFAULT["region"], **SERVING)
    assert metric(at, "Per 1,000 requests") == report.mass(day.co2e_g_per_1k_requests)
    assert "serve_hardware" not in at.query_params
    at.selectbox(key="serve_hardware").set_value("nvidia-t4").run()
    at.selectbox(key="hardware").set_value(DEFAULT["hardware"]).run()
    assert at.selectbox(key="serve_hardware").value == "nvidia-t4", "a pick stays"
    assert at.query_params["serve_hardware"] == "nvidia-t4"
    again = run({"hardware": "nvidia-h100-sxm5-80gb", "serve_hardware": "nvidia-t4"})
    assert again.selectbox(key="serve_hardware").value == "nvidia-t4", "the link's pick stays"


def test_the_yaml_block_wraps() -> None:
    at = run()
    block = next(c for c in at.code if c.value.startswith("co2_eq_emissions:"))
    assert block.proto.wrap_lines


# ---------------------------------------------------------------- the link is made from Job (issue 14, item 5)

# One good value per Job input, with what the link needs beside it, and the estimate it must give.
EVERY_INPUT: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "hardware": ({"hardware": "nvidia-h100-sxm5-80gb"}, {"hardware": "nvidia-h100-sxm5-80gb"}),
    "hours": ({"hours": "10"}, {"hours": 10.0}),
    "count": ({"count": "2"}, {"count": 2}),
    "region": ({"region": "FR"}, {"region": "FR"}),
    "pue": ({"pue": "1.2"}, {"pue": 1.2}),
    "intensity": ({"intensity": "100"}, {"intensity": 100.0}),
    "power_w": ({"power_w": "300"}, {"power_w": 300.0}),
    "utilization": ({"utilization": "0.8"}, {"utilization": 0.8}),
    "instance": (
        {"instance": "aws:p4d.24xlarge"},
        {"instance": "aws:p4d.24xlarge", "hardware": None, "count": None, "region": "aws:us-east-1"},
    ),
    "cpu": ({"cpu": "amd-epyc-7742"}, {"cpu": "amd-epyc-7742"}),
    "cpu_count": ({"cpu": "amd-epyc-7742", "cpu_count": "2"}, {"cpu": "amd-epyc-7742", "cpu_count": 2}),
    "cpu_cores": ({"cpu": "amd-epyc-7742", "cpu_cores": "16"}, {"cpu": "amd-epyc-7742", "cpu_cores": 16.0}),
    "cpu_utilization": (
        {"cpu": "amd-epyc-7742", "cpu_utilization": "0.5"},
        {"cpu": "amd-epyc-7742", "cpu_utilization": 0.5},
    ),
    "memory_gb": ({"memory_gb": "64"}, {"memory_gb": 64.0}),
    "provider": ({"region": "eu-central-1", "provider": "aws"}, {"region": "aws:eu-central-1"}),
    "year": ({"year": "2022"}, {"year": 2022}),
    "basis": ({"region": "DE", "basis": "marginal"}, {"region": "DE", "basis": "marginal"}),
    "draw_low_fraction": ({"draw_low_fraction": "0.6"}, {"draw_low_fraction": 0.6}),
    "intensity_range": ({"intensity_range": "300,600"}, {"intensity_range": (300.0, 600.0)}),
    "trials": ({"trials": "3"}, {"trials": 3}),
}


def test_the_link_takes_exactly_jobs_inputs() -> None:
    """Every input of Job is a link parameter, less those a link must not set (named, with the reason)."""
    assert set(state.JOB_PARAMS) | set(state.NOT_FROM_A_LINK) == set(job.NAMES)
    assert not set(state.JOB_PARAMS) & set(state.NOT_FROM_A_LINK)
    assert set(EVERY_INPUT) == set(state.JOB_PARAMS), "each input has a case below"


@pytest.mark.parametrize("name", sorted(EVERY_INPUT))
def test_each_jobs_input_from_the_link(name: str) -> None:
    link, changes = EVERY_INPUT[name]
    at = run(link)
    assert not errors(at)
    expected = {k: v for k, v in (DEFAULT | changes).items() if v is not None}
    shows(at, estimator.estimate(**expected))
    if name != "provider":  # the region's id says its provider
        assert at.query_params[name] == link[name], "the form writes it back"


def test_an_unknown_link_parameter_is_named_and_ignored() -> None:
    at = run({"hardwre": "nvidia-h100-sxm5-80gb", "data_files": "/etc/passwd"})
    shown = warnings_shown(at)
    assert any("unknown link parameter 'hardwre' (did you mean 'hardware'?); ignored" in w for w in shown)
    assert any("data_files cannot be given in a link" in w for w in shown)
    shows(at, estimator.estimate(**DEFAULT))


def test_no_probe_estimate_to_check_a_link_or_learn_the_pue() -> None:
    """One estimate() per run: the page's own. The link is checked by resolve, the PUE by default_pue."""
    link = {"hardware": "H100 SXM5", "region": "FR", "hours": "10", "pue": "1.3", "cpu": "amd-epyc-7742"}
    with mock.patch("estimator.estimate", wraps=estimator.estimate) as spy:
        at = run(link)
        assert spy.call_count == 1
        at.selectbox(key="region").set_value("DE").run()
        assert spy.call_count == 2


# ---------------------------------------------------------------- year, basis, intensity over the years (issue 13)


def test_year_defaults_to_the_latest_and_can_be_chosen() -> None:
    at = run()
    years = [r["year"] for r in estimator.intensity_series(DEFAULT["region"])]
    assert at.selectbox(key="year").value == max(years) and at.selectbox(key="year").options == [str(y) for y in years]
    e = estimator.estimate(**DEFAULT)
    assert e.intensity_year == max(years)
    shows(at, e)
    assert "year" not in at.query_params, "the default is not written"
    at.selectbox(key="year").set_value(min(years)).run()
    old = estimator.estimate(**(DEFAULT | {"year": min(years)}))
    shows(at, old)
    assert metric(at, f"Grid intensity ({min(years)})") == f"{report.num(old.intensity_g_per_kwh)} g/kWh"
    assert old.intensity_year == min(years) and at.query_params["year"] == str(min(years))


def test_marginal_is_never_the_default_and_says_what_it_is() -> None:
    at = run({"region": "DE"})
    box = at.radio(key="basis")
    assert box.value == "lifecycle"
    assert "marginal (what one more kWh emits)" in box.options
    at.radio(key="basis").set_value("marginal").run()
    e = estimator.estimate(**(DEFAULT | {"region": "DE", "basis": "marginal"}))
    assert e.intensity_basis == "marginal"
    shows(at, e)
    assert f"Grid intensity ({e.intensity_year}, marginal)" in [m.label for m in at.metric]
    assert at.query_params["basis"] == "marginal"


def test_the_places_intensity_over_the_years_is_drawn() -> None:
    at = run({"region": "DE", "year": "2022"})
    series = estimator.intensity_series("DE")
    spec = next(json.loads(c.proto.spec) for c in at.get("vega_lite_chart") if "gCO2e/kWh" in c.proto.spec)
    for layer in spec["layer"]:  # both axes given: Vega has no extent to compute (no "Infinite extent")
        assert layer["encoding"]["x"]["scale"]["domain"] == [r["year"] for r in series]
        top = layer["encoding"]["y"]["scale"]["domain"]
        assert top[0] == 0 and top[1] >= max(r["intensity_g_per_kwh"] for r in series)
    assert any(m.value.startswith("**Grid intensity over the years**: DE") for m in at.markdown)
    assert any("Used: 2022, in red." in c.value for c in at.caption)
