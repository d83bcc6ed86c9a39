"""Read a published file with whatever DuckDB this interpreter has (the tests run it in the
DuckDB 1.1.3 venv that `make duckdb113` creates) and print what it found as JSON.

    python tests/duckdb_reader.py PUBLISHED_FILE < queries.json

Opens the file read-only, lists every table and view of schema main with its comment and
its columns' comments, reads every row of each, and runs the named queries given on stdin
(a JSON object name -> SQL; empty input: none). Depends on nothing but `duckdb`.
"""

from __future__ import annotations

import json
import sys

import duckdb


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> dict[str, list]:
    cur = con.execute(sql)
    return {
        "columns": [d[0] for d in cur.description],
        "rows": [list(r) for r in cur.fetchall()],
    }


def main(path: str) -> dict[str, object]:
    raw = sys.stdin.read().strip()
    queries = json.loads(raw) if raw else {}
    con = duckdb.connect(path, read_only=True)
    try:
        con.execute("SET TimeZone = 'UTC'")
        relations: dict[str, dict[str, object]] = {}
        found = con.execute(
            "SELECT table_name, 'table', comment FROM duckdb_tables() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "UNION ALL SELECT view_name, 'view', comment FROM duckdb_views() "
            "WHERE database_name = current_database() AND schema_name = 'main' "
            "AND NOT internal ORDER BY 1"
        ).fetchall()
        for name, kind, comment in found:
            columns = con.execute(
                "SELECT column_name, data_type, comment FROM duckdb_columns() "
                "WHERE database_name = current_database() AND schema_name = 'main' "
                "AND table_name = ? ORDER BY column_index",
                [name],
            ).fetchall()
            relations[name] = {
                "kind": kind,
                "comment": comment,
                "columns": {c: {"type": t, "comment": text} for c, t, text in columns},
                "rows": rows(con, f'SELECT * FROM main."{name}" ORDER BY ALL')["rows"],
            }
        results = {name: rows(con, sql) for name, sql in queries.items()}
    finally:
        con.close()
    return {"duckdb_version": duckdb.__version__, "relations": relations, "queries": results}


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: duckdb_reader.py PUBLISHED_FILE < queries.json")
    json.dump(main(sys.argv[1]), sys.stdout, default=str)
