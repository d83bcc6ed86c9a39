"""Rendering batches: Arrow tables and JSON Lines text."""

from __future__ import annotations

import json

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .records import _DAY_S, _IDS, _LAYOUT, _SCHEMAS, _US, ENTITIES, _Batch
from .world import _utc_offset_s, _World

_JSON_BATCH = 65_536  # rows per JSON Lines render batch


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
