"""The dbt project at the repository root, and its manifest.

``dbt_project.yml`` and ``profiles.yml`` are at the repository root. ``@dbt_assets`` needs
``target/pipeline/manifest.json`` when the code location loads. :func:`ensure_manifest` runs
``dbt parse`` when the manifest is missing or older than a file of the project, wherever the code
location loads (``dagster dev``, the CLI, tests, CI). It replaces
``DbtProject.prepare_if_dev()``, which under ``dagster dev`` parses at every load (the code
server, then again in each step process of every run) and runs the ``dbt`` found on PATH
(absent when the venv is not activated, as with ``make dev``). The parse writes into a
private folder and the manifest is moved into place by atomic rename, under a file lock, so
concurrent processes never read half a file.

The parse runs with the environment a pipeline build gives dbt (``Settings.dbt_env()``,
in a scratch working folder): its ``partial_parse.msgpack`` is then valid for a build in a
new warehouse, which skips parsing (the models read the landing and warehouse folders when
they run: ``run_setting``, macros/settings.sql; dbt/resources.py). The two files live in
``target/pipeline/`` (:data:`PIPELINE_TARGET`), not in dbt's own ``target/``: a ``dbt``
command run from the repository root, or sqlfluff's dbt templater, writes a
``partial_parse.msgpack`` there for another profile and other variables, and a new
warehouse seeded with it parsed the whole project again (about 6 s of every first run).
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from ochre_analytics.config import PROJECT_DIR, ConfigError, Settings


def dbt_executable() -> str:
    """The venv's dbt, also when the venv is not on PATH."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


PIPELINE_TARGET = Path("target") / "pipeline"
"""The manifest and partial-parse state of pipeline builds (relative to the project)."""
PARTIAL_PARSE = "partial_parse.msgpack"

DBT_PROJECT = DbtProject(
    project_dir=PROJECT_DIR, profiles_dir=PROJECT_DIR, target_path=PIPELINE_TARGET
)

_PROJECT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
_PROJECT_FOLDERS = ("dbt_project", "seeds")


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for name in _PROJECT_FILES:
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for folder in _PROJECT_FOLDERS:
        for root, _dirs, files in os.walk(project_dir / folder):
            for name in files:
                newest = max(newest, os.stat(os.path.join(root, name)).st_mtime)
    return newest


def manifest_is_fresh(project: DbtProject = DBT_PROJECT) -> bool:
    path = project.manifest_path
    return path.exists() and path.stat().st_mtime >= _newest_source_mtime(project.project_dir)


def parse_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """``dbt parse`` into a private folder, then move the manifest into place atomically.

    A full parse, not a partial one from the last state: it runs only when a file of the
    project changed, and dbt 1.11's partial parsing can then lose what a YAML file says of
    a singular test (seen: ``assert_published_tables_cover_the_run`` lost its description
    and ``meta.dagster.ref``, so it was no longer an asset check)."""
    target_dir = project.project_dir / project.target_path
    target_dir.mkdir(parents=True, exist_ok=True)
    work = target_dir / f".parse-{os.getpid()}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    try:
        partial = target_dir / PARTIAL_PARSE
        env = {**os.environ, **_parse_settings(work).dbt_env()}
        proc = subprocess.run(
            [
                dbt_executable(),
                "parse",
                "--quiet",
                "--project-dir",
                str(project.project_dir),
                "--profiles-dir",
                str(project.profiles_dir),
                "--target-path",
                str(work),
                "--log-path",
                str(work),
            ],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        manifest = work / "manifest.json"
        if proc.returncode != 0 or not manifest.exists():
            output = " ".join((proc.stdout + proc.stderr).split())[-2000:]
            raise ConfigError(f"dbt parse failed (exit code {proc.returncode}): {output}")
        if (work / partial.name).exists():
            os.replace(work / partial.name, partial)
        os.replace(manifest, project.manifest_path)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return project.manifest_path


def _parse_settings(work: Path) -> Settings:
    """The settings of a default pipeline build, for the environment of ``dbt parse``; a
    setting whose environment variable does not read falls back to its default."""
    try:
        return Settings.from_env(warehouse_dir=work)
    except ConfigError:
        return Settings(landing_dir=PROJECT_DIR / "data" / "landing", warehouse_dir=work)


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """A manifest at ``project.manifest_path`` that is not older than the project's files."""
    if manifest_is_fresh(project):
        return project.manifest_path
    lock_dir = project.project_dir / project.target_path
    lock_dir.mkdir(parents=True, exist_ok=True)
    with open(lock_dir / ".manifest.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not manifest_is_fresh(project):  # another process may have parsed meanwhile
                parse_manifest(project)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return project.manifest_path
