"""``ochre_nightly``: dbt build -> Great Expectations gate -> publish, for one as-of date.

Partitioned like its assets (daily, by as-of date). A range of partitions (a backfill) runs
as one run: every asset of the job has ``BackfillPolicy.single_run()``. The steps form one
chain on one DuckDB file, so they run in the run's own process (``in_process_executor``):
the ``warehouse_lock`` resource is then taken once and held from the first step to the
last, and no step pays a process start and a code-location load of its own.

Retries: a step that fails for a transient reason is tried again, up to ``MAX_RETRIES``
times, ``OCHRE_RETRY_DELAY_SECONDS`` (default 30) after the first failure, then twice that
(exponential backoff, with jitter). A failure the pipeline reports as a finding (a failed
dbt test or Great Expectations check, a bad landing file, a compile error) is final
(``failures.py``): retrying cannot change the data.
"""

from __future__ import annotations

import os

import dagster as dg

from ochre_analytics.config import ConfigError
from ochre_analytics.pipeline import NIGHTLY_JOB

MAX_RETRIES = 2
DEFAULT_RETRY_DELAY_SECONDS = 30.0


def retry_delay_seconds() -> float:
    raw = os.environ.get("OCHRE_RETRY_DELAY_SECONDS") or ""
    if not raw:
        return DEFAULT_RETRY_DELAY_SECONDS
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if value < 0:
        raise ConfigError(f"OCHRE_RETRY_DELAY_SECONDS must be seconds (>= 0), got {raw!r}")
    return value


def retry_policy(delay: float) -> dg.RetryPolicy:
    return dg.RetryPolicy(
        max_retries=MAX_RETRIES,
        delay=delay,
        backoff=dg.Backoff.EXPONENTIAL,
        jitter=dg.Jitter.PLUS_MINUS if delay else None,
    )


def build_nightly_job(
    dbt_assets: dg.AssetsDefinition,
    publish_assets: dg.AssetsDefinition,
    retry_delay: float = DEFAULT_RETRY_DELAY_SECONDS,
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
        op_retry_policy=retry_policy(retry_delay),
    )
