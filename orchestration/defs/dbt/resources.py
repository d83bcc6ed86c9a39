"""The dbt CLI resource, and running ``dbt build`` for one as-of date with the run's settings.

dbt runs in a child process (``DbtCliResource``): dbt-duckdb keeps its database open for the
life of a process, and the audit must read the build database afterwards. The shipped
profile reads the settings from environment variables (``Settings.dbt_env()``); they are
set for the launch of the child process only. Artifacts go to ``<warehouse>/dbt_target``,
so runs on different warehouses (parallel tests) never share a target folder.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import importlib.metadata
import json
import os
import threading
from collections.abc import Iterator, Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version

from ochre_analytics.config import Settings
from ochre_analytics.dbt import dbt_executable

from .project import DBT_PROJECT

_ENVIRON_LOCK = threading.Lock()


class OchreDbtCliResource(DbtCliResource):
    """``DbtCliResource`` without two start-up costs of every ``dbt.cli`` call (~6 s).

    - The dbt version comes from the installed dbt-core package instead of a ``dbt --version``
      child process.
    - No dbt adapter is created in the Dagster process: dagster-dbt only needs one for
      ``fetch_row_counts`` / ``fetch_column_metadata``, which this project does not use, and
      creating it imports dbt and loads the profile and project in this process.
    """

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource() -> DbtCliResource:
    return OchreDbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT.profiles_dir),
        dbt_executable=dbt_executable(),  # the venv's dbt, also when the venv is not on PATH
    )


def dbt_target_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "dbt_target"


@contextlib.contextmanager
def _environ(values: Mapping[str, str]) -> Iterator[None]:
    """``os.environ`` with `values` while the dbt child process is launched, then restored."""
    with _ENVIRON_LOCK:
        saved = {key: os.environ.get(key) for key in values}
        os.environ.update(values)
        try:
            yield
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value


def dbt_build(
    dbt: DbtCliResource,
    settings: Settings,
    as_of: dt.date,
    *,
    full_refresh: bool,
    context: object | None,
) -> DbtCliInvocation:
    """Start ``dbt build`` for `as_of` (the selection of `context`); stream it to finish."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    # a failure before dbt writes its results must not be read from an older run's file
    (dbt_target_path(settings) / "run_results.json").unlink(missing_ok=True)
    args = ["build", "--vars", json.dumps(settings.dbt_vars()), *settings.dbt_build_args()]
    if full_refresh:
        args.append("--full-refresh")
    with _environ(settings.dbt_run_env(as_of)):
        return dbt.cli(
            args,
            context=context,  # type: ignore[arg-type]
            target_path=dbt_target_path(settings),
            raise_on_error=False,
        )
