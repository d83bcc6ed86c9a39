"""After a Spark build: export the marts so the audit and publish read them like a DuckDB build.

On the ``spark`` target dbt writes its tables into the Spark catalog (Parquet
files under ``<warehouse>/spark/warehouse``, an embedded Derby metastore under
``<warehouse>/spark/metastore_db``), not into ``<warehouse>/ochre.duckdb``.
The UI must never know which engine built the published file, so after a Spark
build:

1. :func:`export_spark_tables` starts a short-lived local SparkSession on the
   same warehouse and metastore (the settings of the ``spark`` output of
   ``profiles.yml``), in a child process, and writes each exported table as
   Parquet to ``<warehouse>/spark/export/parquet/<table>/``. A child process,
   because an embedded Derby metastore admits one JVM at a time and a JVM
   started from Python lives as long as the Python process: the next dbt run
   (or Dagster's long-lived process) must find the metastore free.
2. It then loads those Parquet files into a DuckDB file,
   ``<warehouse>/spark/export/ochre.duckdb`` (schema ``main``, same table
   names, same column types as the DuckDB build), replaced atomically.
3. :func:`spark_build_settings` returns the settings with ``warehouse_db``
   pointing at that file, so the unchanged audit (``landing_file_loads``),
   data checks and ``publish()`` read the Spark results exactly as they read a
   DuckDB build, and ``publish_metadata.engine`` says ``spark``.

The pipeline hook (``pipeline.run_pipeline``), after the build step::

    build_settings = settings
    if settings.target == "spark":
        build_settings = steps.run(
            "export (spark)", lambda: export_spark_build(settings))
    ... audit(build_settings, as_of) ... publish(build_settings, as_of)
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

from .config import PROJECT_DIR, PUBLISHED_TABLES, Settings

SPARK_SCHEMA = "ochre"
"""Schema of the ``spark`` output in profiles.yml."""

SPARK_EXPORT_TABLES = PUBLISHED_TABLES
"""Tables the audit and publish read from the build database."""


class SparkExportError(RuntimeError):
    """The Spark tables could not be exported; nothing published changed."""


@dataclasses.dataclass(frozen=True)
class SparkBuildSettings(Settings):
    """Settings whose build database is the export of a Spark build."""

    spark_export_db: Path = Path()

    @property
    def warehouse_db(self) -> Path:  # type: ignore[override]
        return self.spark_export_db


def spark_dir(settings: Settings) -> Path:
    return settings.warehouse_dir / "spark"


def export_dir(settings: Settings) -> Path:
    return spark_dir(settings) / "export"


def export_db(settings: Settings) -> Path:
    """The DuckDB file holding the exported Spark tables."""
    return export_dir(settings) / "ochre.duckdb"


def spark_build_settings(settings: Settings, build_db: Path | None = None) -> Settings:
    """``settings`` with ``warehouse_db`` = the Spark export (for audit and publish)."""
    values = {f.name: getattr(settings, f.name) for f in dataclasses.fields(Settings)}
    return SparkBuildSettings(**values, spark_export_db=build_db or export_db(settings))


def export_spark_build(settings: Settings, tables: Iterable[str] = SPARK_EXPORT_TABLES) -> Settings:
    """Export the Spark build and return the settings the audit and publish should use."""
    return spark_build_settings(settings, export_spark_tables(settings, tables))


# -- the Spark side ---------------------------------------------------------------------------


_ENV_VAR = re.compile(
    r"""\{\{\s*env_var\(\s*['"]([^'"]+)['"]\s*(?:,\s*['"]([^'"]*)['"]\s*)?\)\s*\}\}"""
)


def spark_conf(settings: Settings, env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The SparkSession settings of the ``spark`` output of profiles.yml, rendered.

    profiles.yml stays the one place they are written; only ``env_var(name,
    default)`` templates are used there, rendered here with the settings'
    environment. ``spark.sql.ansi.enabled`` is off, as dbt-spark forces it.
    """
    import yaml

    env = {**os.environ, **settings.dbt_env(), **(env or {})}
    profile = yaml.safe_load((PROJECT_DIR / "profiles.yml").read_text())
    output = profile["ochre_analytics"]["outputs"]["spark"]

    def render(value: object) -> str:
        def sub(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            if name in env:
                return env[name]
            if default is None:
                raise SparkExportError(f"profiles.yml needs environment variable {name}")
            return default

        return _ENV_VAR.sub(sub, str(value))

    conf = {str(k): render(v) for k, v in output.get("server_side_parameters", {}).items()}
    conf["spark.sql.ansi.enabled"] = "false"
    return conf


def _write_parquet(settings: Settings, tables: list[str], out: Path) -> None:
    """In this process: a local SparkSession on the build's catalog writes each table as Parquet."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    conf = spark_conf(settings)
    conf["spark.app.name"] = "ochre-analytics-export"
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    try:
        for table in tables:
            if not spark.catalog.tableExists(f"{SPARK_SCHEMA}.{table}"):
                raise SparkExportError(
                    f"Spark table {SPARK_SCHEMA}.{table} does not exist: run the Spark build first"
                )
            spark.table(f"{SPARK_SCHEMA}.{table}").write.mode("overwrite").parquet(str(out / table))
    finally:
        spark.stop()


def _load_into_duckdb(parquet_dir: Path, tables: list[str], target: Path) -> None:
    """A new DuckDB file with one table per exported Parquet folder, swapped in atomically."""
    import duckdb

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            for table in tables:
                files = str(parquet_dir / table / "*.parquet").replace("'", "''")
                con.execute(
                    f'create table main."{table}" as select * from read_parquet(\'{files}\')'
                )
            con.execute("checkpoint")
        finally:
            con.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)


def export_spark_tables(
    settings: Settings, tables: Iterable[str] = SPARK_EXPORT_TABLES
) -> Path:
    """Materialise the Spark build's ``tables`` as Parquet and as a DuckDB file; return its path.

    Parquet: ``<warehouse>/spark/export/parquet/<table>/``; DuckDB:
    ``<warehouse>/spark/export/ochre.duckdb``. Spark runs in a child process
    (see the module docstring). Raises SparkExportError when Spark fails.
    """
    tables = list(tables)
    parquet_dir = export_dir(settings) / "parquet"
    parquet_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **settings.dbt_env()}
    proc = subprocess.run(
        [sys.executable, "-m", "ochre_analytics.spark_publish", "--out", str(parquet_dir), *tables],
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    if proc.returncode != 0:
        lines = [line for line in proc.stdout.splitlines() if line.strip()]
        reason = next(
            (line for line in reversed(lines) if "Error" in line or "Exception" in line),
            lines[-1] if lines else f"exit code {proc.returncode}",
        )
        raise SparkExportError(f"Spark export failed: {reason.strip()}")
    target = export_db(settings)
    _load_into_duckdb(parquet_dir, tables, target)
    return target


def main(argv: list[str] | None = None) -> int:
    """``python -m ochre_analytics.spark_publish --out DIR TABLE...`` (settings: environment)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("tables", nargs="+")
    args = parser.parse_args(argv)
    settings = Settings.from_env()
    try:
        _write_parquet(settings, args.tables, args.out)
    except SparkExportError as exc:
        print(f"SparkExportError: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
