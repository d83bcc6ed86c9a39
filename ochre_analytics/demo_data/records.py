"""What a landing record is: entities, rejection reasons, enum values, id formats, column
layouts, and ``Batch``, the column-wise records of one entity every generator produces."""

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

MICROS_PER_SECOND = 1_000_000
SECONDS_PER_DAY = 86_400
MICROS_PER_DAY = SECONDS_PER_DAY * MICROS_PER_SECOND
NULL_TIMESTAMP = np.iinfo(np.int64).min  # a null timestamp in a Batch column
NEVER = np.iinfo(np.int64).max  # "no such moment", e.g. an agent who is never deactivated


class DemoDataError(ValueError):
    """A problem with the arguments or the output folder (one clear line)."""


# --------------------------------------------------------------------------------------
# enum values (a lookup column holds an index into one of these)
# --------------------------------------------------------------------------------------

AUTHOR_TYPES = ["customer", "agent", "ai_agent", "system"]
MESSAGE_TYPES = ["reply", "note", "handoff"]
AI_ASSIST_VALUES = ["none", "draft_sent", "draft_edited"]
ROLES = ["owner", "admin", "agent"]
AGENT_STATUSES = ["active", "deactivated"]
CONVERSATION_STATUSES = ["open", "snoozed", "closed"]
CHANNELS = ["email", "chat", "whatsapp", "messenger", "phone", "sms"]
PRIORITIES = ["normal", "high", "urgent"]

# --------------------------------------------------------------------------------------
# column layouts
# --------------------------------------------------------------------------------------

# id formats by key: prefix, digits, suffix. "Missing" references count down from the top.
ID_FORMATS = {
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
class Column:
    """One column of a landing entity."""

    name: str
    kind: str  # "id" | "lookup" | "ts" | "int"
    source: str = ""  # id: an ID_FORMATS key; lookup: a World.lookup_tables name
    required: bool = False
    omittable: bool = False  # a null may be written as a missing key in JSON Lines


def _columns(*specs: tuple) -> list[Column]:
    return [Column(*spec) for spec in specs]


# every entity's columns, in file order (the first one is the record id)
LAYOUT: dict[str, list[Column]] = {
    "workspaces": _columns(
        ("workspace_id", "id", "ws", True), ("name", "lookup", "ws_name"),
        ("timezone", "lookup", "tz", False, True), ("updated_at", "ts", "", True)),
    "agents": _columns(
        ("agent_id", "id", "ag", True), ("workspace_id", "id", "ws", True),
        ("display_name", "lookup", "agent_name"), ("email", "lookup", "agent_email"),
        ("role", "lookup", "role", True), ("status", "lookup", "agent_status", True),
        ("updated_at", "ts", "", True)),
    "conversations": _columns(
        ("conversation_id", "id", "cv", True), ("workspace_id", "id", "ws", True),
        ("created_at", "ts", "", True), ("channel", "lookup", "channel"),
        ("assignee_agent_id", "id", "ag", False, True), ("status", "lookup", "conv_status"),
        ("closed_at", "ts", "", False, True), ("updated_at", "ts", "", True),
        ("customer_email", "id", "cust"), ("priority", "lookup", "priority")),
    "messages": _columns(
        ("message_id", "id", "ms", True), ("conversation_id", "id", "cv", True),
        ("workspace_id", "id", "ws", True), ("created_at", "ts", "", True),
        ("author_type", "lookup", "author_type", True),
        ("author_agent_id", "id", "ag", False, True),
        ("message_type", "lookup", "message_type", True),
        ("ai_assist", "lookup", "ai_assist", False, True), ("updated_at", "ts", "", True)),
    "csat_responses": _columns(
        ("response_id", "id", "cs", True), ("conversation_id", "id", "cv", True),
        ("workspace_id", "id", "ws", True), ("score", "int", "", True),
        ("submitted_at", "ts", "", True), ("updated_at", "ts", "", True)),
    "mentions": _columns(
        ("mention_id", "id", "mn", True), ("message_id", "id", "ms", True),
        ("conversation_id", "id", "cv", True), ("workspace_id", "id", "ws", True),
        ("mentioned_agent_id", "id", "ag", True), ("created_at", "ts", "", True),
        ("updated_at", "ts", "", True)),
    "nps_responses": _columns(
        ("response_id", "id", "np", True), ("workspace_id", "id", "ws", True),
        ("score", "int", "", True), ("submitted_at", "ts", "", True),
        ("updated_at", "ts", "", True)),
}

_ARROW_TYPES = {"id": pa.string(), "lookup": pa.string(), "int": pa.int32(),
                "ts": pa.timestamp("us", tz="UTC")}
ARROW_SCHEMAS = {
    entity: pa.schema([pa.field(c.name, _ARROW_TYPES[c.kind]) for c in columns])
    for entity, columns in LAYOUT.items()
}
# Parquet dictionary encoding only where values repeat (not for ids and timestamps)
DICTIONARY_COLUMNS = {
    entity: [c.name for i, c in enumerate(columns)
             if c.kind in ("lookup", "int") or (c.kind == "id" and i > 0 and c.source != "cust")]
    for entity, columns in LAYOUT.items()
}


def format_id(key: str, value: int) -> str:
    """The text of id `value` in the ID_FORMATS `key` format (``ws00003``)."""
    prefix, width, suffix = ID_FORMATS[key]
    return f"{prefix}{value:0{width}d}{suffix}"


# --------------------------------------------------------------------------------------
# batches: a column-wise set of records of one entity
# --------------------------------------------------------------------------------------


@dataclass
class Batch:
    """Records of one entity as int64 numpy columns (by LAYOUT name): ids as numbers,
    lookups as indexes into their value table (a negative id or index is null), timestamps
    as UTC microseconds (NULL_TIMESTAMP is null). Bad records carry, for JSON Lines only,
    raw replacement values, broken-JSON flags and their rejection reasons."""

    entity: str
    columns: dict[str, np.ndarray]
    # JSON Lines only: column -> list of (row indices, raw JSON value or None = omit key)
    overrides: dict[str, list[tuple[np.ndarray, bytes | None]]] | None = None
    broken_json: np.ndarray | None = None  # per row: 0 ok, 1 no closing brace, 2 unquoted key
    reasons: list[str] | None = None  # per row reason (bad batches only)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def take(self, rows: np.ndarray) -> Batch:
        """The records at `rows`, in that order (overrides follow their rows)."""
        columns = {name: values[rows] for name, values in self.columns.items()}
        overrides = None
        if self.overrides:
            new_row = np.full(len(self), -1, np.int64)  # old row -> new row, -1: dropped
            new_row[rows] = np.arange(len(rows))
            overrides = {}
            for column, items in self.overrides.items():
                kept = []
                for old_rows, raw in items:
                    moved = new_row[old_rows]
                    moved = moved[moved >= 0]
                    if len(moved):
                        kept.append((moved, raw))
                if kept:
                    overrides[column] = kept
        broken_json = self.broken_json[rows] if self.broken_json is not None else None
        reasons = [self.reasons[i] for i in rows] if self.reasons is not None else None
        return Batch(self.entity, columns, overrides, broken_json, reasons)


@dataclass
class NextIds:
    """The next free id per entity: ids run on across generation chunks (and bad records
    take theirs from the same sequence)."""

    conversation: int = 0
    message: int = 0
    csat: int = 0
    mention: int = 0
    nps: int = 0
