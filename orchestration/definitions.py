"""The Ochre code location: ``dagster dev -m orchestration.definitions`` (``make dev``).

This module only assembles the parts of ``orchestration/defs``. ``ochre-analytics run``
loads it by this module name too (``ochre_analytics.pipeline``) and runs its job
``ochre_nightly`` in-process.
"""

from __future__ import annotations

import datetime as dt
import functools

import dagster as dg

from ochre_analytics.pipeline import SETTINGS_RESOURCE

from .defs.alerts import run_failure_alert
from .defs.checks.assets import great_expectations_gate
from .defs.dbt.assets import build_dbt_assets
from .defs.dbt.owners import with_owners
from .defs.dbt.resources import dbt_resource
from .defs.freshness import with_freshness
from .defs.jobs import build_nightly_job, retry_delay_seconds
from .defs.landing.assets import LANDING_SPECS, landing_observation_sensor
from .defs.partitions import daily_partitions, partitions_start, schedule_timezone
from .defs.publish.assets import build_publish_assets
from .defs.resources import WAREHOUSE_LOCK, OchreSettings, warehouse_lock
from .defs.schedules import build_nightly_schedule, deep_checks_weekday


def build_definitions(start: dt.date | None = None, timezone: str | None = None) -> dg.Definitions:
    """Every definition. `start` / `timezone` override the partitions' configured first date
    (``OCHRE_PARTITIONS_START``) and timezone (``OCHRE_SCHEDULE_TIMEZONE``); the weekly deep
    checks' day is ``OCHRE_DEEP_CHECKS_WEEKDAY``, the retries' first delay
    ``OCHRE_RETRY_DELAY_SECONDS``."""
    return _build(
        start or partitions_start(),
        timezone or schedule_timezone(),
        deep_checks_weekday(),
        retry_delay_seconds(),
    )


@functools.cache
def _build(
    start: dt.date, timezone: str, deep_checks_day: int | None, retry_delay: float
) -> dg.Definitions:
    partitions_def = daily_partitions(start, timezone)
    dbt_assets = build_dbt_assets(partitions_def)
    publish_assets = build_publish_assets(partitions_def)
    nightly_job = build_nightly_job(dbt_assets, publish_assets, retry_delay)
    assets = dg.map_asset_specs(
        lambda spec: with_freshness(with_owners(spec), timezone),
        [*LANDING_SPECS, dbt_assets, publish_assets],
    )
    return dg.Definitions(
        assets=assets,
        asset_checks=[great_expectations_gate],
        jobs=[nightly_job],
        schedules=[build_nightly_schedule(nightly_job, partitions_def, deep_checks_day)],
        sensors=[landing_observation_sensor, run_failure_alert],
        resources={
            "dbt": dbt_resource(),
            SETTINGS_RESOURCE: OchreSettings(),
            WAREHOUSE_LOCK: warehouse_lock,
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions()
