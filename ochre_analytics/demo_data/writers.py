"""Landing files: which file each record goes to (the file layout), writing JSON Lines and
Parquet files, and preparing the output folder."""

from __future__ import annotations

import datetime as dt
import gzip
import os
import shutil
import sys
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from .business_calendar import CALENDAR_ENTITIES
from .records import (
    DICTIONARY_COLUMNS,
    ENTITIES,
    LAYOUT,
    MARKER_FILE,
    MICROS_PER_DAY,
    Batch,
    DemoDataError,
    format_id,
)
from .rendering import Renderer

_LANDING_SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
# A Parquet file is written once, when it is complete, in row groups of up to this many
# rows: its layout then depends on what the file holds, not on how many generation chunks
# fed it (a day's file of a long history would otherwise hold one small row group per
# chunk, and every reader would pay for them). Until then, its rows go to an Arrow stream
# file beside it (uncompressed, cheap to append to and to read back).
ROW_GROUP_ROWS = 1 << 20
PART_SUFFIX = ".part"  # the Arrow stream file beside a Parquet file being written


class LandingFile:
    """One landing file, opened on first write: JSON Lines (plain or gzip) written as it
    comes, or Parquet written on close."""

    def __init__(self, path: Path, extension: str, entity: str):
        self.path, self.extension, self.entity = path, extension, entity
        self.records = 0  # written so far (the number of lines, for JSON Lines)
        self._file: Any = None
        self._out: Any = None  # _file, or a gzip stream on it
        self._stream_path = path.with_name(path.name + PART_SUFFIX)
        self._stream: pa.ipc.RecordBatchStreamWriter | None = None
        self._stream_file: Any = None

    def append_arrow(self, table: pa.Table) -> None:
        """Records for the Parquet file (kept in the Arrow stream file until close)."""
        if self._stream is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._stream_file = pa.OSFile(str(self._stream_path), "wb")
            self._stream = pa.ipc.new_stream(self._stream_file, table.schema)
        self._stream.write_table(table)
        self.records += table.num_rows

    def _write_parquet(self) -> None:
        """The Parquet file from the Arrow stream file, in row groups of ROW_GROUP_ROWS."""
        assert self._stream is not None and self._stream_file is not None
        self._stream.close()
        self._stream_file.close()
        try:
            with pa.memory_map(str(self._stream_path)) as source:
                table = pa.ipc.open_stream(source).read_all()
                pq.write_table(table, self.path, compression="zstd", compression_level=1,
                               use_dictionary=DICTIONARY_COLUMNS[self.entity],
                               row_group_size=ROW_GROUP_ROWS)
        finally:
            self._stream_path.unlink(missing_ok=True)

    def append_json_lines(self, buffers: Iterable[memoryview], lines: int) -> None:
        """`lines` records as JSON Lines text, in `buffers`."""
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = open(self.path, "wb")  # noqa: SIM115 - closed in close()
            if self.extension == "jsonl.gz":
                self._out = gzip.GzipFile(filename="", mode="wb", fileobj=self._file, mtime=0,
                                          compresslevel=3)
            else:
                self._out = self._file
        for data in buffers:
            self._out.write(data)
        self.records += lines

    def close(self) -> None:
        if self._stream is not None:
            self._write_parquet()
        if self._out is not None:
            self._out.close()
            if self._file is not self._out:
                self._file.close()


def _utc_date(day: int) -> str:
    """'YYYY-MM-DD' of a day number (days since 1970-01-01)."""
    return (dt.date(1970, 1, 1) + dt.timedelta(days=int(day))).isoformat()


class FileLayout:
    """Decides which file each record goes to, and writes it there.

    With `files_per_day`: ``<entity>/<UTC date of updated_at>.<ext>`` (``mixed``: the
    format turns with the day). Otherwise ``<entity>/<entity>-NNN.<ext>``: one file per slot
    (``mixed``: the current records spread over three files, one per format)."""

    def __init__(self, root: Path, fmt: str, files_per_day: bool, renderer: Renderer):
        self.root, self.fmt, self.files_per_day = root, fmt, files_per_day
        self.renderer = renderer
        self.files: dict[tuple[str, str], LandingFile] = {}  # (entity, file name) -> file
        self.rows_written: dict[str, int] = {entity: 0 for entity in ENTITIES}
        self.bad_record_list: list[dict] = []  # where each bad record is

    def _file(self, entity: str, stem: str, extension: str) -> LandingFile:
        key = (entity, f"{stem}.{extension}")
        if key not in self.files:
            self.files[key] = LandingFile(self.root / entity / f"{stem}.{extension}",
                                          extension, entity)
        return self.files[key]

    def _append(self, file: LandingFile, batch: Batch) -> None:
        if not len(batch):
            return
        if file.extension == "parquet":
            file.append_arrow(self.renderer.to_arrow(batch))
            return
        first_line = file.records + 1
        file.append_json_lines(self.renderer.json_lines(batch), len(batch))
        if batch.reasons is not None:
            id_column = LAYOUT[batch.entity][0]
            ids = batch.columns[id_column.name]
            relative = f"{batch.entity}/{file.path.name}"
            for i, reason in enumerate(batch.reasons):
                record_id = (None if reason == "invalid_json"
                             else format_id(id_column.source, int(ids[i])))
                self.bad_record_list.append({
                    "entity": batch.entity, "file": relative, "line_number": first_line + i,
                    "record_id": record_id, "reason": reason})

    def _extension_for_day(self, day: int) -> str:
        if self.fmt != "mixed":
            return self.fmt
        return ("jsonl", "parquet", "jsonl.gz")[day % 3]

    def write(self, entity: str, slot: int, batch: Batch) -> None:
        """Records of a slot (0: first versions, 1: current records, 2: later re-exports)."""
        n = len(batch)
        if not n:
            return
        self.rows_written[entity] += n
        if self.files_per_day:
            day = batch.columns["updated_at"] // MICROS_PER_DAY
            order = np.argsort(day, kind="stable")
            days, first = np.unique(day[order], return_index=True)
            bounds = list(first) + [n]
            for j, d in enumerate(days):
                rows = order[bounds[j]: bounds[j + 1]]
                self._append(self._file(entity, _utc_date(d), self._extension_for_day(int(d))),
                             batch.take(rows))
            return
        stem = f"{entity}-{slot:03d}"
        if self.fmt != "mixed":
            self._append(self._file(entity, stem, self.fmt), batch)
        elif slot == 0:
            self._append(self._file(entity, f"{entity}-000", "jsonl"), batch)
        elif slot == 2:
            self._append(self._file(entity, f"{entity}-004", "parquet"), batch)
        else:
            part = (np.arange(n) + self.rows_written[entity]) % 3
            for p, (number, extension) in enumerate(
                    [(1, "jsonl.gz"), (2, "parquet"), (3, "jsonl")]):
                rows = np.flatnonzero(part == p)
                if len(rows):
                    self._append(self._file(entity, f"{entity}-{number:03d}", extension),
                                 batch.take(rows))

    def write_bad(self, batch: Batch) -> None:
        """Bad records: JSON Lines only."""
        n = len(batch)
        if not n:
            return
        entity = batch.entity
        if self.files_per_day:
            day = batch.columns["updated_at"] // MICROS_PER_DAY
            for d in np.unique(day):
                rows = np.flatnonzero(day == d)
                extension = self._extension_for_day(int(d))
                if extension == "parquet":
                    extension = "jsonl"
                self._append(self._file(entity, _utc_date(d), extension), batch.take(rows))
            return
        if self.fmt == "mixed":
            half = np.arange(n) % 2
            self._append(self._file(entity, f"{entity}-003", "jsonl"),
                         batch.take(np.flatnonzero(half == 0)))
            self._append(self._file(entity, f"{entity}-001", "jsonl.gz"),
                         batch.take(np.flatnonzero(half == 1)))
        elif self.fmt == "parquet":
            self._append(self._file(entity, f"{entity}-003", "jsonl"), batch)
        else:
            self._append(self._file(entity, f"{entity}-001", self.fmt), batch)

    def close(self, progress: bool = False) -> dict[str, int]:
        """Close every file (the Parquet ones are written now, two at a time; with
        `progress`, a progress bar counts them). Returns the number of files per entity."""
        files_per_entity = {entity: 0 for entity in ENTITIES}
        files = sorted(self.files.items())
        bar = None
        parquet_files = sum(1 for _key, file in files if file.extension == "parquet")
        if progress and parquet_files:
            from tqdm import tqdm

            bar = tqdm(total=parquet_files, unit="file", desc="demo-data: writing Parquet files",
                       file=sys.stderr, leave=True, mininterval=0.5)
        try:
            with ThreadPoolExecutor(max_workers=2, thread_name_prefix="demo-data-parquet") as pool:
                closing = [(file, pool.submit(file.close)) for _key, file in files]
                for file, done in closing:
                    done.result()
                    if bar is not None and file.extension == "parquet":
                        bar.update(1)
        finally:
            if bar is not None:
                bar.close()
        for (entity, _name), _file in files:
            files_per_entity[entity] += 1
        return files_per_entity


def prepare_output_folder(out: Path) -> None:
    """Create `out`, or empty it if it holds a landing set this package wrote before (it has
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
                if entry.name not in (*ENTITIES, *CALENDAR_ENTITIES) or not entry.is_dir():
                    foreign = repr(entry.name)
                    break
                for inside in entry.rglob("*"):
                    # (a .part file: left by a generation that was killed)
                    if not (inside.is_file() and inside.name.endswith(
                            (*_LANDING_SUFFIXES, ".parquet" + PART_SUFFIX))):
                        foreign = repr(str(inside.relative_to(out)))
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
