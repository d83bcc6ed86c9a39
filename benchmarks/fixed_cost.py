"""The fixed cost of a run: ``ochre-analytics run`` on the 2-row worked example, by component.

    .venv/bin/python -m benchmarks.fixed_cost [--repeat 3] [--warm] [--repo DIR]

Each repetition is a fresh ``ochre-analytics run`` process on
``tests/fixtures/worked_example/landing`` as of 2026-11-20, into a fresh warehouse (as every
test's first run), or with ``--warm`` into the warehouse of the previous repetition (as a
nightly run). Reported per repetition and as the best of them (the least disturbed by other
work on a shared machine): wall time from starting the process to its exit, CPU time (user +
system of the process and its children, dbt included), and the components. ``--repo DIR``
runs the CLI of another checkout (e.g. an exported older commit) with this venv, to compare
two versions under the same machine load:

- ``interpreter``: ``python -c pass`` (measured apart);
- ``imports``: ``python -c "import ochre_analytics.cli"`` minus the interpreter;
- every ``==> step`` the run prints (loading the job, starting the run, checking the landing
  files, the build, the audit, the publish);
- within the build: ``dbt start-up and parse`` (the build step minus dbt's own
  ``elapsed_time``) and ``dbt nodes`` (``elapsed_time`` of ``run_results.json``);
- ``other``: the wall time no line above accounts for (argument parsing, interpreter exit).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LANDING = REPO / "tests" / "fixtures" / "worked_example" / "landing"
AS_OF = "2026-11-20"
_STEP_TOOK = re.compile(r"^    (?P<name>[^:]+): (?P<s>\d+(?:\.\d+)?)s$", re.M)


def _timed(cmd: list[str], env: dict[str, str], cwd: Path = REPO) -> tuple[float, float, str]:
    """Wall and CPU seconds (the process and its children) of `cmd`, and its stderr."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    return wall, cpu, proc.stderr


def _cli(repo: Path) -> list[str]:
    script = Path(sys.executable).with_name("ochre-analytics")
    if repo == REPO and script.exists():
        return [str(script)]
    return [sys.executable, "-m", "ochre_analytics.cli"]


def run_once(warehouse: Path, env: dict[str, str], repo: Path = REPO) -> dict[str, float]:
    cmd = [*_cli(repo), "run", "--landing", str(LANDING), "--warehouse", str(warehouse),
           "--as-of", AS_OF]
    wall, cpu, err = _timed(cmd, env, repo)
    row: dict[str, float] = {"wall": wall, "cpu": cpu}
    steps = {m["name"]: float(m["s"]) for m in _STEP_TOOK.finditer(err)}
    row.update(steps)
    results = warehouse / "dbt_target" / "run_results.json"
    build = next((v for k, v in steps.items() if k.startswith("build")), None)
    if build is not None and results.is_file():
        nodes = float(json.loads(results.read_text()).get("elapsed_time") or 0.0)
        row["dbt start-up and parse"] = build - nodes
        row["dbt nodes"] = nodes
    return row


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--warm", action="store_true",
                        help="every repetition reuses the warehouse of the one before")
    parser.add_argument("--repo", type=Path, default=REPO,
                        help="checkout whose CLI runs (default: this one)")
    args = parser.parse_args(argv)
    repo = args.repo.resolve()
    env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    env.pop("DAGSTER_HOME", None)
    if repo != REPO:
        env["PYTHONPATH"] = str(repo)
    python = [sys.executable]
    interp = min(_timed([*python, "-c", "pass"], env, repo)[:2] for _ in range(3))
    imports = min(
        _timed([*python, "-c", "import ochre_analytics.cli"], env, repo)[:2] for _ in range(3)
    )
    rows = []
    root = Path(tempfile.mkdtemp(prefix="ochre-fixed-cost-"))
    try:
        if args.warm:
            run_once(root / "warehouse", env, repo)  # not counted: builds the warm warehouse
        for n in range(args.repeat):
            warehouse = root / ("warehouse" if args.warm else f"warehouse-{n}")
            load = os.getloadavg()[0]
            row = run_once(warehouse, env, repo)
            row["load"] = load
            rows.append(row)
            print(f"run {n + 1}: wall {row['wall']:.2f} s, cpu {row['cpu']:.2f} s, "
                  f"load {load:.2f}", file=sys.stderr, flush=True)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    best = min(rows, key=lambda r: r["wall"])
    keys = [k for k in best if k not in ("wall", "cpu", "load")]
    accounted = sum(best[k] for k in keys if k not in ("dbt start-up and parse", "dbt nodes"))
    print(f"{'component':<32} {'best run (s)':>12}")
    print(f"{'interpreter (python -c pass)':<32} {interp[0]:>12.2f}")
    print(f"{'imports (ochre_analytics.cli)':<32} {imports[0] - interp[0]:>12.2f}")
    for key in keys:
        indent = "  " if key in ("dbt start-up and parse", "dbt nodes") else ""
        print(f"{indent + key:<32} {best[key]:>12.2f}")
    print(f"{'other (parse args, exit, ...)':<32} {best['wall'] - accounted - imports[0]:>12.2f}")
    print(f"{'wall':<32} {best['wall']:>12.2f}")
    print(f"{'cpu (user + sys, with dbt)':<32} {best['cpu']:>12.2f}")
    for name in ("wall", "cpu", "load"):
        print(f"{name} of each run: " + ", ".join(f"{r[name]:.2f}" for r in rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
