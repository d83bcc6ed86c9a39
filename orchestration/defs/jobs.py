"""``ochre_nightly``: dbt build -> Great Expectations gate -> publish, for one as-of date.

Partitioned like its assets (daily, by as-of date). A range of partitions (a backfill) runs
as one run: every asset of the job has ``BackfillPolicy.single_run()``. The steps form one
chain on one DuckDB file, so they run in the run's own process (``in_process_executor``):
the ``warehouse_lock`` resource is then taken once and held from the first step to the
last, and no step pays a process start and a code-location load of its own.
"""

from __future__ import annotations

import dagster as dg

from ochre_analytics.pipeline import NIGHTLY_JOB


def build_nightly_job(
    dbt_assets: dg.AssetsDefinition,
    publish_assets: dg.AssetsDefinition,
) -> dg.UnresolvedAssetJobDefinition:
    return dg.define_asset_job(
        name=NIGHTLY_JOB,
        selection=dg.AssetSelection.assets(dbt_assets, publish_assets),
        description=(
            "Nightly run for one as-of date (the partition): check landing, dbt build (every "
            "model, dbt tests as checks), Great Expectations gate (blocking), record history, "
            "publish. `ochre-analytics run` executes this job in-process."
        ),
        tags={"ochre/pipeline": "leaderboard"},
        executor_def=dg.in_process_executor,
    )
