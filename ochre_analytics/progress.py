"""The progress lines of a run: ``==> step`` when a step starts, ``    step: 1.2s`` when it ends.

Written to ``sys.stderr`` as it is when the line is written: the terminal of
``ochre-analytics run`` (the job runs in its process), the compute logs of a run started by
the schedule or the Dagster UI.
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Iterator
from typing import TextIO


def say(line: str, out: TextIO | None = None) -> None:
    print(line, file=out or sys.stderr, flush=True)


def start(name: str, out: TextIO | None = None) -> float:
    """Print the start of step `name`; the clock to hand to :func:`finish`."""
    say(f"==> {name}", out)
    return time.monotonic()


def finish(name: str, started: float, out: TextIO | None = None) -> float:
    """Print how long step `name` took since `started`; the seconds."""
    took = time.monotonic() - started
    say(f"    {name}: {took:.1f}s", out)
    return took


@contextlib.contextmanager
def step(name: str, out: TextIO | None = None) -> Iterator[None]:
    started = start(name, out)
    try:
        yield
    finally:
        finish(name, started, out)
