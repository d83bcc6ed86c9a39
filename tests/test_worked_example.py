"""The worked example of spec/metrics.md, end to end through `ochre-analytics run`."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from tests.landing_builder import WORKED_EXAMPLE, query, query_df, run_pipeline

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("warehouse")
    assert run_pipeline(WORKED_EXAMPLE / "landing", warehouse, AS_OF) == 0
    return warehouse / "published" / "leaderboard.duckdb"


def _assert_frames_equal(actual: pd.DataFrame, expected: pd.DataFrame, keys: list[str]):
    assert list(actual.columns) == list(expected.columns)
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(actual) == len(expected)
    for col in expected.columns:
        for i, (a, e) in enumerate(zip(actual[col], expected[col], strict=True)):
            a_missing = a is None or (isinstance(a, float) and math.isnan(a)) or a is pd.NA
            e_missing = e is None or (isinstance(e, float) and math.isnan(e))
            if e_missing:
                assert a_missing, f"{col} row {i}: expected null, got {a!r}"
            elif isinstance(e, float):
                assert a == pytest.approx(e, rel=1e-12), f"{col} row {i}: {a!r} != {e!r}"
            else:
                assert str(a) == str(e), f"{col} row {i}: {a!r} != {e!r}"


def test_agent_leaderboard_matches_expected_csv(published):
    expected = pd.read_csv(WORKED_EXAMPLE / "expected_agent_leaderboard.csv")
    actual = query_df(published, "select * from agent_leaderboard")
    actual["as_of_date"] = actual["as_of_date"].astype(str)
    _assert_frames_equal(actual, expected, ["period_days", "agent_id"])


def test_team_kpis_match_expected_csv(published):
    expected = pd.read_csv(WORKED_EXAMPLE / "expected_team_kpis.csv")
    actual = query_df(published, "select * from team_kpis")
    actual["as_of_date"] = actual["as_of_date"].astype(str)
    _assert_frames_equal(actual, expected, ["period_days"])


def test_conversation_summary_matches_expected_csv(published):
    expected = pd.read_csv(
        WORKED_EXAMPLE / "expected_conversation_summary.csv", dtype={"csat_score": "Int64"}
    )
    actual = query_df(published, "select * from conversation_summary")
    for col in ("as_of_date", "opened_date", "first_response_date", "csat_submitted_date"):
        actual[col] = actual[col].astype(str).replace({"NaT": None})
    _assert_frames_equal(actual, expected, ["conversation_id"])


def test_conversation_summary_reproduces_the_90_day_figures(published):
    """spec/metrics.md, "Conversation summary": the rows give back the screen's numbers."""
    from_rows = query(
        published,
        "select count(*) filter (where human_replies + ai_replies > 0), "
        "count(*) filter (where handling = 'ai_handled'), "
        "count(csat_score), avg(csat_score), median(first_response_seconds) "
        "from conversation_summary",
    )
    from_tiles = query(
        published,
        "select conversations_replied, ai_handled_conversations, csat_responses, csat_avg, "
        "median_first_response_seconds from team_kpis where period_days = 90",
    )
    assert from_rows == from_tiles == [(2, 0, 1, 5.0, 450.0)]
    handled = query(
        published,
        "select l.agent_id, l.conversations_handled, count(c.conversation_id) "
        "from agent_leaderboard l left join conversation_summary c "
        "on list_contains(string_split(c.agents_replied, ','), l.agent_id) "
        "where l.period_days = 90 group by all order by 1",
    )
    assert handled == [("a1", 1, 1), ("a2", 2, 2)]
    replies = query(
        published,
        "select (select sum(replies_sent) from agent_leaderboard where period_days = 90), "
        "(select sum(human_replies) from conversation_summary)",
    )
    assert replies == [(4, 4)]


def test_worked_example_drill_down(published):
    daily = query(
        published,
        "select agent_id, activity_date::varchar, replies_sent, first_response_samples, "
        "median_first_response_seconds, csat_responses, csat_score_sum, mentions_received "
        "from agent_daily_activity order by agent_id, activity_date",
    )
    assert daily == [
        ("a1", "2026-11-18", 2, 1, 600.0, 0, 0, 0),
        ("a1", "2026-11-19", 0, 0, None, 1, 5, 0),
        ("a2", "2026-11-18", 1, 1, 3600.0, 0, 0, 0),
        ("a2", "2026-11-19", 1, 1, 300.0, 1, 5, 1),
    ]
    # the 2 on c1 was superseded by the 5 the next day: no low-score conversation
    assert query(published, "select count(*) from agent_low_csat_conversations") == [(0,)]


def test_published_file_has_no_personal_data(published):
    tables = [r[0] for r in query(published, "select table_name from information_schema.tables")]
    assert {"agent_leaderboard", "team_kpis", "agent_daily_activity",
            "agent_low_csat_conversations", "conversation_summary", "agents", "workspaces",
            "rejected_records", "publish_metadata"} <= set(tables)
    for table in tables:
        cols = query(published, "select column_name from information_schema.columns "
                                "where table_name = ?", [table])
        for (col,) in cols:
            assert "email" not in col.lower()
            hits = query(published, f'select count(*) from "{table}" '
                                    f'where cast("{col}" as varchar) like \'%@%\'')
            assert hits == [(0,)], f"{table}.{col} holds an @"


def test_as_of_before_the_rerate_counts_the_earlier_rating(tmp_path):
    """As of 11-18 the 2 given that day is the latest rating: a low-score conversation."""
    assert run_pipeline(WORKED_EXAMPLE / "landing", tmp_path, "2026-11-18") == 0
    db = tmp_path / "published" / "leaderboard.duckdb"
    low = query(db, "select agent_id, conversation_id, score, submitted_date::varchar "
                    "from agent_low_csat_conversations order by agent_id")
    assert low == [("a1", "c1", 2, "2026-11-18"), ("a2", "c1", 2, "2026-11-18")]
    rows = query(db, "select agent_id, csat_responses, csat_avg, replies_sent "
                     "from agent_leaderboard where period_days = 7 order by agent_id")
    assert rows == [("a1", 1, 2.0, 2), ("a2", 1, 2.0, 1)]
    # spec/metrics.md, "CSAT interval": one response of 2 -> p = 0.25, n = 1
    (interval,) = query(db, "select distinct csat_ci_low, csat_ci_high, team_csat_ci_low, "
                            "team_csat_ci_high from agent_leaderboard where period_days = 7")
    assert interval == pytest.approx((1.0585397232435634, 4.528361648001962) * 2, rel=1e-12)


def test_the_build_database_enforces_the_contracts_not_null_constraints(published):
    """dbt writes each mart with its contract's ``not_null`` constraints: the build database
    refuses a null there, before any test or audit runs."""
    import duckdb

    from data_checks.suites import CONTRACTS

    build = published.parent.parent / "ochre.duckdb"
    for table, contract in CONTRACTS.items():
        not_nullable = query(
            build,
            "select column_name from duckdb_columns() where schema_name = 'main' "
            "and table_name = ? and not is_nullable order by column_index",
            [table],
        )
        assert tuple(name for (name,) in not_nullable) == contract.not_null, table
    con = duckdb.connect(str(build))
    try:
        with pytest.raises(duckdb.ConstraintException, match="NOT NULL constraint failed"):
            con.execute("update team_kpis set conversations_replied = null")
    finally:
        con.close()


def test_the_build_database_enforces_the_contracts_check_constraints(published):
    """dbt writes each mart with its contract's ``check`` constraints (the row rules: ranges,
    sums, null exactly when): the build database refuses a row that breaks one."""
    import duckdb

    from data_checks.suites import CONTRACTS

    build = published.parent.parent / "ochre.duckdb"
    for table, contract in CONTRACTS.items():
        ((checks,),) = query(
            build,
            "select count(*) from duckdb_constraints() where schema_name = 'main' "
            "and table_name = ? and constraint_type = 'CHECK'",
            [table],
        )
        assert checks == len(contract.checks), table
    con = duckdb.connect(str(build))
    try:
        with pytest.raises(duckdb.ConstraintException, match="ai_handled_conversations <="):
            con.execute("update team_kpis set ai_handled_conversations = conversations_replied + 1")
        with pytest.raises(duckdb.ConstraintException, match="csat_avg BETWEEN 1 AND 5"):
            con.execute("update agent_leaderboard set csat_avg = 6 where csat_avg is not null")
    finally:
        con.close()
