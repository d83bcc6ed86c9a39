"""Landing records: entities, reasons, enum values, id formats, column layouts, batches."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

ENTITIES = (
    "workspaces",
    "agents",
    "conversations",
    "messages",
    "csat_responses",
    "mentions",
    "nps_responses",
)
FORMATS = ("jsonl", "jsonl.gz", "parquet", "mixed")
REASONS = (
    "required_null",
    "unparseable_timestamp",
    "unknown_enum",
    "score_out_of_range",
    "agent_reply_without_author",
    "missing_conversation",
    "missing_agent",
    "missing_workspace",
    "invalid_json",
)
MARKER_FILE = ".ochre-demo-data.json"

_US = 1_000_000
_DAY_S = 86_400
_DAY_US = _DAY_S * _US


class DemoDataError(ValueError):
    """A problem with the arguments or the output folder (one clear line)."""


# --------------------------------------------------------------------------------------
# enums and word lists
# --------------------------------------------------------------------------------------

_AUTHOR_TYPES = ["customer", "agent", "ai_agent", "system"]
_MESSAGE_TYPES = ["reply", "note", "handoff"]
_AI_ASSIST = ["none", "draft_sent", "draft_edited"]
_ROLES = ["owner", "admin", "agent"]
_AGENT_STATUS = ["active", "deactivated"]
_CONV_STATUS = ["open", "snoozed", "closed"]
_CHANNELS = ["email", "chat", "whatsapp", "messenger", "phone", "sms"]
_PRIORITIES = ["normal", "high", "urgent"]

# --------------------------------------------------------------------------------------
# column layouts
# --------------------------------------------------------------------------------------

# id formats: prefix, digits, suffix. "Missing" references count down from the top.
_IDS = {
    "ws": ("ws", 5, ""),
    "ag": ("ag", 7, ""),
    "cv": ("cv", 10, ""),
    "ms": ("ms", 10, ""),
    "cs": ("cs", 10, ""),
    "mn": ("mn", 10, ""),
    "np": ("np", 10, ""),
    "cust": ("customer.", 9, "@mail.example"),
}


@dataclass(frozen=True)
class _Col:
    name: str
    kind: str  # "id" | "lookup" | "ts" | "int"
    ref: str = ""  # id format key, or lookup table name
    required: bool = False
    omittable: bool = False  # a null may be written as a missing key in JSON Lines


def _cols(*spec: tuple) -> list[_Col]:
    return [_Col(*s) for s in spec]


_LAYOUT: dict[str, list[_Col]] = {
    "workspaces": _cols(
        ("workspace_id", "id", "ws", True), ("name", "lookup", "ws_name"),
        ("timezone", "lookup", "tz", False, True), ("updated_at", "ts", "", True)),
    "agents": _cols(
        ("agent_id", "id", "ag", True), ("workspace_id", "id", "ws", True),
        ("display_name", "lookup", "agent_name"), ("email", "lookup", "agent_email"),
        ("role", "lookup", "role", True), ("status", "lookup", "agent_status", True),
        ("updated_at", "ts", "", True)),
    "conversations": _cols(
        ("conversation_id", "id", "cv", True), ("workspace_id", "id", "ws", True),
        ("created_at", "ts", "", True), ("channel", "lookup", "channel"),
        ("assignee_agent_id", "id", "ag", False, True), ("status", "lookup", "conv_status"),
        ("closed_at", "ts", "", False, True), ("updated_at", "ts", "", True),
        ("customer_email", "id", "cust"), ("priority", "lookup", "priority")),
    "messages": _cols(
        ("message_id", "id", "ms", True), ("conversation_id", "id", "cv", True),
        ("workspace_id", "id", "ws", True), ("created_at", "ts", "", True),
        ("author_type", "lookup", "author_type", True),
        ("author_agent_id", "id", "ag", False, True),
        ("message_type", "lookup", "message_type", True),
        ("ai_assist", "lookup", "ai_assist", False, True), ("updated_at", "ts", "", True)),
    "csat_responses": _cols(
        ("response_id", "id", "cs", True), ("conversation_id", "id", "cv", True),
        ("workspace_id", "id", "ws", True), ("score", "int", "", True),
        ("submitted_at", "ts", "", True), ("updated_at", "ts", "", True)),
    "mentions": _cols(
        ("mention_id", "id", "mn", True), ("message_id", "id", "ms", True),
        ("conversation_id", "id", "cv", True), ("workspace_id", "id", "ws", True),
        ("mentioned_agent_id", "id", "ag", True), ("created_at", "ts", "", True),
        ("updated_at", "ts", "", True)),
    "nps_responses": _cols(
        ("response_id", "id", "np", True), ("workspace_id", "id", "ws", True),
        ("score", "int", "", True), ("submitted_at", "ts", "", True),
        ("updated_at", "ts", "", True)),
}

_ARROW_TYPE = {"id": pa.string(), "lookup": pa.string(), "int": pa.int32(),
               "ts": pa.timestamp("us", tz="UTC")}
_SCHEMAS = {
    e: pa.schema([pa.field(c.name, _ARROW_TYPE[c.kind]) for c in cols])
    for e, cols in _LAYOUT.items()
}
# Parquet dictionary encoding only where values repeat (not for ids and timestamps)
_DICT_COLS = {
    e: [c.name for i, c in enumerate(cols)
        if c.kind in ("lookup", "int") or (c.kind == "id" and i > 0 and c.ref != "cust")]
    for e, cols in _LAYOUT.items()
}


# --------------------------------------------------------------------------------------
# batches: a column-wise set of records of one entity
# --------------------------------------------------------------------------------------


@dataclass
class _Batch:
    entity: str
    cols: dict[str, np.ndarray]
    # JSON Lines only: column -> list of (row indices, raw JSON value or None = omit key)
    overrides: dict[str, list[tuple[np.ndarray, bytes | None]]] | None = None
    broken: np.ndarray | None = None  # per row: 0 ok, 1 no closing brace, 2 unquoted key
    reasons: list[str] | None = None  # per row reason (bad batches only)

    def __len__(self) -> int:
        return len(next(iter(self.cols.values()))) if self.cols else 0

    def take(self, idx: np.ndarray) -> _Batch:
        cols = {k: v[idx] for k, v in self.cols.items()}
        over = None
        if self.overrides:
            pos = np.full(len(self), -1, np.int64)
            pos[idx] = np.arange(len(idx))
            over = {}
            for col, items in self.overrides.items():
                kept = []
                for rows, raw in items:
                    r = pos[rows]
                    r = r[r >= 0]
                    if len(r):
                        kept.append((r, raw))
                if kept:
                    over[col] = kept
        broken = self.broken[idx] if self.broken is not None else None
        reasons = [self.reasons[i] for i in idx] if self.reasons is not None else None
        return _Batch(self.entity, cols, over, broken, reasons)



@dataclass
class _Counters:
    conv: int = 0
    msg: int = 0
    csat: int = 0
    mention: int = 0
    nps: int = 0



def _fmt_id(key: str, value: int) -> str:
    prefix, width, suffix = _IDS[key]
    return f"{prefix}{value:0{width}d}{suffix}"
