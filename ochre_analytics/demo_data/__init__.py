"""Synthetic landing sets that follow ``spec/landing.md``.

``generate()`` writes a landing folder (``workspaces/ agents/ conversations/ messages/
csat_responses/ mentions/ nps_responses/``) and returns a summary. Everything is built
column-wise with numpy and written with pyarrow (Parquet) or a vectorised JSON Lines
renderer, a chunk of conversations at a time, so memory stays bounded and two million
conversations take well under a minute.

Record content depends only on the seed and the size arguments (``conversations``,
``workspaces``, ``days``, ``end_date``, ``bad_records``, ``bad_message_share``), never on the
file layout: the same seed gives the same records in every format.

The model, per workspace (each in its own timezone, one with a null timezone):

* 4-12 agents: one owner, one or two admins, the rest agents; one or two are deactivated
  mid-window (first exported as ``active``, re-exported later as ``deactivated``).
* conversations, in local business hours (a few around local midnight, across DST changes):
  AI-first ones the AI agent resolves alone, AI ones with a ``handoff`` (by ``system`` or the
  ``ai_agent``) followed by a human reply, human-only ones, agent-initiated ones. Customers
  sometimes write twice before a reply, teammates join later, internal notes @mention
  teammates (a ``mentions`` row per mentioned agent, pointing at the note).
* CSAT on about 30 % of closed conversations (some re-rated later), NPS per workspace.
* re-exports: a conversation is exported when it opens and again when it changes; some
  records are re-exported later with a newer ``updated_at``; some arrive 1-3 days late.
* nothing is dated outside the local dates ``end_date - days + 1 .. end_date``.

Bad records (only ever in JSON Lines files) are counted per reason in the summary.

Modules: ``records`` (entities, column layouts, ``Batch``), ``world`` (workspaces, time
zones, agents), ``conversations`` (conversations, messages, CSAT, mentions, NPS),
``bad_records``, ``rendering`` (Arrow tables, JSON Lines text), ``writers`` (file layout,
landing files, the output folder), ``landing_set`` (the whole run) and ``cli``
(``demo-data``). Only this module's names are the package's interface.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os

from . import cli
from .landing_set import write_landing_set
from .records import ENTITIES, FORMATS, REASONS, DemoDataError
from .records import LAYOUT as _LAYOUT  # noqa: F401 - read by the tests
from .records import MARKER_FILE as MARKER_FILE
from .writers import PART_SUFFIX as _PART_SUFFIX  # noqa: F401 - read by the tests

__all__ = [
    "ENTITIES",
    "FORMATS",
    "REASONS",
    "DemoDataError",
    "add_parser",
    "generate",
    "run",
]

# Conversations per generation chunk. Read when generate() is called, so that tests can
# shrink it (monkeypatch demo_data._CHUNK); generate() and run() live here, not in a
# submodule, for that reason (no submodule imports the package).
_CHUNK = 250_000


def generate(
    out_dir: str | os.PathLike,
    *,
    conversations: int | None = None,
    workspaces: int = 4,
    days: int = 120,
    seed: int = 42,
    fmt: str = "mixed",
    end_date: dt.date | str | None = None,
    bad_records: bool = True,
    bad_message_share: float | None = None,
    files_per_day: bool = False,
    progress: bool = True,
) -> dict:
    """Write a synthetic landing set to `out_dir` and return a summary.

    `conversations` defaults to 4 per workspace per day (1 920 for the defaults). The data
    covers the local dates ``end_date - days + 1 .. end_date`` (end_date defaults to
    yesterday, UTC) in every workspace's timezone. `fmt` is ``jsonl``, ``jsonl.gz``,
    ``parquet`` or ``mixed`` (every entity spread over files of all three formats).
    `bad_records` adds a few rejected-on-purpose records (at least one per reason, well under
    1 % per entity for the default sizes), `bad_message_share` adds that share of bad
    messages on top (0.05 makes a set that must not publish). Bad records are only ever
    written to JSON Lines files (with ``fmt="parquet"``: an extra ``<entity>-003.jsonl``, or
    ``<day>.jsonl`` with `files_per_day`). With `files_per_day` each entity is written as one
    file per UTC date of ``updated_at``: ``<entity>/<YYYY-MM-DD>.<ext>``.
    """
    return write_landing_set(
        out_dir, conversations=conversations, workspaces=workspaces, days=days, seed=seed,
        fmt=fmt, end_date=end_date, bad_records=bad_records,
        bad_message_share=bad_message_share, files_per_day=files_per_day, progress=progress,
        chunk_size=_CHUNK)


def add_parser(subparsers) -> argparse.ArgumentParser:
    """Register ``demo-data`` on an argparse subparsers object."""
    parser = cli.build_parser(subparsers)
    parser.set_defaults(func=run)
    return parser


def run(args: argparse.Namespace) -> int:
    """Handler for ``ochre-analytics demo-data``: prints a summary; 2 on bad input."""
    return cli.run_command(args, generate)
