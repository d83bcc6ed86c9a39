"""Publish: copy the audited marts into ``published/leaderboard.duckdb`` atomically.

The new file is written next to the old one under a temporary name, flushed to
disk, and swapped in with ``os.replace`` (an atomic rename on POSIX). A reader
with the old file open keeps reading the old file; a new connection sees the new
one; a failure at any point before the rename leaves the old file byte-identical.

The file is written in DuckDB's ``v1.0.0`` storage format
(:data:`STORAGE_COMPATIBILITY_VERSION`), so DuckDB 1.0 and later open it: BI tools
bundle their own DuckDB, most of them a 1.x (docs/bi.md). Every table, view and column
carries a comment: the marts' come from the build database, where dbt wrote the model
YAML descriptions (``persist_docs``); each history table gets its mart's; the ones of
``publish_metadata`` and the visibility view are written where those are created.

The history tables (``config.HISTORY_TABLES``: every audited as-of date's
``agent_leaderboard`` and ``team_kpis``) live in the warehouse database.
:func:`record_history` writes the current as-of date's rows there; it runs only
after the audit passed (write-audit-publish), right before :func:`publish`,
which copies them into the published file with the marts.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb

from . import progress
from .config import HISTORY_TABLES, PUBLISH_TABLES, Settings
from .warehouse import stale_temp_files

STORAGE_COMPATIBILITY_VERSION = "v1.0.0"
"""DuckDB storage format of the published file: ``v1.0.0`` (storage version 64) is read by
DuckDB 1.0 and later; the default of DuckDB 2.x (``latest``) only by 2.x."""

PUBLISH_METADATA_COMMENTS = {
    "": "**Published.** One row: which as-of date this published file holds, when the "
    "publish step wrote it and which engine built it.",
    "as_of_date": "The as-of local date D of the marts in this file: every window ends on it.",
    "published_at": "When the publish step wrote this file (UTC).",
    "engine": "The engine that built the marts: `duckdb` or `spark`.",
}
"""Comments of ``publish_metadata`` (created here, not by dbt): "" is the table's."""

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


def _literal(text: str) -> str:
    """A SQL string literal of `text`."""
    return "'" + text.replace("'", "''") + "'"


def comment_on(
    con: duckdb.DuckDBPyConnection, table: str, comments: dict[str, str], *, kind: str = "table"
) -> None:
    """Set the comments of `table` (a ``kind``: table or view) in the current database:
    ``comments[""]`` on the relation, every other key on that column."""
    for column, text in comments.items():
        if column == "":
            con.execute(f'comment on {kind} main."{table}" is {_literal(text)}')
        else:
            con.execute(f'comment on column main."{table}"."{column}" is {_literal(text)}')


def _history_comment(history: str, mart: str, mart_comment: str | None) -> str:
    lead = (
        f"**Published.** History of `{mart}`: its rows of every as-of date the pipeline "
        "audited and published, one set per as-of date (`as_of_date`), appended by the "
        f"publish step. `{history}` holds the current as-of date's rows too."
    )
    return f"{lead}\n\n`{mart}`: {mart_comment}" if mart_comment else lead


def _copy_comments(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...], source: str) -> None:
    """Carry the comments of `tables` from database `source` (the build database, where dbt
    wrote them) to the same tables of the current database; a history table gets those of
    its mart. A table or column without a comment in `source` stays without one."""
    for table in tables:
        mart = HISTORY_TABLES.get(table, table)
        found = con.execute(
            "select comment from duckdb_tables() "
            "where database_name = ? and schema_name = 'main' and table_name = ?",
            [source, mart],
        ).fetchone()
        comments: dict[str, str] = {}
        table_comment = found[0] if found else None
        if table in HISTORY_TABLES:
            comments[""] = _history_comment(table, mart, table_comment)
        elif table_comment:
            comments[""] = table_comment
        published_columns = {
            name
            for (name,) in con.execute(
                "select column_name from duckdb_columns() where database_name = "
                "current_database() and schema_name = 'main' and table_name = ?",
                [table],
            ).fetchall()
        }
        for name, comment in con.execute(
            "select column_name, comment from duckdb_columns() "
            "where database_name = ? and schema_name = 'main' and table_name = ? "
            "order by column_index",
            [source, mart],
        ).fetchall():
            if comment and name in published_columns:
                comments[name] = comment
        comment_on(con, table, comments)


def check_no_personal_data(
    con: duckdb.DuckDBPyConnection,
    tables: list[str],
    *,
    value_filters: dict[str, tuple[str, list[object]]] | None = None,
) -> None:
    """Refuse to publish a column named like personal data or a value that is an email.

    ``value_filters`` maps a table to a ``(where clause, parameters)`` limiting the value
    scan (the history tables: only the new as-of date's rows, the older ones were
    scanned when they were first published).
    """
    value_filters = value_filters or {}
    for table in tables:
        where, params = value_filters.get(table, ("true", []))
        columns = con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = 'main' and table_name = ?",
            [table],
        ).fetchall()
        for name, _ in columns:
            if name.lower() in FORBIDDEN_COLUMNS:
                raise PublishError(f"refusing to publish personal data: {table}.{name}")
        text = [name for name, dtype in columns if dtype.upper() == "VARCHAR"]
        if not text:
            continue
        # One scan per table, a count per text column.
        counts = ", ".join(
            f"count(*) filter (where regexp_matches(\"{name}\", '{EMAIL_PATTERN}'))"
            for name in text
        )
        found = con.execute(f'select {counts} from main."{table}" where ({where})', params)
        for name, hits in zip(text, found.fetchone(), strict=True):
            if hits:
                raise PublishError(
                    f"refusing to publish personal data: {table}.{name} holds "
                    f"{hits} email address(es)"
                )


def staged_path(settings: Settings, key: str) -> Path:
    """The candidate published file that :func:`stage_marts` writes for the run `key`."""
    target = settings.published_db
    return target.with_name(f".{target.name}.staged-{key}")


def remove_staged(settings: Settings) -> None:
    """Remove every staged candidate file (a run that stopped before its publish)."""
    folder = settings.published_db.parent
    if folder.is_dir():
        for path in folder.glob(f".{settings.published_db.name}.staged-*"):
            path.unlink(missing_ok=True)


def _new_published_file(path: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(
        str(path), config={"storage_compatibility_version": STORAGE_COMPATIBILITY_VERSION}
    )


def _marts(tables: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(t for t in tables if t not in HISTORY_TABLES)


def _copy_table(con: duckdb.DuckDBPyConnection, table: str, db: str) -> None:
    con.execute(f'create table main."{table}" as select * from {db}.main."{table}"')


def stage_marts(
    settings: Settings,
    as_of: dt.date,
    key: str,
    *,
    tables: tuple[str, ...] = PUBLISH_TABLES,
    threads: int = 1,
) -> Path | None:
    """Write the marts of `tables` into the candidate published file of the run `key`.

    The part of :func:`publish` that does not wait for the audit: the marts are copied from
    the build database (with their comments) and checked for personal data, while the
    audit reads the same database; nothing is swapped in here, and :func:`publish` only
    adds the history tables to the candidate once the gate has passed. With a newer date
    already published, publish keeps that file's marts: nothing is staged (None).
    """
    source = settings.warehouse_db
    current = published_as_of(settings.published_db)
    if not source.exists() or (current is not None and current > as_of):
        return None
    path = staged_path(settings, key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    marts = _marts(tables)
    try:
        con = _new_published_file(path)
        try:
            con.execute(f"set threads = {int(threads)}")
            con.execute(f"attach '{_quote(source)}' as build (read_only)")
            for table in marts:
                _copy_table(con, table, "build")
            _copy_comments(con, marts, "build")
            con.execute("detach build")
            check_no_personal_data(con, list(marts))
            con.execute("checkpoint")
        finally:
            con.close()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    finally:
        Path(str(path) + ".wal").unlink(missing_ok=True)
    return path


@contextlib.contextmanager
def staging_marts(settings: Settings, as_of: dt.date, key: str) -> Iterator[None]:
    """Run :func:`stage_marts` in a thread for the duration of the block (the audit).

    DuckDB copies without the GIL on a core the audit (single-threaded Python) leaves
    free. The candidate stays only when the block ends normally; a staging that failed
    leaves none, and :func:`publish` then copies the marts itself (and reports what made
    the staging fail, e.g. personal data).
    """
    def stage() -> None:
        with contextlib.suppress(Exception):
            stage_marts(settings, as_of, key)

    remove_staged(settings)
    worker = threading.Thread(
        target=stage,
        name="stage-published-marts",
        daemon=True,
    )
    worker.start()
    try:
        yield
    except BaseException:
        worker.join()
        remove_staged(settings)
        raise
    worker.join()


def publish(
    settings: Settings,
    as_of: dt.date,
    *,
    tables: tuple[str, ...] = PUBLISH_TABLES,
    extra_statements: tuple[str, ...] = (),
    keep_newer: bool = True,
    staged: Path | None = None,
) -> Path:
    """Copy `tables` from the build database into a new published file and swap it in.

    History tables (``HISTORY_TABLES``) come from ``settings.history_db`` (the same file as
    the build database on the duckdb target); :func:`record_history` must have run first.
    With `keep_newer`, publishing an as-of date older than the one already published (a
    backfill of past dates) only brings the history up to date: the marts and
    ``publish_metadata.as_of_date`` of the newer published date are kept. With `staged`
    (:func:`stage_marts` of the same build, when it exists), the marts are already in
    that file: it becomes the new file, and only the rest is added.
    """
    source = settings.warehouse_db
    if not source.exists():
        raise PublishError(f"build database {source} does not exist: nothing to publish")
    history_source = settings.history_db
    separate_history = history_source.resolve() != source.resolve() and any(
        t in HISTORY_TABLES for t in tables
    )
    target = settings.published_db
    target.parent.mkdir(parents=True, exist_ok=True)
    current = published_as_of(target) if keep_newer else None
    keep_current = current is not None and current > as_of
    published_date = current if keep_current else as_of
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    # this process's own leftovers, and those of publishes whose process is gone (a run
    # killed while it wrote the file): they are never swapped in
    for leftover in (tmp, Path(str(tmp) + ".wal"), *stale_temp_files(target.parent)):
        leftover.unlink(missing_ok=True)
    use_staged = staged is not None and staged.exists() and not keep_current
    staged_marts = _marts(tables) if use_staged else ()
    copied = tuple(t for t in tables if t not in staged_marts)
    try:
        if use_staged:
            os.replace(staged, tmp)  # type: ignore[arg-type]
        elif staged is not None:
            staged.unlink(missing_ok=True)
        con = _new_published_file(tmp)
        try:
            con.execute(f"attach '{_quote(source)}' as build (read_only)")
            if separate_history:
                con.execute(f"attach '{_quote(history_source)}' as history (read_only)")
            if keep_current:
                con.execute(f"attach '{_quote(target)}' as current (read_only)")
            for table in copied:
                if table in HISTORY_TABLES:
                    db = "history" if separate_history else "build"
                else:
                    db = "current" if keep_current else "build"
                _copy_table(con, table, db)
            con.execute(
                "create table main.publish_metadata as select "
                "cast(? as date) as as_of_date, "
                "cast(? as timestamptz) as published_at, "
                "cast(? as varchar) as engine",
                [published_date.isoformat(), dt.datetime.now(dt.UTC), settings.target],
            )
            comment_on(con, "publish_metadata", PUBLISH_METADATA_COMMENTS)
            _copy_comments(con, copied, "build")
            for statement in extra_statements:
                con.execute(statement)
            con.execute("detach build")
            if separate_history:
                con.execute("detach history")
            if keep_current:
                con.execute("detach current")
            _create_visibility(con)
            check_no_personal_data(  # the staged marts were checked when staged
                con,
                list(copied),
                value_filters={
                    t: ("as_of_date = cast(? as date)", [as_of.isoformat()])
                    for t in tables
                    if t in HISTORY_TABLES
                },
            )
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


def published_as_of(path: Path) -> dt.date | None:
    """The as-of date of the published file at `path`; None when there is none (or unreadable)."""
    return _published_metadata(path, "max(as_of_date)")


def published_at(path: Path) -> dt.datetime | None:
    """When the published file at `path` was published; None when there is none (or unreadable).

    The rejected-share gate covers the landing files loaded after it (``data_checks``).
    """
    return _published_metadata(path, "max(published_at)")


def _published_metadata(path: Path, expression: str) -> Any:
    """One value of the published file's ``publish_metadata``; None when there is none.

    Read through ``:memory:`` + ``ATTACH ... (READ_ONLY)``, so no DuckDB instance of the
    published path stays open in this process (a later connection sees a swapped-in file).
    """
    if not path.exists():
        return None
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{_quote(path)}' as current (read_only)")
        return con.execute(f"select {expression} from current.main.publish_metadata").fetchone()[0]
    except duckdb.Error:
        return None
    finally:
        con.close()


def _create_visibility(con: duckdb.DuckDBPyConnection) -> None:
    """The BI visibility view (ochre_api.visibility), created inside the new file."""
    from ochre_api.visibility import create_visibility_view

    create_visibility_view(con)


def record_history(settings: Settings, as_of: dt.date) -> dict[str, int]:
    """Write the audited marts' rows of `as_of` into the history tables; rows per table.

    Call only after the audit of `as_of` passed. The history tables live in
    ``settings.history_db``; the marts are read from ``settings.warehouse_db`` (the same
    file on the duckdb target, the Spark export on the spark target). The rows of `as_of`
    are replaced in one transaction, so a rerun of a date is idempotent. Refuses when the
    marts hold another as-of date (e.g. a dbt run in between).

    The build database is derived data and may be lost (deleted, or moved aside as damaged
    by a full refresh); the history a user has seen is not. So the as-of dates the published
    file's history holds and the warehouse's does not are carried over from the published
    file first, in the same transaction (a progress line says how many). When the warehouse
    holds no history at all and the published file cannot be read, nothing is recorded:
    recording would start the history anew and the next publish would drop the old one.
    """
    source = settings.warehouse_db
    target = settings.history_db
    if not source.exists():
        raise PublishError(f"build database {source} does not exist: no history to record")
    target.parent.mkdir(parents=True, exist_ok=True)
    same_file = target.exists() and target.resolve() == source.resolve()
    rows: dict[str, int] = {}
    try:
        con = duckdb.connect(str(target))
        try:
            marts = "main"
            if not same_file:
                con.execute(f"attach '{_quote(source)}' as build (read_only)")
                marts = "build.main"
            for mart in HISTORY_TABLES.values():
                dates = [
                    r[0]
                    for r in con.execute(
                        f'select distinct as_of_date from {marts}."{mart}" order by 1'
                    ).fetchall()
                ]
                if any(d != as_of for d in dates):
                    shown = ", ".join(str(d) for d in dates)
                    raise PublishError(
                        f"{mart} holds as-of {shown}, not {as_of}: history not recorded"
                    )
            published = _attach_published_history(con, settings.published_db)
            con.execute("begin transaction")
            carried: set[dt.date] = set()
            for history, mart in HISTORY_TABLES.items():
                con.execute(
                    f'create table if not exists main."{history}" as '
                    f'select * from {marts}."{mart}" limit 0'
                )
                _add_new_mart_columns(con, history, marts, mart)
                if history in published:
                    carried |= _carry_history(con, history, as_of)
                con.execute(
                    f'delete from main."{history}" where as_of_date = cast(? as date)',
                    [as_of.isoformat()],
                )
                con.execute(
                    f'insert into main."{history}" by name select * from {marts}."{mart}"'
                )
                rows[history] = con.execute(
                    f'select count(*) from main."{history}" where as_of_date = cast(? as date)',
                    [as_of.isoformat()],
                ).fetchone()[0]
            con.execute("commit")
            if published:
                con.execute("detach published")
        finally:
            con.close()
    except PublishError:
        raise
    except Exception as exc:
        message = re.sub(r"\s+", " ", str(exc)).strip()
        raise PublishError(f"recording history for {as_of} failed: {message}") from exc
    if carried:
        first, last = min(carried), max(carried)
        span = f"{first}" if first == last else f"{first} .. {last}"
        progress.say(
            f"    history: {len(carried)} as-of date(s) ({span}) carried over from the "
            f"published file into {target.name}, which did not hold them"
        )
    return rows


def _own_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    """The column names of ``main.<table>`` in the warehouse's own database."""
    return {
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = current_database() "
            "and schema_name = 'main' and table_name = ?",
            [table],
        ).fetchall()
    }


def _add_new_mart_columns(
    con: duckdb.DuckDBPyConnection, history: str, marts: str, mart: str
) -> None:
    """Add to the history table the columns its mart has gained since the table was made
    (e.g. ``csat_ci_low``): older as-of dates keep null there, as they were published."""
    database, _, schema = marts.rpartition(".")
    own = _own_columns(con, history)
    for name, data_type in con.execute(
        "select column_name, data_type from duckdb_columns() where database_name = "
        + ("current_database()" if not database else "?")
        + " and schema_name = ? and table_name = ? order by column_index",
        [*([database] if database else []), schema, mart],
    ).fetchall():
        if name not in own:
            con.execute(f'alter table main."{history}" add column "{name}" {data_type}')


def _attach_published_history(con: duckdb.DuckDBPyConnection, published: Path) -> set[str]:
    """Attach the published file as ``published`` (read-only); the history tables it holds.

    Raises PublishError when the file exists but cannot be read and the warehouse holds no
    history of its own (the published file is then the only copy)."""
    if not published.exists():
        return set()
    try:
        con.execute(f"attach '{_quote(published)}' as published (read_only)")
    except duckdb.Error as exc:
        own = con.execute(
            "select count(*) from duckdb_tables() where database_name = current_database() "
            "and schema_name = 'main' and table_name in ("
            + ", ".join(_literal(t) for t in HISTORY_TABLES) + ")"
        ).fetchone()[0]
        if own:
            progress.say(f"    warning: the history of {published} was not read (it cannot be "
                         "opened); the warehouse's own history is kept")
            return set()
        message = re.sub(r"\s+", " ", str(exc)).strip()
        raise PublishError(
            f"the build database holds no history and the published file {published} cannot "
            f"be read ({message}): history not recorded, so as not to lose it; move the "
            "published file aside to start a new history"
        ) from exc
    return {
        name
        for (name,) in con.execute(
            "select table_name from duckdb_tables() where database_name = 'published' "
            "and schema_name = 'main'"
        ).fetchall()
        if name in HISTORY_TABLES
    }


def _carry_history(con: duckdb.DuckDBPyConnection, history: str, as_of: dt.date) -> set[dt.date]:
    """Copy the rows of every as-of date the published `history` holds and the warehouse's
    does not (but `as_of`, recorded next); the dates copied. Columns are matched by name."""
    own = _own_columns(con, history)
    theirs = [
        name
        for (name,) in con.execute(
            "select column_name from duckdb_columns() where database_name = 'published' "
            "and schema_name = 'main' and table_name = ? order by column_index",
            [history],
        ).fetchall()
        if name in own
    ]
    if "as_of_date" not in theirs:
        return set()
    missing = (
        f'from published.main."{history}" where as_of_date <> cast(? as date) and as_of_date '
        f'not in (select distinct as_of_date from main."{history}")'
    )
    dates = {
        d for (d,) in con.execute(f"select distinct as_of_date {missing}", [as_of.isoformat()])
        .fetchall()
    }
    if dates:
        columns = ", ".join(f'"{c}"' for c in theirs)
        con.execute(
            f'insert into main."{history}" ({columns}) select {columns} {missing}',
            [as_of.isoformat()],
        )
    return dates


def empty_windows_note(settings: Settings, as_of: dt.date) -> str | None:
    """A line for the run's output when no window of `as_of` holds any activity (an as-of
    date before the first landed record, or long after the last): the marts are then rows of
    zeros, which is right but easy to take for a broken run. None when there is activity."""
    source = settings.warehouse_db
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{_quote(source)}' as build (read_only)")
        window, activity = con.execute(
            "select max(period_days), coalesce(sum(conversations_replied "
            "+ ai_handled_conversations + csat_responses + nps_responses), 0) "
            "from build.main.team_kpis where period_days = "
            "(select max(period_days) from build.main.team_kpis)"
        ).fetchone()
        if activity:
            return None
        facts = con.execute(
            "select count(*) from duckdb_tables() where database_name = 'build' "
            "and table_name = 'fct_conversation_activity'"
        ).fetchone()[0]
        first = last = None
        if facts:
            first, last = con.execute(
                "select min(activity_date), max(activity_date) "
                "from build.main.fct_conversation_activity"
            ).fetchone()
    except duckdb.Error:
        return None
    finally:
        con.close()
    empty = "every window is empty, so the leaderboard of that date is all zeros"
    if not facts:
        return f"no activity in the {window or 0} days to {as_of}: {empty}"
    if first is None:
        return f"no landed activity at all as of {as_of}: {empty}"
    if as_of < first:
        return f"as of {as_of} is before the first landed activity ({first}): {empty}"
    return (
        f"no activity in the {window or 0} days to {as_of} (the last landed activity is on "
        f"{last}): {empty}"
    )
