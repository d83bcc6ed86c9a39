"""The same dbt project on Spark publishes the same numbers as on DuckDB (issue 5).

Spark builds take minutes, so each landing set is built once per engine (module-scoped
fixtures), and the sets are few:

- the generated set, built in full: the worked example of spec/metrics.md (workspace
  ``w1``: its rows must also match the expected CSVs), a generated set
  (ochre_analytics.demo_data: about 2,000 conversations in four workspaces,
  America/New_York, Europe/Berlin, null = UTC and Australia/Sydney, over 120 days, in JSON
  Lines, gzipped JSON Lines and Parquet, with bad records) and the readers' corner cases
  (tests/test_spark.py::add_reader_corner_cases) and business hours and holidays
  (add_business_hours), in one landing folder (their ids do not meet);
- the nightly sequence (below), in a warehouse of its own.

The DuckDB side runs ``dbt run`` and ``publish()`` of the marts; the Spark side
runs ``dbt run --target spark``, exports the Spark tables
(ochre_analytics.spark_publish.export_spark_build, the pipeline's export step)
and runs the same ``publish()`` on the export. The two published files must
hold the same tables, column names and types, and rows (floats equal to 1e-9
relative; a file's load time and modification time are not compared: they come
from different runs and listings). The nightly runs below run on the tables and load log
the runs before them left.

The nightly sequence runs on Spark as in tests/test_incremental.py: as of D-1 on the
exports up to D-1 (with messages whose conversation has not landed), then as of D once D's
exports and the next day's landed (late records for D and earlier days, the missing
conversation, records weeks late, same-id same-updated_at copies in files sorting before
and after, a far-future updated_at), then again after a time-zone change, a re-export and
a bad night. What each run publishes must equal a DuckDB full refresh on the same landing
folder. On Spark the models are tables rebuilt every run (Parquet tables cannot delete
rows); the load log (int_landing_files) is appended to, so the bad night's gate covers the
night's files.

``OCHRE_SPARK_TEST_DBT_COMMAND=build`` runs ``dbt build`` with the data and unit
tests instead of the seed and models only, on both engines: slower by several minutes.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import math
import os
import shutil
import tempfile
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from ochre_analytics.config import PROJECT_DIR, PUBLISHED_TABLES, Settings
from ochre_analytics.publish import publish
from orchestration.defs.dbt.resources import run_dbt
from tests.landing_builder import Landing, generate_daily_exports, land_until

pytest.importorskip("pyspark", reason="the spark extra is not installed: pip install -e '.[spark]'")
if shutil.which("java") is None and not os.environ.get("JAVA_HOME"):
    pytest.skip("Spark needs a Java runtime", allow_module_level=True)

from ochre_analytics.spark_publish import (  # noqa: E402
    SparkBuildSettings,
    export_db,
    export_spark_build,
    spark_conf,
)

AS_OF = dt.date(2026, 11, 20)
# the date of a conversation alone on it (isolated_conversation)
ISOLATED_DAY = AS_OF - dt.timedelta(days=40)
WORKED_EXAMPLE = Path(__file__).parent / "fixtures" / "worked_example"
PUBLISHED = PUBLISHED_TABLES
DBT_COMMAND = os.environ.get("OCHRE_SPARK_TEST_DBT_COMMAND", "run")


# -- landing sets ---------------------------------------------------------------------------


def _write_lines(path: Path, rows: list, newline: str = "\n", gz: bool = False) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = newline.join(r if isinstance(r, str) else json.dumps(r) for r in rows) + newline
    if gz:
        with gzip.open(path, "wt", encoding="utf-8", newline="") as handle:
            handle.write(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")


def add_reader_corner_cases(landing: Path) -> None:
    """Landing files for the readers' corners, on which DuckDB and Spark must agree.

    Invalid JSON and non-object lines, blank lines (numbered, skipped), CRLF
    in a gzipped file, a file name with a space and a '+', JSON numbers,
    booleans and objects where strings are expected, integer scores written
    as '5.5', 1.5 and '1e0', timestamps with minutes only, nanoseconds, an
    offset, no time, a '+' year and an impossible month, valid, unknown and
    wrongly cased time zones, Parquet files without the optional columns,
    with naive timestamps, with string timestamps and with no rows, an empty
    JSON Lines file, and a nested folder and a .txt file that are not read.
    """
    ts = "2026-11-01T00:00:00Z"
    _write_lines(landing / "workspaces" / "edge workspaces+1.jsonl", [
        {"workspace_id": "wsk", "name": "Kathmandu", "timezone": "Asia/Kathmandu",
         "updated_at": "2026-11-01T10:03Z"},
        {"workspace_id": "wsm", "name": "Mars", "timezone": "Mars/Base", "updated_at": ts},
        {"workspace_id": "wsl", "name": "lower", "timezone": "utc", "updated_at": ts},
        "not json at all",
        "[1, 2]",
        "",
        "   ",
        '"just a string"',
        {"workspace_id": "wsx", "updated_at": "2026-13-01T00:00:00Z"},
        {"workspace_id": "wsy", "updated_at": "+2026-11-01T00:00:00Z"},
        {"workspace_id": "wsz", "updated_at": "2026-11"},
        {"workspace_id": 123, "timezone": None, "updated_at": "2026-11-01"},
        {"workspace_id": "wsc", "name": {"nested": [1, 2]}, "timezone": "Pacific/Chatham",
         "updated_at": "2026-11-01 05:00:00.123456789+05:45"},
        '{"workspace_id": "wst", "updated_at": "2026-11-01T00:00:00Z", "extra": true}',
        '{"workspace_id": "wsu", "updated_at": "2026-11-01T00:00:00Z"',
    ])
    _write_lines(landing / "agents" / "edge.jsonl.gz", [
        {"agent_id": "ag_k1", "workspace_id": "wsk", "display_name": "K1", "role": "owner",
         "status": "active", "updated_at": ts},
        {"agent_id": "ag_k2", "workspace_id": "wsk", "role": "Agent", "status": "active",
         "updated_at": ts},
        {"agent_id": "ag_m1", "workspace_id": "wsm", "role": "agent", "status": "active",
         "updated_at": ts},
        "",
        {"agent_id": "ag_k3", "workspace_id": "wsk", "role": "agent", "status": "active",
         "updated_at": "2026-11-01T00:00:00-05:00"},
    ], newline="\r\n", gz=True)
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({
        "agent_id": ["ag_k4", "ag_k5"],
        "workspace_id": ["wsk", "wsk"],
        "role": ["admin", "agent"],
        "status": ["active", "deactivated"],
        "updated_at": pa.array([dt.datetime(2026, 11, 2, 8), dt.datetime(2026, 11, 2, 9)],
                               pa.timestamp("us")),
    }), landing / "agents" / "edge-missing-columns.parquet")
    _write_lines(landing / "conversations" / "edge.jsonl", [
        {"conversation_id": "cv_k1", "workspace_id": "wsk", "created_at": "2026-11-18T18:20:00Z",
         "status": "open", "updated_at": "2026-11-18T18:20:00Z"},
        {"conversation_id": "cv_k2", "workspace_id": "wsk", "created_at": "2026-11-19T23:50:00Z",
         "status": "Closed", "updated_at": "2026-11-19T23:50:00Z"},
        {"conversation_id": "cv_k3", "workspace_id": "wsk", "created_at": "2026-11-19T10:00:00Z",
         "assignee_agent_id": "nobody", "updated_at": "2026-11-19T10:00:00Z"},
    ])
    pq.write_table(pa.table({
        "conversation_id": ["cv_k4"],
        "workspace_id": ["wsk"],
        "created_at": ["2026-11-20T02:00:00+05:45"],
        "updated_at": ["2026-11-20T02:00:00+05:45"],
        "unrelated": [1.5],
    }), landing / "conversations" / "edge-strings.parquet")

    def message(mid, conv, at, author, agent=None, kind="reply", assist=None):
        return {"message_id": mid, "conversation_id": conv, "workspace_id": "wsk",
                "created_at": at, "author_type": author, "author_agent_id": agent,
                "message_type": kind, "ai_assist": assist, "updated_at": at}

    _write_lines(landing / "messages" / "edge.jsonl", [
        message("mk1", "cv_k1", "2026-11-18T18:20:00Z", "customer"),
        message("mk2", "cv_k1", "2026-11-18T18:30:00.5Z", "agent", "ag_k1", assist="draft_sent"),
        message("mk3", "cv_k1", "2026-11-18T18:40:00Z", "agent", "ag_k4"),
        message("mk4", "cv_k4", "2026-11-19T20:00:00Z", "customer"),
        message("mk5", "cv_k4", "2026-11-19T20:07:00Z", "agent", "ag_k5", assist="draft_edited"),
        message("mk6", "cv_k4", "2026-11-19T20:08:00Z", "agent", "ag_k1", kind="note"),
        message("mk7", "cv_k4", "2026-11-19T20:09:00Z", "bot"),
    ])
    _write_lines(landing / "mentions" / "edge.jsonl", [
        {"mention_id": "mnk1", "message_id": "mk6", "conversation_id": "cv_k4",
         "workspace_id": "wsk", "mentioned_agent_id": "ag_k5",
         "created_at": "2026-11-19T20:08:00Z", "updated_at": "2026-11-19T20:08:00Z"},
    ])
    (landing / "mentions" / "empty.jsonl").write_text("")

    def csat(rid, conv, score, at):
        return {"response_id": rid, "conversation_id": conv, "workspace_id": "wsk",
                "score": score, "submitted_at": at, "updated_at": at}

    _write_lines(landing / "csat_responses" / "edge.jsonl", [
        csat("rk1", "cv_k1", "5.5", "2026-11-19T01:00:00Z"),
        csat("rk2", "cv_k1", 1.5, "2026-11-19T02:00:00Z"),
        csat("rk3", "cv_k4", "1e0", "2026-11-20T03:00:00Z"),
        csat("rk4", "cv_k4", "abc", "2026-11-20T03:00:00Z"),
    ])
    pq.write_table(pa.table({
        "response_id": pa.array([], pa.string()),
        "workspace_id": pa.array([], pa.string()),
        "score": pa.array([], pa.int64()),
        "submitted_at": pa.array([], pa.timestamp("us", tz="UTC")),
        "updated_at": pa.array([], pa.timestamp("us", tz="UTC")),
    }), landing / "nps_responses" / "edge-empty.parquet")
    _write_lines(landing / "messages" / "archive" / "old.jsonl", ["not read"])
    _write_lines(landing / "messages" / "notes.txt", ["not read"])


def add_business_hours(landing: Path) -> None:
    """Business hours and holidays for three of the generated workspaces (ws00002, UTC, has
    none: null business figures), across the DST changes of the 120 days (Sydney 10-04,
    Berlin 10-25, New York 11-01): split shifts, a Sunday 00:00-24:00, a schedule that
    changes on 10-01, holidays; and bad records. Parquet and JSON Lines."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ts = "2026-07-01T00:00:00Z"
    for entity in ("business_hours", "holidays"):
        (landing / entity).mkdir(parents=True, exist_ok=True)

    def interval(iid, ws, weekday, opens, closes, valid_from=None, valid_to=None):
        return {"interval_id": iid, "workspace_id": ws, "weekday": weekday, "opens_at": opens,
                "closes_at": closes, "valid_from": valid_from, "valid_to": valid_to,
                "updated_at": ts}

    rows = []
    for day in range(1, 6):
        rows += [interval(f"ny_am{day}", "ws00000", day, "09:00", "12:00"),
                 interval(f"ny_pm{day}", "ws00000", day, "13:00", "17:30"),
                 interval(f"be{day}", "ws00001", day, "08:00", "16:00"),
                 interval(f"sy_old{day}", "ws00003", day, "09:00", "17:00", None, "2026-09-30"),
                 interval(f"sy_new{day}", "ws00003", day, "10:00", "18:00", "2026-10-01")]
    rows += [interval("ny_sat", "ws00000", 6, "10:00", "14:00", "2026-10-01"),
             interval("be_sun", "ws00001", 7, "00:00", "24:00", "2026-01-01"),
             interval("sy_sun", "ws00003", 7, "09:00", "17:00", "2026-01-01")]
    pq.write_table(pa.Table.from_pylist(rows), landing / "business_hours" / "hours.parquet")
    _write_lines(landing / "business_hours" / "edge.jsonl", [
        interval("be_sat1", "ws00001", 6, "10:00", "12:00"),
        interval("be_sat2", "ws00001", 6, "11:30", "13:00"),  # overlaps be_sat1: both rejected
        interval("bad_day", "ws00001", 0, "10:00", "12:00"),
        interval("bad_order", "ws00001", 6, "15:00", "14:00"),
        interval("nowhere", "ws_none", 1, "09:00", "17:00"),
    ])

    def holiday(hid, ws, date):
        return {"holiday_id": hid, "workspace_id": ws, "date": date, "name": hid,
                "updated_at": ts}

    _write_lines(landing / "holidays" / "holidays.jsonl", [
        holiday("ny_columbus", "ws00000", "2026-10-12"),
        holiday("ny_veterans", "ws00000", "2026-11-11"),
        holiday("be_unity", "ws00001", "2026-10-03"),
        holiday("sy_labour", "ws00003", "2026-10-05"),
        holiday("bad_date", "ws00003", "2026-02-30"),
    ])


def generated_landing(root: Path) -> Path:
    """The worked example, about 2,000 conversations in four time zones (demo_data), the
    corner cases and business hours, in one landing folder."""
    from ochre_analytics import demo_data

    landing = root / "landing"
    demo_data.generate(
        landing, conversations=2000, workspaces=4, days=120, seed=5, fmt="mixed",
        end_date=AS_OF, progress=False,
    )
    add_reader_corner_cases(landing)
    add_business_hours(landing)
    for source in (WORKED_EXAMPLE / "landing").glob("*/*"):
        shutil.copyfile(source, landing / source.parent.name / f"worked-example-{source.name}")
    return landing


# -- builds ---------------------------------------------------------------------------------


def build(landing: Path, warehouse: Path, target: str, *, full_refresh: bool = False,
          as_of: dt.date = AS_OF) -> Settings:
    """dbt on `target` as of `as_of`; the settings of that warehouse."""
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=warehouse, target=target)
    # "run": the seed and the models, without the tests (dbt run does not load seeds)
    args = (["build"] if DBT_COMMAND == "build" else
            ["build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test"])
    args += ["--full-refresh"] if full_refresh else []
    outcome = run_dbt(settings, args, as_of=as_of)
    assert outcome.success, "\n".join(outcome.failures or [outcome.exception or "dbt failed"])
    return settings


def build_and_publish(landing: Path, warehouse: Path, target: str, keep_as: Path,
                      *, full_refresh: bool = False, as_of: dt.date = AS_OF) -> Path:
    """build(), then publish() (from the Spark export on Spark); a copy of the file."""
    settings = build(landing, warehouse, target, full_refresh=full_refresh, as_of=as_of)
    build_settings = export_spark_build(settings) if target == "spark" else settings
    published = publish(build_settings, as_of, tables=PUBLISHED_TABLES)
    shutil.copyfile(published, keep_as)
    return keep_as


SHORT_RUN_JVM_OPTIONS = " ".join((
    "-XX:TieredStopAtLevel=1",
    "-XX:ReservedCodeCacheSize=240m",
    "-XX:+UseSerialGC",
))
"""JVM options for this module's Spark processes (dbt's and the export's), which the JVM
reads from ``JAVA_TOOL_OPTIONS`` itself. Their runs are short and share two cores with
another test worker: the quick (C1) compiler alone and the one-thread garbage collector
cost a third less CPU than the JVM's defaults (``docs/spark.md``, "Speed"). The
C1 compiler alone reserves a code cache of 48 MB instead of 240 MB, which a nightly
sequence fills ("Out of space in CodeCache"): the cache keeps the default size. The
product keeps the JVM's defaults, whose optimising compiler pays off on large builds."""


@pytest.fixture(scope="module", autouse=True)
def short_run_jvm():
    with pytest.MonkeyPatch.context() as patch:
        # before any options already set, which win: the JVM takes the last of a repeat
        patch.setenv("JAVA_TOOL_OPTIONS", SHORT_RUN_JVM_OPTIONS, prepend=" ")
        yield


@pytest.fixture(scope="module")
def spark_warehouse(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("spark-warehouse")


def temp_resources() -> set[Path]:
    """Hive's session resource folders in the system temp folder (its default place)."""
    return set(Path(tempfile.gettempdir()).glob("*_resources"))


@pytest.fixture(scope="module")
def resources_before_spark() -> set[Path]:
    return temp_resources()


@pytest.fixture(scope="module")
def generated(tmp_path_factory, spark_warehouse, resources_before_spark) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("generated")
    landing = generated_landing(root)
    return {
        "landing": landing,
        "duckdb": build_and_publish(landing, root / "duckdb", "duckdb", root / "duckdb.duckdb"),
        "spark": build_and_publish(landing, spark_warehouse, "spark", root / "spark.duckdb"),
    }


@pytest.fixture(scope="module")
def late_records_sequence(tmp_path_factory) -> dict[str, Path]:
    """Two nightly Spark runs: as of D-1 on the exports up to D-1, then as of D once D's
    exports and the next day's (late records for D and earlier days) landed, against one
    DuckDB full refresh on the final landing folder (tests/test_incremental.py runs a
    longer sequence on DuckDB). A warehouse and metastore of its own."""
    root = tmp_path_factory.mktemp("late-records")
    source = generate_daily_exports(root / "source", AS_OF)
    landing, spark_warehouse = root / "landing", root / "spark"
    # the first night's tables are not compared: that run is not exported
    land_until(source, landing, AS_OF - dt.timedelta(days=1))
    isolated_conversation(ISOLATED_DAY).write(landing)
    night_cases(1).write(landing)
    build(landing, spark_warehouse, "spark", as_of=AS_OF - dt.timedelta(days=1))
    # D's exports land, and the next day's, which bring late records for D and before
    land_until(source, landing, AS_OF + dt.timedelta(days=1))
    night_cases(2).write(landing)
    spark = build_and_publish(landing, spark_warehouse, "spark", root / "spark.duckdb")
    return {
        "landing": landing,
        "spark_warehouse": spark_warehouse,
        "spark": spark,
        "duckdb": build_and_publish(landing, root / "duckdb", "duckdb", root / "duckdb.duckdb",
                                    full_refresh=True),
    }


def night_cases(night: int) -> Landing:
    """The corner cases of tests/test_incremental.py's nights, in workspace ws00001 of the
    generated exports: night 1 lands messages of a conversation that has not landed and one
    side of two same-id, same-updated_at conflicts; night 2 lands the conversation, a
    conversation answered weeks ago, the other sides of the conflicts (in files sorting
    before and after) and a record with a far-future updated_at. Business hours land on
    night 1 (a split shift), a holiday for a day already counted and another workspace's
    hours on night 2."""
    land, ws = Landing(file=f"night{night}.jsonl"), "ws00001"
    if night == 1:
        land.agent("anight", ws)
        land.message("mn1", "cnight", ws, "2026-11-17T10:00:00Z", "customer")
        land.message("mn2", "cnight", ws, "2026-11-17T10:20:00Z", "agent", "anight",
                     ai_assist="draft_sent")
        for rec in ("tn1", "tn2"):
            land.message(rec, "cnight2", ws, "2026-11-17T09:30:00Z", "agent", "anight",
                         ai_assist="draft_sent", updated_at="2026-11-17T11:00:00Z",
                         file="b_export.jsonl")
        land.conversation("cnight2", ws, "2026-11-17T09:00:00Z")
        # business hours in Berlin, split shift on weekdays
        for weekday in range(1, 6):
            land.interval(f"bn{weekday}a", ws, weekday, "08:00", "12:00")
            land.interval(f"bn{weekday}b", ws, weekday, "13:00", "18:30")
    else:
        land.conversation("cnight", ws, "2026-11-17T10:00:00Z",
                          updated_at=f"{AS_OF.isoformat()}T06:00:00Z")
        land.answered("cweeks", ws, "anight", "2026-10-20T08:00:00Z", "2026-10-20T08:45:00Z",
                      ("mw1", "mw2"))
        for rec, file in (("tn1", "a_export.jsonl"), ("tn2", "z_export.jsonl")):
            land.message(rec, "cnight2", ws, "2026-11-17T09:30:00Z", "agent", "anight",
                         ai_assist="none", updated_at="2026-11-17T11:00:00Z", file=file)
        land.message("mf1", "cnight2", ws, "2026-11-18T08:00:00Z", "customer",
                     updated_at="9999-12-31T00:00:00Z", file="future.jsonl")
        # late business-calendar changes: a holiday on a day already counted, and hours for
        # ws00002 (UTC now; the rezoned run moves it to Asia/Tokyo)
        land.holiday("hnight", ws, "2026-11-17", file="late_holiday.jsonl")
        for weekday in range(1, 8):
            land.interval(f"bz{weekday}", "ws00002", weekday, "00:00", "12:00",
                          file="late_hours.jsonl")
    return land


@pytest.fixture(scope="module")
def rezoned_sequence(tmp_path_factory, late_records_sequence) -> dict[str, Path]:
    """A third nightly Spark run on late_records_sequence's warehouse after workspace ws00002
    moved from UTC (a null time zone) to Asia/Tokyo, which re-dates its history, the isolated
    conversation's messages were re-exported a day later, and a bad night's file landed (4 of
    40 messages point at conversations that never landed), against a DuckDB full refresh on
    the same landing folder. The audit of the Spark export, covering the files loaded since
    the second run, must fail on the bad night's file."""
    from data_checks import validate

    root = tmp_path_factory.mktemp("rezoned")
    landing, spark_warehouse = late_records_sequence["landing"], late_records_sequence[
        "spark_warehouse"]
    (landing / "workspaces" / "rezoned.jsonl").write_text(json.dumps(
        {"workspace_id": "ws00002", "name": "Cedar Help Center", "timezone": "Asia/Tokyo",
         "updated_at": f"{AS_OF.isoformat()}T06:00:00Z"}) + "\n")
    # the isolated conversation's messages are re-exported a day later: its day is left
    # with no activity at all
    isolated_conversation(ISOLATED_DAY + dt.timedelta(days=1),
                          updated_at=f"{AS_OF.isoformat()}T06:00:00Z").write(landing)
    bad = Landing(file="bad_night.jsonl")
    for n in range(40):
        bad.message(f"mb{n:02d}", "cmissing" if n < 4 else "cnight2", "ws00001",
                    f"{AS_OF.isoformat()}T07:00:00Z", "customer")
    bad.write(landing)
    second_run = dt.datetime.now(dt.UTC)
    spark = build_and_publish(landing, spark_warehouse, "spark", root / "spark.duckdb")
    report = validate(export_db(Settings.from_env(warehouse_dir=spark_warehouse)), AS_OF,
                      out_dir=None, tables=["landing_file_loads"], loaded_since=second_run)
    return {
        "spark_warehouse": spark_warehouse,
        "spark": spark,
        "gate": report.failure_lines(),
        "duckdb": build_and_publish(landing, root / "duckdb", "duckdb", root / "duckdb.duckdb",
                                    full_refresh=True),
    }


def isolated_conversation(day: dt.date, **updated) -> Landing:
    """The messages of workspace wsiso's only conversation, on `day`, a date with no other
    activity (the generated exports span 14 days). Without `updated`, the first export: with
    the workspace, agent and conversation (files isolated.jsonl); with it, a re-export
    (isolated-reexport.jsonl)."""
    land, at = Landing(), day.isoformat()
    file = "isolated-reexport.jsonl" if updated else "isolated.jsonl"
    if not updated:
        land.workspace("wsiso", "UTC", file=file)
        land.agent("aiso", "wsiso", file=file)
        land.conversation("ciso", "wsiso", f"{at}T09:00:00Z", file=file)
    land.message("miso1", "ciso", "wsiso", f"{at}T09:00:00Z", "customer", file=file,
                 **updated)
    land.message("miso2", "ciso", "wsiso", f"{at}T09:20:00Z", "agent", "aiso",
                 ai_assist="none", file=file, **updated)
    return land


# -- comparison -----------------------------------------------------------------------------


def _query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def _columns(db: Path, table: str) -> list[tuple[str, str]]:
    return _query(db, "select column_name, data_type from information_schema.columns "
                      "where table_schema = 'main' and table_name = ? order by ordinal_position",
                  [table])


def _same_value(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return a == b or abs(a - b) <= 1e-9 * max(abs(a), abs(b))
    return a == b


# when a file was loaded and its modification time (Spark lists it to the millisecond)
NOT_COMPARED = {"landing_file_loads": ("loaded_at", "file_modified_at")}
# Spark's file sources skip empty files: its load log does not list them (docs/spark.md)
ROWS_COMPARED = {"landing_file_loads": "file_size_bytes > 0"}


def assert_same_table(duck: Path, spark: Path, table: str) -> int:
    columns = _columns(duck, table)
    assert columns, f"{table} is missing from the DuckDB publish"
    assert _columns(spark, table) == columns, f"{table}: columns or types differ"
    columns = [c for c in columns if c[0] not in NOT_COMPARED.get(table, ())]
    order = ", ".join(f'"{name}"' for name, _ in columns)
    where = ROWS_COMPARED.get(table, "true")
    sql = f'select {order} from main."{table}" where {where} order by {order}'
    duck_rows, spark_rows = _query(duck, sql), _query(spark, sql)
    assert len(spark_rows) == len(duck_rows), f"{table}: row counts differ"
    names = [name for name, _ in columns]
    for d_row, s_row in zip(duck_rows, spark_rows, strict=True):
        for name, d, s in zip(names, d_row, s_row, strict=True):
            assert _same_value(d, s), f"{table}.{name}: duckdb {d!r} != spark {s!r} in {d_row}"
    return len(duck_rows)


# -- tests ----------------------------------------------------------------------------------


@pytest.mark.parametrize("table,keys", [
    ("agent_leaderboard", ["period_days", "agent_id"]),
    ("team_kpis", ["period_days"]),
])
def test_worked_example_on_spark_matches_expected_csv(generated, table, keys):
    expected = pd.read_csv(WORKED_EXAMPLE / f"expected_{table}.csv")
    con = duckdb.connect(str(generated["spark"]), read_only=True)
    try:
        actual = con.execute(f"select * from {table} where workspace_id = 'w1'").fetchdf()
    finally:
        con.close()
    actual["as_of_date"] = actual["as_of_date"].astype(str)
    assert list(actual.columns) == list(expected.columns)
    actual = actual.sort_values(keys).reset_index(drop=True)
    expected = expected.sort_values(keys).reset_index(drop=True)
    assert len(actual) == len(expected)
    for col in expected.columns:
        for a, e in zip(actual[col], expected[col], strict=True):
            if isinstance(e, float) and math.isnan(e):
                assert a is None or a is pd.NA or (isinstance(a, float) and math.isnan(a)), col
            elif isinstance(e, float):
                assert a == pytest.approx(e, rel=1e-12), col
            else:
                assert str(a) == str(e), col


@pytest.mark.parametrize("table", PUBLISHED)
def test_nightly_spark_runs_with_late_records_equal_a_duckdb_full_refresh(
        late_records_sequence, table):
    rows = assert_same_table(late_records_sequence["duckdb"], late_records_sequence["spark"],
                             table)
    assert rows > 0, f"{table} is empty: the comparison proves nothing"


def test_nightly_spark_runs_cover_the_nights_corner_cases(late_records_sequence):
    spark = late_records_sequence["spark"]
    # the conversation that landed on the second night: its messages count, none rejected
    assert _query(spark, "select count(*) from rejected_records where record_id like 'mn%'") \
        == [(0,)]
    assert _query(spark, "select reason from rejected_records where record_id = 'mf1'") \
        == [("updated_at in the future",)]
    # weeks-late records are in the drill-down
    assert _query(spark, "select replies_sent from agent_daily_activity"
                         " where agent_id = 'anight' and activity_date = '2026-10-20'") == [(1,)]
    # one winner of each same-updated_at conflict: b_export beats a_export, z_export beats it
    assert _query(spark, "select ai_draft_sent_replies, scratch_replies from agent_daily_activity"
                         " where agent_id = 'anight' and activity_date = '2026-11-17'") \
        == [(2, 1)]
    # the holiday that landed on night 2 re-measured 11-17 in business hours: closed all day
    assert _query(spark, "select median_first_response_seconds > 0,"
                         " median_first_response_business_seconds from agent_daily_activity"
                         " where agent_id = 'anight' and activity_date = '2026-11-17'") \
        == [(True, 0)]
    # ws00002's hours landed on night 2: its team figures in business hours are measured
    assert _query(spark, "select count(*) from team_kpis where workspace_id = 'ws00002'"
                         " and median_first_response_business_seconds is not null") == [(4,)]


@pytest.mark.parametrize("table", PUBLISHED)
def test_nightly_spark_run_after_a_time_zone_change_equals_a_duckdb_full_refresh(
        rezoned_sequence, table):
    rows = assert_same_table(rezoned_sequence["duckdb"], rezoned_sequence["spark"], table)
    assert rows > 0, f"{table} is empty: the comparison proves nothing"


def test_nightly_spark_run_re_dated_the_rezoned_workspace(rezoned_sequence):
    for engine in ("duckdb", "spark"):
        assert _query(rezoned_sequence[engine],
                      "select timezone from workspaces where workspace_id = 'ws00002'") \
            == [("Asia/Tokyo",)]


def test_nightly_spark_run_dropped_the_date_whose_only_activity_moved(rezoned_sequence):
    moved_to = ISOLATED_DAY + dt.timedelta(days=1)
    for engine in ("duckdb", "spark"):
        assert _query(rezoned_sequence[engine],
                      "select activity_date, replies_sent from agent_daily_activity"
                      " where agent_id = 'aiso'") == [(moved_to, 1)]


def test_bad_night_on_spark_fails_the_gate_on_the_nights_files(rezoned_sequence):
    assert rezoned_sequence["gate"] == [
        "landing_file_loads, rejected_share, expect_column_values_to_be_between, "
        "messages: 9.5 % of 42 records rejected (threshold 1.0 %): "
        + "; ".join(f"messages/bad_night.jsonl:{n + 1} mb{n:02d} unknown conversation"
                    for n in range(4))
        + " (4 in all: rejected_records)"
    ]


@pytest.mark.parametrize("table", PUBLISHED)
def test_generated_set_same_on_both_engines(generated, table):
    rows = assert_same_table(generated["duckdb"], generated["spark"], table)
    assert rows > 0, f"{table} is empty: the comparison proves nothing"


def test_generated_set_covers_timezones_formats_and_rejections(generated):
    spark = generated["spark"]
    zones = {z for (z,) in _query(spark, "select distinct timezone from workspaces")}
    assert {"America/New_York", "Europe/Berlin", "UTC", "Australia/Sydney",
            "Asia/Kathmandu", "Pacific/Chatham"} <= zones
    low = "select count(distinct conversation_id) from agent_low_csat_conversations"
    assert _query(spark, low)[0][0] > 0
    assert _query(spark, "select count(*) from agent_leaderboard")[0][0] >= 40
    reasons = {r for (r,) in _query(spark, "select distinct reason from rejected_records")}
    assert {"invalid JSON", "JSON line is not an object", "unknown timezone 'Mars/Base'",
            "unknown timezone 'utc'", "unparseable timestamp in updated_at",
            "not an integer in score", "score out of range 1-5"} <= reasons
    files = {f for (f,) in _query(spark, "select distinct source_file from rejected_records")}
    assert any(f.endswith(".jsonl.gz") for f in files)
    assert any(" " in f and "+" in f for f in files)
    assert not any("archive" in f or f.endswith(".txt") for f in files)
    landing_files = {
        p.suffix for p in Path(generated["landing"]).rglob("*") if p.is_file()
    }
    assert {".jsonl", ".gz", ".parquet"} <= landing_files


def test_generated_set_has_business_hours_on_both_engines(generated):
    """The business-hours figures compared above are there (not all null), null for the
    workspace without hours, at most the calendar ones; bad schedule records rejected."""
    for engine in ("duckdb", "spark"):
        rows = _query(
            generated[engine],
            "select workspace_id, count(median_first_response_business_seconds),"
            " count(*) filter (where median_first_response_business_seconds"
            " > median_first_response_seconds) from agent_daily_activity group by all",
        )
        counts = {ws: (present, above) for ws, present, above in rows}
        assert all(counts[ws][0] > 0 for ws in ("ws00000", "ws00001", "ws00003")), counts
        assert counts["ws00002"][0] == 0
        assert all(above == 0 for _, above in counts.values())
    reasons = dict(_query(
        generated["spark"],
        "select record_id, reason from rejected_records"
        " where entity in ('business_hours', 'holidays')",
    ))
    assert reasons == {
        "be_sat1": "overlaps interval be_sat2", "be_sat2": "overlaps interval be_sat1",
        "bad_day": "weekday out of range 1-7", "bad_order": "closes_at not after opens_at",
        "nowhere": "unknown workspace", "bad_date": "unparseable date in date",
    }


def test_corner_case_lines_rejected_with_their_line_numbers(generated):
    rows = _query(
        generated["spark"],
        "select line_number, record_id, reason from rejected_records "
        "where source_file like '%edge workspaces+1.jsonl' order by line_number",
    )
    assert rows == [
        (2, "wsm", "unknown timezone 'Mars/Base'"),
        (3, "wsl", "unknown timezone 'utc'"),
        (4, None, "invalid JSON"),
        (5, None, "JSON line is not an object"),
        (8, None, "JSON line is not an object"),
        (9, "wsx", "unparseable timestamp in updated_at"),
        (10, "wsy", "unparseable timestamp in updated_at"),
        (11, "wsz", "unparseable timestamp in updated_at"),
        (15, None, "invalid JSON"),
    ]


def test_spark_publish_says_spark(generated):
    assert _query(generated["spark"], "select engine from publish_metadata") == [("spark",)]
    assert _query(generated["duckdb"], "select engine from publish_metadata") == [("duckdb",)]


def test_spark_files_stay_under_the_warehouse(generated, spark_warehouse,
                                              resources_before_spark):
    spark_dir = spark_warehouse / "spark"
    assert (spark_dir / "metastore_db").is_dir()
    # Hive's per-session resource folders: the dbt build's session and the export's
    assert len(list((spark_dir / "tmp").glob("*_resources"))) == 2
    assert temp_resources() - resources_before_spark == set()
    assert (spark_dir / "warehouse" / "ochre.db" / "agent_leaderboard").is_dir()
    assert export_db(Settings.from_env(warehouse_dir=spark_warehouse)).is_file()
    assert not (PROJECT_DIR / "metastore_db").exists()
    assert not (PROJECT_DIR / "spark-warehouse").exists()


def test_spark_conf_comes_from_the_profile(tmp_path):
    settings = Settings.from_env(warehouse_dir=tmp_path, target="spark")
    conf = spark_conf(settings)
    assert conf["spark.sql.warehouse.dir"] == f"{tmp_path}/spark/warehouse"
    assert conf["spark.hadoop.javax.jdo.option.ConnectionURL"] == (
        f"jdbc:derby:;databaseName={tmp_path}/spark/metastore_db;create=true"
    )
    assert conf["spark.sql.session.timeZone"] == "UTC"
    build = export_spark_build.__module__  # the hook the pipeline calls
    assert build == "ochre_analytics.spark_publish"
    settings_for_publish = SparkBuildSettings(
        landing_dir=settings.landing_dir, warehouse_dir=tmp_path, target="spark",
        spark_export_db=tmp_path / "x.duckdb",
    )
    assert settings_for_publish.warehouse_db == tmp_path / "x.duckdb"
    assert settings_for_publish.published_db == tmp_path / "published" / "leaderboard.duckdb"
