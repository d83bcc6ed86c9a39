"""Freshness of the published tables: a publish older than the nightly schedule allows fails.

``published_leaderboard`` and the published marts carry a ``FreshnessPolicy.cron`` (what
Dagster 1.13 recommends over the superseded ``build_last_update_freshness_checks``): each day
in the schedule's timezone, a materialization must land between the nightly run's start
(02:00) and ``DEADLINE_HOURS`` later. Past that deadline without one, the asset's
freshness is ``FAIL`` until it materializes again (a later CLI run, a re-run from the UI).
The daemon of ``make dev`` evaluates the policies (``dagster.yaml``: ``freshness``); every
publish is a materialization in the warehouse's instance, the CLI's too.
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from ochre_analytics.config import PUBLISHED_TABLES
from ochre_analytics.pipeline import PUBLISHED_ASSET

from .schedules import NIGHTLY_HOUR

DEADLINE_HOURS = 4
"""Hours after the nightly schedule's tick by which the night's publish must have landed."""

FRESH_ASSETS = frozenset(dg.AssetKey(name) for name in (PUBLISHED_ASSET, *PUBLISHED_TABLES))


def nightly_freshness(timezone: str) -> dg.FreshnessPolicy:
    """Materialized every day between 02:00 and 02:00 + ``DEADLINE_HOURS`` in `timezone`."""
    return dg.FreshnessPolicy.cron(
        deadline_cron=f"0 {NIGHTLY_HOUR + DEADLINE_HOURS} * * *",
        lower_bound_delta=dt.timedelta(hours=DEADLINE_HOURS),
        timezone=timezone,
    )


def with_freshness(spec: dg.AssetSpec, timezone: str) -> dg.AssetSpec:
    if spec.key not in FRESH_ASSETS:
        return spec
    return spec.replace_attributes(freshness_policy=nightly_freshness(timezone))
