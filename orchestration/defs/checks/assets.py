"""The Great Expectations gate as blocking asset checks: one per published table.

One step validates the build database once (``data_checks.validate`` on pandas batches read
through read-only DuckDB connections, one GE context, one Data Docs site) and reports one
check per published table. The checks are blocking with severity ERROR: a failed check
fails this step and ``published_leaderboard`` does not run, so nothing is published. A check
that raises counts as failed (fail closed): every table's check fails with the error.

Each result carries the failing lines (``table, column, expectation, observed value``) and
the paths of the HTML summary and the Data Docs under ``<warehouse>/validation/<as-of>/``.
When a check failed, the step then fails with those lines as its findings
(``orchestration/defs/failures.py``), which ``ochre-analytics run`` prints.

Whether the gate passed in a run is read from that run's own check evaluations
(:func:`gate_passed_in_run`): the publish step asks it, no file or process state.
"""


import datetime as dt
from collections.abc import Iterator
from typing import Any

import dagster as dg

from ochre_analytics import progress
from ochre_analytics.config import PUBLISHED_TABLES, Settings
from ochre_analytics.errors import PipelineError
from ochre_analytics.publish import remove_staged, staging_marts

from ..failures import failure
from ..partitions import run_dates
from ..resources import WAREHOUSE_POOL, OchreSettings, WarehouseHold
from .audit import audit, build_settings, validation_paths

CHECK_NAME = "great_expectations"

CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=CHECK_NAME,
        asset=dg.AssetKey(table),
        blocking=True,
        description=(
            f"Great Expectations suite of {table} (data_checks): schema, keys, ranges, "
            "consistency, freshness for the as-of date"
            + (", every record read accounted for, rejected share per entity (files loaded "
               "since the last publish) under the threshold" if table == "landing_file_loads"
               else "")
            + ". Blocks the publish."
        ),
    )
    for table in PUBLISHED_TABLES
]
CHECK_KEYS = [spec.key for spec in CHECK_SPECS]


def gate_passed_in_run(context: dg.AssetExecutionContext) -> bool:
    """Whether every check of the gate ran in this run and passed (its check evaluations)."""
    records = context.instance.get_records_for_run(
        context.run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION
    ).records
    passed = set()
    for record in records:
        event = record.event_log_entry.dagster_event
        evaluation = event.event_specific_data if event is not None else None
        if evaluation is not None and evaluation.passed:
            passed.add(evaluation.asset_check_key)
    return set(CHECK_KEYS) <= passed


def _metadata(
    settings: Settings, as_of: dt.date, lines: list[str], warnings: list[str], checks: int
) -> dict[str, Any]:
    paths = validation_paths(settings, as_of)
    metadata: dict[str, Any] = {
        "as_of_date": as_of.isoformat(),
        "expectations": dg.MetadataValue.int(checks),
        "failed": dg.MetadataValue.int(len(lines)),
        "warnings": dg.MetadataValue.int(len(warnings)),
        "report": dg.MetadataValue.path(str(paths["summary"])),
        "data_docs": dg.MetadataValue.path(str(paths["data_docs"])),
        "data_docs_url": dg.MetadataValue.url(paths["data_docs"].as_uri()),
    }
    if lines:
        metadata["failures"] = dg.MetadataValue.md(
            "\n".join(f"- `{line}`" for line in lines[:200])
            + (f"\n- ... {len(lines) - 200} more" if len(lines) > 200 else "")
        )
        metadata["failure_lines"] = dg.MetadataValue.json(lines)
    if warnings:
        metadata["warning_lines"] = dg.MetadataValue.json(warnings)
    return metadata


def _results(
    context: dg.AssetCheckExecutionContext, settings: Settings, as_of: dt.date
) -> tuple[list[dg.AssetCheckResult], list[str]]:
    """One result per published table, and every failure line."""
    try:
        report = audit(build_settings(settings), as_of, tables=PUBLISHED_TABLES)
        results = list(report.results)
        error = None
    except Exception as exc:  # noqa: BLE001 - fail closed: a check that raises has failed
        context.log.exception("data checks raised")
        results = []
        error = f"(all tables), -, data_checks.validate, error: {type(exc).__name__}: " + " ".join(
            str(exc).split()
        )
    by_table: dict[str, list] = {table: [] for table in PUBLISHED_TABLES}
    other_failures: list[str] = []  # e.g. the report could not be written: fails every table
    for r in results:
        if r.table in by_table:
            by_table[r.table].append(r)
        elif r.blocking and not r.success:
            other_failures.append(r.line())
    if error:
        other_failures.append(error)
    out: list[dg.AssetCheckResult] = []
    all_lines: list[str] = []
    for table, table_results in by_table.items():
        lines = [r.line() for r in table_results if r.blocking and not r.success]
        lines += other_failures
        if not table_results and not other_failures:
            lines.append(f"{table}, -, data_checks, error: no expectation ran on this table")
        warnings = [r.line() for r in table_results if not r.blocking and not r.success]
        all_lines += [line for line in lines if line not in all_lines]
        out.append(
            dg.AssetCheckResult(
                asset_key=dg.AssetKey(table),
                check_name=CHECK_NAME,
                passed=not lines,
                severity=dg.AssetCheckSeverity.ERROR,
                description=(
                    f"{len(lines)} failed expectation(s)" if lines else "every expectation passed"
                ),
                metadata=_metadata(settings, as_of, lines, warnings, len(table_results)),
            )
        )
        for line in warnings:
            progress.say(f"warning: {line}")
    return out, all_lines


@dg.multi_asset_check(
    specs=CHECK_SPECS,
    name="great_expectations_gate",
    description="Great Expectations suites of the published tables, on the build database.",
    pool=WAREHOUSE_POOL,
)
def great_expectations_gate(
    context: dg.AssetCheckExecutionContext,
    ochre: OchreSettings,
    warehouse_lock: dg.ResourceParam[WarehouseHold],
) -> Iterator[dg.AssetCheckResult]:
    warehouse_lock.hold()
    settings = ochre.settings()
    as_of = run_dates(context)[-1]
    audited = build_settings(settings)
    with progress.step("audit"), staging_marts(audited, as_of, context.run.run_id):
        # the marts' copy for the publish step is written meanwhile (ochre_analytics.publish)
        results, lines = _results(context, settings, as_of)
    if lines:
        remove_staged(audited)
    yield from results
    if lines:
        context.log.error("data checks failed:\n" + "\n".join(lines))
        raise failure(PipelineError("audit", lines))
