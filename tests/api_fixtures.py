"""A small, honest published file for the API tests.

Real activity (replies, first-response samples, CSAT, mentions, NPS, AI-only
conversations) is generated deterministically, then every published table is
computed from it with the definitions of spec/metrics.md, so the leaderboard,
the daily series, the low-CSAT list and the team tiles agree with each other.
Simplification: every conversation is handled by one agent, so each sample is
also the conversation's first human reply.

Workspaces and viewers:
  w1 (Europe/Berlin): w1_owner (owner), w1_admin (admin), w1_agent (agent),
                      w1_gone (agent, deactivated; last active 40 days before AS_OF)
  w2 (UTC):           w2_admin (admin)

Business hours: w1 has some (every third of its waits fell entirely outside them: 0
business seconds, the others entirely inside: business = calendar seconds); w2 has none
(null business figures).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pandas as pd
import uvicorn

from ochre_api.visibility import create_visibility_view

SECRET = "test-secret-for-the-api-tests-0123456789"
AS_OF = dt.date(2026, 11, 20)
FIRST_DAY = AS_OF - dt.timedelta(days=200)
LAST_DAY = AS_OF + dt.timedelta(days=10)  # later as-of dates (publish tests) have data too

WORKSPACES = [("w1", "Harbor Support", "Europe/Berlin"), ("w2", "Summit Helpdesk", "UTC")]
AGENTS = [
    # agent_id, workspace_id, agent_name, agent_role, agent_status
    ("w1_owner", "w1", "Olivia Okafor", "owner", "active"),
    ("w1_admin", "w1", "Adam Alvarez", "admin", "active"),
    ("w1_agent", "w1", "Ava Lindqvist", "agent", "active"),
    ("w1_gone", "w1", "Dan Devlin", "agent", "deactivated"),
    ("w2_admin", "w2", "Wendy Wu", "admin", "active"),
]
# conversations per day (min, max), typical first response (s), last active day
PROFILES = {
    "w1_owner": ((0, 1), 300, LAST_DAY),
    "w1_admin": ((0, 3), 900, LAST_DAY),
    "w1_agent": ((2, 5), 420, LAST_DAY),
    "w1_gone": ((1, 3), 3000, AS_OF - dt.timedelta(days=40)),
    "w2_admin": ((1, 4), 600, LAST_DAY),
}
AI_ASSIST = ["draft_sent", "draft_edited", "none", None]
PERIODS = (7, 14, 30, 90)


def _events(seed: int = 7) -> dict[str, pd.DataFrame]:
    rng = random.Random(seed)
    ws_of = {a[0]: a[1] for a in AGENTS}
    replies, samples, csat, mentions, ai_only, nps = [], [], [], [], [], []
    day = FIRST_DAY
    while day <= LAST_DAY:
        for agent_id, ((lo, hi), frt, last_day) in PROFILES.items():
            ws = ws_of[agent_id]
            n = rng.randint(lo, hi)
            if day > last_day:
                continue
            for k in range(n):
                conv = f"{ws}-c{day:%m%d}-{agent_id[3:]}-{k}"
                for i in range(rng.randint(1, 3)):
                    replies.append((ws, agent_id, conv, day, rng.choice(AI_ASSIST)))
                    if i == 0:
                        seconds = round(frt * rng.uniform(0.4, 2.4))
                        # w1 has business hours (every third wait outside them), w2 none
                        business = (
                            None if ws != "w1"
                            else 0.0 if (day.toordinal() + k) % 3 == 0 else float(seconds)
                        )
                        samples.append((ws, agent_id, conv, day, float(seconds), business))
                if rng.random() < 0.35:
                    score = rng.choices([1, 2, 3, 4, 5], weights=[1, 1, 2, 4, 6])[0]
                    at = dt.datetime.combine(day, dt.time(15, rng.randint(0, 59)), dt.UTC)
                    csat.append((ws, agent_id, conv, float(score), at, day))
            if rng.random() < 0.3:
                mentions.append((ws, agent_id, day))
        for ws, _name, _tz in WORKSPACES:
            if rng.random() < 0.4:
                ai_only.append((ws, f"{ws}-ai{day:%m%d}", day))
            if rng.random() < 0.5:
                score = rng.choices(range(11), weights=[1, 1, 1, 1, 1, 2, 2, 4, 6, 8, 8])[0]
                nps.append((ws, score, day))
        day += dt.timedelta(days=1)

    def frame(rows: list[tuple], cols: str) -> pd.DataFrame:
        return pd.DataFrame(rows, columns=cols.split())

    return {
        "ev_replies": frame(replies, "workspace_id agent_id conversation_id d ai_assist"),
        "ev_samples": frame(samples, "workspace_id agent_id conversation_id d seconds business"),
        "ev_csat": frame(
            csat, "workspace_id agent_id conversation_id score submitted_at submitted_date"
        ),
        "ev_mentions": frame(mentions, "workspace_id agent_id d"),
        "ev_ai_only": frame(ai_only, "workspace_id conversation_id d"),
        "ev_nps": frame(nps, "workspace_id score d"),
    }


_EVENTS: dict[str, pd.DataFrame] | None = None

TABLES_SQL = """
CREATE TEMP MACRO ci_bound(avg_score, n, sign) AS CASE WHEN n > 0 THEN
  greatest(1.0, least(5.0, 1 + 4 * (
    ((avg_score - 1) / 4 + 1.959963984540054 ^ 2 / (2 * n))
    + sign * 1.959963984540054 * sqrt(
        (avg_score - 1) / 4 * (1 - (avg_score - 1) / 4) / n + 1.959963984540054 ^ 2 / (4 * n * n))
  ) / (1 + 1.959963984540054 ^ 2 / n)))
END;

CREATE TEMP TABLE win AS
SELECT p::INTEGER AS period_days,
       $as_of - p + 1 AS s, $as_of AS e, $as_of - 2 * p + 1 AS ps, $as_of - p AS pe
FROM unnest([7, 14, 30, 90]) AS t(p);

CREATE TABLE workspaces AS SELECT * FROM src_workspaces;
CREATE TABLE agents AS SELECT * FROM src_agents;

CREATE TEMP TABLE per_agent AS
SELECT w.period_days, a.*,
  (SELECT count(DISTINCT conversation_id) FROM ev_replies r
     WHERE r.agent_id = a.agent_id AND r.d BETWEEN w.s AND w.e) AS conversations_handled,
  (SELECT count(*) FROM ev_replies r
     WHERE r.agent_id = a.agent_id AND r.d BETWEEN w.s AND w.e) AS replies_sent,
  (SELECT count(*) FROM ev_samples x
     WHERE x.agent_id = a.agent_id AND x.d BETWEEN w.s AND w.e) AS first_response_samples,
  (SELECT median(seconds) FROM ev_samples x
     WHERE x.agent_id = a.agent_id AND x.d BETWEEN w.s AND w.e) AS median_first_response_seconds,
  (SELECT median(business) FROM ev_samples x
     WHERE x.agent_id = a.agent_id AND x.d BETWEEN w.s AND w.e) AS median_business,
  (SELECT count(*) FROM ev_csat c
     WHERE c.agent_id = a.agent_id AND c.submitted_date BETWEEN w.s AND w.e) AS csat_responses,
  (SELECT avg(score) FROM ev_csat c
     WHERE c.agent_id = a.agent_id AND c.submitted_date BETWEEN w.s AND w.e) AS csat_avg,
  (SELECT count(*) FROM ev_replies r WHERE r.agent_id = a.agent_id
     AND r.d BETWEEN w.s AND w.e AND r.ai_assist = 'draft_sent') AS ai_draft_sent_replies,
  (SELECT count(*) FROM ev_replies r WHERE r.agent_id = a.agent_id
     AND r.d BETWEEN w.s AND w.e AND r.ai_assist = 'draft_edited') AS ai_draft_edited_replies,
  (SELECT count(*) FROM ev_replies r WHERE r.agent_id = a.agent_id
     AND r.d BETWEEN w.s AND w.e AND coalesce(r.ai_assist, 'none') = 'none') AS scratch_replies,
  (SELECT count(*) FROM ev_mentions m
     WHERE m.agent_id = a.agent_id AND m.d BETWEEN w.s AND w.e) AS mentions_received,
  (SELECT count(DISTINCT conversation_id) FROM ev_replies r
     WHERE r.agent_id = a.agent_id AND r.d BETWEEN w.ps AND w.pe) AS prev_conversations_handled,
  (SELECT median(seconds) FROM ev_samples x
     WHERE x.workspace_id = a.workspace_id AND x.d BETWEEN w.s AND w.e) AS team_frt,
  (SELECT median(business) FROM ev_samples x
     WHERE x.workspace_id = a.workspace_id AND x.d BETWEEN w.s AND w.e) AS team_business,
  (SELECT avg(score) FROM ev_csat c
     WHERE c.workspace_id = a.workspace_id AND c.submitted_date BETWEEN w.s AND w.e) AS team_csat,
  (SELECT count(*) FROM ev_csat c
     WHERE c.workspace_id = a.workspace_id AND c.submitted_date BETWEEN w.s AND w.e)
    AS team_csat_n,
  (SELECT 100.0 * count(*) FILTER (WHERE ai_assist IN ('draft_sent', 'draft_edited'))
          / nullif(count(*), 0)
     FROM ev_replies r WHERE r.workspace_id = a.workspace_id AND r.d BETWEEN w.s AND w.e
  ) AS team_ai_pct
FROM agents a CROSS JOIN win w;

CREATE TABLE agent_leaderboard AS
WITH kept AS (
  SELECT *, median(conversations_handled) OVER (PARTITION BY workspace_id, period_days)
            AS team_median_conv
  FROM per_agent
  WHERE agent_status = 'active'
     OR replies_sent + first_response_samples + csat_responses + mentions_received > 0
)
SELECT workspace_id, $as_of AS as_of_date, period_days, agent_id, agent_name, agent_role,
  agent_status, conversations_handled::BIGINT AS conversations_handled,
  replies_sent::BIGINT AS replies_sent, first_response_samples::BIGINT AS first_response_samples,
  median_first_response_seconds::DOUBLE AS median_first_response_seconds,
  median_business::DOUBLE AS median_first_response_business_seconds,
  csat_responses::BIGINT AS csat_responses, csat_avg::DOUBLE AS csat_avg,
  least(csat_avg, ci_bound(csat_avg, csat_responses, -1))::DOUBLE AS csat_ci_low,
  greatest(csat_avg, ci_bound(csat_avg, csat_responses, 1))::DOUBLE AS csat_ci_high,
  ai_draft_sent_replies::BIGINT AS ai_draft_sent_replies,
  ai_draft_edited_replies::BIGINT AS ai_draft_edited_replies,
  scratch_replies::BIGINT AS scratch_replies,
  (100.0 * (ai_draft_sent_replies + ai_draft_edited_replies) / nullif(replies_sent, 0))::DOUBLE
    AS ai_assisted_reply_pct,
  mentions_received::BIGINT AS mentions_received,
  prev_conversations_handled::BIGINT AS prev_conversations_handled,
  team_frt::DOUBLE AS team_median_first_response_seconds,
  team_business::DOUBLE AS team_median_first_response_business_seconds,
  team_csat::DOUBLE AS team_csat_avg,
  least(team_csat, ci_bound(team_csat, team_csat_n, -1))::DOUBLE AS team_csat_ci_low,
  greatest(team_csat, ci_bound(team_csat, team_csat_n, 1))::DOUBLE AS team_csat_ci_high,
  team_ai_pct::DOUBLE AS team_ai_assisted_reply_pct,
  team_median_conv::DOUBLE AS team_median_conversations_handled,
  CASE
    WHEN median_first_response_seconds IS NULL THEN NULL
    WHEN conversations_handled >= team_median_conv AND median_first_response_seconds <= team_frt
      THEN 'workhorse'
    WHEN conversations_handled < team_median_conv AND median_first_response_seconds <= team_frt
      THEN 'underloaded'
    WHEN conversations_handled >= team_median_conv THEN 'drowning'
    ELSE 'needs_context'
  END AS load_quadrant
FROM kept
ORDER BY workspace_id, period_days, agent_id;

CREATE TEMP TABLE all_conv AS
SELECT workspace_id, conversation_id, d, false AS ai_only FROM ev_replies
UNION ALL SELECT workspace_id, conversation_id, d, true FROM ev_ai_only;

CREATE TABLE team_kpis AS
WITH t AS (
SELECT ws.workspace_id, $as_of AS as_of_date, w.period_days,
  (SELECT count(DISTINCT conversation_id) FROM all_conv c
     WHERE c.workspace_id = ws.workspace_id AND c.d BETWEEN w.s AND w.e)::BIGINT
    AS conversations_replied,
  (SELECT count(DISTINCT conversation_id) FROM all_conv c
     WHERE c.workspace_id = ws.workspace_id AND c.ai_only AND c.d BETWEEN w.s AND w.e)::BIGINT
    AS ai_handled_conversations,
  (SELECT median(seconds) FROM ev_samples x
     WHERE x.workspace_id = ws.workspace_id AND x.d BETWEEN w.s AND w.e)::DOUBLE
    AS median_first_response_seconds,
  (SELECT median(business) FROM ev_samples x
     WHERE x.workspace_id = ws.workspace_id AND x.d BETWEEN w.s AND w.e)::DOUBLE
    AS median_first_response_business_seconds,
  (SELECT avg(score) FROM ev_csat c
     WHERE c.workspace_id = ws.workspace_id AND c.submitted_date BETWEEN w.s AND w.e)::DOUBLE
    AS csat_avg,
  (SELECT count(*) FROM ev_csat c
     WHERE c.workspace_id = ws.workspace_id AND c.submitted_date BETWEEN w.s AND w.e)::BIGINT
    AS csat_responses,
  (SELECT 100.0 * (count(*) FILTER (WHERE score >= 9) - count(*) FILTER (WHERE score <= 6))
          / nullif(count(*), 0)
     FROM ev_nps n WHERE n.workspace_id = ws.workspace_id AND n.d BETWEEN w.s AND w.e)::DOUBLE
    AS nps,
  (SELECT count(*) FROM ev_nps n
     WHERE n.workspace_id = ws.workspace_id AND n.d BETWEEN w.s AND w.e)::BIGINT AS nps_responses,
  (SELECT count(DISTINCT conversation_id) FROM all_conv c
     WHERE c.workspace_id = ws.workspace_id AND c.d BETWEEN w.ps AND w.pe)::BIGINT
    AS prev_conversations_replied
FROM workspaces ws CROSS JOIN win w
)
SELECT workspace_id, as_of_date, period_days, conversations_replied, ai_handled_conversations,
  (100.0 * ai_handled_conversations / nullif(conversations_replied, 0))::DOUBLE AS ai_handled_pct,
  median_first_response_seconds, median_first_response_business_seconds, csat_avg,
  least(csat_avg, ci_bound(csat_avg, csat_responses, -1))::DOUBLE AS csat_ci_low,
  greatest(csat_avg, ci_bound(csat_avg, csat_responses, 1))::DOUBLE AS csat_ci_high,
  csat_responses, nps, nps_responses, prev_conversations_replied
FROM t
ORDER BY workspace_id, period_days;

CREATE TABLE conversation_summary AS
WITH active AS (
  SELECT workspace_id, conversation_id, false AS ai_only FROM ev_replies
    WHERE d BETWEEN $as_of - 89 AND $as_of
  UNION SELECT workspace_id, conversation_id, false FROM ev_csat
    WHERE submitted_date BETWEEN $as_of - 89 AND $as_of
  UNION SELECT workspace_id, conversation_id, true FROM ev_ai_only
    WHERE d BETWEEN $as_of - 89 AND $as_of
)
SELECT k.workspace_id, $as_of AS as_of_date, k.conversation_id,
  coalesce(
    (SELECT min(d) FROM ev_replies r WHERE r.conversation_id = k.conversation_id),
    (SELECT min(d) FROM ev_ai_only i WHERE i.conversation_id = k.conversation_id)
  ) AS opened_date,
  x.agent_id AS first_responder_agent_id, x.d AS first_response_date,
  x.seconds::DOUBLE AS first_response_seconds,
  x.business::DOUBLE AS first_response_business_seconds,
  (SELECT count(*) FROM ev_replies r WHERE r.conversation_id = k.conversation_id
     AND r.d BETWEEN $as_of - 89 AND $as_of)::BIGINT AS human_replies,
  (SELECT count(*) FROM ev_ai_only i WHERE i.conversation_id = k.conversation_id
     AND i.d BETWEEN $as_of - 89 AND $as_of)::BIGINT AS ai_replies,
  CASE WHEN k.ai_only THEN 'ai_handled' ELSE 'human' END AS handling,
  c.score::INTEGER AS csat_score, c.submitted_date AS csat_submitted_date,
  (SELECT string_agg(DISTINCT r.agent_id, ',' ORDER BY r.agent_id) FROM ev_replies r
     WHERE r.conversation_id = k.conversation_id AND r.d BETWEEN $as_of - 89 AND $as_of)
    AS agents_replied
FROM active k
LEFT JOIN ev_samples x ON x.conversation_id = k.conversation_id
LEFT JOIN ev_csat c ON c.conversation_id = k.conversation_id
ORDER BY k.conversation_id;

CREATE TABLE agent_daily_activity AS
WITH days AS (
  SELECT workspace_id, agent_id, d FROM ev_replies
  UNION SELECT workspace_id, agent_id, d FROM ev_samples
  UNION SELECT workspace_id, agent_id, submitted_date FROM ev_csat
  UNION SELECT workspace_id, agent_id, d FROM ev_mentions
)
SELECT k.workspace_id, $as_of AS as_of_date, k.agent_id, k.d AS activity_date,
  (SELECT count(DISTINCT conversation_id) FROM ev_replies r
     WHERE r.agent_id = k.agent_id AND r.d = k.d)::BIGINT AS conversations_handled,
  (SELECT count(*) FROM ev_replies r
     WHERE r.agent_id = k.agent_id AND r.d = k.d)::BIGINT AS replies_sent,
  (SELECT count(*) FROM ev_samples x
     WHERE x.agent_id = k.agent_id AND x.d = k.d)::BIGINT AS first_response_samples,
  (SELECT median(seconds) FROM ev_samples x
     WHERE x.agent_id = k.agent_id AND x.d = k.d)::DOUBLE AS median_first_response_seconds,
  (SELECT median(business) FROM ev_samples x
     WHERE x.agent_id = k.agent_id AND x.d = k.d)::DOUBLE
    AS median_first_response_business_seconds,
  (SELECT count(*) FROM ev_csat c
     WHERE c.agent_id = k.agent_id AND c.submitted_date = k.d)::BIGINT AS csat_responses,
  (SELECT coalesce(sum(score), 0) FROM ev_csat c
     WHERE c.agent_id = k.agent_id AND c.submitted_date = k.d)::DOUBLE AS csat_score_sum,
  (SELECT count(*) FROM ev_replies r WHERE r.agent_id = k.agent_id AND r.d = k.d
     AND r.ai_assist = 'draft_sent')::BIGINT AS ai_draft_sent_replies,
  (SELECT count(*) FROM ev_replies r WHERE r.agent_id = k.agent_id AND r.d = k.d
     AND r.ai_assist = 'draft_edited')::BIGINT AS ai_draft_edited_replies,
  (SELECT count(*) FROM ev_replies r WHERE r.agent_id = k.agent_id AND r.d = k.d
     AND coalesce(r.ai_assist, 'none') = 'none')::BIGINT AS scratch_replies,
  (SELECT count(*) FROM ev_mentions m
     WHERE m.agent_id = k.agent_id AND m.d = k.d)::BIGINT AS mentions_received
FROM days k
WHERE k.d BETWEEN $as_of - 179 AND $as_of
ORDER BY k.agent_id, k.d;

CREATE TABLE agent_low_csat_conversations AS
SELECT workspace_id, $as_of AS as_of_date, agent_id, conversation_id, score::INTEGER AS score,
       submitted_at::TIMESTAMPTZ AS submitted_at, submitted_date
FROM ev_csat
WHERE score <= 2 AND submitted_date BETWEEN $as_of - 89 AND $as_of
ORDER BY agent_id, submitted_at;

CREATE TABLE rejected_records (
  entity VARCHAR, source_file VARCHAR, line_number BIGINT, record_id VARCHAR, reason VARCHAR
);
INSERT INTO rejected_records VALUES
  ('messages', 'messages/part-0001.jsonl', 17, 'm-0017', 'unknown conversation_id');

CREATE TABLE publish_metadata AS
SELECT $as_of AS as_of_date, now()::TIMESTAMPTZ AS published_at, 'duckdb' AS engine;
"""


def build_published(path: str | os.PathLike[str], *, as_of: dt.date = AS_OF) -> Path:
    """Write a complete published file at ``path`` (which must not exist)."""
    global _EVENTS
    if _EVENTS is None:
        _EVENTS = _events()
    if not (FIRST_DAY + dt.timedelta(days=180) <= as_of <= LAST_DAY):
        raise ValueError(f"as_of must lie in the generated range, got {as_of}")
    path = Path(path)
    con = duckdb.connect(str(path))
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.register("src_workspaces", pd.DataFrame(
            WORKSPACES, columns=["workspace_id", "workspace_name", "timezone"]))
        con.register("src_agents", pd.DataFrame(
            AGENTS, columns=["agent_id", "workspace_id", "agent_name", "agent_role",
                             "agent_status"]))
        for name, frame in _EVENTS.items():
            events = frame[frame[("submitted_date" if "submitted_date" in frame else "d")]
                           <= as_of]
            con.register(f"{name}_df", events)
            con.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_df")
        sql = TABLES_SQL.replace("$as_of", f"DATE '{as_of.isoformat()}'")
        for statement in filter(str.strip, sql.split(";")):
            con.execute(statement)
        create_visibility_view(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return path


def publish(target: str | os.PathLike[str], *, as_of: dt.date = AS_OF) -> Path:
    """Build next to ``target`` and swap it in with os.replace, as the pipeline does."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
    build_published(tmp, as_of=as_of)
    os.replace(tmp, target)
    return target


@contextmanager
def running_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields the base URL."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off")
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + 15
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        sock.close()
