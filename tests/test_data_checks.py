"""The Great Expectations gate (data_checks): good data passes, each violation is caught."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import duckdb
import pytest

from data_checks import PUBLISHED_TABLES, validate, validate_table
from data_checks.suites import CONTRACTS

FIXTURES = Path(__file__).parent / "fixtures" / "worked_example"
AS_OF = "2026-11-20"
LEADERBOARD_GRAIN = "workspace_id, as_of_date, period_days, agent_id"

# The published types (docs/architecture.md), written out here on purpose rather than
# taken from data_checks.suites, so that the suites are checked against the contract.
LEADERBOARD_TYPES = {
    "workspace_id": "VARCHAR", "as_of_date": "DATE", "period_days": "INTEGER",
    "agent_id": "VARCHAR", "agent_name": "VARCHAR", "agent_role": "VARCHAR",
    "agent_status": "VARCHAR", "conversations_handled": "BIGINT", "replies_sent": "BIGINT",
    "first_response_samples": "BIGINT", "median_first_response_seconds": "DOUBLE",
    "median_first_response_business_seconds": "DOUBLE",
    "csat_responses": "BIGINT", "csat_avg": "DOUBLE", "csat_ci_low": "DOUBLE",
    "csat_ci_high": "DOUBLE", "ai_draft_sent_replies": "BIGINT",
    "ai_draft_edited_replies": "BIGINT", "scratch_replies": "BIGINT",
    "ai_assisted_reply_pct": "DOUBLE", "mentions_received": "BIGINT",
    "prev_conversations_handled": "BIGINT", "team_median_first_response_seconds": "DOUBLE",
    "team_median_first_response_business_seconds": "DOUBLE",
    "team_csat_avg": "DOUBLE", "team_csat_ci_low": "DOUBLE", "team_csat_ci_high": "DOUBLE",
    "team_ai_assisted_reply_pct": "DOUBLE",
    "team_median_conversations_handled": "DOUBLE", "load_quadrant": "VARCHAR",
}  # fmt: skip
TEAM_KPI_TYPES = {
    "workspace_id": "VARCHAR", "as_of_date": "DATE", "period_days": "INTEGER",
    "conversations_replied": "BIGINT", "ai_handled_conversations": "BIGINT",
    "ai_handled_pct": "DOUBLE", "median_first_response_seconds": "DOUBLE",
    "median_first_response_business_seconds": "DOUBLE",
    "csat_avg": "DOUBLE", "csat_ci_low": "DOUBLE", "csat_ci_high": "DOUBLE",
    "csat_responses": "BIGINT", "nps": "DOUBLE",
    "nps_responses": "BIGINT", "prev_conversations_replied": "BIGINT",
}  # fmt: skip
SUMMARY_TYPES = {
    "workspace_id": "VARCHAR", "as_of_date": "DATE", "conversation_id": "VARCHAR",
    "opened_date": "DATE", "first_responder_agent_id": "VARCHAR",
    "first_response_date": "DATE", "first_response_seconds": "DOUBLE",
    "first_response_business_seconds": "DOUBLE",
    "human_replies": "BIGINT", "ai_replies": "BIGINT", "handling": "VARCHAR",
    "csat_score": "INTEGER", "csat_submitted_date": "DATE", "agents_replied": "VARCHAR",
}  # fmt: skip

DAILY_COLUMNS = (
    "workspace_id, as_of_date, agent_id, activity_date, conversations_handled, replies_sent,"
    " first_response_samples, median_first_response_seconds,"
    " median_first_response_business_seconds, csat_responses, csat_score_sum,"
    " ai_draft_sent_replies, ai_draft_edited_replies, scratch_replies, mentions_received"
)


def _load_csv(con: duckdb.DuckDBPyConnection, table: str, name: str, types: dict) -> None:
    cols = ", ".join(f"CAST({c} AS {t}) AS {c}" for c, t in types.items())
    con.execute(
        f"CREATE TABLE {table} AS SELECT {cols} FROM read_csv(?, all_varchar = true)",
        [str(FIXTURES / name)],
    )


def _daily_row(*values) -> str:
    """agent, day, conversations, replies, samples, median, csat, score_sum, sent, edited,
    scratch, mentions -> one VALUES tuple of agent_daily_activity."""
    agent, day, conv, replies, samples, median, csat, score_sum, sent, edited, scratch, mentions = (
        values
    )
    median_sql = "NULL::DOUBLE" if median is None else f"{median}::DOUBLE"
    return (
        f"('w1', DATE '{AS_OF}', '{agent}', DATE '{day}', {conv}::BIGINT, {replies}::BIGINT,"
        f" {samples}::BIGINT, {median_sql}, NULL::DOUBLE, {csat}::BIGINT, {score_sum}::BIGINT,"
        f" {sent}::BIGINT, {edited}::BIGINT, {scratch}::BIGINT, {mentions}::BIGINT)"
    )


def build_warehouse(path: Path) -> Path:
    """A build database with every published table, consistent with the worked example."""
    con = duckdb.connect(str(path))
    try:
        _load_csv(con, "agent_leaderboard", "expected_agent_leaderboard.csv", LEADERBOARD_TYPES)
        _load_csv(con, "team_kpis", "expected_team_kpis.csv", TEAM_KPI_TYPES)
        _load_csv(
            con, "conversation_summary", "expected_conversation_summary.csv", SUMMARY_TYPES
        )
        con.execute(
            "CREATE TABLE agents AS SELECT * FROM (VALUES"
            " ('a1', 'w1', 'Ada', 'admin', 'active'),"
            " ('a2', 'w1', 'Bo', 'agent', 'active'),"
            " ('a3', 'w1', 'Cy', 'agent', 'deactivated'))"
            " t(agent_id, workspace_id, agent_name, agent_role, agent_status)"
        )
        con.execute(
            "CREATE TABLE workspaces AS SELECT * FROM (VALUES ('w1', 'Acme', 'UTC'))"
            " t(workspace_id, workspace_name, timezone)"
        )
        rows = [
            _daily_row("a1", "2026-11-18", 1, 2, 1, 600.0, 0, 0, 1, 1, 0, 0),
            _daily_row("a1", "2026-11-19", 0, 0, 0, None, 1, 5, 0, 0, 0, 0),
            _daily_row("a2", "2026-11-18", 1, 1, 1, 3600.0, 0, 0, 0, 0, 1, 0),
            _daily_row("a2", "2026-11-19", 1, 1, 1, 300.0, 1, 5, 0, 0, 1, 1),
        ]
        con.execute(
            f"CREATE TABLE agent_daily_activity AS SELECT * FROM (VALUES {', '.join(rows)})"
            f" t({DAILY_COLUMNS})"
        )
        con.execute(
            "CREATE TABLE agent_low_csat_conversations AS SELECT 'w1' AS workspace_id,"
            f" DATE '{AS_OF}' AS as_of_date, 'a2' AS agent_id, 'c9' AS conversation_id,"
            " 1::INTEGER AS score, TIMESTAMPTZ '2026-11-17 10:00:00+00' AS submitted_at,"
            " DATE '2026-11-17' AS submitted_date"
        )
        con.execute(
            "CREATE TABLE rejected_records AS SELECT * FROM (VALUES"
            " ('messages', 'messages/part-1.jsonl', 7::BIGINT, NULL::VARCHAR, 'invalid JSON'))"
            " t(entity, source_file, line_number, record_id, reason)"
        )
        con.execute(
            "CREATE TABLE landing_file_loads AS SELECT * FROM (VALUES"
            " ('agents', 'agents/agents.jsonl', 3::BIGINT, 3::BIGINT, 0::BIGINT, 0::BIGINT),"
            " ('conversations', 'conversations/c.jsonl', 2, 2, 0, 0),"
            " ('csat_responses', 'csat_responses/csat.jsonl', 2, 2, 0, 0),"
            " ('mentions', 'mentions/mentions.jsonl', 40, 40, 0, 0),"
            " ('messages', 'messages/part-1.jsonl', 200, 198, 1, 1),"
            " ('workspaces', 'workspaces/w.jsonl', 1, 1, 0, 0))"
            " t(entity, source_file, records_read, records_current, records_superseded,"
            " records_rejected)"
        )
        con.execute(
            "CREATE OR REPLACE TABLE landing_file_loads AS SELECT entity, source_file,"
            " 'loaded' AS load_status, 1000::BIGINT AS file_size_bytes,"
            " TIMESTAMPTZ '2026-11-20 01:00:00+00' AS file_modified_at,"
            " TIMESTAMPTZ '2026-11-21 02:00:00+00' AS loaded_at, records_read, records_current,"
            " records_superseded, records_rejected FROM landing_file_loads"
        )
    finally:
        con.close()
    return path


def sql(path: Path, *statements: str) -> None:
    con = duckdb.connect(str(path))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return build_warehouse(tmp_path / "ochre.duckdb")


def by_key(report, table, column, expectation):
    hits = [
        r
        for r in report.results
        if (r.table, r.column, r.expectation) == (table, column, expectation)
    ]
    assert hits, f"no result for {table}/{column}/{expectation}"
    return hits


# --------------------------------------------------------------------------- good data


def test_good_data_passes_with_real_counts(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "validation" / AS_OF
    report = validate(warehouse, AS_OF, out_dir=out)

    assert report.passed, report.failure_lines()
    assert report.failures == [] and report.warnings == []
    assert all(r.success for r in report.results)
    assert {r.table for r in report.results} == set(PUBLISHED_TABLES)

    # Keys and sums are computed over the real rows: 2 agents x 4 windows.
    (unique,) = by_key(
        report, "agent_leaderboard", LEADERBOARD_GRAIN, "expect_compound_columns_to_be_unique"
    )
    assert unique.observed["element_count"] == 8 and unique.observed["unexpected_count"] == 0
    (parts,) = by_key(
        report,
        "agent_leaderboard",
        "replies_sent, reply_parts_sum",
        "expect_column_pair_values_to_be_equal",
    )
    assert parts.observed["element_count"] == 8 and parts.batch == "consistency"
    (coverage,) = by_key(
        report, "agent_leaderboard", "leaderboard_rows", "expect_column_values_to_be_between"
    )
    assert coverage.observed["element_count"] == 8  # a3 is deactivated: not expected
    (kpi_keys,) = by_key(
        report,
        "team_kpis",
        "workspace_id, as_of_date, period_days",
        "expect_compound_columns_to_be_unique",
    )
    assert kpi_keys.observed["element_count"] == 4
    (daily_keys,) = by_key(
        report,
        "agent_daily_activity",
        "agent_id, activity_date",
        "expect_compound_columns_to_be_unique",
    )
    assert daily_keys.observed["element_count"] == 4
    (agents_unique,) = by_key(report, "agents", "agent_id", "expect_column_values_to_be_unique")
    assert agents_unique.observed["element_count"] == 3

    # Schema: one check of the declared types per table, over every column.
    (types,) = by_key(
        report,
        "agent_leaderboard",
        "declared_type, contract_type",
        "expect_column_pair_values_to_be_equal",
    )
    assert types.success and types.batch == "agent_leaderboard.declared_types"
    assert types.observed["element_count"] == 30 == len(CONTRACTS["agent_leaderboard"].columns)
    assert types.observed["unexpected_count"] == 0

    # Freshness observed on the real as-of date.
    (fresh,) = by_key(
        report, "team_kpis", "as_of_date", "expect_column_distinct_values_to_be_in_set"
    )
    assert fresh.success and fresh.kwargs["value_set"] == [f"{AS_OF}T00:00:00"]

    # Rejected share: one expectation per entity with a loaded file, with its message.
    shares = by_key(
        report, "landing_file_loads", "rejected_share", "expect_column_values_to_be_between"
    )
    assert len(shares) == 6
    assert "messages: 0.5 % of 200 records rejected (threshold 1.0 %)" in {
        r.message for r in shares
    }

    # Volume: only 2 days of history -> explicitly skipped, not failed.
    (volume,) = by_key(
        report, "agent_daily_activity", "replies_sent", "expect_column_sum_to_be_between"
    )
    assert volume.skipped and volume.success and not volume.blocking
    assert volume.observed_text.startswith("not enough history: 2 prior day(s)")

    summary = report.summary()
    assert summary["passed"] is True
    assert summary["failed"] == 0 and summary["skipped"] == 1
    assert summary["succeeded"] == len(report.results) - 1
    assert summary["html_index"] == str(out / "index.html")


def test_batches_are_not_fingerprinted(
    warehouse: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GE's md5 of every batch cost seconds on large tables; the runner turns it off."""
    from great_expectations.execution_engine import pandas_execution_engine

    hashed: list[int] = []

    def fingerprint(frame):
        hashed.append(len(frame))
        return "not-used"

    monkeypatch.setattr(pandas_execution_engine, "hash_pandas_dataframe", fingerprint)
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agent_leaderboard"])

    assert report.passed, report.failure_lines()
    (unique,) = by_key(
        report, "agent_leaderboard", LEADERBOARD_GRAIN, "expect_compound_columns_to_be_unique"
    )
    assert unique.observed["element_count"] == 8
    assert hashed == []


def test_json_and_html_are_written(warehouse: Path, tmp_path: Path) -> None:
    out = tmp_path / "validation" / AS_OF
    report = validate(warehouse, AS_OF, out_dir=out, tables=["agent_leaderboard", "team_kpis"])

    saved = json.loads((out / "results.json").read_text())
    assert saved["summary"]["passed"] is True
    assert saved["as_of_date"] == AS_OF
    assert len(saved["results"]) == len(report.results)
    assert {r["table"] for r in saved["results"]} == {"agent_leaderboard", "team_kpis"}

    index = (out / "index.html").read_text()
    assert "PASSED" in index and "expect_compound_columns_to_be_unique" in index
    assert "data_docs/index.html" in index

    docs_index = out / "data_docs" / "index.html"
    assert report.data_docs_index == docs_index and docs_index.is_file()
    pages = list((out / "data_docs" / "validations").rglob("*.html"))
    # rows + consistency + declared types + constraints + coverage, for both tables
    assert len(pages) == 10
    text = " ".join(re.sub(r"<[^>]+>|\s+", " ", p.read_text()) for p in pages)
    text = re.sub(r"\s+", " ", text)
    assert "Values in replies_sent and reply_parts_sum must always be equal" in text
    assert "Succeeded" in text and "Failed" not in text.replace("Failed Only", "")
    raw = sorted((out / "ge_results").glob("*.json"))
    assert len(raw) == 10
    first = json.loads(raw[0].read_text())
    assert first["success"] is True and first["results"]


# --------------------------------------------------------------------------- violations


def broken_check(table: str) -> tuple[str, str, str]:
    """The check of `table`'s constraints (a row a rule of the contract refuses: a null in a
    ``not_null`` column, a row breaking a ``check`` expression)."""
    return (table, "violating_rows", "expect_column_values_to_be_between")


VIOLATIONS = {
    "duplicate key": (
        [
            "INSERT INTO agent_leaderboard SELECT * FROM agent_leaderboard"
            " WHERE agent_id = 'a1' AND period_days = 7"
        ],
        ("agent_leaderboard", LEADERBOARD_GRAIN, "expect_compound_columns_to_be_unique"),
        "2 of 9 rows unexpected, e.g. workspace_id=w1, as_of_date=2026-11-20, period_days=7",
        {("agent_leaderboard", "leaderboard_rows", "expect_column_values_to_be_between")},
    ),
    "null key": (
        ["UPDATE agent_leaderboard SET agent_id = NULL WHERE agent_id = 'a2' AND period_days = 14"],
        broken_check("agent_leaderboard"),
        "1 row breaks `agent_id is not null` "
        "(e.g. workspace_id=w1, as_of_date=2026-11-20, period_days=14, agent_id=None)",
        {("agent_leaderboard", "leaderboard_rows", "expect_column_values_to_be_between")},
    ),
    "pct 120": (
        ["UPDATE agent_leaderboard SET ai_assisted_reply_pct = 120 WHERE agent_id = 'a1'"],
        ("agent_leaderboard", "ai_assisted_reply_pct", "expect_column_values_to_be_between"),
        "4 of 8 rows unexpected, e.g. ai_assisted_reply_pct=120.0, workspace_id=w1, "
        "as_of_date=2026-11-20, period_days=7, agent_id=a1; ai_assisted_reply_pct=120.0,",
        {broken_check("agent_leaderboard")},
    ),
    "csat 6": (
        ["UPDATE agent_leaderboard SET csat_avg = 6 WHERE agent_id = 'a2' AND period_days = 90"],
        ("agent_leaderboard", "csat_avg", "expect_column_values_to_be_between"),
        "1 of 8 rows unexpected, e.g. csat_avg=6.0, workspace_id=w1, as_of_date=2026-11-20, "
        "period_days=90, agent_id=a2",
        # a 6.0 is also above its interval
        {("agent_leaderboard", "csat_ci_high, csat_avg",
          "expect_column_pair_values_a_to_be_greater_than_b"), broken_check("agent_leaderboard")},
    ),
    "negative seconds": (
        ["UPDATE team_kpis SET median_first_response_seconds = -1 WHERE period_days = 30"],
        ("team_kpis", "median_first_response_seconds", "expect_column_values_to_be_between"),
        "1 of 4 rows unexpected, e.g. median_first_response_seconds=-1.0, workspace_id=w1, "
        "as_of_date=2026-11-20, period_days=30",
        {broken_check("team_kpis")},
    ),
    "sum mismatch": (
        [
            "UPDATE agent_leaderboard SET scratch_replies = 5"
            " WHERE agent_id = 'a2' AND period_days = 7"
        ],
        (
            "agent_leaderboard",
            "replies_sent, reply_parts_sum",
            "expect_column_pair_values_to_be_equal",
        ),
        "1 of 8 rows unexpected, e.g. replies_sent=2.0, workspace_id=w1, as_of_date=2026-11-20, "
        "period_days=7, agent_id=a2, reply_parts_sum=5.0",
        {broken_check("agent_leaderboard")},
    ),
    "samples above conversations": (
        [
            "UPDATE agent_daily_activity SET first_response_samples = 3 WHERE agent_id = 'a2'"
            " AND activity_date = DATE '2026-11-19'"
        ],
        (
            "agent_daily_activity",
            "conversations_handled, first_response_samples",
            "expect_column_pair_values_a_to_be_greater_than_b",
        ),
        "1 of 4 rows unexpected, e.g. conversations_handled=1.0, agent_id=a2",
        {broken_check("agent_daily_activity")},
    ),
    "missing active agent row": (
        ["DELETE FROM agent_leaderboard WHERE agent_id = 'a2' AND period_days = 30"],
        ("agent_leaderboard", "leaderboard_rows", "expect_column_values_to_be_between"),
        "1 of 8 expected (workspace_id/agent_id/period_days) without exactly one "
        "agent_leaderboard row for 2026-11-20, e.g. w1/a2/30 (0 rows)",
        set(),
    ),
    "bad period_days": (
        ["UPDATE team_kpis SET period_days = 31 WHERE period_days = 30"],
        ("team_kpis", "period_days", "expect_column_values_to_be_in_set"),
        "1 of 4 rows unexpected, e.g. period_days=31, workspace_id=w1, as_of_date=2026-11-20",
        {("team_kpis", "team_kpis_rows", "expect_column_values_to_be_between"),
         broken_check("team_kpis")},
    ),
    "bad quadrant": (
        [
            "UPDATE agent_leaderboard SET load_quadrant = 'overloaded' WHERE agent_id = 'a2'"
            " AND period_days = 7"
        ],
        ("agent_leaderboard", "load_quadrant", "expect_column_values_to_be_in_set"),
        "1 of 8 rows unexpected, e.g. load_quadrant=overloaded, workspace_id=w1, "
        "as_of_date=2026-11-20, period_days=7, agent_id=a2",
        {broken_check("agent_leaderboard")},
    ),
    "stale as_of_date": (
        ["UPDATE team_kpis SET as_of_date = DATE '2026-11-19'"],
        ("team_kpis", "as_of_date", "expect_column_distinct_values_to_be_in_set"),
        "unexpected values: 2026-11-19",
        {("team_kpis", "team_kpis_rows", "expect_column_values_to_be_between")},
    ),
    "ai handled above replied": (
        ["UPDATE team_kpis SET ai_handled_conversations = 3 WHERE period_days = 7"],
        (
            "team_kpis",
            "conversations_replied, ai_handled_conversations",
            "expect_column_pair_values_a_to_be_greater_than_b",
        ),
        "1 of 4 rows unexpected",
        {broken_check("team_kpis")},
    ),
    "activity date outside the 180 days": (
        [
            "UPDATE agent_daily_activity SET activity_date = DATE '2026-05-01'"
            " WHERE agent_id = 'a1' AND activity_date = DATE '2026-11-19'"
        ],
        (
            "agent_daily_activity",
            "activity_date_age_days",
            "expect_column_values_to_be_between",
        ),
        "1 of 4 rows unexpected, e.g. activity_date_age_days=203.0, agent_id=a1, "
        "activity_date=2026-05-01",
        set(),
    ),
    "low-csat score 3": (
        ["UPDATE agent_low_csat_conversations SET score = 3"],
        ("agent_low_csat_conversations", "score", "expect_column_values_to_be_in_set"),
        "1 of 1 rows unexpected, e.g. score=3, agent_id=a2, conversation_id=c9",
        {broken_check("agent_low_csat_conversations")},
    ),
    "csat interval below its average": (
        [
            "UPDATE agent_leaderboard SET csat_ci_high = 4.0 WHERE agent_id = 'a2'"
            " AND period_days = 7"
        ],
        (
            "agent_leaderboard",
            "csat_ci_high, csat_avg",
            "expect_column_pair_values_a_to_be_greater_than_b",
        ),
        "1 of 8 rows unexpected",
        {broken_check("agent_leaderboard")},
    ),
    "csat interval missing beside responses": (
        ["UPDATE team_kpis SET csat_ci_low = NULL WHERE period_days = 7"],
        ("team_kpis", "csat_ci_low", "expect_column_values_to_not_be_null"),
        "",
        {("team_kpis", "csat_avg, csat_ci_low",
          "expect_column_pair_values_a_to_be_greater_than_b"), broken_check("team_kpis")},
    ),
    "csat interval off the scale": (
        ["UPDATE team_kpis SET csat_ci_low = 0.5 WHERE period_days = 14"],
        ("team_kpis", "csat_ci_low", "expect_column_values_to_be_between"),
        "1 of 4 rows unexpected, e.g. csat_ci_low=0.5",
        {broken_check("team_kpis")},
    ),
    "conversation summarised twice": (
        ["INSERT INTO conversation_summary SELECT * FROM conversation_summary"
         " WHERE conversation_id = 'c1'"],
        ("conversation_summary", "conversation_id", "expect_column_values_to_be_unique"),
        "",
        set(),
    ),
    "negative replies in the summary": (
        ["UPDATE conversation_summary SET human_replies = -1 WHERE conversation_id = 'c2'"],
        ("conversation_summary", "human_replies", "expect_column_values_to_be_between"),
        "1 of 2 rows unexpected, e.g. human_replies=-1",
        # agents who replied, but no human reply counted
        {
            ("conversation_summary", "agents_replied", "expect_column_pair_values_to_be_equal"),
            broken_check("conversation_summary"),
        },
    ),
    "summary handling without a reply": (
        ["UPDATE conversation_summary SET human_replies = 0, ai_replies = 0,"
         " agents_replied = NULL WHERE conversation_id = 'c2'"],
        ("conversation_summary", "handling", "expect_column_pair_values_to_be_equal"),
        "1 of 2 rows unexpected, e.g. handling_set=1.0, conversation_id=c2, replied=0.0",
        {broken_check("conversation_summary")},
    ),
    "summary without the agents who replied": (
        ["UPDATE conversation_summary SET agents_replied = NULL WHERE conversation_id = 'c2'"],
        ("conversation_summary", "agents_replied", "expect_column_pair_values_to_be_equal"),
        "1 of 2 rows unexpected, e.g. agents_replied_set=0.0, conversation_id=c2,"
        " human_replied=1.0",
        {broken_check("conversation_summary")},
    ),
    "rejected share 5 % for messages": (
        [
            "UPDATE landing_file_loads SET records_read = 2000, records_current = 1899,"
            " records_rejected = 100 WHERE entity = 'messages'"
        ],
        ("landing_file_loads", "rejected_share", "expect_column_values_to_be_between"),
        "messages: 5.0 % of 2,000 records rejected (threshold 1.0 %): "
        "messages/part-1.jsonl:7 invalid JSON (100 in all: rejected_records)",
        set(),
    ),
    "a row a check constraint refuses": (
        [
            "UPDATE agent_daily_activity SET csat_score_sum = 11 WHERE agent_id = 'a2'"
            " AND activity_date = DATE '2026-11-19'"
        ],
        broken_check("agent_daily_activity"),
        "1 row breaks `csat_score_sum between csat_responses and 5 * csat_responses` "
        "(e.g. agent_id=a2, activity_date=2026-11-19)",
        set(),
    ),
    "records read but not accounted for": (
        ["UPDATE landing_file_loads SET records_read = 201 WHERE entity = 'messages'"],
        ("landing_file_loads", "unaccounted_records", "expect_column_values_to_be_between"),
        "1 of 6 rows unexpected, e.g. unaccounted_records=1, source_file=messages/part-1.jsonl",
        {broken_check("landing_file_loads")},
    ),
}


@pytest.mark.parametrize("case", list(VIOLATIONS))
def test_violation_is_caught(case: str, warehouse: Path) -> None:
    statements, (table, column, expectation), observed, collateral = VIOLATIONS[case]
    sql(warehouse, *statements)

    report = validate(warehouse, AS_OF, out_dir=None, tables=[table])

    assert not report.passed
    failed = {(r.table, r.column, r.expectation) for r in report.failures}
    assert (table, column, expectation) in failed
    assert failed - {(table, column, expectation)} <= collateral, report.failure_lines()
    prefix = f"{table}, {column}, {expectation}, "
    lines = [line for line in report.failure_lines() if line.startswith(prefix)]
    assert len(lines) == 1, report.failure_lines()
    assert lines[0].startswith(prefix + observed), lines[0]


def test_stale_as_of_date_names_the_stale_date(warehouse: Path) -> None:
    sql(warehouse, "UPDATE agent_low_csat_conversations SET as_of_date = DATE '2026-11-19'")
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agent_low_csat_conversations"])
    (fresh,) = report.failures
    assert (fresh.column, fresh.expectation) == (
        "as_of_date",
        "expect_column_distinct_values_to_be_in_set",
    )
    assert fresh.observed["partial_unexpected_list"] == ["2026-11-19"]
    assert fresh.kwargs["value_set"] == [f"{AS_OF}T00:00:00"]
    assert report.failure_lines() == [
        "agent_low_csat_conversations, as_of_date, expect_column_distinct_values_to_be_in_set, "
        "unexpected values: 2026-11-19"
    ]


def test_each_rejected_entity_fails_on_its_own_line(warehouse: Path) -> None:
    sql(
        warehouse,
        "UPDATE landing_file_loads SET records_read = 2000, records_current = 1899,"
        " records_rejected = 100 WHERE entity = 'messages'",
        "UPDATE landing_file_loads SET records_current = 38, records_rejected = 2"
        " WHERE entity = 'mentions'",
        "INSERT INTO rejected_records VALUES"
        " ('mentions', 'mentions/mentions.jsonl', 3, 'n3', 'unknown mentioned agent'),"
        " ('mentions', 'mentions/mentions.jsonl', 9, NULL, 'missing required column mention_id')",
    )
    report = validate(warehouse, AS_OF, out_dir=None, tables=["landing_file_loads"])
    assert sorted(report.failure_lines()) == [
        "landing_file_loads, rejected_share, expect_column_values_to_be_between, "
        "mentions: 5.0 % of 40 records rejected (threshold 1.0 %): "
        "mentions/mentions.jsonl:3 n3 unknown mentioned agent; "
        "mentions/mentions.jsonl:9 missing required column mention_id (2 in all: rejected_records)",
        "landing_file_loads, rejected_share, expect_column_values_to_be_between, "
        "messages: 5.0 % of 2,000 records rejected (threshold 1.0 %): "
        "messages/part-1.jsonl:7 invalid JSON (100 in all: rejected_records)",
    ]
    # The threshold is configurable: at 6 % both pass.
    assert validate(
        warehouse, AS_OF, out_dir=None, tables=["landing_file_loads"], threshold=0.06
    ).passed


def test_rejected_share_covers_the_files_loaded_since_the_last_publish(warehouse: Path) -> None:
    """A bad file published before no longer blocks; one loaded since does."""
    sql(
        warehouse,
        "UPDATE landing_file_loads SET records_read = 2000, records_current = 1899,"
        " records_rejected = 100 WHERE entity = 'messages'",
    )
    published_before = dt.datetime(2026, 11, 21, 3, 0, tzinfo=dt.UTC)
    published_earlier = dt.datetime(2026, 11, 21, 1, 0, tzinfo=dt.UTC)
    assert validate(
        warehouse, AS_OF, out_dir=None, tables=["landing_file_loads"],
        loaded_since=published_before,
    ).passed
    report = validate(
        warehouse, AS_OF, out_dir=None, tables=["landing_file_loads"],
        loaded_since=published_earlier,
    )
    assert [r.table for r in report.failures] == ["landing_file_loads"]


def test_duplicate_key_caught_across_chunks(warehouse: Path) -> None:
    """Chunks are hash partitions of the grain: a duplicate always shares a chunk."""
    sql(
        warehouse,
        "INSERT INTO agent_leaderboard SELECT * FROM agent_leaderboard"
        " WHERE agent_id = 'a2' AND period_days = 90",
    )
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agent_leaderboard"], chunk_rows=3)
    (unique,) = by_key(
        report, "agent_leaderboard", LEADERBOARD_GRAIN, "expect_compound_columns_to_be_unique"
    )
    assert not unique.success
    assert unique.batch == "rows (3 chunks)"
    assert unique.observed["element_count"] == 9
    assert unique.observed["unexpected_count"] == 2


def test_chunked_good_data_passes_with_global_counts(warehouse: Path) -> None:
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agent_leaderboard"], chunk_rows=4)
    assert report.passed, report.failure_lines()
    (counts,) = by_key(
        report, "agent_leaderboard", "conversations_handled", "expect_column_values_to_be_between"
    )
    assert counts.observed["element_count"] == 8
    assert counts.batch == "rows (2 chunks)"


def test_chunks_without_grain_cover_every_row(warehouse: Path) -> None:
    sql(
        warehouse,
        "INSERT INTO rejected_records VALUES"
        " ('agents', 'agents/a.jsonl', 1, 'a9', 'unknown workspace'),"
        " ('mentions', 'mentions/m.parquet', 7, 'm1', 'missing required column'),"
        " ('nope', 'x.jsonl', 1, NULL, 'unknown entity')",
    )
    report = validate(warehouse, AS_OF, out_dir=None, tables=["rejected_records"], chunk_rows=1)
    (in_set,) = by_key(report, "rejected_records", "entity", "expect_column_values_to_be_in_set")
    assert in_set.batch == "rows (4 chunks)"
    assert in_set.observed["element_count"] == 4
    assert report.failure_lines() == [
        "rejected_records, entity, expect_column_values_to_be_in_set, "
        "1 of 4 rows unexpected, e.g. nope",
        "rejected_records, violating_rows, expect_column_values_to_be_between, 1 row breaks "
        "`entity in ('workspaces', 'agents', 'conversations', 'messages', 'csat_responses', "
        "'mentions', 'nps_responses', 'business_hours', 'holidays')` "
        "(e.g. entity=nope, source_file=x.jsonl, line_number=1)",
    ]


def test_wrong_column_type_is_caught(warehouse: Path) -> None:
    sql(warehouse, "ALTER TABLE team_kpis ALTER period_days TYPE BIGINT")
    report = validate(warehouse, AS_OF, out_dir=None, tables=["team_kpis"])
    assert report.failure_lines() == [
        "team_kpis, period_days, expect_column_pair_values_to_be_equal, "
        "period_days: declared BIGINT, contract INTEGER",
    ]


def test_all_null_column_of_the_wrong_type_is_caught(warehouse: Path) -> None:
    """pandas sees an all-null column as object, whatever its type; the declared type tells."""
    sql(
        warehouse,
        "UPDATE rejected_records SET line_number = NULL",
        "ALTER TABLE rejected_records ALTER line_number TYPE VARCHAR",
    )
    report = validate(warehouse, AS_OF, out_dir=None, tables=["rejected_records"])
    assert report.failure_lines() == [
        "rejected_records, line_number, expect_column_pair_values_to_be_equal, "
        "line_number: declared VARCHAR, contract BIGINT",
        # line_number is not_null in the contract: the nulls fail too
        "rejected_records, violating_rows, expect_column_values_to_be_between, "
        "1 row breaks `line_number is not null` "
        "(e.g. entity=messages, source_file=messages/part-1.jsonl, line_number=None)",
    ]


# --------------------------------------------------------------------------- fail closed


def test_missing_table_fails_closed(warehouse: Path) -> None:
    sql(warehouse, "DROP TABLE agents", "DROP TABLE agent_daily_activity")
    report = validate(warehouse, AS_OF, out_dir=None)

    assert not report.passed
    lines = report.failure_lines()
    assert any(
        line.startswith("agents, -, read_table, error: CatalogException:") and "agents" in line
        for line in lines
    ), lines
    # The coverage check reads agents too: it fails, it does not pass vacuously.
    (coverage,) = by_key(
        report, "agent_leaderboard", "leaderboard_rows", "expect_column_values_to_be_between"
    )
    assert not coverage.success and coverage.blocking and "agents" in coverage.exception
    # An exception in the (otherwise non-blocking) volume check is blocking.
    (volume,) = by_key(
        report, "agent_daily_activity", "replies_sent", "expect_column_sum_to_be_between"
    )
    assert not volume.success and volume.blocking and volume.exception
    # The other tables were still checked.
    assert all(r.success for r in report.results if r.table == "workspaces")


def test_missing_column_fails_closed(warehouse: Path) -> None:
    sql(warehouse, "ALTER TABLE agents DROP COLUMN agent_status")
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agents"])
    failed = {(r.column, r.expectation): r for r in report.failures}
    assert ("agent_status", "expect_column_values_to_be_in_set") in failed
    # the constraints scan names the column (agent_status is not null) and fails with it
    constraints = failed[("violating_rows", "expect_column_values_to_be_between")]
    assert "agent_status" in constraints.exception
    assert (None, "expect_table_columns_to_match_ordered_list") in failed
    assert failed[("agent_status", "expect_column_values_to_be_in_set")].exception
    declared = failed[("agent_status", "expect_column_pair_values_to_be_equal")]
    assert declared.observed_text == "agent_status: declared nothing (missing), contract VARCHAR"
    assert all(r.blocking for r in report.failures)


def test_missing_database_and_unknown_table_fail_closed(tmp_path: Path) -> None:
    report = validate(tmp_path / "nope.duckdb", AS_OF, out_dir=None, tables=["workspaces"])
    assert not report.passed
    missing = f"error: FileNotFoundError: warehouse file not found: {tmp_path / 'nope.duckdb'}"
    assert report.failure_lines() == [
        f"workspaces, -, read_table, {missing}",
        f"workspaces, declared_type, contract_type, expect_column_pair_values_to_be_equal, "
        f"{missing}",
        f"workspaces, violating_rows, expect_column_values_to_be_between, {missing}",
    ]
    results = validate_table(tmp_path / "nope.duckdb", "leaderboard", AS_OF)
    assert [(r.table, r.expectation, r.success, r.blocking) for r in results] == [
        ("leaderboard", "build_suite", False, True)
    ]


def test_validate_table_returns_that_tables_checks(warehouse: Path, tmp_path: Path) -> None:
    results = validate_table(warehouse, "workspaces", dt.date(2026, 11, 20), out_dir=tmp_path)
    assert results and all(r.table == "workspaces" and r.success for r in results)
    assert (tmp_path / "workspaces" / "results.json").is_file()
    assert (tmp_path / "workspaces" / "data_docs" / "index.html").is_file()


# --------------------------------------------------------------------------- volume


def _history(path: Path, today_replies: int) -> None:
    """Seven prior days of 10 replies each (one missing day counts as 0), then the as-of day."""
    days = [dt.date(2026, 11, 20) - dt.timedelta(days=i) for i in range(1, 9)]
    rows = [
        _daily_row("a1", d.isoformat(), 1, 10, 0, None, 0, 0, 0, 0, 10, 0)
        for d in days
        if d != dt.date(2026, 11, 16)
    ]
    rows.append(_daily_row("a1", AS_OF, 1, today_replies, 0, None, 0, 0, 0, 0, today_replies, 0))
    sql(
        path,
        "DELETE FROM agent_daily_activity",
        f"INSERT INTO agent_daily_activity VALUES {', '.join(rows)}",
    )


def test_volume_jump_is_a_warning_not_a_failure(warehouse: Path) -> None:
    _history(warehouse, today_replies=30)
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agent_daily_activity"])

    assert report.passed  # non-blocking
    assert report.failures == [] and report.failure_lines() == []
    (warning,) = report.warnings
    assert (warning.table, warning.column, warning.expectation) == (
        "agent_daily_activity",
        "replies_sent",
        "expect_column_sum_to_be_between",
    )
    assert warning.observed == 30
    assert warning.kwargs["min_value"] == 5.0 and warning.kwargs["max_value"] == 15.0
    assert report.failure_lines(include_warnings=True) == [
        "WARNING agent_daily_activity, replies_sent, expect_column_sum_to_be_between, "
        "replies on 2026-11-20: 30 vs median 10.0 of the 7 prior days "
        "(+200.0 %, allowed +-50 %)"
    ]
    assert report.summary()["warnings"] == 1


def test_volume_within_band_passes(warehouse: Path) -> None:
    _history(warehouse, today_replies=12)
    report = validate(warehouse, AS_OF, out_dir=None, tables=["agent_daily_activity"])
    (volume,) = by_key(
        report, "agent_daily_activity", "replies_sent", "expect_column_sum_to_be_between"
    )
    assert volume.success and not volume.skipped and volume.observed == 12
    assert report.passed and report.warnings == []


# --------------------------------------------------------------------------- narrow frames


def test_expectations_run_on_the_columns_they_read(monkeypatch: pytest.MonkeyPatch) -> None:
    """The runner validates each expectation on the columns it reads (GE copies the whole
    batch for every conditional or nullable metric); results equal GE's on the whole frame."""
    import copy

    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd
    from great_expectations.expectations.row_conditions import Column

    from data_checks.runner import _GE, _column_groups, _exception_messages

    frame = pd.DataFrame(
        {
            "conversation_id": ["c1", "c2", "c3", "c4"],
            "human_replies": [2, 0, 1, 0],
            "handling": ["handed_off", None, None, "ai_handled"],
            "csat_score": [5.0, None, 7.0, 4.0],
        }
    )
    expectations = [
        # the frame's order differs: only the whole frame shows it
        gxe.ExpectTableColumnsToMatchOrderedList(
            column_list=["conversation_id", "handling", "human_replies", "csat_score"]
        ),
        gxe.ExpectColumnValuesToNotBeNull(
            column="handling", row_condition=Column("human_replies") > 0
        ),
        gxe.ExpectColumnValuesToBeBetween(column="csat_score", min_value=1, max_value=5),
        gxe.ExpectColumnValuesToBeUnique(column="conversation_id"),
        gxe.ExpectColumnValuesToNotBeNull(column="not_there"),
    ]
    groups = _column_groups(expectations, list(frame.columns), ["conversation_id"])
    assert groups == [
        (None, [0]),
        (["conversation_id", "human_replies", "handling"], [1]),
        (["conversation_id", "csat_score"], [2]),
        (["conversation_id"], [3, 4]),
    ]

    def outcomes(result):
        out = []
        for r in result.results:
            found = r.result or {}
            out.append(
                (
                    r.expectation_config.type,
                    r.success,
                    found.get("unexpected_count"),
                    found.get("partial_unexpected_index_list"),
                    bool(_exception_messages(r.exception_info)),
                )
            )
        return out

    ge = _GE(dt.date(2026, 11, 20), None)
    ge.narrow_rows = 0  # a large frame's path, on four rows
    narrowed: list[list[str] | None] = []
    run_groups = ge._run_groups

    def spy(suite_name, batch_definition, frame, groups, result_format):
        narrowed.extend(columns for columns, _ in groups)
        return run_groups(suite_name, batch_definition, frame, groups, result_format)

    monkeypatch.setattr(ge, "_run_groups", spy)
    grouped = ge.run(
        "summary", "rows", frame, [copy.copy(e) for e in expectations], ["conversation_id"]
    )
    assert narrowed == [columns for columns, _ in groups]
    context = gx.get_context(mode="ephemeral")
    batch = context.data_sources.add_pandas("p").add_dataframe_asset("a")
    whole = context.validation_definitions.add(
        gx.ValidationDefinition(
            name="whole",
            data=batch.add_batch_definition_whole_dataframe("whole"),
            suite=context.suites.add(
                gx.ExpectationSuite(name="summary", expectations=expectations)
            ),
        )
    ).run(
        batch_parameters={"dataframe": frame},
        result_format={
            "result_format": "SUMMARY",
            "unexpected_index_column_names": ["conversation_id"],
        },
    )
    # GE lists the expectation it could not plan (missing column) first; the runner puts
    # every result back in the suite's order, which it merges chunks by.
    assert sorted(outcomes(grouped), key=repr) == sorted(outcomes(whole), key=repr)
    assert outcomes(whole)[0][0] == "expect_column_values_to_not_be_null"
    assert [(kind, ok, error) for kind, ok, _, _, error in outcomes(grouped)] == [
        ("expect_table_columns_to_match_ordered_list", False, False),
        ("expect_column_values_to_not_be_null", False, False),
        ("expect_column_values_to_be_between", False, False),
        ("expect_column_values_to_be_unique", True, False),
        ("expect_column_values_to_not_be_null", False, True),
    ]
    # the keys of the unexpected rows are still reported: c3 replied without a handling,
    # and has a CSAT of 7
    assert [row["conversation_id"] for row in outcomes(grouped)[1][3]] == ["c3"]
    assert [row["conversation_id"] for row in outcomes(grouped)[2][3]] == ["c3"]
    assert grouped.statistics["unsuccessful_expectations"] == 4


def test_reads_give_the_frames_duckdb_gives(warehouse: Path, tmp_path: Path) -> None:
    """The runner reads through Arrow (text 3 times faster); GE must see the frame DuckDB's
    ``.df()`` gives: the same dtypes (nullable integers where a value is null, ``object``
    for an all-null text column, dates as datetime64[us]) and values."""
    import pandas as pd

    from data_checks.runner import _Session

    edge = tmp_path / "edge.duckdb"
    with duckdb.connect(str(edge)) as con:
        con.execute(
            "create table t as select * from (values "
            "(1, null::integer, null::bigint, null::varchar, 'a', date '2026-01-02', null::date,"
            " timestamptz '2026-01-02 03:04:05+00', null::double, true, 5::bigint, 1.5::float),"
            "(2, 3, null, null, null, date '2026-01-03', date '2026-01-01', null, 1.5, null, 6,"
            " null)) v(i, ni, allnull_i, allnull_s, s, d, nd, ts, f, b, i64, r)"
        )
    cases = [(warehouse, f"select * from {table}") for table in PUBLISHED_TABLES] + [
        (edge, "select * from t"),
        (edge, "select * from t where false"),
        (edge, "select * from t where i = ?"),
        # types it does not convert itself go through .df()
        (edge, "select 1.5::decimal(10, 2) as d, [1, 2] as l, i, i as i from t"),
    ]
    for db, sql in cases:
        session = _Session(db, dt.date(2026, 11, 20), "main", 1000, None, None)
        params = [2] if "?" in sql else None
        try:
            with duckdb.connect(str(db), read_only=True) as con:
                expected = con.execute(sql, params).df()
            pd.testing.assert_frame_equal(session.read(sql, params), expected, obj=sql)
        finally:
            session.close()
    with duckdb.connect(str(warehouse), read_only=True) as con:
        summary = con.execute("select * from conversation_summary").df()
    assert len(summary) > 0 and str(summary["conversation_id"].dtype) == "str"


def test_narrowed_batches_keep_one_data_docs_page_each(
    warehouse: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Validated column group by column group (as large frames are), a batch is still one
    stored validation: the same pages and results as validating the whole frame at once."""
    from data_checks import runner

    def pages(out: Path) -> dict[str, str]:
        found = {}
        for page in (out / "data_docs" / "validations").rglob("*.html"):
            text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.read_text()))
            evaluated = re.search(r"Evaluated Expectations (\d+)", text)
            found[page.name] = evaluated.group(1) if evaluated else ""
        return found

    whole = validate(warehouse, AS_OF, out_dir=tmp_path / "whole",
                     tables=["conversation_summary"])
    monkeypatch.setattr(runner, "_NARROW_ROWS", 0)
    narrowed = validate(warehouse, AS_OF, out_dir=tmp_path / "narrowed",
                        tables=["conversation_summary"])

    def outcomes(report):
        return [(r.column, r.expectation, r.success, r.observed) for r in report.results]

    assert narrowed.passed and outcomes(narrowed) == outcomes(whole)
    assert pages(tmp_path / "narrowed") == pages(tmp_path / "whole")
    # declared types, constraints, consistency, rows: expectations evaluated per page
    assert sorted(int(n) for n in pages(tmp_path / "whole").values()) == [1, 1, 5, 9]
