"""The pipeline settings as a Dagster resource.

``ochre_analytics.config.Settings`` is the one place settings are defined. This resource
carries them into the assets and checks: every field left unset falls back to the
environment variable / default of ``Settings.from_env``. ``ochre-analytics run`` passes the
CLI's settings as run config (:func:`run_config_for`), so the CLI, the schedule and a UI
click run the same code with the settings of their caller.
"""

from __future__ import annotations

from typing import Any

import dagster as dg
from pydantic import Field

from ochre_analytics.config import Settings


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
    lookback_days: int | None = Field(
        default=None, description="Days re-processed before the newest landed data."
    )
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
        return Settings.from_env(
            landing_dir=self.landing_dir,
            warehouse_dir=self.warehouse_dir,
            target=self.target,
            rejected_threshold=self.rejected_threshold,
            duckdb_threads=self.duckdb_threads,
            duckdb_memory_limit=self.duckdb_memory_limit,
            lookback_days=self.lookback_days,
            deep_checks=self.deep_checks,
            extra_env=dict(self.extra_env) if self.extra_env else None,
        )


def resource_config_for(settings: Settings, *, full_refresh: bool = False) -> dict[str, Any]:
    """The ``ochre`` resource's config for explicit settings (every field set)."""
    return {
        "landing_dir": str(settings.landing_dir),
        "warehouse_dir": str(settings.warehouse_dir),
        "target": settings.target,
        "rejected_threshold": float(settings.rejected_threshold),
        "duckdb_threads": int(settings.duckdb_threads),
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "lookback_days": int(settings.lookback_days),
        "deep_checks": bool(settings.deep_checks),
        "extra_env": dict(settings.extra_env),
        "full_refresh": bool(full_refresh),
    }


def run_config_for(
    settings: Settings, *, full_refresh: bool = False, log_level: str | None = None
) -> dict[str, Any]:
    """Run config that hands `settings` to the job's ``ochre`` resource."""
    config: dict[str, Any] = {
        "resources": {"ochre": {"config": resource_config_for(settings, full_refresh=full_refresh)}}
    }
    if log_level:
        config["loggers"] = {"console": {"config": {"log_level": log_level}}}
    return config
