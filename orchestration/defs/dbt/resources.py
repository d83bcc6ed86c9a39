"""The dbt CLI resource: ``dbt`` for one as-of date, with the run's settings, in a child process.

dbt runs in a child process (``DbtCliResource``): dbt-duckdb keeps its database open for the
life of a process, and the audit must read the build database afterwards. The settings
reach dbt once, as the environment variables the shipped profile and project read
(``Settings.dbt_env(as_of)``, the as-of date included), given to that child process only:
``DbtCliResource`` hands a child its own process's environment, so the child is started
through ``env(1)`` (``env -C <warehouse> NAME=value ... dbt build ...``), which sets them and
the working folder for the child alone. This process's ``os.environ`` is never changed, and
the command dagster-dbt logs is the complete one. ``env`` itself is started through
``child.py``, which makes the dbt process die with this one (``kill -9`` of a run included):
no dbt outlives its run holding the build database's lock.

The working folder is the warehouse, and the profile's build database there is the relative
``ochre.duckdb`` (``OCHRE_DUCKDB_PATH``): the profile then reads the same in every
warehouse, and dbt's partial parsing takes the pipeline's ``partial_parse.msgpack``
(``project.py``; copied into a target folder that has none) as valid in a new warehouse
too. Artifacts go to ``<warehouse>/dbt_target``, so runs on different warehouses
(parallel tests) never share a target folder.
"""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version
from pydantic import Field

from ochre_analytics.config import Settings

from .project import DBT_PROJECT, PARTIAL_PARSE, dbt_executable
from .results import failures_from_run_results

ENV_PROGRAM = shutil.which("env") or "/usr/bin/env"
DIE_WITH_PARENT = ["-I", "-S", str(Path(__file__).with_name("child.py"))]
"""Arguments of this Python that start a program dying with this process (``child.py``)."""


class OchreDbtCliResource(DbtCliResource):
    """``DbtCliResource`` whose dbt child gets the run's settings (:meth:`invoke`), without
    two start-up costs of every ``dbt.cli`` call (~6 s):

    - The dbt version comes from the installed dbt-core package instead of a ``dbt --version``
      child process.
    - No dbt adapter is created in the Dagster process: dagster-dbt only needs one for
      ``fetch_row_counts`` / ``fetch_column_metadata``, which this project does not use, and
      creating it imports dbt and loads the profile and project in this process.

    ``dbt_executable`` is this Python, which runs ``child.py`` (dbt dies with this process);
    :meth:`invoke` puts that, ``env(1)`` with the settings and the working folder, and the
    dbt executable (``dbt_path``) in front of the dbt arguments.
    """

    dbt_path: str = Field(default_factory=dbt_executable, description="The dbt executable.")

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None

    def invoke(
        self,
        settings: Settings,
        args: Sequence[str],
        *,
        as_of: dt.date | None = None,
        context: object | None = None,
    ) -> DbtCliInvocation:
        """Start ``dbt <args>`` with `settings` (and the as-of date `as_of`) on the selection
        of `context`, in the warehouse folder; stream or wait on the invocation to finish."""
        settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
        target_path = dbt_target_path(settings)
        # a failure before dbt writes its results must not be read from an older run's file
        (target_path / "run_results.json").unlink(missing_ok=True)
        _seed_partial_parse(target_path)
        child = [
            *DIE_WITH_PARENT,
            str(os.getpid()),
            ENV_PROGRAM,
            "-C",
            str(settings.warehouse_dir),
            *(f"{name}={value}" for name, value in settings.dbt_env(as_of).items()),
            self.dbt_path,
        ]
        return self.cli(
            [*child, *args],
            context=context,  # type: ignore[arg-type]
            target_path=target_path,
            raise_on_error=False,
        )


def _seed_partial_parse(target_path: Path) -> None:
    """A new target folder starts from the pipeline's parse state (``project.py``), not
    from ``target/`` (dagster-dbt's default), which other dbt commands overwrite. So does
    one whose state is older than the pipeline's, a full parse of the project as it is now:
    dbt would otherwise parse the changed files partially, which can lose YAML properties
    (``parse_manifest``)."""
    seeded = target_path / PARTIAL_PARSE
    source = DBT_PROJECT.project_dir / DBT_PROJECT.target_path / PARTIAL_PARSE
    if not source.exists():
        return
    if not seeded.exists() or seeded.stat().st_mtime < source.stat().st_mtime:
        target_path.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, seeded)


def dbt_resource() -> OchreDbtCliResource:
    return OchreDbtCliResource(
        project_dir=DBT_PROJECT,
        profiles_dir=str(DBT_PROJECT.profiles_dir),
        dbt_executable=sys.executable,
    )


def dbt_target_path(settings: Settings) -> Path:
    return settings.warehouse_dir / "dbt_target"


def build_args(settings: Settings, *, full_refresh: bool) -> list[str]:
    """``dbt build`` as the pipeline runs it (the checks of ``settings.deep_checks``)."""
    return ["build", *settings.dbt_build_args(), *(["--full-refresh"] if full_refresh else [])]


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str] = field(default_factory=list)
    """One line per failed model or test: resource, name, message."""
    exception: str | None = None


def run_dbt(
    settings: Settings,
    args: Sequence[str],
    *,
    as_of: dt.date | None = None,
    dbt: OchreDbtCliResource | None = None,
) -> DbtOutcome:
    """``dbt <args>`` outside a Dagster run, exactly as the pipeline starts it (settings,
    as-of date, working folder, target folder); waits for it. For tests and scripts."""
    invocation = (dbt or dbt_resource()).invoke(settings, args, as_of=as_of)
    for _event in invocation.stream_raw_events():
        pass
    outcome = DbtOutcome(success=invocation.is_successful())
    outcome.failures = failures_from_run_results(invocation.target_path / "run_results.json")
    if not outcome.success and not outcome.failures:
        error = invocation.get_error()
        outcome.exception = " ".join(str(error or "dbt failed").split())[-2000:]
    return outcome
