"""The Dagster code location loads, without a single warning, and holds what `make dev` shows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from ochre_analytics.config import HISTORY_TABLES, PUBLISHED_TABLES
from ochre_analytics.landing import ENTITIES
from ochre_analytics.pipeline import NIGHTLY_JOB, load_job

PROBE = """
import json, sys, warnings
import dagster as dg
import dagster_dbt  # third-party import-time warnings are not the code location's
with warnings.catch_warnings(record=True) as caught:
    warnings.simplefilter("always")
    from orchestration import definitions
    defs = definitions.defs()  # the @dg.definitions entry point `dagster dev -m` loads
    dg.Definitions.validate_loadable(defs)
    defs.get_repository_def().load_all_definitions()
    job = defs.resolve_job_def("ochre_nightly")
    schedule = defs.resolve_schedule_def("ochre_nightly_schedule")
shown = [f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})" for w in caught]
print("PROBE-RESULT " + json.dumps({"warnings": shown, "job": job.name}))
"""


def test_definitions_load_without_errors_or_warnings(tmp_path):
    """In a fresh process, so every import-time warning of the code location is seen."""
    probe = tmp_path / "probe.py"  # a file, not -c: PySpark exits a `-c` process on import
    probe.write_text(PROBE)
    proc = subprocess.run([sys.executable, str(probe)], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent.parent, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = [x for x in proc.stdout.splitlines() if x.startswith("PROBE-RESULT ")]
    assert lines, proc.stdout[-2000:] + proc.stderr[-2000:]
    result = json.loads(lines[-1].removeprefix("PROBE-RESULT "))
    assert result["job"] == "ochre_nightly"
    assert result["warnings"] == []


@pytest.fixture(scope="module")
def loaded():
    from orchestration import definitions

    defs = definitions.defs()
    repo = defs.get_repository_def()
    return defs, repo, defs.resolve_job_def("ochre_nightly")


def test_every_dbt_model_is_an_asset_and_sources_are_the_landing_assets(loaded):
    import json

    from orchestration.defs.dbt.project import DBT_PROJECT

    defs, repo, _job = loaded
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    models = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    graph = repo.asset_graph
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert models <= keys
    landing = {f"landing/{e}" for e in ENTITIES}
    assert landing <= keys
    # stg_messages reads the landing asset landing/messages (the dbt source landing.messages)
    parents = graph.get(dg.AssetKey("stg_messages")).parent_keys
    assert dg.AssetKey(["landing", "messages"]) in parents
    assert {"published_leaderboard", *HISTORY_TABLES} <= keys


def test_dbt_tests_and_data_checks_are_asset_checks(loaded):
    import data_checks

    _defs, repo, _job = loaded
    checks = {key for key in repo.asset_graph.asset_check_keys}
    dbt_checks = [k for k in checks if k.name.startswith(("not_null", "unique", "accepted"))]
    assert len(dbt_checks) > 50
    assert set(data_checks.PUBLISHED_TABLES) == set(PUBLISHED_TABLES)
    for table in PUBLISHED_TABLES:
        key = dg.AssetCheckKey(dg.AssetKey(table), "great_expectations")
        assert key in checks
        spec = repo.asset_graph.get_check_spec(key)
        assert spec.blocking


def test_the_cli_loads_the_job_of_the_code_location_by_module_name(loaded):
    """`ochre-analytics run` runs the job `dagster dev -m orchestration.definitions` shows."""
    _defs, repo, job = loaded
    loaded_by_name = load_job()
    assert loaded_by_name.name == job.name == NIGHTLY_JOB
    assert {n.name for n in loaded_by_name.nodes} == {n.name for n in job.nodes}


def test_publish_depends_on_every_published_mart(loaded):
    _defs, repo, _job = loaded
    parents = repo.asset_graph.get(dg.AssetKey("published_leaderboard")).parent_keys
    assert {dg.AssetKey(t) for t in PUBLISHED_TABLES} <= parents
    assert {dg.AssetKey(t) for t in HISTORY_TABLES} <= parents


def test_job_is_partitioned_daily_with_single_run_backfills(loaded):
    defs, repo, job = loaded
    assert isinstance(job.partitions_def, dg.DailyPartitionsDefinition)
    assert job.partitions_def.start.date().isoformat() == "2026-01-01"
    for node in repo.asset_graph.asset_nodes:
        if node.is_materializable:
            assert node.backfill_policy == dg.BackfillPolicy.single_run(), node.key
    assert defs.resolve_schedule_def("ochre_nightly_schedule").job_name == "ochre_nightly"
    assert defs.resolve_sensor_def("landing_observations") is not None
