"""Validation: our estimates against the measured runs in data/validation.csv.

Run: `.venv/bin/python bench/validate.py`. Prints, per run, the estimate, our range,
the measured energy and the ratio, then the headline figures for training and
inference, twice: with the package's defaults as they are, and with the training
low-end fraction recommended by the calibration (docs/validation.md). Also prints
the wall time of a whole validation. Asserts nothing. `--svg docs/validation.svg`
writes the plot of docs/validation.md.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from estimator import validation  # noqa: E402

CALIBRATED_TRAINING_LOW_FRACTION = validation.RECOMMENDED_TRAINING_LOW_FRACTION  # docs/validation.md


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--svg", metavar="FILE", help="also write the plot (the calibrated fractions) to FILE")
    args = parser.parse_args()
    validation.validate()  # warm the catalog
    start = time.perf_counter()
    defaults = validation.validate()
    seconds = time.perf_counter() - start
    print("== package defaults ==")
    print(validation.text(defaults))
    print()
    print(f"== training low end {CALIBRATED_TRAINING_LOW_FRACTION:g} (the calibration) ==")
    calibrated = validation.validate(training_low_fraction=CALIBRATED_TRAINING_LOW_FRACTION)
    print(validation.text(calibrated).split("\n\n", 1)[1])
    print()
    print(f"{len(defaults.checks)} runs validated in {seconds * 1000:.1f} ms (warm catalog)")
    if args.svg:
        Path(args.svg).write_text(validation.svg(calibrated), encoding="utf-8")
        print(f"plot written to {args.svg}")


if __name__ == "__main__":
    main()
