"""The CLI's Dagster instance: the SQLite event log with kept connections
(orchestration/storage.py) writes the files Dagster's own class reads, keeps few of them
open, and is used only where the instance's dagster.yaml names no storage of its own."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from ochre_analytics.config import Settings
from ochre_analytics.pipeline import _instance
from orchestration.storage import OPEN_SHARDS, PooledSqliteEventLogStorage


@dg.asset
def tiny() -> int:
    return 1


def _settings(tmp_path: Path) -> Settings:
    return Settings(landing_dir=tmp_path / "landing", warehouse_dir=tmp_path / "warehouse")


def test_runs_written_through_kept_connections_read_back_with_dagsters_class(
    tmp_path, monkeypatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = _settings(tmp_path)
    runs = OPEN_SHARDS + 2  # more run files than engines kept
    with _instance(settings) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        run_ids = [dg.materialize([tiny], instance=instance).run_id for _ in range(runs)]
        assert 1 <= len(storage._engines) <= OPEN_SHARDS
    assert storage._engines == {}  # disposed with the instance

    home = settings.warehouse_dir / "dagster"
    assert sorted(p.stem for p in (home / "history" / "runs").glob("*.db")) == sorted(
        [*run_ids, "index"]
    )
    with dg.DagsterInstance.from_config(str(home)) as plain:
        assert type(plain.event_log_storage).__name__ == "SqliteEventLogStorage"
        assert {r.run_id for r in plain.get_runs()} == set(run_ids)
        assert all(r.status == dg.DagsterRunStatus.SUCCESS for r in plain.get_runs())
        for run_id in run_ids:
            types = [e.dagster_event_type for e in plain.all_logs(run_id) if e.is_dagster_event]
            assert dg.DagsterEventType.ASSET_MATERIALIZATION in types
            assert types[-1] == dg.DagsterEventType.RUN_SUCCESS
        latest = plain.get_latest_materialization_event(dg.AssetKey("tiny"))
        assert latest is not None and latest.run_id == run_ids[-1]


def test_wipe_closes_the_kept_connections_first(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with _instance(_settings(tmp_path)) as instance:
        dg.materialize([tiny], instance=instance)
        storage = instance.event_log_storage
        assert set(storage._engines) - {"index"}  # the run's file is open
        instance.wipe()
        # the run files are gone with their engines; the index (kept, emptied) is reopened
        assert set(storage._engines) <= {"index"}
        assert instance.get_runs() == []
        assert dg.materialize([tiny], instance=instance).success  # usable after the wipe
        assert len(instance.get_runs()) == 1


OWN_STORAGE = {
    "storage": "storage:\n  sqlite:\n    base_dir: {base}\n",
    "event_log_storage": (
        "event_log_storage:\n  module: dagster._core.storage.event_log\n"
        "  class: SqliteEventLogStorage\n  config:\n    base_dir: {base}/events\n"
    ),
}


@pytest.mark.parametrize("section", OWN_STORAGE.values(), ids=OWN_STORAGE)
def test_a_dagster_yaml_naming_its_own_storage_is_used_as_it_is(tmp_path, monkeypatch, section):
    home, base = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    (home / "dagster.yaml").write_text(
        "telemetry:\n  enabled: false\n" + section.format(base=base)
    )
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with _instance(_settings(tmp_path)) as instance:
        assert type(instance.event_log_storage).__name__ == "SqliteEventLogStorage"
        run_id = dg.materialize([tiny], instance=instance).run_id
    assert list(base.rglob(f"{run_id}.db"))  # the run went where that dagster.yaml says
