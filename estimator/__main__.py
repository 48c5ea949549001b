"""``python -m estimator``: the same as the ``co2-estimator`` command."""

import sys

from estimator.cli import main

sys.exit(main())
