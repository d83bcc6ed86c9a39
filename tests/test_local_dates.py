"""Local dates and windows in non-UTC workspaces, across DST changes and at local midnight."""

from __future__ import annotations

import pytest

from tests.landing_builder import Landing, query, run_pipeline

AS_OF = "2026-11-01"  # New York leaves DST on 2026-11-01 at 02:00 local (06:00 UTC)


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("dst")
    land = Landing()
    land.workspace("ny", "America/New_York")
    land.workspace("in", "Asia/Kolkata")
    land.agent("ny1", "ny")
    land.agent("in1", "in")
    replies = {
        # (id, UTC instant) -> local date in New York
        "ny_a": "2026-11-01T03:30:00Z",  # 10-31 23:30 EDT  -> 10-31
        "ny_b": "2026-11-01T04:30:00Z",  # 11-01 00:30 EDT  -> 11-01
        "ny_c": "2026-11-02T04:30:00Z",  # 11-01 23:30 EST  -> 11-01 (after the change)
        "ny_d": "2026-11-02T05:00:00Z",  # 11-02 00:00 EST  -> 11-02, after D: not counted
        "ny_e": "2026-10-26T04:00:00Z",  # 10-26 00:00 EDT  -> first day of the 7-day window
        "ny_f": "2026-10-26T03:59:59Z",  # 10-25 23:59 EDT  -> prior window
    }
    for key, ts in replies.items():
        land.conversation(f"c_{key}", "ny", ts)
        land.message(f"m_{key}", f"c_{key}", "ny", ts, "agent", "ny1", ai_assist="none")
    # India: +05:30, no DST. 18:30 UTC is local midnight.
    land.conversation("c_in_a", "in", "2026-10-31T18:29:59Z")
    land.message("m_in_a", "c_in_a", "in", "2026-10-31T18:29:59Z", "agent", "in1")  # 10-31
    land.conversation("c_in_b", "in", "2026-10-31T18:30:00Z")
    land.message("m_in_b", "c_in_b", "in", "2026-10-31T18:30:00Z", "agent", "in1")  # 11-01
    land.conversation("c_in_c", "in", "2026-11-01T18:30:00Z")
    land.message("m_in_c", "c_in_c", "in", "2026-11-01T18:30:00Z", "agent", "in1")  # 11-02
    # a customer message in New York before the DST change, answered after it:
    # the wait is real elapsed time (3 h 30 m), not local clock difference (2 h 30 m)
    land.conversation("c_wait", "ny", "2026-11-01T04:30:00Z")
    land.message("m_wait_q", "c_wait", "ny", "2026-11-01T04:30:00Z", "customer")  # 00:30 EDT
    land.message("m_wait_a", "c_wait", "ny", "2026-11-01T08:00:00Z", "agent", "ny1")  # 03:00 EST
    assert run_pipeline(land.write(root / "landing"), root / "warehouse", AS_OF) == 0
    return root / "warehouse" / "published" / "leaderboard.duckdb"


def test_events_land_on_local_dates(published):
    rows = query(published, "select agent_id, activity_date::varchar, replies_sent "
                            "from agent_daily_activity order by agent_id, activity_date")
    assert rows == [
        ("in1", "2026-10-31", 1),
        ("in1", "2026-11-01", 1),
        ("ny1", "2026-10-25", 1),
        ("ny1", "2026-10-26", 1),
        ("ny1", "2026-10-31", 1),
        ("ny1", "2026-11-01", 3),  # ny_b, ny_c and the c_wait reply
    ]


def test_windows_follow_local_dates(published):
    rows = query(published, "select agent_id, conversations_handled, replies_sent, "
                            "prev_conversations_handled from agent_leaderboard "
                            "where period_days = 7 order by agent_id")
    # ny: 10-26 .. 11-01 holds ny_e, ny_a, ny_b, ny_c, c_wait; ny_f is in the prior window
    assert rows == [("in1", 2, 2, 0), ("ny1", 5, 5, 1)]
    team = query(published, "select workspace_id, conversations_replied, "
                            "prev_conversations_replied from team_kpis "
                            "where period_days = 7 order by workspace_id")
    assert team == [("in", 2, 0), ("ny", 5, 1)]


def test_wait_across_dst_is_elapsed_time(published):
    rows = query(published, "select first_response_samples, median_first_response_seconds "
                            "from agent_leaderboard where agent_id = 'ny1' and period_days = 7")
    assert rows == [(1, 3.5 * 3600)]
