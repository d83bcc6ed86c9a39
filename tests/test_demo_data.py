"""Tests for the synthetic landing-data generator (ochre_analytics.demo_data).

The landing files are read back independently (json + pyarrow) and checked with DuckDB
against spec/landing.md: every record is classified valid or rejected-with-a-reason, and
the generator's summary must match that classification exactly.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import hashlib
import json
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from ochre_analytics import demo_data
from ochre_analytics.demo_data import ENTITIES, REASONS, generate

END = dt.date(2026, 11, 25)
START = END - dt.timedelta(days=119)

ROLES = ("owner", "admin", "agent")
SPEC: dict[str, dict] = {
    "workspaces": {
        "id": "workspace_id", "required": ["workspace_id", "updated_at"],
        "ts": ["updated_at"], "enums": {}, "score": None, "refs": {},
    },
    "agents": {
        "id": "agent_id",
        "required": ["agent_id", "workspace_id", "role", "status", "updated_at"],
        "ts": ["updated_at"],
        "enums": {"role": ROLES, "status": ("active", "deactivated")},
        "score": None, "refs": {"workspace_id": "workspaces"},
    },
    "conversations": {
        "id": "conversation_id",
        "required": ["conversation_id", "workspace_id", "created_at", "updated_at"],
        "ts": ["created_at", "closed_at", "updated_at"],
        "enums": {"status": ("open", "snoozed", "closed")}, "score": None,
        "refs": {"workspace_id": "workspaces", "assignee_agent_id": "agents"},
    },
    "messages": {
        "id": "message_id",
        "required": ["message_id", "conversation_id", "workspace_id", "created_at",
                     "author_type", "message_type", "updated_at"],
        "ts": ["created_at", "updated_at"],
        "enums": {"author_type": ("customer", "agent", "ai_agent", "system"),
                  "message_type": ("reply", "note", "handoff"),
                  "ai_assist": ("none", "draft_sent", "draft_edited")},
        "score": None,
        "refs": {"conversation_id": "conversations", "author_agent_id": "agents",
                 "workspace_id": "workspaces"},
    },
    "csat_responses": {
        "id": "response_id",
        "required": ["response_id", "conversation_id", "workspace_id", "score",
                     "submitted_at", "updated_at"],
        "ts": ["submitted_at", "updated_at"], "enums": {}, "score": (1, 5),
        "refs": {"conversation_id": "conversations", "workspace_id": "workspaces"},
    },
    "mentions": {
        "id": "mention_id",
        "required": ["mention_id", "message_id", "conversation_id", "workspace_id",
                     "mentioned_agent_id", "created_at", "updated_at"],
        "ts": ["created_at", "updated_at"], "enums": {}, "score": None,
        "refs": {"conversation_id": "conversations", "mentioned_agent_id": "agents",
                 "workspace_id": "workspaces"},
    },
    "nps_responses": {
        "id": "response_id",
        "required": ["response_id", "workspace_id", "score", "submitted_at", "updated_at"],
        "ts": ["submitted_at", "updated_at"], "enums": {}, "score": (0, 10),
        "refs": {"workspace_id": "workspaces"},
    },
}
REF_REASON = {"conversations": "missing_conversation", "agents": "missing_agent",
              "workspaces": "missing_workspace"}


# --------------------------------------------------------------------------------------
# an independent reader + validator
# --------------------------------------------------------------------------------------


def _as_text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return str(value)


class Landing:
    """All records of a landing folder in DuckDB, as text, with a rejection reason each."""

    def __init__(self, root: Path):
        self.root = root
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")
        self.invalid_json: Counter[str] = Counter()
        self.raw_ts: list[str] = []  # every JSON Lines timestamp string
        self.parquet_types: dict[str, set] = {}
        for entity in ENTITIES:
            self._load(entity)
        for entity in ENTITIES:
            self._classify(entity)

    def _load(self, entity: str) -> None:
        spec = SPEC[entity]
        columns = [c.name for c in demo_data._LAYOUT[entity]]
        records: list[dict] = []
        folder = self.root / entity
        for path in sorted(folder.iterdir()) if folder.exists() else []:
            rel = f"{entity}/{path.name}"
            if path.name.endswith(".parquet"):
                table = pq.read_table(path)
                for field in table.schema:
                    if field.name in spec["ts"]:
                        self.parquet_types.setdefault(entity, set()).add(field.type)
                for line, rec in enumerate(table.to_pylist(), start=1):
                    records.append({**rec, "_file": rel, "_line": line})
                continue
            opener = gzip.open if path.name.endswith(".gz") else open
            with opener(path, "rt", encoding="utf-8") as fh:
                for line, text in enumerate(fh, start=1):
                    try:
                        rec = json.loads(text)
                    except json.JSONDecodeError:
                        self.invalid_json[entity] += 1
                        continue
                    self.raw_ts += [rec[c] for c in spec["ts"] if isinstance(rec.get(c), str)]
                    records.append({**rec, "_file": rel, "_line": line})
        names = columns + ["_file", "_line"]
        data = {c: [_as_text(r.get(c)) for r in records] for c in names}
        table = pa.table({c: pa.array(v, pa.string()) for c, v in data.items()})
        self.con.register(f"raw_{entity}_arrow", table)
        self.con.execute(f"CREATE TABLE raw_{entity} AS SELECT * FROM raw_{entity}_arrow")

    def _classify(self, entity: str) -> None:
        spec = SPEC[entity]
        checks = [f"WHEN {c} IS NULL THEN 'required_null'" for c in spec["required"]]
        checks += [f"WHEN {c} IS NOT NULL AND try_cast({c} AS TIMESTAMPTZ) IS NULL "
                   f"THEN 'unparseable_timestamp'" for c in spec["ts"]]
        for col, values in spec["enums"].items():
            allowed = ", ".join(f"'{v}'" for v in values)
            checks.append(f"WHEN {col} IS NOT NULL AND {col} NOT IN ({allowed}) "
                          f"THEN 'unknown_enum'")
        if spec["score"]:
            lo, hi = spec["score"]
            checks.append(f"WHEN try_cast(score AS INTEGER) IS NULL "
                          f"OR try_cast(score AS INTEGER) NOT BETWEEN {lo} AND {hi} "
                          f"THEN 'score_out_of_range'")
        if entity == "messages":
            checks.append("WHEN author_type = 'agent' AND message_type = 'reply' "
                          "AND author_agent_id IS NULL THEN 'agent_reply_without_author'")
        for target in ("conversations", "agents", "workspaces"):
            for col, ref in spec["refs"].items():
                if ref == target:
                    checks.append(
                        f"WHEN {col} IS NOT NULL AND {col} NOT IN "
                        f"(SELECT {SPEC[ref]['id']} FROM {ref}) THEN '{REF_REASON[ref]}'")
        self.con.execute(f"""
            CREATE TABLE all_{entity} AS
            SELECT *, CASE {' '.join(checks)} ELSE NULL END AS reason FROM raw_{entity}""")
        ts_cols = ", ".join(f"try_cast({c} AS TIMESTAMPTZ) AS {c}" for c in spec["ts"])
        self.con.execute(f"""
            CREATE TABLE {entity} AS
            SELECT * REPLACE ({ts_cols}) FROM all_{entity} WHERE reason IS NULL""")

    def sql(self, query: str) -> list[tuple]:
        return self.con.execute(query).fetchall()

    def one(self, query: str):
        return self.con.execute(query).fetchone()[0]

    def reasons(self, entity: str) -> dict[str, int]:
        got = dict(self.sql(f"SELECT reason, count(*) FROM all_{entity} "
                            f"WHERE reason IS NOT NULL GROUP BY 1"))
        if self.invalid_json[entity]:
            got["invalid_json"] = self.invalid_json[entity]
        return got


# --------------------------------------------------------------------------------------
# fixtures
# --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[dict, Landing]:
    out = tmp_path_factory.mktemp("small") / "landing"
    summary = generate(out, end_date=END, progress=False)
    return summary, Landing(out)


# --------------------------------------------------------------------------------------
# the small default set
# --------------------------------------------------------------------------------------


def test_summary_shape(small):
    summary, _ = small
    assert summary["date_range"] == {"start": "2026-07-29", "end": "2026-11-25", "days": 120}
    assert summary["counts"]["workspaces"] == 4
    assert summary["counts"]["conversations"] == 1920
    assert 9_000 <= summary["counts"]["messages"] <= 13_000
    assert set(summary["bad_records"]) == set(REASONS)
    assert all(summary["bad_records"][r] >= 1 for r in REASONS)
    assert summary["bad_records_total"] == sum(summary["bad_records"].values())


def test_every_entity_in_all_three_formats(small):
    summary, landing = small
    for entity in ENTITIES:
        names = [p.name for p in (landing.root / entity).iterdir()]
        kinds = {n.split(".", 1)[1] for n in names}
        assert kinds == {"jsonl", "jsonl.gz", "parquet"}, (entity, names)
        assert summary["files"][entity] == len(names)


def test_bad_record_summary_matches_files(small):
    summary, landing = small
    for entity in ENTITIES:
        expected = summary["bad_records_by_entity"].get(entity, {})
        assert landing.reasons(entity) == expected, entity
    # bad records only in JSON Lines files
    for entity in ENTITIES:
        files = landing.sql(f"SELECT DISTINCT _file FROM all_{entity} WHERE reason IS NOT NULL")
        assert all(f.endswith((".jsonl", ".jsonl.gz")) for (f,) in files)
    # the listed bad records point at the right lines
    for item in summary["bad_record_list"]:
        if item["reason"] == "invalid_json":
            continue
        entity = item["entity"]
        row = landing.sql(f"SELECT {SPEC[entity]['id']}, reason FROM all_{entity} "
                          f"WHERE _file = '{item['file']}' AND _line = '{item['line_number']}'")
        assert row == [(item["record_id"], item["reason"])]


def test_bad_records_well_under_one_percent(small):
    summary, _ = small
    for entity, per in summary["bad_records_by_entity"].items():
        bad = sum(per.values())
        assert bad / (summary["rows_written"][entity] + bad) < 0.005, entity


def test_valid_records_follow_the_spec(small):
    summary, landing = small
    for entity in ENTITIES:
        rows = landing.one(f"SELECT count(*) FROM {entity}")
        ids = landing.one(f"SELECT count(DISTINCT {SPEC[entity]['id']}) FROM {entity}")
        assert rows == summary["rows_written"][entity], entity
        assert ids == summary["counts"][entity], entity
    # every message's conversation exists and is in the same workspace
    assert landing.one("""
        SELECT count(*) FROM messages m
        LEFT JOIN (SELECT DISTINCT conversation_id, workspace_id FROM conversations) c
          USING (conversation_id)
        WHERE c.conversation_id IS NULL OR c.workspace_id <> m.workspace_id""") == 0
    # agent replies always have an author; only agent rows have one; ai_assist only there
    assert landing.one("""
        SELECT count(*) FROM messages
        WHERE (author_type = 'agent') <> (author_agent_id IS NOT NULL)
           OR (ai_assist IS NOT NULL AND NOT (author_type = 'agent' AND message_type = 'reply'))
        """) == 0
    # author agents belong to the message's workspace
    assert landing.one("""
        SELECT count(*) FROM messages m JOIN (SELECT DISTINCT agent_id, workspace_id FROM agents) a
          ON a.agent_id = m.author_agent_id WHERE a.workspace_id <> m.workspace_id""") == 0
    # closed conversations have closed_at, others do not
    assert landing.one("""
        SELECT count(*) FROM conversations
        WHERE (status = 'closed') <> (closed_at IS NOT NULL)""") == 0
    # every message of a conversation is at or after its creation; updated_at >= created_at
    assert landing.one("""
        SELECT count(*) FROM messages m JOIN conversations c USING (conversation_id)
        WHERE m.created_at < c.created_at OR m.updated_at < m.created_at""") == 0
    scores = landing.sql("SELECT min(score::INT), max(score::INT) FROM csat_responses")
    assert scores == [(1, 5)]
    nps = landing.sql("SELECT min(score::INT), max(score::INT) FROM nps_responses")
    assert nps == [(0, 10)]


def test_nothing_outside_the_local_date_range(small):
    _, landing = small
    for entity in ENTITIES:
        for col in SPEC[entity]["ts"]:
            lo, hi = landing.sql(f"""
                SELECT min(d), max(d) FROM (
                  SELECT timezone(coalesce(w.timezone, 'UTC'), e.{col})::DATE AS d
                  FROM {entity} e
                  JOIN (SELECT DISTINCT workspace_id, timezone FROM workspaces) w
                    USING (workspace_id)
                  WHERE e.{col} IS NOT NULL)""")[0]
            assert lo >= START and hi <= END, (entity, col, lo, hi)
            if entity == "messages":
                assert hi == END and lo == START


def test_timestamps_formats(small):
    _, landing = small
    raw = landing.raw_ts
    offsets = Counter(t[19:].lstrip(".0123456789") for t in raw)
    # UTC, New York before/after DST, Berlin, Kolkata, Sydney, no offset (= UTC)
    assert {"Z", "+00:00", "-04:00", "-05:00", "+01:00", "+02:00", "+05:30", "+10:00",
            "+11:00", ""} <= set(offsets)
    fractions = Counter(len(t[19:]) - len(t[19:].lstrip(".0123456789")) for t in raw)
    assert fractions[0] > fractions[4] > fractions[7] > 0  # none, .fff, .ffffff
    for entity, types in landing.parquet_types.items():
        assert types == {pa.timestamp("us", tz="UTC")}, entity


def test_workspaces_and_agents(small):
    _, landing = small
    tz = landing.sql("SELECT DISTINCT workspace_id, timezone FROM workspaces ORDER BY 1")
    assert [t for _, t in tz] == ["America/New_York", "Europe/Berlin", None, "Australia/Sydney"]
    latest = """(SELECT * FROM agents QUALIFY row_number() OVER (
                  PARTITION BY agent_id ORDER BY updated_at DESC) = 1)"""
    per_ws = landing.sql(f"""
        SELECT workspace_id, count(*), count(*) FILTER (role = 'owner'),
               count(*) FILTER (role = 'admin'), count(*) FILTER (role = 'agent'),
               count(*) FILTER (status = 'deactivated'), count(email)
        FROM {latest} GROUP BY 1""")
    assert len(per_ws) == 4
    for _ws, n, owners, admins, agents, deact, emails in per_ws:
        assert 4 <= n <= 12 and owners == 1 and admins >= 1 and agents >= 1
        assert 1 <= deact <= 2 and emails == n
    # deactivated agents write nothing after their deactivation
    assert landing.one(f"""
        SELECT count(*) FROM messages m JOIN {latest} a ON a.agent_id = m.author_agent_id
        WHERE a.status = 'deactivated' AND m.created_at > a.updated_at""") == 0
    assert landing.one(f"""
        SELECT count(DISTINCT m.author_agent_id) FROM messages m
        JOIN {latest} a ON a.agent_id = m.author_agent_id
        WHERE a.status = 'deactivated'""") >= 3
    # re-exported agents: first active, later deactivated
    assert landing.one("""
        SELECT count(*) FROM agents a JOIN agents b USING (agent_id)
        WHERE a.status = 'active' AND b.status = 'deactivated'
          AND b.updated_at > a.updated_at AND a._file <> b._file""") >= 4


def test_conversation_shapes(small):
    _, landing = small
    shape = landing.sql("""
        WITH m AS (
          SELECT *, row_number() OVER (PARTITION BY conversation_id ORDER BY created_at) AS i
          FROM (SELECT DISTINCT conversation_id, message_id, created_at, author_type,
                       message_type FROM messages)),
        c AS (
          SELECT conversation_id,
                 bool_or(author_type = 'ai_agent' AND message_type = 'reply') AS ai,
                 bool_or(author_type = 'agent') AS human,
                 bool_or(message_type = 'handoff') AS handoff,
                 bool_or(message_type = 'handoff' AND author_type = 'system') AS ho_sys,
                 bool_or(message_type = 'handoff' AND author_type = 'ai_agent') AS ho_ai,
                 any_value(author_type) FILTER (i = 1) AS first_author,
                 bool_or(message_type = 'note') AS note
          FROM m GROUP BY 1)
        SELECT count(*) FILTER (ai AND NOT human AND NOT handoff),
               count(*) FILTER (handoff AND human),
               count(*) FILTER (ho_sys), count(*) FILTER (ho_ai),
               count(*) FILTER (human AND NOT ai),
               count(*) FILTER (first_author = 'agent'),
               count(*) FILTER (note)
        FROM c""")[0]
    ai_alone, handed_off, ho_sys, ho_ai, human_only, agent_first, notes = shape
    assert ai_alone > 100 and handed_off > 100 and human_only > 500
    assert ho_sys > 20 and ho_ai > 20 and agent_first > 50 and notes > 100
    # AI-only conversations get closed without a human
    assert landing.one("""
        SELECT count(*) FROM conversations c WHERE status = 'closed' AND assignee_agent_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.conversation_id
                          AND m.author_type = 'agent')""") > 50
    # a handoff is followed by a human reply
    assert landing.one("""
        SELECT count(DISTINCT h.conversation_id) FROM messages h JOIN messages r
          ON r.conversation_id = h.conversation_id AND r.created_at > h.created_at
        WHERE h.message_type = 'handoff' AND r.author_type = 'agent'
          AND r.message_type = 'reply'""") > 100
    # customers writing twice in a row before any reply
    assert landing.one("""
        SELECT count(DISTINCT conversation_id) FROM (
          SELECT conversation_id, author_type,
                 lag(author_type) OVER (PARTITION BY conversation_id ORDER BY created_at) AS prev
          FROM (SELECT DISTINCT conversation_id, message_id, created_at, author_type
                FROM messages))
        WHERE author_type = 'customer' AND prev = 'customer'""") > 100
    # teammates join later: a second human replies after the first one did
    assert landing.one("""
        SELECT count(*) FROM (
          SELECT conversation_id FROM messages
          WHERE author_type = 'agent' AND message_type = 'reply'
          GROUP BY 1 HAVING count(DISTINCT author_agent_id) >= 2)""") > 50
    # ai_assist: every value, and null
    assist = dict(landing.sql("""
        SELECT coalesce(ai_assist, 'NULL'), count(*) FROM messages
        WHERE author_type = 'agent' AND message_type = 'reply' GROUP BY 1"""))
    assert set(assist) == {"none", "draft_sent", "draft_edited", "NULL"}
    assert min(assist.values()) > 50
    channels = landing.one("SELECT count(DISTINCT channel) FROM conversations")
    assert channels >= 4


def test_mentions_point_at_notes(small):
    _, landing = small
    bad = landing.one("""
        SELECT count(*) FROM mentions n LEFT JOIN (
          SELECT DISTINCT message_id, conversation_id, message_type, author_agent_id
          FROM messages) m USING (message_id)
        WHERE m.message_id IS NULL OR m.message_type <> 'note'
           OR m.conversation_id <> n.conversation_id
           OR m.author_agent_id = n.mentioned_agent_id""")
    assert bad == 0
    assert landing.one("SELECT count(*) FROM mentions") > 100


def test_csat_nps_and_reexports(small):
    _, landing = small
    closed, rated = landing.sql("""
        WITH c AS (SELECT * FROM conversations QUALIFY row_number() OVER (
                   PARTITION BY conversation_id ORDER BY updated_at DESC) = 1)
        SELECT count(*) FILTER (status = 'closed'),
               count(*) FILTER (status = 'closed' AND conversation_id IN (
                   SELECT conversation_id FROM csat_responses))
        FROM c""")[0]
    assert 0.22 <= rated / closed <= 0.38
    # CSAT only on closed conversations, after closing
    assert landing.one("""
        SELECT count(*) FROM csat_responses r JOIN (
          SELECT * FROM conversations QUALIFY row_number() OVER (
            PARTITION BY conversation_id ORDER BY updated_at DESC) = 1) c USING (conversation_id)
        WHERE c.status <> 'closed' OR r.submitted_at < c.closed_at""") == 0
    rerated = landing.one("""
        SELECT count(*) FROM (SELECT conversation_id FROM csat_responses
                              GROUP BY 1 HAVING count(DISTINCT response_id) >= 2)""")
    assert rerated >= 5
    assert landing.one("SELECT count(DISTINCT workspace_id) FROM nps_responses") == 4
    # conversations exported when opened and again when closed, in another file
    assert landing.one("""
        SELECT count(DISTINCT a.conversation_id) FROM conversations a JOIN conversations b
          USING (conversation_id)
        WHERE a.status = 'open' AND b.status = 'closed' AND b.updated_at > a.updated_at
          AND a._file <> b._file""") > 200
    # some records re-exported with the same values and a newer updated_at
    for entity in ("messages", "csat_responses", "nps_responses", "conversations"):
        key = SPEC[entity]["id"]
        assert landing.one(f"""
            SELECT count(*) FROM (SELECT {key} FROM {entity}
                                  GROUP BY 1 HAVING count(DISTINCT updated_at) >= 2)""") > 0


def test_business_hours_midnight_and_dst(small):
    _, landing = small
    # New York crosses the end of DST on 2026-11-01: local hours stay business-like
    for period in ("< '2026-11-01'", ">= '2026-11-02'"):
        share = landing.one(f"""
            SELECT avg(CASE WHEN hour(timezone('America/New_York', created_at))
                                 BETWEEN 8 AND 18 THEN 1 ELSE 0 END)
            FROM (SELECT DISTINCT conversation_id, created_at FROM conversations
                  WHERE workspace_id = 'ws00000'
                    AND timezone('America/New_York', created_at)::DATE {period})""")
        assert share > 0.75, period
    # Sydney (DST starts 2026-10-04): same
    share = landing.one("""
        SELECT avg(CASE WHEN hour(timezone('Australia/Sydney', created_at)) BETWEEN 8 AND 18
                        THEN 1 ELSE 0 END)
        FROM (SELECT DISTINCT conversation_id, created_at FROM conversations
              WHERE workspace_id = 'ws00003')""")
    assert share > 0.75
    # some activity around local midnight: conversations whose messages span two local dates
    spanning = landing.one("""
        SELECT count(*) FROM (
          SELECT conversation_id FROM messages m
          JOIN (SELECT DISTINCT workspace_id, timezone FROM workspaces) w USING (workspace_id)
          WHERE hour(timezone(coalesce(w.timezone, 'UTC'), m.created_at)) IN (23, 0)
          GROUP BY 1)""")
    assert spanning > 20


# --------------------------------------------------------------------------------------
# determinism
# --------------------------------------------------------------------------------------


def _file_bytes(root: Path) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != demo_data.MARKER_FILE:
            out[str(path.relative_to(root))] = path.read_bytes()
    return out


def test_same_seed_same_bytes(tmp_path, small):
    summary, landing = small
    again = generate(tmp_path / "again", end_date=END, progress=False)
    assert _file_bytes(tmp_path / "again") == _file_bytes(landing.root)
    for key in ("counts", "rows_written", "bad_records", "bad_records_by_entity"):
        assert again[key] == summary[key]
    other = generate(tmp_path / "other", end_date=END, seed=7, progress=False)
    assert other["counts"]["messages"] != summary["counts"]["messages"]


def _content_digest(root: Path) -> str:
    """sha256 over every landing file's path and content: JSON Lines text as written (gzip
    decompressed), Parquet as its columns' names and types and its rows. Independent of the
    zlib and Parquet writer versions; any change to a record, a line or a file changes it."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name == demo_data.MARKER_FILE:
            continue
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.name.endswith(".parquet"):
            table = pq.read_table(path)
            digest.update(json.dumps([[f.name, str(f.type)] for f in table.schema]).encode())
            digest.update(json.dumps(table.to_pylist(), default=str).encode())
        elif path.name.endswith(".gz"):
            digest.update(gzip.decompress(path.read_bytes()))
        else:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def test_output_is_pinned(tmp_path):
    # the generated records for a fixed seed must not change by accident (a refactor of the
    # generator keeps them byte for byte): every format, files per day, bad records of every
    # reason, late and re-exported records
    out = tmp_path / "pinned"
    summary = generate(out, conversations=600, workspaces=3, days=14, seed=7, fmt="mixed",
                       end_date=END, files_per_day=True, bad_message_share=0.02,
                       progress=False)
    assert summary["counts"] == {
        "workspaces": 3, "agents": 20, "conversations": 600, "messages": 3518,
        "csat_responses": 174, "mentions": 158, "nps_responses": 28}
    assert summary["bad_records_total"] == 85
    assert summary["files"] == {
        "workspaces": 3, "agents": 7, "conversations": 15, "messages": 20,
        "csat_responses": 16, "mentions": 15, "nps_responses": 12}
    assert {p.name.split(".", 1)[1] for p in out.glob("*/*")} == {"jsonl", "jsonl.gz",
                                                                  "parquet"}
    assert _content_digest(out) == (
        "6479b91b89e03016646d1be1b228a8591f885cde23bccc39de49f91b868155d2")


def test_same_records_in_every_format(tmp_path):
    kw = {"conversations": 300, "workspaces": 2, "days": 20, "end_date": END, "progress": False}
    generate(tmp_path / "a", fmt="jsonl.gz", **kw)
    generate(tmp_path / "b", fmt="parquet", **kw)
    a, b = Landing(tmp_path / "a"), Landing(tmp_path / "b")
    for entity in ENTITIES:
        cols = ", ".join(c.name for c in demo_data._LAYOUT[entity])
        rows_a = a.sql(f"SELECT {cols} FROM {entity} ORDER BY ALL")
        rows_b = b.sql(f"SELECT {cols} FROM {entity} ORDER BY ALL")
        assert rows_a == rows_b and rows_a, entity
        assert a.reasons(entity) == b.reasons(entity)


# --------------------------------------------------------------------------------------
# other layouts and sizes
# --------------------------------------------------------------------------------------


def test_files_per_day(tmp_path):
    out = tmp_path / "daily"
    summary = generate(out, conversations=800, workspaces=3, days=30, end_date=END,
                       files_per_day=True, progress=False)
    landing = Landing(out)
    first, last = END - dt.timedelta(days=30), END + dt.timedelta(days=1)
    exts = set()
    for entity in ENTITIES:
        for path in (out / entity).iterdir():
            stem, ext = path.name.split(".", 1)
            exts.add(ext)
            assert first <= dt.date.fromisoformat(stem) <= last, path
    assert exts == {"jsonl", "jsonl.gz", "parquet"}
    for entity in ENTITIES:
        # every valid record sits in the file of the UTC date of its updated_at
        assert landing.one(f"""
            SELECT count(*) FROM {entity}
            WHERE strftime(timezone('UTC', updated_at), '%Y-%m-%d')
                  <> split_part(split_part(_file, '/', 2), '.', 1)""") == 0
        assert landing.reasons(entity) == summary["bad_records_by_entity"].get(entity, {})
    # late records: created 1-3 days before the day of their file
    late = dict(landing.sql("""
        SELECT datediff('day', timezone('UTC', created_at)::DATE,
                        split_part(split_part(_file, '/', 2), '.', 1)::DATE) AS lag, count(*)
        FROM messages GROUP BY 1"""))
    assert late[1] > 10 and late[2] > 10 and late[3] > 5
    # re-exports land in a later day's file
    assert landing.one("""
        SELECT count(*) FROM (SELECT message_id FROM messages GROUP BY 1
                              HAVING count(DISTINCT _file) >= 2)""") > 10


def test_medium_parquet_row_counts(tmp_path):
    out = tmp_path / "medium"
    summary = generate(out, conversations=20_000, workspaces=20, days=60, fmt="parquet",
                       end_date=END, progress=False)
    con = duckdb.connect()
    assert summary["counts"]["conversations"] == 20_000
    assert summary["counts"]["workspaces"] == 20
    for entity in ENTITIES:
        id_col = SPEC[entity]["id"]
        rows, ids = con.execute(f"""
            SELECT count(*), count(DISTINCT {id_col})
            FROM read_parquet('{out}/{entity}/*.parquet')""").fetchone()
        assert rows == summary["rows_written"][entity], entity
        assert ids == summary["counts"][entity], entity
        bad = sum(summary["bad_records_by_entity"].get(entity, {}).values())
        jsonl = list((out / entity).glob("*.jsonl"))
        lines = sum(len(p.read_bytes().splitlines()) for p in jsonl)
        assert lines == bad, entity
    per_conv = summary["counts"]["messages"] / summary["counts"]["conversations"]
    assert 5.0 <= per_conv <= 6.5
    agents = summary["counts"]["agents"]
    assert 20 * 4 <= agents <= 20 * 12
    # a bigger set has bad records of more entities, still well under 1 %
    assert set(summary["bad_records_by_entity"]) >= {"messages", "conversations",
                                                     "csat_responses", "mentions"}
    for entity, per in summary["bad_records_by_entity"].items():
        assert sum(per.values()) / summary["rows_written"][entity] < 0.003, entity


def test_parquet_layout_does_not_depend_on_generation_chunks(tmp_path, monkeypatch):
    # many small generation chunks feed every day's file; each file is still written once,
    # in one row group per _ROW_GROUP_ROWS rows (one here), not one per chunk
    monkeypatch.setattr(demo_data, "_CHUNK", 150)
    out = tmp_path / "chunked"
    summary = generate(out, conversations=1_500, workspaces=3, days=10, fmt="parquet",
                       end_date=END, files_per_day=True, progress=False)
    parquet = sorted(out.glob("*/*.parquet"))
    assert len(parquet) > 30
    assert not list(out.rglob("*" + demo_data._PART_SUFFIX))
    rows = {entity: 0 for entity in ENTITIES}
    for path in parquet:
        meta = pq.ParquetFile(path).metadata
        assert meta.num_row_groups == 1, path
        rows[path.parent.name] += meta.num_rows
    assert rows == summary["rows_written"]  # bad records go to JSON Lines files
    # a .part file left by a killed generation does not make the folder foreign
    (out / "messages" / f"{END}.parquet{demo_data._PART_SUFFIX}").write_bytes(b"partial")
    generate(out, conversations=300, workspaces=2, days=5, fmt="parquet", end_date=END,
             progress=False)
    assert not list(out.rglob("*" + demo_data._PART_SUFFIX))


def test_bad_message_share(tmp_path):
    out = tmp_path / "reject"
    summary = generate(out, conversations=1000, workspaces=2, days=30, fmt="jsonl",
                       end_date=END, bad_message_share=0.05, progress=False)
    landing = Landing(out)
    bad = sum(summary["bad_records_by_entity"]["messages"].values())
    share = bad / (bad + summary["rows_written"]["messages"])
    assert 0.045 <= share <= 0.06
    assert landing.reasons("messages") == summary["bad_records_by_entity"]["messages"]


def test_no_bad_records(tmp_path):
    out = tmp_path / "clean"
    summary = generate(out, conversations=400, workspaces=2, days=30, fmt="mixed",
                       end_date=END, bad_records=False, progress=False)
    assert summary["bad_records_total"] == 0 and summary["bad_records_by_entity"] == {}
    landing = Landing(out)
    for entity in ENTITIES:
        assert landing.reasons(entity) == {}, entity


def test_default_end_date_is_yesterday_utc(tmp_path):
    summary = generate(tmp_path / "d", conversations=30, workspaces=1, days=3, fmt="jsonl",
                       progress=False)
    yesterday = dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    assert summary["date_range"]["end"] == yesterday.isoformat()
    assert all(summary["bad_records"][r] >= 1 for r in REASONS)


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def _cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ochre-analytics")
    sub = parser.add_subparsers(dest="command", required=True)
    demo_data.add_parser(sub)
    args = parser.parse_args(["demo-data", *argv])
    return args.func(args)


def test_cli_writes_and_rewrites(tmp_path, capsys):
    out = tmp_path / "cli"
    argv = ["--out", str(out), "--conversations", "200", "--workspaces", "2", "--days", "10",
            "--format", "jsonl", "--end-date", "2026-11-25", "--seed", "3", "--no-bad-records"]
    assert _cli(argv) == 0
    printed = capsys.readouterr().out
    assert "conversations 200" in printed and "bad records: 0" in printed
    assert json.loads((out / demo_data.MARKER_FILE).read_text())["counts"]["conversations"] == 200
    # a previous landing set is replaced
    assert _cli(argv[:-1] + ["--files-per-day", "--bad-message-share", "0.05"]) == 0
    assert not (out / "messages" / "messages-001.jsonl").exists()
    assert "invalid_json" in capsys.readouterr().out


def test_cli_writes_business_hours_and_holidays(tmp_path, capsys):
    """demo-data writes a business calendar for three workspaces in four (make demo's page
    shows business-hours figures); a re-run replaces it; --no-business-hours writes none."""
    out = tmp_path / "calendar"
    argv = ["--out", str(out), "--conversations", "200", "--workspaces", "4", "--days", "60",
            "--format", "jsonl", "--end-date", "2026-11-20", "--no-bad-records"]
    assert _cli(argv) == 0
    assert "business hours: 26 intervals in 3 of 4 workspaces, 6 holidays" in (
        capsys.readouterr().out)
    hours = [json.loads(line) for line in
             (out / "business_hours" / "hours.jsonl").read_text().splitlines()]
    holidays = [json.loads(line) for line in
                (out / "holidays" / "holidays.jsonl").read_text().splitlines()]
    by_workspace = {}
    for row in hours:
        by_workspace.setdefault(row["workspace_id"], []).append(row)
    assert sorted(by_workspace) == ["ws00000", "ws00001", "ws00002"]
    assert {(r["weekday"], r["opens_at"], r["closes_at"]) for r in by_workspace["ws00000"]} == {
        (day, "09:00", "17:00") for day in range(1, 6)}
    assert len(by_workspace["ws00001"]) == 11  # a split shift on weekdays, Saturday mornings
    # ws00002's schedule changed in the middle of the 60 days (2026-09-22 .. 2026-11-20)
    assert {(r["opens_at"], r["valid_from"], r["valid_to"]) for r in by_workspace["ws00002"]} \
        == {("09:00", None, "2026-10-20"), ("08:00", "2026-10-21", None)}
    assert [(h["workspace_id"], h["date"]) for h in holidays] == [
        (ws, day) for ws in ("ws00000", "ws00001", "ws00002")
        for day in ("2026-10-12", "2026-11-06")]
    assert all(dt.date.fromisoformat(h["date"]).isoweekday() <= 5 for h in holidays)
    assert _cli(argv) == 0  # the previous set, calendar included, is replaced
    assert "6 holidays" in capsys.readouterr().out
    assert _cli([*argv, "--no-business-hours"]) == 0
    assert not (out / "business_hours").exists() and not (out / "holidays").exists()
    assert "business hours" not in capsys.readouterr().out


def test_cli_progress_counts_conversations_then_parquet_files(tmp_path, capsys):
    out = tmp_path / "cli-parquet"
    argv = ["--out", str(out), "--conversations", "300", "--workspaces", "2", "--days", "5",
            "--format", "parquet", "--end-date", "2026-11-25", "--files-per-day"]
    assert _cli(argv) == 0
    err = capsys.readouterr().err
    files = len(list(out.glob("*/*.parquet")))
    assert files > 10
    assert "demo-data: 100%" in err and "300/300" in err
    assert "demo-data: writing Parquet files: 100%" in err and f"{files}/{files}" in err
    assert _cli([*argv, "--no-progress"]) == 0
    assert "demo-data" not in capsys.readouterr().err


@pytest.mark.parametrize("argv, message", [
    (["--end-date", "2026-13-01"], "bad end date"),
    (["--days", "0"], "days must be"),
    (["--bad-message-share", "1.5"], "bad message share"),
])
def test_cli_bad_arguments(tmp_path, capsys, argv, message):
    assert _cli(["--out", str(tmp_path / "x"), *argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err
    assert "Traceback" not in err


def test_cli_refuses_foreign_folder(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("keep me")
    assert _cli(["--out", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not empty" in err
    assert (tmp_path / "notes.txt").read_text() == "keep me"
    # a landing set someone else wrote (no marker) is not ours to replace either
    landing = tmp_path / "real"
    (landing / "messages").mkdir(parents=True)
    (landing / "messages" / "m.jsonl").write_text("{}\n")
    assert _cli(["--out", str(landing)]) == 2
    assert "not a previous demo landing set" in capsys.readouterr().err
    assert (landing / "messages" / "m.jsonl").exists()


def test_cli_unwritable_target(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    assert _cli(["--out", str(blocker / "sub")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ")
