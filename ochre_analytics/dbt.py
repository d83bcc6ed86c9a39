"""Run dbt against the repository's project and profile."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from .config import PROJECT_DIR, Settings


@dataclass
class DbtOutcome:
    success: bool
    failures: list[str] = field(default_factory=list)
    """One line per failed model or test: resource, name, message."""
    exception: str | None = None


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


def dbt_executable() -> str:
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def run_dbt(
    args: Sequence[str],
    settings: Settings,
    *,
    dbt_vars: dict[str, object] | None = None,
    callbacks: Sequence[Callable[[dict], None]] = (),
    target_path: Path | None = None,
) -> DbtOutcome:
    """Run ``dbt <args>`` on the project in a child process with the settings' environment.

    A child process, not dbtRunner: dbt-duckdb keeps its database open for the
    life of the process, and the audit must read the build database afterwards.
    """
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    target_path = target_path or settings.warehouse_dir / "dbt_target"
    cli_args = [
        dbt_executable(),
        "--log-format",
        "json",
        "--log-path",
        str(settings.warehouse_dir / "logs"),
        *args,
        "--project-dir",
        str(PROJECT_DIR),
        "--profiles-dir",
        str(PROJECT_DIR),
        "--target",
        settings.target,
        "--target-path",
        str(target_path),
    ]
    if dbt_vars:
        cli_args += ["--vars", json.dumps(dbt_vars)]
    env = {**os.environ, **settings.dbt_env()}
    errors: list[str] = []
    proc = subprocess.Popen(
        cli_args,
        cwd=PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert proc.stdout is not None
    for raw in proc.stdout:
        try:
            event = json.loads(raw)
        except json.JSONDecodeError:
            if raw.strip():
                errors.append(raw.strip())
            continue
        if event.get("info", {}).get("level") == "error":
            msg = str(event["info"].get("msg", "")).strip()
            if msg:
                errors.append(" ".join(msg.split()))
        for callback in callbacks:
            callback(event)
    code = proc.wait()
    outcome = DbtOutcome(success=code == 0)
    outcome.failures = _failures_from_run_results(target_path / "run_results.json")
    if not outcome.success and not outcome.failures:
        outcome.exception = errors[-1] if errors else f"dbt exited with code {code}"
    return outcome


def _failures_from_run_results(path: Path) -> list[str]:
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
