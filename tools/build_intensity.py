"""Regenerate the generated rows of ``data/intensity.csv`` from the reference folder.

Usage (from the repository root)::

    python tools/build_intensity.py [REFERENCE_DIR] [--output data/intensity.csv] [--check]

``REFERENCE_DIR`` defaults to ``../shared/reference`` relative to the repository
root (the folder described in its README: public data kept for offline look-up).

The script owns these rows and rewrites them on every run:

- ``electricity-maps``: Electricity Maps yearly averages, one row per zone and
  year (``electricity-maps-yearly/yearly_YYYY.json``, ``carbonIntensity.value``,
  life-cycle, location-based; ODbL 1.0, attribute "Electricity Maps").
- ``ember``: Ember's latest yearly figure per country (and the world)
  (``ember-yearly/average-intensities.json``, ISO alpha-3 keys mapped to
  alpha-2; life-cycle; CC BY-SA 4.0).
- ``unfccc-ifi``: the operating-margin factor of the UNFCCC IFI harmonised
  default grid factors 2021 v3.1 (``unfccc-marginal/``; marginal; CC BY-SA 4.0).
- ``google``: Google's per-region figure for the years in
  ``google-region-carbon/YYYY.csv`` (Apache-2.0). Other ``google`` years (the
  2025 figure kept by hand) are left alone.

Every other row (other datasets: eGRID, NGA, the older aggregator tables ...)
is kept as it is. The output is sorted by place, dataset, year, basis, so a run
on unchanged inputs writes the same bytes. ``--check`` writes nothing and exits
1 when the file would change.

References
----------
Electricity Maps, yearly averages, https://www.electricitymaps.com/data-portal
(methodology: https://www.electricitymaps.com/data/methodology), republished in
The Green Web Foundation's co2.js (data/output/electricity-maps/).
Ember, yearly electricity data, https://ember-energy.org/data/yearly-electricity-data/
Google Cloud, region carbon information, https://github.com/GoogleCloudPlatform/region-carbon-info
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import sys
from collections.abc import Iterable
from pathlib import Path

COLUMNS = ["place", "year", "basis", "intensity_g_per_kwh", "dataset", "source", "note"]
BASES = ("lifecycle", "direct", "marginal", "unknown")
REPO = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = REPO.parent / "shared" / "reference"
DEFAULT_OUTPUT = REPO / "data" / "intensity.csv"
CO2JS = "The Green Web Foundation co2.js, commit 27cbe83"

# Ember keys that the UNFCCC file (our alpha-3 -> alpha-2 table) does not carry.
ISO3_EXTRA = {"HKG": "HK", "MAC": "MO", "XKX": "XK", "CYM": "KY"}
# Ember figures left out as data errors (each contradicts the grid's generation mix
# and Electricity Maps' figure for the same country; see regions.csv's note).
EMBER_ERRORS = {
    "CAF": "0 g/kWh: impossible for a grid with thermal (diesel) generation besides hydro",
    "BHR": "about 900 g/kWh: above what an all-gas grid emits (Electricity Maps: about 490)",
    "TKM": "about 1,300 g/kWh: above what a gas-fired grid emits (Electricity Maps: about 490)",
    "UZB": "about 1,120 g/kWh: above what a gas and hydro grid emits (Electricity Maps: about 480)",
}
# Ember aggregates other than the world are not places in regions.csv.
EMBER_PLACES = {"World": "world"}
# UNFCCC entries whose place is set here rather than by the file's own ISO code:
# Madeira has no alpha-2 but is an Electricity Maps zone; co2.js codes the
# Cayman Islands as CY (Cyprus's code) and the Canary Islands as KY (the Cayman
# Islands' code): the Cayman figure goes to KY, the Canaries (several grid
# zones, no single place here) are skipped.
UNFCCC_PLACES = {"Madeira (Portugal)": "PT-MA", "Cayman Islands": "KY"}
UNFCCC_SKIP = {"Canary Islands (Spain)"}

Row = dict[str, str]


def number(value: float) -> str:
    """Format a figure without float noise: ``383``, ``123.71``."""
    return f"{float(value):.10g}"


def em_rows(reference: Path) -> tuple[list[Row], int]:
    """One row per Electricity Maps zone and year; returns the rows and the count skipped (no value)."""
    rows: list[Row] = []
    skipped = 0
    for path in sorted((reference / "electricity-maps-yearly").glob("yearly_*.json")):
        year = int(re.fullmatch(r"yearly_(\d{4})\.json", path.name).group(1))  # type: ignore[union-attr]
        data = json.loads(path.read_text(encoding="utf-8"))
        for zone, entry in data.items():
            value = (entry.get("carbonIntensity") or {}).get("value")
            if not isinstance(value, int | float) or isinstance(value, bool):
                skipped += 1
                continue
            rows.append(
                {
                    "place": zone,
                    "year": str(year),
                    "basis": "lifecycle",
                    "intensity_g_per_kwh": number(value),
                    "dataset": "electricity-maps",
                    "source": (
                        f"Electricity Maps, yearly average carbon intensity {year}, zone {zone} "
                        f"(gCO2eq/kWh, life-cycle, location-based; ODbL 1.0), via {CO2JS}, "
                        f"data/output/electricity-maps/{path.name}; https://www.electricitymaps.com/data-portal"
                    ),
                    "note": "",
                }
            )
    return rows, skipped


def iso3_to_iso2(reference: Path) -> dict[str, str]:
    """Alpha-3 to alpha-2, from the UNFCCC file's own code columns plus ``ISO3_EXTRA``."""
    data = json.loads((reference / "unfccc-marginal" / "marginal-intensities-2021.json").read_text(encoding="utf-8"))
    table = {
        v["country_code_iso_3"]: UNFCCC_PLACES.get(k, v["country_code_iso_2"])
        for k, v in data.items()
        if v.get("country_code_iso_3") and v.get("country_code_iso_2") and k not in UNFCCC_SKIP
    }
    table.update(ISO3_EXTRA)
    return table


def ember_rows(reference: Path) -> tuple[list[Row], list[str]]:
    """Ember's latest yearly life-cycle figure per country and for the world; returns rows and skipped keys.

    Keys in ``EMBER_ERRORS`` are skipped as data errors.
    """
    data = json.loads((reference / "ember-yearly" / "average-intensities.json").read_text(encoding="utf-8"))
    table = iso3_to_iso2(reference)
    rows: list[Row] = []
    unmapped: list[str] = []
    for key, entry in data.items():
        place = EMBER_PLACES.get(key) or table.get(key)
        if key in EMBER_ERRORS:
            unmapped.append(f"{key} (data error: {EMBER_ERRORS[key]})")
            continue
        if place is None:
            unmapped.append(key)
            continue
        rows.append(
            {
                "place": place,
                "year": str(int(entry["year"])),
                "basis": "lifecycle",
                "intensity_g_per_kwh": number(entry["emissions_intensity_gco2_per_kwh"]),
                "dataset": "ember",
                "source": (
                    f"Ember, yearly electricity data, emissions intensity {entry['year']} "
                    f"({entry['country_or_region']}, gCO2e/kWh, life-cycle; CC BY-SA 4.0), via {CO2JS}, "
                    "data/output/average-intensities.json; https://ember-energy.org/data/yearly-electricity-data/"
                ),
                "note": "" if len(key) != 3 else f"Ember key {key} mapped to ISO alpha-2 {place}.",
            }
        )
    return rows, unmapped


def unfccc_rows(reference: Path) -> tuple[list[Row], list[str]]:
    """The 2021 operating-margin factor per country; returns rows and the names without a place."""
    data = json.loads((reference / "unfccc-marginal" / "marginal-intensities-2021.json").read_text(encoding="utf-8"))
    rows: list[Row] = []
    unmapped: list[str] = []
    for name, entry in data.items():
        place = UNFCCC_PLACES.get(name) or entry.get("country_code_iso_2")
        value = str(entry.get("Operating Margin Grid Emission", "")).strip()
        if not place or not value or name in UNFCCC_SKIP:
            unmapped.append(name)
            continue
        rows.append(
            {
                "place": place,
                "year": "2021",
                "basis": "marginal",
                "intensity_g_per_kwh": number(float(value)),
                "dataset": "unfccc-ifi",
                "source": (
                    "UNFCCC / IFI Technical Working Group on GHG accounting, harmonised default grid emission "
                    f"factors 2021 v3.1, operating margin ({name}, gCO2/kWh; CC BY-SA 4.0), via {CO2JS}, "
                    "data/output/marginal-intensities-2021.json"
                ),
                "note": "Operating margin: what one more kWh here emits (consequential view), not an average.",
            }
        )
    return rows, unmapped


def google_rows(reference: Path) -> tuple[list[Row], set[int]]:
    """Google's per-region figure per year file; returns rows and the years covered."""
    rows: list[Row] = []
    years: set[int] = set()
    for path in sorted((reference / "google-region-carbon").glob("*.csv")):
        if not re.fullmatch(r"\d{4}\.csv", path.name):
            continue
        year = int(path.stem)
        years.add(year)
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader)
            lifecycle = "lifecycle" in header[3].lower()
            for record in reader:
                if not record or not record[3].strip():
                    continue
                rows.append(
                    {
                        "place": f"gcp:{record[0].strip()}",
                        "year": str(year),
                        "basis": "lifecycle" if lifecycle else "direct",
                        "intensity_g_per_kwh": number(float(record[3])),
                        "dataset": "google",
                        "source": (
                            f"Google Cloud, carbon data of Google Cloud regions {year}, column '{header[3]}' "
                            f"(Apache-2.0), https://github.com/GoogleCloudPlatform/region-carbon-info/blob/main/"
                            f"data/yearly/{year}.csv"
                        ),
                        "note": (
                            "Google's file labels this year's column life-cycle grid intensity."
                            if lifecycle
                            else "Google: average operational gross emissions per kWh of grid electricity "
                            "(direct, not life-cycle)."
                        ),
                    }
                )
    return rows, years


def sort_key(row: Row) -> tuple[str, str, int, str]:
    return (row["place"], row["dataset"], int(row["year"]), row["basis"])


def render(rows: Iterable[Row]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in sorted(rows, key=sort_key):
        writer.writerow({k: row.get(k, "") for k in COLUMNS})
    return out.getvalue()


def build(reference: Path, existing: list[Row]) -> tuple[list[Row], list[str]]:
    """Merge freshly generated rows with the kept rows of ``existing``; returns rows and report lines."""
    em, em_skipped = em_rows(reference)
    ember, ember_unmapped = ember_rows(reference)
    unfccc, unfccc_unmapped = unfccc_rows(reference)
    google, google_years = google_rows(reference)

    def owned(row: Row) -> bool:
        dataset = row["dataset"]
        return dataset in ("electricity-maps", "ember", "unfccc-ifi") or (
            dataset == "google" and int(row["year"]) in google_years
        )

    kept = [row for row in existing if not owned(row)]
    rows = kept + em + ember + unfccc + google
    seen: dict[tuple[str, str, str, str], Row] = {}
    for row in rows:
        key = (row["place"], row["year"], row["basis"], row["dataset"])
        if key in seen:
            raise SystemExit(f"build_intensity: duplicate key {key}")
        seen[key] = row
    report = [
        f"electricity-maps: {len(em)} rows ({len({r['place'] for r in em})} zones); "
        f"{em_skipped} zone-years skipped (no value)",
        f"ember: {len(ember)} rows; skipped (aggregates, no alpha-2, data errors): "
        f"{', '.join(sorted(ember_unmapped)) or 'none'}",
        f"unfccc-ifi: {len(unfccc)} rows; skipped (no place): {', '.join(sorted(unfccc_unmapped)) or 'none'}",
        f"google: {len(google)} rows for {', '.join(map(str, sorted(google_years)))}",
        f"kept (other datasets): {len(kept)} rows; total {len(rows)}",
    ]
    return rows, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("reference", nargs="?", type=Path, default=DEFAULT_REFERENCE, help="reference folder")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT, help="intensity CSV to update in place")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if the file would change")
    args = parser.parse_args(argv)
    if not args.reference.is_dir():
        parser.error(f"reference folder {args.reference} not found")
    existing: list[Row] = []
    before = ""
    if args.output.exists():
        before = args.output.read_text(encoding="utf-8")
        existing = list(csv.DictReader(io.StringIO(before)))
    rows, report = build(args.reference, existing)
    after = render(rows)
    for line in report:
        print(line)
    if args.check:
        if after != before:
            print(f"{args.output} is out of date; run tools/build_intensity.py", file=sys.stderr)
            return 1
        print(f"{args.output} is up to date")
        return 0
    args.output.write_text(after, encoding="utf-8")
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
