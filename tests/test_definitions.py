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
    dbt_checks = [k for k in checks if k.name != "great_expectations"]
    assert len(dbt_checks) > 20  # 28: keys, relationships, singular tests
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


# -- owners, check descriptions, freshness, retries ------------------------------------------


def test_every_asset_has_the_owner_the_dbt_project_names_once(loaded):
    """dbt's meta.owner (every model, seed, source), the dbt group's owner and the exposures'
    owners agree, and every Dagster asset shows that owner."""
    from orchestration.defs.dbt.project import DBT_PROJECT

    _defs, repo, _job = loaded
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    (group,) = manifest["groups"].values()
    owner = group["owner"]["email"]
    assert owner == "analytics@ochre.example"
    nodes = [n for n in manifest["nodes"].values() if n["resource_type"] in ("model", "seed")]
    assert {n["config"]["meta"]["owner"] for n in nodes} == {owner}
    assert {n["group"] for n in nodes} == {group["name"]}
    assert {s["config"]["meta"]["owner"] for s in manifest["sources"].values()} == {owner}
    assert {e["owner"]["email"] for e in manifest["exposures"].values()} == {owner}
    owners = {node.key.to_user_string(): node.owners for node in repo.asset_graph.asset_nodes}
    assert {k: v for k, v in owners.items() if v != [owner]} == {}


def test_dbt_access_marts_public_staging_and_intermediate_protected():
    from orchestration.defs.dbt.project import DBT_PROJECT

    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    access = {}
    for node in manifest["nodes"].values():
        if node["resource_type"] == "model":
            access.setdefault(node["fqn"][1], set()).add(node["access"])
    assert access == {"staging": {"protected"}, "intermediate": {"protected"},
                      "marts": {"public"}}


def test_every_standard_dbt_test_is_a_described_asset_check(loaded):
    """Every dbt test a standard build runs is an asset check (none falls back to an
    observation: a singular test reading several models names its asset in
    meta.dagster.ref), and every check says what it asserts. The `deep` tests are not
    checks: the run plans only what it executes (they follow the build with deep checks)."""
    from orchestration.defs.dbt.checks import describe_test
    from orchestration.defs.dbt.project import DBT_PROJECT

    _defs, repo, _job = loaded
    manifest = json.loads(DBT_PROJECT.manifest_path.read_text())
    tests = {n["name"]: "deep" in n["tags"] for n in manifest["nodes"].values()
             if n["resource_type"] == "test"}
    graph = repo.asset_graph
    specs = {key.name: graph.get_check_spec(key) for key in graph.asset_check_keys}
    standard = {name for name, deep in tests.items() if not deep}
    assert len(standard) > 20 and standard <= set(specs)
    assert {name for name, deep in tests.items() if deep} & set(specs) == set()
    assert [name for name, spec in specs.items() if not (spec.description or "").strip()] == []
    assert specs["not_null_leaderboard_windows_period_days"].description == (
        "dbt test not_null: `period_days` is never null."
    )
    assert specs["relationships_agent_leaderboard_agent_id__agent_id__ref_agents_"].description \
        == "dbt test relationships: every `agent_id` is a `agent_id` of `agents`."
    # the marts' not-null and row rules are contract constraints (enforced as dbt writes),
    # not tests: tests/test_contracts.py
    assert not [name for name in specs if name.startswith("not_null_agent_leaderboard")]
    assert not [name for name in specs
                if name.startswith(("accepted_values_", "expression_is_true_"))]
    nodes = {n["name"]: n for n in manifest["nodes"].values()}
    assert describe_test(nodes[
        "accepted_values_int_messages_deduplicated_message_type__reply__note__handoff"
    ]) == ("dbt test accepted_values: `message_type` is one of: reply, note, handoff, "
           "where copy_status <> 'rejected'.")
    cover = specs["assert_published_tables_cover_the_run"]
    assert cover.asset_key == dg.AssetKey("agent_leaderboard")
    assert cover.description.startswith("Coverage of the as-of date D")
    assert dg.AssetKey("team_kpis") in {dep.asset_key for dep in cover.additional_deps}
    # every published mart has checks that every build runs
    for table in PUBLISHED_TABLES:
        on_mart = {key.name for key in graph.asset_check_keys
                   if key.asset_key == dg.AssetKey(table)}
        assert {name for name in on_mart if name in standard}, table


def test_the_job_retries_transient_failures_only(loaded):
    from orchestration.defs.failures import TransientPipelineError, failure

    _defs, _repo, job = loaded
    policy = job._op_retry_policy  # noqa: SLF001 - the job-wide policy define_asset_job set
    assert policy.max_retries == 2
    assert policy.delay == 30
    assert policy.backoff == dg.Backoff.EXPONENTIAL
    from ochre_analytics.errors import PipelineError

    assert failure(PipelineError("audit", ["agents, agent_id, unique, 2 dupes"])) \
        .allow_retries is False
    assert failure(TransientPipelineError("build", ["IO Error: Could not set lock"])) \
        .allow_retries is True


def test_a_publish_older_than_the_schedule_allows_fails_its_freshness(tmp_path):
    """published_leaderboard and the marts must materialize between the 02:00 tick and 06:00
    (UTC by default); after 06:00 without a publish that day their freshness fails, and the
    next publish makes them pass again. Evaluated by the freshness daemon of `make dev`."""
    import asyncio
    import datetime as dt

    from dagster._core.remote_origin import InProcessCodeLocationOrigin
    from dagster._core.test_utils import create_test_daemon_workspace_context, freeze_time
    from dagster._core.types.loadable_target_origin import LoadableTargetOrigin
    from dagster._core.workspace.load_target import InProcessWorkspaceLoadTarget
    from dagster._daemon.freshness import FreshnessDaemon

    origin = InProcessCodeLocationOrigin(LoadableTargetOrigin(
        module_name="orchestration.definitions", attribute="defs",
        working_directory=str(Path(__file__).resolve().parents[1]),
    ))
    published, mart, staging = (
        dg.AssetKey("published_leaderboard"), dg.AssetKey("team_kpis"), dg.AssetKey("stg_agents")
    )
    utc = dt.UTC
    with (
        dg.DagsterInstance.from_config(str(tmp_path)) as instance,
        create_test_daemon_workspace_context(
            InProcessWorkspaceLoadTarget(origin), instance
        ) as workspace,
    ):
        def materialize(at: dt.datetime, key: dg.AssetKey) -> None:
            with freeze_time(at):
                instance.report_runless_asset_event(
                    dg.AssetMaterialization(key, partition=(at.date() - dt.timedelta(1))
                                            .isoformat())
                )

        def states(at: dt.datetime) -> dict[str, str]:
            with freeze_time(at):
                asyncio.run(FreshnessDaemon()._evaluate_assets(workspace))  # noqa: SLF001
            records = instance.get_freshness_state_records([published, mart, staging])
            return {k.to_user_string(): r.freshness_state.value for k, r in records.items()}

        assert states(dt.datetime(2026, 11, 21, 1, 0, tzinfo=utc)) == {
            "published_leaderboard": "UNKNOWN", "team_kpis": "UNKNOWN",
            "stg_agents": "NOT_APPLICABLE",
        }
        materialize(dt.datetime(2026, 11, 21, 2, 40, tzinfo=utc), mart)
        materialize(dt.datetime(2026, 11, 21, 2, 45, tzinfo=utc), published)
        assert states(dt.datetime(2026, 11, 21, 7, 0, tzinfo=utc))["published_leaderboard"] \
            == "PASS"
        # the next night's 02:00 run has not published by 06:00: both fail
        late = states(dt.datetime(2026, 11, 22, 6, 1, tzinfo=utc))
        assert (late["published_leaderboard"], late["team_kpis"]) == ("FAIL", "FAIL")
        materialize(dt.datetime(2026, 11, 22, 9, 30, tzinfo=utc), published)
        again = states(dt.datetime(2026, 11, 22, 9, 31, tzinfo=utc))
        assert (again["published_leaderboard"], again["team_kpis"]) == ("PASS", "FAIL")
