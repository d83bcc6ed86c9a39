"""The README's "dbt directly" commands work as written, after `make demo`.

The commands run verbatim in bash, in a mirror of the repository (a folder of symlinks to its
files, without `data/`, `target/` and `logs/`): `$PWD/data/...` and dbt's `target/` then land in
the mirror and leave the checkout alone. A demo warehouse is laid in the mirror's
`data/warehouse` first (the worked example's build, as `make demo` leaves a build there):
the commands must not touch it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import duckdb
import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {"data", "target", "logs", ".git", ".pytest_cache", ".ruff_cache"}


def readme_dbt_commands() -> str:
    text = (ROOT / "README.md").read_text()
    section = text[text.index("### dbt directly"):]
    match = re.search(r"```\n(.*?)```", section, re.S)
    assert match, "no code block in the README's dbt section"
    return match.group(1)


@pytest.fixture(scope="module")
def ran(tmp_path_factory) -> dict:
    mirror = tmp_path_factory.mktemp("readme") / "ochre-analytics"
    mirror.mkdir()
    for entry in ROOT.iterdir():
        if entry.name not in SKIP:
            (mirror / entry.name).symlink_to(entry)
    demo = mirror / "data" / "warehouse"
    demo.mkdir(parents=True)
    con = duckdb.connect(str(demo / "ochre.duckdb"))
    con.execute("create table demo_marker as select 42 as answer")
    con.close()
    before = (demo / "ochre.duckdb").read_bytes()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCHRE_", "DBT_", "VIRTUAL_ENV"))}
    env["PATH"] = "/usr/local/bin:/usr/bin:/bin"  # no venv on the PATH: the README says how
    script = "set -euo pipefail\n" + readme_dbt_commands()
    proc = subprocess.run(
        ["bash", "-c", script], cwd=mirror, env=env, capture_output=True, text=True,
        timeout=1800, check=False,
    )
    return {"proc": proc, "mirror": mirror, "demo_before": before,
            "demo_after": (demo / "ochre.duckdb").read_bytes()}


def test_the_readme_says_how_dbt_is_on_the_path():
    commands = readme_dbt_commands()
    assert commands.startswith("source .venv/bin/activate\n")
    assert "export OCHRE_WAREHOUSE_DIR=$PWD/data/worked-example" in commands


def test_the_readme_dbt_commands_run_as_written(ran):
    proc = ran["proc"]
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    out = proc.stdout
    assert out.count("Completed successfully") == 2
    assert re.search(r"Done\. PASS=\d+ WARN=0 ERROR=0", out)
    assert out.count("PASS freshness of landing.") == 6
    assert "Catalog written to" in out


def test_the_worked_example_has_its_own_warehouse(ran):
    mirror = ran["mirror"]
    assert ran["demo_after"] == ran["demo_before"]  # the demo's build database untouched
    example = mirror / "data" / "worked-example" / "ochre.duckdb"
    con = duckdb.connect(str(example), read_only=True)
    try:
        rows = con.execute(
            "select count(*), min(as_of_date) from agent_leaderboard"
        ).fetchone()
    finally:
        con.close()
    assert rows[0] > 0 and str(rows[1]) == "2026-11-20"
    catalog = json.loads((mirror / "target" / "catalog.json").read_text())
    assert "model.ochre_analytics.agent_leaderboard" in catalog["nodes"]
