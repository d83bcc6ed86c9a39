"""First response in business hours, end to end through `ochre-analytics run`.

The worked example of spec/metrics.md, "Worked example: business hours" (a split shift,
a holiday, the autumn DST change in Europe/Vienna), with the schedule landing a night
after the messages: each nightly run publishes what a full refresh of the same landing
folder publishes. Bad intervals and holidays are rejected with a reason and every record
read is accounted for. The interval arithmetic at its edges is unit-tested in
int_first_response_samples.yml (`business_seconds_*`).
"""

from __future__ import annotations

import pytest

from tests.landing_builder import Landing, query, run_pipeline
from tests.test_incremental import (
    assert_every_record_accounted_for,
    assert_published_equal,
    published,
)

AS_OF = "2026-10-28"
GATE = ("--rejected-threshold", "1")  # the bad schedule records are a large share on purpose
COMPARED = ("agent_leaderboard", "team_kpis", "agent_daily_activity", "rejected_records",
            "landing_file_loads")

# (conversation, agent, wait start UTC, reply UTC): spec/metrics.md, business-hours example
CONVERSATIONS = [
    ("c1", "a1", "2026-10-23T14:30:00Z", "2026-10-27T08:30:00Z"),  # Fri 16:30 .. Tue 09:30
    ("c2", "a2", "2026-10-28T06:45:00Z", "2026-10-28T08:15:00Z"),  # before opening
    ("c3", "a1", "2026-10-27T10:50:00Z", "2026-10-27T12:10:00Z"),  # over the lunch break
    ("c4", "a2", "2026-10-27T17:00:00Z", "2026-10-27T19:00:00Z"),  # outside hours
]


def messages_night(file: str) -> Landing:
    """The workspaces, agents and conversations; w1 (UTC) never gets business hours."""
    land = Landing(file)
    land.workspace("w2", "Europe/Vienna")
    land.workspace("w1", "UTC")
    for agent in ("a1", "a2"):
        land.agent(agent, "w2")
    land.agent("b1", "w1")
    for n, (conv, agent, asked, replied) in enumerate(CONVERSATIONS):
        land.answered(conv, "w2", agent, asked, replied, (f"q{n}", f"r{n}"))
    land.answered("d1", "w1", "b1", "2026-10-27T08:00:00Z", "2026-10-27T08:20:00Z",
                  ("dq", "dr"))
    return land


def schedule_night(file: str) -> Landing:
    """w2's business hours and holiday, and bad records of both entities."""
    land = Landing(file)
    for weekday in range(1, 6):
        land.interval(f"am{weekday}", "w2", weekday, "09:00", "12:00")
        land.interval(f"pm{weekday}", "w2", weekday, "13:00", "17:00")
    land.interval("sun", "w2", 7, "10:00", "14:00")
    # an interval valid only before the example's weeks: plays no part
    land.interval("old_sat", "w2", 6, "00:00", "24:00", valid_to="2026-09-30")
    land.holiday("h1", "w2", "2026-10-26", "National Day")
    # bad records
    land.interval("bad_weekday", "w2", 8, "09:00", "17:00")
    land.interval("bad_order", "w2", 3, "18:00", "17:30")
    land.interval("bad_time", "w2", 3, "9am", "17:00")
    land.interval("nowhere", "w9", 1, "09:00", "17:00")
    land.interval("sat1", "w2", 6, "10:00", "12:00", valid_from="2026-10-01")
    land.interval("sat2", "w2", 6, "11:00", "13:00", valid_from="2026-10-01")
    land.holiday("bad_date", "w2", "2026-13-01")
    land.holiday("h_nowhere", "w9", "2026-10-27")
    return land


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Night 1: the messages (no business hours yet). Night 2: the schedule lands. Night 3:
    the holiday moves from Monday 10-26 to Friday 10-30 (a new copy). A full refresh of
    the landing folder after nights 2 and 3."""
    root = tmp_path_factory.mktemp("business_hours")
    landing, nightly = root / "landing", root / "nightly"
    messages_night("night1.jsonl").write(landing)
    assert run_pipeline(landing, nightly, AS_OF, *GATE) == 0
    night1 = business_figures(nightly)

    schedule_night("night2.jsonl").write(landing)
    assert run_pipeline(landing, nightly, AS_OF, *GATE) == 0
    full2 = root / "full2"
    assert run_pipeline(landing, full2, AS_OF, "--full-refresh", *GATE) == 0
    night2 = business_figures(nightly)
    compared2 = {t: assert_published_equal(nightly, full2, t) for t in COMPARED}
    assert_every_record_accounted_for(landing, nightly)

    moved = Landing("night3.jsonl")
    moved.holiday("h1", "w2", "2026-10-30", "National Day (moved)",
                  updated_at="2026-02-01T00:00:00Z")
    moved.write(landing)
    assert run_pipeline(landing, nightly, AS_OF, *GATE) == 0
    full3 = root / "full3"
    assert run_pipeline(landing, full3, AS_OF, "--full-refresh", *GATE) == 0
    for table in COMPARED:
        assert_published_equal(nightly, full3, table)
    return {"night1": night1, "night2": night2, "night3": business_figures(nightly),
            "full2": full2, "compared2": compared2, "landing": landing, "nightly": nightly}


def business_figures(warehouse) -> dict:
    samples = dict(query(
        warehouse / "ochre.duckdb",
        "select conversation_id, business_seconds from int_first_response_samples",
    ))
    board = {
        agent: (calendar, business, team_calendar, team_business)
        for agent, calendar, business, team_calendar, team_business in query(
            published(warehouse),
            "select agent_id, median_first_response_seconds,"
            " median_first_response_business_seconds, team_median_first_response_seconds,"
            " team_median_first_response_business_seconds from agent_leaderboard"
            " where period_days = 7",
        )
    }
    team = dict(
        (ws, (calendar, business))
        for ws, calendar, business in query(
            published(warehouse),
            "select workspace_id, median_first_response_seconds,"
            " median_first_response_business_seconds from team_kpis where period_days = 7",
        )
    )
    return {"samples": samples, "board": board, "team": team}


def test_without_business_hours_the_business_figures_are_null(runs):
    night1 = runs["night1"]
    assert night1["samples"] == {"c1": None, "c2": None, "c3": None, "c4": None, "d1": None}
    assert night1["board"]["a1"] == (164400.0, None, 6300.0, None)
    assert night1["team"]["w2"] == (6300.0, None)


def test_business_seconds_of_the_worked_example(runs):
    night2 = runs["night2"]
    # Fri 16:30-17:00, Sun 10-14 on the DST day, Mon holiday, Tue 09:00-09:30
    assert night2["samples"] == {"c1": 18000.0, "c2": 900.0, "c3": 1200.0, "c4": 0.0,
                                 "d1": None}
    assert night2["board"]["a1"] == (164400.0, 9600.0, 6300.0, 1050.0)
    assert night2["board"]["a2"] == (6300.0, 450.0, 6300.0, 1050.0)
    assert night2["board"]["b1"] == (1200.0, None, 1200.0, None)
    assert night2["team"] == {"w2": (6300.0, 1050.0), "w1": (1200.0, None)}


def test_daily_activity_has_the_business_median(runs):
    rows = query(
        published(runs["full2"]),
        "select agent_id, activity_date::varchar, median_first_response_seconds,"
        " median_first_response_business_seconds from agent_daily_activity"
        " where workspace_id = 'w2' order by agent_id, activity_date",
    )
    assert rows == [
        ("a1", "2026-10-27", 164400.0, 9600.0),
        ("a2", "2026-10-27", 7200.0, 0.0),
        ("a2", "2026-10-28", 5400.0, 900.0),
    ]


def test_a_moved_holiday_re_measures_the_workspace_in_the_next_night(runs):
    night3 = runs["night3"]
    # Monday 10-26 is a working day now: 09:00-12:00 and 13:00-17:00 more for c1
    assert night3["samples"]["c1"] == 18000.0 + 25200.0
    assert night3["samples"]["c3"] == 1200.0
    assert night3["board"]["a1"][1] == (43200.0 + 1200.0) / 2


@pytest.mark.parametrize("table", COMPARED)
def test_the_night_the_schedule_lands_equals_a_full_refresh(runs, table):
    assert len(runs["compared2"][table]) > 0


def test_bad_intervals_and_holidays_are_rejected_with_a_reason(runs):
    rejected = {
        (entity, record_id): reason
        for entity, record_id, reason in query(
            published(runs["nightly"]),
            "select entity, record_id, reason from rejected_records"
            " where entity in ('business_hours', 'holidays')",
        )
    }
    assert rejected == {
        ("business_hours", "bad_weekday"): "weekday out of range 1-7",
        ("business_hours", "bad_order"): "closes_at not after opens_at",
        ("business_hours", "bad_time"): "opens_at is not HH:MM",
        ("business_hours", "nowhere"): "unknown workspace",
        ("business_hours", "sat1"): "overlaps interval sat2",
        ("business_hours", "sat2"): "overlaps interval sat1",
        ("holidays", "bad_date"): "unparseable date in date",
        ("holidays", "h_nowhere"): "unknown workspace",
    }
    # and the load reconciliation holds for every file, the schedule's too
    assert_every_record_accounted_for(runs["landing"], runs["nightly"])
    loads = query(
        published(runs["nightly"]),
        "select source_file, records_read, records_current, records_superseded,"
        " records_rejected from landing_file_loads"
        " where entity in ('business_hours', 'holidays') order by source_file",
    )
    assert loads == [
        ("business_hours/night2.jsonl", 18, 12, 0, 6),
        ("holidays/night2.jsonl", 3, 0, 1, 2),
        ("holidays/night3.jsonl", 1, 1, 0, 0),
    ]


def test_warehouse_without_business_seconds_asks_for_a_full_refresh(tmp_path, capsys):
    """A build database of the version before business hours: the nightly run says what to
    do (not dbt's schema-change error) and publishes nothing; one full refresh rebuilds it."""
    import duckdb

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    messages_night("night1.jsonl").write(landing)
    assert run_pipeline(landing, warehouse, AS_OF, *GATE) == 0
    before = published(warehouse).read_bytes()
    con = duckdb.connect(str(warehouse / "ochre.duckdb"))
    con.execute("alter table int_first_response_samples drop column business_seconds")
    con.close()
    capsys.readouterr()
    assert run_pipeline(landing, warehouse, AS_OF, *GATE) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "was built by an earlier version of ochre-analytics (int_first_response_samples " \
           "has no business_seconds): rebuild it once with --full-refresh" in err
    assert published(warehouse).read_bytes() == before
    assert run_pipeline(landing, warehouse, AS_OF, "--full-refresh", *GATE) == 0
    assert run_pipeline(landing, warehouse, AS_OF, *GATE) == 0
