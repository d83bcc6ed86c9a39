"""Rendering batches of records: as Arrow tables (for Parquet) and as JSON Lines text.

JSON Lines are built column-wise, without a Python loop over records: every line is a
concatenation of *pieces*, one piece per part of the line (``{``, a key, a value, ...).
A piece is a pair (bytes matrix with one row per record, byte length per record): a
record's part is the first `length` bytes of its row, so a part can be empty (an omitted
key) or of varying width (a name). The pieces are joined row by row by Arrow.

Formatting choices (timestamp style, an omitted null key) are drawn per record from a hash
of its id, so they do not depend on the file layout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .records import (
    ARROW_SCHEMAS,
    ENTITIES,
    ID_FORMATS,
    LAYOUT,
    MICROS_PER_SECOND,
    NULL_TIMESTAMP,
    SECONDS_PER_DAY,
    Batch,
)
from .world import World, utc_offset_seconds

JSON_LINES_PER_BUFFER = 65_536  # records rendered at once

Piece = tuple[np.ndarray, np.ndarray]  # (bytes per record, length per record)

# --------------------------------------------------------------------------------------
# digits, ids and dates as byte matrices
# --------------------------------------------------------------------------------------


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64 finaliser: a stable per-record hash (formatting choices, file splits)."""
    z = x.astype(np.uint64) + np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


# "0000" .. "9999": row i is the 4 ASCII digits of i
_FOUR_DIGITS = np.frombuffer("".join(f"{i:04d}" for i in range(10_000)).encode(),
                             np.uint8).reshape(10_000, 4)
_FOUR_DIGITS_AS_WORDS = _FOUR_DIGITS.copy().view(np.uint32).ravel()
_ID_HEAD_WORDS: dict[tuple[str, int], np.ndarray] = {}  # (prefix, digits) -> 4-byte words


def _decimal_digits(values: np.ndarray, width: int) -> np.ndarray:
    """Zero-padded decimal digits of non-negative ints as an (n, width) uint8 matrix."""
    rest = values.astype(np.int64, copy=True)
    out = np.empty((len(rest), width), np.uint8)
    end = width
    while end > 0:
        take = min(4, end)
        block = _FOUR_DIGITS[rest % 10_000]
        out[:, end - take: end] = block[:, 4 - take:]
        rest //= 10_000
        end -= take
    return out


def id_text_matrix(values: np.ndarray, prefix: str, width: int,
                   suffix: str = "") -> np.ndarray:
    """(n, length) uint8 matrix of prefix + zero-padded digits + suffix. When prefix and
    digits fill whole 4-byte words, built from 4-byte gathers (ids of the big entities)."""
    rest = np.maximum(values, 0).astype(np.int64)
    n, prefix_length = len(rest), len(prefix)
    head_digits = 4 - prefix_length  # digits that share the first word with the prefix
    if not suffix and head_digits > 0 and (width - head_digits) % 4 == 0:
        key = (prefix, head_digits)
        if key not in _ID_HEAD_WORDS:
            _ID_HEAD_WORDS[key] = np.frombuffer("".join(
                f"{prefix}{i:0{head_digits}d}" for i in range(10 ** head_digits)).encode(),
                np.uint32)
        words = np.empty((n, 1 + (width - head_digits) // 4), np.uint32)
        for j in range(words.shape[1] - 1, 0, -1):
            words[:, j] = _FOUR_DIGITS_AS_WORDS[rest % 10_000]
            rest = rest // 10_000
        words[:, 0] = _ID_HEAD_WORDS[key][rest]
        return words.view(np.uint8).reshape(n, 4 * words.shape[1])
    matrix = np.empty((n, prefix_length + width + len(suffix)), np.uint8)
    matrix[:, :prefix_length] = np.frombuffer(prefix.encode(), np.uint8)
    matrix[:, prefix_length: prefix_length + width] = _decimal_digits(rest, width)
    if suffix:
        matrix[:, prefix_length + width:] = np.frombuffer(suffix.encode(), np.uint8)
    return matrix


def _civil_from_days(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Days since 1970-01-01 -> (year, month, day), vectorised (H. Hinnant's algorithm)."""
    z = days.astype(np.int64) + 719_468
    era = np.floor_divide(z, 146_097)
    day_of_era = z - era * 146_097
    year_of_era = (day_of_era - day_of_era // 1460 + day_of_era // 36_524
                   - day_of_era // 146_096) // 365
    day_of_year = day_of_era - (365 * year_of_era + year_of_era // 4 - year_of_era // 100)
    month_from_march = (5 * day_of_year + 2) // 153
    day = day_of_year - (153 * month_from_march + 2) // 5 + 1
    month = np.where(month_from_march < 10, month_from_march + 3, month_from_march - 9)
    year = year_of_era + era * 400 + (month <= 2)
    return year, month, day


# --------------------------------------------------------------------------------------
# Arrow arrays
# --------------------------------------------------------------------------------------


def _string_array(values: list[str]) -> pa.Array:
    """A pyarrow string array built from buffers (pa.array on a list pulls in pandas)."""
    encoded = [v.encode() for v in values]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    np.cumsum([len(e) for e in encoded], out=offsets[1:])
    return pa.StringArray.from_buffers(len(encoded), pa.py_buffer(offsets.tobytes()),
                                       pa.py_buffer(b"".join(encoded)))


def _id_string_array(values: np.ndarray, key: str) -> pa.Array:
    """Ids as a pyarrow string array in the ID_FORMATS `key` format (negative: null)."""
    n = len(values)
    is_null = values < 0
    matrix = id_text_matrix(values, *ID_FORMATS[key])
    width = matrix.shape[1]
    offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
    validity = None
    null_count = int(is_null.sum())
    if null_count:
        validity = pa.py_buffer(np.packbits(~is_null, bitorder="little").tobytes())
    return pa.StringArray.from_buffers(
        n, pa.py_buffer(offsets.tobytes()), pa.py_buffer(matrix.tobytes()), validity,
        null_count)


# --------------------------------------------------------------------------------------
# JSON Lines pieces
# --------------------------------------------------------------------------------------


def _constant_piece(n: int, raw: bytes, where: np.ndarray | None = None) -> Piece:
    """`raw` on every record (or only where `where` is true)."""
    matrix = np.broadcast_to(np.frombuffer(raw, np.uint8), (n, len(raw)))
    lengths = (np.full(n, len(raw), np.int64) if where is None
               else np.where(where, len(raw), 0))
    return matrix, lengths


def _full_width_piece(matrix: np.ndarray) -> Piece:
    return matrix, np.full(len(matrix), matrix.shape[1], np.int64)


def _piece_to_arrow(matrix: np.ndarray, lengths: np.ndarray):
    """One piece of every line as a pyarrow string array (or a scalar when constant)."""
    n, width = matrix.shape
    full = bool((lengths == width).all())
    if matrix.strides[0] == 0:  # the same bytes on every row
        text = matrix[0].tobytes().decode()
        if full:
            return pa.scalar(text)
        return _string_array(["", text]).take(pa.array((lengths > 0).astype(np.int8)))
    if full:
        offsets = np.arange(0, (n + 1) * width, width, dtype=np.int32)
        data = np.ascontiguousarray(matrix)
    else:
        offsets = np.zeros(n + 1, np.int32)
        np.cumsum(lengths, out=offsets[1:])
        data = matrix[np.arange(width) < lengths[:, None]]
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def _join_pieces(pieces: list[Piece]) -> memoryview:
    """Concatenate the pieces row by row; return all rows as one buffer."""
    out = pc.binary_join_element_wise(*[_piece_to_arrow(m, ln) for m, ln in pieces], "")
    offsets = np.frombuffer(out.buffers()[1], np.int32)[out.offset: out.offset + len(out) + 1]
    return memoryview(out.buffers()[2])[offsets[0]: offsets[-1]]


_TIMESTAMP_TABLES: dict[str, np.ndarray] = {}


def _timestamp_tables() -> dict[str, np.ndarray]:
    """Lookup tables for timestamp text: time of day, fractions, UTC offsets (built once)."""
    if not _TIMESTAMP_TABLES:
        second = np.arange(SECONDS_PER_DAY)
        time_of_day = np.empty((SECONDS_PER_DAY, 8), np.uint8)
        time_of_day[:, 0:2] = _decimal_digits(second // 3600, 2)
        time_of_day[:, 2] = ord(":")
        time_of_day[:, 3:5] = _decimal_digits(second // 60 % 60, 2)
        time_of_day[:, 5] = ord(":")
        time_of_day[:, 6:8] = _decimal_digits(second % 60, 2)
        _TIMESTAMP_TABLES["time_of_day"] = time_of_day.view(np.uint64).ravel()  # "HH:MM:SS"
        k = np.arange(1000)
        head = np.empty((1000, 4), np.uint8)
        head[:, 0] = ord(".")
        head[:, 1:] = _decimal_digits(k, 3)
        _TIMESTAMP_TABLES["millis"] = head.view(np.uint32).ravel()  # ".fff"
        _TIMESTAMP_TABLES["micros"] = _decimal_digits(k, 3)  # "fff"
        quarters = np.arange(-56, 57) * 900  # offsets from -14:00 to +14:00, quarter hours
        offset = np.empty((len(quarters), 6), np.uint8)
        offset[:, 0] = np.where(quarters < 0, ord("-"), ord("+"))
        offset[:, 1:3] = _decimal_digits(np.abs(quarters) // 3600, 2)
        offset[:, 3] = ord(":")
        offset[:, 4:6] = _decimal_digits(np.abs(quarters) // 60 % 60, 2)
        offset[56, 0] = ord("+")
        _TIMESTAMP_TABLES["offset"] = offset  # "+hh:mm"
    return _TIMESTAMP_TABLES


# how a record writes its timestamps
_STYLE_Z, _STYLE_LOCAL, _STYLE_PLUS_ZERO, _STYLE_NO_OFFSET, _STYLE_FIXED = range(5)
# the offsets a _STYLE_FIXED record picks from (seconds)
_FIXED_OFFSETS = np.array([3600, -18000, 19800, -28800, 32400, 7200], np.int64)


def _timestamp_pieces(utc_micros: np.ndarray, offset_seconds: np.ndarray,
                      style: np.ndarray) -> list[Piece]:
    """'"YYYY-MM-DDTHH:MM:SS[.fff|.ffffff][Z|+hh:mm]"' pieces: the instant shown at
    `offset_seconds`, with ``Z`` (_STYLE_Z), no offset (_STYLE_NO_OFFSET) or ``+hh:mm``."""
    tables = _timestamp_tables()
    n = len(utc_micros)
    wall = utc_micros + offset_seconds * MICROS_PER_SECOND
    seconds = np.floor_divide(wall, MICROS_PER_SECOND)
    fraction = wall - seconds * MICROS_PER_SECOND
    days = np.floor_divide(seconds, SECONDS_PER_DAY)
    second_of_day = seconds - days * SECONDS_PER_DAY
    # dates: a table of the few distinct days
    first_day = int(days.min()) if n else 0
    span = np.arange(first_day, (int(days.max()) + 1) if n else 1)
    year, month, day = _civil_from_days(span)
    date = np.empty((len(span), 12), np.uint8)
    date[:, 0] = ord('"')
    date[:, 1:5] = _decimal_digits(year, 4)
    date[:, 5] = ord("-")
    date[:, 6:8] = _decimal_digits(month, 2)
    date[:, 8] = ord("-")
    date[:, 9:11] = _decimal_digits(day, 2)
    date[:, 11] = ord("T")
    date_time = np.empty((n, 20), np.uint8)
    date_time[:, :12] = date[days - first_day]
    date_time[:, 12:20] = tables["time_of_day"][second_of_day].view(np.uint8).reshape(n, 8)
    fraction_text = np.empty((n, 7), np.uint8)
    fraction_text[:, :4] = tables["millis"][fraction // 1000].view(np.uint8).reshape(n, 4)
    fraction_text[:, 4:] = tables["micros"][fraction % 1000]
    fraction_length = np.where(fraction == 0, 0, np.where(fraction % 1000 == 0, 4, 7))
    suffix = tables["offset"][np.clip(offset_seconds // 900 + 56, 0, 112)]
    zulu = style == _STYLE_Z
    suffix[zulu, 0] = ord("Z")
    suffix_length = np.where(zulu, 1, np.where(style == _STYLE_NO_OFFSET, 0, 6))
    return [_full_width_piece(date_time), (fraction_text, fraction_length),
            (suffix, suffix_length), _constant_piece(n, b'"')]


_ENTITY_SALT = {entity: 1_000_003 * (i + 1) for i, entity in enumerate(ENTITIES)}

# --------------------------------------------------------------------------------------
# the renderer
# --------------------------------------------------------------------------------------


class Renderer:
    """Renders batches of one world's records (its lookup tables, ids and time zones)."""

    def __init__(self, world: World):
        self.world = world
        self.arrow_lookups = {name: _string_array(values)
                              for name, values in world.lookup_tables.items()}
        # workspace and agent ids: small domains, taken from a table instead of formatted
        self.arrow_ids = {
            "ws": _id_string_array(np.arange(world.workspace_count), "ws"),
            "ag": _id_string_array(np.arange(len(world.agent_workspace)), "ag"),
        }
        # lookup values as JSON text: (matrix, lengths) per table
        self.json_lookups = {}
        for name, values in world.lookup_tables.items():
            encoded = [json.dumps(value, ensure_ascii=False).encode() for value in values]
            width = max(len(e) for e in encoded)
            matrix = np.zeros((len(encoded), width), np.uint8)
            for i, e in enumerate(encoded):
                matrix[i, : len(e)] = np.frombuffer(e, np.uint8)
            self.json_lookups[name] = (matrix, np.array([len(e) for e in encoded], np.int64))
        # small ints (scores) as JSON text: -20 .. 20
        ints = [str(i).encode() for i in range(-20, 21)]
        matrix = np.zeros((len(ints), 3), np.uint8)
        for i, e in enumerate(ints):
            matrix[i, : len(e)] = np.frombuffer(e, np.uint8)
        self.json_ints = (matrix, np.array([len(e) for e in ints], np.int64))

    def to_arrow(self, batch: Batch) -> pa.Table:
        """The batch as an Arrow table of its entity's schema (overrides do not apply)."""
        arrays = []
        for column in LAYOUT[batch.entity]:
            values = batch.columns[column.name]
            if column.kind == "id":
                table = self.arrow_ids.get(column.source)
                if table is not None and (not len(values) or values.max() < len(table)):
                    arrays.append(table.take(pa.array(values, pa.int64(), mask=values < 0)))
                else:
                    arrays.append(_id_string_array(values, column.source))
            elif column.kind == "lookup":
                index = pa.array(values, pa.int64(), mask=values < 0)
                arrays.append(self.arrow_lookups[column.source].take(index))
            elif column.kind == "ts":
                is_null = values == NULL_TIMESTAMP
                array = pa.array(values, pa.int64(), mask=is_null if is_null.any() else None)
                arrays.append(array.view(pa.timestamp("us", tz="UTC")))
            else:
                arrays.append(pa.array(values.astype(np.int32), pa.int32()))
        return pa.Table.from_arrays(arrays, schema=ARROW_SCHEMAS[batch.entity])

    def json_lines(self, batch: Batch) -> Iterator[memoryview]:
        """The batch as JSON Lines, yielded in buffers of up to JSON_LINES_PER_BUFFER
        lines."""
        n = len(batch)
        for first in range(0, n, JSON_LINES_PER_BUFFER):
            rows = np.arange(first, min(n, first + JSON_LINES_PER_BUFFER))
            part = batch if (first == 0 and n <= JSON_LINES_PER_BUFFER) else batch.take(rows)
            yield self._json_lines_buffer(part)

    def _json_lines_buffer(self, batch: Batch) -> memoryview:
        n = len(batch)
        columns = LAYOUT[batch.entity]
        ids = batch.columns[columns[0].name]
        record_hash = _splitmix64(ids * np.int64(7) + np.int64(_ENTITY_SALT[batch.entity]))
        # timestamp style per record: Z 40 %, local offset 35 %, +00:00 5 %, no offset 5 %,
        # a fixed offset 15 %
        percentile = (record_hash % np.uint64(100)).astype(np.int64)
        fixed_offset = _FIXED_OFFSETS[((record_hash >> np.uint64(8))
                                       % np.uint64(6)).astype(np.int64)]
        style = np.where(percentile < 40, _STYLE_Z, np.where(
            percentile < 75, _STYLE_LOCAL, np.where(percentile < 80, _STYLE_PLUS_ZERO, np.where(
                percentile < 85, _STYLE_NO_OFFSET, _STYLE_FIXED))))
        # a third of the records leave out the key of a null optional column
        omit_null_key = ((record_hash >> np.uint64(16)) % np.uint64(3)) == 0
        workspace = batch.columns["workspace_id"]
        # (bad copies of workspaces have ids past the last one: they take its zone)
        zone = self.world.workspace_zone[np.minimum(workspace, self.world.workspace_count - 1)]
        pieces: list[Piece] = []
        overrides = batch.overrides or {}
        broken_json = (batch.broken_json if batch.broken_json is not None
                       else np.zeros(n, np.int8))
        pieces.append(_constant_piece(n, b"{"))
        for i, column in enumerate(columns):
            values = batch.columns[column.name]
            separator = b"" if i == 0 else b", "
            key_text = separator + b'"' + column.name.encode() + b'": '
            if column.kind == "ts":
                is_null = values == NULL_TIMESTAMP
                offset = np.where(style == _STYLE_FIXED, fixed_offset, 0)
                local = style == _STYLE_LOCAL
                if local.any():
                    rows = local & ~is_null
                    offset[rows] = utc_offset_seconds(values[rows], zone[rows],
                                                      self.world.zone_names)
                value_pieces = _timestamp_pieces(np.where(is_null, 0, values), offset, style)
            elif column.kind == "id":
                is_null = values < 0
                value_pieces = [
                    _constant_piece(n, b'"'),
                    _full_width_piece(id_text_matrix(values, *ID_FORMATS[column.source])),
                    _constant_piece(n, b'"')]
            elif column.kind == "lookup":
                is_null = values < 0
                matrix, lengths = self.json_lookups[column.source]
                index = np.maximum(values, 0)
                value_pieces = [(matrix[index], lengths[index])]
            else:
                is_null = np.zeros(n, bool)
                matrix, lengths = self.json_ints
                index = np.clip(values, -20, 20) + 20
                value_pieces = [(matrix[index], lengths[index])]
            # nulls: "null", or (optional columns, some records) no key at all
            if is_null.any():
                value_pieces = [(m, np.where(is_null, 0, ln)) for m, ln in value_pieces]
                value_pieces.append(_constant_piece(n, b"null", is_null))
            omit = is_null & omit_null_key if column.omittable else np.zeros(n, bool)
            key_piece = _constant_piece(n, key_text)
            # bad records: a raw value instead of the column's, or no key
            for rows, raw in overrides.get(column.name, []):
                value_pieces = [(m, ln.copy()) for m, ln in value_pieces]
                for j in range(len(value_pieces)):
                    value_pieces[j][1][rows] = 0
                if raw is None:
                    omit = omit.copy()
                    omit[rows] = True
                else:
                    raw_lengths = np.zeros(n, np.int64)
                    raw_lengths[rows] = len(raw)
                    value_pieces.append((np.broadcast_to(np.frombuffer(raw, np.uint8),
                                                         (n, len(raw))), raw_lengths))
            # invalid JSON, variant 2: the second key is not quoted
            if i == 1 and (broken_json == 2).any():
                unquoted = broken_json == 2
                pieces.append(_constant_piece(n, separator + column.name.encode() + b": ",
                                              unquoted))
                key_piece = (key_piece[0], np.where(unquoted, 0, key_piece[1]))
            present = ~omit
            pieces.append((key_piece[0], np.where(present, key_piece[1], 0)))
            pieces.extend((m, np.where(present, ln, 0)) for m, ln in value_pieces)
        # invalid JSON, variant 1: no closing brace
        pieces.append(_constant_piece(n, b"}", broken_json != 1))
        pieces.append(_constant_piece(n, b"\n"))
        return _join_pieces(pieces)
