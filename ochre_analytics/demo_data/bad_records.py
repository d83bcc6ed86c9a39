"""Bad records: copies of real records (with new ids), each with exactly one defect that
the pipeline must reject for a known reason. They are only ever written to JSON Lines
files: a defect is a raw JSON value put in place of a column's (``Batch.overrides``) or a
broken line (``Batch.broken_json``)."""

from __future__ import annotations

import json

import numpy as np

from .records import ID_FORMATS, MICROS_PER_SECOND, Batch, NextIds
from .sampling import seeded_rng
from .world import World

Override = tuple[str, str, bytes | None]  # (reason, column, raw JSON value or None: no key)

# references to records that do not exist count down from the top of the id range
_MISSING_ID_TOP = {"ws": 99_999, "ag": 9_999_999, "cv": 9_999_999_999}
_BAD_TIMESTAMPS = [b'"2026-11-31T09:15:00Z"', b'"yesterday 10:00"',
                   b'"2026-13-02T25:61:00+01:00"', b'"31/10/2026 14:03"']
# the reasons a bad message can have, in the order bad_message_share cycles through them
MESSAGE_REASONS = ("required_null", "unparseable_timestamp", "unknown_enum",
                   "agent_reply_without_author", "missing_conversation", "missing_agent",
                   "missing_workspace", "invalid_json")


def missing_id(key: str, k: int) -> bytes:
    """JSON text of the k-th id (counting down from the top) of a record that does not
    exist, in the ID_FORMATS `key` format."""
    prefix, width, suffix = ID_FORMATS[key]
    return json.dumps(f"{prefix}{_MISSING_ID_TOP[key] - k:0{width}d}{suffix}").encode()


def with_reply_agent(world: World, messages: Batch, conversations: Batch) -> Batch:
    """`messages` plus two helper columns for copying them as agent replies: an agent (the
    message's author, else the conversation's assignee, else the workspace owner) and the
    workspace's window_end."""
    columns = dict(messages.columns)
    first_conversation = conversations.columns["conversation_id"][0]
    assignee = conversations.columns["assignee_agent_id"][
        columns["conversation_id"] - first_conversation]
    owner = world.first_agent[columns["workspace_id"]]
    author = columns["author_agent_id"]
    columns["_reply_agent"] = np.where(author >= 0, author,
                                       np.where(assignee >= 0, assignee, owner))
    columns["_window_end"] = world.window_end[columns["workspace_id"]]
    return Batch("messages", columns)


def bad_messages(rng, source: Batch, reasons: list[str], ids: np.ndarray,
                 variant: int = 0) -> Batch:
    """Agent replies copied from random messages of `source` (a with_reply_agent batch),
    one per reason, with message ids `ids`. `variant` rotates which defect each reason
    gets (required_null: which column is null, ...)."""
    n = len(reasons)
    out = source.take(rng.integers(0, len(source), n))
    columns = out.columns
    # every bad message is an agent reply by a real agent of the conversation's workspace,
    # one second after the copied message
    columns["message_id"] = ids
    columns["author_type"] = np.ones(n, np.int64)
    columns["message_type"] = np.zeros(n, np.int64)
    columns["ai_assist"] = np.zeros(n, np.int64)
    columns["author_agent_id"] = columns["_reply_agent"]
    columns["created_at"] = np.minimum(columns["created_at"] + MICROS_PER_SECOND,
                                       columns["_window_end"])
    columns["updated_at"] = np.maximum(columns["updated_at"], columns["created_at"])
    overrides: dict[str, list[tuple[np.ndarray, bytes | None]]] = {}

    def override(column: str, rows: np.ndarray, raw: bytes | None) -> None:
        overrides.setdefault(column, []).append((rows, raw))

    broken_json = np.zeros(n, np.int8)
    reason_of_row = np.array(reasons)
    for reason_index, reason in enumerate(MESSAGE_REASONS):
        reason_rows = np.flatnonzero(reason_of_row == reason)
        if not len(reason_rows):
            continue
        defect = (np.arange(len(reason_rows)) + variant + reason_index) % 4
        if reason == "required_null":
            for k, (column, raw) in enumerate([("created_at", b"null"), ("conversation_id", None),
                                               ("workspace_id", b"null"), ("updated_at", None)]):
                rows = reason_rows[defect == k]
                if len(rows):
                    override(column, rows, raw)
        elif reason == "unparseable_timestamp":
            for k in range(4):
                rows = reason_rows[defect == k]
                if len(rows):
                    override("updated_at" if k == 1 else "created_at", rows, _BAD_TIMESTAMPS[k])
        elif reason == "unknown_enum":
            for k, (column, raw) in enumerate([("author_type", b'"bot"'),
                                               ("message_type", b'"comment"'),
                                               ("ai_assist", b'"autopilot"'),
                                               ("message_type", b'"private_note"')]):
                rows = reason_rows[defect == k]
                if len(rows):
                    override(column, rows, raw)
        elif reason == "agent_reply_without_author":
            for k in range(2):  # no key, or null
                rows = reason_rows[defect % 2 == k]
                if len(rows):
                    override("author_agent_id", rows, b"null" if k else None)
        elif reason == "missing_conversation":
            # the first 64 each point at a conversation of their own, the rest share one
            for j, row in enumerate(reason_rows[:64]):
                override("conversation_id", np.array([row]), missing_id("cv", j))
            if len(reason_rows) > 64:
                override("conversation_id", reason_rows[64:], missing_id("cv", 64))
        elif reason == "missing_agent":
            override("author_agent_id", reason_rows, missing_id("ag", 0))
        elif reason == "missing_workspace":
            override("workspace_id", reason_rows, missing_id("ws", 0))
        elif reason == "invalid_json":
            broken_json[reason_rows] = 1 + defect % 2  # no closing brace, or an unquoted key
    del columns["_reply_agent"], columns["_window_end"]
    return Batch("messages", columns, overrides, broken_json, list(reasons))


def bad_copies(rng, source: Batch, id_column: str, ids: np.ndarray,
               items: list[Override]) -> Batch:
    """One copy of a random `source` record per item (reason, column, raw JSON value), with
    ids `ids` and that column's value replaced."""
    out = source.take(rng.integers(0, len(source), len(items)))
    out.columns[id_column] = ids
    overrides: dict[str, list[tuple[np.ndarray, bytes | None]]] = {}
    for i, (_reason, column, raw) in enumerate(items):
        overrides.setdefault(column, []).append((np.array([i]), raw))
    out.overrides = overrides
    out.broken_json = np.zeros(len(items), np.int8)
    out.reasons = [reason for reason, _column, _raw in items]
    return out


def chunk_bad_messages(world: World, seed: int, chunk_index: int, chunk: dict, share: float,
                       next_ids: NextIds) -> Batch | None:
    """`share` of a chunk's messages again, as bad messages (reasons in turn), or None."""
    messages = chunk["messages"][1]
    k = int(round(share * len(messages)))
    if not k:
        return None
    source = with_reply_agent(world, messages, chunk["conversations"][1])
    reasons = [MESSAGE_REASONS[i % len(MESSAGE_REASONS)] for i in range(k)]
    ids = next_ids.message + np.arange(k, dtype=np.int64)
    next_ids.message += k
    return bad_messages(seeded_rng(seed, 5, chunk_index), source, reasons, ids, chunk_index)


def default_bad_records(rng, world: World, first_chunk: dict[str, Batch], nps: Batch,
                        counts: dict[str, int], next_ids: NextIds) -> list[Batch]:
    """At least one bad record per reason; more kinds where an entity is big enough that
    one record stays well under 1 %. `first_chunk`: the first chunk's current conversations,
    messages and mentions; `counts`: records per entity."""

    def big(entity: str, per_record: int = 700) -> int:
        return counts[entity] // per_record

    out: list[Batch] = []
    messages = with_reply_agent(world, first_chunk["messages"], first_chunk["conversations"])
    reasons = (["required_null"] * 2 + ["unparseable_timestamp"] * 2 + ["unknown_enum"] * 3
               + ["agent_reply_without_author"] * 2
               + ["missing_conversation", "missing_agent", "missing_workspace"]
               + ["invalid_json"] * 2)
    ids = next_ids.message + np.arange(len(reasons), dtype=np.int64)
    next_ids.message += len(reasons)
    out.append(bad_messages(rng, messages, reasons, ids, variant=0))

    # CSAT: scores out of range, built on real conversations
    conversations = first_chunk["conversations"]
    items: list[Override] = [("score_out_of_range", "score", b"6")]
    if big("csat_responses") >= 1:
        items.append(("score_out_of_range", "score", b"0"))
    if big("csat_responses", 1000) >= 1:
        items.append(("missing_conversation", "conversation_id", missing_id("cv", 900)))
    rows = rng.integers(0, len(conversations), len(items))
    columns = conversations.columns
    submitted = np.minimum(columns["created_at"][rows] + 3600 * MICROS_PER_SECOND,
                           world.window_end[columns["workspace_id"][rows]])
    responses = Batch("csat_responses", {
        "response_id": np.zeros(len(items), np.int64),
        "conversation_id": columns["conversation_id"][rows],
        "workspace_id": columns["workspace_id"][rows],
        "score": np.full(len(items), 4, np.int64), "submitted_at": submitted,
        "updated_at": submitted,
    })
    out.append(bad_copies(rng, responses, "response_id",
                          next_ids.csat + np.arange(len(items), dtype=np.int64), items))
    next_ids.csat += len(items)

    def add_copies(source: Batch, id_column: str, first_id: int, items: list[Override]) -> int:
        if items and len(source):
            out.append(bad_copies(rng, source, id_column,
                                  first_id + np.arange(len(items), dtype=np.int64), items))
        return len(items)

    items = []
    if big("conversations") >= 1:
        items.append(("unknown_enum", "status", b'"pending"'))
    if big("conversations") >= 2:
        items.append(("missing_workspace", "workspace_id", missing_id("ws", 1)))
    if big("conversations") >= 3:
        items.append(("unparseable_timestamp", "created_at", b'"2026-02-30T08:00:00Z"'))
    next_ids.conversation += add_copies(conversations, "conversation_id",
                                        next_ids.conversation, items)
    items = ([("missing_agent", "mentioned_agent_id", missing_id("ag", 1))]
             if big("mentions") >= 1 else [])
    next_ids.mention += add_copies(first_chunk["mentions"], "mention_id", next_ids.mention,
                                   items)
    items = [("score_out_of_range", "score", b"11")] if big("nps_responses") >= 1 else []
    next_ids.nps += add_copies(nps, "response_id", next_ids.nps, items)
    items = []
    if big("agents") >= 1:
        items.append(("unknown_enum", "role", b'"superuser"'))
    if big("agents") >= 2:
        items.append(("missing_workspace", "workspace_id", missing_id("ws", 2)))
    add_copies(world.agents[1], "agent_id", counts["agents"], items)
    items = [("required_null", "updated_at", b"null")] if big("workspaces") >= 1 else []
    add_copies(world.workspaces[1], "workspace_id", counts["workspaces"], items)
    return out
