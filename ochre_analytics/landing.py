"""Checks on the landing folder before a run.

The folder exists and holds landing files; the files no run has loaded yet read (a corrupt
gzip or Parquet file is named before dbt starts); the files an earlier run loaded have not
changed since (landing files are immutable once landed: a changed file is an error naming it);
no symlink leads out of the folder. The landing contract (entities, columns) is the dbt source
``landing`` in ``dbt_project/models/staging/_sources.yml``: this module reads its entity list
from there.
"""

from __future__ import annotations

import datetime as dt
import functools
import gzip
import os
from dataclasses import dataclass, field
from pathlib import Path

from .config import PROJECT_DIR

SOURCES_YML = PROJECT_DIR / "dbt_project" / "models" / "staging" / "_sources.yml"
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")
LOAD_LOG_TABLE = "int_landing_files"
MAX_LINE_BYTES = 2_000_000
"""A JSON Lines line longer than this is a rejected record (DuckDB's reader stops at 2 MiB)."""
REPAIRED_SUFFIX = ".repaired.jsonl"
REJECT_MARKER = b"#ochre-reject: "
"""A line of a repaired copy that stands for a rejected line: the marker, then the reason
(a JSON line never starts with '#'). macros/landing.sql reads it."""


class LandingError(RuntimeError):
    """The landing folder cannot be read as a landing set."""


@functools.cache
def landing_tables() -> tuple[dict, ...]:
    """The tables of the dbt source ``landing`` (name, config.meta, columns), in YAML order."""
    import yaml

    with open(SOURCES_YML) as handle:
        sources = yaml.safe_load(handle)["sources"]
    landing = next(s for s in sources if s["name"] == "landing")
    return tuple(landing["tables"])


ENTITIES: tuple[str, ...] = tuple(t["name"] for t in landing_tables())
"""The landing entities, in the contract's order."""

OPTIONAL_ENTITIES: tuple[str, ...] = tuple(
    t["name"] for t in landing_tables() if t.get("config", {}).get("meta", {}).get("optional")
)
"""Entities whose folder may be missing (``nps_responses``)."""


@dataclass
class EntityFiles:
    """One entity folder: its landing files, the files it holds that are never read (another
    extension, hidden), and the files an earlier run loaded that are gone."""

    entity: str
    files: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)

    @property
    def newest_mtime(self) -> dt.datetime | None:
        if not self.files:
            return None
        ts = max(f.stat().st_mtime for f in self.files)
        return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


@dataclass(frozen=True)
class LoadedFile:
    """A file of the load log (``int_landing_files``): as it was when it was loaded."""

    size: int
    modified_at: dt.datetime
    loaded_at: dt.datetime


def is_landing_file(path: Path) -> bool:
    return path.is_file() and path.name.endswith(SUFFIXES) and not path.name.startswith(".")


def list_entity_files(landing_dir: Path, entity: str) -> EntityFiles:
    folder = landing_dir / entity
    found = EntityFiles(entity)
    if not folder.is_dir():
        return found
    for path in sorted(folder.iterdir()):
        if is_landing_file(path):
            found.files.append(path)
        elif path.is_file():
            found.ignored.append(path)
    return found


# Columns an incremental model gained after a build database could have been built: a nightly
# run on such a database would stop with dbt's schema-change error; say what to do instead.
INCREMENTAL_COLUMNS_ADDED = {
    "int_conversation_changes": ("business_calendar",),
    "int_first_response_samples": ("business_seconds",),
    "fct_agent_activity": ("first_response_business_seconds",),
    "fct_conversation_activity": ("first_response_business_seconds",),
}


def _check_incremental_columns(con, build_db: Path) -> None:
    """LandingError when an incremental table of the build database lacks a column this
    version writes (built by an earlier version): a full refresh rebuilds it."""
    columns = set(
        con.execute(
            "select table_name, column_name from information_schema.columns "
            "where table_schema = 'main'"
        ).fetchall()
    )
    tables = {table for table, _ in columns}
    for table, added in INCREMENTAL_COLUMNS_ADDED.items():
        missing = [c for c in added if table in tables and (table, c) not in columns]
        if missing:
            raise LandingError(
                f"{build_db} was built by an earlier version of ochre-analytics ({table} has "
                f"no {', '.join(missing)}): rebuild it once with --full-refresh"
            )


def loaded_files(build_db: Path) -> dict[str, LoadedFile]:
    """The load log of the build database (landing-relative path -> file as loaded); empty
    when the database or the table does not exist yet. Read through a read-only connection
    that is closed before dbt starts."""
    if not build_db.exists():
        return {}
    import duckdb

    try:
        con = duckdb.connect(str(build_db), read_only=True)
    except duckdb.Error as exc:
        raise LandingError(
            f"cannot read the load log in {build_db}: {' '.join(str(exc).split())}"
        ) from exc
    try:
        tables = {
            name
            for (name,) in con.execute(
                "select table_name from information_schema.tables where table_schema = 'main'"
            ).fetchall()
        }
        if LOAD_LOG_TABLE not in tables:
            if "int_messages_deduplicated" in tables:
                raise LandingError(
                    f"{build_db} was built by an earlier version of ochre-analytics (it has no "
                    "load log of landing files): rebuild it once with --full-refresh"
                )
            return {}
        _check_incremental_columns(con, build_db)
        rows = con.execute(
            f"select source_file, file_size_bytes, file_modified_at, loaded_at "
            f"from {LOAD_LOG_TABLE} where load_status = 'loaded'"
        ).fetchall()
    finally:
        con.close()
    return {path: LoadedFile(size, modified, loaded) for path, size, modified, loaded in rows}


def _check_readable(path: Path, repairs_dir: Path | None = None) -> None:
    """The file reads. A JSON Lines file is read line by line: when lines of it cannot be
    read as records (invalid UTF-8, longer than MAX_LINE_BYTES), a repaired copy with those
    lines replaced by a reject marker goes to `repairs_dir` (the warehouse's; the landing
    file itself is never written), so each is one rejected record and the rest loads."""
    if not os.access(path, os.R_OK):
        raise LandingError(f"cannot read landing file {path}: permission denied")
    faults: dict[int, str] | None = None
    try:
        if path.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            pq.read_metadata(path)
        else:
            faults = _json_line_faults(path)
    except gzip.BadGzipFile as exc:  # its message quotes the file's first bytes
        raise LandingError(f"cannot read landing file {path}: not a gzip file") from exc
    except (OSError, EOFError, ValueError) as exc:
        raise LandingError(f"cannot read landing file {path}: {exc}") from exc
    except Exception as exc:  # pyarrow raises its own error types
        raise LandingError(f"cannot read landing file {path}: {exc}") from exc
    if faults is not None and repairs_dir is not None:
        # a failure to write the copy (a full disk) is the warehouse's, not the file's
        _write_repair(path, faults, repairs_dir / path.parent.name)


def _open_lines(path: Path):
    return gzip.open(path, "rb") if path.name.endswith(".gz") else open(path, "rb")


def _json_line_faults(path: Path) -> dict[int, str]:
    """Line number -> why that line of a JSON Lines file cannot be read as a record."""
    faults: dict[int, str] = {}
    with _open_lines(path) as handle:
        for number, line in enumerate(handle, start=1):
            if len(line) > MAX_LINE_BYTES:
                faults[number] = f"line longer than {MAX_LINE_BYTES:,} bytes"
                continue
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                faults[number] = "line is not valid UTF-8"
    return faults


def repaired_copy(repairs_folder: Path, path: Path) -> Path:
    return repairs_folder / (path.name + REPAIRED_SUFFIX)


def _write_repair(path: Path, faults: dict[int, str], repairs_folder: Path) -> None:
    """The repaired copy of `path` (same lines, the faulty ones replaced by a reject
    marker), written atomically; none when the file has no fault."""
    target = repaired_copy(repairs_folder, path)
    if not faults:
        target.unlink(missing_ok=True)
        return
    repairs_folder.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    with _open_lines(path) as source, open(tmp, "wb") as out:
        for number, line in enumerate(source, start=1):
            if number in faults:
                out.write(REJECT_MARKER + faults[number].encode() + b"\n")
            else:
                out.write(line)
    os.replace(tmp, target)


def _check_unchanged(relative: str, path: Path, loaded: LoadedFile) -> None:
    stat = path.stat()
    modified = dt.datetime.fromtimestamp(stat.st_mtime_ns / 1e9, tz=dt.UTC)
    if stat.st_size == loaded.size and abs((modified - loaded.modified_at).total_seconds()) < 1e-3:
        return
    raise LandingError(
        f"landing file {relative} changed after it was loaded on "
        f"{loaded.loaded_at:%Y-%m-%d %H:%M} UTC (size {loaded.size} -> {stat.st_size} bytes, "
        f"modified {modified:%Y-%m-%d %H:%M:%S} UTC): landing files are immutable; restore it "
        "and land the change as a new file, or rebuild from every file with --full-refresh"
    )


def _refuse_symlinks_out(landing_dir: Path) -> None:
    """An entity folder, or a file in one, that is a symlink must lead to an existing path
    inside the landing folder (the landing folder itself may be a symlink: it is resolved)."""
    root = landing_dir.resolve()
    for entity in ENTITIES:
        folder = landing_dir / entity
        candidates = [folder, *(folder.iterdir() if folder.is_dir() else [])]
        for path in candidates:
            if not path.is_symlink():
                continue
            try:
                target = path.resolve(strict=True)
            except (OSError, RuntimeError) as exc:  # missing target, or a loop (3.11: Runtime)
                why = "a symlink loop" if "loop" in str(exc).lower() else (
                    f"a symlink to {os.readlink(path)}, which does not exist")
                raise LandingError(f"{path} is {why}: refused") from exc
            if target != root and root not in target.parents:
                raise LandingError(
                    f"{path} is a symlink to {target}, outside the landing folder: refused"
                )


def inspect_landing(
    landing_dir: Path,
    *,
    check_files: bool = True,
    build_db: Path | None = None,
    repairs_dir: Path | None = None,
) -> dict[str, EntityFiles]:
    """List every entity's files; raise LandingError when the set cannot be used.

    With `check_files`, the files no run has loaded yet (those not in the load log of
    `build_db`; every file without it) are read through (JSON Lines files with unreadable
    lines get a repaired copy in `repairs_dir`), and the files in the load log must be as
    they were loaded. Pass no `build_db` for a full refresh, which loads every file again.
    """
    if not landing_dir.exists():
        raise LandingError(f"landing folder {landing_dir} does not exist")
    if not landing_dir.is_dir():
        raise LandingError(f"landing folder {landing_dir} is not a folder")
    _refuse_symlinks_out(landing_dir)
    found = {entity: list_entity_files(landing_dir, entity) for entity in ENTITIES}
    if not any(found[e].files for e in ENTITIES):
        raise LandingError(
            f"landing folder {landing_dir} holds no landing files "
            f"(expected {', '.join(e + '/' for e in ENTITIES)} with "
            f"{', '.join('*' + s for s in SUFFIXES)})"
        )
    if check_files:
        loaded = loaded_files(build_db) if build_db is not None else {}
        present: set[str] = set()
        for entity_files in found.values():
            for path in entity_files.files:
                relative = path.relative_to(landing_dir).as_posix()
                present.add(relative)
                if relative in loaded:
                    _check_unchanged(relative, path, loaded[relative])
                else:
                    _check_readable(path, repairs_dir)
        for relative in sorted(set(loaded) - present):
            entity = relative.split("/", 1)[0]
            if entity in found:
                found[entity].removed.append(relative)
    return found


def landing_notes(found: dict[str, EntityFiles], landing_dir: Path) -> list[str]:
    """One line per file a run does not read or no longer finds, for the run's output."""
    lines = []
    for entity_files in found.values():
        for path in entity_files.ignored:
            why = "hidden file" if path.name.startswith(".") else "unrecognised extension"
            lines.append(
                f"not read: {path.relative_to(landing_dir).as_posix()} ({why}; landing files "
                f"end in {', '.join(SUFFIXES)})"
            )
        for relative in entity_files.removed:
            lines.append(
                f"gone: {relative} was loaded earlier and is no longer in the landing folder; "
                "its records stay in the warehouse until a --full-refresh"
            )
    return lines
