"""``ochre-analytics run``: the nightly job of the Dagster code location, run in this process.

The pipeline (check landing -> dbt build -> audit -> publish) is the job ``ochre_nightly`` of
the code location ``orchestration.definitions``, which owns its steps. This module is the
CLI's client of that code location, as ``dagster job execute -m`` would be: it loads the
code location *by module name* through Dagster's code pointer (the way ``dagster dev -m``
loads it; ``ochre_analytics`` never imports ``orchestration``), hands the settings to the
job as the config of its ``ochre`` resource, runs the as-of date's partition (or a range of
partitions, as one run) in this process, and reads what happened from the run's own events:

- progress: each step prints its ``==> step`` lines (:mod:`ochre_analytics.progress`);
  the run's first ``STEP_START`` event ends the line of Dagster's own start-up;
- failure: a step that fails raises ``dagster.Failure`` whose metadata carries the step
  and the finding lines (:class:`~ochre_analytics.errors.PipelineError`); anything else
  becomes one line naming the step and the error;
- success: the run materialized ``published_leaderboard``.

Nothing is imported from Dagster before a run starts (``import ochre_analytics.cli`` stays
light). Write-audit-publish holds in the job: a failed step leaves the published file as it
was.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from . import progress
from .config import PROJECT_DIR, ConfigError, Settings
from .errors import PipelineError
from .landing import LandingError

if TYPE_CHECKING:
    import dagster as dg

CODE_LOCATION = "orchestration.definitions"
"""The module of the Dagster code location (``dagster dev -m orchestration.definitions``)."""
CODE_LOCATION_ATTR = "defs"
NIGHTLY_JOB = "ochre_nightly"
SETTINGS_RESOURCE = "ochre"
"""The job's resource whose config is :meth:`Settings.as_config` (plus ``full_refresh``)."""
PUBLISHED_ASSET = "published_leaderboard"
LANDING_STEP = "landing"
"""Findings of this step are a landing problem (:class:`LandingError`, a usage error)."""

__all__ = ["NIGHTLY_JOB", "PipelineError", "RunResult", "run_pipeline"]


@dataclass
class RunResult:
    as_of: dt.date
    published: bool = False
    dates: list[dt.date] = field(default_factory=list)
    run_id: str | None = None


def run_pipeline(
    settings: Settings,
    as_of: dt.date,
    *,
    full_refresh: bool = False,
    out: TextIO | None = None,
    through: dt.date | None = None,
) -> RunResult:
    """Run the job ``ochre_nightly`` in this process for the partition `as_of`.

    With `through`, one run over the partitions ``as_of .. through`` (a single-run backfill:
    every date is built, audited and recorded in the history, in order; the published file
    ends at `through`). Raises PipelineError / LandingError / ConfigError on failure; the
    published file is then unchanged.
    """
    out = out or sys.stderr
    end = through or as_of
    if end < as_of:
        raise ConfigError(f"the range {as_of}..{end} is empty")
    result = RunResult(as_of=end, dates=[as_of + dt.timedelta(days=n)
                                         for n in range((end - as_of).days + 1)])
    span = f"{as_of}" if end == as_of else f"{as_of} .. {end}"
    progress.say(
        f"ochre-analytics run: as of {span}, landing {settings.landing_dir}, "
        f"warehouse {settings.warehouse_dir}, target {settings.target}",
        out,
    )
    with progress.step("load the Dagster job", out):
        job = load_job()
    _check_partitions(job, as_of)
    outcome = _execute(job, settings, as_of, end, full_refresh=full_refresh, out=out)
    result.run_id = outcome.run_id
    if not outcome.success:
        raise _failure(outcome)
    if PUBLISHED_ASSET not in _materialized(outcome):
        raise PipelineError("publish", [f"Dagster run {outcome.run_id} did not publish"])
    result.published = True
    from .publish import published_as_of

    shown = published_as_of(settings.published_db)
    if shown is not None and shown > end:
        progress.say(f"history recorded; {shown} stays published (newer than {end})", out)
    progress.say(f"published {settings.published_db}", out)
    return result


def load_job(module: str = CODE_LOCATION, name: str = NIGHTLY_JOB) -> dg.JobDefinition:
    """The job `name` of the code location in `module`, loaded by Dagster's code pointer
    (what ``dagster dev -m <module>`` and ``dagster job execute -m <module>`` load)."""
    from dagster._core.definitions.reconstruct import ReconstructableRepository

    pointer = ReconstructableRepository.for_module(
        module, CODE_LOCATION_ATTR, working_directory=str(PROJECT_DIR)
    )
    return pointer.get_definition().get_job(name)


def run_config(settings: Settings, *, full_refresh: bool = False) -> dict[str, Any]:
    """Run config that hands `settings` to the job's ``ochre`` resource; Dagster's console
    logger is quiet (the steps print their own progress lines)."""
    config = {**settings.as_config(), "full_refresh": full_refresh}
    return {
        "resources": {SETTINGS_RESOURCE: {"config": config}},
        "loggers": {"console": {"config": {"log_level": "CRITICAL"}}},
    }


def _check_partitions(job: dg.JobDefinition, as_of: dt.date) -> None:
    first = job.partitions_def.get_first_partition_key() if job.partitions_def else None
    if first is not None and as_of.isoformat() < first:
        raise ConfigError(
            f"--as-of {as_of} is before the first partition {first}: set "
            f"OCHRE_PARTITIONS_START to {as_of} or earlier"
        )


POOLED_EVENT_LOG = "orchestration.storage", "PooledSqliteEventLogStorage"
"""The code location's event log storage class: Dagster's SQLite one with kept connections."""
_STORAGE_KEYS = ("storage", "run_storage", "event_log_storage", "schedule_storage")


def _instance(settings: Settings) -> Any:
    """The warehouse's Dagster instance, the one ``make dev`` serves (``DAGSTER_HOME``, else
    ``<warehouse>/dagster``, with the repository's ``dagster.yaml``): every run shows in the UI.

    When that ``dagster.yaml`` names no storage (Dagster's SQLite files), the run writes its
    events through :data:`POOLED_EVENT_LOG`: the same files, a few seconds less per run.
    """
    import yaml
    from dagster import DagsterInstance
    from dagster._core.instance.ref import InstanceRef

    from .config import prepare_dagster_home

    home = prepare_dagster_home(settings.warehouse_dir)
    config = yaml.safe_load((home / "dagster.yaml").read_text()) or {}
    overrides: dict[str, Any] = {}
    if not any(key in config for key in _STORAGE_KEYS):
        module, name = POOLED_EVENT_LOG
        overrides["event_log_storage"] = {
            "module": module,
            "class": name,
            "config": {"base_dir": str(home / "history" / "runs")},
        }
    return DagsterInstance.from_ref(InstanceRef.from_dir(str(home), overrides=overrides))


def _execute(
    job: dg.JobDefinition,
    settings: Settings,
    start: dt.date,
    end: dt.date,
    *,
    full_refresh: bool,
    out: TextIO,
) -> dg.ExecuteInProcessResult:
    import dagster as dg
    from dagster._core.storage.tags import (
        ASSET_PARTITION_RANGE_END_TAG,
        ASSET_PARTITION_RANGE_START_TAG,
    )

    tags = {"ochre/trigger": "cli"}
    partition_key: str | None = start.isoformat()
    if end != start:  # execute_in_process takes one key; a range is given by its run tags
        partition_key = None
        tags[ASSET_PARTITION_RANGE_START_TAG] = start.isoformat()
        tags[ASSET_PARTITION_RANGE_END_TAG] = end.isoformat()
    # Partitions exist up to yesterday; the CLI may run any as-of date (e.g. today).
    now = dt.datetime.now(dt.UTC)
    effective = max(now, dt.datetime.combine(end + dt.timedelta(days=2), dt.time(), dt.UTC))
    log_dir = settings.warehouse_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    run_id = str(uuid.uuid4())
    # "start the Dagster run" covers Dagster's set-up of the run (run record, plan,
    # resources) up to the job's first step, told by the run's first STEP_START event.
    starting = progress.start("start the Dagster run", out)
    started: list[bool] = []

    def on_event(entry: Any) -> None:
        event = entry.dagster_event
        if not started and event is not None and event.is_step_start:
            started.append(True)
            progress.finish("start the Dagster run", starting, out)

    try:
        # dagster-dbt echoes every dbt event on stdout: into a log file; the progress lines
        # go to `out`.
        with (
            open(log_dir / "dagster-run.log", "a") as log,
            contextlib.redirect_stdout(log),
            _python_logging_to(log),
            dg.partition_loading_context(effective_dt=effective),
            _instance(settings) as instance,
        ):
            print(f"--- {dt.datetime.now(dt.UTC).isoformat()} as of {start}..{end}", file=log)
            instance.add_event_listener(run_id, on_event)
            return job.execute_in_process(
                run_config=run_config(settings, full_refresh=full_refresh),
                instance=instance,
                partition_key=partition_key,
                run_id=run_id,
                tags=tags,
                raise_on_error=False,
            )
    finally:
        if not started:
            progress.finish("start the Dagster run", starting, out)


@contextlib.contextmanager
def _python_logging_to(log: TextIO) -> Iterator[None]:
    """The warnings libraries log through Python's ``logging`` (with their tracebacks, e.g.
    a data check that could not write its report) go to the run's log file, not to the
    terminal: the run's output is the progress lines and one line per finding."""
    handler = logging.StreamHandler(log)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _materialized(outcome: dg.ExecuteInProcessResult) -> set[str]:
    return {
        event.asset_key.to_user_string()
        for event in outcome.all_events
        if event.is_step_materialization and event.asset_key is not None
    }


def _failure(outcome: dg.ExecuteInProcessResult) -> Exception:
    """The run's first failure, from its events: the findings a step reported, else one
    line per failed step (its error), else the run's own failure message."""
    lines: list[str] = []
    for event in outcome.all_events:
        if event.is_step_failure and event.step_failure_data is not None:
            data = event.step_failure_data
            reported = data.user_failure_data
            error = reported and PipelineError.from_metadata(reported.metadata or {})
            if error:
                if error.step == LANDING_STEP:
                    return LandingError(" ".join(error.lines))
                return error
            cause = data.error.cause if data.error and data.error.cause else data.error
            message = " ".join((cause.message if cause else "unknown error").split())
            lines.append(f"{event.step_key}: {message}")
        elif event.is_run_failure and not lines:
            message = event.message or f"Dagster run {outcome.run_id} failed"
            lines.append(" ".join(message.split()))
    return PipelineError("run", lines or [f"Dagster run {outcome.run_id} failed"])
