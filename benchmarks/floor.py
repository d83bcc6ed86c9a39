"""Run the floor query (benchmarks/floor.sql) in this process and write its result.

    python benchmarks/floor.py --landing DIR --as-of YYYY-MM-DD --out leaderboard.parquet

The harness (benchmarks/run.py) starts this as a fresh process, so the floor pays for
its own interpreter and DuckDB start, as the pipeline does. DuckDB gets the pipeline's
settings: OCHRE_DUCKDB_THREADS and OCHRE_DUCKDB_MEMORY_LIMIT through
``ochre_analytics.config.Settings``, TimeZone UTC, preserve_insertion_order false and
parquet_metadata_cache on, as in ``profiles.yml``. The database is in memory; spills go
to --temp-dir.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import time
from pathlib import Path
from string import Template

FLOOR_SQL = Path(__file__).with_name("floor.sql")


def _literal(text: str) -> str:
    return text.replace("'", "''")


def render(landing: str | Path, as_of: dt.date) -> str:
    """floor.sql with the landing folder and the as-of date filled in."""
    landing_path = str(Path(landing).resolve()).rstrip("/")
    return Template(FLOOR_SQL.read_text()).substitute(
        landing=_literal(landing_path), as_of=f"date '{as_of.isoformat()}'"
    )


def connect(threads: int, memory_limit: str, temp_dir: str | Path | None = None):
    import duckdb

    config = {
        "threads": threads,
        "memory_limit": memory_limit,
        "preserve_insertion_order": False,
    }
    if temp_dir is not None:
        Path(temp_dir).mkdir(parents=True, exist_ok=True)
        config["temp_directory"] = str(temp_dir)
    con = duckdb.connect(":memory:", config=config)
    # after connect: the icu and parquet extensions load on use
    con.execute("set TimeZone = 'UTC'")
    con.execute("set parquet_metadata_cache = true")
    return con


def run_floor(landing: str | Path, as_of: dt.date, out: str | Path,
              temp_dir: str | Path | None = None) -> int:
    """Compute the floor leaderboard into the Parquet file `out`; returns its row count."""
    from ochre_analytics.config import Settings

    settings = Settings.from_env()
    con = connect(settings.duckdb_threads, settings.duckdb_memory_limit, temp_dir)
    try:
        sql = render(landing, as_of)
        target = _literal(str(Path(out).resolve()))
        rows = con.execute(f"copy ({sql}) to '{target}' (format parquet)").fetchone()
        return int(rows[0]) if rows else 0
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--landing", required=True, metavar="DIR")
    parser.add_argument("--as-of", required=True, metavar="YYYY-MM-DD")
    parser.add_argument("--out", required=True, metavar="FILE")
    parser.add_argument("--temp-dir", metavar="DIR", help="where DuckDB may spill")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run_floor(args.landing, dt.date.fromisoformat(args.as_of), args.out, args.temp_dir)
    print(f"floor: {rows} leaderboard rows in {time.perf_counter() - started:.2f}s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    sys.exit(main())
