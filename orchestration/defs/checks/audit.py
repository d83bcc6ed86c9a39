"""The audit of a build: the Great Expectations suites of ``data_checks`` on the build database.

Write-audit-publish: dbt builds into the warehouse database (the staging area); the audit
reads it through read-only DuckDB connections (pandas batches: GE's SQL engine fails on
DuckDB); only a clean audit lets the publish step run.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
import threading
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ochre_analytics import progress
from ochre_analytics.config import PUBLISHED_TABLES, Settings
from ochre_analytics.errors import PipelineError

if TYPE_CHECKING:
    from data_checks import ValidationReport


def build_settings(settings: Settings) -> Settings:
    """The settings the audit and publish read the build with (the Spark export on spark)."""
    if settings.target == "spark":
        from ochre_analytics.spark_publish import spark_build_settings

        return spark_build_settings(settings)
    return settings


def audit(
    settings: Settings, as_of: dt.date, *, tables: tuple[str, ...] = PUBLISHED_TABLES
) -> ValidationReport:
    """Run the Great Expectations suites of the published tables on the build database.

    Results (JSON, HTML summary, Data Docs) go to ``<warehouse>/validation/<as-of>/``. The
    rejected-share gate covers the landing files loaded since the last publish. Never
    raises for a data problem; the caller decides on ``report.passed``.
    """
    from ochre_analytics.publish import published_at

    data_checks = import_data_checks()
    return data_checks.validate(
        settings.warehouse_db,
        as_of,
        threshold=settings.rejected_threshold,
        loaded_since=published_at(settings.published_db),
        out_dir=settings.validation_dir(as_of),
        tables=tables,
        duckdb_settings={
            "threads": settings.duckdb_threads,
            "memory_limit": settings.duckdb_memory_limit,
        },
    )


def require_passed(report: ValidationReport) -> None:
    """PipelineError('audit', one line per failed expectation) unless the audit passed;
    prints a ``warning:`` line per non-blocking check that failed."""
    if not report.passed:
        lines = report.failure_lines() or ["no data checks ran: nothing was validated"]
        raise PipelineError("audit", lines)
    for r in report.warnings:
        progress.say(f"warning: {r.line()}")


def validation_paths(settings: Settings, as_of: dt.date) -> dict[str, Path]:
    """Where the audit of `as_of` writes its reports."""
    out = settings.validation_dir(as_of)
    return {
        "summary": out / "index.html",
        "data_docs": out / "data_docs" / "index.html",
        "json": out / "results.json",
    }


def prefetch_data_checks() -> None:
    """Import ``data_checks`` (Great Expectations, several seconds) in a background thread,
    so the import overlaps the dbt build (a child process) instead of delaying the audit."""
    if "data_checks" in sys.modules:
        return

    def _load() -> None:
        with contextlib.suppress(Exception):  # the audit imports it again and reports
            import_data_checks()

    threading.Thread(target=_load, name="import-data-checks", daemon=True).start()


def import_data_checks() -> Any:
    """``import data_checks`` (Great Expectations), safe in every process.

    GE imports ``pyspark.sql.connect`` when PySpark is installed (the spark extra). PySpark
    takes a process whose ``__main__`` has neither ``__spec__`` nor ``__file__`` for a doctest
    run and calls ``sys.exit(0)`` on that import: that is the case of the step processes of
    Dagster's multiprocess executor (``dagster dev``, the UI). While GE is imported, such a
    ``__main__`` gets a placeholder ``__file__``; PySpark then raises an ImportError instead,
    which GE handles (no Spark Connect). It also silences PySpark's pandas-3 FutureWarning.
    """
    main = sys.modules.get("__main__")
    placeholder = (
        main is not None
        and getattr(main, "__spec__", None) is None
        and not hasattr(main, "__file__")
        and not hasattr(sys, "ps1")
    )
    try:
        if placeholder:
            main.__file__ = "<ochre-analytics>"  # type: ignore[union-attr]
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "PySpark does not yet", FutureWarning)
            import data_checks
    finally:
        if placeholder:
            del main.__file__  # type: ignore[union-attr]
    return data_checks
