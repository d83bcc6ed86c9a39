"""Nightly runs load each landing file once and publish what one full refresh publishes.

Every record of every loaded file ends in exactly one place (the current or a superseded
copy of its id, or rejected_records), in every run; a bad night publishes nothing.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json

import pandas as pd
import pytest

from tests.landing_builder import (
    Landing,
    generate_daily_exports,
    land_until,
    query,
    query_df,
    run_cli_capture,
    run_pipeline,
)

END = dt.date(2026, 11, 20)
COMPARED = {
    "agent_leaderboard": ["workspace_id", "period_days", "agent_id"],
    "team_kpis": ["workspace_id", "period_days"],
    "agent_daily_activity": ["agent_id", "activity_date"],
    "agent_low_csat_conversations": ["agent_id", "conversation_id"],
    "conversation_summary": ["conversation_id"],
    "agents": ["agent_id"],
    "workspaces": ["workspace_id"],
    "rejected_records": ["entity", "source_file", "line_number", "reason"],
    "landing_file_loads": ["source_file"],
}
# when a file was loaded differs between a nightly sequence and a full refresh
NOT_COMPARED = {"landing_file_loads": ["loaded_at"]}


# each day's median first response in business seconds per workspace, 11-16 .. 11-18
BUSINESS_BY_DAY = """
    select agents.workspace_id, daily.activity_date,
           median(daily.median_first_response_business_seconds)
    from agent_daily_activity as daily
    inner join agents on agents.agent_id = daily.agent_id
    where daily.activity_date between '2026-11-16' and '2026-11-18'
        and daily.first_response_samples > 0
    group by all
    order by all
"""


def nightly_then_full_refresh(landing, nightly, full, as_of, *extra):
    """A nightly run on the warehouse the test built so far, and a full refresh in another."""
    assert run_pipeline(landing, nightly, as_of, *extra) == 0
    assert run_pipeline(landing, full, as_of, "--full-refresh", *extra) == 0


def published(warehouse):
    return warehouse / "published" / "leaderboard.duckdb"


def published_frame(warehouse, table):
    frame = query_df(published(warehouse), f"select * from {table}")
    frame = frame.drop(columns=NOT_COMPARED.get(table, []))
    return frame.sort_values(COMPARED[table]).reset_index(drop=True)


def assert_published_equal(nightly, full, table):
    """The table both warehouses published: same columns, types and rows (floats to 1e-12)."""
    a, b = published_frame(nightly, table), published_frame(full, table)
    pd.testing.assert_frame_equal(a, b, check_exact=False, rtol=1e-12)
    return a


def records_in(path):
    """Records of a landing file, counted here (non-blank lines, or Parquet rows)."""
    if path.name.endswith(".parquet"):
        import pyarrow.parquet as pq

        return pq.read_metadata(path).num_rows
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())


def assert_every_record_accounted_for(landing, warehouse):
    """Per landing file: the records in it = records read = current + superseded + rejected,
    and rejected_records lists exactly the rejected ones."""
    loads = {
        row[0]: row[1:]
        for row in query(
            published(warehouse),
            "select source_file, records_read, records_current, records_superseded,"
            " records_rejected from landing_file_loads where load_status = 'loaded'",
        )
    }
    files = {
        p.relative_to(landing).as_posix(): p
        for p in landing.glob("*/*")
        if p.name.endswith((".jsonl", ".jsonl.gz", ".parquet")) and not p.name.startswith(".")
    }
    assert sorted(loads) == sorted(files)
    listed = dict(
        query(published(warehouse),
              "select source_file, count(*) from rejected_records group by all")
    )
    for name, path in files.items():
        read, current, superseded, rejected = loads[name]
        assert read == records_in(path), name
        assert read == current + superseded + rejected, name
        assert rejected == listed.get(name, 0), name


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Three nights of generated daily exports (records of earlier days arrive late among
    them), then one more night's files; a full refresh of the last landing beside it."""
    root = tmp_path_factory.mktemp("incremental")
    source = root / "source"
    generate_daily_exports(source, END)
    landing = root / "landing"
    nightly = root / "nightly"
    for day in (END - dt.timedelta(days=2), END - dt.timedelta(days=1), END):
        land_until(source, landing, day)
        assert run_pipeline(landing, nightly, day.isoformat(), "--rejected-threshold", "1") == 0
        assert_every_record_accounted_for(landing, nightly)
    land_until(source, landing, END + dt.timedelta(days=1))
    assert run_pipeline(landing, nightly, END.isoformat(), "--rejected-threshold", "1") == 0
    full = root / "full"
    assert run_pipeline(landing, full, END.isoformat(), "--full-refresh",
                        "--rejected-threshold", "1") == 0
    return source, landing, nightly, full


def test_late_records_were_part_of_the_sequence(runs):
    source, _, _, _ = runs
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
    _, _, nightly, full = runs
    assert len(assert_published_equal(nightly, full, table)) > 0


def test_every_record_of_every_file_is_accounted_for(runs):
    _, landing, nightly, full = runs
    assert_every_record_accounted_for(landing, nightly)
    assert_every_record_accounted_for(landing, full)


def test_each_file_was_loaded_once_by_the_first_run_after_it_landed(runs):
    _, _, nightly, full = runs
    # four nightly runs loaded the files that had landed since the run before
    runs_that_loaded = "select count(distinct loaded_at) from landing_file_loads"
    assert query(published(nightly), runs_that_loaded) == [(4,)]
    assert query(published(full), runs_that_loaded) == [(1,)]
    # and the facts were rebuilt conversation by conversation, not all at once
    sql = "select count(*), count(distinct _built_at) from fct_agent_activity"
    nightly_rows, nightly_builds = query(nightly / "ochre.duckdb", sql)[0]
    full_rows, full_builds = query(full / "ochre.duckdb", sql)[0]
    assert nightly_rows == full_rows
    assert full_builds == 1
    assert nightly_builds > 1


def test_a_file_changed_after_it_was_loaded_stops_the_run(runs, tmp_path, capsys):
    import shutil

    _, landing, nightly, _ = runs
    changed_landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    shutil.copytree(landing, changed_landing)
    shutil.copytree(nightly, warehouse)
    before = published(warehouse).read_bytes()
    target = sorted((changed_landing / "messages").glob("*.jsonl"))[0]
    with open(target, "a") as handle:
        handle.write("\n")
    capsys.readouterr()
    code = run_pipeline(changed_landing, warehouse, END.isoformat(), "--rejected-threshold", "1")
    err = capsys.readouterr().err
    assert code != 0
    assert f"landing file messages/{target.name} changed after it was loaded" in err
    assert "Traceback" not in err
    assert published(warehouse).read_bytes() == before
    # a full refresh loads every file again, the changed one as it is now
    assert run_pipeline(changed_landing, warehouse, END.isoformat(), "--full-refresh",
                        "--rejected-threshold", "1") == 0


# --------------------------------------------------------------------------- several nights


def base_landing() -> Landing:
    """Two workspaces, four agents and 150 answered conversations on 11-16 .. 11-18: enough
    good records that two rejected ones stay under the 1 % gate. c99 is answered at 23:30 UTC
    on 11-17, which is 11-18 in Berlin."""
    land = Landing()
    land.workspace("w1", "UTC")
    land.workspace("w2", "UTC")
    for agent, ws in (("a1", "w1"), ("a2", "w1"), ("b1", "w2"), ("b2", "w2")):
        land.agent(agent, ws)
    for n in range(150):
        ws, agents = ("w1", ("a1", "a2")) if n % 2 == 0 else ("w2", ("b1", "b2"))
        day = 16 + n % 3
        land.answered(f"c{n:02d}", ws, agents[n % 4 // 2], f"2026-11-{day}T09:00:00Z",
                      f"2026-11-{day}T09:{10 + n % 40:02d}:00Z", (f"q{n:02d}", f"r{n:02d}"))
        land.csat(f"s{n:02d}", f"c{n:02d}", ws, 1 + n % 5, f"2026-11-{day}T12:00:00Z")
    land.answered("c199", "w2", "b1", "2026-11-17T23:00:00Z", "2026-11-17T23:30:00Z",
                  ("q199", "r199"))
    return land


@pytest.fixture(scope="module")
def nights(tmp_path_factory):
    """Four nights on one warehouse, each landing new files, with a full refresh of the
    same landing beside the nights it compares. Returns the runs' folders and outputs."""
    root = tmp_path_factory.mktemp("nights")
    landing, nightly = root / "landing", root / "nightly"
    out: dict[str, object] = {"landing": landing, "nightly": nightly}

    # night 1 (as of 11-18): messages whose conversation has not landed (children before
    # their parent), and one side of a same-id, same-updated_at conflict
    land = base_landing()
    land.message("k1", "cz9", "w1", "2026-11-17T10:00:00Z", "customer", file="early.jsonl")
    land.message("k2", "cz9", "w1", "2026-11-17T10:20:00Z", "agent", "a1",
                 ai_assist="draft_sent", file="early.jsonl")
    land.message("t1", "c01", "w2", "2026-11-18T09:30:00Z", "agent", "b1",
                 ai_assist="draft_sent", updated_at="2026-11-18T10:00:00Z", file="b_export.jsonl")
    land.message("t2", "c03", "w2", "2026-11-18T09:40:00Z", "agent", "b2",
                 ai_assist="draft_sent", updated_at="2026-11-18T10:00:00Z", file="b_export.jsonl")
    # business hours: w1 opens at 09:15 on weekdays (its 09:00 waits start before opening),
    # w2 has none yet (null business figures)
    for weekday in range(1, 6):
        land.interval(f"h1-{weekday}", "w1", weekday, "09:15", "17:00")
    land.write(landing)
    assert run_pipeline(landing, nightly, "2026-11-18") == 0
    out["night1_business"] = query(published(nightly), BUSINESS_BY_DAY)
    out["night1_rejected"] = query(published(nightly), "select record_id, reason "
                                   "from rejected_records order by 1")

    # night 2 (as of 11-19): the parent lands; records weeks late with an old updated_at;
    # the other sides of the conflicts (one file sorting before b_export, one after); a
    # record with a far-future updated_at, and a valid record updated before it
    later = Landing(file="night2.jsonl")
    later.conversation("cz9", "w1", "2026-11-17T10:00:00Z", updated_at="2026-11-19T06:00:00Z")
    later.answered("cw1", "w1", "a2", "2026-10-20T08:00:00Z", "2026-10-20T08:45:00Z",
                   ("qw1", "rw1"))
    later.message("t1", "c01", "w2", "2026-11-18T09:30:00Z", "agent", "b1", ai_assist="none",
                  updated_at="2026-11-18T10:00:00Z", file="a_export.jsonl")
    later.message("t2", "c03", "w2", "2026-11-18T09:40:00Z", "agent", "b2", ai_assist="none",
                  updated_at="2026-11-18T10:00:00Z", file="z_export.jsonl")
    later.message("f1", "c00", "w1", "2026-11-19T08:00:00Z", "customer",
                  updated_at="9999-12-31T00:00:00Z", file="future.jsonl")
    later.message("f2", "c00", "w1", "2026-11-19T08:05:00Z", "agent", "a1", ai_assist="none",
                  updated_at="2026-11-19T08:05:00Z", file="future.jsonl")
    # a holiday for a day already counted (11-17, w1) lands late, and w2's hours begin
    later.holiday("hol-17", "w1", "2026-11-17", file="night2_holidays.jsonl")
    for weekday in range(1, 6):
        later.interval(f"h2-{weekday}", "w2", weekday, "09:00", "09:20",
                       file="night2_hours.jsonl")
    later.write(landing)
    full2 = root / "full2"
    # one record of the night's six messages is rejected: the gate applies to the night's
    # records, so this night runs with a higher threshold
    nightly_then_full_refresh(landing, nightly, full2, "2026-11-19", "--rejected-threshold", "0.2")
    out["full2"] = full2
    out["night2"] = {table: published_frame(nightly, table) for table in COMPARED}
    out["night2_business"] = query(published(nightly), BUSINESS_BY_DAY)

    # night 3 (as of 11-20): a bad night: a file in which 5 % of the messages point at
    # conversations that never landed. The run publishes nothing and says why.
    bad = Landing(file="bad_night.jsonl")
    for n in range(40):
        conv = f"x{n:02d}" if n < 4 else f"c{n:02d}"
        ws = "w1" if n % 2 == 0 else "w2"
        bad.message(f"b{n:02d}", conv, ws, "2026-11-20T07:00:00Z", "customer")
    bad.write(landing)
    before = published(nightly).read_bytes()
    code, err = run_cli_capture("run", "--landing", str(landing), "--warehouse", str(nightly),
                                "--as-of", "2026-11-20")
    out["bad_night"] = (code, err, before == published(nightly).read_bytes())

    # night 4 (as of 11-20): the missing conversations land; workspace w2 moves to
    # Europe/Berlin; a reply is re-exported with a newer updated_at
    fixed = Landing(file="night4.jsonl")
    for n in range(4):
        fixed.conversation(f"x{n:02d}", "w1" if n % 2 == 0 else "w2", "2026-11-20T06:50:00Z",
                           updated_at="2026-11-20T23:00:00Z")
    fixed.workspace("w2", "Europe/Berlin", updated_at="2026-11-20T23:00:00Z")
    fixed.message("r02", "c02", "w1", "2026-11-18T09:12:00Z", "agent", "a2",
                  ai_assist="draft_edited", updated_at="2026-11-20T23:00:00Z")
    fixed.write(landing)
    full4 = root / "full4"
    nightly_then_full_refresh(landing, nightly, full4, "2026-11-20")
    out["full4"] = full4
    return out


def test_children_before_their_parent_are_listed_until_it_lands(nights):
    assert nights["night1_rejected"] == [("k1", "unknown conversation"),
                                         ("k2", "unknown conversation")]
    sql = ("select ai_draft_sent_replies from agent_daily_activity"
           " where agent_id = 'a1' and activity_date = '2026-11-17'")
    # on 11-17 a1 answered cz9 (draft_sent): counted from the night its conversation landed
    assert query(published(nights["full2"]), sql) == [(1,)]
    assert query(published(nights["nightly"]), sql) == [(1,)]


def test_business_hours_that_land_late_re_measure_the_days_they_cover(nights):
    """Night 1: w1 opens at 09:15, w2 has no hours. Night 2: a holiday on 11-17 for w1 and
    hours for w2 land; the nightly run re-measures those days (the nightly-equals-full-refresh
    tests compare every business column too)."""
    night1 = {(ws, day): median for ws, day, median in nights["night1_business"]}
    night2 = {(ws, day): median for ws, day, median in nights["night2_business"]}
    days = [dt.date(2026, 11, d) for d in (16, 17, 18)]
    assert set(night1) == set(night2) == {(ws, d) for ws in ("w1", "w2") for d in days}
    # 09:00 waits answered 09:10 .. 09:49: only the part after 09:15 counts
    assert all(0 < night1[("w1", d)] < 35 * 60 for d in days)
    assert all(night1[("w2", d)] is None for d in days)
    assert night2[("w1", days[1])] == 0  # the holiday: closed all day
    assert night2[("w1", days[0])] == night1[("w1", days[0])]
    assert night2[("w1", days[2])] == night1[("w1", days[2])]
    # w2 opens 09:00-09:20: at most the 20 open minutes of each wait
    assert all(0 < night2[("w2", d)] <= 20 * 60 for d in days)


def test_records_weeks_late_are_counted_the_night_they_land(nights):
    sql = ("select activity_date, replies_sent from agent_daily_activity"
           " where agent_id = 'a2' and activity_date < '2026-11-01'")
    assert query(published(nights["nightly"]), sql) == [(dt.date(2026, 10, 20), 1)]
    assert query(published(nights["full2"]), sql) == [(dt.date(2026, 10, 20), 1)]


def test_same_id_same_updated_at_has_one_winner_whatever_the_order_it_landed(nights):
    """t1: b_export (night 1) beats a_export (night 2); t2: z_export (night 2) beats
    b_export (night 1): the copy in the file whose path sorts last wins."""
    sql = ("select message_id, source_file, ai_assist from int_messages_deduplicated"
           " where message_id in ('t1', 't2') and copy_status = 'current' order by 1")
    expected = [("t1", "messages/b_export.jsonl", "draft_sent"),
                ("t2", "messages/z_export.jsonl", "none")]
    assert query(nights["nightly"] / "ochre.duckdb", sql) == expected
    assert query(nights["full2"] / "ochre.duckdb", sql) == expected


def test_a_far_future_updated_at_is_rejected_and_skips_nothing(nights):
    rejected = ("select record_id, reason from rejected_records"
                " where source_file = 'messages/future.jsonl'")
    assert query(published(nights["nightly"]), rejected) == [("f1", "updated_at in the future")]
    sql = ("select replies_sent from agent_daily_activity"
           " where agent_id = 'a1' and activity_date = '2026-11-19'")
    assert query(published(nights["nightly"]), sql) == [(1,)]  # f2, updated before f1


def test_a_bad_night_publishes_nothing_and_lists_the_bad_records(nights):
    code, err, unchanged = nights["bad_night"]
    assert code == 1
    assert unchanged
    assert "messages: 10.0 % of 40 records rejected (threshold 1.0 %)" in err
    for n in range(4):
        assert f"messages/bad_night.jsonl:{n + 1} b{n:02d} unknown conversation" in err
    assert "Traceback" not in err


def test_the_night_after_a_bad_night_counts_what_was_rescued(nights):
    for table in COMPARED:
        assert_published_equal(nights["nightly"], nights["full4"], table)
    assert query(published(nights["nightly"]), "select count(*) from rejected_records"
                 " where source_file = 'messages/bad_night.jsonl'") == [(0,)]
    assert_every_record_accounted_for(nights["landing"], nights["nightly"])


@pytest.mark.parametrize("table", sorted(COMPARED))
def test_the_second_night_equals_a_full_refresh(nights, table):
    expected = published_frame(nights["full2"], table)
    pd.testing.assert_frame_equal(nights["night2"][table], expected, check_exact=False,
                                  rtol=1e-12)


def test_a_time_zone_change_re_dates_the_workspace_history(nights):
    """w2 moved to Europe/Berlin on night 4: b1's reply at 23:30 UTC on 11-17 is on 11-18."""
    sql = ("select conversation_id, activity_date from fct_agent_activity"
           " where conversation_id = 'c199'")
    assert query(nights["nightly"] / "ochre.duckdb", sql) == [("c199", dt.date(2026, 11, 18))]
    assert query(nights["full4"] / "ochre.duckdb", sql) == [("c199", dt.date(2026, 11, 18))]
    zones = query(nights["nightly"] / "ochre.duckdb", "select distinct timezone"
                  " from int_conversation_changes where workspace_id = 'w2'")
    assert zones == [("Europe/Berlin",)]


# --------------------------------------------------------------------------- late changes

MOVES = {"re-exported reply": "wm1", "reply re-exported as a note": "wm2"}
"""The workspace of each case of a conversation whose only activity moves away."""
FIRST_RESPONSE_OF_AL = (
    "select first_response_samples, median_first_response_seconds, replies_sent "
    "from agent_leaderboard where agent_id = 'al' and period_days = 7"
)
ACTIVITY_DATES = "select distinct activity_date from {} where workspace_id = ? order by 1"


@pytest.fixture(scope="module")
def late_changes(tmp_path_factory):
    """Late records that change what earlier nights counted, one case per workspace on one
    landing (the cases share no id): a night as of 11-19, the late files, a second night
    as of 11-19 and a full refresh of the same landing. Returns the warehouses and what the
    first night published."""
    root = tmp_path_factory.mktemp("late_changes")
    land = Landing()
    # wl: al answers cl at 10:30, 30 minutes after the customer's message
    land.workspace("wl", "UTC")
    land.agent("al", "wl")
    land.conversation("cl", "wl", "2026-11-18T09:50:00Z")
    land.message("ml1", "cl", "wl", "2026-11-18T10:00:00Z", "customer")
    land.message("ml2", "cl", "wl", "2026-11-18T10:30:00Z", "agent", "al", ai_assist="none")
    # wm1, wm2: the only activity of cm1a / cm2a is a reply at 23:30 UTC on 11-10; each
    # agent also answers another conversation on 11-15
    for n, ws in enumerate(MOVES.values(), start=1):
        land.agent(f"am{n}", ws)
        land.workspace(ws, "UTC")
        land.answered(f"cm{n}a", ws, f"am{n}", "2026-11-10T22:50:00Z", "2026-11-10T23:30:00Z",
                      (f"mm{n}a", f"mm{n}b"))
        land.answered(f"cm{n}b", ws, f"am{n}", "2026-11-15T10:00:00Z", "2026-11-15T10:05:00Z",
                      (f"mm{n}c", f"mm{n}d"))
    landing = land.write(root / "landing")
    nightly, full = root / "nightly", root / "full"
    assert run_pipeline(landing, nightly, "2026-11-19") == 0
    out = {
        "nightly": nightly,
        "full": full,
        "first_night_al": query(published(nightly), FIRST_RESPONSE_OF_AL),
        "first_night_dates": {
            ws: query(nightly / "ochre.duckdb", ACTIVITY_DATES.format("fct_agent_activity"), [ws])
            for ws in MOVES.values()
        },
    }

    late = Landing(file="late.jsonl")
    # wl: a reply of al at 09:50, before the customer wrote: al's first reply, with no
    # customer waiting, so cl has no first-response sample any more
    late.message("ml0", "cl", "wl", "2026-11-18T09:50:00Z", "agent", "al", ai_assist="none",
                 updated_at="2026-11-19T08:00:00Z")
    # wm1: the reply is re-exported with corrected times (it moves to 11-11)
    late.message("mm1a", "cm1a", "wm1", "2026-11-11T00:50:00Z", "customer",
                 updated_at="2026-11-19T08:00:00Z")
    late.message("mm1b", "cm1a", "wm1", "2026-11-11T01:30:00Z", "agent", "am1",
                 ai_assist="none", updated_at="2026-11-19T08:00:00Z")
    # wm2: the reply is re-exported as an internal note (cm2a has no activity left)
    late.message("mm2b", "cm2a", "wm2", "2026-11-10T23:30:00Z", "agent", "am2",
                 message_type="note", updated_at="2026-11-19T08:00:00Z")
    late.write(landing)
    nightly_then_full_refresh(landing, nightly, full, "2026-11-19")
    return out


def test_late_earlier_reply_removes_a_conversations_only_sample(late_changes):
    """A late reply that becomes the agent's first reply (with no customer waiting) leaves the
    conversation without any sample: the nightly run must drop the stored one."""
    nightly, full = late_changes["nightly"], late_changes["full"]
    assert late_changes["first_night_al"] == [(1, 1800.0, 1)]
    expected = [(0, None, 2)]
    assert query(published(full), FIRST_RESPONSE_OF_AL) == expected
    assert query(published(nightly), FIRST_RESPONSE_OF_AL) == expected
    assert query(nightly / "ochre.duckdb", "select count(*) from int_first_response_samples"
                 " where conversation_id = 'cl'") == [(0,)]


@pytest.mark.parametrize("move", list(MOVES))
def test_a_conversation_whose_only_activity_moves_away_leaves_the_facts(late_changes, move):
    """The only activity of a conversation, a reply at 23:30 UTC on 11-10, is re-exported:
    with corrected times (it moves to 11-11), or as an internal note (the conversation has
    no activity left). The nightly run drops what the facts held for it, as a full refresh
    has none."""
    workspace = MOVES[move]
    build = late_changes["nightly"] / "ochre.duckdb"
    assert late_changes["first_night_dates"][workspace][0][0] == dt.date(2026, 11, 10)
    if move == "re-exported reply":
        expected = [(dt.date(2026, 11, 11),), (dt.date(2026, 11, 15),)]
    else:
        expected = [(dt.date(2026, 11, 15),)]
    for model in ("fct_agent_activity", "fct_conversation_activity"):
        assert query(build, ACTIVITY_DATES.format(model), [workspace]) == expected, model


@pytest.mark.parametrize("table", list(COMPARED))
def test_the_night_after_late_changes_equals_a_full_refresh(late_changes, table):
    assert_published_equal(late_changes["nightly"], late_changes["full"], table)


def test_warehouse_of_an_earlier_version_asks_for_a_full_refresh(tmp_path, capsys):
    """A build database from before the load log: the nightly run stops with what to do
    (not a database error) and publishes nothing; one full refresh rebuilds it."""
    import duckdb

    from tests.landing_builder import WORKED_EXAMPLE

    landing, warehouse = WORKED_EXAMPLE / "landing", tmp_path / "warehouse"
    assert run_pipeline(landing, warehouse, "2026-11-20") == 0
    before = published(warehouse).read_bytes()
    con = duckdb.connect(str(warehouse / "ochre.duckdb"))
    con.execute("drop table int_landing_files")
    con.close()
    capsys.readouterr()
    assert run_pipeline(landing, warehouse, "2026-11-20") == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "was built by an earlier version of ochre-analytics (it has no load log of " \
           "landing files): rebuild it once with --full-refresh" in err
    assert "Binder Error" not in err
    assert published(warehouse).read_bytes() == before
    assert run_pipeline(landing, warehouse, "2026-11-20", "--full-refresh") == 0
    assert run_pipeline(landing, warehouse, "2026-11-20") == 0
