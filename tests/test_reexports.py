"""Re-exported records (same id, several files, different updated_at) count once, newest wins."""

from __future__ import annotations

import pytest

from tests.landing_builder import Landing, query, run_pipeline

AS_OF = "2026-11-20"


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("reexport")
    land = Landing()
    land.workspace("w1", "UTC")
    land.agent("a1", "w1", display_name="Old name")
    # a later export renames and deactivates a1; it sits in an earlier-sorting file
    land.agent("a1", "w1", display_name="Ada", status="deactivated",
               updated_at="2026-11-19T00:00:00Z", file="0_later_export.jsonl.gz")
    land.agent("a2", "w1")
    land.answered("c1", "w1", "a1", "2026-11-18T09:00:00Z", "2026-11-18T09:10:00Z", ("m1", "m2"))
    # the same reply exported again, edited to draft_sent, newer updated_at, as Parquet
    land.message("m2", "c1", "w1", "2026-11-18T09:10:00Z", "agent", "a1",
                  ai_assist="draft_sent", updated_at="2026-11-18T10:00:00Z",
                  file="messages_reexport.parquet")
    # and an older copy again in a third file: it must not win
    land.message("m2", "c1", "w1", "2026-11-18T09:10:00Z", "agent", "a1",
                  ai_assist="draft_edited", updated_at="2026-11-18T09:10:00Z",
                  file="zz_old_copy.jsonl")
    # CSAT re-exported with a changed score; the newest copy counts
    land.csat("r1", "c1", "w1", 3, "2026-11-18T12:00:00Z")
    land.csat("r1", "c1", "w1", 4, "2026-11-18T12:00:00Z",
              updated_at="2026-11-19T00:00:00Z", file="csat_2.jsonl")
    land.mention("n1", "m2", "c1", "w1", "a2", "2026-11-18T09:20:00Z")
    land.mention("n1", "m2", "c1", "w1", "a2", "2026-11-18T09:20:00Z",
                 updated_at="2026-11-18T09:21:00Z", file="mentions_2.jsonl")
    assert run_pipeline(land.write(root / "landing"), root / "warehouse", AS_OF) == 0
    return root / "warehouse" / "published" / "leaderboard.duckdb"


def test_reply_counts_once_with_newest_values(published):
    rows = query(published, "select agent_id, agent_name, agent_status, replies_sent, "
                            "ai_draft_sent_replies, ai_draft_edited_replies, scratch_replies, "
                            "csat_responses, csat_avg from agent_leaderboard "
                            "where period_days = 7 order by agent_id")
    assert rows == [("a1", "Ada", "deactivated", 1, 1, 0, 0, 1, 4.0),
                    ("a2", "A2", "active", 0, 0, 0, 0, 0, None)]


def test_mention_counts_once(published):
    rows = query(published, "select agent_id, mentions_received from agent_leaderboard "
                            "where period_days = 7 order by agent_id")
    assert rows == [("a1", 0), ("a2", 1)]


def test_duplicates_are_not_rejections(published):
    assert query(published, "select count(*) from rejected_records") == [(0,)]


def test_agents_dimension_has_latest_values(published):
    assert query(published, "select agent_id, agent_name, agent_status from agents "
                            "order by agent_id") == [("a1", "Ada", "deactivated"),
                                                     ("a2", "A2", "active")]
