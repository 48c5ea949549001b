"""The web form through Streamlit's AppTest: every input path computes through the API,
every bad input shows the API's message (never an exception), the link round-trips,
and the downloads hold exactly what the API writes."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import estimator
from estimator import modelcard, report
from tests.conftest import ROOT

APP = str(ROOT / "app.py")
DEFAULT: dict[str, Any] = {"hardware": "nvidia-a100-sxm4-80gb", "hours": 24.0, "count": 1, "region": "gcp:us-central1"}


def run(params: dict[str, str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (params or {}).items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label == label]
    assert values, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return values[0]


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error]


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
    assert any(w in [i.value for i in at.info] for w in e.warnings)
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
    at = run()
    at.checkbox(key="custom_intensity").check().run()
    at.number_input(key="intensity").set_value(100.0).run()
    shows(at, estimator.estimate(**(DEFAULT | {"intensity": 100.0})))
    e = estimator.estimate(**(DEFAULT | {"intensity": 100.0}))
    with pytest.raises(estimator.EstimatorError) as info:
        estimator.alternatives(e, scope="all")
    assert str(info.value) in [i.value for i in at.info]


def test_training_type_goes_in_the_card() -> None:
    at = run()
    at.selectbox(key="training_type").set_value("fine-tuning").run()
    e = estimator.estimate(**DEFAULT)
    assert in_code(at, modelcard.card_yaml(e, "fine-tuning"))
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
    assert in_code(at, modelcard.card_yaml(e, "fine-tuning"))


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


@pytest.mark.parametrize(
    ("params", "changes"),
    [
        ({"hardware": "nope-9000"}, {"hardware": "nope-9000"}),
        ({"hours": "-5"}, {"hours": -5}),
        ({"hours": "abc"}, {"hours": "abc"}),
        ({"count": "2.5"}, {"count": 2.5}),
        ({"count": "many"}, {"count": "many"}),
        ({"pue": "9"}, {"pue": 9}),
        ({"region": "Atlantis"}, {"region": "Atlantis"}),
        ({"utilization": "80"}, {"utilization": 80}),
        ({"instance": "aws:nope.large"}, {"hardware": None, "count": None, "instance": "aws:nope.large"}),
        ({"intensity": "-1"}, {"intensity": -1}),
        ({"memory_gb": "lots"}, {"memory_gb": "lots"}),
    ],
)
def test_bad_link_shows_the_api_message_and_the_form_stays_usable(
    params: dict[str, str], changes: dict[str, Any]
) -> None:
    at = run(params)
    assert errors(at) == [f"From the link: {api_error(**changes)}"]
    assert metric(at, "Emissions"), "the rest of the link still gives a result"
    at.number_input(key="hours").set_value(10.0).run()
    assert not at.exception
    assert metric(at, "Emissions") == report.mass(estimator.estimate(**(DEFAULT | {"hours": 10.0})).co2e_g)


def test_bad_link_keeps_the_good_values() -> None:
    at = run({"hardware": "nope", "hours": "48", "region": "FR"})
    assert len(errors(at)) == 1 and "nope" in errors(at)[0]
    shows(at, estimator.estimate(**(DEFAULT | {"hours": 48.0, "region": "FR"})))


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({"training_type": "pre-train"}, "training_type must be one of"),
        ({"requests_per_day": "-1"}, "requests must be a number greater than 0"),
        ({"experiments_factor": "0.5"}, "experiments_factor must be 1 or more"),
        ({"retrainings": "1.5"}, "retrainings must be a whole number"),
        ({"seconds_per_request": "0"}, "seconds_per_request must be a number greater than 0"),
    ],
)
def test_bad_link_other_sections(params: dict[str, str], needle: str) -> None:
    at = run(params)
    assert len(errors(at)) == 1 and needle in errors(at)[0]
    shows(at, estimator.estimate(**DEFAULT))


# ---------------------------------------------------------------- cleaner regions


def _cleanest_region(provider: str) -> str:
    region = estimator.cleanest_regions(provider, n=1)[0][0].id
    while True:
        options = estimator.alternatives(estimator.estimate(**(DEFAULT | {"region": region})), scope="provider")
        if not options:
            return region
        region = str(options[0].estimate.region["id"])  # type: ignore[index]


def test_alternatives_sentence_chart_and_saving() -> None:
    at = run()
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
    at = run({"region": region})
    assert any("You picked the provider's cleanest region" in m.value for m in at.markdown)


def test_on_premise_alternatives_are_cloud_regions() -> None:
    at = run({"region": "PL"})
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
    assert data == modelcard.card_yaml(e, "fine-tuning")
    assert calls[-1].kwargs["file_name"] == "co2_eq_emissions.yaml"
    assert in_code(at, data)
    assert at.get("download_button")


def test_location_override_goes_in_the_card() -> None:
    at = run()
    at.text_input(key="location_text").input("Our lab, Montréal").run()
    assert in_code(at, modelcard.card_yaml(estimator.estimate(**DEFAULT), "pre-training", "Our lab, Montréal"))


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
    assert merged == modelcard.merge(CARD, modelcard.card_block(e, "pre-training"), "README.md")
    assert "# keep this comment" in merged and merged.endswith("# My model\n\nBody.\n")
    assert modelcard.read_card_text(merged).emissions_g == modelcard.grams(e.co2e_g)


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
    assert in_code(at, modelcard.card_yaml(e)), "the card's emissions stay operational"


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
    assert f"Device-hours per run {report.num(low)} to {report.num(high)}" in captions
    wall_low, wall_high = p.estimate_low.inputs["hours"], p.estimate_high.inputs["hours"]
    assert f"wall-clock {report.num(wall_low)} h to {report.num(wall_high)} h" in captions
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
