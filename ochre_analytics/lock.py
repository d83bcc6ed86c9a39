"""One run per warehouse: an exclusive lock on ``<warehouse>/.ochre-run.lock``.

A run writes the build database, the history and the published file of its warehouse; two
runs at once would fight over DuckDB's single writer. ``ochre-analytics run`` takes the lock
before anything else and gives up at once when another run holds it (:class:`WarehouseBusy`,
its own exit code); a Dagster run takes it for its whole duration (the ``warehouse_lock``
resource of the code location) and waits for it, so the CLI's runs and Dagster's runs
exclude each other.

The lock is an ``flock(2)`` on the lock file: the kernel releases it when the holder exits,
however it exits (``kill -9`` included), so a crashed run never leaves a stale lock. The
file holds who took it (pid, start time, what) for the message of the run that finds it
taken; it is never deleted (deleting a lock file races with the next holder). Within one
process the lock is re-entrant: the CLI holds it, and the job it runs in its own process
takes it again without waiting for itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .config import ConfigError

LOCK_FILE = ".ochre-run.lock"
"""The lock file's name inside the warehouse folder."""

_REGISTRY = threading.Lock()
_HELD: dict[Path, list[int]] = {}
"""Lock file -> [file descriptor, depth] of the locks this process holds."""


@dataclass(frozen=True)
class Holder:
    """Who holds (or last held) a warehouse lock, as it wrote into the lock file."""

    pid: int
    started_at: dt.datetime
    owner: str

    def describe(self) -> str:
        return f"{self.owner} (pid {self.pid}, started {self.started_at:%Y-%m-%d %H:%M:%S} UTC)"


class WarehouseBusy(RuntimeError):
    """Another run holds the warehouse."""

    def __init__(self, warehouse_dir: Path, holder: Holder | None) -> None:
        who = holder.describe() if holder else "another process"
        super().__init__(
            f"another run holds the warehouse {warehouse_dir}: {who}; "
            "run again when it has finished"
        )
        self.warehouse_dir = warehouse_dir
        self.holder = holder


def lock_path(warehouse_dir: Path) -> Path:
    return warehouse_dir / LOCK_FILE


def read_holder(warehouse_dir: Path) -> Holder | None:
    """The holder the lock file names (the last one to take it); None when it names none."""
    try:
        data = json.loads(lock_path(warehouse_dir).read_text() or "{}")
        return Holder(
            pid=int(data["pid"]),
            started_at=dt.datetime.fromisoformat(data["started_at"]),
            owner=str(data["owner"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _taken_by(warehouse_dir: Path, settle_seconds: float) -> Holder | None:
    """Who holds the lock this process just found taken. A process that has just taken it
    may not have written its record yet (the file is empty, or names an earlier holder that
    has exited): read again for up to `settle_seconds`."""
    deadline = time.monotonic() + settle_seconds
    while True:
        holder = read_holder(warehouse_dir)
        if (holder is not None and pid_alive(holder.pid)) or time.monotonic() >= deadline:
            return holder
        time.sleep(0.05)


def _write_holder(fd: int, owner: str) -> None:
    record = {
        "pid": os.getpid(),
        "started_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "owner": owner,
    }
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)


def _try_lock(fd: int) -> bool:
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextlib.contextmanager
def hold_warehouse(
    warehouse_dir: Path,
    *,
    owner: str,
    wait: bool = False,
    on_wait: Callable[[str], None] | None = None,
    poll_seconds: float = 1.0,
    settle_seconds: float = 2.0,
) -> Iterator[bool]:
    """Hold the lock of `warehouse_dir` (created when missing) inside the block.

    When another process holds it: raise :class:`WarehouseBusy`, or with `wait`, call
    `on_wait` once with a line saying whom it waits for and take the lock when it is free.
    Either names the holder from its record, waiting up to `settle_seconds` for a holder
    that has only just taken the lock to write it.
    Yields True when this call took the lock, False when this process held it already.
    """
    try:
        warehouse_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot use the warehouse folder {warehouse_dir}: {exc.strerror or exc}"
        ) from exc
    path = lock_path(warehouse_dir).resolve()
    with _REGISTRY:
        held = _HELD.get(path)
        if held is not None:
            held[1] += 1
    if held is not None:
        try:
            yield False
        finally:
            with _REGISTRY:
                held[1] -= 1
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        if not _try_lock(fd):
            if not wait:
                raise WarehouseBusy(warehouse_dir, _taken_by(warehouse_dir, settle_seconds))
            if on_wait is not None:
                holder = _taken_by(warehouse_dir, settle_seconds)
                who = holder.describe() if holder else "another process"
                on_wait(f"waiting for the warehouse {warehouse_dir}: {who} holds it")
            while not _try_lock(fd):
                time.sleep(poll_seconds)
        _write_holder(fd, owner)
        with _REGISTRY:
            _HELD[path] = [fd, 1]
        try:
            yield True
        finally:
            with _REGISTRY:
                del _HELD[path]
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """Whether a process `pid` exists (a zombie counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return True
