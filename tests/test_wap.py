"""Write-audit-publish: a failed audit or a failed publish never changes the published file.

One warehouse goes through, in order: a good run; the same partition again while a reader
holds the published file open (idempotent, readers unaffected); a run whose publish fails
right before the swap; a run on a landing set with 5 % bad message records (audit fails).
Each run is a full pipeline run (~15-30 s), so the runs are shared by the tests below.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ochre_analytics import cli, publish
from ochre_analytics.config import PUBLISHED_TABLES, Settings
from ochre_analytics.demo_data import generate

AS_OF = "2026-11-20"
READER_SCRIPT = """
import json, sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print(json.dumps([str(v) for v in con.execute(sys.argv[2]).fetchone()]))
"""


def run_cli(landing: Path, warehouse: Path, *extra: str) -> tuple[int, str]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(["run", "--landing", str(landing), "--warehouse", str(warehouse),
                         "--as-of", AS_OF, *extra])
    return code, err.getvalue()


def parse_events(warehouse: Path) -> list[tuple[str, str]]:
    """dbt's events about partial parsing in the warehouse's dbt log: (name, message)."""
    events = []
    for path in sorted((warehouse / "dbt_target").glob("dbt.log*")):
        for line in path.read_text().splitlines():
            try:
                info = json.loads(line)["info"]
            except (ValueError, KeyError):
                continue
            if "PartialPars" in info.get("name", ""):
                events.append((info["name"], info.get("msg", "")))
    return events


def dbt_nodes(warehouse: Path) -> dict[str, str]:
    """unique_id -> status of the nodes the run's dbt build ran (its run_results.json)."""
    results = json.loads((warehouse / "dbt_target" / "run_results.json").read_text())
    return {r["unique_id"]: r["status"] for r in results["results"]}


def fresh_process_query(tmp: Path, db: Path, sql: str) -> list[str]:
    """A query from another process: no DuckDB instance of this process is reused."""
    script = tmp / "reader.py"
    script.write_text(READER_SCRIPT)
    proc = subprocess.run([sys.executable, str(script), str(db), sql],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def snapshot(db: Path) -> dict[str, list[tuple]]:
    """Every table and view but publish_metadata, rows in a stable order."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"attach '{db}' as pub (read_only)")
        names = [r[0] for r in con.execute(
            "select table_name from information_schema.tables where table_catalog = 'pub' "
            "and table_name <> 'publish_metadata' order by 1").fetchall()]
        return {n: con.execute(f'select * from pub.main."{n}" order by all').fetchall()
                for n in names}
    finally:
        con.close()


@pytest.fixture(scope="module")
def landing_sets(tmp_path_factory):
    root = tmp_path_factory.mktemp("landing_sets")
    good, bad = root / "good", root / "bad"
    generate(good, workspaces=2, days=14, end_date=AS_OF, bad_records=False, progress=False)
    generate(bad, workspaces=2, days=14, end_date=AS_OF, bad_records=False,
             bad_message_share=0.05, progress=False)
    return good, bad


@pytest.fixture(scope="module")
def wap(landing_sets, tmp_path_factory):
    good, bad = landing_sets
    root = tmp_path_factory.mktemp("wap")
    warehouse = root / "warehouse"
    published = warehouse / "published" / "leaderboard.duckdb"
    out: dict = {"warehouse": warehouse, "published": published, "root": root}

    # 1. a good run publishes (standard checks)
    code, err = run_cli(good, warehouse)
    assert code == 0, err
    out["first_nodes"] = dbt_nodes(warehouse)
    out["first_parse"] = parse_events(warehouse)
    out["first_snapshot"] = snapshot(published)
    out["first_published_at"] = fresh_process_query(
        root, published, "select published_at from publish_metadata")

    # 2. the same partition again (with the deep checks), while a reader holds the published
    #    file open
    reader = duckdb.connect(":memory:")
    reader.execute(f"attach '{published}' as pub (read_only)")
    before = reader.execute("select published_at from pub.publish_metadata").fetchone()
    code, err = run_cli(good, warehouse, "--deep-checks")
    assert code == 0, err
    out["second_nodes"] = dbt_nodes(warehouse)
    out["reader_after"] = (
        reader.execute("select published_at from pub.publish_metadata").fetchone(),
        reader.execute("select count(*) from pub.agent_leaderboard").fetchone(),
    )
    out["reader_before"] = before
    reader.close()
    out["second_snapshot"] = snapshot(published)
    out["second_published_at"] = fresh_process_query(
        root, published, "select published_at from publish_metadata")
    good_bytes = published.read_bytes()

    # 2b. the deep checks' `dbt test` fails (here: an as-of date dbt cannot read): nothing is
    #     published
    from ochre_analytics.config import Settings

    def failing_deep_checks(self: Settings) -> list[str]:
        return ["test", "--select", "tag:deep", "--vars", "{as_of_date: '2026-13-45'}"]

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Settings, "dbt_deep_check_args", failing_deep_checks)
        out["deep_failure"] = run_cli(good, warehouse, "--deep-checks")
    out["after_deep_failure_identical"] = published.read_bytes() == good_bytes

    # 3. the publish fails between writing the new file and the swap
    def boom(tmp_path: Path) -> None:
        assert tmp_path.exists()  # the new file was written completely
        raise OSError("injected failure before the swap")

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(publish, "_before_swap", boom)
        out["swap_failure"] = run_cli(good, warehouse)
    out["after_swap_failure_identical"] = published.read_bytes() == good_bytes
    out["published_dir_after_swap_failure"] = sorted(p.name for p in published.parent.iterdir())

    # 4. 5 % bad message records: the audit fails, nothing is published. --full-refresh: the
    #    incremental models start over from this other landing set. A local Dagster instance
    #    keeps the run so the failed check can be looked at.
    home = root / "dagster_home"
    home.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))
        out["bad"] = run_cli(bad, warehouse, "--full-refresh")
    out["after_bad_identical"] = published.read_bytes() == good_bytes
    out["dagster_home"] = home
    return out


def test_good_run_publishes_marts_and_history(wap):
    tables = set(wap["first_snapshot"])
    assert set(PUBLISHED_TABLES) | {"agent_leaderboard_history", "team_kpis_history"} <= tables
    assert wap["first_snapshot"]["agent_leaderboard"]
    assert (sorted(wap["first_snapshot"]["agent_leaderboard_history"])
            == sorted(wap["first_snapshot"]["agent_leaderboard"]))


def test_a_new_warehouse_starts_from_the_pipelines_partial_parse(wap):
    """The first build in a new warehouse takes the pipeline's parse state as valid: dbt
    does not parse the project again (orchestration/defs/dbt/project.py)."""
    names = [name for name, _msg in wap["first_parse"]]
    assert "UnableToPartialParse" not in names, wap["first_parse"]
    assert "PartialParsingEnabled" in names, wap["first_parse"]


def test_standard_checks_leave_out_the_deep_tests_and_unit_tests(wap):
    project = json.loads((wap["warehouse"] / "dbt_target" / "manifest.json").read_text())
    deep = {uid for uid, node in project["nodes"].items()
            if node["resource_type"] == "test" and "deep" in node["tags"]}
    assert len(deep) > 100  # staging, intermediate, the facts, the reconciliations
    first, second = wap["first_nodes"], wap["second_nodes"]
    kinds = {uid.split(".")[0] for uid in first}
    assert "unit_test" not in kinds and not deep & set(first)
    tests = [uid for uid in first if uid.startswith("test.")]
    assert len(tests) > 20 and all(first[t] == "pass" for t in tests)
    assert "test.ochre_analytics.assert_no_personal_data_in_published_tables" in first
    # --deep-checks: after the same build, a `dbt test` of its own ran every deep test and
    # the unit tests (its run_results.json), and they passed
    assert deep <= set(second)
    assert {uid.split(".")[0] for uid in second} == {"test", "unit_test"}
    assert any(uid.startswith("unit_test.") for uid in second)
    assert all(status == "pass" for uid, status in second.items()
               if uid.startswith(("test.", "unit_test.")))


def test_a_failed_deep_check_publishes_nothing(wap):
    code, err = wap["deep_failure"]
    assert code == 1
    assert "==> deep checks (dbt test)" in err
    assert "error: deep checks failed, nothing published" in err
    assert "==> audit" not in err and "==> publish" not in err
    assert wap["after_deep_failure_identical"]


def test_same_partition_twice_is_idempotent(wap):
    assert wap["second_published_at"] != wap["first_published_at"]  # it did publish again
    first, second = wap["first_snapshot"], wap["second_snapshot"]
    assert set(first) == set(second)
    for table in first:
        assert first[table] == second[table], table


def test_reader_keeps_working_during_a_publish_and_new_connections_see_new_data(wap):
    (after_published_at,), (rows,) = wap["reader_after"]
    assert after_published_at == wap["reader_before"][0]  # the reader still sees its file
    assert rows == len(wap["first_snapshot"]["agent_leaderboard"])
    # a new connection (another process) sees the new file
    assert wap["second_published_at"] != [str(wap["reader_before"][0])]


def test_failure_before_the_swap_keeps_the_old_file_complete_and_readable(wap):
    code, err = wap["swap_failure"]
    assert code != 0
    assert "injected failure before the swap" in err
    assert "previous published file kept" in err
    assert wap["after_swap_failure_identical"]
    assert wap["published_dir_after_swap_failure"] == ["leaderboard.duckdb"]  # no temp files
    assert snapshot(wap["published"]) == wap["second_snapshot"]


def test_bad_records_fail_the_audit_and_nothing_is_published(wap):
    code, err = wap["bad"]
    assert code == 1, err
    assert "Traceback" not in err
    assert "error: audit failed, nothing published:" in err
    assert wap["after_bad_identical"]
    lines = err.split("error: audit failed, nothing published:", 1)[1].strip().splitlines()
    assert lines
    for line in lines:  # one failed expectation per line: table, column, expectation, observed
        assert len(line.strip().split(", ", 3)) == 4, line
    share = [line for line in lines if "records rejected" in line]
    assert share, lines
    match = re.search(
        r"messages: (\d+\.\d) % of ([\d,]+) records rejected \(threshold 1\.0 %\)", share[0])
    assert match, share[0]
    assert 4.0 <= float(match.group(1)) <= 6.0
    assert int(match.group(2).replace(",", "")) > 100


def test_failed_check_is_visible_in_the_dagster_run(wap):
    with dg.DagsterInstance.from_config(str(wap["dagster_home"])) as instance:
        [run] = instance.get_runs()
        assert run.is_failure
        key = dg.AssetCheckKey(dg.AssetKey("landing_file_loads"), "great_expectations")
        [execution] = instance.event_log_storage.get_asset_check_execution_history(key, limit=1)
        evaluation = execution.event.dagster_event.event_specific_data
        assert evaluation.passed is False
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR
        assert evaluation.blocking
        metadata = evaluation.metadata
        assert any("records rejected" in line for line in metadata["failure_lines"].value)
        docs = Path(metadata["data_docs"].value)
        assert docs.name == "index.html" and docs.exists()
        assert Path(metadata["report"].value).exists()
        published = instance.fetch_materializations(
            dg.AssetKey("published_leaderboard"), limit=1).records
        assert published == []


def test_a_check_that_raises_counts_as_failed(wap, monkeypatch):
    """The gate and the publish alone, on the built warehouse; the validation raises."""
    import data_checks
    from ochre_analytics.pipeline import run_config
    from orchestration.definitions import build_definitions
    from orchestration.defs.checks.assets import CHECK_KEYS

    def broken(*args, **kwargs):
        raise RuntimeError("validation exploded")

    monkeypatch.setattr(data_checks, "validate", broken)
    defs = build_definitions()
    job = dg.define_asset_job(
        "gate_and_publish",
        selection=dg.AssetSelection.checks(*CHECK_KEYS)
        | dg.AssetSelection.assets("published_leaderboard").required_multi_asset_neighbors(),
    )
    test_defs = dg.Definitions(
        assets=list(defs.assets or []), asset_checks=list(defs.asset_checks or []),
        resources=dict(defs.resources or {}), jobs=[job],
    )
    settings = Settings.from_env(landing_dir=wap["root"], warehouse_dir=wap["warehouse"])
    before = wap["published"].read_bytes()
    result = test_defs.resolve_job_def("gate_and_publish").execute_in_process(
        run_config=run_config(settings), partition_key=AS_OF, raise_on_error=False)
    assert not result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(PUBLISHED_TABLES)
    for evaluation in evaluations:
        assert evaluation.passed is False
        assert evaluation.severity == dg.AssetCheckSeverity.ERROR
        assert "validation exploded" in " ".join(evaluation.metadata["failure_lines"].value)
    assert not result.asset_materializations_for_node("publish_leaderboard")
    assert wap["published"].read_bytes() == before


def test_history_table_gains_the_columns_its_mart_gained(tmp_path):
    """A warehouse whose history was recorded before a mart gained columns (csat_ci_low,
    csat_ci_high) records the next date with them; older dates keep null there."""
    db = tmp_path / "ochre.duckdb"
    con = duckdb.connect(str(db))
    try:
        con.execute("create table team_kpis_history (as_of_date date, csat_avg double)")
        con.execute("insert into team_kpis_history values (date '2026-11-19', 4.0)")
        con.execute("create table team_kpis (as_of_date date, csat_avg double, "
                    "csat_ci_low double, csat_ci_high double)")
        con.execute("insert into team_kpis values (date '2026-11-20', 5.0, 1.8, 5.0)")
        publish._add_new_mart_columns(con, "team_kpis_history", "main", "team_kpis")
        con.execute("insert into team_kpis_history by name select * from team_kpis")
        rows = con.execute("select * from team_kpis_history order by as_of_date").fetchall()
    finally:
        con.close()
    assert [str(r[0]) for r in rows] == ["2026-11-19", "2026-11-20"]
    assert [r[1:] for r in rows] == [(4.0, None, None), (5.0, 1.8, 5.0)]
