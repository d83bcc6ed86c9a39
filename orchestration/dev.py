"""``make dev``: ``dagster dev`` on the warehouse's Dagster instance, stopped whole by Ctrl-C.

``python -m orchestration.dev [--port N] [--host H] [other dagster dev options]``

- The instance is the warehouse's (``DAGSTER_HOME``, else ``<warehouse>/dagster``, with the
  repository's ``dagster.yaml``: ``ochre_analytics.config.prepare_dagster_home``), the one
  ``ochre-analytics run`` records its runs in: the UI lists the runs of ``make demo``.
- ``dagster dev`` and everything it starts (webserver, daemon, code servers, run workers,
  their step processes, dbt) run in a process group of their own. Ctrl-C (SIGINT), SIGTERM
  or SIGHUP here sends SIGINT to that whole group, as a terminal's Ctrl-C does, waits for
  ``dagster dev`` to shut its services down, then ends whatever is left of the group
  (SIGTERM, then SIGKILL). A shell that starts ``make dev &`` ignores SIGINT in it, and an
  ignored signal is inherited: ``dagster dev`` then waited forever on children that ignored
  the SIGINT it sends them on shutdown. This process handles the signals, and a handled
  signal is reset to its default when ``dagster dev`` is started.
- Dagster's code servers listen on unix sockets in the temporary folder and leave them
  there when they stop, and ``dagster dev`` leaves its ``workspace.yaml`` there: it gets
  a private temporary folder (``TMPDIR``, ``ochre-dev-*`` in the system's), removed once
  its group has stopped.
- ``dagster dev`` is superseded by ``dg dev`` (package ``dagster-dg-cli``), which needs the
  repository laid out as a ``dg`` project; this code location is a plain module
  (``-m orchestration.definitions``), so ``make dev`` keeps ``dagster dev`` and silences its
  one superseded-command warning.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence

import psutil

from ochre_analytics.config import PROJECT_DIR, Settings, prepare_dagster_home
from ochre_analytics.pipeline import CODE_LOCATION

SHUTDOWN_SECONDS = 60.0
"""How long ``dagster dev`` gets to stop its services after the SIGINT."""
TERMINATE_SECONDS = 10.0
"""How long what is left of the group gets between SIGTERM and SIGKILL."""
SUPERSEDED_WARNING = "ignore:Function `dev_command` is superseded"


def dagster_dev_command(args: Sequence[str]) -> list[str]:
    return [
        sys.executable, "-W", SUPERSEDED_WARNING, "-m", "dagster", "dev",
        "-m", CODE_LOCATION, *args,
    ]


def group_members(pgid: int) -> list[psutil.Process]:
    """The live (not zombie) processes of process group `pgid`."""
    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getpgid(proc.pid) == pgid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def _wait_for_group(pgid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not group_members(pgid):
            return True
        time.sleep(0.2)
    return not group_members(pgid)


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def stop_group(proc: subprocess.Popen, say: Callable[[str], None]) -> None:
    """SIGINT to the group of `proc`, wait for it, then SIGTERM and SIGKILL what is left."""
    pgid = proc.pid
    _signal_group(pgid, signal.SIGINT)
    try:
        proc.wait(SHUTDOWN_SECONDS)
    except subprocess.TimeoutExpired:
        say(f"dagster dev did not stop in {SHUTDOWN_SECONDS:.0f} s")
    if _wait_for_group(pgid, 5.0):
        return
    left = group_members(pgid)
    say(f"ending {len(left)} process(es) left behind: " + ", ".join(str(p.pid) for p in left))
    _signal_group(pgid, signal.SIGTERM)
    if not _wait_for_group(pgid, TERMINATE_SECONDS):
        _signal_group(pgid, signal.SIGKILL)
        _wait_for_group(pgid, 5.0)
    if proc.poll() is None:
        proc.wait()


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m orchestration.dev",
        description="dagster dev on the warehouse's Dagster instance (make dev).",
    )
    parser.add_argument("--port", "-p", type=int, default=3000)
    parser.add_argument("--host", default="127.0.0.1")
    args, rest = parser.parse_known_args(argv)
    settings = Settings.from_env()
    home = prepare_dagster_home(settings.warehouse_dir)

    def say(message: str) -> None:
        print(f"make dev: {message}", file=sys.stderr, flush=True)

    say(
        f"landing {settings.landing_dir}, warehouse {settings.warehouse_dir}, Dagster "
        f"instance {home}; UI at http://{args.host}:{args.port} (Ctrl-C stops it)"
    )
    stopping: list[int] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopping.append(signum)

    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, on_signal)
    with tempfile.TemporaryDirectory(prefix="ochre-dev-", ignore_cleanup_errors=True) as tmp:
        proc = subprocess.Popen(
            dagster_dev_command(["--host", args.host, "--port", str(args.port), *rest]),
            cwd=PROJECT_DIR,
            env={**os.environ, "DAGSTER_HOME": str(home), "TMPDIR": tmp},
            process_group=0,
        )
        try:
            while proc.poll() is None and not stopping:
                time.sleep(0.2)
        finally:
            stop_group(proc, say)
    if stopping:
        say(f"stopped ({signal.Signals(stopping[0]).name})")
        return 128 + stopping[0]
    return proc.returncode or 0


if __name__ == "__main__":
    sys.exit(main())
