"""The Great Expectations gate as blocking asset checks: one per published table.

One step validates the build database once (``data_checks.validate`` on pandas batches read
through read-only DuckDB connections, one GE context, one Data Docs site) and reports one
check per published table. The checks are blocking with severity ERROR: a failed check
fails this step and ``published_leaderboard`` does not run, so nothing is published. A check
that raises counts as failed (fail closed): every table's check fails with the error.

Each result carries the failing lines (``table, column, expectation, observed value``) and
the paths of the HTML summary and the Data Docs under ``<warehouse>/validation/<as-of>/``.
"""


import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg

from ochre_analytics.config import PUBLISHED_TABLES, Settings
from ochre_analytics.pipeline import (
    PipelineError,
    audit,
    build_settings,
    current_steps,
    record_failure,
    validation_paths,
)

from ..partitions import run_dates
from ..resources import OchreSettings

CHECK_NAME = "great_expectations"
AUDIT_TOKEN = "audit_passed.json"

CHECK_SPECS = [
    dg.AssetCheckSpec(
        name=CHECK_NAME,
        asset=dg.AssetKey(table),
        blocking=True,
        description=(
            f"Great Expectations suite of {table} (data_checks): schema, keys, ranges, "
            "consistency, freshness for the as-of date"
            + (", rejected share per entity under the threshold" if table == "rejected_records"
               else "")
            + ". Blocks the publish."
        ),
    )
    for table in PUBLISHED_TABLES
]
CHECK_KEYS = [spec.key for spec in CHECK_SPECS]


def audit_token(settings: Settings, as_of: dt.date) -> Path:
    return settings.validation_dir(as_of) / AUDIT_TOKEN


def write_audit_token(settings: Settings, as_of: dt.date, run_id: str) -> None:
    """Says which run audited the build of `as_of` (the publish step asks for its own run)."""
    path = audit_token(settings, as_of)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"run_id": run_id, "as_of_date": as_of.isoformat()}))


def audited_in_run(settings: Settings, as_of: dt.date, run_id: str) -> bool:
    try:
        token = json.loads(audit_token(settings, as_of).read_text())
    except (OSError, ValueError):
        return False
    return token.get("run_id") == run_id and token.get("as_of_date") == as_of.isoformat()


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
        current_steps().result.warnings += [f"warning: {w}" for w in warnings]
    return out, all_lines


@dg.multi_asset_check(
    specs=CHECK_SPECS,
    name="great_expectations_gate",
    description="Great Expectations suites of the published tables, on the build database.",
)
def great_expectations_gate(
    context: dg.AssetCheckExecutionContext, ochre: OchreSettings
) -> Iterator[dg.AssetCheckResult]:
    settings = ochre.settings()
    as_of = run_dates(context)[-1]
    steps = current_steps()
    with steps.step("audit"):
        results, lines = _results(context, settings, as_of)
    if lines:
        context.log.error("data checks failed:\n" + "\n".join(lines))
        record_failure(context.run.run_id, PipelineError("audit", lines))
    else:
        write_audit_token(settings, as_of, context.run.run_id)
    yield from results
