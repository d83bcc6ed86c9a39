"""The leaderboard's windows (days), defined once: the dbt seed ``seeds/leaderboard_windows.csv``.

dbt builds the marts' windows from that seed; Python reads the same file here (the CLI's
``--period`` choices, the Great Expectations suites, the read API and, through the API, the
page), so a window is added or removed in one place.
"""

from __future__ import annotations

import csv
import functools

from .config import PROJECT_DIR

WINDOWS_SEED = PROJECT_DIR / "seeds" / "leaderboard_windows.csv"
DEFAULT_PERIOD = 30
"""The window shown first (CLI, API, page); one of the seed's."""


@functools.cache
def leaderboard_windows() -> tuple[int, ...]:
    """The windows' lengths in days, ascending (column ``period_days`` of the seed)."""
    with open(WINDOWS_SEED, newline="") as handle:
        days = tuple(sorted(int(row["period_days"]) for row in csv.DictReader(handle)))
    if not days or any(d <= 0 for d in days) or len(set(days)) != len(days):
        raise ValueError(f"{WINDOWS_SEED}: period_days must be distinct positive days")
    if DEFAULT_PERIOD not in days:
        raise ValueError(f"{WINDOWS_SEED}: the default window ({DEFAULT_PERIOD}) is missing")
    return days
