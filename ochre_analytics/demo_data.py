"""Synthetic landing sets that follow ``spec/landing.md``.

``generate()`` writes a landing folder (``workspaces/ agents/ conversations/ messages/
csat_responses/ mentions/ nps_responses/``) and returns a summary. Everything is built
column-wise with numpy and written with pyarrow (Parquet) or a vectorised JSON Lines
renderer, a chunk of conversations at a time, so memory stays bounded and two million
conversations take well under a minute.

Record content depends only on the seed and the size arguments (``conversations``,
``workspaces``, ``days``, ``end_date``, ``bad_records``, ``bad_message_share``), never on the
file layout: the same seed gives the same records in every format.

The model, per workspace (each in its own timezone, one with a null timezone):

* 4-12 agents: one owner, one or two admins, the rest agents; one or two are deactivated
  mid-window (first exported as ``active``, re-exported later as ``deactivated``).
* conversations, in local business hours (a few around local midnight, across DST changes):
  AI-first ones the AI agent resolves alone, AI ones with a ``handoff`` (by ``system`` or the
  ``ai_agent``) followed by a human reply, human-only ones, agent-initiated ones. Customers
  sometimes write twice before a reply, teammates join later, internal notes @mention
  teammates (a ``mentions`` row per mentioned agent, pointing at the note).
* CSAT on about 30 % of closed conversations (some re-rated later), NPS per workspace.
* re-exports: a conversation is exported when it opens and again when it changes; some
  records are re-exported later with a newer ``updated_at``; some arrive 1-3 days late.
* nothing is dated outside the local dates ``end_date - days + 1 .. end_date``.

Bad records (only ever in JSON Lines files) are counted per reason in the summary.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import operator
import os
import shutil
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

__all__ = [
    "ENTITIES",
    "FORMATS",
    "REASONS",
    "DemoDataError",
    "add_parser",
    "generate",
    "run",
]

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

_LANDING_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
_CHUNK = 250_000  # conversations per generation chunk
# A Parquet file is written once, when it is complete, in row groups of up to this many
# rows: its layout then depends on what the file holds, not on how many generation chunks
# fed it (a day's file of a long history would otherwise hold one small row group per
# chunk, and every reader would pay for them). Until then, its rows go to an Arrow stream
# file beside it (uncompressed, cheap to append to and to read back).
_ROW_GROUP_ROWS = 1 << 20
_PART_SUFFIX = ".part"
_JSON_BATCH = 65_536  # rows per JSON Lines render batch
_US = 1_000_000
_DAY_S = 86_400
_DAY_US = _DAY_S * _US
_MAX_CONVERSATIONS = 99_000_000
_MAX_WORKSPACES = 90_000


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

# The first workspaces get these zones in this order (so the 4-workspace default has a
# US zone, a European zone, a null zone and Sydney); later ones draw from _MORE_TZ.
_FIRST_TZ = ["America/New_York", "Europe/Berlin", None, "Australia/Sydney", "Asia/Kolkata", "UTC"]
_MORE_TZ = [
    "UTC", "America/New_York", "Europe/Berlin", "Asia/Kolkata", "Australia/Sydney", None,
    "America/Los_Angeles", "Europe/London", "America/Sao_Paulo", "Asia/Tokyo",
    "America/Chicago", "Europe/Paris", "Asia/Singapore", "Pacific/Auckland",
    "Africa/Johannesburg", "America/Denver",
]

_WS_WORDS = [
    "Acme", "Northwind", "Bluebird", "Harbor", "Summit", "Cedar", "Quartz", "Maple",
    "Nimbus", "Orbit", "Pioneer", "Silverline", "Copperleaf", "Lumen", "Atlas", "Fjord",
    "Juniper", "Kestrel", "Meridian", "Tidal",
]
_WS_TEAMS = ["Support", "Care", "Helpdesk", "Customer Success", "Service Desk", "Help Center"]
_FIRST = [
    "Ada", "Bo", "Chloé", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Inès", "Jonas",
    "Kwame", "Lena", "Mateo", "Noor", "Oskar", "Priya", "Quinn", "Rafael", "Sofía", "Tomás",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Łukasz", "Amara", "Björn", "Chen",
]
_LAST = [
    "Lovelace", "Nakamura", "García", "Okafor", "Schmidt", "Kowalski", "O'Neill", "Haddad",
    "Svensson", "Patel", "Rossi", "Dubois", "Novak", "Jensen", "Moreau", "Silva", "Kim",
    "Ivanova", "Mensah", "Fischer", "Yilmaz", "Costa", "Nguyen", "Larsen", "Müller",
]
_ASCII = str.maketrans({
    "é": "e", "è": "e", "í": "i", "á": "a", "ö": "o", "ë": "e", "Ł": "L", "ł": "l",
    "ü": "u", "'": "", "ç": "c", " ": "",
})

# --------------------------------------------------------------------------------------
# conversation building blocks
# --------------------------------------------------------------------------------------

# tokens: one message each
(_C, _A, _B, _AN_B, _BN_A, _AN, _AI, _HS, _HA, _AIN) = range(10)
_START = 10  # "previous token" of a conversation's first message
_TOK_AUTHOR = np.array([0, 1, 1, 1, 1, 1, 2, 3, 2, 2], np.int8)  # index into _AUTHOR_TYPES
_TOK_MTYPE = np.array([0, 0, 0, 1, 1, 1, 0, 2, 2, 1], np.int8)  # index into _MESSAGE_TYPES
_TOK_ACTOR = np.array([0, 1, 2, 1, 2, 1, 0, 0, 0, 0], np.int8)  # 1 primary agent, 2 teammate
_TOK_MENTION = np.array([0, 0, 0, 2, 1, 0, 0, 0, 0, 0], np.int8)  # who the note @mentions

# conversation kinds
_K_AI, _K_HANDOFF, _K_HUMAN, _K_OUTBOUND = range(4)

# (tokens, probability) per kind: the opening of a conversation
_OPENINGS: list[list[tuple[tuple[int, ...], float]]] = [
    [((_C, _AI), 0.45), ((_C, _AI, _C, _AI), 0.30), ((_C, _C, _AI, _C), 0.15),
     ((_C, _AI, _C, _AI, _C, _AI), 0.10)],
    [((_C, _AI, _C, _HS), 0.35), ((_C, _AI, _HA), 0.25), ((_C, _AI, _C, _HA, _AIN), 0.20),
     ((_C, _C, _AI, _C, _C, _HS), 0.10), ((_C, _HS), 0.10)],
    [((_C,), 0.70), ((_C, _C), 0.25), ((_C, _C, _C), 0.05)],
    [((_A, _C), 0.75), ((_A, _C, _C), 0.10), ((_A, _A, _C), 0.05), ((_A,), 0.10)],
]
# human rounds: first (of several), middle, last (of several), only
_ROUNDS: list[list[tuple[tuple[int, ...], float]]] = [
    [((_A, _C), 0.55), ((_A, _C, _C), 0.20), ((_A, _A, _C), 0.08), ((_AN, _A, _C), 0.05),
     ((_A, _AN_B, _C), 0.07), ((_AN_B, _B, _C), 0.05)],
    [((_A, _C), 0.45), ((_A, _C, _C), 0.12), ((_A, _A, _C), 0.05), ((_B, _C), 0.13),
     ((_AN_B, _B, _C), 0.10), ((_A, _AN_B, _C), 0.05), ((_AN, _A, _C), 0.05),
     ((_BN_A, _A, _C), 0.05)],
    [((_A,), 0.45), ((_A, _C), 0.25), ((_B,), 0.10), ((_AN_B, _B), 0.08), ((_A, _AN), 0.04),
     ((_B, _C), 0.08)],
    [((_A,), 0.50), ((_A, _C), 0.30), ((_A, _A), 0.05), ((_AN_B, _B), 0.10), ((_A, _AN), 0.05)],
]


def _catalog() -> tuple[np.ndarray, np.ndarray, list[np.ndarray], list[np.ndarray]]:
    """Flatten the block tables: block token matrix, block lengths, per-group (ids, cum p)."""
    blocks: list[tuple[int, ...]] = []
    groups_ids: list[np.ndarray] = []
    groups_cum: list[np.ndarray] = []
    for table in _OPENINGS + _ROUNDS:
        ids = []
        for tokens, _p in table:
            ids.append(len(blocks))
            blocks.append(tokens)
        probs = np.array([p for _t, p in table], np.float64)
        groups_ids.append(np.array(ids, np.int16))
        groups_cum.append(np.cumsum(probs / probs.sum()))
    width = max(len(b) for b in blocks)
    tok = np.full((len(blocks), width), -1, np.int8)
    for i, b in enumerate(blocks):
        tok[i, : len(b)] = b
    lens = np.array([len(b) for b in blocks], np.int64)
    return tok, lens, groups_ids, groups_cum


_BLOCK_TOK, _BLOCK_LEN, _GROUP_IDS, _GROUP_CUM = _catalog()


def _gap_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Seconds between a message and the previous one: lognormal(mu, sigma) clipped."""
    mu = np.zeros((11, 10))
    sig = np.zeros((11, 10))
    lo = np.zeros((11, 10))
    hi = np.zeros((11, 10))

    def put(prev: list[int], cur: list[int], median: float, s: float, a: float, b: float):
        for p in prev:
            for c in cur:
                mu[p, c], sig[p, c], lo[p, c], hi[p, c] = np.log(median), s, a, b

    human = [_A, _B]
    notes = [_AN_B, _BN_A, _AN]
    ai_side = [_AI, _AIN, _HS, _HA]
    put([_C], [_C], 90, 0.8, 5, 1800)
    put([_AI, _AIN], [_C], 150, 0.9, 5, 3 * 3600)
    put(human + notes, [_C], 5400, 1.3, 30, 2 * _DAY_S)
    put([_HS, _HA], [_C], 300, 1.0, 10, 7200)
    put([_C] + human + notes, [_AI], 8, 0.5, 2, 60)
    put(ai_side, [_AI], 20, 0.5, 2, 120)
    put([_C] + human + notes + ai_side, [_HS, _HA], 20, 0.6, 2, 300)
    put([_C] + human + notes + ai_side, [_AIN], 3, 0.3, 1, 10)
    put([_C] + ai_side, human, 900, 1.2, 15, 20 * 3600)  # a customer waits for a human
    put(human, human, 240, 0.8, 10, 7200)
    put(notes, human, 1500, 1.0, 30, 8 * 3600)
    put([_C] + ai_side, notes, 400, 1.0, 10, 6 * 3600)
    put(human + notes, notes, 120, 0.8, 5, 3600)
    return mu, sig, lo, hi


_GAP_MU, _GAP_SIG, _GAP_LO, _GAP_HI = _gap_tables()
_HUMAN_WAIT = np.zeros((11, 10), bool)
_HUMAN_WAIT[np.ix_([_C, _AI, _AIN, _HS, _HA], [_A, _B])] = True

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
# small helpers
# --------------------------------------------------------------------------------------


def _rng(seed: int, *key: int) -> np.random.Generator:
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=tuple(key)))


def _choice(rng: np.random.Generator, cum: np.ndarray, n: int) -> np.ndarray:
    """Draw n indices from a cumulative probability vector."""
    return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(cum) - 1)


def _lognormal(rng, median: float, sigma: float, lo: float, hi: float, n: int) -> np.ndarray:
    return np.clip(np.exp(np.log(median) + sigma * rng.standard_normal(n)), lo, hi)


def _mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a stable per-record hash (formatting choices, file splits)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


_DIG4 = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(), np.uint8).reshape(
    10_000, 4
)


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as an (n, width) uint8 matrix."""
    v = values.astype(np.int64, copy=True)
    out = np.empty((len(v), width), np.uint8)
    pos = width
    while pos > 0:
        take = min(4, pos)
        block = _DIG4[v % 10_000]
        out[:, pos - take: pos] = block[:, 4 - take:]
        v //= 10_000
        pos -= take
    return out


_DIG4_U32 = _DIG4.copy().view(np.uint32).ravel()
_HEADS: dict[tuple[str, int], np.ndarray] = {}


def _id_matrix(values: np.ndarray, prefix: str, width: int, suffix: str = "") -> np.ndarray:
    """(n, len) uint8 matrix of prefix + zero-padded digits + suffix. When prefix and digits
    fill whole 4-byte words, built from 4-byte gathers (ids of the big entities)."""
    v = np.maximum(values, 0).astype(np.int64)
    n, p = len(v), len(prefix)
    head = 4 - p
    if not suffix and head > 0 and (width - head) % 4 == 0:
        key = (prefix, head)
        if key not in _HEADS:
            _HEADS[key] = np.frombuffer(
                "".join(f"{prefix}{i:0{head}d}" for i in range(10 ** head)).encode(), np.uint32)
        words = np.empty((n, 1 + (width - head) // 4), np.uint32)
        rest = v
        for j in range(words.shape[1] - 1, 0, -1):
            words[:, j] = _DIG4_U32[rest % 10_000]
            rest = rest // 10_000
        words[:, 0] = _HEADS[key][rest]
        return words.view(np.uint8).reshape(n, 4 * words.shape[1])
    mat = np.empty((n, p + width + len(suffix)), np.uint8)
    mat[:, :p] = np.frombuffer(prefix.encode(), np.uint8)
    mat[:, p: p + width] = _digits(v, width)
    if suffix:
        mat[:, p + width:] = np.frombuffer(suffix.encode(), np.uint8)
    return mat


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 -> (year, month, day), vectorised (H. Hinnant's algorithm)."""
    z = days.astype(np.int64) + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = np.where(mp < 10, mp + 3, mp - 9)
    y = yoe + era * 400 + (m <= 2)
    return y, m, d


def _epoch_us(day: dt.date) -> int:
    return (day - dt.date(1970, 1, 1)).days * _DAY_US


def _local_to_utc(local_us: np.ndarray, tz_code: np.ndarray, tz_names: list[str]) -> np.ndarray:
    """Local wall-clock microseconds (naive) in zone tz_names[tz_code] -> UTC microseconds."""
    out = np.empty_like(local_us)
    for code in np.unique(tz_code):
        sel = tz_code == code
        naive = pa.array(local_us[sel], pa.int64()).view(pa.timestamp("us"))
        aware = pc.assume_timezone(naive, timezone=tz_names[code], ambiguous="earliest",
                                   nonexistent="latest")
        out[sel] = aware.view(pa.int64()).to_numpy()
    return out


def _utc_offset_s(utc_us: np.ndarray, tz_code: np.ndarray, tz_names: list[str]) -> np.ndarray:
    """UTC offset in seconds of each instant in its zone."""
    out = np.zeros(len(utc_us), np.int64)
    for code in np.unique(tz_code):
        sel = tz_code == code
        aware = pa.array(utc_us[sel], pa.int64()).view(pa.timestamp("us", tz=tz_names[code]))
        local = pc.local_timestamp(aware).view(pa.int64()).to_numpy()
        out[sel] = (local - utc_us[sel]) // _US
    return out


def _segment_starts(counts: np.ndarray) -> np.ndarray:
    starts = np.zeros(len(counts), np.int64)
    np.cumsum(counts[:-1], out=starts[1:])
    return starts


def _late(rng, t: np.ndarray, cap: np.ndarray, share: float) -> np.ndarray:
    """updated_at for records of which `share` arrive 1-3 days late (same UTC time of day
    or a little later on that day), never past the workspace's cap."""
    late = np.flatnonzero(rng.random(len(t)) < share)
    k = rng.integers(1, 4, len(late))
    jitter = rng.integers(0, 1800, len(late)) * _US
    new = t[late] + k * _DAY_US
    day_end = (new // _DAY_US + 1) * _DAY_US - 1
    new = np.minimum(new + jitter, day_end)
    out = t.copy()
    ok = new <= cap[late]
    out[late[ok]] = new[ok]
    return out


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


# --------------------------------------------------------------------------------------
# the world: workspaces and agents
# --------------------------------------------------------------------------------------


@dataclass
class _World:
    start: dt.date
    end: dt.date
    days: int
    tz_names: list[str]  # zone used for computing, per tz code
    ws_tz: np.ndarray  # tz code per workspace
    ws_tz_null: np.ndarray  # timezone column is null
    ws_start: np.ndarray  # UTC us of local start-of-window
    ws_cap: np.ndarray  # UTC us of the last local microsecond of end_date
    ws_cum: np.ndarray  # cumulative conversation share per workspace
    ws_weight: np.ndarray
    ws_ai: np.ndarray
    ws_speed: np.ndarray
    ag_start: np.ndarray  # first agent index per workspace
    ag_count: np.ndarray
    ag_active: np.ndarray  # number of active agents per workspace (they come first)
    ag_ws: np.ndarray
    ag_deact_at: np.ndarray  # UTC us or int64 max
    ag_speed: np.ndarray
    ag_quality: np.ndarray
    ag_ai: np.ndarray
    cum_all: np.ndarray
    cum_act: np.ndarray
    tables: dict[str, list[str]]
    workspaces: list[_Batch]  # per slot
    agents: list[_Batch]

    @property
    def n_ws(self) -> int:
        return len(self.ws_tz)


def _group_cum(ws_of: np.ndarray, weight: np.ndarray, starts: np.ndarray,
               counts: np.ndarray) -> np.ndarray:
    """Cumulative weights within each workspace block, offset by the workspace index, so one
    searchsorted(cum, ws + u, 'right') draws a weighted agent of workspace ws."""
    cs = np.cumsum(weight)
    base = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
    total = cs[starts + counts - 1] - base
    frac = (cs - base[ws_of]) / total[ws_of]
    frac[frac > 1 - 1e-12] = 1.0
    return ws_of + frac


def _build_world(seed: int, n_ws: int, days: int, end: dt.date) -> _World:
    rng = _rng(seed, 1)
    start = end - dt.timedelta(days=days - 1)
    # zones
    tz_list: list[str | None] = []
    for w in range(n_ws):
        tz_list.append(_FIRST_TZ[w] if w < len(_FIRST_TZ) else None)
    extra = rng.integers(0, len(_MORE_TZ), n_ws)
    for w in range(len(_FIRST_TZ), n_ws):
        tz_list[w] = _MORE_TZ[extra[w]]
    tz_names = sorted({t or "UTC" for t in tz_list})
    ws_tz = np.array([tz_names.index(t or "UTC") for t in tz_list], np.int16)
    ws_tz_null = np.array([t is None for t in tz_list])
    starts_by_tz, caps_by_tz = {}, {}
    for name in tz_names:
        zone = ZoneInfo(name)
        a = dt.datetime.combine(start, dt.time(), zone).timestamp()
        b = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), zone).timestamp()
        starts_by_tz[name], caps_by_tz[name] = int(a) * _US, int(b) * _US - 1
    ws_start = np.array([starts_by_tz[tz_names[c]] for c in ws_tz], np.int64)
    ws_cap = np.array([caps_by_tz[tz_names[c]] for c in ws_tz], np.int64)

    sigma = 1.0 if n_ws > 12 else 0.25
    ws_weight = np.exp(sigma * rng.standard_normal(n_ws))
    ws_cum = np.cumsum(ws_weight / ws_weight.sum())
    ws_cum[-1] = 1.0
    ws_ai = rng.random(n_ws) < 0.8
    ws_ai[0] = True
    if n_ws >= 4:
        ws_ai[1], ws_ai[3] = True, False  # one team works without the AI agent
    ws_speed = np.exp(0.35 * rng.standard_normal(n_ws))
    ws_window = ws_cap - ws_start

    # workspace records: name and rename
    word = rng.integers(0, len(_WS_WORDS), n_ws)
    team = rng.integers(0, len(_WS_TEAMS), n_ws)
    names = []
    for w in range(n_ws):
        base = f"{_WS_WORDS[word[w]]} {_WS_TEAMS[team[w]]}"
        if n_ws > 20:
            base += f" {w + 1}"
        names += [base, base + (" EMEA" if w % 2 else " Global")]
    renamed = rng.random(n_ws) < 0.15
    if n_ws >= 2:
        renamed[0] = True
    ws_idx = np.arange(n_ws, dtype=np.int64)
    first_upd = ws_start + rng.integers(0, 60, n_ws) * _US
    rename_at = ws_start + (ws_window * rng.uniform(0.2, 0.7, n_ws)).astype(np.int64)
    ws_final = _Batch("workspaces", {
        "workspace_id": ws_idx,
        "name": 2 * ws_idx + renamed,
        "timezone": np.where(ws_tz_null, -1, ws_tz).astype(np.int64),
        "updated_at": np.where(renamed, rename_at, first_upd),
    })
    ws_stale = ws_final.take(np.flatnonzero(renamed))
    ws_stale.cols["name"] = ws_stale.cols["name"] - 1
    ws_stale.cols["updated_at"] = first_upd[renamed]

    # agents
    ag_count = rng.integers(4, 13, n_ws)
    n_deact = rng.integers(1, 3, n_ws)
    ag_start = _segment_starts(ag_count)
    n_ag = int(ag_count.sum())
    ag_ws = np.repeat(ws_idx, ag_count)
    ag_pos = np.arange(n_ag) - ag_start[ag_ws]
    ag_active = ag_count - n_deact
    deact = ag_pos >= ag_active[ag_ws]
    n_admin = rng.integers(1, 3, n_ws)
    role = np.where(ag_pos == 0, 0, np.where(ag_pos <= n_admin[ag_ws], 1, 2))
    role = np.where(deact, np.where(rng.random(n_ag) < 0.3, 1, 2), role)
    promoted = (~deact) & (role == 1) & (rng.random(n_ag) < 0.35)  # was "agent" earlier
    renamed_ag = rng.random(n_ag) < 0.06
    ag_window = ws_window[ag_ws]
    deact_at = ws_start[ag_ws] + (ag_window * rng.uniform(0.3, 0.8, n_ag)).astype(np.int64)
    change_at = ws_start[ag_ws] + (ag_window * rng.uniform(0.1, 0.9, n_ag)).astype(np.int64)
    ag_first = ws_start[ag_ws] + rng.integers(0, 60, n_ag) * _US
    changed = deact | promoted | renamed_ag
    ag_final = _Batch("agents", {
        "agent_id": np.arange(n_ag, dtype=np.int64),
        "workspace_id": ag_ws.astype(np.int64),
        "display_name": 2 * np.arange(n_ag) + 1,
        "email": np.arange(n_ag, dtype=np.int64),
        "role": role.astype(np.int64),
        "status": deact.astype(np.int64),
        "updated_at": np.where(deact, deact_at, np.where(changed, change_at, ag_first)),
    })
    ag_stale = ag_final.take(np.flatnonzero(changed))
    ag_stale.cols["status"] = np.zeros(len(ag_stale), np.int64)
    ag_stale.cols["role"] = np.where(promoted[changed], 2, ag_stale.cols["role"])
    ag_stale.cols["display_name"] = ag_stale.cols["display_name"] - renamed_ag[changed]
    ag_stale.cols["updated_at"] = ag_first[changed]

    first = rng.integers(0, len(_FIRST), n_ag)
    last = rng.integers(0, len(_LAST), n_ag)
    agent_names, agent_emails = [], []
    for k in range(n_ag):
        f, la = _FIRST[first[k]], _LAST[last[k]]
        agent_names += [f, f"{f} {la}"]
        local = f"{f.translate(_ASCII)}.{la.translate(_ASCII)}".lower()
        agent_emails.append(f"{local}@{_WS_WORDS[word[ag_ws[k]]].lower()}{ag_ws[k] + 1}.example")

    ag_weight = np.where(role == 0, 0.4, np.where(role == 1, 0.8, 1.0))
    ag_weight = ag_weight * np.exp(0.6 * rng.standard_normal(n_ag))
    cum_all = _group_cum(ag_ws, ag_weight, ag_start, ag_count)
    cum_act = _group_cum(ag_ws, np.where(deact, 0.0, ag_weight), ag_start, ag_count)
    ag_ai = np.where(rng.random(n_ag) < 0.2, 0.0, rng.uniform(0.05, 0.75, n_ag))

    tables = {
        "ws_name": names,
        "tz": tz_names,
        "agent_name": agent_names,
        "agent_email": agent_emails,
        "role": _ROLES,
        "agent_status": _AGENT_STATUS,
        "conv_status": _CONV_STATUS,
        "channel": _CHANNELS,
        "priority": _PRIORITIES,
        "author_type": _AUTHOR_TYPES,
        "message_type": _MESSAGE_TYPES,
        "ai_assist": _AI_ASSIST,
    }
    return _World(
        start=start, end=end, days=days, tz_names=tz_names, ws_tz=ws_tz, ws_tz_null=ws_tz_null,
        ws_start=ws_start, ws_cap=ws_cap, ws_cum=ws_cum, ws_weight=ws_weight, ws_ai=ws_ai,
        ws_speed=ws_speed, ag_start=ag_start, ag_count=ag_count, ag_active=ag_active,
        ag_ws=ag_ws, ag_deact_at=np.where(deact, deact_at, np.iinfo(np.int64).max),
        ag_speed=np.exp(0.45 * rng.standard_normal(n_ag)),
        ag_quality=0.5 * rng.standard_normal(n_ag), ag_ai=ag_ai, cum_all=cum_all,
        cum_act=cum_act, tables=tables,
        workspaces=[ws_stale, ws_final, _Batch("workspaces", {})],
        agents=[ag_stale, ag_final, _Batch("agents", {})],
    )


# --------------------------------------------------------------------------------------
# conversations, messages, CSAT, mentions: one chunk
# --------------------------------------------------------------------------------------


@dataclass
class _Counters:
    conv: int = 0
    msg: int = 0
    csat: int = 0
    mention: int = 0
    nps: int = 0


def _local_business_times(rng, world: _World, ws: np.ndarray, n: int,
                          trend: float = 0.3) -> np.ndarray:
    """UTC microseconds of n moments in the workspaces' local business hours (weekdays
    busier, a few in the early morning / evening and around local midnight)."""
    days = world.days
    d = np.arange(days)
    weekday = np.array([(world.start + dt.timedelta(days=int(i))).weekday() for i in d])
    w = np.where(weekday >= 5, 0.35, 1.0) * (1.0 + trend * d / max(days - 1, 1))
    day = _choice(rng, np.cumsum(w / w.sum()), n)
    u = rng.random((3, n))
    # business hours 08:00-18:30, peaking around 13:00 (sum of two uniforms)
    tod = 8 * 3600 + (u[1] + u[2]) * (5.25 * 3600)
    shoulder = (u[0] >= 0.84) & (u[0] < 0.95)  # early morning or evening
    tod = np.where(shoulder, np.where(u[1] < 0.5, 6 * 3600 + u[2] * 7200,
                                      18.5 * 3600 + u[2] * 4 * 3600), tod)
    midnight = u[0] >= 0.95  # 22:30-24:00 or 00:05-01:30
    tod = np.where(midnight, np.where(u[1] < 0.5, 22.5 * 3600 + u[2] * 5400,
                                      300 + u[2] * 5100), tod)
    local = (_epoch_us(world.start) // _US + day * _DAY_S + tod.astype(np.int64)) * _US
    return _local_to_utc(local, world.ws_tz[ws], world.tz_names)


def _pick_agents(rng, world: _World, ws: np.ndarray, when: np.ndarray):
    """Primary agent (weighted; not one deactivated within 10 days) and a teammate."""
    n = len(ws)
    a = np.searchsorted(world.cum_all, ws + rng.random(n), side="right")
    stale = world.ag_deact_at[a] - 10 * _DAY_US < when
    if stale.any():
        a[stale] = np.searchsorted(world.cum_act, ws[stale] + rng.random(int(stale.sum())),
                                   side="right")
    start, nact = world.ag_start[ws], world.ag_active[ws]
    rel = a - start
    in_active = rel < nact
    shift = (rng.random(n) * (nact - 1)).astype(np.int64)
    b = np.where(in_active, start + (rel + 1 + shift) % nact,
                 start + (rng.random(n) * nact).astype(np.int64))
    return a.astype(np.int64), b.astype(np.int64)


def _grouped_choice(rng, group: np.ndarray, group_ids: list[int]) -> np.ndarray:
    """Block type per row, drawn from the catalog group group_ids[group[row]]."""
    out = np.empty(len(group), np.int64)
    u = rng.random(len(group))
    for g, gid in enumerate(group_ids):
        sel = group == g
        ids, cum = _GROUP_IDS[gid], _GROUP_CUM[gid]
        out[sel] = ids[np.minimum(np.searchsorted(cum, u[sel], side="right"), len(ids) - 1)]
    return out


def _gen_chunk(world: _World, seed: int, chunk: int, n: int, ctr: _Counters) -> dict:
    rng = _rng(seed, 2, chunk)
    # --- conversations: workspace, start, kind, agents
    ws = np.minimum(np.searchsorted(world.ws_cum, rng.random(n), side="right"), world.n_ws - 1)
    start = _local_business_times(rng, world, ws, n)
    order = np.argsort(start, kind="stable")
    ws, start = ws[order], start[order]
    ai = world.ws_ai[ws]
    u = rng.random(n)
    kind = np.where(ai, np.where(u < 0.22, _K_AI, np.where(u < 0.45, _K_HANDOFF,
                                 np.where(u < 0.90, _K_HUMAN, _K_OUTBOUND))),
                    np.where(u < 0.88, _K_HUMAN, _K_OUTBOUND))
    a, b = _pick_agents(rng, world, ws, start)
    h_human = 1 + _choice(rng, np.cumsum([0.34, 0.30, 0.19, 0.11, 0.06]), n)
    h_out = _choice(rng, np.cumsum([0.25, 0.40, 0.25, 0.10]), n)
    rounds = np.where(kind == _K_AI, 0, np.where(kind == _K_OUTBOUND, h_out, h_human))

    # --- blocks -> tokens
    opening = _grouped_choice(rng, kind, [0, 1, 2, 3])
    n_rounds = int(rounds.sum())
    r_conv = np.repeat(np.arange(n), rounds)
    r_pos = np.arange(n_rounds) - np.repeat(_segment_starts(rounds), rounds)
    r_len = rounds[r_conv]
    r_class = np.where(r_len == 1, 3, np.where(r_pos == 0, 0, np.where(r_pos == r_len - 1, 2, 1)))
    r_type = _grouped_choice(rng, r_class, [4, 5, 6, 7])
    n_blocks = 1 + rounds
    b_start = _segment_starts(n_blocks)
    btype = np.empty(int(n_blocks.sum()), np.int64)
    btype[b_start] = opening
    btype[b_start[r_conv] + 1 + r_pos] = r_type
    b_conv = np.repeat(np.arange(n), n_blocks)
    blen = _BLOCK_LEN[btype]
    m_block = np.repeat(np.arange(len(btype)), blen)
    m_pos = np.arange(len(m_block)) - np.repeat(_segment_starts(blen), blen)
    tok = _BLOCK_TOK[btype[m_block], m_pos].astype(np.int64)
    mc = b_conv[m_block]  # conversation (chunk-local) of each message
    m = len(tok)
    m_count = np.bincount(mc, minlength=n)
    m_first = _segment_starts(m_count)
    is_first = np.zeros(m, bool)
    is_first[m_first] = True
    prev = np.empty(m, np.int64)
    prev[0] = _START
    prev[1:] = tok[:-1]
    prev[is_first] = _START

    # --- authors and times
    actor = _TOK_ACTOR[tok]
    author = np.where(actor == 1, a[mc], np.where(actor == 2, b[mc], -1))
    mw = ws[mc]
    mu = _GAP_MU[prev, tok]
    wait = _HUMAN_WAIT[prev, tok]
    adj = np.log(world.ws_speed[mw]) + np.log(world.ag_speed[np.maximum(author, 0)])
    mu = mu + np.where(wait, adj, 0.0)
    gap = np.exp(mu + _GAP_SIG[prev, tok] * rng.standard_normal(m))
    gap = np.clip(gap, _GAP_LO[prev, tok], _GAP_HI[prev, tok]).astype(np.int64)
    gap[is_first] = 0
    cs = np.cumsum(gap)
    offset_s = cs - cs[m_first][mc]
    # sub-second parts: none (70 %), milliseconds (25 %), microseconds (5 %)
    uf = rng.random(m)
    millis = 1000 * (1 + ((uf - 0.70) / 0.25 * 999).astype(np.int64))
    micros = 1 + ((uf - 0.95) / 0.05 * (_US - 2)).astype(np.int64)
    frac = np.where(uf < 0.70, 0, np.where(uf < 0.95, millis, micros))
    t = start[mc] + offset_s * _US + frac
    # a deactivated agent never writes after deactivation: the teammate takes over
    moved = (author >= 0) & (t > world.ag_deact_at[np.maximum(author, 0)])
    author = np.where(moved, b[mc], author)

    # --- cut at the export moment (end of end_date, local)
    cap_m = world.ws_cap[mw]
    keep = t <= cap_m
    keep[m_first] = True  # conversations start on or before end_date
    truncated = np.bincount(mc[~keep], minlength=n) > 0
    tok, mc, author, t, mw, cap_m = tok[keep], mc[keep], author[keep], t[keep], mw[keep], \
        cap_m[keep]
    m = len(tok)
    m_count = np.bincount(mc, minlength=n)
    m_first = _segment_starts(m_count)
    m_last = m_first + m_count - 1
    created = t[m_first]
    last_t = t[m_last]
    last_tok = tok[m_last]

    # --- message columns
    author_type = _TOK_AUTHOR[tok].astype(np.int64)
    mtype = _TOK_MTYPE[tok].astype(np.int64)
    agent_reply = (author_type == 1) & (mtype == 0)
    assist = np.full(m, -1, np.int64)
    ar = np.flatnonzero(agent_reply)
    ua, ub = rng.random((2, len(ar)))
    assist[ar] = np.where(ua < world.ag_ai[author[ar]], np.where(ub < 0.4, 1, 2),
                          np.where(ub < 0.8, 0, -1))
    msg_ids = ctr.msg + np.arange(m, dtype=np.int64)
    ctr.msg += m
    conv_ids = ctr.conv + np.arange(n, dtype=np.int64)
    ctr.conv += n
    msg_upd = _late(rng, t, cap_m, 0.03)
    messages = _Batch("messages", {
        "message_id": msg_ids, "conversation_id": conv_ids[mc], "workspace_id": mw,
        "created_at": t, "author_type": author_type, "author_agent_id": author,
        "message_type": mtype, "ai_assist": assist, "updated_at": msg_upd,
    })
    # stale copies: first exported without the AI-assist flag, corrected later
    fix = agent_reply & (rng.random(m) < 0.004) & (assist >= 0)
    fix_at = np.minimum(t + rng.integers(60, 6 * 3600, m) * _US, cap_m)
    fix &= fix_at > msg_upd
    msg_stale = messages.take(np.flatnonzero(fix))
    msg_stale.cols["ai_assist"] = np.full(len(msg_stale), -1, np.int64)
    messages.cols["updated_at"] = np.where(fix, fix_at, msg_upd)
    msg_re = _reexport(rng, messages, cap_m, 0.01)

    # --- conversation columns
    close_gap = np.where(kind == _K_AI, _lognormal(rng, 1200, 1.0, 60, 6 * 3600, n),
                         _lognormal(rng, 3 * 3600, 1.2, 300, 3 * _DAY_S, n))
    closed_at = last_t + (close_gap * _US).astype(np.int64)
    cap_c = world.ws_cap[ws]
    closed = (~truncated) & (closed_at <= cap_c) & (rng.random(n) < 0.93)
    by_agent = (_TOK_AUTHOR[last_tok] == 1) | (_TOK_AUTHOR[last_tok] == 2)
    status = np.where(closed, 2, np.where(by_agent & (rng.random(n) < 0.5), 1, 0))
    snooze_at = np.minimum(last_t + rng.integers(60, 4 * 3600, n) * _US, cap_c)
    conv_upd = np.where(closed, closed_at, np.where(status == 1, snooze_at, last_t))
    human_pos = np.where(author >= 0, np.arange(m), -1)
    last_human = np.maximum.reduceat(human_pos, m_first)
    assignee = np.where(last_human >= 0, author[np.maximum(last_human, 0)], -1)
    assignee = np.where((assignee < 0) & (kind != _K_AI) & (rng.random(n) < 0.5), a, assignee)
    p_channel = np.array([[0.10, 0.55, 0.20, 0.15, 0.00, 0.00],
                          [0.10, 0.55, 0.20, 0.15, 0.00, 0.00],
                          [0.50, 0.30, 0.10, 0.00, 0.05, 0.05],
                          [0.80, 0.00, 0.10, 0.00, 0.00, 0.10]]).cumsum(axis=1)
    channel = np.minimum((rng.random(n)[:, None] > p_channel[kind]).sum(axis=1), 5)
    priority = _choice(rng, np.cumsum([0.85, 0.12, 0.03]), n)
    conversations = _Batch("conversations", {
        "conversation_id": conv_ids, "workspace_id": ws.astype(np.int64),
        "created_at": created, "channel": channel, "assignee_agent_id": assignee,
        "status": status, "closed_at": np.where(closed, closed_at, np.iinfo(np.int64).min),
        "updated_at": conv_upd, "customer_email": conv_ids, "priority": priority,
    })
    # the version exported when the conversation opened: whenever the final one lands on a
    # later UTC day (so a day-by-day landing always has the conversation), and sometimes else
    first_version = (conv_upd > created) & ((conv_upd // _DAY_US > created // _DAY_US)
                                            | (rng.random(n) < 0.15))
    conv_stale = conversations.take(np.flatnonzero(first_version))
    k = len(conv_stale)
    conv_stale.cols["status"] = np.zeros(k, np.int64)
    conv_stale.cols["closed_at"] = np.full(k, np.iinfo(np.int64).min)
    conv_stale.cols["updated_at"] = created[first_version]
    out_first = kind[first_version] == _K_OUTBOUND
    conv_stale.cols["assignee_agent_id"] = np.where(out_first, a[first_version], -1)
    conv_re = _reexport(rng, conversations, cap_c, 0.02)

    # --- CSAT on closed conversations (latest response per conversation counts)
    rated = closed & (rng.random(n) < np.where(kind == _K_AI, 0.25, 0.33))
    sub1 = closed_at + (_lognormal(rng, 2400, 1.3, 30, 2 * _DAY_S, n) * _US).astype(np.int64)
    rated &= sub1 <= cap_c
    mean = np.where(assignee >= 0, 4.15 + 0.7 * world.ag_quality[np.maximum(assignee, 0)], 3.9)
    score1 = np.clip(np.rint(mean + 1.1 * rng.standard_normal(n)), 1, 5).astype(np.int64)
    sub2 = sub1 + (_lognormal(rng, 6 * 3600, 1.0, 600, 4 * _DAY_S, n) * _US).astype(np.int64)
    rerated = rated & (rng.random(n) < 0.08) & (sub2 <= cap_c)
    score2 = np.clip(score1 + rng.choice([-3, -2, -1, 1, 2], n), 1, 5)
    ci = np.concatenate([np.flatnonzero(rated), np.flatnonzero(rerated)])
    sub = np.concatenate([sub1[rated], sub2[rerated]])
    so = np.argsort(sub, kind="stable")
    ci, sub = ci[so], sub[so]
    score = np.concatenate([score1[rated], score2[rerated]])[so]
    nc = len(ci)
    csat = _Batch("csat_responses", {
        "response_id": ctr.csat + np.arange(nc, dtype=np.int64),
        "conversation_id": conv_ids[ci], "workspace_id": ws[ci].astype(np.int64),
        "score": score, "submitted_at": sub,
        "updated_at": _late(rng, sub, cap_c[ci], 0.05),
    })
    ctr.csat += nc
    csat_re = _reexport(rng, csat, cap_c[ci], 0.02)

    # --- mentions: one per @mentioned agent in a note (sometimes a second agent too)
    target = _TOK_MENTION[tok]
    note_rows = np.flatnonzero(target > 0)
    who = np.where(target[note_rows] == 1, a[mc[note_rows]], b[mc[note_rows]])
    nw = mw[note_rows]
    third = world.ag_start[nw] + (rng.random(len(note_rows)) * world.ag_active[nw]).astype(
        np.int64)
    extra = (rng.random(len(note_rows)) < 0.15) & (third != who) & (third != author[note_rows])
    rows = np.concatenate([note_rows, note_rows[extra]])
    who = np.concatenate([who, third[extra]])
    so = np.argsort(rows, kind="stable")
    rows, who = rows[so], who[so]
    own = who == author[rows]  # a note moved to the teammate would mention its own author
    rows, who = rows[~own], who[~own]
    nm = len(rows)
    mentions = _Batch("mentions", {
        "mention_id": ctr.mention + np.arange(nm, dtype=np.int64),
        "message_id": msg_ids[rows], "conversation_id": conv_ids[mc[rows]],
        "workspace_id": mw[rows], "mentioned_agent_id": who, "created_at": t[rows],
        "updated_at": messages.cols["updated_at"][rows],
    })
    ctr.mention += nm

    return {
        "conversations": [conv_stale, conversations, conv_re],
        "messages": [msg_stale, messages, msg_re],
        "csat_responses": [_Batch("csat_responses", {}), csat, csat_re],
        "mentions": [_Batch("mentions", {}), mentions, _Batch("mentions", {})],
        "n_conversations": n,
    }


def _reexport(rng, batch: _Batch, cap: np.ndarray, share: float) -> _Batch:
    """Copies of some records written again later with a newer updated_at."""
    n = len(batch)
    upd = batch.cols["updated_at"]
    later = upd + rng.integers(3600, 5 * _DAY_S, n) * _US
    pick = (rng.random(n) < share) & (later <= cap)
    out = batch.take(np.flatnonzero(pick))
    out.cols["updated_at"] = later[pick]
    return out


def _gen_nps(world: _World, seed: int, conversations: int, ctr: _Counters) -> list[_Batch]:
    rng = _rng(seed, 3)
    expected = conversations * world.ws_weight / world.ws_weight.sum()
    counts = 2 + rng.poisson(0.06 * expected)
    ws = np.repeat(np.arange(world.n_ws), counts)
    n = len(ws)
    sub = _local_business_times(rng, world, ws, n, trend=0.0)
    so = np.lexsort((ws, sub))
    ws, sub = ws[so], sub[so]
    score = _choice(rng, np.cumsum([2, 1, 1, 2, 2, 4, 5, 10, 18, 25, 30]) / 100, n)
    cap = world.ws_cap[ws]
    nps = _Batch("nps_responses", {
        "response_id": ctr.nps + np.arange(n, dtype=np.int64),
        "workspace_id": ws.astype(np.int64), "score": score.astype(np.int64),
        "submitted_at": sub, "updated_at": _late(rng, sub, cap, 0.05),
    })
    ctr.nps += n
    return [_Batch("nps_responses", {}), nps, _reexport(rng, nps, cap, 0.02)]


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


# --------------------------------------------------------------------------------------
# rendering: Arrow tables and JSON Lines
# --------------------------------------------------------------------------------------


class _Render:
    def __init__(self, world: _World):
        self.world = world
        self.arrow_tables = {k: _str_array(v) for k, v in world.tables.items()}
        # workspace and agent ids: small domains, taken from a table instead of formatted
        self.id_tables = {"ws": _id_strings(np.arange(world.n_ws), "ws"),
                          "ag": _id_strings(np.arange(len(world.ag_ws)), "ag")}
        self.json_tables = {}
        for k, v in world.tables.items():
            enc = [json.dumps(s, ensure_ascii=False).encode() for s in v]
            width = max(len(e) for e in enc)
            mat = np.zeros((len(enc), width), np.uint8)
            for i, e in enumerate(enc):
                mat[i, : len(e)] = np.frombuffer(e, np.uint8)
            self.json_tables[k] = (mat, np.array([len(e) for e in enc], np.int64))
        ints = [str(i).encode() for i in range(-20, 21)]
        mat = np.zeros((len(ints), 3), np.uint8)
        for i, e in enumerate(ints):
            mat[i, : len(e)] = np.frombuffer(e, np.uint8)
        self.int_table = (mat, np.array([len(e) for e in ints], np.int64))

    # ---- Arrow
    def arrow(self, batch: _Batch) -> pa.Table:
        arrays = []
        for col in _LAYOUT[batch.entity]:
            v = batch.cols[col.name]
            if col.kind == "id":
                table = self.id_tables.get(col.ref)
                if table is not None and (not len(v) or v.max() < len(table)):
                    arrays.append(table.take(pa.array(v, pa.int64(), mask=v < 0)))
                else:
                    arrays.append(_id_strings(v, col.ref))
            elif col.kind == "lookup":
                idx = pa.array(v, pa.int64(), mask=v < 0)
                arrays.append(self.arrow_tables[col.ref].take(idx))
            elif col.kind == "ts":
                null = v == np.iinfo(np.int64).min
                arr = pa.array(v, pa.int64(), mask=null if null.any() else None)
                arrays.append(arr.view(pa.timestamp("us", tz="UTC")))
            else:
                arrays.append(pa.array(v.astype(np.int32), pa.int32()))
        return pa.Table.from_arrays(arrays, schema=_SCHEMAS[batch.entity])

    # ---- JSON Lines
    def jsonl(self, batch: _Batch):
        """The batch as JSON Lines, yielded in buffers of up to _JSON_BATCH lines."""
        n = len(batch)
        for lo in range(0, n, _JSON_BATCH):
            idx = np.arange(lo, min(n, lo + _JSON_BATCH))
            part = batch if (lo == 0 and n <= _JSON_BATCH) else batch.take(idx)
            yield self._jsonl(part)

    def _jsonl(self, batch: _Batch) -> memoryview:
        n = len(batch)
        cols = _LAYOUT[batch.entity]
        ids = batch.cols[cols[0].name]
        h = _mix64(ids * np.int64(7) + np.int64(_ENTITY_SALT[batch.entity]))
        # timestamp style per record: Z, local offset, +00:00, no offset, a fixed offset
        style = (h % np.uint64(100)).astype(np.int64)
        fixed = np.array([3600, -18000, 19800, -28800, 32400, 7200], np.int64)[
            ((h >> np.uint64(8)) % np.uint64(6)).astype(np.int64)]
        key = np.where(style < 40, 0, np.where(style < 75, 1, np.where(style < 80, 2, np.where(
            style < 85, 3, 4))))
        omit_null = ((h >> np.uint64(16)) % np.uint64(3)) == 0
        ws = batch.cols["workspace_id"]
        tz = self.world.ws_tz[np.minimum(ws, self.world.n_ws - 1)]
        parts: list[tuple[np.ndarray, np.ndarray]] = []
        over = batch.overrides or {}
        broken = batch.broken if batch.broken is not None else np.zeros(n, np.int8)
        parts.append(_const(n, b"{"))
        for i, col in enumerate(cols):
            v = batch.cols[col.name]
            sep = b"" if i == 0 else b", "
            keyb = sep + b'"' + col.name.encode() + b'": '
            if col.kind == "ts":
                null = v == np.iinfo(np.int64).min
                off = np.where(key == 4, fixed, 0)
                local = key == 1
                if local.any():
                    sel = local & ~null
                    off[sel] = _utc_offset_s(v[sel], tz[sel], self.world.tz_names)
                val = _ts_parts(np.where(null, 0, v), off, key)
            elif col.kind == "id":
                null = v < 0
                val = [_const(n, b'"'), _fixed(_id_matrix(v, *_IDS[col.ref])), _const(n, b'"')]
            elif col.kind == "lookup":
                null = v < 0
                mat, lens = self.json_tables[col.ref]
                vi = np.maximum(v, 0)
                val = [(mat[vi], lens[vi])]
            else:
                null = np.zeros(n, bool)
                mat, lens = self.int_table
                vi = np.clip(v, -20, 20) + 20
                val = [(mat[vi], lens[vi])]
            # nulls: "null", or (optional columns, some records) no key at all
            if null.any():
                val = [(m, np.where(null, 0, ln)) for m, ln in val]
                val.append(_const(n, b"null", null))
            omit = null & omit_null if col.omittable else np.zeros(n, bool)
            key_part = _const(n, keyb)
            if col.name in over:
                for rows, raw in over[col.name]:
                    val = [(m, ln.copy()) for m, ln in val]
                    for j in range(len(val)):
                        val[j][1][rows] = 0
                    if raw is None:
                        omit = omit.copy()
                        omit[rows] = True
                    else:
                        extra = np.zeros(n, np.int64)
                        extra[rows] = len(raw)
                        val.append((np.broadcast_to(np.frombuffer(raw, np.uint8), (n, len(raw))),
                                    extra))
            # invalid JSON variant 2: the key is not quoted
            if i == 1 and (broken == 2).any():
                bad_key = _const(n, sep + col.name.encode() + b": ", broken == 2)
                key_part = (key_part[0], np.where(broken == 2, 0, key_part[1]))
                parts.append(bad_key)
            keep = ~omit
            parts.append((key_part[0], np.where(keep, key_part[1], 0)))
            parts.extend((m, np.where(keep, ln, 0)) for m, ln in val)
        # invalid JSON variant 1: no closing brace
        parts.append(_const(n, b"}", broken != 1))
        parts.append(_const(n, b"\n"))
        return _join(parts)


_ENTITY_SALT = {e: 1_000_003 * (i + 1) for i, e in enumerate(ENTITIES)}


def _const(n: int, raw: bytes, where: np.ndarray | None = None):
    mat = np.broadcast_to(np.frombuffer(raw, np.uint8), (n, len(raw)))
    lens = np.full(n, len(raw), np.int64) if where is None else np.where(where, len(raw), 0)
    return mat, lens


def _fixed(mat: np.ndarray):
    return mat, np.full(len(mat), mat.shape[1], np.int64)


def _part_array(mat: np.ndarray, lens: np.ndarray):
    """One piece of every line as a pyarrow string array (or a scalar when constant)."""
    n, w = mat.shape
    full = bool((lens == w).all())
    if mat.strides[0] == 0:  # the same bytes on every row
        text = mat[0].tobytes().decode()
        if full:
            return pa.scalar(text)
        return _str_array(["", text]).take(pa.array((lens > 0).astype(np.int8)))
    if full:
        offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
        data = np.ascontiguousarray(mat)
    else:
        offsets = np.zeros(n + 1, np.int32)
        np.cumsum(lens, out=offsets[1:])
        data = mat[np.arange(w) < lens[:, None]]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _join(parts: list[tuple[np.ndarray, np.ndarray]]) -> memoryview:
    """Concatenate the pieces row by row; return all rows as one buffer."""
    out = pc.binary_join_element_wise(*[_part_array(m, ln) for m, ln in parts], "")
    offsets = np.frombuffer(out.buffers()[1], np.int32)[out.offset: out.offset + len(out) + 1]
    return memoryview(out.buffers()[2])[offsets[0]: offsets[-1]]


_TS_TABLES: dict[str, np.ndarray] = {}


def _ts_tables() -> dict[str, np.ndarray]:
    """Lookup tables for timestamp text: time of day, fractions, UTC offsets."""
    if not _TS_TABLES:
        sod = np.arange(_DAY_S)
        tod = np.empty((_DAY_S, 8), np.uint8)
        tod[:, 0:2] = _digits(sod // 3600, 2)
        tod[:, 2] = ord(":")
        tod[:, 3:5] = _digits(sod // 60 % 60, 2)
        tod[:, 5] = ord(":")
        tod[:, 6:8] = _digits(sod % 60, 2)
        _TS_TABLES["tod"] = tod.view(np.uint64).ravel()  # "HH:MM:SS"
        k = np.arange(1000)
        head = np.empty((1000, 4), np.uint8)
        head[:, 0] = ord(".")
        head[:, 1:] = _digits(k, 3)
        _TS_TABLES["frac_head"] = head.view(np.uint32).ravel()  # ".fff"
        _TS_TABLES["frac_tail"] = _digits(k, 3)  # "fff"
        q = np.arange(-56, 57) * 900  # offsets from -14:00 to +14:00 in quarter hours
        off = np.empty((len(q), 6), np.uint8)
        off[:, 0] = np.where(q < 0, ord("-"), ord("+"))
        off[:, 1:3] = _digits(np.abs(q) // 3600, 2)
        off[:, 3] = ord(":")
        off[:, 4:6] = _digits(np.abs(q) // 60 % 60, 2)
        off[56, 0] = ord("+")
        _TS_TABLES["offset"] = off
    return _TS_TABLES


def _ts_parts(us: np.ndarray, off_s: np.ndarray, style: np.ndarray):
    """'"YYYY-MM-DDTHH:MM:SS[.fff|.ffffff][Z|+hh:mm]"' pieces (style 0 Z, 1/4 offset,
    2 +00:00, 3 none)."""
    tables = _ts_tables()
    n = len(us)
    wall = us + off_s * _US
    secs = np.floor_divide(wall, _US)
    frac = wall - secs * _US
    days = np.floor_divide(secs, _DAY_S)
    sod = secs - days * _DAY_S
    # dates: a table of the few distinct days
    d0 = int(days.min()) if n else 0
    span = np.arange(d0, (int(days.max()) + 1) if n else 1)
    y, mo, d = _civil(span)
    date = np.empty((len(span), 12), np.uint8)
    date[:, 0] = ord('"')
    date[:, 1:5] = _digits(y, 4)
    date[:, 5] = ord("-")
    date[:, 6:8] = _digits(mo, 2)
    date[:, 8] = ord("-")
    date[:, 9:11] = _digits(d, 2)
    date[:, 11] = ord("T")
    base = np.empty((n, 20), np.uint8)
    base[:, :12] = date[days - d0]
    base[:, 12:20] = tables["tod"][sod].view(np.uint8).reshape(n, 8)
    fr = np.empty((n, 7), np.uint8)
    fr[:, :4] = tables["frac_head"][frac // 1000].view(np.uint8).reshape(n, 4)
    fr[:, 4:] = tables["frac_tail"][frac % 1000]
    fr_len = np.where(frac == 0, 0, np.where(frac % 1000 == 0, 4, 7))
    sfx = tables["offset"][np.clip(off_s // 900 + 56, 0, 112)]
    z = style == 0
    sfx[z, 0] = ord("Z")
    sfx_len = np.where(z, 1, np.where(style == 3, 0, 6))
    return [_fixed(base), (fr, fr_len), (sfx, sfx_len), _const(n, b'"')]


def _str_array(values: list[str]) -> pa.Array:
    """A pyarrow string array built from buffers (pa.array on a list pulls in pandas)."""
    enc = [v.encode() for v in values]
    offsets = np.zeros(len(enc) + 1, np.int32)
    np.cumsum([len(e) for e in enc], out=offsets[1:])
    return pa.StringArray.from_buffers(len(enc), pa.py_buffer(offsets.tobytes()),
                                       pa.py_buffer(b"".join(enc)))


def _id_strings(v: np.ndarray, key: str) -> pa.Array:
    n = len(v)
    null = v < 0
    mat = _id_matrix(v, *_IDS[key])
    w = mat.shape[1]
    offsets = np.arange(0, (n + 1) * w, w, dtype=np.int32)
    validity = None
    nulls = int(null.sum())
    if nulls:
        validity = pa.py_buffer(np.packbits(~null, bitorder="little").tobytes())
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(mat.tobytes()), validity, nulls)


# --------------------------------------------------------------------------------------
# files
# --------------------------------------------------------------------------------------


class _Sink:
    """One landing file, opened on first write."""

    def __init__(self, path: Path, ext: str, entity: str):
        self.path, self.ext, self.entity = path, ext, entity
        self.lines = 0
        self._fh: Any = None
        self._raw: Any = None
        self._part = path.with_name(path.name + _PART_SUFFIX)
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None
        self._stream_file: Any = None

    def write_arrow(self, table: pa.Table) -> None:
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream_file = pa.OSFile(str(self._part), "wb")
            self._stream = pa.ipc.new_stream(self._stream_file, table.schema)
        self._stream.write_table(table)
        self.lines += table.num_rows

    def _write_parquet(self) -> None:
        """The Parquet file from the Arrow stream file, in row groups of _ROW_GROUP_ROWS."""
        assert self._stream is not None and self._stream_file is not None
        self._stream.close()
        self._stream_file.close()
        try:
            with pa.memory_map(str(self._part)) as source:
                table = pa.ipc.open_stream(source).read_all()
                pq.write_table(table, self.path, compression="zstd", compression_level=1,
                               use_dictionary=_DICT_COLS[self.entity],
                               row_group_size=_ROW_GROUP_ROWS)
        finally:
            self._part.unlink(missing_ok=True)

    def write_lines(self, buffers, lines: int) -> None:
        if self._fh is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._raw = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            if self.ext == "jsonl.gz":
                self._fh = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0,
                                         compresslevel=3)
            else:
                self._fh = self._raw
        for data in buffers:
            self._fh.write(data)
        self.lines += lines

    def close(self) -> None:
        if self._stream is not None:
            self._write_parquet()
        if self._fh is not None:
            self._fh.close()
            if self._raw is not self._fh:
                self._raw.close()


class _Layout:
    """Decides which file each record goes to."""

    def __init__(self, root: Path, fmt: str, files_per_day: bool, render: _Render):
        self.root, self.fmt, self.per_day, self.render = root, fmt, files_per_day, render
        self.sinks: dict[tuple[str, str], _Sink] = {}
        self.rows: dict[str, int] = {e: 0 for e in ENTITIES}
        self.bad_rows: list[dict] = []

    def _sink(self, entity: str, stem: str, ext: str) -> _Sink:
        k = (entity, f"{stem}.{ext}")
        if k not in self.sinks:
            self.sinks[k] = _Sink(self.root / entity / f"{stem}.{ext}", ext, entity)
        return self.sinks[k]

    def _emit(self, sink: _Sink, batch: _Batch) -> None:
        if not len(batch):
            return
        if sink.ext == "parquet":
            sink.write_arrow(self.render.arrow(batch))
        else:
            first_line = sink.lines + 1
            sink.write_lines(self.render.jsonl(batch), len(batch))
            if batch.reasons is not None:
                ids = batch.cols[_LAYOUT[batch.entity][0].name]
                rel = f"{batch.entity}/{sink.path.name}"
                for i, reason in enumerate(batch.reasons):
                    rid = None if reason == "invalid_json" else _fmt_id(
                        _LAYOUT[batch.entity][0].ref, int(ids[i]))
                    self.bad_rows.append({"entity": batch.entity, "file": rel,
                                          "line_number": first_line + i, "record_id": rid,
                                          "reason": reason})

    def _day_ext(self, day: int) -> str:
        if self.fmt != "mixed":
            return self.fmt
        return ("jsonl", "parquet", "jsonl.gz")[day % 3]

    def write(self, entity: str, slot: int, batch: _Batch) -> None:
        """slot 0: first/stale versions, 1: current records, 2: later re-exports."""
        n = len(batch)
        if not n:
            return
        self.rows[entity] += n
        if self.per_day:
            day = batch.cols["updated_at"] // _DAY_US
            order = np.argsort(day, kind="stable")
            uniq, first = np.unique(day[order], return_index=True)
            bounds = list(first) + [n]
            for j, d in enumerate(uniq):
                idx = order[bounds[j]: bounds[j + 1]]
                stem = (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat()
                self._emit(self._sink(entity, stem, self._day_ext(int(d))), batch.take(idx))
            return
        stem = f"{entity}-{slot:03d}"
        if self.fmt != "mixed":
            self._emit(self._sink(entity, stem, self.fmt), batch)
        elif slot == 0:
            self._emit(self._sink(entity, f"{entity}-000", "jsonl"), batch)
        elif slot == 2:
            self._emit(self._sink(entity, f"{entity}-004", "parquet"), batch)
        else:
            part = (np.arange(n) + self.rows[entity]) % 3
            for p, (num, ext) in enumerate([(1, "jsonl.gz"), (2, "parquet"), (3, "jsonl")]):
                idx = np.flatnonzero(part == p)
                if len(idx):
                    self._emit(self._sink(entity, f"{entity}-{num:03d}", ext), batch.take(idx))

    def write_bad(self, batch: _Batch) -> None:
        """Bad records: JSON Lines only."""
        n = len(batch)
        if not n:
            return
        entity = batch.entity
        if self.per_day:
            day = batch.cols["updated_at"] // _DAY_US
            for d in np.unique(day):
                idx = np.flatnonzero(day == d)
                stem = (dt.date(1970, 1, 1) + dt.timedelta(days=int(d))).isoformat()
                ext = self._day_ext(int(d))
                self._emit(self._sink(entity, stem, "jsonl" if ext == "parquet" else ext),
                           batch.take(idx))
            return
        if self.fmt == "mixed":
            half = np.arange(n) % 2
            self._emit(self._sink(entity, f"{entity}-003", "jsonl"),
                       batch.take(np.flatnonzero(half == 0)))
            self._emit(self._sink(entity, f"{entity}-001", "jsonl.gz"),
                       batch.take(np.flatnonzero(half == 1)))
        elif self.fmt == "parquet":
            self._emit(self._sink(entity, f"{entity}-003", "jsonl"), batch)
        else:
            self._emit(self._sink(entity, f"{entity}-001", self.fmt), batch)

    def close(self, progress: bool = False) -> dict[str, int]:
        """Close every file (the Parquet ones are written now, two at a time; with
        `progress`, a progress bar counts them)."""
        files = {e: 0 for e in ENTITIES}
        sinks = sorted(self.sinks.items())
        bar = None
        parquet = sum(1 for _key, sink in sinks if sink.ext == "parquet")
        if progress and parquet:
            from tqdm import tqdm

            bar = tqdm(total=parquet, unit="file", desc="demo-data: writing Parquet files",
                       file=sys.stderr, leave=True, mininterval=0.5)
        try:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-data-parquet") as pool:
                closing = [(sink, pool.submit(sink.close)) for _key, sink in sinks]
                for sink, done in closing:
                    done.result()
                    if bar is not None and sink.ext == "parquet":
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        for (entity, _name), _sink in sinks:
            files[entity] += 1
        return files


def _fmt_id(key: str, value: int) -> str:
    prefix, width, suffix = _IDS[key]
    return f"{prefix}{value:0{width}d}{suffix}"


# --------------------------------------------------------------------------------------
# the output folder
# --------------------------------------------------------------------------------------


def _prepare_out(out: Path) -> None:
    """Create `out`, or empty it if it holds a landing set this module wrote before (it has
    the marker file and nothing but entity folders of landing files); refuse anything else."""
    if out.exists() and not out.is_dir():
        raise DemoDataError(f"{out} exists and is not a directory")
    if out.is_dir():
        entries = sorted(out.iterdir())
        if entries:
            foreign = "" if (out / MARKER_FILE).is_file() else "no " + MARKER_FILE
            for entry in entries:
                if foreign:
                    break
                if entry.name == MARKER_FILE:
                    continue
                if entry.name not in ENTITIES or not entry.is_dir():
                    foreign = repr(entry.name)
                    break
                for sub in entry.rglob("*"):
                    # (a .part file: left by a generation that was killed)
                    if not (sub.is_file() and sub.name.endswith(
                            (*_LANDING_SUFFIXES, ".parquet" + _PART_SUFFIX))):
                        foreign = repr(str(sub.relative_to(out)))
                        break
            if foreign:
                raise DemoDataError(
                    f"{out} is not empty and is not a previous demo landing set ({foreign}); "
                    f"choose an empty or new folder")
            for entry in entries:
                if entry.is_dir():
                    shutil.rmtree(entry)
                else:
                    entry.unlink()
    out.mkdir(parents=True, exist_ok=True)
    if not os.access(out, os.W_OK | os.X_OK):
        raise DemoDataError(f"cannot write to {out}: permission denied")


# --------------------------------------------------------------------------------------
# the public API
# --------------------------------------------------------------------------------------


def _default_conversations(workspaces: int, days: int) -> int:
    return 4 * workspaces * days


def generate(
    out_dir: str | os.PathLike,
    *,
    conversations: int | None = None,
    workspaces: int = 4,
    days: int = 120,
    seed: int = 42,
    fmt: str = "mixed",
    end_date: dt.date | str | None = None,
    bad_records: bool = True,
    bad_message_share: float | None = None,
    files_per_day: bool = False,
    progress: bool = True,
) -> dict:
    """Write a synthetic landing set to `out_dir` and return a summary.

    `conversations` defaults to 4 per workspace per day (1 920 for the defaults). The data
    covers the local dates ``end_date - days + 1 .. end_date`` (end_date defaults to
    yesterday, UTC) in every workspace's timezone. `fmt` is ``jsonl``, ``jsonl.gz``,
    ``parquet`` or ``mixed`` (every entity spread over files of all three formats).
    `bad_records` adds a few rejected-on-purpose records (at least one per reason, well under
    1 % per entity for the default sizes), `bad_message_share` adds that share of bad
    messages on top (0.05 makes a set that must not publish). Bad records are only ever
    written to JSON Lines files (with ``fmt="parquet"``: an extra ``<entity>-003.jsonl``, or
    ``<day>.jsonl`` with `files_per_day`). With `files_per_day` each entity is written as one
    file per UTC date of ``updated_at``: ``<entity>/<YYYY-MM-DD>.<ext>``.
    """
    t0 = time.perf_counter()
    end = _parse_end(end_date)
    if fmt not in FORMATS:
        raise DemoDataError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    workspaces = _int_arg("workspaces", workspaces, 1, _MAX_WORKSPACES)
    days = _int_arg("days", days, 1, 3650)
    if conversations is None:
        conversations = _default_conversations(workspaces, days)
    conversations = _int_arg("conversations", conversations, 1, _MAX_CONVERSATIONS)
    seed = _int_arg("seed", seed, 0, 2**63 - 1)
    share = float(bad_message_share or 0.0)
    if not 0.0 <= share < 1.0:
        raise DemoDataError(f"bad message share must be in [0, 1), got {bad_message_share!r}")
    out = Path(out_dir)
    _prepare_out(out)

    world = _build_world(seed, workspaces, days, end)
    render = _Render(world)
    layout = _Layout(out, fmt, files_per_day, render)
    ctr = _Counters()
    counts = {e: 0 for e in ENTITIES}
    bad_entity: dict[str, dict[str, int]] = {}
    bad_rng = _rng(seed, 4)

    def put(entity: str, slots: list[_Batch]) -> None:
        for slot, batch in enumerate(slots):
            layout.write(entity, slot, batch)

    def put_bad(batch: _Batch) -> None:
        if not len(batch):
            return
        layout.write_bad(batch)
        per = bad_entity.setdefault(batch.entity, {})
        for reason in batch.reasons or []:
            per[reason] = per.get(reason, 0) + 1

    def write_chunk(batches: dict, bad: _Batch | None) -> None:
        for entity in ("conversations", "messages", "csat_responses", "mentions"):
            put(entity, batches[entity])
        if bad is not None:
            put_bad(bad)
        if bar is not None:
            bar.update(batches["n_conversations"])
            bar.set_postfix(messages=f"{layout.rows['messages']:,}", refresh=False)

    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        tqdm = None
    bar = None
    if progress and tqdm is not None:
        bar = tqdm(total=conversations, unit="conv", unit_scale=True, desc="demo-data",
                   file=sys.stderr, leave=True, mininterval=0.5)
    # one writer thread: chunk k is rendered and written while chunk k+1 is generated
    # (numpy and pyarrow release the GIL); at most two chunks are in memory
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-data-writer")
    pending: Future | None = None
    try:
        for entity, slots in (("workspaces", world.workspaces), ("agents", world.agents)):
            put(entity, slots)
            counts[entity] += len(slots[1])
        first: dict | None = None
        done, chunk = 0, 0
        while done < conversations:
            n = min(_CHUNK, conversations - done)
            batches = _gen_chunk(world, seed, chunk, n, ctr)
            for entity in ("conversations", "messages", "csat_responses", "mentions"):
                counts[entity] += len(batches[entity][1])
            bad = None
            if share > 0:
                msgs = batches["messages"][1]
                k = int(round(share * len(msgs)))
                if k:
                    src = _with_agent(world, msgs, batches["conversations"][1])
                    reasons = [_MESSAGE_REASONS[i % len(_MESSAGE_REASONS)] for i in range(k)]
                    ids = ctr.msg + np.arange(k, dtype=np.int64)
                    ctr.msg += k
                    bad = _bad_messages(_rng(seed, 5, chunk), src, reasons, ids, chunk)
            if first is None:
                first = {e: batches[e][1] for e in ("conversations", "messages", "mentions")}
            if pending is not None:
                pending.result()
            pending = pool.submit(write_chunk, batches, bad)
            del batches, bad
            done += n
            chunk += 1
        nps = _gen_nps(world, seed, conversations, ctr)
        counts["nps_responses"] += len(nps[1])
        if pending is not None:
            pending.result()
        put("nps_responses", nps)
        if bad_records and first is not None:
            for batch in _default_bad(bad_rng, world, first, nps[1], counts, ctr):
                put_bad(batch)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
        files = layout.close(progress=bar is not None)

    bad_total = {r: 0 for r in REASONS}
    for per in bad_entity.values():
        for reason, k in per.items():
            bad_total[reason] += k
    summary = {
        "out_dir": str(out),
        "seed": seed,
        "format": fmt,
        "files_per_day": files_per_day,
        "date_range": {"start": world.start.isoformat(), "end": world.end.isoformat(),
                       "days": days},
        "counts": counts,
        "rows_written": dict(layout.rows),
        "files": files,
        "bad_records": bad_total,
        "bad_records_total": sum(bad_total.values()),
        "bad_records_by_entity": bad_entity,
        "bad_record_list": layout.bad_rows if len(layout.bad_rows) <= 1000 else None,
        "timezones": {_fmt_id("ws", w): (None if world.ws_tz_null[w]
                                         else world.tz_names[world.ws_tz[w]])
                      for w in range(min(world.n_ws, 50))},
        "elapsed_seconds": round(time.perf_counter() - t0, 2),
    }
    marker = {k: v for k, v in summary.items() if k not in ("bad_record_list", "timezones")}
    (out / MARKER_FILE).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    return summary


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


def _int_arg(name: str, value: Any, lo: int, hi: int) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise DemoDataError(f"{name} must be an integer, got {value!r}") from None
    if not lo <= number <= hi:
        raise DemoDataError(f"{name} must be from {lo:,} to {hi:,}, got {number:,}")
    return number


def _parse_end(end_date: dt.date | str | None) -> dt.date:
    if end_date is None:
        return dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)
    if isinstance(end_date, dt.datetime):
        return end_date.date()
    if isinstance(end_date, dt.date):
        return end_date
    try:
        return dt.date.fromisoformat(str(end_date))
    except ValueError:
        raise DemoDataError(f"bad end date {end_date!r}: expected YYYY-MM-DD") from None


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``demo-data`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "demo-data",
        help="write a synthetic landing set",
        description="Write a synthetic landing set (spec/landing.md) to --out.",
    )
    p.add_argument("--out", required=True, metavar="DIR",
                   help="landing folder to write (new, empty, or a previous demo set)")
    p.add_argument("--conversations", type=int, metavar="N",
                   help="number of conversations (default: 4 per workspace per day)")
    p.add_argument("--workspaces", type=int, default=4, metavar="W", help="default 4")
    p.add_argument("--days", type=int, default=120, metavar="D", help="default 120")
    p.add_argument("--seed", type=int, default=42, metavar="S", help="default 42")
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="mixed",
                   help="file format (default mixed: all three)")
    p.add_argument("--end-date", metavar="YYYY-MM-DD",
                   help="last local date of the data (default: yesterday, UTC)")
    p.add_argument("--bad-message-share", type=float, metavar="F",
                   help="add this share of bad messages (e.g. 0.05: a set that must not publish)")
    p.add_argument("--files-per-day", action="store_true",
                   help="one file per entity and UTC day of updated_at (<entity>/<day>.<ext>)")
    p.add_argument("--no-bad-records", dest="bad_records", action="store_false",
                   help="do not add the few bad records")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help=argparse.SUPPRESS)
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Handler for ``ochre-analytics demo-data``: prints a summary; 2 on bad input."""
    try:
        summary = generate(
            args.out,
            conversations=args.conversations,
            workspaces=args.workspaces,
            days=args.days,
            seed=args.seed,
            fmt=args.fmt,
            end_date=args.end_date,
            bad_records=args.bad_records,
            bad_message_share=args.bad_message_share,
            files_per_day=args.files_per_day,
            progress=getattr(args, "progress", True),
        )
    except DemoDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = exc.filename or args.out
        print(f"error: cannot write the landing set to {where}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    c = summary["counts"]
    dr = summary["date_range"]
    bad = {k: v for k, v in summary["bad_records"].items() if v}
    print(f"wrote {summary['out_dir']} ({summary['format']}"
          f"{', files per day' if summary['files_per_day'] else ''}), "
          f"local dates {dr['start']}..{dr['end']}, {summary['elapsed_seconds']} s")
    print("  " + ", ".join(f"{e} {c[e]:,}" for e in ENTITIES))
    print(f"  bad records: {summary['bad_records_total']:,}"
          + (" (" + ", ".join(f"{k} {v:,}" for k, v in bad.items()) + ")" if bad else ""))
    return 0
