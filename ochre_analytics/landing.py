"""Checks on the landing folder before a run: it exists, it holds records, its files read."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

ENTITIES = (
    "workspaces",
    "agents",
    "conversations",
    "messages",
    "csat_responses",
    "mentions",
    "nps_responses",
)
OPTIONAL_ENTITIES = ("nps_responses",)
SUFFIXES = (".jsonl", ".jsonl.gz", ".parquet")


class LandingError(RuntimeError):
    """The landing folder cannot be read as a landing set."""


@dataclass
class EntityFiles:
    entity: str
    files: list[Path] = field(default_factory=list)
    ignored: list[Path] = field(default_factory=list)

    @property
    def total_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.files)

    @property
    def newest_mtime(self) -> dt.datetime | None:
        if not self.files:
            return None
        ts = max(f.stat().st_mtime for f in self.files)
        return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


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


def _check_readable(path: Path) -> None:
    if not os.access(path, os.R_OK):
        raise LandingError(f"cannot read landing file {path}: permission denied")
    try:
        if path.name.endswith(".parquet"):
            import pyarrow.parquet as pq

            pq.read_metadata(path)
        elif path.name.endswith(".gz"):
            with gzip.open(path, "rb") as handle:
                while handle.read(1 << 20):
                    pass
        else:
            with open(path, "rb") as handle:
                handle.read(1)
    except (OSError, EOFError, ValueError) as exc:
        raise LandingError(f"cannot read landing file {path}: {exc}") from exc
    except Exception as exc:  # pyarrow raises its own error types
        raise LandingError(f"cannot read landing file {path}: {exc}") from exc


def inspect_landing(
    landing_dir: Path, *, check_files: bool = True, checked_cache: Path | None = None
) -> dict[str, EntityFiles]:
    """List every entity's files; raise LandingError when the set cannot be used.

    With `checked_cache` (a JSON file, kept in the warehouse folder), a file that read
    before, with the same size and modification time, is not read again: landing files
    are never rewritten in place, so a nightly run checks only what landed since. The
    cache is written only after every file read.
    """
    if not landing_dir.exists():
        raise LandingError(f"landing folder {landing_dir} does not exist")
    if not landing_dir.is_dir():
        raise LandingError(f"landing folder {landing_dir} is not a folder")
    found = {entity: list_entity_files(landing_dir, entity) for entity in ENTITIES}
    if not any(found[e].files for e in ENTITIES):
        raise LandingError(
            f"landing folder {landing_dir} holds no landing files "
            f"(expected {', '.join(e + '/' for e in ENTITIES)} with "
            f"{', '.join('*' + s for s in SUFFIXES)})"
        )
    if check_files:
        known = _read_checked(checked_cache, landing_dir)
        checked: dict[str, list[int]] = {}
        for entity_files in found.values():
            for path in entity_files.files:
                key = path.relative_to(landing_dir).as_posix()
                stat = path.stat()
                signature = [stat.st_size, stat.st_mtime_ns]
                if known.get(key) != signature:
                    _check_readable(path)
                checked[key] = signature
        _write_checked(checked_cache, landing_dir, checked)
    return found


def _read_checked(cache: Path | None, landing_dir: Path) -> dict[str, list[int]]:
    """The files a previous run found readable (empty when there is no usable cache)."""
    if cache is None or not cache.is_file():
        return {}
    try:
        data = json.loads(cache.read_text())
    except (OSError, ValueError):
        return {}  # unreadable or half-written: check every file again
    if not isinstance(data, dict) or data.get("landing_dir") != str(landing_dir.resolve()):
        return {}
    files = data.get("files")
    return files if isinstance(files, dict) else {}


def _write_checked(cache: Path | None, landing_dir: Path, files: dict[str, list[int]]) -> None:
    if cache is None:
        return
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        tmp = cache.with_name(cache.name + ".tmp")
        tmp.write_text(json.dumps({"landing_dir": str(landing_dir.resolve()), "files": files}))
        tmp.replace(cache)
    except OSError:
        pass  # only a cache: the next run checks every file again
