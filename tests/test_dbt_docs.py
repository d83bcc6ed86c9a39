"""dbt documentation and tests: `dbt build` and `dbt docs generate` on the worked example
run clean (no warnings, deprecations included), and every column of every model is
documented with a non-empty description, in the model's own YAML next to it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DBT = Path(sys.executable).with_name("dbt")
LANDING = ROOT / "tests" / "fixtures" / "worked_example" / "landing"
AS_OF = "2026-11-20"
PUBLISHED = (
    "agent_leaderboard", "team_kpis", "agent_daily_activity", "agent_low_csat_conversations",
    "conversation_summary", "agents", "workspaces", "rejected_records", "landing_file_loads",
)


def run_dbt(command: list[str], tmp: Path) -> tuple[int, list[dict]]:
    """Run `dbt <command>` on the worked example into tmp; return (exit code, log events)."""
    (tmp / "warehouse").mkdir(exist_ok=True)
    env = {
        **os.environ,
        "OCHRE_LANDING_DIR": str(LANDING),
        "OCHRE_WAREHOUSE_DIR": str(tmp / "warehouse"),
        "DBT_TARGET": "duckdb",
    }
    proc = subprocess.run(
        [
            str(DBT), *command,
            "--vars", json.dumps({"as_of_date": AS_OF}),
            "--target-path", str(tmp / "target"),
            "--log-path", str(tmp / "logs"),
            "--log-format", "json",
        ],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=1200, check=False,
    )
    events = []
    for line in (proc.stdout + proc.stderr).splitlines():
        try:
            events.append(json.loads(line)["info"])
        except (json.JSONDecodeError, KeyError, TypeError):
            if line.strip():
                events.append({"level": "unparsed", "name": "", "msg": line})
    return proc.returncode, events


def problems(events: list[dict]) -> list[str]:
    """Warnings (deprecations included) and errors, and any output that is not a log event."""
    return [
        f"{e.get('level')} {e.get('name')}: {e.get('msg')}"
        for e in events
        if e.get("level") in ("warn", "error", "unparsed")
    ]


@pytest.fixture(scope="module")
def dbt_docs(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("dbt_docs")
    target = tmp / "target"
    build = run_dbt(["build"], tmp)
    build_results = json.loads((target / "run_results.json").read_text())["results"]
    generate = run_dbt(["docs", "generate"], tmp)
    return {
        "tmp": tmp,
        "build": build,
        "build_results": build_results,
        "generate": generate,
        "manifest": json.loads((target / "manifest.json").read_text()),
        "catalog": json.loads((target / "catalog.json").read_text()),
    }


@pytest.fixture(scope="module")
def models(dbt_docs):
    """Model nodes of the manifest, by unique_id."""
    return {
        uid: node for uid, node in dbt_docs["manifest"]["nodes"].items()
        if node["resource_type"] == "model"
    }


@pytest.mark.parametrize("step", ["build", "generate"])
def test_dbt_runs_without_warnings(dbt_docs, step):
    code, events = dbt_docs[step]
    assert problems(events) == []
    assert code == 0


def test_build_ran_and_passed_the_data_and_unit_tests(dbt_docs):
    results = dbt_docs["build_results"]
    kinds = {"test": 0, "unit_test": 0}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        if kind in kinds:
            kinds[kind] += 1
    assert kinds["test"] > 100 and kinds["unit_test"] >= 7, kinds
    failed = [
        r["unique_id"] for r in results
        if r["unique_id"].split(".")[0] in ("model", "test", "unit_test")
        and r["status"] not in ("pass", "success")
    ]
    assert failed == []


def test_every_model_is_in_the_catalog(dbt_docs, models):
    assert sorted(set(models) - set(dbt_docs["catalog"]["nodes"])) == []


def test_every_model_has_its_own_yaml_next_to_it(models):
    misplaced = {}
    for uid, node in models.items():
        expected = "ochre_analytics://" + str(Path(node["original_file_path"]).with_suffix(".yml"))
        if node.get("patch_path") != expected:
            misplaced[uid] = node.get("patch_path")
    assert misplaced == {}


def test_every_model_has_a_description(models):
    assert sorted(uid for uid, node in models.items() if not node["description"].strip()) == []


def test_every_built_column_is_documented(dbt_docs, models):
    undocumented = []
    for uid, node in dbt_docs["catalog"]["nodes"].items():
        if uid not in models:
            continue
        documented = {name.lower(): col for name, col in models[uid]["columns"].items()}
        for column in node["columns"]:
            col = documented.get(column.lower())
            if col is None or not col.get("description", "").strip():
                undocumented.append(f"{models[uid]['name']}.{column}")
    assert undocumented == []


def test_no_documented_column_is_missing_from_the_model(dbt_docs, models):
    stale = []
    for uid, node in models.items():
        built = {c.lower() for c in dbt_docs["catalog"]["nodes"].get(uid, {}).get("columns", {})}
        stale += [f"{node['name']}.{c}" for c in node["columns"] if c.lower() not in built]
    assert stale == []


def test_published_columns_are_documented_in_their_mart_yaml(models):
    for name in PUBLISHED:
        node = models[f"model.ochre_analytics.{name}"]
        assert node["original_file_path"].startswith("dbt_project/models/marts/")
        assert node["columns"], f"{name} has no documented columns"


def test_exposures_depend_on_published_tables(dbt_docs):
    exposures = dbt_docs["manifest"]["exposures"]
    assert exposures, "no exposures"
    published = {f"model.ochre_analytics.{name}" for name in PUBLISHED}
    for exposure in exposures.values():
        assert exposure["owner"].get("email")
        assert set(exposure["depends_on"]["nodes"]) <= published


def _freshness_of(event: dict) -> str:
    import re

    match = re.search(r"freshness of (landing\.\w+)", event["msg"])
    assert match, event
    return match.group(1)


def test_an_email_in_a_published_text_column_fails_the_build(dbt_docs):
    """assert_no_personal_data_in_published_tables reads the text columns (numbers and dates
    cannot hold an address): an email in conversation_summary.agents_replied fails it."""
    import duckdb

    tmp = dbt_docs["tmp"]
    select = ["test", "--select", "assert_no_personal_data_in_published_tables"]
    db = str(tmp / "warehouse" / "ochre.duckdb")
    with duckdb.connect(db) as con:
        (before,) = con.execute("select any_value(agents_replied) from conversation_summary "
                                "where agents_replied is not null").fetchone()
        con.execute("update conversation_summary set agents_replied = 'ann@example.com' "
                    "where agents_replied = ?", [before])
    try:
        code, events = run_dbt(select, tmp)
        assert code == 1
        (failed,) = [e["msg"] for e in events if e.get("name") == "LogTestResult"]
        assert "FAIL 1 assert_no_personal_data_in_published_tables" in failed
    finally:
        with duckdb.connect(db) as con:
            con.execute("update conversation_summary set agents_replied = ? "
                        "where agents_replied = 'ann@example.com'", [before])
    code, events = run_dbt(select, tmp)
    assert code == 0 and problems(events) == []


def test_source_freshness_reads_the_load_log(dbt_docs):
    """`dbt source freshness`: each landing entity's newest loaded file, by the load log's
    loaded_at; warn after 26 hours, error after 50; the optional nps_responses has none.
    (Runs last: it back-dates the load log of this module's warehouse.)"""
    import duckdb

    tmp = dbt_docs["tmp"]
    code, events = run_dbt(["source", "freshness"], tmp)
    assert problems(events) == [] and code == 0
    fresh = sorted(_freshness_of(e) for e in events if e.get("name") == "LogFreshnessResult")
    assert fresh == [f"landing.{e}" for e in (
        "agents", "conversations", "csat_responses", "mentions", "messages", "workspaces")]
    con = duckdb.connect(str(tmp / "warehouse" / "ochre.duckdb"))
    try:
        con.execute("update int_landing_files set loaded_at = now() - interval 30 hour "
                    "where entity = 'messages'")
        con.execute("update int_landing_files set loaded_at = now() - interval 60 hour "
                    "where entity = 'workspaces'")
    finally:
        con.close()
    code, events = run_dbt(["source", "freshness"], tmp)
    assert code != 0
    results = {_freshness_of(e): e["level"] for e in events
               if e.get("name") == "LogFreshnessResult"}
    assert results["landing.messages"] == "warn"
    assert results["landing.workspaces"] == "error"
    assert results["landing.agents"] == "info"
