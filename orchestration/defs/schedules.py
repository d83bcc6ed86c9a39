"""The nightly schedule: 02:00 in ``OCHRE_SCHEDULE_TIMEZONE`` (default UTC), previous day.

Each tick requests the newest partition, which at 02:00 is the day that just ended (the
partitions share the schedule's timezone). Once a week the tick's run also runs the deep
checks (the dbt tests tagged ``deep`` and the unit tests; docs/architecture.md, "Checks"):
on ``OCHRE_DEEP_CHECKS_WEEKDAY`` (default ``sunday``; ``never`` turns it off). It is the
same run, not a second schedule: DuckDB allows one writer, so two runs at 02:00 would
collide on the build database.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

import dagster as dg

from ochre_analytics.config import ConfigError

NIGHTLY_HOUR = 2
SCHEDULE_NAME = "ochre_nightly_schedule"
DEEP_CHECKS_TAG = "ochre/deep_checks"
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
DEFAULT_DEEP_CHECKS_WEEKDAY = "sunday"


def deep_checks_weekday() -> int | None:
    """``OCHRE_DEEP_CHECKS_WEEKDAY`` as ``date.weekday()`` (Monday 0), None for ``never``."""
    raw = (os.environ.get("OCHRE_DEEP_CHECKS_WEEKDAY") or DEFAULT_DEEP_CHECKS_WEEKDAY).strip()
    name = raw.lower()
    if name == "never":
        return None
    if name not in WEEKDAYS:
        raise ConfigError(
            f"OCHRE_DEEP_CHECKS_WEEKDAY must be a weekday name or 'never', got {raw!r}"
        )
    return WEEKDAYS.index(name)


def build_nightly_schedule(
    job: dg.UnresolvedAssetJobDefinition,
    partitions_def: dg.TimeWindowPartitionsDefinition,
    weekday: int | None,
) -> dg.ScheduleDefinition:
    """The nightly schedule of `job`; on `weekday` (Monday 0; None: never) with deep checks."""
    weekly = (
        "" if weekday is None
        else f" On {WEEKDAYS[weekday].capitalize()}s (the tick's day) it also runs the deep checks."
    )

    @dg.schedule(
        name=SCHEDULE_NAME,
        job=job,
        cron_schedule=f"0 {NIGHTLY_HOUR} * * *",
        execution_timezone=partitions_def.timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description="Every night at 02:00: the previous day's leaderboard." + weekly,
    )
    def ochre_nightly_schedule(
        context: dg.ScheduleEvaluationContext,
    ) -> dg.RunRequest | dg.SkipReason:
        tick = context.scheduled_execution_time or dt.datetime.now(
            zoneinfo.ZoneInfo(partitions_def.timezone)
        )
        with dg.partition_loading_context(effective_dt=tick):
            key = partitions_def.get_last_partition_key()
        if key is None:
            return dg.SkipReason("no partition has ended yet")
        deep = weekday is not None and tick.weekday() == weekday
        return dg.RunRequest(
            job_name=job.name,
            partition_key=key,
            run_key=key,
            tags={DEEP_CHECKS_TAG: "true"} if deep else {},
            run_config=(
                {"resources": {"ochre": {"config": {"deep_checks": True}}}} if deep else {}
            ),
        )

    return ochre_nightly_schedule
