"""BI: the published file as Superset, Metabase and Evidence see it (docs/bi.md).

A file published from the spec's worked example (plus one rejected record) is
opened read-only by a separate DuckDB 1.1.3 install (`make duckdb113`, the
`.venv-duckdb113` venv; tests/duckdb_reader.py runs in it) and through
SQLAlchemy with duckdb-engine, with the URI of docs/bi.md; both run the queries
of docs/bi.md exactly as written there.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import re
import shutil
import subprocess
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.pool import NullPool

from ochre_analytics.config import HISTORY_TABLES, PUBLISH_TABLES
from ochre_analytics.publish import STORAGE_COMPATIBILITY_VERSION
from ochre_api.cli import add_parsers
from tests.landing_builder import WORKED_EXAMPLE, run_pipeline

ROOT = Path(__file__).resolve().parents[1]
BI_DOC = ROOT / "docs" / "bi.md"
READER = Path(__file__).with_name("duckdb_reader.py")
OLD_DUCKDB = "1.1.3"
OLD_PYTHON = Path(
    os.environ.get("OCHRE_DUCKDB113_PYTHON") or ROOT / ".venv-duckdb113" / "bin" / "python"
)
DOC_PATH = "/srv/ochre/data/warehouse/published/leaderboard.duckdb"
"""The example path of the published file in docs/bi.md's SQLAlchemy URI."""

PAGE_QUERIES = {
    "kpi_tiles", "leaderboard_table", "load_scatter", "drilldown_daily", "low_csat",
    "conversation_export", "rejected_records", "data_dictionary",
}
ORPHAN = {
    "message_id": "m-orphan", "conversation_id": "c404", "workspace_id": "w1",
    "created_at": "2026-11-19T16:00:00Z", "author_type": "customer", "author_agent_id": None,
    "message_type": "reply", "ai_assist": None, "updated_at": "2026-11-19T16:00:00Z",
}
"""A message of an unknown conversation: rejected, so rejected_records has a row."""


def doc_queries() -> dict[str, str]:
    """The SQL of docs/bi.md: each ```sql block right after a `<!-- query: NAME -->` line."""
    text = BI_DOC.read_text()
    found = re.findall(r"<!-- query: (\w+) -->\n```sql\n(.*?)```", text, re.S)
    queries = dict(found)
    assert len(queries) == len(found), "a query name is used twice in docs/bi.md"
    return queries


def doc_uri(path: Path) -> str:
    """docs/bi.md's SQLAlchemy URI, with the example path replaced by `path`."""
    match = re.search(r"<!-- sqlalchemy-uri -->\n```text\n(.*?)\n```", BI_DOC.read_text(), re.S)
    assert match, "docs/bi.md has no SQLAlchemy URI block"
    uri = match.group(1).strip()
    assert DOC_PATH in uri
    return uri.replace(DOC_PATH, str(path))


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> dict[str, Path]:
    """The worked example plus one rejected message, published as of 2026-11-18 (kept as a
    copy) and then as of 2026-11-20 in the same warehouse, like two nightly runs."""
    tmp = tmp_path_factory.mktemp("bi")
    landing = tmp / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    (landing / "messages" / "late.jsonl").write_text(json.dumps(ORPHAN) + "\n")
    warehouse = tmp / "warehouse"
    files = {}
    for as_of in ("2026-11-18", "2026-11-20"):
        code = run_pipeline(landing, warehouse, as_of, "--rejected-threshold", "0.5")
        assert code == 0
        files[as_of] = tmp / f"published-{as_of}.duckdb"
        shutil.copy2(warehouse / "published" / "leaderboard.duckdb", files[as_of])
    return files


@pytest.fixture(scope="module")
def old_duckdb() -> Path:
    """The Python of the separate DuckDB 1.1.3 install; fails (never skips) without it."""
    hint = (
        f"run `make duckdb113` (make test does it): it creates .venv-duckdb113 with "
        f"duckdb=={OLD_DUCKDB} (or point OCHRE_DUCKDB113_PYTHON at such a Python)"
    )
    if not OLD_PYTHON.is_file():
        pytest.fail(f"no DuckDB {OLD_DUCKDB} reader at {OLD_PYTHON}: {hint}", pytrace=False)
    proc = subprocess.run(
        [str(OLD_PYTHON), "-c", "import duckdb, pytz; print(duckdb.__version__)"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0 or proc.stdout.strip() != OLD_DUCKDB:
        found = proc.stdout.strip() or proc.stderr.strip().splitlines()[-1:]
        pytest.fail(f"{OLD_PYTHON} has no DuckDB {OLD_DUCKDB} ({found}): {hint}", pytrace=False)
    return OLD_PYTHON


def read_with_old_duckdb(python: Path, db: Path, queries: dict[str, str]) -> dict:
    proc = subprocess.run(
        [str(python), str(READER), str(db)], input=json.dumps(queries),
        capture_output=True, text=True, check=False, timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def run_sqlalchemy(db: Path, queries: dict[str, str]) -> dict[str, list[tuple]]:
    engine = sa.create_engine(doc_uri(db), poolclass=NullPool)
    try:
        with engine.connect() as con:
            return {name: [tuple(r) for r in con.execute(sa.text(sql))]
                    for name, sql in queries.items()}
    finally:
        engine.dispose()


def jsonable(rows: list[tuple]) -> list[list]:
    """Rows as the 1.1.3 reader prints them (JSON, str() of what JSON cannot hold)."""
    return json.loads(json.dumps([list(r) for r in rows], default=str))


def published_relations(db: Path) -> dict[str, dict]:
    """Every table and view of the file with its comment and its columns' comments (2.0.1)."""
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH '{db}' AS pub (READ_ONLY)")
        relations = {
            name: {"kind": kind, "comment": comment, "columns": {}}
            for name, kind, comment in con.execute(
                "SELECT table_name, 'table', comment FROM duckdb_tables() "
                "WHERE database_name = 'pub' UNION ALL SELECT view_name, 'view', comment "
                "FROM duckdb_views() WHERE database_name = 'pub' AND NOT internal"
            ).fetchall()
        }
        for table, column, comment in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns() "
            "WHERE database_name = 'pub' ORDER BY table_name, column_index"
        ).fetchall():
            relations[table]["columns"][column] = comment
        return relations
    finally:
        con.close()


# -- the file -------------------------------------------------------------------------------


def test_published_file_is_written_in_the_v1_storage_format(published):
    """DuckDB's file header: b"DUCK" at byte 8, then the storage version (64 = v1.0.0)."""
    assert STORAGE_COMPATIBILITY_VERSION == "v1.0.0"
    for path in published.values():
        header = path.read_bytes()[:20]
        assert header[8:12] == b"DUCK"
        assert int.from_bytes(header[12:20], "little") == 64


def test_every_published_table_and_column_has_a_comment(published):
    relations = published_relations(published["2026-11-20"])
    expected = {*PUBLISH_TABLES, "publish_metadata", "leaderboard_visible_rows"}
    assert set(relations) == expected
    assert relations["leaderboard_visible_rows"]["kind"] == "view"
    missing = [name for name, r in relations.items() if not (r["comment"] or "").strip()]
    missing += [
        f"{name}.{column}"
        for name, r in relations.items()
        for column, comment in r["columns"].items()
        if not (comment or "").strip()
    ]
    assert missing == []
    # the model YAML's descriptions (dbt persist_docs), rendered doc() blocks included
    board = relations["agent_leaderboard"]
    assert board["comment"].startswith("**Published.** The leaderboard: per workspace")
    assert "**CSAT credit.**" in board["comment"]
    assert board["columns"]["team_median_first_response_seconds"].startswith(
        "Median over all first-response samples of the workspace"
    )
    assert relations["publish_metadata"]["columns"]["engine"] == (
        "The engine that built the marts: `duckdb` or `spark`."
    )
    # a history table: its mart's column comments, and a table comment naming the mart
    for history, mart in HISTORY_TABLES.items():
        assert relations[history]["columns"] == relations[mart]["columns"]
        assert relations[history]["comment"].startswith(f"**Published.** History of `{mart}`")
        assert relations[mart]["comment"] in relations[history]["comment"]


def test_duckdb_113_opens_the_file_read_only_with_every_table_and_comment(
    old_duckdb, published
):
    db = published["2026-11-20"]
    old = read_with_old_duckdb(old_duckdb, db, {})
    assert old["duckdb_version"] == OLD_DUCKDB
    relations = published_relations(db)
    assert set(old["relations"]) == set(relations)
    for name, relation in relations.items():
        seen = old["relations"][name]
        assert seen["kind"] == relation["kind"], name
        assert seen["comment"] == relation["comment"], name
        assert {c: v["comment"] for c, v in seen["columns"].items()} == relation["columns"]
        assert all(v["comment"].strip() for v in seen["columns"].values()), name
    # every row of every table, as DuckDB 2.0.1 reads them
    con = duckdb.connect(":memory:")
    try:
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"ATTACH '{db}' AS pub (READ_ONLY)")
        for name in relations:
            rows = con.execute(f'SELECT * FROM pub.main."{name}" ORDER BY ALL').fetchall()
            assert old["relations"][name]["rows"] == jsonable(rows), name
    finally:
        con.close()
    assert old["relations"]["team_kpis"]["rows"][0][:7] == [
        "w1", "2026-11-20", 7, 2, 0, 0.0, 450.0]
    assert len(old["relations"]["agent_leaderboard_history"]["rows"]) == 16  # 2 dates x 8


# -- docs/bi.md ------------------------------------------------------------------------------


def test_bi_doc_has_a_query_for_each_part_of_the_page():
    assert set(doc_queries()) == PAGE_QUERIES


def test_bi_doc_queries_through_sqlalchemy_and_duckdb_engine(published):
    results = run_sqlalchemy(published["2026-11-20"], doc_queries())
    as_of = dt.date(2026, 11, 20)

    low = 1 + 4 / (1 + 1.959963984540054**2)  # one response of 5 (spec: CSAT interval)
    assert results["kpi_tiles"] == [
        ("w1", "Worked example", as_of, 7, 2, 0, 0, 0.0, 450.0, 5.0, pytest.approx(low), 5.0,
         1, None, 0)]
    assert results["leaderboard_table"] == [
        ("a1", "Ada", "admin", "active", 1, 0, 1, 600.0, 5.0, pytest.approx(low), 5.0, 1, 1,
         1, 0, 100.0, 0, "underloaded"),
        ("a2", "Bo", "agent", "active", 2, 0, 2, 1950.0, 5.0, pytest.approx(low), 5.0, 1, 0,
         0, 2, 0.0, 1, "drowning"),
    ]
    assert results["conversation_export"] == [
        ("c1", dt.date(2026, 11, 18), "a1", 600.0, 3, 0, "human", 5, dt.date(2026, 11, 19),
         "a1,a2"),
        ("c2", dt.date(2026, 11, 19), "a2", 300.0, 1, 1, "handed_off", None, None, "a2"),
    ]
    assert results["load_scatter"] == [
        ("a1", "Ada", 1, 600.0, "underloaded", 1.5, 600.0),
        ("a2", "Bo", 2, 1950.0, "drowning", 1.5, 600.0),
    ]

    daily = results["drilldown_daily"]
    assert [r[0] for r in daily] == [as_of - dt.timedelta(days=13 - i) for i in range(14)]
    assert [r[1] for r in daily] == ["prior period"] * 7 + ["this period"] * 7
    by_day = {r[0]: r[2:] for r in daily}
    # conversations, replies, samples, median, csat responses, csat avg, AI %, mentions
    assert by_day[dt.date(2026, 11, 18)] == (1, 1, 1, 3600.0, 0, None, 0.0, 0)
    assert by_day[dt.date(2026, 11, 19)] == (1, 1, 1, 300.0, 1, 5.0, 0.0, 1)
    for day, values in by_day.items():
        if day not in (dt.date(2026, 11, 18), dt.date(2026, 11, 19)):
            assert values == (0, 0, 0, None, 0, None, None, 0), day  # a day of zeros

    assert results["low_csat"] == []  # the 2 on c1 was re-rated 5 on 11-19
    assert results["rejected_records"] == [
        ("messages", "unknown conversation", 1, 1, "messages/late.jsonl", 1)]

    dictionary = results["data_dictionary"]
    relations = published_relations(published["2026-11-20"])
    assert {(t, c) for t, c, _, _ in dictionary} == {
        (t, c) for t, r in relations.items() for c in r["columns"]}
    assert all(comment.strip() for _, _, _, comment in dictionary)
    assert ("team_kpis", "median_first_response_seconds", "DOUBLE",
            relations["team_kpis"]["columns"]["median_first_response_seconds"]) in dictionary


def test_low_csat_query_as_of_the_day_of_the_low_rating(published):
    """As of 11-18 the 2 given that day is still c1's latest rating."""
    low = run_sqlalchemy(published["2026-11-18"], {"low_csat": doc_queries()["low_csat"]})
    assert [(c, s, str(when.astimezone(dt.UTC)), d) for c, s, when, d in low["low_csat"]] == [
        ("c1", 2, "2026-11-18 12:00:00+00:00", dt.date(2026, 11, 18))]


def test_the_documented_uri_opens_the_file_read_only(published):
    engine = sa.create_engine(doc_uri(published["2026-11-20"]), poolclass=NullPool)
    try:
        with engine.connect() as con, pytest.raises(sa.exc.DBAPIError, match="read-only"):
            con.execute(sa.text("CREATE TABLE scratch (i INTEGER)"))
        comment = sa.inspect(engine).get_table_comment("team_kpis")["text"]
        assert comment.startswith("**Published.** The team KPI tiles")
    finally:
        engine.dispose()


def test_duckdb_113_runs_the_doc_queries_with_the_same_results(old_duckdb, published):
    queries = doc_queries()
    for as_of, db in published.items():
        old = read_with_old_duckdb(old_duckdb, db, queries)["queries"]
        new = run_sqlalchemy(db, queries)
        for name in queries:
            assert old[name]["rows"] == jsonable(new[name]), (as_of, name)
    assert not math.isnan(old["kpi_tiles"]["rows"][0][8])


def test_exposures_point_at_the_page_server_and_the_bi_doc():
    parser = argparse.ArgumentParser()
    add_parsers(parser.add_subparsers(dest="command"))
    serve = parser.parse_args(["serve"])
    exposures = {
        e["name"]: e
        for e in yaml.safe_load((ROOT / "dbt_project/models/exposures.yml").read_text())[
            "exposures"
        ]
    }
    ui = exposures["ochre_leaderboard_ui"]
    assert ui["url"] == f"http://{serve.host}:{serve.port}/" == "http://127.0.0.1:8080/"
    assert "`ochre-analytics serve`" in ui["description"]
    bi = exposures["ochre_bi_dashboards"]
    assert "url" not in bi  # no BI server ships with the project
    assert "docs/bi.md" in bi["description"] and BI_DOC.is_file()
