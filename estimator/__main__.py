"""``python -m estimator``: the same as the ``co2-estimator`` command."""

import gc
import sys

# The imports allocate thousands of objects (modules, classes, functions) that all live
# to the end: a collection during them finds no garbage (about 2 ms of a cold start).
# Collection is back on before the command runs.
gc.disable()
try:
    from estimator.cli import main
finally:
    gc.enable()

sys.exit(main())
