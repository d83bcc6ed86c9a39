"""The landing check before a run: the contract's entity list, the load log, changed,
gone, unread and symlinked files."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import duckdb
import pytest
import yaml

from ochre_analytics import landing as landing_mod
from tests.landing_builder import WORKED_EXAMPLE


def test_entities_are_the_dbt_sources_of_the_landing_contract():
    sources = yaml.safe_load(landing_mod.SOURCES_YML.read_text())["sources"]
    (landing,) = [s for s in sources if s["name"] == "landing"]
    assert tuple(t["name"] for t in landing["tables"]) == landing_mod.ENTITIES
    assert landing_mod.ENTITIES == ("workspaces", "agents", "conversations", "messages",
                                    "csat_responses", "mentions", "nps_responses",
                                    "business_hours", "holidays")
    assert landing_mod.OPTIONAL_ENTITIES == ("nps_responses", "business_hours", "holidays")
    # every entity has its staging and deduplicated model
    models = Path(landing_mod.SOURCES_YML).parents[1]
    for entity in landing_mod.ENTITIES:
        assert (models / "staging" / f"stg_{entity}.sql").is_file()
        assert (models / "intermediate" / f"int_{entity}_deduplicated.sql").is_file()


def write_load_log(build_db: Path, landing: Path, loaded_at: dt.datetime) -> None:
    """A build database whose load log holds every landing file as it is now."""
    con = duckdb.connect(str(build_db))
    try:
        con.execute(
            "create table int_landing_files (entity varchar, source_file varchar,"
            " load_status varchar, file_size_bytes bigint, file_modified_at timestamptz,"
            " records_read bigint, loaded_at timestamptz, loaded_by_invocation varchar)"
        )
        for path in sorted(landing.glob("*/*")):
            stat = path.stat()
            con.execute(
                "insert into int_landing_files values (?, ?, 'loaded', ?, ?, 1, ?, 'x')",
                [path.parent.name, path.relative_to(landing).as_posix(), stat.st_size,
                 dt.datetime.fromtimestamp(stat.st_mtime_ns / 1e9, tz=dt.UTC), loaded_at],
            )
    finally:
        con.close()


@pytest.fixture
def loaded(tmp_path):
    """The worked example's landing folder, every file of it in the load log."""
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    build_db = tmp_path / "ochre.duckdb"
    write_load_log(build_db, landing, dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.UTC))
    return landing, build_db


def test_only_files_no_run_loaded_are_read(loaded, monkeypatch):
    landing, build_db = loaded
    read: list[str] = []
    real_check = landing_mod._check_readable

    def counting_check(path: Path, repairs_dir: Path | None = None) -> None:
        read.append(f"{path.parent.name}/{path.name}")
        real_check(path, repairs_dir)

    monkeypatch.setattr(landing_mod, "_check_readable", counting_check)
    landing_mod.inspect_landing(landing, build_db=build_db)
    assert read == []
    (landing / "messages" / "late.jsonl").write_text(
        (landing / "messages" / "messages.jsonl").read_text().splitlines()[0] + "\n"
    )
    landing_mod.inspect_landing(landing, build_db=build_db)
    assert read == ["messages/late.jsonl"]
    # a broken new file is named before dbt starts
    (landing / "messages" / "broken.jsonl.gz").write_bytes(b"not gzip")
    with pytest.raises(landing_mod.LandingError, match="broken.jsonl.gz"):
        landing_mod.inspect_landing(landing, build_db=build_db)
    # a full refresh (no load log) reads every file
    (landing / "messages" / "broken.jsonl.gz").unlink()
    read.clear()
    landing_mod.inspect_landing(landing)
    assert len(read) == 7


def test_a_loaded_file_that_changed_is_named(loaded):
    landing, build_db = loaded
    with open(landing / "agents" / "agents.jsonl", "a") as handle:
        handle.write("\n")
    with pytest.raises(landing_mod.LandingError) as error:
        landing_mod.inspect_landing(landing, build_db=build_db)
    message = str(error.value)
    assert message.startswith(
        "landing file agents/agents.jsonl changed after it was loaded on 2026-11-20 02:00 UTC "
        "(size 332 -> 333 bytes, modified ")
    assert message.endswith("land the change as a new file, or rebuild from every file with "
                            "--full-refresh")
    # a touched file (same size, another modification time) counts as changed too
    touched = build_db.with_name("b.duckdb")
    write_load_log(touched, landing, dt.datetime(2026, 11, 21, tzinfo=dt.UTC))
    os.utime(landing / "agents" / "agents.jsonl", (1_700_000_000, 1_700_000_000))
    with pytest.raises(landing_mod.LandingError, match="agents/agents.jsonl changed"):
        landing_mod.inspect_landing(landing, build_db=touched)


def test_files_not_read_and_files_gone_are_listed(loaded):
    landing, build_db = loaded
    (landing / "messages" / "extra.json").write_text("{}\n")
    (landing / "messages" / "x.jsonl.txt").write_text("{}\n")
    (landing / "messages" / ".hidden.jsonl").write_text("{}\n")
    (landing / "mentions" / "mentions.jsonl").unlink()
    found = landing_mod.inspect_landing(landing, build_db=build_db)
    assert landing_mod.landing_notes(found, landing) == [
        "not read: messages/.hidden.jsonl (hidden file; landing files end in .jsonl, "
        ".jsonl.gz, .parquet)",
        "not read: messages/extra.json (unrecognised extension; landing files end in .jsonl, "
        ".jsonl.gz, .parquet)",
        "not read: messages/x.jsonl.txt (unrecognised extension; landing files end in .jsonl, "
        ".jsonl.gz, .parquet)",
        "gone: mentions/mentions.jsonl was loaded earlier and is no longer in the landing "
        "folder; its records stay in the warehouse until a --full-refresh",
    ]


def test_a_symlink_out_of_the_landing_folder_is_refused(loaded, tmp_path):
    landing, build_db = loaded
    outside = tmp_path / "outside.jsonl"
    outside.write_text("{}\n")
    (landing / "messages" / "linked.jsonl").symlink_to(outside)
    with pytest.raises(landing_mod.LandingError) as error:
        landing_mod.inspect_landing(landing, build_db=build_db)
    assert str(error.value) == (
        f"{landing}/messages/linked.jsonl is a symlink to {outside}, outside the landing "
        "folder: refused"
    )


def test_a_warehouse_of_an_earlier_version_asks_for_a_full_refresh(loaded):
    landing, build_db = loaded
    con = duckdb.connect(str(build_db))
    con.execute("alter table int_landing_files rename to int_messages_deduplicated")
    con.close()
    with pytest.raises(landing_mod.LandingError, match="built by an earlier version"):
        landing_mod.inspect_landing(landing, build_db=build_db)
    landing_mod.inspect_landing(landing)  # a full refresh does not read the load log
