"""The pipeline settings as a Dagster resource.

``ochre_analytics.config.Settings`` is the one place settings are defined; this resource's
fields are those settings (a test keeps them equal), plus ``full_refresh``. A field left
unset falls back to its environment variable and default (a run started by the schedule or
the UI); ``ochre-analytics run`` sets every field from its own settings
(``Settings.as_config()``), so a step sees exactly the settings of its caller.

``warehouse_lock`` holds the warehouse from the first step to the end of the run (the job
runs its steps in one process, ``jobs.py``): one run per warehouse, Dagster's and the CLI's
alike.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import dagster as dg
from pydantic import Field

from ochre_analytics import progress
from ochre_analytics.config import Settings
from ochre_analytics.lock import hold_warehouse
from ochre_analytics.pipeline import SETTINGS_RESOURCE
from ochre_analytics.warehouse import remove_leftovers


class OchreSettings(dg.ConfigurableResource):
    """Landing and warehouse folders, dbt target, audit threshold, full refresh."""

    landing_dir: str | None = Field(
        default=None, description="Landing folder (env OCHRE_LANDING_DIR, default ./data/landing)."
    )
    warehouse_dir: str | None = Field(
        default=None,
        description="Warehouse folder (env OCHRE_WAREHOUSE_DIR, default ./data/warehouse).",
    )
    target: str | None = Field(default=None, description="dbt target: duckdb or spark.")
    rejected_threshold: float | None = Field(
        default=None, description="Largest rejected share per entity that still publishes."
    )
    duckdb_threads: int | None = Field(default=None, description="DuckDB threads.")
    duckdb_memory_limit: str | None = Field(default=None, description="DuckDB memory limit.")
    deep_checks: bool | None = Field(
        default=None,
        description="Also run the dbt tests tagged `deep` and the unit tests "
        "(env OCHRE_DEEP_CHECKS, default off).",
    )
    extra_env: dict[str, str] = Field(
        default_factory=dict, description="Extra environment variables for dbt."
    )
    full_refresh: bool = Field(
        default=False,
        description="Rebuild incremental models from all landed data (the first date of a range).",
    )

    def settings(self) -> Settings:
        given = self.model_dump(exclude={"full_refresh"})
        if not given.get("extra_env"):
            given["extra_env"] = None
        return Settings.from_env(**given)


WAREHOUSE_LOCK = "warehouse_lock"
"""Resource key of the warehouse lock; every step of the job requires it."""
WAREHOUSE_POOL = "ochre_warehouse"
"""Dagster concurrency pool of the job's steps. With the instance's pool settings
``concurrency: pools: {granularity: run, default_limit: 1}`` (or ``dagster instance
concurrency set ochre_warehouse 1``), a second run stays queued until the first ends;
without them the ``warehouse_lock`` resource makes it wait in its first step."""


class WarehouseHold:
    """The run's hold on its warehouse: the first step that calls :meth:`hold` takes the lock
    (waiting while another run holds it) and removes what interrupted runs left behind; the
    lock is released when the resource is torn down, at the end of the run.

    Taken by the steps, not when the resource is set up: Dagster also sets up a run's
    resources where no step runs (e.g. to load outputs after the run), and those must not
    wait for the warehouse."""

    def __init__(self, settings: Settings, owner: str, log: Any) -> None:
        self.settings = settings
        self.owner = owner
        self._log = log
        self._stack = contextlib.ExitStack()
        self.held = False

    def hold(self) -> None:
        if self.held:
            return
        self._stack.enter_context(hold_warehouse(
            self.settings.warehouse_dir, owner=self.owner, wait=True, on_wait=self._waiting
        ))
        self.held = True
        for path in remove_leftovers(self.settings):
            progress.say(f"    removed {path.name}, left behind by an interrupted run")

    def release(self) -> None:
        self._stack.close()
        self.held = False

    def _waiting(self, line: str) -> None:
        progress.say(f"    {line}")
        if self._log is not None:
            self._log.warning(line)


@dg.resource(
    required_resource_keys={SETTINGS_RESOURCE},
    description="One run per warehouse: the run's steps hold <warehouse>/.ochre-run.lock from "
    "the first step to the end of the run (ochre_analytics.lock), waiting while another run "
    "(a Dagster run or `ochre-analytics run`) holds it.",
)
def warehouse_lock(init_context: dg.InitResourceContext) -> Iterator[WarehouseHold]:
    settings = getattr(init_context.resources, SETTINGS_RESOURCE).settings()
    run_id = init_context.run.run_id if init_context.run else "?"
    hold = WarehouseHold(settings, f"Dagster run {run_id}", init_context.log)
    try:
        yield hold
    finally:
        hold.release()
