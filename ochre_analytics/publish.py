"""Publish: copy the audited marts into ``published/leaderboard.duckdb`` atomically.

The new file is written next to the old one under a temporary name, flushed to
disk, and swapped in with ``os.replace`` (an atomic rename on POSIX). A reader
with the old file open keeps reading the old file; a new connection sees the new
one; a failure at any point before the rename leaves the old file byte-identical.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import duckdb

from .config import PUBLISHED_TABLES, Settings

EMAIL_PATTERN = r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
FORBIDDEN_COLUMNS = {"email", "email_address", "phone", "phone_number"}


class PublishError(RuntimeError):
    """The published file could not be written; the previous one is unchanged."""


def _before_swap(tmp_path: Path) -> None:
    """Hook for fault-injection tests; does nothing in production."""


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _quote(path: Path) -> str:
    return str(path).replace("'", "''")


def check_no_personal_data(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    """Refuse to publish a column named like personal data or a value that is an email."""
    for table in tables:
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'main' and table_name = ?",
            [table],
        ).fetchall()
        for name, dtype in columns:
            if name.lower() in FORBIDDEN_COLUMNS:
                raise PublishError(f"refusing to publish personal data: {table}.{name}")
            if dtype.upper() == "VARCHAR":
                hits = con.execute(
                    f'select count(*) from main."{table}" '
                    f'where regexp_matches("{name}", \'{EMAIL_PATTERN}\')'
                ).fetchone()[0]
                if hits:
                    raise PublishError(
                        f"refusing to publish personal data: {table}.{name} holds "
                        f"{hits} email address(es)"
                    )


def publish(
    settings: Settings,
    as_of: dt.date,
    *,
    tables: tuple[str, ...] = PUBLISHED_TABLES,
    extra_statements: tuple[str, ...] = (),
) -> Path:
    """Copy `tables` from the build database into a new published file and swap it in."""
    source = settings.warehouse_db
    if not source.exists():
        raise PublishError(f"build database {source} does not exist: nothing to publish")
    target = settings.published_db
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    for leftover in (tmp, Path(str(tmp) + ".wal")):
        leftover.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            con.execute(f"attach '{_quote(source)}' as build (read_only)")
            for table in tables:
                con.execute(f'create table main."{table}" as select * from build.main."{table}"')
            con.execute(
                "create table main.publish_metadata as select "
                "cast(? as date) as as_of_date, "
                "cast(? as timestamptz) as published_at, "
                "cast(? as varchar) as engine",
                [as_of.isoformat(), dt.datetime.now(dt.UTC), settings.target],
            )
            for statement in extra_statements:
                con.execute(statement)
            con.execute("detach build")
            _create_visibility(con)
            check_no_personal_data(con, list(tables))
            con.execute("checkpoint")
        finally:
            con.close()
        _fsync(tmp)
        _before_swap(tmp)
        os.replace(tmp, target)
        _fsync(target.parent)
    except PublishError:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        message = re.sub(r"\s+", " ", str(exc)).strip()
        raise PublishError(f"publish failed, previous published file kept: {message}") from exc
    finally:
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return target


def _create_visibility(con: duckdb.DuckDBPyConnection) -> None:
    """The BI visibility view (ochre_api.visibility), created inside the new file."""
    from ochre_api.visibility import create_visibility_view

    create_visibility_view(con)
