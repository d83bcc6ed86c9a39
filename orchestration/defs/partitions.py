"""Daily partitions keyed by the as-of date.

The first partition is ``OCHRE_PARTITIONS_START`` (default 2026-01-01); the last one is
yesterday in ``OCHRE_SCHEDULE_TIMEZONE`` (default UTC): a daily partition exists once its
day is over (``end_offset=0``), so at 02:00 the newest partition is the previous day's.
The partition key is the run's as-of date: dbt reads it as ``OCHRE_AS_OF_DATE``
(``Settings.dbt_env``), the macro ``as_of_date_iso`` turns it into the date D.
"""

from __future__ import annotations

import datetime as dt
import os
import zoneinfo

import dagster as dg

from ochre_analytics.config import ConfigError

DEFAULT_START = dt.date(2026, 1, 1)
DEFAULT_TIMEZONE = "UTC"
PARTITION_FORMAT = "%Y-%m-%d"


def partitions_start() -> dt.date:
    raw = os.environ.get("OCHRE_PARTITIONS_START") or ""
    if not raw:
        return DEFAULT_START
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise ConfigError(f"OCHRE_PARTITIONS_START must be YYYY-MM-DD, got {raw!r}") from exc


def schedule_timezone() -> str:
    name = os.environ.get("OCHRE_SCHEDULE_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"OCHRE_SCHEDULE_TIMEZONE: unknown timezone {name!r}") from exc
    return name


def daily_partitions(
    start: dt.date | None = None, timezone: str | None = None
) -> dg.DailyPartitionsDefinition:
    """As-of dates from `start` (default: the configured start) to yesterday."""
    return dg.DailyPartitionsDefinition(
        start_date=(start or partitions_start()).strftime(PARTITION_FORMAT),
        timezone=timezone or schedule_timezone(),
        fmt=PARTITION_FORMAT,
        end_offset=0,
    )


def run_dates(
    context: dg.AssetExecutionContext | dg.AssetCheckExecutionContext,
) -> list[dt.date]:
    """The as-of dates of this run, in order: its partition, or every partition of the range
    a single-run backfill covers (also for the unpartitioned Great Expectations step)."""
    op_context = getattr(context, "op_execution_context", context)
    if not (op_context.has_partition_key or op_context.has_partition_key_range):
        raise dg.Failure(
            "this run has no as-of date: materialize a partition (or a range of partitions)"
        )
    return [dt.date.fromisoformat(key) for key in op_context.partition_keys]
