"""Test-session setup shared by every module.

``make test`` runs the modules on pytest-xdist workers. A worker's ``__main__`` has neither
``__spec__`` nor ``__file__``; PySpark, which Great Expectations imports, takes such a process
for a doctest run and exits it on import (``pyspark/sql/connect/utils.py``; the pipeline's
own guard for Dagster's step processes is ``import_data_checks``). A worker's ``__main__``
gets a file name here, before any test module is imported.
"""

import sys

_main = sys.modules.get("__main__")
if _main is not None and getattr(_main, "__spec__", None) is None \
        and not hasattr(_main, "__file__"):
    _main.__file__ = "<pytest-xdist worker>"
