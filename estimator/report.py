"""Human-readable output of an estimate: units, the arithmetic line, the sources."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, NamedTuple

from estimator.core import Component, Estimate
from estimator.records import POWER_BASIS_WORDS

if TYPE_CHECKING:
    from estimator.inference import InferenceEstimate
    from estimator.preflight import Preflight


def num(value: float, digits: int = 4, zeros: bool = False) -> str:
    """A number to ``digits`` significant digits, thousands separated, no exponent.

    ``zeros`` keeps trailing zeros (``109.0``) for measured results.
    """
    if value == 0:
        return "0"
    if value == int(value) and not zeros and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 1e15:  # beyond a double's exact digits: only ``digits`` of them mean anything
        from decimal import Decimal

        return f"{Decimal(f'{value:.{digits}g}'):,f}"  # the digits, then zeros (a float would show its noise)
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    text = f"{value:{'#' if zeros else ''}.{digits}g}"
    if "e" in text:  # below 1e-4: as many decimals as ``digits`` significant digits need
        text = f"{value:.{digits - 1 - math.floor(math.log10(abs(value)))}f}"
        text = text.rstrip("0") if not zeros else text
    return text.rstrip(".")


def counted(n: int, thing: str) -> str:
    """'1 card', '2 cards': a count and its noun."""
    return f"{n:,} {thing}{'' if n == 1 else 's'}"


def mass(co2e_g: float) -> str:
    """gCO2e in the unit that reads best: mg, g, kg or t CO2e."""
    for unit, size in (("t", 1e6), ("kg", 1e3), ("g", 1.0)):
        if abs(co2e_g) >= size:
            return f"{num(co2e_g / size, zeros=True)} {unit} CO2e"
    return f"{num(co2e_g * 1000, zeros=True)} mg CO2e" if co2e_g else "0 g CO2e"


def energy(kwh: float) -> str:
    """kWh in the unit that reads best: Wh, kWh, MWh or GWh."""
    for unit, size in (("GWh", 1e6), ("MWh", 1e3), ("kWh", 1.0)):
        if abs(kwh) >= size:
            return f"{num(kwh / size, zeros=True)} {unit}"
    return f"{num(kwh * 1000, zeros=True)} Wh" if kwh else "0 Wh"


def pue_text(pue: float) -> str:
    """'1.10' as PUEs are written, but every digit the number has ('1.125')."""
    return f"{pue:.2f}" if round(pue, 2) == pue else f"{pue:g}"


def arithmetic(e: Estimate) -> str:
    """The formula with the numbers used, e.g.
    ``8 × 400 W × 72 h × PUE 1.1 = 253.4 kWh × 430 g/kWh = 109 kg CO2e``."""
    terms = []
    for c in e.components:
        unit = "W/GB" if c.kind == "memory" else "W"
        count = f"{num(c.count)} GB" if c.kind == "memory" else num(c.count)
        term = f"{count} × {num(c.power_w)} {unit}"
        if c.utilization != 1:
            term += f" × {num(c.utilization)}"
        terms.append(term)
    draw = terms[0] if len(terms) == 1 else f"({' + '.join(terms)})"
    hours = f"{num(e.hours / e.trials)} h × {e.trials:,} trials" if e.trials > 1 else f"{num(e.hours)} h"
    return (
        f"{draw} × {hours} × PUE {pue_text(e.pue)} = {num(e.energy_kwh, zeros=True)} kWh"
        f" × {num(e.intensity_g_per_kwh)} g/kWh = {mass(e.co2e_g)}"
    )


def span(low_g: float, high_g: float) -> str:
    """'54.79–110.5 kg CO2e' in one unit, or '' when the range has collapsed."""
    if not (low_g < high_g):
        return ""
    unit, size = next(((u, z) for u, z in (("t", 1e6), ("kg", 1e3), ("g", 1.0)) if high_g >= z), ("g", 1.0))
    return f"{num(low_g / size, zeros=True)}–{num(high_g / size, zeros=True)} {unit} CO2e"


def mass_range(e: Estimate) -> str:
    """'54.79–110.5 kg CO2e' in one unit, or '' when the range has collapsed."""
    return span(e.low, e.high)


def embodied_line(embodied_g: float, embodied_high_g: float, whose: str = "") -> list[str]:
    """The embodied emissions, beside the total (no line when the hardware's are unknown, NaN)."""
    if math.isnan(embodied_g):
        return []
    return [
        f"embodied{whose} (manufacturing, shown beside, not added): {mass(embodied_g)}"
        f" (up to {mass(embodied_high_g)} over a shorter life)"
    ]


def summary_lines(e: Estimate, title: str = "", whose: str = "") -> list[str]:
    """Headline, arithmetic, grid, range and embodied of ``e``.

    When ``e`` is a part of what is reported (an inference's serving hours, a preflight's central
    device-hours), ``title`` starts its headline ("Serving part, 55.56 h") and ``whose`` follows
    "range" and "embodied" (" of the serving part"), so none of its figures reads as the total.
    """
    where = f" in {e.region['id']} ({e.region['place']})" if e.region else ""
    headline = f"{mass(e.co2e_g)} from {energy(e.energy_kwh)}{where}"
    lines = [f"{title}: {headline}" if title else headline, arithmetic(e)]
    grid_words = intensity_words(e)
    if grid_words:
        lines.append(f"grid: {grid_words}")
    spread = mass_range(e)
    if spread:
        lines.append(f"range{whose}: {spread} ({'; '.join(e.range_basis)})")
    return lines + embodied_line(e.embodied_g, e.embodied_high_g, whose)


def breakdown_lines(parts: list[tuple[str, Estimate]]) -> list[str]:
    """'Breakdown:' and a row per component of each part; a part's name, if any, starts its rows' labels."""
    rows = [(f"{name}: {c.label}" if name else c.label, c) for name, e in parts for c in e.breakdown]
    width = max(len(label) for label, _ in rows)
    lines = ["Breakdown:"]
    for label, c in rows:
        lines.append(f"  {label:<{width}}  {num(c.draw_w):>8} W  {energy(c.energy_kwh):>12}  {mass(c.co2e_g):>16}")
    return lines


def source_lines(parts: list[Estimate], extra: tuple[str, ...] = ()) -> list[str]:
    """'Sources:' and every source behind the parts, each once, in the order first met (``extra`` last but data)."""
    lines: list[str] = []
    for e in parts:
        lines += [f"  power: {c.power_source}" for c in e.components]
        lines.append(f"  intensity: {e.intensity_source}")
        lines.append(f"  PUE ({e.pue_basis}): {e.pue_source}")
        lines += [f"  embodied: {basis}" for basis in e.embodied_basis]
        if e.region and e.region.get("cfe_pct") is not None:
            lines.append(
                f"  market-based, shown beside and not subtracted: the provider reports {num(e.region['cfe_pct'])} % "
                f"carbon-free energy for {e.region['id']} ({e.region['cfe_source']}, {e.region['cfe_year']})"
            )
    lines += [f"  {line}" for line in extra]
    lines += [f"  data {e.data_version}, co2-estimator {e.package_version}" for e in parts]
    return ["Sources:", *dict.fromkeys(lines)]


def equivalent_lines(co2e_g: float) -> list[str]:
    """'About as much as:', the equivalents of ``co2e_g`` and one line naming their sources."""
    return ["About as much as:", *[f"  {q}" for q in equivalents(co2e_g)], f"  ({EQUIVALENTS_SOURCES})"]


HOURS_PER_YEAR = 8766.0  # 365.25 days
LONG_RUN_HOURS = 2 * HOURS_PER_YEAR  # typed hours of one run past two years: seconds, or device-hours?


def typed_hours_notes(e: Estimate) -> list[str]:
    """:func:`long_run_notes` of ``e``'s hours for one run (the CLI's ``--hours``)."""
    return long_run_notes(e.hours / e.trials)


def long_run_notes(run_hours: float | None) -> list[str]:
    """A note when the hours a person typed for one run are over two years (a unit slip is likelier), else none.

    Said where hours of one run are typed (the CLI's estimate and card, the web form's hours), not in
    ``e.warnings``: serving for years or a preflight's computed device-hours are long on purpose.
    """
    if run_hours is None or run_hours <= LONG_RUN_HOURS:
        return []
    return [
        f"hours {run_hours:g} is {run_hours / HOURS_PER_YEAR:.3g} years of wall-clock time for one run: if these "
        f"are seconds, that is {run_hours / 3600:.3g} h; if device-hours, give hours per run (count multiplies them)"
    ]


def note_lines(parts: list[Estimate], extra: list[str] | None = None) -> list[str]:
    """A blank line, 'Notes:' and the parts' warnings (and ``extra``), each once; nothing when there are none."""
    notes = list(dict.fromkeys([*(w for e in parts for w in e.warnings), *(extra or [])]))
    return ["", "Notes:", *[f"  - {w}" for w in notes]] if notes else []


def text(e: Estimate, title: str = "", whose: str = "") -> str:
    """The full text report: headline, arithmetic, breakdown, sources, equivalents, warnings.

    ``title`` and ``whose`` label ``e`` when it is a part of what is reported (see ``summary_lines``).
    """
    lines = [*summary_lines(e, title, whose), "", *breakdown_lines([("", e)]), "", *source_lines([e])]
    lines += ["", *equivalent_lines(e.co2e_g)]
    return "\n".join(lines + note_lines([e], [] if title else typed_hours_notes(e)))


def inference_text(result: InferenceEstimate, per_gram: float | None = None) -> str:
    """The text report of serving: the total per request, then the serving part and, if any, the idle part.

    With idle hours, the lines under the headline are the total's (energy, range, embodied, equivalents);
    the serving and idle parts follow, each labelled as a part.
    """
    lines = [
        f"{mass(result.co2e_g)} for {num(result.requests)} requests "
        f"({mass(result.co2e_g_per_1k_requests)} per 1,000; {mass(result.co2e_g_per_request)} "
        f"and {num(result.energy_wh_per_request)} Wh per request)"
    ]
    idle = result.idle
    if result.up_hours is None:
        lines.append(f"serving time: {num(result.hours)} h")
    elif result.busy_known:
        lines.append(
            f"servers up {num(result.up_hours)} h: {num(result.hours)} h serving, {num(result.idle_hours)} h idle "
            f"({mass(idle.co2e_g if idle else 0.0)} while idle)"
        )
    else:
        lines.append(f"servers up {num(result.up_hours)} h, serving time unknown: range from idle draw to TDP")
    if idle is not None:
        lines += _inference_total_lines(result, idle)
    if per_gram is not None:
        lines.append(f"score per gram CO2e: {num(per_gram)}")
    if idle is None:
        return "\n".join([*lines, "", text(result.estimate)])
    return "\n".join([*lines, "", *equivalent_lines(result.co2e_g), "", *_serving_and_idle_lines(result, idle)])


def _inference_total_lines(result: InferenceEstimate, idle: Estimate) -> list[str]:
    """Energy, range and embodied of serving plus idle, as the lines under the headline."""
    total = f"total: {mass(result.co2e_g)} from {energy(result.energy_kwh)}"
    spread = span(result.low_g, result.high_g)
    if spread:
        per_1k = span(result.low_g_per_1k_requests, result.high_g_per_1k_requests)
        total += f", range {spread} ({per_1k} per 1,000 requests; the ranges of the serving and idle parts added)"
    serving = result.estimate
    embodied = embodied_line(
        serving.embodied_g + idle.embodied_g,
        serving.embodied_high_g + idle.embodied_high_g,
        f" of the {num(result.up_hours or 0.0)} h up",
    )
    return [total, *embodied]


def _serving_and_idle_lines(result: InferenceEstimate, idle: Estimate) -> list[str]:
    """The serving part and the idle part, each labelled, then one breakdown, sources and notes for both."""
    from estimator.inference import IDLE_DRAW_FRACTION, IDLE_DRAW_SOURCE

    fraction = float(idle.inputs.get("utilization", IDLE_DRAW_FRACTION))
    draw_source = IDLE_DRAW_SOURCE if fraction == IDLE_DRAW_FRACTION else "your idle_fraction"
    parts = [result.estimate, idle]
    lines = summary_lines(result.estimate, f"Serving part, {num(result.hours)} h", " of the serving part")
    idle_title = f"Idle part, {num(idle.hours)} h at {fraction:g} of TDP"
    lines += ["", *summary_lines(idle, idle_title, " of the idle part")]
    lines += ["", *breakdown_lines([("serving", result.estimate), ("idle", idle)])]
    lines += ["", *source_lines(parts, (f"idle draw: {fraction:g} of TDP ({draw_source})",))]
    return lines + note_lines(parts)


def preflight_text(p: Preflight) -> str:
    """The text report of a preflight: the expected emissions with the MFU's range, the assumptions, then the
    estimate at the central device-hours, labelled so its own range (draw and grid only) is not taken for the whole.
    """
    fewest, most = p.device_hours_range
    trials = p.trials > 1
    per_trial = " per trial" if trials else ""
    total = f"; {num(p.device_hours * p.trials)} over the {p.trials} trials" if trials else ""
    lines = [
        f"{mass(p.co2e_g)} expected (range {mass(p.low)} to {mass(p.high)}) "
        f"for {p.compute_flop:.3g} FLOP{f' × {p.trials} trials' if trials else ''}",
        f"device-hours: {num(p.device_hours)}{per_trial} (range {num(fewest)}-{num(most)}){total} "
        f"at MFU {p.mfu:g} ({p.mfu_range[0]:g}-{p.mfu_range[1]:g})",
        "assumptions:",
        *[f"  - {a}" for a in p.assumptions],
        "",
    ]
    title = f"At the central device-hours ({num(p.device_hours)}{per_trial}, MFU {p.mfu:g})"
    return "\n".join(lines) + "\n" + text(p.estimate, title, " at the central device-hours")


# ---------------------------------------------------------------- equivalents

# Sourced constants. gCO2e per unit.
CAR_US_G_PER_KM = 400 / 1.609344
CAR_US_SOURCE = "US EPA, Greenhouse Gas Emissions from a Typical Passenger Vehicle (2023): about 400 g CO2 per mile"
CAR_EU_G_PER_KM = 175.0
CAR_EU_SOURCE = (
    "UK Government GHG conversion factors 2019 and Cai et al. 2018 (Atmos. Environ.), "
    "175 g/km average car, as used by Green Algorithms (Lannelongue et al. 2021)"
)
FLIGHT_PAR_LON_G = 50_000.0
FLIGHT_NY_SF_G = 570_000.0
FLIGHT_SOURCE = "carbonfootprint.com flight calculator, one economy passenger, as used by Green Algorithms (2021)"
TREE_YEAR_G = 11_000.0
TREE_SOURCE = (
    "Nowak & Crane 2002, Carbon storage and sequestration by urban trees in the USA "
    "(Environ. Pollut. 116): ~11 kg CO2 per tree per year, as used by Green Algorithms"
)
EQUIVALENTS_SOURCES = (
    "sources: US EPA 2023 (US car), UK GHG factors 2019 (European car), carbonfootprint.com (flights), "
    "Nowak & Crane 2002 (trees); docs/methodology.md"
)
LACOSTE_2019 = "Lacoste, Luccioni, Schmidt & Dandres (2019), Quantifying the Carbon Emissions of Machine Learning"
LACOSTE_2019_URL = "https://arxiv.org/abs/1910.09700"
LACOSTE_BIBTEX = """@article{lacoste2019quantifying,
  title   = {Quantifying the Carbon Emissions of Machine Learning},
  author  = {Lacoste, Alexandre and Luccioni, Alexandra and Schmidt, Victor and Dandres, Thomas},
  journal = {arXiv preprint arXiv:1910.09700},
  year    = {2019}
}"""


class Equivalent(NamedTuple):
    """The same emissions expressed as something familiar, with its source."""

    amount: float
    unit: str
    source: str

    def __str__(self) -> str:
        # 3 significant digits, whole numbers too (191,837 km -> 192,000 km): the constants are rounder than that
        return f"{num(float(f'{self.amount:.3g}'), 3)} {self.unit}"


def equivalents(co2e_g: float) -> list[Equivalent]:
    """Car km (US and EU), flights, tree-years: each with the constant's source."""
    return [
        Equivalent(co2e_g / CAR_US_G_PER_KM, "km driven by an average US car", CAR_US_SOURCE),
        Equivalent(co2e_g / CAR_EU_G_PER_KM, "km driven by an average European car", CAR_EU_SOURCE),
        Equivalent(co2e_g / FLIGHT_PAR_LON_G, "one-way Paris–London flights (one passenger)", FLIGHT_SOURCE),
        Equivalent(co2e_g / FLIGHT_NY_SF_G, "one-way New York–San Francisco flights (one passenger)", FLIGHT_SOURCE),
        Equivalent(co2e_g / TREE_YEAR_G, "tree-years of CO2 uptake", TREE_SOURCE),
    ]


# ---------------------------------------------------------------- publishing text


BASIS_SHORT = {
    "lifecycle": "location-based, life-cycle",
    "marginal": "marginal, UNFCCC operating margin",
    "direct": "location-based, direct emissions only",
    "unknown": "basis not stated by the source",
}


def intensity_words(e: Estimate) -> str:
    """'DE, 2022 yearly average (location-based, life-cycle; Electricity Maps)', or '' for a user's intensity."""
    region = e.region or {}
    if e.intensity_year is None or not region.get("basis"):
        return ""
    zone = region.get("zone") or region.get("id")
    what = "the country figure for" if region["basis"] == "marginal" else "the grid zone of"  # margins: per country
    via = f" ({what} {region['id']})" if zone != region.get("id") else ""
    basis = BASIS_SHORT.get(region["basis"], region["basis"])
    return f"{zone}{via}, {e.intensity_year} yearly average ({basis}; {region.get('dataset', '')})"


POWER_WORDS = {  # what a component's power figure is (its power_basis), as a paper's sentence says it
    "tdp": "the vendor's TDP, an upper bound of draw",
    "tbp": "the vendor's typical board power, an upper bound of draw",
    "measured": "a measured average draw, not an upper bound",
    "estimate": "an estimate (no vendor TDP published)",
    "user": "given by the authors",
    "memory": "a per-GB figure for memory",
}
POWER_TERMS = {**POWER_BASIS_WORDS, "user": "given power", "memory": "memory power per GB"}  # a card's formula


def main_component(e: Estimate) -> Component:
    """The component a one-line description names: the first accelerator or CPU (else the first of any kind)."""
    return next((c for c in e.components if c.kind in ("accelerator", "cpu")), e.components[0])


def power_term(e: Estimate) -> str:
    """The power in the formula, as a card's ``source`` names it: 'TDP', 'given power', 'TDP / cores × utilization'."""
    main = main_component(e)
    term = POWER_TERMS.get(main.power_basis, main.power_basis)
    term = f"{term} / {main.per}s" if main.per else term
    return term if main.utilization == 1 else f"{term} × utilization"


def _power_words(main: Component) -> str:
    """What the power figure of ``main`` is (its basis, a share of a CPU's), and at what utilization."""
    what = POWER_WORDS.get(main.power_basis, main.power_basis)
    what = f"a {main.per}'s share of {what}" if main.per else what
    return what if main.utilization == 1 else f"{what}; at {num(main.utilization)} utilization"


def _facts(e: Estimate) -> dict[str, str]:
    main = main_component(e)
    region = e.region or {}
    provider = region.get("provider_name") or ""
    where = region.get("place") or "an unspecified location"
    if provider:
        where = f"{provider} region {str(region['id']).split(':', 1)[1]} ({region['place']})"
    return {
        "hardware": f"{num(main.count)} × {main.label}",
        "power": f"{num(main.power_w)} W {'per device' if main.count != 1 else ''}".strip(),
        "power_what": _power_words(main),
        "hours": num(e.hours),
        "device_hours": num(e.hours * main.count),
        "where": where,
        "intensity": num(e.intensity_g_per_kwh),
        "grid": f"{e.intensity_year} yearly average, {BASIS_SHORT.get(region.get('basis', ''), 'location-based')}"
        if e.intensity_year
        else "given by the authors",
        "pue": f"{e.pue:.2f}",
        "energy": energy(e.energy_kwh),
        "co2e": mass(e.co2e_g),
        "range": f" (range {spread})" if (spread := mass_range(e)) else "",
        "embodied": (
            f" Manufacturing the hardware adds an estimated {mass(e.embodied_g)} of embodied emissions "
            f"(amortised over its life; not included above)."
            if e.embodied_g == e.embodied_g
            else ""
        ),
        "version": e.package_version,
        "data": e.data_version,
    }


def markdown_paragraph(e: Estimate) -> str:
    """A paragraph for a paper or README, in Markdown, citing the method."""
    f = _facts(e)
    return (
        f"Experiments ran for {f['hours']} hours on {f['hardware']} ({f['device_hours']} device-hours; "
        f"{f['power']}, {f['power_what']}) in {f['where']}, "
        f"whose grid emits {f['intensity']} gCO2e/kWh ({f['grid']}). With a PUE of {f['pue']}, this is "
        f"{f['energy']} and an estimated **{f['co2e']}**{f['range']}. Estimated with co2-estimator {f['version']} "
        f"(data {f['data']}), following the method of the Machine Learning Impact calculator "
        f"([{LACOSTE_2019}]({LACOSTE_2019_URL}))."
        f"{f['embodied']}"
    )


def _latex_escape(text: str) -> str:
    for a, b in (("\\", r"\textbackslash{}"), ("&", r"\&"), ("%", r"\%"), ("_", r"\_"), ("#", r"\#"), ("–", "--")):
        text = text.replace(a, b)
    return (
        text.replace("×", r"$\times$").replace("CO2e", r"CO\textsubscript{2}e").replace("CO2", r"CO\textsubscript{2}")
    )


def latex_paragraph(e: Estimate) -> str:
    """The same paragraph in LaTeX, citing ``lacoste2019quantifying`` (BibTeX in ``LACOSTE_BIBTEX``)."""
    f = {k: _latex_escape(v) for k, v in _facts(e).items()}
    return (
        f"Experiments ran for {f['hours']} hours on {f['hardware']} ({f['device_hours']} device-hours; "
        f"{f['power']}, {f['power_what']}) in {f['where']}, "
        f"whose grid emits {f['intensity']}~gCO\\textsubscript{{2}}e/kWh ({f['grid']}). "
        f"With a PUE of {f['pue']}, this is {f['energy']} and an estimated \\textbf{{{f['co2e']}}}{f['range']}. "
        f"Estimated with co2-estimator {f['version']} (data {f['data']}), following the method of the "
        f"Machine Learning Impact calculator~\\cite{{lacoste2019quantifying}}.{f['embodied']}"
    )


def environmental_impact_section(e: Estimate) -> str:
    """The "Environmental Impact" section of the Hub's model-card template, filled in."""
    f = _facts(e)
    region = e.region or {}
    provider = region.get("provider_name") or "none (on-premise or unspecified)"
    compute_region = region.get("id", "unspecified")
    if region.get("place"):
        compute_region = f"{compute_region} ({region['place']})"
    lines = [
        "## Environmental Impact",
        "",
        "Carbon emissions estimated with co2-estimator, following the method of the "
        f"[Machine Learning Impact calculator](https://mlco2.github.io/impact#compute) presented in "
        f"[Lacoste et al. (2019)]({LACOSTE_2019_URL}).",
        "",
        f"- **Hardware Type:** {f['hardware']}",
        f"- **Hours used:** {f['hours']}",
        f"- **Cloud Provider:** {provider}",
        f"- **Compute Region:** {compute_region}",
        f"- **Carbon Emitted:** {f['co2e']}{f['range']} ({f['energy']} including PUE {f['pue']}, "
        f"at {f['intensity']} gCO2e/kWh, {f['grid']})",
        "",
        f"Power ({f['power']}) is {f['power_what']}; idle nodes and networking are not included.",
    ]
    if e.embodied_g == e.embodied_g:
        lines += [
            "",
            f"- **Embodied emissions (manufacturing, not included above):** {mass(e.embodied_g)} "
            f"(up to {mass(e.embodied_high_g)} with a shorter hardware life)",
        ]
    return "\n".join(lines) + "\n"
