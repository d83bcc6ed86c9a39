"""Writing a whole landing set: check the arguments, build the world, generate the
conversations a chunk at a time (a writer thread renders and writes one chunk while the
next is generated), add NPS responses and bad records, write the marker file."""

from __future__ import annotations

import datetime as dt
import json
import operator
import os
import sys
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .bad_records import chunk_bad_messages, default_bad_records
from .conversations import generate_chunk, generate_nps
from .records import (
    ENTITIES,
    FORMATS,
    MARKER_FILE,
    REASONS,
    Batch,
    DemoDataError,
    NextIds,
    format_id,
)
from .rendering import Renderer
from .sampling import seeded_rng
from .world import World, build_world
from .writers import FileLayout, prepare_output_folder

_MAX_CONVERSATIONS = 99_000_000
_MAX_WORKSPACES = 90_000
_CHUNK_ENTITIES = ("conversations", "messages", "csat_responses", "mentions")


def _default_conversations(workspaces: int, days: int) -> int:
    return 4 * workspaces * days


def write_landing_set(
    out_dir: str | os.PathLike,
    *,
    conversations: int | None,
    workspaces: int,
    days: int,
    seed: int,
    fmt: str,
    end_date: dt.date | str | None,
    bad_records: bool,
    bad_message_share: float | None,
    files_per_day: bool,
    progress: bool,
    chunk_size: int,
) -> dict:
    """``generate()``, with `chunk_size` conversations per generation chunk."""
    started = time.perf_counter()
    end = _parse_end_date(end_date)
    if fmt not in FORMATS:
        raise DemoDataError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    workspaces = _int_argument("workspaces", workspaces, 1, _MAX_WORKSPACES)
    days = _int_argument("days", days, 1, 3650)
    if conversations is None:
        conversations = _default_conversations(workspaces, days)
    conversations = _int_argument("conversations", conversations, 1, _MAX_CONVERSATIONS)
    seed = _int_argument("seed", seed, 0, 2**63 - 1)
    share = float(bad_message_share or 0.0)
    if not 0.0 <= share < 1.0:
        raise DemoDataError(f"bad message share must be in [0, 1), got {bad_message_share!r}")
    out = Path(out_dir)
    prepare_output_folder(out)

    world = build_world(seed, workspaces, days, end)
    layout = FileLayout(out, fmt, files_per_day, Renderer(world))
    next_ids = NextIds()
    counts = {entity: 0 for entity in ENTITIES}  # records per entity (current versions)
    bad_by_entity: dict[str, dict[str, int]] = {}  # entity -> reason -> bad records
    bad_records_rng = seeded_rng(seed, 4)

    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm is a dependency
        tqdm = None
    bar = None
    if progress and tqdm is not None:
        bar = tqdm(total=conversations, unit="conv", unit_scale=True, desc="demo-data",
                   file=sys.stderr, leave=True, mininterval=0.5)

    def write_slots(entity: str, slots: list[Batch]) -> None:
        for slot, batch in enumerate(slots):
            layout.write(entity, slot, batch)

    def write_bad(batch: Batch) -> None:
        if not len(batch):
            return
        layout.write_bad(batch)
        per_reason = bad_by_entity.setdefault(batch.entity, {})
        for reason in batch.reasons or []:
            per_reason[reason] = per_reason.get(reason, 0) + 1

    def write_chunk(chunk: dict, bad_messages: Batch | None) -> None:
        for entity in _CHUNK_ENTITIES:
            write_slots(entity, chunk[entity])
        if bad_messages is not None:
            write_bad(bad_messages)
        if bar is not None:
            bar.update(chunk["n_conversations"])
            bar.set_postfix(messages=f"{layout.rows_written['messages']:,}", refresh=False)

    # one writer thread: chunk k is rendered and written while chunk k+1 is generated
    # (numpy and pyarrow release the GIL); at most two chunks are in memory
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-data-writer")
    pending: Future | None = None
    try:
        for entity, slots in (("workspaces", world.workspaces), ("agents", world.agents)):
            write_slots(entity, slots)
            counts[entity] += len(slots[1])
        first_chunk: dict[str, Batch] | None = None  # its current records: for bad records
        done, chunk_index = 0, 0
        while done < conversations:
            n = min(chunk_size, conversations - done)
            chunk = generate_chunk(world, seed, chunk_index, n, next_ids)
            for entity in _CHUNK_ENTITIES:
                counts[entity] += len(chunk[entity][1])
            bad_messages = None
            if share > 0:
                bad_messages = chunk_bad_messages(world, seed, chunk_index, chunk, share,
                                                  next_ids)
            if first_chunk is None:
                first_chunk = {entity: chunk[entity][1]
                               for entity in ("conversations", "messages", "mentions")}
            if pending is not None:
                pending.result()
            pending = pool.submit(write_chunk, chunk, bad_messages)
            del chunk, bad_messages
            done += n
            chunk_index += 1
        nps = generate_nps(world, seed, conversations, next_ids)
        counts["nps_responses"] += len(nps[1])
        if pending is not None:
            pending.result()
        write_slots("nps_responses", nps)
        if bad_records and first_chunk is not None:
            for batch in default_bad_records(bad_records_rng, world, first_chunk, nps[1],
                                             counts, next_ids):
                write_bad(batch)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        if bar is not None:
            bar.close()
        files = layout.close(progress=bar is not None)

    summary = _summary(out, seed, fmt, files_per_day, world, counts, layout, files,
                       bad_by_entity, elapsed=time.perf_counter() - started)
    marker = {k: v for k, v in summary.items() if k not in ("bad_record_list", "timezones")}
    (out / MARKER_FILE).write_text(json.dumps(marker, indent=2, sort_keys=True) + "\n")
    return summary


def _summary(out: Path, seed: int, fmt: str, files_per_day: bool, world: World,
             counts: dict[str, int], layout: FileLayout, files: dict[str, int],
             bad_by_entity: dict[str, dict[str, int]], elapsed: float) -> dict:
    """What generate() returns (and, without the bad record list and time zones, what the
    marker file holds)."""
    bad_total = {reason: 0 for reason in REASONS}
    for per_reason in bad_by_entity.values():
        for reason, k in per_reason.items():
            bad_total[reason] += k
    bad_list = layout.bad_record_list
    return {
        "out_dir": str(out),
        "seed": seed,
        "format": fmt,
        "files_per_day": files_per_day,
        "date_range": {"start": world.start.isoformat(), "end": world.end.isoformat(),
                       "days": world.days},
        "counts": counts,
        "rows_written": dict(layout.rows_written),
        "files": files,
        "bad_records": bad_total,
        "bad_records_total": sum(bad_total.values()),
        "bad_records_by_entity": bad_by_entity,
        "bad_record_list": bad_list if len(bad_list) <= 1000 else None,
        "timezones": {format_id("ws", w): (None if world.workspace_zone_null[w]
                                           else world.zone_names[world.workspace_zone[w]])
                      for w in range(min(world.workspace_count, 50))},
        "elapsed_seconds": round(elapsed, 2),
    }


def _int_argument(name: str, value: Any, low: int, high: int) -> int:
    try:
        if isinstance(value, bool):
            raise TypeError
        number = operator.index(value)
    except TypeError:
        raise DemoDataError(f"{name} must be an integer, got {value!r}") from None
    if not low <= number <= high:
        raise DemoDataError(f"{name} must be from {low:,} to {high:,}, got {number:,}")
    return number


def _parse_end_date(end_date: dt.date | str | None) -> dt.date:
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
