"""Business hours and holidays for a demo landing set (docs/spec/landing.md), so that the
page's business-hours switch shows figures after ``make demo``.

Three workspaces in four get hours, in their own time zone: the first of each four a
09:00-17:00 weekday, the second a split shift (08:00-12:00 and 13:00-18:00 on weekdays,
10:00-14:00 on Saturdays), the third 09:00-17:00 until the middle of the period, then
08:00-16:00 (a schedule that changed). The fourth has none: its business figures are null,
as for a workspace that never set hours. Each workspace with hours gets two holidays.

The generated conversations do not depend on these files, and ``generate()`` (the benchmark
and the tests) does not write them: only the ``demo-data`` command does, unless
``--no-business-hours``.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

CALENDAR_ENTITIES = ("business_hours", "holidays")
"""The optional landing entities this module writes (a previous demo set may hold them)."""

WEEKDAYS = range(1, 6)  # Monday .. Friday (ISO weekday numbers)


def _intervals(workspace_id: str, kind: int, start: dt.date, end: dt.date) -> list[dict]:
    """The intervals of one workspace: (weekday, opens_at, closes_at, valid_from, valid_to)."""
    middle = start + dt.timedelta(days=(end - start).days // 2)
    shifts: list[tuple[int, str, str, dt.date | None, dt.date | None]]
    if kind == 0:
        shifts = [(day, "09:00", "17:00", None, None) for day in WEEKDAYS]
    elif kind == 1:
        shifts = [(day, opens, closes, None, None)
                  for day in WEEKDAYS for opens, closes in (("08:00", "12:00"), ("13:00", "18:00"))]
        shifts.append((6, "10:00", "14:00", None, None))
    else:
        shifts = [(day, "09:00", "17:00", None, middle - dt.timedelta(days=1)) for day in WEEKDAYS]
        shifts += [(day, "08:00", "16:00", middle, None) for day in WEEKDAYS]
    return [
        {
            "interval_id": f"{workspace_id}-h{n:02d}",
            "workspace_id": workspace_id,
            "weekday": weekday,
            "opens_at": opens,
            "closes_at": closes,
            "valid_from": valid_from.isoformat() if valid_from else None,
            "valid_to": valid_to.isoformat() if valid_to else None,
            "updated_at": f"{start.isoformat()}T00:00:00Z",
        }
        for n, (weekday, opens, closes, valid_from, valid_to) in enumerate(shifts)
    ]


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.isoweekday() > 5:
        day += dt.timedelta(days=1)
    return day


def _holidays(workspace_id: str, start: dt.date, end: dt.date) -> list[dict]:
    """Two weekdays of the period: about a third of the way in, and two weeks before its end."""
    days = [_weekday_on_or_after(start + dt.timedelta(days=(end - start).days // 3)),
            _weekday_on_or_after(end - dt.timedelta(days=14))]
    return [
        {
            "holiday_id": f"{workspace_id}-d{n}",
            "workspace_id": workspace_id,
            "date": day.isoformat(),
            "name": "Company holiday" if n == 0 else "Public holiday",
            "updated_at": f"{start.isoformat()}T00:00:00Z",
        }
        for n, day in enumerate(days)
        if start <= day <= end
    ]


def write_business_calendar(
    out_dir: str | Path, workspace_ids: list[str], start: dt.date, end: dt.date
) -> dict[str, int]:
    """Write ``business_hours/hours.jsonl`` and ``holidays/holidays.jsonl`` under `out_dir`
    for `workspace_ids` over the local dates `start` .. `end`; the record counts, and the
    number of workspaces with hours."""
    hours: list[dict] = []
    holidays: list[dict] = []
    with_hours = 0
    for n, workspace_id in enumerate(sorted(workspace_ids)):
        kind = n % 4
        if kind == 3:
            continue
        with_hours += 1
        hours += _intervals(workspace_id, kind, start, end)
        holidays += _holidays(workspace_id, start, end)
    out = Path(out_dir)
    for entity, name, rows in (("business_hours", "hours.jsonl", hours),
                               ("holidays", "holidays.jsonl", holidays)):
        (out / entity).mkdir(parents=True, exist_ok=True)
        (out / entity / name).write_text("".join(json.dumps(row) + "\n" for row in rows))
    return {"business_hours": len(hours), "holidays": len(holidays),
            "workspaces_with_hours": with_hours}
