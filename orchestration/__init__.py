"""Dagster code location of the Ochre pipeline (``dagster dev -m orchestration.definitions``).

It owns running the pipeline: the job ``ochre_nightly``, its steps, resources, partitions,
schedule and sensor. ``definitions.py`` only assembles; the parts live under ``defs/``.
``ochre-analytics run`` loads this code location by module name and runs the same job
in-process (``ochre_analytics.pipeline``); ``ochre_analytics`` never imports it.
"""
