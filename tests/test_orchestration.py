"""Dagster orchestration: the nightly schedule, landing observations, single-run backfills."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import zoneinfo
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from ochre_analytics.config import HISTORY_TABLES, ConfigError, Settings
from ochre_analytics.pipeline import run_pipeline
from tests.landing_builder import WORKED_EXAMPLE, query

# -- schedule ----------------------------------------------------------------------------------


@pytest.mark.parametrize("timezone", [None, "America/New_York", "Pacific/Auckland"])
def test_schedule_runs_the_previous_day_at_two_in_the_configured_timezone(monkeypatch, timezone):
    from orchestration.definitions import build_definitions

    if timezone:
        monkeypatch.setenv("OCHRE_SCHEDULE_TIMEZONE", timezone)
    else:
        monkeypatch.delenv("OCHRE_SCHEDULE_TIMEZONE", raising=False)
    expected_tz = timezone or "UTC"
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("ochre_nightly_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == expected_tz
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING

    tick = dt.datetime(2026, 11, 26, 2, 0, tzinfo=zoneinfo.ZoneInfo(expected_tz))
    data = schedule.evaluate_tick(
        dg.build_schedule_context(
            scheduled_execution_time=tick, repository_def=defs.get_repository_def()
        )
    )
    assert [r.partition_key for r in data.run_requests or []] == ["2026-11-25"]
    assert data.run_requests[0].job_name == "ochre_nightly"

    # the newest partition is the day that just ended in that timezone
    job = defs.resolve_job_def("ochre_nightly")
    with dg.partition_loading_context(effective_dt=tick + dt.timedelta(minutes=1)):
        assert job.partitions_def.get_last_partition_key() == "2026-11-25"
    with dg.partition_loading_context(effective_dt=tick - dt.timedelta(hours=3)):
        assert job.partitions_def.get_last_partition_key() == "2026-11-24"


@pytest.mark.parametrize(
    ("weekday", "deep_days"),
    [(None, ["2026-11-29"]), ("Wednesday", ["2026-11-25"]), ("never", [])],
)
def test_schedule_runs_the_deep_checks_once_a_week(monkeypatch, weekday, deep_days):
    from orchestration.definitions import build_definitions
    from orchestration.defs.resources import OchreSettings

    monkeypatch.delenv("OCHRE_SCHEDULE_TIMEZONE", raising=False)
    if weekday:
        monkeypatch.setenv("OCHRE_DEEP_CHECKS_WEEKDAY", weekday)
    else:
        monkeypatch.delenv("OCHRE_DEEP_CHECKS_WEEKDAY", raising=False)
    defs = build_definitions()
    schedule = defs.resolve_schedule_def("ochre_nightly_schedule")
    job = defs.resolve_job_def("ochre_nightly")
    deep = []
    for day in range(23, 30):  # Monday 2026-11-23 .. Sunday 2026-11-29
        tick = dt.datetime(2026, 11, day, 2, 0, tzinfo=dt.UTC)
        context = dg.build_schedule_context(
            scheduled_execution_time=tick, repository_def=defs.get_repository_def()
        )
        data = schedule.evaluate_tick(context)
        (request,) = data.run_requests or []
        assert request.partition_key == (tick.date() - dt.timedelta(days=1)).isoformat()
        if request.tags.get("ochre/deep_checks") == "true":
            deep.append(tick.date().isoformat())
            # the run config is valid for the job and turns the deep checks on
            config = dg.validate_run_config(job, request.run_config)
            settings = OchreSettings(**config["resources"]["ochre"]["config"]).settings()
            assert settings.deep_checks and settings.dbt_deep_check_args() is not None
        else:
            assert request.run_config == {}
    assert deep == deep_days


def test_deep_checks_weekday_must_be_a_weekday(monkeypatch):
    from orchestration.definitions import build_definitions

    monkeypatch.setenv("OCHRE_DEEP_CHECKS_WEEKDAY", "Sundy")
    with pytest.raises(ConfigError, match="OCHRE_DEEP_CHECKS_WEEKDAY must be a weekday name"):
        build_definitions()


def test_partitions_start_is_configurable(monkeypatch):
    from orchestration.definitions import build_definitions

    monkeypatch.setenv("OCHRE_PARTITIONS_START", "2026-06-01")
    job = build_definitions().resolve_job_def("ochre_nightly")
    assert job.partitions_def.get_first_partition_key() == "2026-06-01"


# -- landing observations ------------------------------------------------------------------------


def test_landing_observations_report_files_bytes_and_newest_updated_at(tmp_path, monkeypatch):
    import pyarrow as pa
    import pyarrow.parquet as pq

    from ochre_analytics.landing import inspect_landing
    from orchestration.defs.landing import assets as landing_assets

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    newest_json = max(
        json.loads(line)["updated_at"]
        for line in (landing / "messages" / "messages.jsonl").read_text().splitlines()
        if line.strip()
    )
    newest_parquet = dt.datetime(2030, 1, 2, 3, 4, tzinfo=dt.UTC)
    pq.write_table(
        pa.table({"conversation_id": ["p1"], "updated_at": [newest_parquet]}),
        landing / "conversations" / "extra.parquet",
    )
    found = inspect_landing(landing)
    by_key = {
        o.asset_key.to_user_string(): o.metadata
        for o in landing_assets.landing_observations(landing, found)
    }
    assert set(by_key) == {f"landing/{e}" for e in found}
    messages = by_key["landing/messages"]
    assert messages["files"].value == 1
    assert messages["bytes"].value == (landing / "messages" / "messages.jsonl").stat().st_size
    newest = dt.datetime.fromisoformat(messages["newest_updated_at"].value)
    assert newest == dt.datetime.fromisoformat(newest_json.replace("Z", "+00:00"))
    conversations = by_key["landing/conversations"]
    assert conversations["files"].value == 2
    assert conversations["newest_updated_at"].value.startswith("2030-01-02T03:04:00")
    assert by_key["landing/nps_responses"]["files"].value == 0

    # a run observes without reading the files (files, bytes, formats only)
    light = {
        o.asset_key.to_user_string(): o.metadata
        for o in landing_assets.landing_observations(landing, found, read_data=False)
    }
    assert light["landing/conversations"]["files"].value == 2
    assert light["landing/messages"]["bytes"].value == messages["bytes"].value
    assert "newest_updated_at" not in light["landing/conversations"]

    # big JSON Lines sets are not scanned: a note says so, the rest is still reported
    monkeypatch.setattr(landing_assets, "JSON_SCAN_LIMIT_BYTES", 10)
    big = {
        o.asset_key.to_user_string(): o.metadata
        for o in landing_assets.landing_observations(landing, found)
    }["landing/messages"]
    assert big["newest_updated_at"].value == "unknown"
    assert "not scanned" in big["note"].value
    assert big["files"].value == 1


def test_landing_sensor_observes_only_when_files_change(tmp_path):
    from orchestration.defs.landing.assets import landing_observation_sensor
    from orchestration.defs.resources import OchreSettings

    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    ochre = OchreSettings(landing_dir=str(landing), warehouse_dir=str(tmp_path / "wh"))
    first = landing_observation_sensor(dg.build_sensor_context(resources={"ochre": ochre}))
    assert len(first.asset_events) == 9  # one per landing entity, the optional ones too
    again = landing_observation_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"ochre": ochre})
    )
    assert not again.asset_events and again.skip_reason
    (landing / "messages" / "more.jsonl").write_text("")
    changed = landing_observation_sensor(
        dg.build_sensor_context(cursor=first.cursor, resources={"ochre": ochre})
    )
    assert len(changed.asset_events) == 9


# -- backfill: one run over a range equals one run per day ------------------------------------

DAYS = [dt.date(2026, 11, 18), dt.date(2026, 11, 19), dt.date(2026, 11, 20)]


def _settings(warehouse: Path) -> Settings:
    return Settings.from_env(landing_dir=WORKED_EXAMPLE / "landing", warehouse_dir=warehouse)


def _rows(db: Path, table: str) -> list[tuple]:
    return query(db, f'select * from "{table}" order by all')


@pytest.fixture(scope="module")
def single_day_runs(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("single")
    settings = _settings(warehouse)
    for day in DAYS:
        assert run_pipeline(settings, day).published
    return settings


@pytest.fixture(scope="module")
def backfill_run(tmp_path_factory):
    warehouse = tmp_path_factory.mktemp("backfill")
    home = tmp_path_factory.mktemp("dagster_home")
    settings = _settings(warehouse)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DAGSTER_HOME", str(home))  # a local instance: the run can be inspected
        result = run_pipeline(settings, DAYS[0], through=DAYS[-1])
    return settings, result, home


def test_backfill_is_one_dagster_run_over_the_partition_range(backfill_run):
    settings, result, home = backfill_run
    assert result.published and result.run_id
    with dg.DagsterInstance.from_config(str(home)) as instance:
        runs = instance.get_runs()
        assert [r.run_id for r in runs] == [result.run_id]
        run = runs[0]
        assert run.is_success
        assert run.tags["dagster/asset_partition_range_start"] == "2026-11-18"
        assert run.tags["dagster/asset_partition_range_end"] == "2026-11-20"
        records = instance.fetch_materializations(
            dg.AssetKey("published_leaderboard"), limit=10
        ).records
        partitions = sorted(r.partition_key for r in records)
        assert partitions == ["2026-11-18", "2026-11-19", "2026-11-20"]
        # the gate ran once, for the last date (the others were audited inside the dbt step)
        checks = instance.event_log_storage.get_asset_check_execution_history(
            dg.AssetCheckKey(dg.AssetKey("agent_leaderboard"), "great_expectations"), limit=5
        )
        assert checks[0].status.value == "SUCCEEDED"
        assert checks[0].run_id == result.run_id


def test_backfill_equals_single_day_runs(single_day_runs, backfill_run):
    single, (backfill, _result, _home) = single_day_runs, backfill_run
    for table in (*HISTORY_TABLES, "agent_leaderboard", "team_kpis", "agent_daily_activity"):
        assert _rows(backfill.published_db, table) == _rows(single.published_db, table), table
    for table in HISTORY_TABLES:
        dates = query(backfill.published_db, f"select distinct as_of_date from {table} order by 1")
        assert [d for (d,) in dates] == DAYS
        # the warehouse keeps the same history as the published file
        assert _rows(backfill.history_db, table) == _rows(backfill.published_db, table)
    assert query(backfill.published_db, "select as_of_date from publish_metadata") == [(DAYS[-1],)]
    # a leaderboard for every as-of date of the range
    counts = query(
        backfill.published_db,
        "select as_of_date, count(*) from agent_leaderboard_history group by 1 order by 1",
    )
    assert [d for d, n in counts if n > 0] == DAYS


def test_each_backfill_date_was_audited(backfill_run):
    settings, _result, _home = backfill_run
    for day in DAYS:
        report = json.loads((settings.validation_dir(day) / "results.json").read_text())
        assert report["summary"]["passed"] is True, day
        assert (settings.validation_dir(day) / "index.html").exists()


def test_history_rows_are_replaced_not_duplicated(single_day_runs):
    settings = single_day_runs
    from ochre_analytics.publish import record_history

    [(built,)] = query(settings.warehouse_db, "select distinct as_of_date from agent_leaderboard")
    other = next(d for d in DAYS if d != built)
    before = _rows(settings.history_db, "agent_leaderboard_history")
    record_history(settings, built)  # the build holds `built`: the same rows again
    assert _rows(settings.history_db, "agent_leaderboard_history") == before
    with pytest.raises(Exception, match=f"not {other}"):
        record_history(settings, other)  # the marts hold another date: refused
    con = duckdb.connect(str(settings.history_db), read_only=True)
    try:
        dupes = con.execute(
            "select count(*) from (select workspace_id, as_of_date, period_days, agent_id "
            "from agent_leaderboard_history group by all having count(*) > 1)"
        ).fetchone()[0]
    finally:
        con.close()
    assert dupes == 0


def test_rerunning_a_past_date_keeps_the_newer_published_date(single_day_runs):
    """A backfill of a past date updates its history rows; the newer leaderboard stays."""
    settings = single_day_runs
    marts_before = _rows(settings.published_db, "agent_leaderboard")
    history_before = _rows(settings.published_db, "agent_leaderboard_history")
    result = run_pipeline(settings, DAYS[0])
    assert result.published
    assert query(settings.published_db, "select as_of_date from publish_metadata") == [(DAYS[-1],)]
    assert _rows(settings.published_db, "agent_leaderboard") == marts_before
    assert _rows(settings.published_db, "agent_leaderboard_history") == history_before
