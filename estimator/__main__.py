"""``python -m estimator``: the same as the ``co2-estimator`` command."""

import gc
import sys

# A cold start's imports allocate thousands of objects (modules, classes, functions) that
# all live until the process ends: collecting during the imports finds no garbage (about
# 2 ms). Collection is back on before the command runs. (The script `co2-estimator`
# imports estimator.cli itself, before any code of ours could pause it.)
gc.disable()
try:
    from estimator.cli import main
finally:
    gc.enable()

sys.exit(main())
