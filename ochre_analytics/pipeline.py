"""The nightly run: check landing -> dbt build -> audit -> publish, as one Dagster job.

``ochre-analytics run`` executes the Dagster job of the code location
(``orchestration``, job ``ochre_nightly``) in-process for the as-of date's
partition, so the CLI, the nightly schedule and a click in the UI do the same
work. This module holds what the job's steps share with the CLI: the progress
lines (``==> step``), the failure type (:class:`PipelineError`), the audit
(Great Expectations suites of ``data_checks`` on the build database) and
:func:`run_pipeline` itself.

Write-audit-publish: dbt builds into the warehouse database (the staging
area); the audit reads it through read-only connections; only a clean audit
records the as-of date's history rows and copies the marts into the published
file, by atomic rename. A failed step leaves the published file untouched.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from .config import PUBLISHED_TABLES, Settings
from .landing import EntityFiles, inspect_landing

if TYPE_CHECKING:
    from data_checks import ValidationReport

NIGHTLY_JOB = "ochre_nightly"
PUBLISH_NODE = "publish_leaderboard"


class PipelineError(RuntimeError):
    """A step failed; `lines` says what, one finding per line."""

    def __init__(self, step: str, lines: list[str]) -> None:
        super().__init__(f"{step} failed: " + "; ".join(lines))
        self.step = step
        self.lines = lines


@dataclass
class RunResult:
    as_of: dt.date | None
    published: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    dates: list[dt.date] = field(default_factory=list)
    run_id: str | None = None


class Steps:
    """Prints '==> step' lines with durations; collects timings."""

    def __init__(self, result: RunResult, out: TextIO) -> None:
        self.result = result
        self.out = out
        self._open: tuple[str, float] | None = None

    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[None]:
        self.close_open()
        started = self._start(name)
        try:
            yield
        finally:
            self._finish(name, started)

    def open(self, name: str) -> None:
        """A step that ends when the next step starts (or at close_open()): for work done
        by code this module does not wrap, such as Dagster starting a run."""
        self.close_open()
        self._open = (name, self._start(name))

    def close_open(self) -> None:
        if self._open is not None:
            name, started = self._open
            self._open = None
            self._finish(name, started)

    def _start(self, name: str) -> float:
        print(f"==> {name}", file=self.out, flush=True)
        return time.monotonic()

    def _finish(self, name: str, started: float) -> None:
        took = time.monotonic() - started
        self.result.timings[name] = self.result.timings.get(name, 0.0) + took
        print(f"    {name}: {took:.1f}s", file=self.out, flush=True)

    def run(self, name: str, fn: Callable[[], object]) -> object:
        with self.step(name):
            return fn()

    def say(self, line: str) -> None:
        print(line, file=self.out, flush=True)


# -- process-local reporting ---------------------------------------------------------------
# The job's steps print through current_steps(): to the CLI's stream when run_pipeline runs
# the job in this process, else to stderr (captured in Dagster's compute logs). A step that
# fails records its exception for run_pipeline, which re-raises it with its lines intact.

_active_steps: Steps | None = None
_failures: dict[str, BaseException] = {}


def current_steps() -> Steps:
    return _active_steps or Steps(RunResult(as_of=None), sys.stderr)


@contextlib.contextmanager
def reporting_to(steps: Steps) -> Iterator[Steps]:
    global _active_steps
    previous, _active_steps = _active_steps, steps
    try:
        yield steps
    finally:
        _active_steps = previous


def record_failure(run_id: str, exc: BaseException) -> None:
    """Keep the first failure of a run (the cause; later ones are consequences)."""
    _failures.setdefault(run_id, exc)


def take_failure(run_id: str) -> BaseException | None:
    return _failures.pop(run_id, None)


# -- the work of the steps -----------------------------------------------------------------


def check_landing(settings: Settings, *, full_refresh: bool = False) -> dict[str, EntityFiles]:
    """The landing folder exists, holds records, its new files read, and the files loaded
    before are unchanged (LandingError if not). A full refresh loads every file again, so
    every file is read and none is compared with the load log."""
    return inspect_landing(
        settings.landing_dir,
        build_db=None if full_refresh else settings.warehouse_db,
        repairs_dir=settings.landing_repairs_dir,
    )


def build_settings(settings: Settings) -> Settings:
    """The settings the audit and publish read the build with (the Spark export on spark)."""
    if settings.target == "spark":
        from .spark_publish import spark_build_settings

        return spark_build_settings(settings)
    return settings


def audit(
    settings: Settings, as_of: dt.date, *, tables: tuple[str, ...] = PUBLISHED_TABLES
) -> ValidationReport:
    """Run the Great Expectations suites of the published tables on the build database.

    Results (JSON, HTML summary, Data Docs) go to ``<warehouse>/validation/<as-of>/``.
    Never raises for a data problem; the caller decides on ``report.passed``.
    """
    from .publish import published_at

    data_checks = _import_data_checks()
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


def prefetch_data_checks() -> None:
    """Import ``data_checks`` (Great Expectations, several seconds) in a background thread,
    so the import overlaps the dbt build (a child process) instead of delaying the audit."""
    if "data_checks" in sys.modules:
        return

    def _load() -> None:
        with contextlib.suppress(Exception):  # the audit imports it again and reports
            _import_data_checks()

    threading.Thread(target=_load, name="import-data-checks", daemon=True).start()


def _import_data_checks() -> Any:
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


def require_passed(report: ValidationReport) -> list[str]:
    """PipelineError('audit', one line per failed expectation) unless the audit passed.

    Returns the warning lines (non-blocking checks that failed).
    """
    if not report.passed:
        lines = report.failure_lines() or ["no data checks ran: nothing was validated"]
        raise PipelineError("audit", lines)
    return [f"warning: {r.line()}" for r in report.warnings]


# -- the CLI entry point ---------------------------------------------------------------------


def run_pipeline(
    settings: Settings,
    as_of: dt.date,
    *,
    full_refresh: bool = False,
    out: TextIO | None = None,
    through: dt.date | None = None,
) -> RunResult:
    """Run the Dagster job ``ochre_nightly`` in-process for the partition `as_of`.

    With `through`, one run over the partitions ``as_of .. through`` (a single-run backfill:
    every date is built, audited and recorded in the history, in order; the published file
    ends at `through`). Raises PipelineError / LandingError / PublishError on failure; the
    published file is then unchanged.
    """
    out = out or sys.stderr
    end = through or as_of
    if end < as_of:
        from .config import ConfigError

        raise ConfigError(f"the range {as_of}..{end} is empty")
    result = RunResult(as_of=end)
    result.dates = [as_of + dt.timedelta(days=n) for n in range((end - as_of).days + 1)]
    steps = Steps(result, out)
    span = f"{as_of}" if end == as_of else f"{as_of} .. {end}"
    print(
        f"ochre-analytics run: as of {span}, landing {settings.landing_dir}, "
        f"warehouse {settings.warehouse_dir}, target {settings.target}",
        file=out,
        flush=True,
    )
    with steps.step("load the Dagster job"):
        from orchestration.definitions import nightly_job_for

        job = nightly_job_for(as_of)
    outcome = _execute(job, settings, as_of, end, full_refresh=full_refresh, steps=steps)
    result.run_id = outcome.run_id
    if not outcome.success:
        raise take_failure(outcome.run_id) or _failure_from_events(outcome)
    take_failure(outcome.run_id)
    published = {
        m.asset_key.to_user_string()
        for m in outcome.asset_materializations_for_node(PUBLISH_NODE)
    }
    if "published_leaderboard" not in published:
        raise PipelineError("publish", [f"Dagster run {outcome.run_id} did not publish"])
    for line in result.warnings:
        print(line, file=out)
    result.published = True
    from .publish import published_as_of

    shown = published_as_of(settings.published_db)
    if shown is not None and shown > end:
        print(f"history recorded; {shown} stays published (newer than {end})", file=out)
    print(f"published {settings.published_db}", file=out, flush=True)
    return result


def _instance() -> Any:
    """The Dagster instance of $DAGSTER_HOME (runs show up in the UI), else an ephemeral one."""
    from dagster import DagsterInstance

    if os.environ.get("DAGSTER_HOME"):
        return DagsterInstance.get()
    return DagsterInstance.ephemeral()


def _execute(
    job: Any,
    settings: Settings,
    start: dt.date,
    end: dt.date,
    *,
    full_refresh: bool,
    steps: Steps,
) -> Any:
    import dagster as dg

    from orchestration.defs.resources import run_config_for

    tags = {"ochre/trigger": "cli"}
    partition_key: str | None = start.isoformat()
    if end != start:
        partition_key = None
        tags["dagster/asset_partition_range_start"] = start.isoformat()
        tags["dagster/asset_partition_range_end"] = end.isoformat()
    # Partitions exist up to yesterday; the CLI may run any as-of date (e.g. today).
    now = dt.datetime.now(dt.UTC)
    effective = max(now, dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), dt.UTC))
    log_dir = settings.warehouse_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    # dagster-dbt echoes every dbt event on stdout: into a log file, the progress lines go to
    # the `out` stream. The first step line covers Dagster's set-up of the run (instance, run
    # record, plan) up to the job's first step.
    run_config = run_config_for(settings, full_refresh=full_refresh, log_level="CRITICAL")
    steps.open("start the Dagster run")
    try:
        with (
            open(log_dir / "dagster-run.log", "a") as log,
            contextlib.redirect_stdout(log),
            reporting_to(steps),
            dg.partition_loading_context(effective_dt=effective),
            _instance() as instance,
        ):
            print(f"--- {dt.datetime.now(dt.UTC).isoformat()} as of {start}..{end}", file=log)
            return job.execute_in_process(
                run_config=run_config,
                instance=instance,
                partition_key=partition_key,
                tags=tags,
                raise_on_error=False,
            )
    finally:
        steps.close_open()


def _failure_from_events(outcome: Any) -> PipelineError:
    """A PipelineError naming the failed step(s), for failures no step recorded."""
    lines = []
    for event in outcome.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            error = event.step_failure_data.error
            cause = error.cause if error is not None and error.cause is not None else error
            message = " ".join((cause.message if cause else "unknown error").split())
            lines.append(f"{event.step_key}: {message}")
    if not lines:
        lines = [f"Dagster run {outcome.run_id} failed"]
    return PipelineError("run", lines)


def validation_paths(settings: Settings, as_of: dt.date) -> dict[str, Path]:
    """Where the audit of `as_of` writes its reports."""
    out = settings.validation_dir(as_of)
    return {
        "summary": out / "index.html",
        "data_docs": out / "data_docs" / "index.html",
        "json": out / "results.json",
    }
