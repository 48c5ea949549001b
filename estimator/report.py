"""Human-readable output of an estimate: units, the arithmetic line, the sources."""

from __future__ import annotations

from estimator.core import Estimate


def num(value: float, digits: int = 4, zeros: bool = False) -> str:
    """A number to ``digits`` significant digits, thousands separated, no exponent.

    ``zeros`` keeps trailing zeros (``109.0``) for measured results.
    """
    if value == 0:
        return "0"
    if value == int(value) and not zeros and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 10 ** (digits - 1):
        return f"{value:,.0f}"
    text = f"{value:{'#' if zeros else ''}.{digits}g}"
    if "e" in text:
        text = f"{value:.{digits + 6}f}"
        text = text.rstrip("0") if not zeros else text
    return text.rstrip(".")


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
    return (
        f"{draw} × {num(e.hours)} h × PUE {e.pue:.2f} = {num(e.energy_kwh, zeros=True)} kWh"
        f" × {num(e.intensity_g_per_kwh)} g/kWh = {mass(e.co2e_g)}"
    )


def text(e: Estimate) -> str:
    """The full text report: headline, arithmetic, breakdown, sources, warnings."""
    where = ""
    if e.region:
        where = f" in {e.region['id']} ({e.region['place']})"
    lines = [
        f"{mass(e.co2e_g)} from {energy(e.energy_kwh)}{where}",
        arithmetic(e),
        "",
        "Breakdown:",
    ]
    width = max(len(c.label) for c in e.breakdown)
    for c in e.breakdown:
        lines.append(f"  {c.label:<{width}}  {num(c.draw_w):>8} W  {energy(c.energy_kwh):>12}  {mass(c.co2e_g):>16}")
    lines += ["", "Sources:"]
    for c in e.components:
        lines.append(f"  power: {c.power_source}")
    lines.append(f"  intensity: {e.intensity_source}")
    lines.append(f"  PUE ({e.pue_basis}): {e.pue_source}")
    if e.region and e.region.get("cfe_pct") is not None:
        lines.append(
            f"  market-based, shown beside and not subtracted: the provider reports {num(e.region['cfe_pct'])} % "
            f"carbon-free energy for {e.region['id']} ({e.region['cfe_source']}, {e.region['cfe_year']})"
        )
    lines.append(f"  data {e.data_version}, co2-estimator {e.package_version}")
    if e.warnings:
        lines += ["", "Notes:"]
        lines += [f"  - {w}" for w in e.warnings]
    return "\n".join(lines)
