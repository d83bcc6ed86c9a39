"""Publish: the history tables of the warehouse and ``published/leaderboard.duckdb``.

``published_leaderboard`` depends on every published mart, so the blocking Great
Expectations checks on those marts gate it: when one fails, this step does not run and the
published file stays byte-identical. The step then

1. records the as-of date's rows of ``agent_leaderboard`` and ``team_kpis`` in
   ``agent_leaderboard_history`` / ``team_kpis_history`` (warehouse database, rows of that
   date replaced: idempotent), and
2. copies the marts and the history into a new published file, swapped in by atomic rename
   (``ochre_analytics.publish.publish``).

When the gate's checks did not all run and pass in the same run (e.g. only
``published_leaderboard`` selected in the UI), this step audits the build itself first:
nothing is published unaudited. It asks the run's own check evaluations.
"""


import datetime as dt
from collections.abc import Iterator

import dagster as dg
import duckdb

from ochre_analytics import progress
from ochre_analytics.config import HISTORY_TABLES, PUBLISHED_TABLES, Settings
from ochre_analytics.pipeline import PUBLISHED_ASSET
from ochre_analytics.publish import (
    empty_windows_note,
    publish,
    published_as_of,
    record_history,
    staged_path,
)

from ..checks.assets import gate_passed_in_run
from ..checks.audit import audit, build_settings, require_passed
from ..failures import reported
from ..partitions import run_dates
from ..resources import WAREHOUSE_POOL, OchreSettings, WarehouseHold

PUBLISH_NODE = "publish_leaderboard"
PUBLISHED_KEY = dg.AssetKey(PUBLISHED_ASSET)


def publish_specs() -> list[dg.AssetSpec]:
    history = [
        dg.AssetSpec(
            key=dg.AssetKey(name),
            deps=[dg.AssetKey(mart)],
            group_name="publish",
            kinds={"duckdb"},
            description=(
                f"Every audited as-of date's {mart} (warehouse database), incremental on "
                "as_of_date: the rows of a date are replaced when it is published again."
            ),
        )
        for name, mart in HISTORY_TABLES.items()
    ]
    published = dg.AssetSpec(
        key=PUBLISHED_KEY,
        deps=[
            *(dg.AssetKey(t) for t in PUBLISHED_TABLES),
            *(dg.AssetKey(name) for name in HISTORY_TABLES),
        ],
        group_name="publish",
        kinds={"duckdb"},
        description=(
            "`<warehouse>/published/leaderboard.duckdb`: the latest as-of date's marts plus "
            "the history tables; what the UI, the API and BI read. Replaced atomically, only "
            "after every blocking check passed."
        ),
    )
    return [*history, published]


def build_publish_assets(partitions_def: dg.PartitionsDefinition) -> dg.AssetsDefinition:
    @dg.multi_asset(
        name=PUBLISH_NODE,
        specs=publish_specs(),
        partitions_def=partitions_def,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description="Record the history rows of the as-of date and publish the leaderboard file.",
        pool=WAREHOUSE_POOL,
    )
    def publish_leaderboard(
        context: dg.AssetExecutionContext,
        ochre: OchreSettings,
        warehouse_lock: dg.ResourceParam[WarehouseHold],
    ) -> Iterator[dg.MaterializeResult]:
        warehouse_lock.hold()
        settings = ochre.settings()
        with reported():
            yield from _publish(context, settings, run_dates(context)[-1])

    return publish_leaderboard


def _publish(
    context: dg.AssetExecutionContext, settings: Settings, as_of: dt.date
) -> Iterator[dg.MaterializeResult]:
    audited = build_settings(settings)
    if not gate_passed_in_run(context):
        context.log.warning("the checks did not run in this run: auditing the build first")
        with progress.step("audit"):
            require_passed(audit(audited, as_of))
    with progress.step("publish"):
        rows = record_history(audited, as_of)
        path = publish(audited, as_of, staged=staged_path(audited, context.run.run_id))
    note = empty_windows_note(audited, as_of)
    if note:
        progress.say(f"warning: {note}")
        context.log.warning(note)
    for name, count in rows.items():
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(name),
            metadata={
                "as_of_date": as_of.isoformat(),
                "rows_recorded": dg.MetadataValue.int(count),
                "as_of_dates_kept": dg.MetadataValue.int(_count_dates(settings, name)),
            },
        )
    published = published_as_of(path)
    if published != as_of:
        context.log.warning(
            f"{published} is already published, newer than {as_of}: the history tables were "
            "updated, the published marts stay those of the newer date"
        )
    yield dg.MaterializeResult(
        asset_key=PUBLISHED_KEY,
        metadata={
            "as_of_date": as_of.isoformat(),
            "published_as_of_date": str(published),
            "path": dg.MetadataValue.path(str(path)),
            "bytes": dg.MetadataValue.int(path.stat().st_size),
            "engine": settings.target,
        },
    )


def _count_dates(settings: Settings, table: str) -> int:
    con = duckdb.connect(":memory:")
    try:
        db = str(settings.history_db).replace("'", "''")
        con.execute(f"attach '{db}' as history (read_only)")
        sql = f'select count(distinct as_of_date) from history.main."{table}"'
        return int(con.execute(sql).fetchone()[0])
    finally:
        con.close()
