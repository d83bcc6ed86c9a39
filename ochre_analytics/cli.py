"""``ochre-analytics``: run the pipeline, make demo data, look at the published leaderboard."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from typing import NoReturn

from .config import ConfigError, Settings, parse_as_of
from .errors import PipelineError, disk_full_line, is_disk_full
from .lock import WarehouseBusy, hold_warehouse
from .windows import DEFAULT_PERIOD, leaderboard_windows

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_BUSY = 75
"""Another run holds the warehouse (EX_TEMPFAIL of sysexits.h: try again later)."""
EXIT_INTERRUPTED = 130


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        landing_dir=getattr(args, "landing", None),
        warehouse_dir=getattr(args, "warehouse", None),
        target=getattr(args, "target", None),
        rejected_threshold=getattr(args, "rejected_threshold", None),
        deep_checks=True if getattr(args, "deep_checks", False) else None,
    )


def cmd_run(args: argparse.Namespace) -> int:
    settings = _settings(args)
    as_of = parse_as_of(args.as_of)
    # one run per warehouse: taken before anything else, held until the run has ended
    with hold_warehouse(settings.warehouse_dir, owner="ochre-analytics run"):
        from .pipeline import run_pipeline  # Dagster is imported once a run starts

        run_pipeline(settings, as_of, full_refresh=args.full_refresh)
    return EXIT_OK


def cmd_leaderboard(args: argparse.Namespace) -> int:
    from .report import render_leaderboard

    settings = _settings(args)
    if not settings.published_db.exists():
        raise ConfigError(
            f"nothing published yet at {settings.published_db}: run `ochre-analytics run` first"
        )
    print(render_leaderboard(settings.published_db, args.period, args.workspace))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ochre-analytics",
        description="Ochre agent-leaderboard pipeline (dbt + DuckDB, Dagster, Great Expectations).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = sub.add_parser("run", help="build, validate and publish the leaderboard for a date")
    run.add_argument("--landing", metavar="DIR",
                     help="landing folder (env OCHRE_LANDING_DIR, default ./data/landing)")
    run.add_argument("--warehouse", metavar="DIR",
                     help="warehouse folder (env OCHRE_WAREHOUSE_DIR, default ./data/warehouse)")
    run.add_argument("--as-of", metavar="YYYY-MM-DD",
                     help="local as-of date (default: yesterday, UTC)")
    run.add_argument("--target", choices=["duckdb", "spark"],
                     help="dbt target (env DBT_TARGET, default duckdb)")
    run.add_argument("--full-refresh", action="store_true",
                     help="rebuild incremental models from all landed data")
    run.add_argument("--deep-checks", action="store_true",
                     help="also run the dbt tests tagged `deep` and the unit tests (they "
                          "re-scan the landing files and message-grain tables; env "
                          "OCHRE_DEEP_CHECKS=1)")
    run.add_argument("--rejected-threshold", type=float, metavar="SHARE",
                     help="largest rejected share per entity that still publishes "
                          "(env OCHRE_REJECTED_THRESHOLD, default 0.01)")
    run.set_defaults(func=cmd_run)

    board = sub.add_parser("leaderboard", help="print the published leaderboard")
    board.add_argument("--period", type=int, choices=leaderboard_windows(), default=DEFAULT_PERIOD,
                       help="window in days (seeds/leaderboard_windows.csv)")
    board.add_argument("--workspace", metavar="ID", help="only this workspace")
    board.add_argument("--warehouse", metavar="DIR",
                       help="warehouse folder (env OCHRE_WAREHOUSE_DIR, default ./data/warehouse)")
    board.set_defaults(func=cmd_leaderboard)

    try:
        from .demo_data import add_parser as add_demo_parser
    except ImportError:  # pragma: no cover - demo data module is part of the package
        add_demo_parser = None
    if add_demo_parser is not None:
        add_demo_parser(sub)

    try:
        from ochre_api.cli import add_parsers as add_api_parsers
    except ImportError:  # pragma: no cover
        add_api_parsers = None
    if add_api_parsers is not None:
        add_api_parsers(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    from .landing import LandingError

    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, LandingError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except WarehouseBusy as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    except PipelineError as exc:
        if len(exc.lines) == 1:  # one finding: one line
            print(f"error: {exc.step} failed, nothing published: {exc.lines[0]}", file=sys.stderr)
            return EXIT_FAILED
        print(f"error: {exc.step} failed, nothing published:", file=sys.stderr)
        for line in exc.lines:
            print(f"  {line}", file=sys.stderr)
        return EXIT_FAILED
    except KeyboardInterrupt:
        print("error: interrupted, nothing published", file=sys.stderr)
        return EXIT_INTERRUPTED
    except Exception as exc:  # noqa: BLE001 - one line, no traceback, for every other failure
        if os.environ.get("OCHRE_DEBUG"):
            raise
        if is_disk_full(exc):
            line = disk_full_line([str(exc)]) or "disk full: no space left on device"
            print(f"error: {line}", file=sys.stderr)
            return EXIT_FAILED
        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"error: {type(exc).__name__}: {message} (set OCHRE_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return EXIT_FAILED


def console_main() -> NoReturn:
    """The ``ochre-analytics`` command: :func:`main`, then the process exits.

    Before exiting, the objects left in memory (the Dagster job, dbt's manifest, Great
    Expectations' context) are moved out of the garbage collector's reach (``gc.freeze``):
    the interpreter's last collection over them took about 2 s of every run and frees
    nothing anyone reads. Files are closed and logs flushed by then; tests that call
    :func:`main` in their own process keep the collector as it was.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    console_main()
