"""Every dbt model an asset, every dbt test an asset check (``@dbt_assets``).

The dbt sources ``landing.<entity>`` are the landing assets ``landing/<entity>``. The
assets are partitioned by as-of date (the dbt var ``as_of_date``) and a backfill over a
range runs as one run (``BackfillPolicy.single_run()``): the marts hold one as-of date at a
time, so the run goes through the dates in order. Each date but the last is built,
audited and recorded in the history tables right here; the last date's build is what this
step materializes, and the blocking Great Expectations checks and ``published_leaderboard``
follow it in the same run (write-audit-publish).
"""


import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from ochre_analytics.config import Settings
from ochre_analytics.dbt import ProgressPrinter, _failures_from_run_results
from ochre_analytics.landing import landing_notes
from ochre_analytics.pipeline import (
    PipelineError,
    audit,
    build_settings,
    check_landing,
    current_steps,
    prefetch_data_checks,
    record_failure,
    require_passed,
)
from ochre_analytics.publish import record_history

from ..landing.assets import landing_observations
from ..partitions import run_dates
from ..resources import OchreSettings
from .project import DBT_PROJECT, ensure_manifest
from .resources import dbt_build, dbt_target_path

DBT_ASSETS_NAME = "ochre_dbt_models"


class OchreDbtTranslator(DagsterDbtTranslator):
    """Sources ``landing.<entity>`` -> ``landing/<entity>``; groups by model folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "source":
            return "landing"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "dbt"


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(DBT_PROJECT),
        project=DBT_PROJECT,
        name=DBT_ASSETS_NAME,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=OchreDbtTranslator(),
    )
    def ochre_dbt_models(
        context: dg.AssetExecutionContext, dbt: DbtCliResource, ochre: OchreSettings
    ) -> Iterator[Any]:
        """dbt build for the run's as-of date(s) (`dbt build --vars {as_of_date: ...}`)."""
        settings = ochre.settings()
        try:
            yield from _build_dates(context, dbt, settings, full_refresh=ochre.full_refresh)
        except Exception as exc:
            record_failure(context.run.run_id, exc)
            raise

    return ochre_dbt_models


def _build_dates(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: Settings,
    *,
    full_refresh: bool,
) -> Iterator[Any]:
    steps = current_steps()
    dates = run_dates(context)
    found = steps.run(
        "check landing files", lambda: check_landing(settings, full_refresh=full_refresh)
    )
    for line in landing_notes(found, settings.landing_dir):
        steps.say(f"    {line}")
    prefetch_data_checks()  # in-process runs audit next: import GE while dbt builds
    observations = landing_observations(settings.landing_dir, found, read_data=False)  # type: ignore[arg-type]
    for observation in observations:
        context.log_event(observation)
    for n, as_of in enumerate(dates):
        last = n == len(dates) - 1
        suffix = "" if len(dates) == 1 else f" as of {as_of}"
        with steps.step(f"build (dbt build){suffix}"):
            yield from _dbt_build(
                context, dbt, settings, as_of, full_refresh=full_refresh and n == 0, emit=last
            )
        if settings.target == "spark":
            from ochre_analytics.spark_publish import export_spark_build

            steps.run(f"export (spark){suffix}", lambda: export_spark_build(settings))
        if not last:
            # Not the run's last date: audit and record it here; the marts move on next.
            _audit_and_record(settings, as_of, suffix)


def _dbt_build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    settings: Settings,
    as_of: dt.date,
    *,
    full_refresh: bool,
    emit: bool,
) -> Iterator[Any]:
    steps = current_steps()
    progress = ProgressPrinter(steps.out)
    invocation = dbt_build(dbt, settings, as_of, full_refresh=full_refresh, context=context)
    for event in invocation.stream_raw_events():
        progress(event.raw_event)
        if emit:
            yield from event.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            )
    steps.say(f"    {progress.summary()}")
    if not invocation.is_successful():
        lines = _failures_from_run_results(dbt_target_path(settings) / "run_results.json")
        if not lines:
            error = invocation.get_error()
            lines = [" ".join(str(error or "dbt build failed").split())[-1000:]]
        raise PipelineError("build", lines)


def _audit_and_record(settings: Settings, as_of: dt.date, suffix: str) -> None:
    steps = current_steps()
    audited = build_settings(settings)
    with steps.step(f"audit{suffix}"):
        report = audit(audited, as_of)
        steps.result.warnings += require_passed(report)
    steps.run(f"record history{suffix}", lambda: record_history(audited, as_of))
