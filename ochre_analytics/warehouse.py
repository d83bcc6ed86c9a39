"""The warehouse folder before a run: the build database opens, and no leftovers remain.

The build database (``<warehouse>/ochre.duckdb``) is derived data: dbt rebuilds it from the
landing files. :func:`check_build_db` opens it read-only once, before the landing check
and dbt read it, and says in one line what is wrong with it:

- in use by another process (DuckDB allows one writer): a process that is about to end
  (the dbt of a run that was just killed) is waited for a few seconds; any other one is
  named (pid and command), since it is not a run of this warehouse (those hold the
  warehouse lock, :mod:`ochre_analytics.lock`);
- damaged (not a DuckDB file, truncated): the run stops naming the file, unless it is a
  full refresh, which moves the file aside (``ochre.duckdb.corrupt-<UTC time>``, never
  deleted) and rebuilds it from the landing files. The history a user has seen survives:
  ``publish.record_history`` carries it over from the published file.

:func:`remove_leftovers` removes what interrupted runs leave behind: the temporary files of
a publish (``published/.leaderboard.duckdb.<pid>.tmp`` and its ``.wal``) and of a repaired
landing copy, once the process that wrote them is gone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

from .config import Settings
from .errors import PipelineError
from .lock import pid_alive

BUSY_WAIT_SECONDS = 15.0
"""How long a run waits for another process to release the build database."""

_LOCK_HOLDER = re.compile(r"Conflicting lock is held in (.*?) \(PID (\d+)\)")


class BuildDatabaseError(PipelineError):
    """The build database cannot be used; one line says why and what to do."""

    def __init__(self, line: str) -> None:
        super().__init__("build", [line])


def check_build_db(
    settings: Settings,
    *,
    full_refresh: bool,
    say: Callable[[str], None] | None = None,
    wait_seconds: float = BUSY_WAIT_SECONDS,
) -> Path | None:
    """Raise :class:`BuildDatabaseError` unless the build database opens (or does not exist
    yet). With `full_refresh`, a damaged file is moved aside instead: its new path."""
    import duckdb

    path = settings.history_db
    deadline = time.monotonic() + wait_seconds
    waited = False
    while path.exists():
        try:
            duckdb.connect(str(path), read_only=True).close()
            return None
        except duckdb.Error as exc:
            message = " ".join(str(exc).split())
        holder = _LOCK_HOLDER.search(message)
        if holder is None:
            reason = _damage(message, path)
            if not full_refresh:
                raise BuildDatabaseError(
                    f"the build database {path} cannot be opened ({reason}); it holds only "
                    "derived data: run again with --full-refresh to move it aside and rebuild "
                    "it from the landing files (the history is carried over from the "
                    "published file)"
                )
            aside = move_aside(path)
            if say is not None:
                say(f"    the build database cannot be opened ({reason}): moved aside to "
                    f"{aside.name}; the full refresh rebuilds it from the landing files")
            return aside
        pid = int(holder.group(2))
        if pid_alive(pid) and time.monotonic() >= deadline:
            raise BuildDatabaseError(
                f"the build database {path} is in use by process {pid} ({_command(pid)}), "
                "which is not a run of this warehouse: let it finish or stop it, then run again"
            )
        if pid_alive(pid) and not waited and say is not None:
            say(f"    waiting for process {pid} to release the build database")
        waited = True
        time.sleep(0.2)
    return None


def _damage(message: str, path: Path) -> str:
    """What is wrong with the file, in words, from DuckDB's error."""
    if "not a valid DuckDB database file" in message:
        return "not a DuckDB database file"
    if "Could not read enough bytes" in message:
        return "truncated: shorter than its own catalog says"
    if "Permission denied" in message:
        return "permission denied"
    text = re.sub(r"^[A-Za-z ]*Error: ", "", message).replace(f'"{path}"', "the file")
    return text[:300]


def _command(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return "command unknown"
    command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    return command[:200] or "command unknown"


def move_aside(path: Path) -> Path:
    """Rename `path` (and its ``.wal``) to ``<name>.corrupt-<UTC time>``: kept, not deleted."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    os.replace(path, aside)
    wal = path.with_name(path.name + ".wal")
    if wal.exists():
        os.replace(wal, aside.with_name(aside.name + ".wal"))
    return aside


_TEMP_FILE = re.compile(r"^\..+\.(\d+)\.tmp(\.wal)?$")


def stale_temp_files(folder: Path) -> list[Path]:
    """The ``.<name>.<pid>.tmp`` files (and their ``.wal``) in `folder` whose process is gone."""
    if not folder.is_dir():
        return []
    stale = []
    for path in sorted(folder.iterdir()):
        match = _TEMP_FILE.match(path.name)
        if match and int(match.group(1)) != os.getpid() and not pid_alive(int(match.group(1))):
            stale.append(path)
    return stale


def remove_leftovers(settings: Settings) -> list[Path]:
    """Remove the temporary files interrupted runs left behind; the removed paths."""
    folders = [settings.published_db.parent]
    repairs = settings.landing_repairs_dir
    if repairs.is_dir():
        folders += [p for p in sorted(repairs.iterdir()) if p.is_dir()]
    removed = []
    for folder in folders:
        for path in stale_temp_files(folder):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed
