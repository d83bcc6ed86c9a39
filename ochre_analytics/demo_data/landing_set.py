"""Writing a whole landing set: world, chunks of conversations, bad records, summary."""

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

import numpy as np

from .bad_records import _MESSAGE_REASONS, _bad_messages, _default_bad, _with_agent
from .conversations import _gen_chunk, _gen_nps
from .records import (
    ENTITIES,
    FORMATS,
    MARKER_FILE,
    REASONS,
    DemoDataError,
    _Batch,
    _Counters,
    _fmt_id,
)
from .rendering import _Render
from .sampling import _rng
from .world import _build_world
from .writers import _Layout, _prepare_out

_MAX_CONVERSATIONS = 99_000_000
_MAX_WORKSPACES = 90_000


def _default_conversations(workspaces: int, days: int) -> int:
    return 4 * workspaces * days


def write_landing_set(
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
    chunk_size: int,
) -> dict:
    """``generate()``, with `chunk_size` conversations per generation chunk."""
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
            n = min(chunk_size, conversations - done)
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
