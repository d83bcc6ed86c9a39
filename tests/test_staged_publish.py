"""The published file's marts are copied while the audit runs (``stage_marts``), and the
publish only adds the history tables and swaps the file in: the same file as a publish that
copies everything itself, and nothing staged outlives a failed gate."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import duckdb
import pytest

from ochre_analytics import publish as pub
from ochre_analytics.config import HISTORY_TABLES, PUBLISH_TABLES, Settings
from tests.landing_builder import WORKED_EXAMPLE, run_pipeline

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    warehouse = tmp_path_factory.mktemp("warehouse")
    assert run_pipeline(WORKED_EXAMPLE / "landing", warehouse, AS_OF.isoformat()) == 0
    # the run staged its marts during the audit and consumed the candidate in the publish
    assert sorted(p.name for p in (warehouse / "published").iterdir()) == ["leaderboard.duckdb"]
    return warehouse


@pytest.fixture
def settings(built: Path, tmp_path: Path) -> Settings:
    warehouse = tmp_path / "warehouse"
    shutil.copytree(built, warehouse, ignore=shutil.ignore_patterns("dagster", "dbt_target"))
    return Settings(landing_dir=WORKED_EXAMPLE / "landing", warehouse_dir=warehouse)


def _contents(path: Path) -> dict[str, object]:
    """Every table's rows (sorted), and every table and column comment, of a published file."""
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = [t for (t,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'main' order by 1"
        ).fetchall()]
        out: dict[str, object] = {
            "comments": con.execute(
                "select table_name, comment from duckdb_tables() where schema_name = 'main' "
                "order by 1"
            ).fetchall(),
            "column_comments": con.execute(
                "select table_name, column_name, data_type, comment from duckdb_columns() "
                "where schema_name = 'main' order by table_name, column_index"
            ).fetchall(),
        }
        for table in tables:
            if table == "publish_metadata":
                out[table] = con.execute(f'select as_of_date, engine from "{table}"').fetchall()
            else:
                out[table] = sorted(
                    con.execute(f'select * from "{table}"').fetchall(), key=repr
                )
        return out
    finally:
        con.close()


def test_a_staged_publish_writes_the_same_file(settings: Settings, tmp_path: Path) -> None:
    direct = pub.publish(settings, AS_OF)
    expected = _contents(direct)
    shutil.copy(direct, tmp_path / "direct.duckdb")

    staged = pub.stage_marts(settings, AS_OF, "run-1")
    assert staged == pub.staged_path(settings, "run-1") and staged.exists()
    con = duckdb.connect(str(staged), read_only=True)
    try:
        in_stage = {t for (t,) in con.execute("select table_name from duckdb_tables()").fetchall()}
    finally:
        con.close()
    assert in_stage == {t for t in PUBLISH_TABLES if t not in HISTORY_TABLES}

    path = pub.publish(settings, AS_OF, staged=staged)
    assert not staged.exists()  # it became the published file
    assert _contents(path) == expected
    assert len(expected["agent_leaderboard"]) > 0 and len(expected["team_kpis_history"]) > 0
    assert sorted(p.name for p in path.parent.iterdir()) == ["leaderboard.duckdb"]


def test_nothing_is_staged_when_a_newer_date_is_published(settings: Settings) -> None:
    assert pub.published_as_of(settings.published_db) == AS_OF
    assert pub.stage_marts(settings, AS_OF - dt.timedelta(days=1), "run-2") is None
    assert not pub.staged_path(settings, "run-2").exists()


def test_a_failed_block_leaves_no_candidate(settings: Settings) -> None:
    with pytest.raises(RuntimeError, match="audit failed"), \
            pub.staging_marts(settings, AS_OF, "run-3"):
        raise RuntimeError("audit failed")
    assert not pub.staged_path(settings, "run-3").exists()
    # a passed block keeps it for the publish; the next staging removes what a stopped
    # run left behind
    with pub.staging_marts(settings, AS_OF, "run-4"):
        pass
    assert pub.staged_path(settings, "run-4").exists()
    with pub.staging_marts(settings, AS_OF, "run-5"):
        pass
    assert not pub.staged_path(settings, "run-4").exists()
    assert pub.staged_path(settings, "run-5").exists()


def test_a_mart_with_personal_data_is_not_staged_and_the_publish_refuses_it(
    settings: Settings,
) -> None:
    con = duckdb.connect(str(settings.warehouse_db))
    try:
        con.execute(
            "update conversation_summary set agents_replied = 'ann@example.com' "
            "where conversation_id in (select min(conversation_id) from conversation_summary)"
        )
    finally:
        con.close()
    before = settings.published_db.read_bytes()
    with pub.staging_marts(settings, AS_OF, "run-6"):
        pass
    assert not pub.staged_path(settings, "run-6").exists()
    with pytest.raises(pub.PublishError, match="conversation_summary.agents_replied holds 1"):
        pub.publish(settings, AS_OF, staged=pub.staged_path(settings, "run-6"))
    assert settings.published_db.read_bytes() == before
