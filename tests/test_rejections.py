"""Bad records: each reason is listed in rejected_records, and the run still publishes
while every entity's rejected share is at or under the threshold (default 1 %)."""

from __future__ import annotations

import hashlib
import json

import pytest

from tests.landing_builder import Landing, query, run_pipeline

AS_OF = "2026-11-20"
T = "2026-11-18T09:00:00Z"

# (entity, file, record id or None, reason): one bad record per reason
EXPECTED = [
    ("workspaces", "workspaces/bad.jsonl", "w_badtz", "unknown timezone 'Mars/Olympus'"),
    ("workspaces", "workspaces/bad.jsonl", "w_nots", "missing required column updated_at"),
    ("agents", "agents/bad.jsonl", "a_badrole", "unknown role 'superuser'"),
    ("agents", "agents/bad.jsonl", "a_badstatus", "unknown status 'on_leave'"),
    ("agents", "agents/bad.jsonl", "a_nows", "unknown workspace"),
    # a bad value is quoted in the reason, but never an email address
    ("agents", "agents/bad.jsonl", "a_emailrole", "unknown role '<redacted>'"),
    ("conversations", "conversations/bad.jsonl", "c_badts", "unparseable timestamp in created_at"),
    ("conversations", "conversations/bad.jsonl", "c_assignee", "unknown assignee agent"),
    ("conversations", "conversations/bad.jsonl", "c_status", "unknown status 'pending'"),
    ("messages", "messages/bad.jsonl", None, "invalid JSON"),
    ("messages", "messages/bad.jsonl", None, "JSON line is not an object"),
    ("messages", "messages/bad.jsonl", "m_notype", "missing required column message_type"),
    ("messages", "messages/bad.jsonl", "m_badts", "unparseable timestamp in created_at"),
    ("messages", "messages/bad.jsonl", "m_author", "unknown author_type 'robot'"),
    ("messages", "messages/bad.jsonl", "m_assist", "unknown ai_assist 'magic'"),
    ("messages", "messages/bad.jsonl", "m_noauthor", "agent message without author_agent_id"),
    ("messages", "messages/bad.jsonl", "m_noconv", "unknown conversation"),
    ("messages", "messages/bad.jsonl", "m_nows", "unknown workspace"),
    ("messages", "messages/bad.jsonl", "m_noagent", "unknown author agent"),
    # lines that cannot be read: each one rejected record, the rest of the file loads
    ("messages", "messages/bad.jsonl", None, "line is not valid UTF-8"),
    ("messages", "messages/bad.jsonl", None, "line longer than 2,000,000 bytes"),
    ("messages", "messages/bad.jsonl", "m_future", "updated_at in the future"),
    ("csat_responses", "csat_responses/bad.jsonl", "r_high", "score out of range 1-5"),
    ("csat_responses", "csat_responses/bad.jsonl", "r_text", "not an integer in score"),
    ("csat_responses", "csat_responses/bad.jsonl", "r_half", "not an integer in score"),
    ("csat_responses", "csat_responses/bad.jsonl", "r_noconv", "unknown conversation"),
    ("mentions", "mentions/bad.jsonl", "n_noagent", "unknown mentioned agent"),
    ("mentions", "mentions/bad.jsonl", None, "missing required column mention_id"),
]


def build_landing(land: Landing, conversations: int = 1000) -> None:
    """Enough good records that one bad record per reason stays under 1 % per entity."""
    for w in range(250):
        land.workspace(f"w{w:03d}", "UTC")
    for a in range(420):
        land.agent(f"a{a:03d}", "w000")
    for c in range(conversations):
        conv, agent = f"c{c:04d}", f"a{c % 7:03d}"
        land.conversation(conv, "w000", T, status="closed", assignee_agent_id=agent)
        land.message(f"q{c:04d}", conv, "w000", T, "customer")
        land.message(f"r{c:04d}", conv, "w000", "2026-11-18T09:05:00Z", "agent", agent,
                     ai_assist="none")
        if c % 2 == 0:
            land.csat(f"s{c:04d}", conv, "w000", 1 + int(hashlib.md5(conv.encode()).hexdigest(),
                                                         16) % 5, "2026-11-18T10:00:00Z")
            land.mention(f"n{c:04d}", f"q{c:04d}", conv, "w000", "a001", T)


def add_bad_records(land: Landing) -> None:
    f = "bad.jsonl"
    land.workspace("w_badtz", "Mars/Olympus", file=f)
    land.add("workspaces", {"workspace_id": "w_nots", "timezone": "UTC"}, f)
    land.agent("a_badrole", "w000", role="superuser", file=f)
    land.agent("a_badstatus", "w000", status="on_leave", file=f)
    land.agent("a_nows", "w_missing", file=f)
    land.agent("a_emailrole", "w000", role="boss@example.com", file=f)
    land.conversation("c_badts", "w000", "yesterday at noon", file=f, updated_at=T)
    land.conversation("c_assignee", "w000", T, assignee_agent_id="a_ghost", file=f)
    land.conversation("c_status", "w000", T, status="pending", file=f)
    land.add("messages", '{"message_id": "m_broken", "conversation_id": ', f)
    land.add("messages", '["m_array"]', f)
    land.message("m_notype", "c0001", "w000", T, "customer", message_type=None, file=f)
    land.message("m_badts", "c0001", "w000", "2026-02-30T25:00:00Z", "customer", file=f,
                 updated_at=T)
    land.message("m_author", "c0001", "w000", T, "robot", file=f)
    land.message("m_assist", "c0001", "w000", T, "agent", "a001", ai_assist="magic", file=f)
    land.message("m_noauthor", "c0001", "w000", T, "agent", None, file=f)
    land.message("m_noconv", "c_ghost", "w000", T, "customer", file=f)
    land.message("m_nows", "c0001", "w_ghost", T, "customer", file=f)
    land.message("m_noagent", "c0001", "w000", T, "agent", "a_ghost", file=f)
    land.add("messages", b'{"message_id": "m_latin1", "author_type": "caf\xe9"}', f)
    land.add("messages", json.dumps({"message_id": "m_huge", "note": "x" * 3_000_000}), f)
    land.message("m_future", "c0001", "w000", T, "customer", updated_at="9999-12-31T00:00:00Z",
                 file=f)
    land.csat("r_high", "c0001", "w000", 6, T, file=f)
    land.csat("r_text", "c0001", "w000", "five", T, file=f)  # type: ignore[arg-type]
    land.csat("r_half", "c0001", "w000", 3.5, T, file=f)  # type: ignore[arg-type]
    land.csat("r_string", "c0002", "w000", "5", T, file=f)  # type: ignore[arg-type]
    land.csat("r_noconv", "c_ghost", "w000", 4, T, file=f)
    land.mention("n_noagent", "q0001", "c0001", "w000", "a_ghost", T, file=f)
    land.mention(None, "q0001", "c0001", "w000", "a001", T, file=f)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    root = tmp_path_factory.mktemp("rejections")
    land = Landing()
    build_landing(land)
    add_bad_records(land)
    assert run_pipeline(land.write(root / "landing"), root / "warehouse", AS_OF) == 0
    return root / "warehouse" / "published" / "leaderboard.duckdb"


@pytest.fixture(scope="module")
def rejected(published):
    return query(published, "select entity, source_file, record_id, reason, line_number "
                            "from rejected_records")


@pytest.mark.parametrize("entity,file,record_id,reason", EXPECTED,
                         ids=[f"{e[0]}-{e[3]}" for e in EXPECTED])
def test_each_reason_is_listed(rejected, entity, file, record_id, reason):
    matches = [r for r in rejected if r[0] == entity and r[2] == record_id and r[3] == reason]
    assert len(matches) == 1, f"{entity} {record_id} {reason!r} not listed once in {rejected}"
    assert matches[0][1] == file
    assert matches[0][4] >= 1


def test_nothing_else_is_rejected(rejected):
    assert sorted((r[0], r[2] or "", r[3]) for r in rejected) == sorted(
        (e[0], e[2] or "", e[3]) for e in EXPECTED)


def test_invalid_json_lines_keep_their_line_numbers(rejected):
    lines = {r[3]: r[4] for r in rejected if r[0] == "messages" and r[2] is None}
    assert lines == {"invalid JSON": 1, "JSON line is not an object": 2,
                     "line is not valid UTF-8": 11, "line longer than 2,000,000 bytes": 12}


def test_a_numeric_string_score_counts(published):
    """csat r_string scores "5": a whole number in a string reads as 5 (spec/landing.md)."""
    rows = query(published, "select count(*) from rejected_records where record_id = 'r_string'")
    assert rows == [(0,)]


def test_rejected_records_do_not_count(published):
    # good data: 1000 conversations, one reply each, by a000..a006, on 11-18
    rows = query(published, "select sum(replies_sent), sum(conversations_handled), "
                            "sum(mentions_received), sum(csat_responses) "
                            "from agent_leaderboard where period_days = 7")
    assert rows == [(1000, 1000, 500, 500)]
    assert query(published, "select count(*) from agents where agent_id like 'a\\_%' "
                            "escape '\\'") == [(0,)]
