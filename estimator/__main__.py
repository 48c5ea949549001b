"""``python -m estimator``: the same as the ``co2-estimator`` command."""

import gc
import sys

# A cold start's imports allocate thousands of objects (modules, classes, functions)
# that all live until the process ends: collecting during the imports finds no garbage
# (about 2 ms), and walking them all again in the collections at exit costs about 5 ms.
# So collection is paused during the imports (back on before the command runs), and
# what lives when the command is done is frozen (gc.freeze) so the exit does not walk it.
gc.disable()
try:
    from estimator.cli import main
finally:
    gc.enable()

status = main()
gc.freeze()
sys.exit(status)
