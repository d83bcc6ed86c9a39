"""Start a program that dies with the process that started it.

``python -I -S child.py <parent pid> <program> [<argument> ...]`` asks Linux to send this
process SIGKILL when its parent dies (``prctl(PR_SET_PDEATHSIG)``), then becomes
`program` (``execvp``: same process, so the setting holds for it). The pipeline starts dbt
through it (``resources.py``): a run killed with ``kill -9`` takes its ``dbt build`` with
it, instead of leaving it running, re-parented, holding the build database's lock. When the
parent is already gone by the time the setting is made, nothing is started. Elsewhere than
Linux the program is started as is.

Run with ``-I -S``: it imports only ``ctypes``, ``os``, ``signal`` and ``sys``, and starts
in a few milliseconds.
"""

import ctypes
import os
import signal
import sys

PR_SET_PDEATHSIG = 1


def main(argv: list[str]) -> None:
    parent = int(argv[1])
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: no parent-death signal
        pass
    if os.getppid() != parent:  # the parent died before the signal was set up
        os._exit(1)
    os.execvp(argv[2], argv[2:])


if __name__ == "__main__":
    main(sys.argv)
