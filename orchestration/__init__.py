"""Dagster code location of the Ochre pipeline (``dagster dev -m orchestration.definitions``).

``definitions.py`` only assembles; the parts live under ``defs/``. ``ochre-analytics run``
executes the same job in-process (``ochre_analytics.pipeline.run_pipeline``).
"""
