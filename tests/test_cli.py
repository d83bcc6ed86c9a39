"""The CLI's errors: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.landing_builder import WORKED_EXAMPLE


def cli(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ochre_analytics.cli", *args],
        capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
    )


def assert_one_line_error(proc: subprocess.CompletedProcess, *needles: str) -> None:
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, proc.stderr
    for needle in needles:
        assert needle in errors[0], errors[0]


def test_missing_landing_folder(tmp_path):
    proc = cli("run", "--landing", str(tmp_path / "nope"), "--warehouse", str(tmp_path / "wh"),
               "--as-of", "2026-11-20")
    assert_one_line_error(proc, "does not exist", "nope")
    assert proc.returncode == 2


def test_empty_landing_set(tmp_path):
    (tmp_path / "landing" / "messages").mkdir(parents=True)
    proc = cli("run", "--landing", str(tmp_path / "landing"), "--warehouse",
               str(tmp_path / "wh"), "--as-of", "2026-11-20")
    assert_one_line_error(proc, "holds no landing files")


@pytest.mark.parametrize("bad", ["20-11-2026", "2026-02-30", "yesterday"])
def test_bad_as_of(tmp_path, bad):
    proc = cli("run", "--landing", str(WORKED_EXAMPLE / "landing"), "--warehouse",
               str(tmp_path), "--as-of", bad)
    assert_one_line_error(proc, "--as-of must be a date as YYYY-MM-DD", bad)


@pytest.mark.parametrize("name,content", [
    ("broken.jsonl.gz", b"this is not gzip"),
    ("broken.parquet", b"PAR1 not really parquet"),
])
def test_unreadable_file(tmp_path, name, content):
    landing = tmp_path / "landing"
    subprocess.run(["cp", "-r", str(WORKED_EXAMPLE / "landing"), str(landing)], check=True)
    (landing / "messages" / name).write_bytes(content)
    proc = cli("run", "--landing", str(landing), "--warehouse", str(tmp_path / "wh"),
               "--as-of", "2026-11-20")
    assert_one_line_error(proc, "cannot read landing file", name)


def test_unreadable_permissions(tmp_path):
    landing = tmp_path / "landing"
    subprocess.run(["cp", "-r", str(WORKED_EXAMPLE / "landing"), str(landing)], check=True)
    target = landing / "agents" / "agents.jsonl"
    target.chmod(0o000)
    try:
        if os.access(target, os.R_OK):  # root reads anything: use a folder it cannot list
            target.chmod(0o644)
            target.rename(landing / "agents" / "agents.jsonl.tmp")
            (landing / "agents" / "agents.jsonl").mkdir()
            proc = cli("run", "--landing", str(landing), "--warehouse", str(tmp_path / "wh"),
                       "--as-of", "2026-11-20")
            # a folder named like a landing file is not a file: the run goes on, nothing breaks
            assert "Traceback" not in proc.stderr
        else:
            proc = cli("run", "--landing", str(landing), "--warehouse", str(tmp_path / "wh"),
                       "--as-of", "2026-11-20")
            assert_one_line_error(proc, "cannot read landing file", "permission denied")
    finally:
        if target.exists():
            target.chmod(0o644)


def test_leaderboard_before_any_publish(tmp_path):
    proc = cli("leaderboard", "--warehouse", str(tmp_path))
    assert_one_line_error(proc, "nothing published yet")


def test_bad_threshold_env(tmp_path):
    proc = cli("run", "--landing", str(WORKED_EXAMPLE / "landing"), "--warehouse", str(tmp_path),
               "--as-of", "2026-11-20", env={"OCHRE_REJECTED_THRESHOLD": "lots"})
    assert_one_line_error(proc, "OCHRE_REJECTED_THRESHOLD must be a number")


def test_bad_deep_checks_env(tmp_path):
    proc = cli("run", "--landing", str(WORKED_EXAMPLE / "landing"), "--warehouse", str(tmp_path),
               "--as-of", "2026-11-20", env={"OCHRE_DEEP_CHECKS": "sometimes"})
    assert_one_line_error(proc, "OCHRE_DEEP_CHECKS must be 1 or 0")


def test_deep_checks_setting_selects_the_dbt_tests(monkeypatch):
    from ochre_analytics.config import Settings

    monkeypatch.delenv("OCHRE_DEEP_CHECKS", raising=False)
    standard = Settings.from_env()
    assert standard.deep_checks is False
    assert standard.dbt_build_args() == [
        "--exclude", "tag:deep", "--exclude-resource-type", "unit_test"]
    assert standard.dbt_deep_check_args() is None
    # with deep checks the build is the same; the deep tests and unit tests follow it
    deep = ["test", "--select", "tag:deep test_type:unit"]
    monkeypatch.setenv("OCHRE_DEEP_CHECKS", "1")
    assert Settings.from_env().dbt_build_args() == standard.dbt_build_args()
    assert Settings.from_env().dbt_deep_check_args() == deep
    monkeypatch.setenv("OCHRE_DEEP_CHECKS", "0")
    assert Settings.from_env(deep_checks=True).dbt_deep_check_args() == deep
    # the settings and the as-of date reach dbt once, as the environment its profile and
    # project read (no --vars: a new date or landing folder keeps dbt's partial parsing)
    env = standard.dbt_env(dt.date(2026, 11, 20))
    assert env["OCHRE_AS_OF_DATE"] == "2026-11-20"
    assert env["OCHRE_LANDING_DIR"] == str(standard.landing_dir)
    assert env["OCHRE_WAREHOUSE_DIR"] == str(standard.warehouse_dir)
    assert "OCHRE_AS_OF_DATE" not in standard.dbt_env()


def test_importing_the_cli_loads_neither_orchestration_nor_dagster():
    """`ochre_analytics` never imports the code location; Dagster loads once a run starts."""
    probe = (
        "import sys, ochre_analytics.cli as cli; cli.build_parser(); "
        "print(sorted({m.split('.')[0] for m in sys.modules} "
        "& {'orchestration', 'dagster', 'dagster_dbt', 'dbt', 'great_expectations', "
        "'data_checks'}))"
    )
    proc = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]"


def test_settings_are_the_fields_of_the_code_locations_resource():
    """The CLI hands its settings to the job as the `ochre` resource's config: same fields."""
    from ochre_analytics.config import Settings
    from ochre_analytics.pipeline import run_config
    from orchestration.defs.resources import OchreSettings

    settings = Settings.from_env(landing_dir="/l", warehouse_dir="/w", deep_checks=True)
    config = run_config(settings, full_refresh=True)["resources"]["ochre"]["config"]
    assert set(config) == set(OchreSettings.model_fields)
    assert OchreSettings(**config).settings() == settings


def test_period_choices_are_the_windows_seed():
    from ochre_analytics.windows import WINDOWS_SEED, leaderboard_windows

    assert WINDOWS_SEED.read_bytes() == b"period_days\n7\n14\n30\n90\n"
    assert leaderboard_windows() == (7, 14, 30, 90)
    proc = cli("leaderboard", "--period", "8")
    assert proc.returncode == 2 and "choose from 7, 14, 30, 90" in proc.stderr


def test_run_and_print_leaderboard(tmp_path):
    proc = cli("run", "--landing", str(WORKED_EXAMPLE / "landing"), "--warehouse", str(tmp_path),
               "--as-of", "2026-11-20")
    assert proc.returncode == 0, proc.stderr
    steps = ["load the Dagster job", "start the Dagster run", "check landing files",
             "build (dbt build)", "audit", "publish"]
    # every step once, in order, each with its duration
    assert [line[4:] for line in proc.stderr.splitlines() if line.startswith("==> ")] == steps
    for step in steps:
        assert re.search(rf"^    {re.escape(step)}: \d+\.\ds$", proc.stderr, re.M), step
    assert "model agent_leaderboard" in proc.stderr
    assert (Path(tmp_path) / "published" / "leaderboard.duckdb").exists()
    board = cli("leaderboard", "--warehouse", str(tmp_path), "--period", "7")
    assert board.returncode == 0, board.stderr
    lines = board.stdout.splitlines()
    assert lines[0] == "Worked example (w1), 7 days to 2026-11-20"
    ada = next(line for line in lines if line.startswith("Ada"))
    assert ada.split() == ["Ada", "admin", "1", "new", "10m", "00s", "5.00", "(1)", "1", "1",
                           "0", "100%", "0", "underloaded"]
    bo = next(line for line in lines if line.startswith("Bo"))
    assert "32m 30s" in bo and "drowning" in bo and "5.00 (1)" in bo
    # the two team medians, each named and defined as on the page (docs/bi.md)
    team = next(line for line in lines if line.startswith("Team "))
    assert team.split()[:4] == ["Team", "med", "1.5", "10m"]
    assert lines[-2:] == [
        "Team median first response, all agents' samples: 10m 00s "
        "(Team row; median over every agent's first-response samples)",
        "Team median first response, per conversation: 7m 30s "
        "(the page's team tile; median over each conversation's first human reply)",
    ]


def test_durations_round_half_up_like_the_page():
    from ochre_analytics.report import format_seconds

    assert [format_seconds(s) for s in (None, 44.5, 1832.5, 1833.4, 3600, 90061)] == [
        "-", "45s", "30m 33s", "30m 33s", "1h 00m", "1d 01h"]
