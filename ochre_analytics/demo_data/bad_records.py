"""Bad records: copies of real records, each with one defect."""

from __future__ import annotations

import json

import numpy as np

from .records import _IDS, _US, _Batch, _Counters
from .world import _World

# --------------------------------------------------------------------------------------
# bad records
# --------------------------------------------------------------------------------------

_MISSING = {"ws": 99_999, "ag": 9_999_999, "cv": 9_999_999_999}


def _missing_id(key: str, k: int) -> bytes:
    prefix, width, suffix = _IDS[key]
    return json.dumps(f"{prefix}{_MISSING[key] - k:0{width}d}{suffix}").encode()


_BAD_TS = [b'"2026-11-31T09:15:00Z"', b'"yesterday 10:00"', b'"2026-13-02T25:61:00+01:00"',
           b'"31/10/2026 14:03"']
# the reasons a bad message can have, in the order bad_message_share cycles through them
_MESSAGE_REASONS = ("required_null", "unparseable_timestamp", "unknown_enum",
                    "agent_reply_without_author", "missing_conversation", "missing_agent",
                    "missing_workspace", "invalid_json")


def _bad_messages(rng, source: _Batch, reasons: list[str], ids: np.ndarray, variant: int = 0,
                  ) -> _Batch:
    """Agent replies copied from conversations' real messages (new ids), each with exactly
    one defect. `source` is a messages batch; rows are drawn from it."""
    n = len(reasons)
    rows = rng.integers(0, len(source), n)
    out = source.take(rows)
    c = out.cols
    # every bad message is an agent reply by a real agent of the conversation's workspace,
    # one second after the copied message
    c["message_id"] = ids
    c["author_type"] = np.ones(n, np.int64)
    c["message_type"] = np.zeros(n, np.int64)
    c["ai_assist"] = np.zeros(n, np.int64)
    c["author_agent_id"] = c["_agent"]
    c["created_at"] = np.minimum(c["created_at"] + _US, c["_cap"])
    c["updated_at"] = np.maximum(c["updated_at"], c["created_at"])
    over: dict[str, list[tuple[np.ndarray, bytes | None]]] = {}
    broken = np.zeros(n, np.int8)
    reason_arr = np.array(reasons)
    for r_i, reason in enumerate(_MESSAGE_REASONS):
        rows_r = np.flatnonzero(reason_arr == reason)
        if not len(rows_r):
            continue
        var = (np.arange(len(rows_r)) + variant + r_i) % 4
        if reason == "required_null":
            for v, (col, raw) in enumerate([("created_at", b"null"), ("conversation_id", None),
                                            ("workspace_id", b"null"), ("updated_at", None)]):
                sel = rows_r[var == v]
                if len(sel):
                    over.setdefault(col, []).append((sel, raw))
        elif reason == "unparseable_timestamp":
            for v in range(4):
                sel = rows_r[var == v]
                if len(sel):
                    over.setdefault("updated_at" if v == 1 else "created_at", []).append(
                        (sel, _BAD_TS[v]))
        elif reason == "unknown_enum":
            for v, (col, raw) in enumerate([("author_type", b'"bot"'),
                                            ("message_type", b'"comment"'),
                                            ("ai_assist", b'"autopilot"'),
                                            ("message_type", b'"private_note"')]):
                sel = rows_r[var == v]
                if len(sel):
                    over.setdefault(col, []).append((sel, raw))
        elif reason == "agent_reply_without_author":
            for v in range(2):
                sel = rows_r[var % 2 == v]
                if len(sel):
                    over.setdefault("author_agent_id", []).append((sel, b"null" if v else None))
        elif reason == "missing_conversation":
            for j, row in enumerate(rows_r[:64]):
                over.setdefault("conversation_id", []).append(
                    (np.array([row]), _missing_id("cv", j)))
            if len(rows_r) > 64:
                over["conversation_id"].append((rows_r[64:], _missing_id("cv", 64)))
        elif reason == "missing_agent":
            over.setdefault("author_agent_id", []).append((rows_r, _missing_id("ag", 0)))
        elif reason == "missing_workspace":
            over.setdefault("workspace_id", []).append((rows_r, _missing_id("ws", 0)))
        elif reason == "invalid_json":
            broken[rows_r] = 1 + var % 2
    del c["_agent"], c["_cap"]
    return _Batch("messages", c, over, broken, list(reasons))


def _with_agent(world: _World, messages: _Batch, conversations: _Batch) -> _Batch:
    """Attach, per message, an agent for a copied agent reply: the message's author, else
    the conversation's assignee, else the workspace owner; and the workspace's cap."""
    cols = dict(messages.cols)
    conv_first = conversations.cols["conversation_id"][0]
    assignee = conversations.cols["assignee_agent_id"][cols["conversation_id"] - conv_first]
    owner = world.ag_start[cols["workspace_id"]]
    author = cols["author_agent_id"]
    cols["_agent"] = np.where(author >= 0, author, np.where(assignee >= 0, assignee, owner))
    cols["_cap"] = world.ws_cap[cols["workspace_id"]]
    return _Batch("messages", cols)


def _bad_copies(rng, source: _Batch, id_col: str, ids: np.ndarray,
                items: list[tuple[str, str, bytes | None]]) -> _Batch:
    """One copy of a random source row per item (reason, column, raw JSON value)."""
    rows = rng.integers(0, len(source), len(items))
    out = source.take(rows)
    out.cols[id_col] = ids
    over: dict[str, list[tuple[np.ndarray, bytes | None]]] = {}
    for i, (_reason, col, raw) in enumerate(items):
        over.setdefault(col, []).append((np.array([i]), raw))
    out.overrides = over
    out.broken = np.zeros(len(items), np.int8)
    out.reasons = [r for r, _c, _v in items]
    return out



def _default_bad(rng, world: _World, first: dict, nps: _Batch, counts: dict,
                 ctr: _Counters) -> list[_Batch]:
    """At least one bad record per reason; more kinds where an entity is big enough that
    one record stays well under 1 %."""

    def big(entity: str, per_record: int = 700) -> int:
        return counts[entity] // per_record

    out: list[_Batch] = []
    msgs = _with_agent(world, first["messages"], first["conversations"])
    reasons = ["required_null"] * 2 + ["unparseable_timestamp"] * 2 + ["unknown_enum"] * 3 \
        + ["agent_reply_without_author"] * 2 + ["missing_conversation", "missing_agent",
                                                 "missing_workspace"] + ["invalid_json"] * 2
    ids = ctr.msg + np.arange(len(reasons), dtype=np.int64)
    ctr.msg += len(reasons)
    out.append(_bad_messages(rng, msgs, reasons, ids, variant=0))

    # CSAT: scores out of range, built on real conversations
    conv = first["conversations"]
    items: list[tuple[str, str, bytes | None]] = [("score_out_of_range", "score", b"6")]
    if big("csat_responses") >= 1:
        items.append(("score_out_of_range", "score", b"0"))
    if big("csat_responses", 1000) >= 1:
        items.append(("missing_conversation", "conversation_id", _missing_id("cv", 900)))
    rows = rng.integers(0, len(conv), len(items))
    c = conv.cols
    when = np.minimum(c["created_at"][rows] + 3600 * _US, world.ws_cap[c["workspace_id"][rows]])
    src = _Batch("csat_responses", {
        "response_id": np.zeros(len(items), np.int64),
        "conversation_id": c["conversation_id"][rows], "workspace_id": c["workspace_id"][rows],
        "score": np.full(len(items), 4, np.int64), "submitted_at": when, "updated_at": when,
    })
    out.append(_bad_copies(rng, src, "response_id",
                           ctr.csat + np.arange(len(items), dtype=np.int64), items))
    ctr.csat += len(items)

    def extra(entity: str, source: _Batch, id_col: str, start: int,
              items: list[tuple[str, str, bytes | None]]) -> int:
        if items and len(source):
            out.append(_bad_copies(rng, source, id_col,
                                   start + np.arange(len(items), dtype=np.int64), items))
        return len(items)

    items = []
    if big("conversations") >= 1:
        items.append(("unknown_enum", "status", b'"pending"'))
    if big("conversations") >= 2:
        items.append(("missing_workspace", "workspace_id", _missing_id("ws", 1)))
    if big("conversations") >= 3:
        items.append(("unparseable_timestamp", "created_at", b'"2026-02-30T08:00:00Z"'))
    ctr.conv += extra("conversations", conv, "conversation_id", ctr.conv, items)
    items = [("missing_agent", "mentioned_agent_id", _missing_id("ag", 1))] if big(
        "mentions") >= 1 else []
    ctr.mention += extra("mentions", first["mentions"], "mention_id", ctr.mention, items)
    items = [("score_out_of_range", "score", b"11")] if big("nps_responses") >= 1 else []
    ctr.nps += extra("nps_responses", nps, "response_id", ctr.nps, items)
    items = []
    if big("agents") >= 1:
        items.append(("unknown_enum", "role", b'"superuser"'))
    if big("agents") >= 2:
        items.append(("missing_workspace", "workspace_id", _missing_id("ws", 2)))
    extra("agents", world.agents[1], "agent_id", counts["agents"], items)
    items = [("required_null", "updated_at", b"null")] if big("workspaces") >= 1 else []
    extra("workspaces", world.workspaces[1], "workspace_id", counts["workspaces"], items)
    return out
