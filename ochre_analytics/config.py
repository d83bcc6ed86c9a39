"""Every setting of the pipeline, in one place.

Each setting has an environment variable and a default; the CLI flags override
them. The dbt profile (``profiles.yml``) reads the same variables, so ``dbt
build`` from the repository root and ``ochre-analytics run`` see the same paths.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
"""Repository root: holds dbt_project.yml and profiles.yml."""

PUBLISHED_TABLES = (
    "agent_leaderboard",
    "team_kpis",
    "agent_daily_activity",
    "agent_low_csat_conversations",
    "conversation_summary",
    "agents",
    "workspaces",
    "rejected_records",
    "landing_file_loads",
)
"""The marts of one as-of date, copied from the build database into the published file."""

HISTORY_TABLES = {
    "agent_leaderboard_history": "agent_leaderboard",
    "team_kpis_history": "team_kpis",
}
"""History table -> the mart it keeps: every audited as-of date's rows of that mart.

Written into the warehouse (``Settings.history_db``) by the publish step after the audit
passed (``ochre_analytics.publish.record_history``), replacing the rows of that as-of date.
"""

PUBLISH_TABLES = (*PUBLISHED_TABLES, *HISTORY_TABLES)
"""Every table ``publish()`` copies into the published file: the marts plus the history."""

TARGETS = ("duckdb", "spark")


class ConfigError(ValueError):
    """A setting has a value the pipeline cannot use."""


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from exc


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from exc


def _env_bool(name: str, default: bool) -> bool:
    raw = (os.environ.get(name) or "").strip().lower()
    if raw == "":
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name} must be 1 or 0 (true or false), got {raw!r}")


def parse_as_of(value: str | None) -> dt.date:
    """YYYY-MM-DD, or yesterday in UTC when empty."""
    if value is None or value == "":
        return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(f"--as-of must be a date as YYYY-MM-DD, got {value!r}") from exc


DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_WAREHOUSE_DIR = "data/warehouse"


def warehouse_dir_from_env(override: str | os.PathLike[str] | None = None) -> Path:
    """The warehouse folder: `override`, else ``OCHRE_WAREHOUSE_DIR``, else ./data/warehouse
    (not resolved; the API server reads it through this too)."""
    if override:
        return Path(override)
    return Path(os.environ.get("OCHRE_WAREHOUSE_DIR") or DEFAULT_WAREHOUSE_DIR)


def published_db_in(warehouse_dir: Path) -> Path:
    """The published file of a warehouse folder: what the UI, BI and the API read."""
    return warehouse_dir / "published" / "leaderboard.duckdb"


_FROM_ENV = {
    "landing_dir": lambda: Path(os.environ.get("OCHRE_LANDING_DIR") or DEFAULT_LANDING_DIR),
    "warehouse_dir": warehouse_dir_from_env,
    "target": lambda: os.environ.get("DBT_TARGET") or "duckdb",
    "rejected_threshold": lambda: _env_float("OCHRE_REJECTED_THRESHOLD", 0.01),
    "duckdb_threads": lambda: _env_int("OCHRE_DUCKDB_THREADS", 2),
    "duckdb_memory_limit": lambda: os.environ.get("OCHRE_DUCKDB_MEMORY_LIMIT") or "8GB",
    "deep_checks": lambda: _env_bool("OCHRE_DEEP_CHECKS", False),
}
"""Each setting's environment variable and default, read only for settings not given."""

DAGSTER_YAML = PROJECT_DIR / "orchestration" / "dagster.yaml"
"""The Dagster instance settings of the repository (copied into each ``DAGSTER_HOME``)."""

DAGSTER_HOME_DIR = "dagster"
"""The Dagster instance's folder inside the warehouse folder, when ``DAGSTER_HOME`` is unset."""

_COPIED_MARK = "# copied from the repository's dagster.yaml by ochre-analytics: edits are lost\n"


def dagster_home(warehouse_dir: Path) -> Path:
    """The Dagster instance of a warehouse: ``DAGSTER_HOME``, else ``<warehouse>/dagster``.

    ``ochre-analytics run`` records its runs there, and ``make dev`` (the UI, the schedule,
    the sensors) serves the same instance, so every run of the warehouse shows in the UI.
    """
    raw = os.environ.get("DAGSTER_HOME") or ""
    return Path(raw).expanduser().resolve() if raw else warehouse_dir / DAGSTER_HOME_DIR


def prepare_dagster_home(warehouse_dir: Path) -> Path:
    """:func:`dagster_home`, created, with the repository's ``dagster.yaml`` in it.

    A ``dagster.yaml`` that is not a copy of ours (marked by its first line) is left alone;
    a copy is brought up to date."""
    home = dagster_home(warehouse_dir)
    home.mkdir(parents=True, exist_ok=True)
    target = home / "dagster.yaml"
    wanted = _COPIED_MARK + DAGSTER_YAML.read_text()
    current = target.read_text() if target.exists() else None
    if current is None or (current != wanted and current.startswith(_COPIED_MARK)):
        partial = target.with_name(f".dagster.yaml.{os.getpid()}")
        partial.write_text(wanted)
        os.replace(partial, target)
    return home


DUCKDB_FILE = "ochre.duckdb"
"""The build database's file name inside the warehouse folder."""


@dataclass(frozen=True)
class Settings:
    landing_dir: Path
    warehouse_dir: Path
    target: str = "duckdb"
    rejected_threshold: float = 0.01
    duckdb_threads: int = 2
    duckdb_memory_limit: str = "8GB"
    deep_checks: bool = False
    extra_env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls, **given: object) -> Settings:
        """The `given` settings (None = not given); each other one from its environment
        variable, else its default. A setting that is given never reads its variable."""
        values = {k: v for k, v in given.items() if v is not None}
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise ConfigError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        for name, read in _FROM_ENV.items():
            if name not in values:
                values[name] = read()
        for key in ("landing_dir", "warehouse_dir"):
            values[key] = Path(values[key])  # type: ignore[arg-type]
        if "extra_env" in values:
            values["extra_env"] = dict(values["extra_env"])  # type: ignore[call-overload]
        return cls(**values).resolved()  # type: ignore[arg-type]

    def as_config(self) -> dict[str, object]:
        """Every setting as plain JSON values: the config of the ``ochre`` resource of the
        Dagster code location (``orchestration``), whose fields are these settings."""
        config: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            config[f.name] = str(value) if isinstance(value, Path) else value
        config["extra_env"] = dict(self.extra_env)
        return config

    def resolved(self) -> Settings:
        if self.target not in TARGETS:
            raise ConfigError(f"unknown target {self.target!r}: use one of {', '.join(TARGETS)}")
        if not 0 <= self.rejected_threshold <= 1:
            raise ConfigError(
                f"rejected threshold must be a share between 0 and 1, got {self.rejected_threshold}"
            )
        return replace(
            self,
            landing_dir=self.landing_dir.expanduser().resolve(),
            warehouse_dir=self.warehouse_dir.expanduser().resolve(),
        )

    @property
    def warehouse_db(self) -> Path:
        """The dbt build database (write-audit-publish's staging area)."""
        return self.warehouse_dir / DUCKDB_FILE

    @property
    def history_db(self) -> Path:
        """The warehouse database holding the history tables (whatever engine built the marts)."""
        return self.warehouse_dir / DUCKDB_FILE

    @property
    def published_db(self) -> Path:
        return published_db_in(self.warehouse_dir)

    @property
    def landing_repairs_dir(self) -> Path:
        """Repaired copies of JSON Lines landing files with unreadable lines (the dbt macro
        ``duckdb__landing_repairs`` reads the same folder)."""
        return self.warehouse_dir / "landing_repairs"

    def validation_dir(self, as_of: dt.date) -> Path:
        return self.warehouse_dir / "validation" / as_of.isoformat()

    def dbt_env(self, as_of: dt.date | None = None) -> dict[str, str]:
        """The environment variables the shipped dbt profile and project read: the only way
        the settings reach dbt (no ``--vars``).

        With `as_of`, also the run's as-of date, ``OCHRE_AS_OF_DATE``: the macro
        ``as_of_date_iso`` reads it only when models run, never while dbt parses, so a new
        date keeps dbt's partial parsing (a changed ``--vars`` makes dbt parse the whole
        project again). ``OCHRE_DUCKDB_PATH`` is the build database relative to the warehouse
        folder, the working folder of the pipeline's dbt: the profile's connection then
        reads the same in every warehouse, so a first run in a new warehouse parses only
        what changed since the project's manifest was made (orchestration/defs/dbt).
        """
        env = {
            "OCHRE_LANDING_DIR": str(self.landing_dir),
            "OCHRE_WAREHOUSE_DIR": str(self.warehouse_dir),
            "OCHRE_DUCKDB_PATH": DUCKDB_FILE,
            "DBT_TARGET": self.target,
            "OCHRE_DUCKDB_THREADS": str(self.duckdb_threads),
            "OCHRE_DUCKDB_MEMORY_LIMIT": self.duckdb_memory_limit,
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        }
        if as_of is not None:
            env["OCHRE_AS_OF_DATE"] = as_of.isoformat()
        env.update(self.extra_env)
        return env

    def dbt_build_args(self) -> list[str]:
        """Selection flags of the pipeline's ``dbt build``: the tests tagged ``deep``
        (staging and intermediate layers, the facts, reconciliations with them) and the
        unit tests are never in it; with deep checks they run next, as
        :meth:`dbt_deep_check_args`. See the ``data_tests`` block of dbt_project.yml and
        docs/architecture.md, "Checks"."""
        return ["--exclude", "tag:deep", "--exclude-resource-type", "unit_test"]

    def dbt_deep_check_args(self) -> list[str] | None:
        """``dbt test`` of the deep checks (the tests tagged ``deep`` and the unit tests),
        run right after the build when :attr:`deep_checks` is on; None when it is off."""
        if not self.deep_checks:
            return None
        return ["test", "--select", "tag:deep test_type:unit"]
