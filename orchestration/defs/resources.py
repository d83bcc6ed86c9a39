"""The pipeline settings as a Dagster resource.

``ochre_analytics.config.Settings`` is the one place settings are defined; this resource's
fields are those settings (a test keeps them equal), plus ``full_refresh``. A field left
unset falls back to its environment variable and default (a run started by the schedule or
the UI); ``ochre-analytics run`` sets every field from its own settings
(``Settings.as_config()``), so a step sees exactly the settings of its caller.
"""

from __future__ import annotations

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
