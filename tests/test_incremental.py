"""Nightly incremental runs publish exactly what one full refresh publishes."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from tests.landing_builder import (
    generate_daily_exports,
    land_until,
    query,
    query_df,
    run_pipeline,
)

END = dt.date(2026, 11, 20)
COMPARED = {
    "agent_leaderboard": ["workspace_id", "period_days", "agent_id"],
    "team_kpis": ["workspace_id", "period_days"],
    "agent_daily_activity": ["agent_id", "activity_date"],
    "agent_low_csat_conversations": ["agent_id", "conversation_id"],
    "agents": ["agent_id"],
    "workspaces": ["workspace_id"],
    "rejected_records": ["entity", "source_file", "line_number", "reason"],
}


def nightly_then_full_refresh(landing, nightly, full, as_of, *extra):
    """A nightly run on the warehouse the test built so far, and a full refresh in another."""
    assert run_pipeline(landing, nightly, as_of, *extra) == 0
    assert run_pipeline(landing, full, as_of, "--full-refresh", *extra) == 0


def published_frame(warehouse, table):
    db = warehouse / "published" / "leaderboard.duckdb"
    frame = query_df(db, f"select * from {table}")
    return frame.sort_values(COMPARED[table]).reset_index(drop=True)


def assert_published_equal(nightly, full, table):
    """The table both warehouses published: same columns, types and rows (floats to 1e-12)."""
    a, b = published_frame(nightly, table), published_frame(full, table)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    return a


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("incremental")
    source = root / "source"
    generate_daily_exports(source, END)
    landing = root / "landing"
    nightly = root / "nightly"
    for day in (END - dt.timedelta(days=2), END - dt.timedelta(days=1), END):
        # the exports of each day land; records for earlier days arrive late among them
        land_until(source, landing, day)
        assert run_pipeline(landing, nightly, day.isoformat(), "--rejected-threshold", "1") == 0
    land_until(source, landing, END + dt.timedelta(days=1))
    assert run_pipeline(landing, nightly, END.isoformat(), "--rejected-threshold", "1") == 0
    full = root / "full"
    assert run_pipeline(landing, full, END.isoformat(), "--full-refresh",
                        "--rejected-threshold", "1") == 0
    return source, nightly, full


def test_late_records_were_part_of_the_sequence(runs):
    source, _, _ = runs
    late = 0
    for f in (source / "messages").glob("*.jsonl"):
        day = f.name.split(".")[0]
        for line in f.read_text().splitlines():
            try:
                created = json.loads(line).get("created_at") or ""
            except (json.JSONDecodeError, AttributeError):
                continue
            if isinstance(created, str) and created[:10] < day:
                late += 1
    assert late > 0


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_nightly_sequence_equals_full_refresh(runs, table):
    _, nightly, full = runs
    assert len(assert_published_equal(nightly, full, table)) > 0


def test_incremental_run_did_not_rebuild_everything(runs):
    _, nightly, full = runs
    # the fact holds the same rows either way, and the nightly one was merged into
    sql = "select count(*), count(distinct _watermark) from fct_agent_activity"
    nightly_rows, nightly_marks = query(nightly / "ochre.duckdb", sql)[0]
    full_rows, full_marks = query(full / "ochre.duckdb", sql)[0]
    assert nightly_rows == full_rows
    assert full_marks == 1
    assert nightly_marks > 1


@pytest.mark.parametrize(
    "table", ["fct_agent_activity", "fct_conversation_activity", "int_agent_activity_daily"]
)
def test_full_refresh_stores_the_daily_tables_in_date_order(runs, table):
    # stored_in_order_of: readers that filter on activity_date (the
    # leaderboard's 180 days, a nightly run's rebuilt dates) skip the row
    # groups of other dates by their min/max statistics
    _, _, full = runs
    sql = (
        "select count(*), count(distinct activity_date), count(*) filter (where went_back) from ("
        " select activity_date,"
        " activity_date < lag(activity_date) over (order by rowid) as went_back"
        f" from {table})"
    )
    rows, dates, steps_back = query(full / "ochre.duckdb", sql)[0]
    assert rows > 100
    assert dates >= 14
    assert steps_back == 0


def test_daily_figures_were_merged_by_date_and_equal_full_refresh(runs):
    _, nightly, full = runs
    # int_agent_activity_daily recomputes only the dates the facts rebuilt
    # (their rows carry the facts' newer watermarks), yet holds what a full
    # refresh computes
    marks = "select count(distinct _watermark) from int_agent_activity_daily"
    assert query(nightly / "ochre.duckdb", marks)[0][0] > 1
    assert query(full / "ochre.duckdb", marks)[0][0] == 1
    rows = ("select * exclude (_watermark) from int_agent_activity_daily order by all")
    nightly_rows = query(nightly / "ochre.duckdb", rows)
    assert len(nightly_rows) > 0
    assert any(row[3] is not None for row in nightly_rows)  # superseded CSAT rows
    assert nightly_rows == query(full / "ochre.duckdb", rows)


def test_late_earlier_reply_removes_a_conversations_only_sample(tmp_path):
    """A late reply that becomes the agent's first reply (with no customer waiting) leaves the
    conversation without any sample: the nightly run must drop the stored one."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.conversation("c1", "w1", "2026-11-18T09:50:00Z")
    land.message("m1", "c1", "w1", "2026-11-18T10:00:00Z", "customer")
    land.message("m2", "c1", "w1", "2026-11-18T10:30:00Z", "agent", "a1", ai_assist="none")
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19") == 0
    sql = ("select first_response_samples, median_first_response_seconds, replies_sent "
           "from agent_leaderboard where agent_id = 'a1' and period_days = 7")
    assert query(nightly / "published" / "leaderboard.duckdb", sql) == [(1, 1800.0, 1)]

    late = Landing()
    late.message("m0", "c1", "w1", "2026-11-18T09:50:00Z", "agent", "a1", ai_assist="none",
                 updated_at="2026-11-19T08:00:00Z", file="late.jsonl")
    late.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19")
    expected = [(0, None, 2)]
    assert query(full / "published" / "leaderboard.duckdb", sql) == expected
    assert query(nightly / "published" / "leaderboard.duckdb", sql) == expected
    assert query(nightly / "ochre.duckdb", "select count(*) from int_first_response_samples") \
        == [(0,)]


def test_nightly_merge_of_stored_and_rejected_copies_equals_full_refresh(tmp_path):
    """The nightly merge of int_messages_deduplicated: a stored copy that still wins stays,
    and is written again when its id has rejected copies to replace; a copy stored as
    rejected for a reference becomes good once the parent lands (checked again from the
    table, being older than the look-back); a newer bad copy never erases a good one,
    also one older than the look-back that the run does not read; a stored reject that
    passes its check now still loses to a newer good copy older than the look-back."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.conversation("c1", "w1", "2026-11-10T09:00:00Z")
    land.message("m1", "c1", "w1", "2026-11-18T10:00:00Z", "customer")
    # conversation c9 has not landed yet: m5 and the first copy of m8 are rejected
    land.message("m5", "c9", "w1", "2026-11-10T10:00:00Z", "customer")
    land.message("m8", "c9", "w1", "2026-11-10T11:00:00Z", "customer")
    land.message("m8", "c1", "w1", "2026-11-18T11:00:00Z", "customer", file="m8.jsonl")
    land.message("m6", "c1", "w1", "2026-11-18T12:00:00Z", "agent", "a1", ai_assist="none")
    # m2's good copy and m3's newer good copy are older than the next run's look-back
    land.message("m2", "c1", "w1", "2026-11-10T10:00:00Z", "customer")
    land.message("m3", "c9", "w1", "2026-11-10T08:00:00Z", "customer")
    land.message("m3", "c1", "w1", "2026-11-11T10:00:00Z", "customer", file="m3.jsonl")
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19", "--rejected-threshold", "1") == 0
    rejected = ("select message_id, source_file, reject_reason from int_messages_deduplicated "
                "where reject_reason is not null order by 1, 2")
    assert query(nightly / "ochre.duckdb", rejected) == [
        ("m3", "messages/messages.jsonl", "unknown conversation"),
        ("m5", "messages/messages.jsonl", "unknown conversation"),
        ("m8", "messages/messages.jsonl", "unknown conversation"),
    ]

    late = Landing()
    late.conversation("c9", "w1", "2026-11-10T09:00:00Z", updated_at="2026-11-19T08:00:00Z",
                      file="late.jsonl")
    # a newer copy of m6 pointing at a conversation that never lands
    late.message("m6", "c8", "w1", "2026-11-18T12:00:00Z", "agent", "a1", ai_assist="none",
                 updated_at="2026-11-19T09:00:00Z", file="late.jsonl")
    late.message("m2", "c8", "w1", "2026-11-10T10:00:00Z", "customer",
                 updated_at="2026-11-19T09:00:00Z", file="late.jsonl")
    # m1 exported again with an older updated_at: the stored copy still wins
    late.message("m1", "c1", "w1", "2026-11-18T10:00:00Z", "customer",
                 updated_at="2026-11-17T00:00:00Z", file="late.jsonl")
    late.message("m7", "c1", "w1", "2026-11-19T07:00:00Z", "agent", "a1", ai_assist="none",
                 file="late.jsonl")
    late.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19", "--rejected-threshold", "1")

    assert query(nightly / "ochre.duckdb", rejected) == [
        ("m2", "messages/late.jsonl", "unknown conversation"),
        ("m6", "messages/late.jsonl", "unknown conversation"),
    ]
    every_row = "select * exclude (_good_since) from int_messages_deduplicated order by all"
    good = ("select message_id, conversation_id, source_file from int_messages_deduplicated "
            "where reject_reason is null order by 1")
    assert query(nightly / "ochre.duckdb", good) == [
        ("m1", "c1", "messages/messages.jsonl"),
        ("m2", "c1", "messages/messages.jsonl"),
        ("m3", "c1", "messages/m3.jsonl"),
        ("m5", "c9", "messages/messages.jsonl"),
        ("m6", "c1", "messages/messages.jsonl"),
        ("m7", "c1", "messages/late.jsonl"),
        ("m8", "c1", "messages/m8.jsonl"),
    ]
    assert query(nightly / "ochre.duckdb", every_row) == query(full / "ochre.duckdb", every_row)
    # m5 was rescued after the look-back: it counts as new from the newest updated_at the
    # first run saw (m6's); every other good copy from its updated_at, a rejected one never
    good_since = ("select message_id, reject_reason is null, _good_since = updated_at,"
                  " strftime(_good_since, '%Y-%m-%dT%H:%M') from int_messages_deduplicated"
                  " where _good_since is distinct from updated_at order by all")
    assert query(nightly / "ochre.duckdb", good_since) == [
        ("m2", False, None, None),
        ("m5", True, False, "2026-11-18T12:00"),
        ("m6", False, None, None),
    ]
    assert query(full / "ochre.duckdb", good_since) == [
        ("m2", False, None, None),
        ("m6", False, None, None),
    ]
    published = "select * from rejected_records order by all"
    assert query(nightly / "published" / "leaderboard.duckdb", published) \
        == query(full / "published" / "leaderboard.duckdb", published)


def test_late_record_older_than_the_watermark_reaches_the_daily_figures(tmp_path):
    """A record that lands late with an updated_at older than the newest one already
    processed: the facts rebuild its date without a newer source record, and the daily
    figures (incremental on the facts' watermark) must still pick that date up."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.conversation("c1", "w1", "2026-11-17T09:00:00Z")
    land.message("m1", "c1", "w1", "2026-11-17T09:10:00Z", "agent", "a1", ai_assist="none")
    land.conversation("c2", "w1", "2026-11-18T09:00:00Z")
    land.message("m2", "c2", "w1", "2026-11-18T09:10:00Z", "agent", "a1", ai_assist="none")
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19") == 0

    late = Landing()
    # updated before m2, the newest record of the first run
    late.message("m3", "c1", "w1", "2026-11-17T11:00:00Z", "agent", "a1", ai_assist="draft_sent",
                 file="late.jsonl")
    late.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19")

    sql = ("select activity_date, replies_sent, ai_draft_sent_replies from agent_daily_activity "
           "where agent_id = 'a1' order by 1")
    expected = [(dt.date(2026, 11, 17), 2, 1), (dt.date(2026, 11, 18), 1, 0)]
    assert query(full / "published" / "leaderboard.duckdb", sql) == expected
    assert query(nightly / "published" / "leaderboard.duckdb", sql) == expected
    marks = "select max(_watermark) from fct_agent_activity"
    assert query(nightly / "ochre.duckdb", marks) > query(full / "ochre.duckdb", marks)


def test_late_message_on_an_old_conversation_reads_its_earlier_messages(tmp_path):
    """Readers of messages by conversation skip row groups older than the conversations'
    first message (int_conversation_message_bounds). A late message on a conversation whose
    other messages are weeks older than the look-back must still be read with them: a1's
    first reply stays the old one (no new sample), the takeover date stays the old date."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.answered("c1", "w1", "a1", "2026-10-20T09:00:00Z", "2026-10-20T09:30:00Z", ("m1", "m2"))
    land.answered("c2", "w1", "a1", "2026-11-18T08:00:00Z", "2026-11-18T08:10:00Z", ("m3", "m4"))
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19") == 0

    late = Landing()
    late.message("m5", "c1", "w1", "2026-11-19T07:00:00Z", "customer", file="late.jsonl")
    late.message("m6", "c1", "w1", "2026-11-19T07:20:00Z", "agent", "a1", ai_assist="none",
                 file="late.jsonl")
    late.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19")

    bounds = "select conversation_id, first_message_at from int_conversation_message_bounds"
    assert sorted(query(nightly / "ochre.duckdb", bounds)) == [
        ("c1", dt.datetime(2026, 10, 20, 9, 0, tzinfo=dt.UTC)),
        ("c2", dt.datetime(2026, 11, 18, 8, 0, tzinfo=dt.UTC)),
    ]
    sql = ("select first_response_samples, median_first_response_seconds, replies_sent "
           "from agent_leaderboard where agent_id = 'a1' and period_days = 7")
    expected = [(1, 600.0, 2)]  # c2's sample only: m6 is not a1's first reply in c1
    assert query(full / "published" / "leaderboard.duckdb", sql) == expected
    assert query(nightly / "published" / "leaderboard.duckdb", sql) == expected
    for table in ("int_first_response_samples", "fct_conversation_activity"):
        rows = f"select * exclude (_watermark) from {table} order by all"
        assert query(nightly / "ochre.duckdb", rows) == query(full / "ochre.duckdb", rows)
    takeover = ("select distinct human_takeover_date from fct_conversation_activity "
                "where conversation_id = 'c1'")
    assert query(nightly / "ochre.duckdb", takeover) == [(dt.date(2026, 10, 20),)]


def test_records_rescued_after_the_look_back_reach_the_facts(tmp_path):
    """Records rejected because their conversation (or workspace) had not landed become good
    when it lands. When that happens after the look-back (their updated_at is older than the
    run's cutoff), the nightly run must still count them: a1's reply, first-response sample,
    CSAT response and mention on 11-12 appear in the drill-down and the leaderboard as after
    a full refresh; so does everything of workspace w2, which lands last (its agent, its
    conversation and that conversation's messages are rescued in the same run)."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.answered("c1", "w1", "a1", "2026-11-18T09:00:00Z", "2026-11-18T09:10:00Z", ("m1", "m2"))
    # conversation c9 has not landed: its records are rejected (unknown conversation)
    land.message("m5", "c9", "w1", "2026-11-12T10:00:00Z", "customer")
    land.message("m6", "c9", "w1", "2026-11-12T10:20:00Z", "agent", "a1",
                 ai_assist="draft_sent")
    land.csat("r1", "c9", "w1", 2, "2026-11-12T12:00:00Z")
    land.mention("n1", "m6", "c9", "w1", "a1", "2026-11-12T10:20:00Z")
    # workspace w2 has not landed: its agent, conversation and messages are rejected
    land.agent("b1", "w2")
    land.answered("c7", "w2", "b1", "2026-11-13T09:00:00Z", "2026-11-13T09:05:00Z", ("m7", "m8"))
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19", "--rejected-threshold", "1") == 0
    rejected = ("select entity, reason, count(*) from rejected_records "
                "group by all order by all")
    assert query(nightly / "published" / "leaderboard.duckdb", rejected) == [
        ("agents", "unknown workspace", 1),
        ("conversations", "unknown workspace", 1),
        ("csat_responses", "unknown conversation", 1),
        ("mentions", "unknown conversation", 1),
        ("messages", "unknown conversation", 2),
        ("messages", "unknown workspace", 2),
    ]

    late = Landing()
    late.conversation("c9", "w1", "2026-11-12T10:00:00Z", updated_at="2026-11-19T08:00:00Z",
                      file="late.jsonl")
    late.workspace("w2", "UTC", updated_at="2026-11-19T08:30:00Z", file="late.jsonl")
    late.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19", "--rejected-threshold", "1")

    daily = ("select activity_date, conversations_handled, replies_sent, first_response_samples,"
             " median_first_response_seconds, csat_responses, csat_score_sum,"
             " ai_draft_sent_replies, mentions_received"
             " from agent_daily_activity where agent_id = 'a1' order by 1")
    expected_daily = [
        (dt.date(2026, 11, 12), 1, 1, 1, 1200.0, 1, 2, 1, 1),
        (dt.date(2026, 11, 18), 1, 1, 1, 600.0, 0, 0, 0, 0),
    ]
    assert query(full / "published" / "leaderboard.duckdb", daily) == expected_daily
    assert query(nightly / "published" / "leaderboard.duckdb", daily) == expected_daily
    for table in COMPARED:
        assert_published_equal(nightly, full, table)
    board = ("select replies_sent, first_response_samples, csat_responses, mentions_received"
             " from agent_leaderboard where agent_id = 'a1' and period_days = 30")
    assert query(nightly / "published" / "leaderboard.duckdb", board) == [(2, 2, 1, 1)]
    b1 = daily.replace("agent_id = 'a1'", "agent_id = 'b1'")
    expected_b1 = [(dt.date(2026, 11, 13), 1, 1, 1, 300.0, 0, 0, 0, 0)]
    assert query(full / "published" / "leaderboard.duckdb", b1) == expected_b1
    assert query(nightly / "published" / "leaderboard.duckdb", b1) == expected_b1
    assert query(nightly / "published" / "leaderboard.duckdb", rejected) == []


def test_a_time_zone_change_re_dates_the_workspace_history(tmp_path):
    """Dates are computed in the workspace's current time zone (spec/landing.md). When a
    workspace moves from UTC to Europe/Berlin, the nightly run re-dates its older records as
    a full refresh does: a1's reply at 23:30 UTC on 11-10 is on 11-11 in Berlin, with its
    first-response sample, CSAT response and mention. Workspace w2 (UTC) keeps activity on
    11-10, and its figures do not move."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.answered("c1", "w1", "a1", "2026-11-10T22:50:00Z", "2026-11-10T23:30:00Z",
                  ("m1", "m2"), ai_assist="draft_edited")
    land.csat("r1", "c1", "w1", 5, "2026-11-10T23:40:00Z")
    land.mention("n1", "m2", "c1", "w1", "a1", "2026-11-10T23:30:00Z")
    land.answered("c2", "w1", "a1", "2026-11-15T10:00:00Z", "2026-11-15T10:05:00Z", ("m3", "m4"))
    land.workspace("w2", "UTC")
    land.agent("b1", "w2")
    land.answered("c3", "w2", "b1", "2026-11-10T12:00:00Z", "2026-11-10T12:15:00Z", ("m5", "m6"))
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19") == 0
    daily = ("select activity_date, conversations_handled, replies_sent, first_response_samples,"
             " median_first_response_seconds, csat_responses, csat_score_sum,"
             " ai_draft_edited_replies, mentions_received"
             " from agent_daily_activity where agent_id = '{}' order by 1")
    published = nightly / "published" / "leaderboard.duckdb"
    assert query(published, daily.format("a1"))[0] == (
        dt.date(2026, 11, 10), 1, 1, 1, 2400.0, 1, 5, 1, 1)

    moved = Landing()
    moved.workspace("w1", "Europe/Berlin", updated_at="2026-11-19T08:00:00Z", file="late.jsonl")
    moved.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19")

    expected_a1 = [
        (dt.date(2026, 11, 11), 1, 1, 1, 2400.0, 1, 5, 1, 1),
        (dt.date(2026, 11, 15), 1, 1, 1, 300.0, 0, 0, 0, 0),
    ]
    expected_b1 = [(dt.date(2026, 11, 10), 1, 1, 1, 900.0, 0, 0, 0, 0)]
    for warehouse in (full, nightly):
        db = warehouse / "published" / "leaderboard.duckdb"
        assert query(db, daily.format("a1")) == expected_a1
        assert query(db, daily.format("b1")) == expected_b1
    for table in COMPARED:
        assert_published_equal(nightly, full, table)


@pytest.mark.parametrize("move", ["re-exported reply", "time-zone change"])
def test_a_date_whose_only_activity_moves_away_leaves_the_daily_tables(tmp_path, move):
    """The only activity of 11-10, a1's reply in c1 at 23:30 UTC, moves to 11-11: its
    messages are re-exported with corrected times, or workspace w1 (the only one) moves to
    Europe/Berlin. No record is on 11-10 any more, so the nightly run drops that date from
    the facts and the daily figures, as a full refresh has none."""
    from tests.landing_builder import Landing

    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1")
    land.answered("c1", "w1", "a1", "2026-11-10T22:50:00Z", "2026-11-10T23:30:00Z", ("m1", "m2"))
    land.answered("c2", "w1", "a1", "2026-11-15T10:00:00Z", "2026-11-15T10:05:00Z", ("m3", "m4"))
    landing = land.write(tmp_path / "landing")
    nightly, full = tmp_path / "nightly", tmp_path / "full"
    assert run_pipeline(landing, nightly, "2026-11-19") == 0
    dates = ("select distinct activity_date from {} order by 1")
    build = nightly / "ochre.duckdb"
    assert query(build, dates.format("fct_agent_activity"))[0][0] == dt.date(2026, 11, 10)

    moved = Landing()
    if move == "time-zone change":
        moved.workspace("w1", "Europe/Berlin", updated_at="2026-11-19T08:00:00Z",
                        file="late.jsonl")
    else:
        moved.message("m1", "c1", "w1", "2026-11-11T00:50:00Z", "customer",
                      updated_at="2026-11-19T08:00:00Z", file="late.jsonl")
        moved.message("m2", "c1", "w1", "2026-11-11T01:30:00Z", "agent", "a1",
                      ai_assist="none", updated_at="2026-11-19T08:00:00Z", file="late.jsonl")
    moved.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19")

    expected = [(dt.date(2026, 11, 11),), (dt.date(2026, 11, 15),)]
    for model in ("fct_agent_activity", "fct_conversation_activity", "int_agent_activity_daily"):
        assert query(build, dates.format(model)) == expected, model
    db = nightly / "published" / "leaderboard.duckdb"
    assert query(db, "select activity_date, replies_sent from agent_daily_activity"
                     " order by 1") == [(dt.date(2026, 11, 11), 1), (dt.date(2026, 11, 15), 1)]
    for table in COMPARED:
        assert_published_equal(nightly, full, table)


def test_warehouse_of_an_earlier_version_asks_for_a_full_refresh(tmp_path, capsys):
    """A deduplicated table built before `_good_since` existed: the nightly run stops with
    what to do (not a database error about a missing column) and publishes nothing; one
    full refresh rebuilds it and nightly runs work again."""
    import duckdb

    from tests.landing_builder import WORKED_EXAMPLE

    landing, warehouse = WORKED_EXAMPLE / "landing", tmp_path / "warehouse"
    assert run_pipeline(landing, warehouse, "2026-11-20") == 0
    published = warehouse / "published" / "leaderboard.duckdb"
    before = published.stat().st_mtime_ns
    con = duckdb.connect(str(warehouse / "ochre.duckdb"))
    con.execute("alter table int_messages_deduplicated drop column _good_since")
    con.close()
    capsys.readouterr()
    assert run_pipeline(landing, warehouse, "2026-11-20") == 1
    out = capsys.readouterr()
    text = " ".join((out.out + out.err).split())
    assert "int_messages_deduplicated\" was built by an earlier version of this project and " \
           "lacks column(s) _good_since: rebuild it once with a full refresh " \
           "(`ochre-analytics run --full-refresh`" in text
    assert "Binder Error" not in text
    assert published.stat().st_mtime_ns == before
    assert run_pipeline(landing, warehouse, "2026-11-20", "--full-refresh") == 0
    assert run_pipeline(landing, warehouse, "2026-11-20") == 0
    assert query(warehouse / "ochre.duckdb",
                 "select count(*) from int_messages_deduplicated"
                 " where reject_reason is null and _good_since = updated_at")[0][0] > 0
