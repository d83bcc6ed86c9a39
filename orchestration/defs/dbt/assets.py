"""Every dbt model an asset, every dbt test an asset check (``@dbt_assets``).

The dbt sources ``landing.<entity>`` are the landing assets ``landing/<entity>``. The
assets are partitioned by as-of date (dbt reads the partition key as ``OCHRE_AS_OF_DATE``,
``resources.py``) and a backfill over a range runs as one run
(``BackfillPolicy.single_run()``): the marts hold one as-of date at a time, so the run goes
through the dates in order. Each date but the last is built,
audited and recorded in the history tables right here; the last date's build is what this
step materializes, and the blocking Great Expectations checks and ``published_leaderboard``
follow it in the same run (write-audit-publish).
"""


import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliInvocation, dbt_assets

from ochre_analytics import progress
from ochre_analytics.config import Settings
from ochre_analytics.errors import PipelineError
from ochre_analytics.landing import landing_notes
from ochre_analytics.publish import record_history
from ochre_analytics.warehouse import check_build_db

from ..checks.audit import audit, build_settings, prefetch_data_checks, require_passed
from ..failures import TransientPipelineError, reported
from ..landing.assets import check_landing, landing_observations
from ..partitions import run_dates
from ..resources import WAREHOUSE_POOL, OchreSettings, WarehouseHold
from .checks import describe_test
from .owners import owners_from_meta
from .project import DBT_PROJECT, ensure_manifest
from .resources import OchreDbtCliResource, build_args, dbt_target_path
from .results import ProgressPrinter, failures_from_run_results

DBT_ASSETS_NAME = "ochre_dbt_models"
DEEP_TESTS = "tag:deep"
"""The dbt tests that are not asset checks: the deep checks (docs/architecture.md, "Checks")
run as a ``dbt test`` of their own after the build when asked for, so a standard run plans
and records only the checks it executes (each planned check is a Dagster event)."""

TRANSIENT = re.compile(
    r"could not set lock|conflicting lock|database is locked|resource temporarily unavailable"
    r"|cannot allocate memory|out of memory|too many open files",
    re.IGNORECASE,
)
"""dbt errors that may be gone when the build is tried again (another process holds the
build database, memory or file handles ran out): the job's retry policy retries them. A
failed test, a compile or data error fails the run at once."""


class OchreDbtTranslator(DagsterDbtTranslator):
    """Sources ``landing.<entity>`` -> ``landing/<entity>``; groups by model folder; owners
    from the dbt ``meta.owner``; each dbt test's check says what it asserts."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") == "source":
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "source":
            return "landing"
        fqn = dbt_resource_props.get("fqn") or []
        return fqn[1] if len(fqn) > 2 else "dbt"

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str] | None:
        return owners_from_meta(dbt_resource_props) or None

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: Any,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        return dg.AssetCheckSpec(
            name=spec.name,
            asset=spec.asset_key,
            description=describe_test(manifest["nodes"][unique_id]),
            additional_deps=spec.additional_deps,
            blocking=spec.blocking,
            metadata=spec.metadata,
            automation_condition=spec.automation_condition,
            partitions_def=spec.partitions_def,
        )


def build_dbt_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=ensure_manifest(DBT_PROJECT),
        project=DBT_PROJECT,
        name=DBT_ASSETS_NAME,
        exclude=DEEP_TESTS,
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        dagster_dbt_translator=OchreDbtTranslator(),
        pool=WAREHOUSE_POOL,
    )
    def ochre_dbt_models(
        context: dg.AssetExecutionContext,
        dbt: OchreDbtCliResource,
        ochre: OchreSettings,
        warehouse_lock: dg.ResourceParam[WarehouseHold],
    ) -> Iterator[Any]:
        """dbt build for the run's as-of date(s) (`OCHRE_AS_OF_DATE=... dbt build`)."""
        warehouse_lock.hold()
        settings = ochre.settings()
        if context.retry_number:
            progress.say(f"    retry {context.retry_number} of the dbt build")
        with reported():
            yield from _build_dates(context, dbt, settings, full_refresh=ochre.full_refresh)

    return ochre_dbt_models


def _build_dates(
    context: dg.AssetExecutionContext,
    dbt: OchreDbtCliResource,
    settings: Settings,
    *,
    full_refresh: bool,
) -> Iterator[Any]:
    dates = run_dates(context)
    with progress.step("check landing files"):
        check_build_db(settings, full_refresh=full_refresh, say=progress.say)
        found = check_landing(settings, full_refresh=full_refresh)
    for line in landing_notes(found, settings.landing_dir):
        progress.say(f"    {line}")
    prefetch_data_checks()  # in-process runs audit next: import GE while dbt builds
    observations = landing_observations(settings.landing_dir, found, read_data=False)  # type: ignore[arg-type]
    for observation in observations:
        context.log_event(observation)
    for n, as_of in enumerate(dates):
        last = n == len(dates) - 1
        suffix = "" if len(dates) == 1 else f" as of {as_of}"
        with progress.step(f"build (dbt build){suffix}"):
            yield from _dbt_build(
                context, dbt, settings, as_of, full_refresh=full_refresh and n == 0, emit=last
            )
        deep_args = settings.dbt_deep_check_args()
        if deep_args is not None:
            with progress.step(f"deep checks (dbt test){suffix}"):
                _dbt_deep_checks(dbt, settings, as_of, deep_args)
        if settings.target == "spark":
            from ochre_analytics.spark_publish import export_spark_build

            with progress.step(f"export (spark){suffix}"):
                export_spark_build(settings)
        if not last:
            # Not the run's last date: audit and record it here; the marts move on next.
            _audit_and_record(settings, as_of, suffix)


def _dbt_build(
    context: dg.AssetExecutionContext,
    dbt: OchreDbtCliResource,
    settings: Settings,
    as_of: dt.date,
    *,
    full_refresh: bool,
    emit: bool,
) -> Iterator[Any]:
    printer = ProgressPrinter()
    args = build_args(settings, full_refresh=full_refresh)
    # dagster-dbt reads the op's tags through the context it is given; from an asset's
    # context that read is deprecated (a DeprecationWarning per tag), from the op's it is not
    invocation = dbt.invoke(settings, args, as_of=as_of, context=context.op_execution_context)
    for event in invocation.stream_raw_events():
        printer(event.raw_event)
        if emit:
            yield from event.to_default_asset_events(
                manifest=invocation.manifest,
                dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=context,
                target_path=invocation.target_path,
                project=invocation.project,
            )
    progress.say(f"    {printer.summary()}")
    _raise_unless_successful(invocation, settings, "build")


def _dbt_deep_checks(
    dbt: OchreDbtCliResource, settings: Settings, as_of: dt.date, args: list[str]
) -> None:
    """``dbt test`` of the deep checks on what the build just wrote. Without the run's
    context: dagster-dbt would add the asset selection, which leaves them out."""
    printer = ProgressPrinter()
    invocation = dbt.invoke(settings, args, as_of=as_of)
    for event in invocation.stream_raw_events():
        printer(event.raw_event)
    progress.say(f"    {printer.summary()}")
    _raise_unless_successful(invocation, settings, "deep checks")


def _raise_unless_successful(
    invocation: DbtCliInvocation, settings: Settings, step: str
) -> None:
    """The dbt `invocation`'s failures as the step's error: transient ones (a lock, memory,
    a killed dbt) are retried by the job's retry policy, the others fail the run."""
    if invocation.is_successful():
        return
    lines = failures_from_run_results(dbt_target_path(settings) / "run_results.json")
    if not lines:
        error = invocation.get_error()
        lines = [" ".join(str(error or f"dbt {step} failed").split())[-1000:]]
    killed = (invocation.process.returncode or 0) < 0
    if killed or any(TRANSIENT.search(line) for line in lines):
        raise TransientPipelineError(step, lines)
    raise PipelineError(step, lines)


def _audit_and_record(settings: Settings, as_of: dt.date, suffix: str) -> None:
    audited = build_settings(settings)
    with progress.step(f"audit{suffix}"):
        require_passed(audit(audited, as_of))
    with progress.step(f"record history{suffix}"):
        record_history(audited, as_of)
