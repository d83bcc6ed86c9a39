"""What a dbt build says: a progress line per finished node, one line per failure."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TextIO


class ProgressPrinter:
    """Prints one line per finished dbt node: index, kind, name, status, seconds."""

    EVENTS = {"LogModelResult": "model", "LogTestResult": "test", "LogSeedResult": "seed"}

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.tests: dict[str, int] = {}

    def __call__(self, event: dict) -> None:
        info = event.get("info", {})
        kind = self.EVENTS.get(info.get("name", ""))
        if kind is None:
            return
        data = event.get("data", {})
        node = data.get("node_info", {})
        status = str(data.get("status") or node.get("node_status") or "").upper()
        if kind == "test":
            # hundreds of tests: count the passes, show only what did not pass
            self.tests[status] = self.tests.get(status, 0) + 1
            if status == "PASS":
                return
        took = float(data.get("execution_time") or 0.0)
        total = data.get("total") or data.get("num_models") or 0
        index = data.get("index") or 0
        print(
            f"  [{index:>3}/{total}] {kind:<5} {node.get('node_name', '?'):<45} "
            f"{status:<6} {took:6.2f}s",
            file=self.stream,
            flush=True,
        )

    def summary(self) -> str:
        if not self.tests:
            return "no dbt tests ran"
        return "dbt tests: " + ", ".join(
            f"{count} {status.lower()}" for status, count in sorted(self.tests.items())
        )


def failures_from_run_results(path: Path) -> list[str]:
    """One line per failed model or test of dbt's ``run_results.json``: kind, name, status,
    message."""
    if not path.exists():
        return []
    try:
        results = json.loads(path.read_text()).get("results", [])
    except (OSError, json.JSONDecodeError):
        return []
    lines = []
    for res in results:
        status = str(res.get("status", "")).lower()
        if status in ("error", "fail", "runtime error"):
            unique_id = res.get("unique_id", "?")
            kind, _, rest = unique_id.partition(".")
            name = rest.split(".", 1)[-1]
            message = " ".join(str(res.get("message") or "").split())
            lines.append(f"{kind} {name}: {status}: {message}")
    return lines
