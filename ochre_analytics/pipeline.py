"""The nightly run: check landing -> dbt build -> audit -> publish.

Write-audit-publish: dbt builds into the warehouse database (the staging
area); the audit reads it through read-only connections; only a clean audit
copies the marts into the published file, by atomic rename. A failed step
leaves the published file untouched.
"""

from __future__ import annotations

import datetime as dt
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TextIO

import duckdb

from .config import Settings
from .dbt import ProgressPrinter, run_dbt
from .landing import inspect_landing
from .publish import publish


class PipelineError(RuntimeError):
    """A step failed; `lines` says what, one finding per line."""

    def __init__(self, step: str, lines: list[str]) -> None:
        super().__init__(f"{step} failed: " + "; ".join(lines))
        self.step = step
        self.lines = lines


@dataclass
class RunResult:
    as_of: dt.date
    published: bool = False
    timings: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)


class Steps:
    """Prints '==> step' lines with durations; collects timings."""

    def __init__(self, result: RunResult, out: TextIO) -> None:
        self.result = result
        self.out = out

    def run(self, name: str, fn: Callable[[], object]) -> object:
        print(f"==> {name}", file=self.out, flush=True)
        started = time.monotonic()
        try:
            return fn()
        finally:
            took = time.monotonic() - started
            self.result.timings[name] = took
            print(f"    {name}: {took:.1f}s", file=self.out, flush=True)


def rejected_share_findings(settings: Settings) -> list[str]:
    """Entities whose rejected share is over the threshold, one line each."""
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    try:
        rows = con.execute(
            "select entity, records_read, records_rejected, rejected_share "
            "from main.rejected_share_by_entity order by entity"
        ).fetchall()
    finally:
        con.close()
    return [
        f"{entity}: {share * 100:.1f} % of {read:,} records rejected "
        f"(threshold {settings.rejected_threshold * 100:.1f} %)"
        for entity, read, rejected, share in rows
        if share > settings.rejected_threshold
    ]


def build(settings: Settings, as_of: dt.date, *, full_refresh: bool, out: TextIO) -> None:
    args = ["build"] + (["--full-refresh"] if full_refresh else [])
    progress = ProgressPrinter(out)
    outcome = run_dbt(args, settings, dbt_vars=settings.dbt_vars(as_of), callbacks=[progress])
    print(f"    {progress.summary()}", file=out, flush=True)
    if not outcome.success:
        lines = outcome.failures or [outcome.exception or "dbt build failed"]
        raise PipelineError("build", lines)


def audit(settings: Settings, as_of: dt.date) -> list[str]:
    """Blocking checks on the build database; returns non-blocking warnings."""
    findings = rejected_share_findings(settings)
    if findings:
        raise PipelineError("audit", findings)
    return []


def run_pipeline(
    settings: Settings,
    as_of: dt.date,
    *,
    full_refresh: bool = False,
    out: TextIO | None = None,
) -> RunResult:
    out = out or sys.stderr
    result = RunResult(as_of=as_of)
    steps = Steps(result, out)
    print(
        f"ochre-analytics run: as of {as_of}, landing {settings.landing_dir}, "
        f"warehouse {settings.warehouse_dir}, target {settings.target}",
        file=out,
    )
    steps.run("check landing files", lambda: inspect_landing(settings.landing_dir))
    steps.run("build (dbt build)", lambda: build(settings, as_of, full_refresh=full_refresh, out=out))
    result.warnings = steps.run("audit", lambda: audit(settings, as_of))  # type: ignore[assignment]
    steps.run("publish", lambda: publish(settings, as_of))
    result.published = True
    print(f"published {settings.published_db}", file=out)
    return result
