"""The nightly schedule: 02:00 in ``OCHRE_SCHEDULE_TIMEZONE`` (default UTC), previous day.

Built from the partitioned job: each tick requests the newest partition, which at 02:00 is
the day that just ended (the partitions share the schedule's timezone).
"""

from __future__ import annotations

import dagster as dg

NIGHTLY_HOUR = 2


def build_nightly_schedule(job: dg.UnresolvedAssetJobDefinition) -> dg.ScheduleDefinition:
    return dg.build_schedule_from_partitioned_job(
        job,
        name="ochre_nightly_schedule",
        description="Every night at 02:00: the previous day's leaderboard.",
        hour_of_day=NIGHTLY_HOUR,
        minute_of_hour=0,
        default_status=dg.DefaultScheduleStatus.RUNNING,
    )
