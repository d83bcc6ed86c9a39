"""The ``demo-data`` subcommand."""

from __future__ import annotations

import argparse
import sys

from .records import ENTITIES, FORMATS, DemoDataError


def build_parser(subparsers) -> argparse.ArgumentParser:
    """Add ``demo-data`` and its flags to an argparse subparsers object."""
    p = subparsers.add_parser(
        "demo-data",
        help="write a synthetic landing set",
        description="Write a synthetic landing set (spec/landing.md) to --out.",
    )
    p.add_argument("--out", required=True, metavar="DIR",
                   help="landing folder to write (new, empty, or a previous demo set)")
    p.add_argument("--conversations", type=int, metavar="N",
                   help="number of conversations (default: 4 per workspace per day)")
    p.add_argument("--workspaces", type=int, default=4, metavar="W", help="default 4")
    p.add_argument("--days", type=int, default=120, metavar="D", help="default 120")
    p.add_argument("--seed", type=int, default=42, metavar="S", help="default 42")
    p.add_argument("--format", dest="fmt", choices=FORMATS, default="mixed",
                   help="file format (default mixed: all three)")
    p.add_argument("--end-date", metavar="YYYY-MM-DD",
                   help="last local date of the data (default: yesterday, UTC)")
    p.add_argument("--bad-message-share", type=float, metavar="F",
                   help="add this share of bad messages (e.g. 0.05: a set that must not publish)")
    p.add_argument("--files-per-day", action="store_true",
                   help="one file per entity and UTC day of updated_at (<entity>/<day>.<ext>)")
    p.add_argument("--no-bad-records", dest="bad_records", action="store_false",
                   help="do not add the few bad records")
    p.add_argument("--no-progress", dest="progress", action="store_false",
                   help=argparse.SUPPRESS)
    return p


def run_command(args: argparse.Namespace, generate) -> int:
    """Run ``demo-data`` with `generate`: prints a summary; 2 on bad input."""
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
    except DemoDataError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = exc.filename or args.out
        print(f"error: cannot write the landing set to {where}: {exc.strerror or exc}",
              file=sys.stderr)
        return 2
    c = summary["counts"]
    dr = summary["date_range"]
    bad = {k: v for k, v in summary["bad_records"].items() if v}
    print(f"wrote {summary['out_dir']} ({summary['format']}"
          f"{', files per day' if summary['files_per_day'] else ''}), "
          f"local dates {dr['start']}..{dr['end']}, {summary['elapsed_seconds']} s")
    print("  " + ", ".join(f"{e} {c[e]:,}" for e in ENTITIES))
    print(f"  bad records: {summary['bad_records_total']:,}"
          + (" (" + ", ".join(f"{k} {v:,}" for k, v in bad.items()) + ")" if bad else ""))
    return 0
