"""The ``demo-data`` subcommand: its flags, and running it (a summary on stdout, one error
line on stderr). The package's ``add_parser`` and ``run`` wire them to ``generate``."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Callable

from .business_calendar import write_business_calendar
from .records import ENTITIES, FORMATS, DemoDataError


def build_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``demo-data`` and its flags to an argparse subparsers object."""
    parser = subparsers.add_parser(
        "demo-data",
        help="write a synthetic landing set",
        description="Write a synthetic landing set (spec/landing.md) to --out.",
    )
    parser.add_argument("--out", required=True, metavar="DIR",
                        help="landing folder to write (new, empty, or a previous demo set)")
    parser.add_argument("--conversations", type=int, metavar="N",
                        help="number of conversations (default: 4 per workspace per day)")
    parser.add_argument("--workspaces", type=int, default=4, metavar="W", help="default 4")
    parser.add_argument("--days", type=int, default=120, metavar="D", help="default 120")
    parser.add_argument("--seed", type=int, default=42, metavar="S", help="default 42")
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default="mixed",
                        help="file format (default mixed: all three)")
    parser.add_argument("--end-date", metavar="YYYY-MM-DD",
                        help="last local date of the data (default: yesterday, UTC)")
    parser.add_argument("--bad-message-share", type=float, metavar="F",
                        help="add this share of bad messages "
                             "(e.g. 0.05: a set that must not publish)")
    parser.add_argument("--files-per-day", action="store_true",
                        help="one file per entity and UTC day of updated_at "
                             "(<entity>/<day>.<ext>)")
    parser.add_argument("--no-bad-records", dest="bad_records", action="store_false",
                        help="do not add the few bad records")
    parser.add_argument("--no-business-hours", dest="business_hours", action="store_false",
                        help="do not write business hours and holidays")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help=argparse.SUPPRESS)
    return parser


def run_command(args: argparse.Namespace, generate: Callable[..., dict]) -> int:
    """Run ``demo-data``: `generate` (the package's) with the flags' values, then print a
    summary; 2 on bad input."""
    try:
        summary = generate(
            args.out,
            conversations=args.conversations,
            workspaces=args.workspaces,
            days=args.days,
            seed=args.seed,
            fmt=args.fmt,
            end_date=args.end_date,
            bad_records=args.bad_records,
            bad_message_share=args.bad_message_share,
            files_per_day=args.files_per_day,
            progress=getattr(args, "progress", True),
        )
        calendar = None
        if getattr(args, "business_hours", True):
            calendar = write_business_calendar(
                args.out, list(summary["timezones"]),
                dt.date.fromisoformat(summary["date_range"]["start"]),
                dt.date.fromisoformat(summary["date_range"]["end"]))
    except DemoDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = exc.filename or args.out
        print(f"error: cannot write the landing set to {where}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    counts = summary["counts"]
    dates = summary["date_range"]
    bad = {k: v for k, v in summary["bad_records"].items() if v}
    print(f"wrote {summary['out_dir']} ({summary['format']}"
          f"{', files per day' if summary['files_per_day'] else ''}), "
          f"local dates {dates['start']}..{dates['end']}, {summary['elapsed_seconds']} s")
    print("  " + ", ".join(f"{entity} {counts[entity]:,}" for entity in ENTITIES))
    print(f"  bad records: {summary['bad_records_total']:,}"
          + (" (" + ", ".join(f"{k} {v:,}" for k, v in bad.items()) + ")" if bad else ""))
    if calendar is not None:
        print(f"  business hours: {calendar['business_hours']} intervals in "
              f"{calendar['workspaces_with_hours']} of {len(summary['timezones'])} workspaces, "
              f"{calendar['holidays']} holidays")
    return 0
