"""Landing files: the file layout, Parquet and JSON Lines files, the output folder."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .records import (
    _DAY_US,
    _DICT_COLS,
    _LAYOUT,
    ENTITIES,
    MARKER_FILE,
    DemoDataError,
    _Batch,
    _fmt_id,
)
from .rendering import _Render

_LANDING_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
# A Parquet file is written once, when it is complete, in row groups of up to this many
# rows: its layout then depends on what the file holds, not on how many generation chunks
# fed it (a day's file of a long history would otherwise hold one small row group per
# chunk, and every reader would pay for them). Until then, its rows go to an Arrow stream
# file beside it (uncompressed, cheap to append to and to read back).
_ROW_GROUP_ROWS = 1 << 20
_PART_SUFFIX = ".part"


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
