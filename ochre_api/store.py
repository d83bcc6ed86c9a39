"""Read-only access to the published DuckDB file.

Every request opens its own connection and closes it before the response is
sent, so nothing holds the file between requests and a publish (``os.replace``
of a new file over the old one) never disturbs a reader: a request that opened
the old file keeps reading the old inode until it closes, and the next request
opens the new one.

Why ``ATTACH ... (READ_ONLY)`` on a private in-memory database instead of
``duckdb.connect(path, read_only=True)``: the Python client caches database
instances by *path*. While any connection to the old file is still open, a new
``duckdb.connect(path)`` returns that cached instance and so reads the old file
even after the swap. ATTACH opens the file that is at the path *now*, in a
database instance of its own, read-only.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

ALIAS = "published"


class PublishedUnavailable(Exception):
    """The published file is missing or unreadable; the message is one line."""


class PublishedDB:
    """One open, read-only view of one published file (one inode)."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cur = self._con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        found = self.rows(sql, params)
        return found[0] if found else None


class PublishedStore:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)

    @contextmanager
    def open(self) -> Iterator[PublishedDB]:
        if not self.path.is_file():
            raise PublishedUnavailable(
                "the leaderboard has not been published yet; try again after the next pipeline run"
            )
        con = duckdb.connect(":memory:", config={"threads": 1})
        try:
            try:
                quoted = str(self.path.resolve()).replace("'", "''")
                con.execute(f"ATTACH '{quoted}' AS {ALIAS} (READ_ONLY)")
                con.execute(f"USE {ALIAS}")
                con.execute("SET TimeZone = 'UTC'")
            except duckdb.Error as exc:
                # A file that vanished between the check and the attach, or is not
                # a DuckDB database at all.
                first_line = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                raise PublishedUnavailable(
                    f"the published leaderboard could not be opened: {first_line}"
                ) from exc
            yield PublishedDB(con)
        finally:
            con.close()
