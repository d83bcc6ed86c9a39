"""The fault matrix (#22): every fault and every bad input ends in one clear line, and
nothing is lost.

Each case asserts the exit code, the one line the user sees (no traceback, no record
content), the published file's bytes and the landing files' bytes. The faults are real
where it matters: real `ochre-analytics run` processes killed with SIGKILL in the build, the
audit and the publish; two real runs at once (two CLI runs, and two Dagster runs started
together with `dagster job execute`); a build database deleted, overwritten or truncated on
disk. A full disk is simulated by making the writes under the validation folder (the audit)
or the publish raise ENOSPC.

Pipeline runs cost about 20 s each, so one warehouse goes through the cases in order
(`matrix`), and a second one holds the bad-input run (`bad_input`); the tests read what
they recorded. docs/architecture.md "Faults" is the table of these cases.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ochre_analytics import cli, lock, publish
from ochre_analytics.config import PROJECT_DIR, Settings
from ochre_analytics.errors import disk_full_line
from ochre_analytics.landing import LandingError, inspect_landing
from ochre_analytics.warehouse import BuildDatabaseError, check_build_db
from tests.landing_builder import WORKED_EXAMPLE

DAY1, DAY2, DAY3 = "2026-11-20", "2026-11-21", "2026-11-22"
BEFORE_ANY_RECORD = "2026-10-01"  # the worked example's records are of 2026-11-18/19
TIMEOUT = 600
MODEL_LINE = re.compile(r"\]\s+model ")
HUGE_SECRET = "HUGE-LINE-CONTENT-7f3a"
LATIN1_SECRET = "LATIN1-LINE-CONTENT-9c2e"

STALL_BEFORE_SWAP = """
import os, pathlib, sys, time
from ochre_analytics import cli, publish

def stall(tmp):
    pathlib.Path(os.environ["FAULT_MARKER"]).write_text(str(tmp))
    time.sleep(600)

publish._before_swap = stall
sys.exit(cli.main(sys.argv[1:]))
"""
"""`ochre-analytics run` whose publish stops after the new file is written, before the swap
(publish._before_swap, the fault-injection hook), so the test can kill it there."""


# -- helpers ---------------------------------------------------------------------------------


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the pipeline's settings and Dagster's instance."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("OCHRE_", "DBT_")) and k != "DAGSTER_HOME"}
    env.update(extra)
    return env


def run_args(landing: Path, warehouse: Path, as_of: str, *extra: str) -> list[str]:
    return ["run", "--landing", str(landing), "--warehouse", str(warehouse),
            "--as-of", as_of, *extra]


def cli_run(landing: Path, warehouse: Path, as_of: str, *extra: str
            ) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ochre_analytics.cli", *run_args(landing, warehouse, as_of, *extra)],
        capture_output=True, text=True, env=clean_env(), timeout=TIMEOUT,
    )


def start(argv: list[str], log: Path, env: dict[str, str] | None = None) -> subprocess.Popen:
    """A process whose output (stdout and stderr) goes to `log`."""
    with open(log, "w") as handle:
        return subprocess.Popen(argv, stdout=handle, stderr=subprocess.STDOUT,
                                env=env or clean_env(), cwd=PROJECT_DIR)


def start_cli(landing: Path, warehouse: Path, as_of: str, log: Path, *extra: str,
              code: str | None = None, env: dict[str, str] | None = None) -> subprocess.Popen:
    prefix = ["-c", code] if code else ["-m", "ochre_analytics.cli"]
    return start([sys.executable, *prefix, *run_args(landing, warehouse, as_of, *extra)],
                 log, env)


def wait_for(predicate, proc: subprocess.Popen, log: Path, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT
    while not predicate():
        if proc.poll() is not None:
            raise AssertionError(f"{what}: the process ended first:\n{log.read_text()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: timed out:\n{log.read_text()}")
        time.sleep(0.05)


def children(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of the processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            if int(stat.rsplit(")", 1)[1].split()[1]) != pid:
                continue
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ")
        except (OSError, ValueError, IndexError):
            continue
        found.append((int(entry), command.decode(errors="replace")))
    return found


def dbt_build_child(run_pid: int) -> int:
    [pid] = [pid for pid, command in children(run_pid) if "dbt build" in command]
    return pid


def seconds_until_gone(pid: int, limit: float = 10.0) -> float:
    """How long process `pid` took to end (zombies count as ended); `limit` when it did not."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if not lock.pid_alive(pid):
            return time.monotonic() - started
        time.sleep(0.02)
    return limit


def dead_pid() -> int:
    """The pid of a process that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


def digest(folder: Path) -> dict[str, str]:
    """sha256 of every file under `folder` (symlinks followed), by relative path."""
    out = {}
    for root, _dirs, files in os.walk(folder, followlinks=True):
        for name in files:
            path = Path(root) / name
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(
                path.read_bytes()).hexdigest()
    return out


def error_line(output: str) -> str:
    """The one `error:` line of a run's output; no traceback anywhere."""
    assert "Traceback" not in output, output
    assert not re.search(r'^\s*File "', output, re.M), output
    errors = [line for line in output.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, output
    assert output.rstrip().splitlines()[-1] == errors[0], output  # it ends the output
    return errors[0]


def history_dates(db: Path) -> dict[str, list[str]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return {t: [str(d) for (d,) in con.execute(
            f"select distinct as_of_date from {t} order by 1").fetchall()]
            for t in ("agent_leaderboard_history", "team_kpis_history")}
    finally:
        con.close()


def published_as_of(db: Path) -> str:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return str(con.execute("select as_of_date from publish_metadata").fetchone()[0])
    finally:
        con.close()


# -- one warehouse through the faults --------------------------------------------------------


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    root = tmp_path_factory.mktemp("faults")
    landing = root / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    warehouse = root / "warehouse"
    published = warehouse / "published" / "leaderboard.duckdb"
    build_db = warehouse / "ochre.duckdb"
    landing_before = digest(landing)
    out: dict = {"root": root, "landing": landing, "warehouse": warehouse,
                 "published": published, "build_db": build_db,
                 "landing_before": landing_before}

    # 1. Two Dagster runs of one warehouse launched together (two partitions): the second
    #    waits for the first (the warehouse_lock resource), then runs; both succeed.
    home = root / "dagster_home"
    home.mkdir()
    import dagster as dg

    with dg.DagsterInstance.from_config(str(home)):  # the instance exists before runs start
        pass
    config = root / "run_config.yaml"
    config.write_text(json.dumps({"resources": {"ochre": {"config": {
        "landing_dir": str(landing), "warehouse_dir": str(warehouse)}}}}))
    dagster = Path(sys.executable).with_name("dagster")
    procs = []
    for day in (DAY1, DAY2):
        log = root / f"dagster-{day}.log"
        procs.append((start(
            [str(dagster), "job", "execute", "-m", "orchestration.definitions", "-a", "defs",
             "-j", "ochre_nightly", "--tags", json.dumps({"dagster/partition": day}),
             "-c", str(config)],
            log, clean_env(DAGSTER_HOME=str(home))), log))
    out["dagster_runs"] = [(proc.wait(timeout=TIMEOUT), log.read_text()) for proc, log in procs]
    out["dagster_home"] = home
    out["after_dagster"] = published.read_bytes()
    out["history_after_dagster"] = history_dates(published)

    # 2. kill -9 of `run` during its dbt build; meanwhile a second CLI run is refused; then
    #    an immediate re-run publishes.
    log = root / "killed-in-build.log"
    run = start_cli(landing, warehouse, DAY3, log)
    wait_for(lambda: MODEL_LINE.search(log.read_text()), run, log, "dbt building")
    started = time.monotonic()
    out["second_cli_run"] = cli_run(landing, warehouse, DAY3)
    out["second_cli_run_seconds"] = time.monotonic() - started
    out["build_run_pid"] = run.pid
    dbt_pid = dbt_build_child(run.pid)
    run.send_signal(signal.SIGKILL)
    out["dbt_gone_after"] = seconds_until_gone(dbt_pid)
    run.wait()
    out["after_kill_in_build"] = published.read_bytes()
    out["rerun_after_crash"] = cli_run(landing, warehouse, DAY3)
    out["after_rerun"] = published.read_bytes()
    out["published_as_of_after_rerun"] = published_as_of(published)

    # 3. kill -9 during the audit: nothing changes, the warehouse is free again.
    log = root / "killed-in-audit.log"
    run = start_cli(landing, warehouse, DAY3, log)
    wait_for(lambda: "==> audit" in log.read_text(), run, log, "audit started")
    run.send_signal(signal.SIGKILL)
    run.wait()
    out["killed_in_audit_log"] = log.read_text()
    out["after_kill_in_audit"] = published.read_bytes()
    with lock.hold_warehouse(warehouse, owner="test") as took:
        out["lock_free_after_kill"] = took

    # 4. kill -9 in the publish, after the new file is written, before the swap: the old
    #    file stays; the temporary file is left behind (the next run removes it).
    log = root / "killed-in-publish.log"
    marker = root / "before-swap"
    run = start_cli(landing, warehouse, DAY3, log, code=STALL_BEFORE_SWAP,
                    env=clean_env(FAULT_MARKER=str(marker)))
    wait_for(marker.exists, run, log, "publish before the swap")
    run.send_signal(signal.SIGKILL)
    run.wait()
    out["after_kill_in_publish"] = published.read_bytes()
    out["left_by_publish"] = sorted(p.name for p in published.parent.iterdir())

    # 5. The build database is lost between runs: the next run rebuilds it, keeps the
    #    history (carried over from the published file) and removes the publish's leftovers.
    build_db.unlink()
    out["lost_build_db_run"] = cli_run(landing, warehouse, DAY3)
    out["history_after_lost_build_db"] = history_dates(published)
    out["published_dir_after_lost_build_db"] = sorted(
        p.name for p in published.parent.iterdir())
    good = published.read_bytes()
    out["after_lost_build_db"] = good

    # 6. A damaged build database: overwritten header, then truncated; each run stops in one
    #    line; --full-refresh moves it aside and rebuilds, history kept.
    valid = build_db.read_bytes()
    build_db.write_bytes(b"\0" * 4096 + valid[4096:])
    out["corrupt_run"] = cli_run(landing, warehouse, DAY3)
    out["after_corrupt"] = published.read_bytes()
    truncated = valid[: len(valid) // 2]
    build_db.write_bytes(truncated)
    out["truncated_run"] = cli_run(landing, warehouse, DAY3)
    out["after_truncated"] = published.read_bytes()
    out["full_refresh_run"] = cli_run(landing, warehouse, DAY3, "--full-refresh")
    out["moved_aside"] = {p.name: p.read_bytes() == truncated
                          for p in warehouse.glob("ochre.duckdb.corrupt-*")}
    out["history_after_full_refresh"] = history_dates(published)
    out["after_full_refresh"] = published.read_bytes()

    # 7. The disk fills up during the audit (writes under the validation folder fail with
    #    ENOSPC), with the leftovers of an interrupted publish in the published folder.
    stale = dead_pid()
    leftovers = [published.parent / f".leaderboard.duckdb.{stale}.tmp",
                 published.parent / f".leaderboard.duckdb.{stale}.tmp.wal"]
    for path in leftovers:
        path.write_bytes(b"half a file")
    validation = str(warehouse / "validation")
    write_text = Path.write_text

    def disk_full(self, *args, **kwargs):
        if str(self).startswith(validation):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(self))
        return write_text(self, *args, **kwargs)

    before = published.read_bytes()
    err = io.StringIO()
    with pytest.MonkeyPatch.context() as mp, contextlib.redirect_stderr(err):
        mp.setattr(Path, "write_text", disk_full)
        for name in ("DAGSTER_HOME", "OCHRE_DEEP_CHECKS"):
            mp.delenv(name, raising=False)
        code = cli.main(run_args(landing, warehouse, DAY3))
    out["disk_full_in_audit"] = (code, err.getvalue())
    out["disk_full_identical"] = published.read_bytes() == before
    out["leftovers_after_disk_full"] = [p.name for p in leftovers if p.exists()]
    out["landing_after"] = digest(landing)
    return out


def test_two_dagster_runs_on_one_warehouse_queue_instead_of_failing(matrix):
    import dagster as dg

    (code1, log1), (code2, log2) = matrix["dagster_runs"]
    assert (code1, code2) == (0, 0), log1 + log2
    waited = [log for log in (log1, log2) if "waiting for the warehouse" in log]
    assert len(waited) == 1, (log1, log2)
    assert re.search(r"waiting for the warehouse \S+: Dagster run [0-9a-f-]{36} \(pid \d+, "
                     r"started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) holds it", waited[0])
    assert "blocking asset checks failed" not in log1 + log2
    with dg.DagsterInstance.from_config(str(matrix["dagster_home"])) as instance:
        runs = instance.get_runs()
        assert sorted(r.tags["dagster/partition"] for r in runs) == [DAY1, DAY2]
        assert all(r.is_success for r in runs)
    assert matrix["history_after_dagster"] == {
        "agent_leaderboard_history": [DAY1, DAY2], "team_kpis_history": [DAY1, DAY2]}


def test_a_second_cli_run_on_the_warehouse_says_who_holds_it(matrix):
    proc = matrix["second_cli_run"]
    assert proc.returncode == cli.EXIT_BUSY == 75
    line = error_line(proc.stderr)
    assert re.fullmatch(
        rf"error: another run holds the warehouse {re.escape(str(matrix['warehouse']))}: "
        rf"ochre-analytics run \(pid {matrix['build_run_pid']}, started "
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\); run again when it has finished", line)
    assert proc.stderr.strip() == line  # nothing else: refused before loading anything
    assert matrix["second_cli_run_seconds"] < 10


def test_kill_9_in_the_build_takes_dbt_with_it_and_a_rerun_works(matrix):
    assert matrix["dbt_gone_after"] < 3  # dbt died with its parent (PR_SET_PDEATHSIG)
    assert matrix["after_kill_in_build"] == matrix["after_dagster"]
    rerun = matrix["rerun_after_crash"]
    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr and "Conflicting lock" not in rerun.stderr
    assert matrix["published_as_of_after_rerun"] == DAY3


def test_kill_9_in_the_audit_changes_nothing_and_frees_the_warehouse(matrix):
    assert "==> audit" in matrix["killed_in_audit_log"]
    assert "==> publish" not in matrix["killed_in_audit_log"]
    assert matrix["after_kill_in_audit"] == matrix["after_rerun"]
    assert matrix["lock_free_after_kill"] is True


def test_kill_9_in_the_publish_keeps_the_old_file_and_the_next_run_cleans_up(matrix):
    assert matrix["after_kill_in_publish"] == matrix["after_rerun"]
    left = [n for n in matrix["left_by_publish"] if n != "leaderboard.duckdb"]
    assert left and all(re.fullmatch(r"\.leaderboard\.duckdb\.\d+\.tmp(\.wal)?", n)
                        for n in left), left
    run = matrix["lost_build_db_run"]
    for name in left:
        assert f"removed {name}, left behind by an interrupted run" in run.stderr
    assert matrix["published_dir_after_lost_build_db"] == ["leaderboard.duckdb"]


def test_a_lost_build_database_keeps_the_published_history(matrix):
    run = matrix["lost_build_db_run"]
    assert run.returncode == 0, run.stderr
    assert (f"history: 2 as-of date(s) ({DAY1} .. {DAY2}) carried over from the published "
            "file into ochre.duckdb, which did not hold them") in run.stderr
    assert matrix["history_after_lost_build_db"] == {
        "agent_leaderboard_history": [DAY1, DAY2, DAY3],
        "team_kpis_history": [DAY1, DAY2, DAY3]}


@pytest.mark.parametrize("case,reason", [
    ("corrupt", "not a DuckDB database file"),
    ("truncated", "truncated: shorter than its own catalog says"),
])
def test_a_damaged_build_database_stops_the_run_in_one_line(matrix, case, reason):
    proc = matrix[f"{case}_run"]
    assert proc.returncode == 1
    assert error_line(proc.stderr) == (
        f"error: build failed, nothing published: the build database {matrix['build_db']} "
        f"cannot be opened ({reason}); it holds only derived data: run again with "
        "--full-refresh to move it aside and rebuild it from the landing files (the history "
        "is carried over from the published file)")
    assert matrix[f"after_{case}"] == matrix["after_lost_build_db"]


def test_full_refresh_moves_a_damaged_build_database_aside_and_rebuilds(matrix):
    proc = matrix["full_refresh_run"]
    assert proc.returncode == 0, proc.stderr
    [(name, is_the_damaged_file)] = matrix["moved_aside"].items()
    assert re.fullmatch(r"ochre\.duckdb\.corrupt-\d{8}T\d{6}Z", name)
    assert is_the_damaged_file  # moved, byte for byte, not deleted
    assert (f"the build database cannot be opened (truncated: shorter than its own catalog "
            f"says): moved aside to {name}; the full refresh rebuilds it") in proc.stderr
    assert matrix["history_after_full_refresh"] == {
        "agent_leaderboard_history": [DAY1, DAY2, DAY3],
        "team_kpis_history": [DAY1, DAY2, DAY3]}


def test_a_full_disk_in_the_audit_is_one_line_and_leftovers_are_removed(matrix):
    code, err = matrix["disk_full_in_audit"]
    assert code == 1
    line = error_line(err)
    assert re.fullmatch(
        r"error: audit failed, nothing published: disk full: no space left on device writing "
        rf"{re.escape(str(matrix['warehouse']))}/validation/{DAY3}/\S+; free space there and "
        "run again", line)
    assert matrix["disk_full_identical"]
    assert matrix["leftovers_after_disk_full"] == []
    assert "removed .leaderboard.duckdb." in err
    # the traceback went to the run's log file, not the terminal
    log = (matrix["warehouse"] / "logs" / "dagster-run.log").read_text()
    assert "No space left on device" in log


def test_a_full_disk_in_the_publish_is_one_line_and_keeps_the_file(matrix, monkeypatch):
    settings = Settings.from_env(landing_dir=matrix["landing"],
                                 warehouse_dir=matrix["warehouse"])
    before = matrix["published"].read_bytes()

    def full(tmp: Path) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))

    monkeypatch.setattr(publish, "_before_swap", full)
    with pytest.raises(publish.PublishError) as error:
        publish.publish(settings, publish.published_as_of(matrix["published"]))
    assert disk_full_line([str(error.value)]) == (
        "disk full: no space left on device writing "
        f"{matrix['published'].parent}/.leaderboard.duckdb.{os.getpid()}.tmp; "
        "free space there and run again")
    assert matrix["published"].read_bytes() == before
    assert sorted(p.name for p in matrix["published"].parent.iterdir()) == ["leaderboard.duckdb"]


def test_no_fault_changed_a_landing_file(matrix):
    assert matrix["landing_after"] == matrix["landing_before"]


def test_leaderboard_of_an_unknown_workspace_exits_non_zero(matrix):
    proc = subprocess.run(
        [sys.executable, "-m", "ochre_analytics.cli", "leaderboard", "--warehouse",
         str(matrix["warehouse"]), "--workspace", "nope"],
        capture_output=True, text=True, env=clean_env(), timeout=TIMEOUT)
    assert proc.returncode == 2
    assert error_line(proc.stderr) == (
        f"error: no workspace 'nope' in the published leaderboard {matrix['published']} "
        "(its workspaces: w1)")
    assert proc.stdout == ""
    known = subprocess.run(
        [sys.executable, "-m", "ochre_analytics.cli", "leaderboard", "--warehouse",
         str(matrix["warehouse"]), "--workspace", "w1", "--period", "7"],
        capture_output=True, text=True, env=clean_env(), timeout=TIMEOUT)
    assert known.returncode == 0, known.stderr
    assert known.stdout.startswith(f"Worked example (w1), 7 days to {DAY3}")


# -- bad input: a second warehouse -----------------------------------------------------------


@pytest.fixture(scope="module")
def bad_input(tmp_path_factory):
    """The worked example plus bad files, read through a symlinked landing folder, for an
    as-of date before any landed record; then an entity folder that is a symlink out."""
    root = tmp_path_factory.mktemp("bad_input")
    real = root / "landing-real"
    shutil.copytree(WORKED_EXAMPLE / "landing", real)
    record = {"message_id": "m_huge", "conversation_id": "c1", "workspace_id": "w1",
              "created_at": "2026-11-18T09:00:00Z", "author_type": "customer",
              "message_type": "reply", "updated_at": "2026-11-18T09:00:00Z"}
    with open(real / "messages" / "bad.jsonl", "wb") as handle:
        handle.write(json.dumps({**record, "note": HUGE_SECRET * (50_000_000 // 22)}).encode()
                     + b"\n")
        handle.write(b'{"message_id": "m_latin1", "note": "' + LATIN1_SECRET.encode()
                     + b' caf\xe9"}\n')
        handle.write(json.dumps({**record, "message_id": "m_ok"}).encode() + b"\n")
    csat = {"conversation_id": "c1", "workspace_id": "w1",
            "submitted_at": "2026-11-19T09:00:00Z", "updated_at": "2026-11-19T09:00:00Z"}
    (real / "csat_responses" / "bad.jsonl").write_text(
        json.dumps({**csat, "response_id": "r_half", "score": 3.5}) + "\n"
        + json.dumps({**csat, "response_id": "r_string", "score": "5"}) + "\n")
    (real / "messages" / "notes.txt").write_text("not a landing file\n")
    (real / "messages" / ".hidden.jsonl").write_text("{}\n")
    landing = root / "landing"
    landing.symlink_to(real, target_is_directory=True)
    warehouse = root / "warehouse"
    published = warehouse / "published" / "leaderboard.duckdb"
    before = digest(real)
    out = {"root": root, "landing": landing, "real": real, "warehouse": warehouse,
           "published": published}
    # the worked example is tiny: two bad messages are far over the 1 % gate
    out["run"] = cli_run(landing, warehouse, BEFORE_ANY_RECORD, "--rejected-threshold", "1")
    out["published_bytes"] = published.read_bytes() if published.exists() else None

    outside = root / "mentions-outside"
    shutil.move(str(real / "mentions"), outside)
    (real / "mentions").symlink_to(outside, target_is_directory=True)
    out["symlink_out_run"] = cli_run(landing, warehouse, BEFORE_ANY_RECORD,
                                     "--rejected-threshold", "1")
    out["published_after_symlink"] = published.read_bytes()
    (real / "mentions").unlink()
    shutil.move(str(outside), real / "mentions")
    out["landing_unchanged"] = digest(real) == before
    return out


def test_bad_input_loads_the_rest_and_prints_no_record_content(bad_input):
    run = bad_input["run"]
    assert run.returncode == 0, run.stderr[-3000:]
    output = run.stdout + run.stderr
    assert "Traceback" not in output and "error:" not in output
    for secret in (HUGE_SECRET, LATIN1_SECRET, "caf"):
        assert secret not in output
    rejected = duckdb.connect(str(bad_input["published"]), read_only=True).execute(
        "select entity, source_file, line_number, record_id, reason from rejected_records "
        "order by all").fetchall()
    assert rejected == [
        ("csat_responses", "csat_responses/bad.jsonl", 1, "r_half", "not an integer in score"),
        ("messages", "messages/bad.jsonl", 1, None, "line longer than 2,000,000 bytes"),
        ("messages", "messages/bad.jsonl", 2, None, "line is not valid UTF-8"),
    ]
    assert not any(secret in str(rejected) for secret in (HUGE_SECRET, LATIN1_SECRET))
    repairs = bad_input["warehouse"] / "landing_repairs" / "messages"
    assert (repairs / "bad.jsonl.repaired.jsonl").read_bytes().splitlines()[:2] == [
        b"#ochre-reject: line longer than 2,000,000 bytes",
        b"#ochre-reject: line is not valid UTF-8"]


def test_other_files_are_listed_never_read(bad_input):
    run = bad_input["run"]
    assert ("not read: messages/.hidden.jsonl (hidden file; landing files end in .jsonl, "
            ".jsonl.gz, .parquet)") in run.stderr
    assert ("not read: messages/notes.txt (unrecognised extension; landing files end in "
            ".jsonl, .jsonl.gz, .parquet)") in run.stderr
    loads = dict(duckdb.connect(str(bad_input["published"]), read_only=True).execute(
        "select source_file, load_status || ' ' || records_read from landing_file_loads "
        "where source_file like 'messages/%'").fetchall())
    assert loads == {"messages/.hidden.jsonl": "hidden file 0",
                     "messages/notes.txt": "unrecognised extension 0",
                     "messages/bad.jsonl": "loaded 3",
                     "messages/messages.jsonl": "loaded 11"}


def test_a_numeric_string_score_reads_as_a_number(bad_input):
    con = duckdb.connect(str(bad_input["published"]), read_only=True)
    assert con.execute("select count(*) from rejected_records "
                       "where record_id = 'r_string'").fetchone() == (0,)


def test_an_as_of_date_before_any_record_says_the_leaderboard_is_all_zeros(bad_input):
    run = bad_input["run"]
    assert (f"warning: as of {BEFORE_ANY_RECORD} is before the first landed activity "
            "(2026-11-18): every window is empty, so the leaderboard of that date is all "
            "zeros") in run.stderr.splitlines()
    con = duckdb.connect(str(bad_input["published"]), read_only=True)
    assert con.execute(
        "select count(*), sum(conversations_handled + replies_sent + csat_responses) "
        "from agent_leaderboard").fetchone() == (8, 0)


def test_a_symlinked_landing_folder_is_read(bad_input):
    assert bad_input["landing"].is_symlink()
    assert bad_input["run"].returncode == 0
    assert f"landing {bad_input['real']}," in bad_input["run"].stderr  # resolved


def test_an_entity_folder_symlinked_out_of_the_landing_folder_is_refused(bad_input):
    proc = bad_input["symlink_out_run"]
    assert proc.returncode == 2
    assert error_line(proc.stderr) == (
        f"error: {bad_input['real']}/mentions is a symlink to "
        f"{bad_input['root']}/mentions-outside, outside the landing folder: refused")
    assert bad_input["published_after_symlink"] == bad_input["published_bytes"]
    assert bad_input["landing_unchanged"]


@pytest.mark.parametrize("case", ["loop", "missing target"])
def test_a_symlink_that_leads_nowhere_is_refused(tmp_path, case):
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    link = landing / "messages" / "more.jsonl"
    link.symlink_to(link if case == "loop" else tmp_path / "gone.jsonl")
    with pytest.raises(LandingError) as error:
        inspect_landing(landing)
    why = "a symlink loop" if case == "loop" else f"a symlink to {tmp_path}/gone.jsonl, which " \
        "does not exist"
    assert str(error.value) == f"{link} is {why}: refused"


def test_an_entity_folder_symlinked_inside_the_landing_folder_is_read(tmp_path):
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    (landing / "mentions").rename(landing / "archive")
    (landing / "mentions").symlink_to("archive", target_is_directory=True)
    found = inspect_landing(landing)
    assert [p.name for p in found["mentions"].files] == ["mentions.jsonl"]


# -- the pieces, without a pipeline run ------------------------------------------------------

HOLD_LOCK = """
import sys, time
from pathlib import Path
from ochre_analytics.lock import hold_warehouse
with hold_warehouse(Path(sys.argv[1]), owner="holder"):
    print("held", flush=True)
    time.sleep(600)
"""

HOLD_DUCKDB = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_the_warehouse_lock_is_reentrant_and_freed_when_its_holder_is_killed(tmp_path):
    with lock.hold_warehouse(tmp_path, owner="outer") as outer:
        with lock.hold_warehouse(tmp_path, owner="inner") as inner:
            assert (outer, inner) == (True, False)
        assert lock.read_holder(tmp_path).owner == "outer"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(lock.WarehouseBusy) as busy, lock.hold_warehouse(tmp_path, owner="x"):
            pass
        assert f"holder (pid {holder.pid}, started " in str(busy.value)
        holder.send_signal(signal.SIGKILL)  # the kernel frees the lock
        holder.wait()
        with lock.hold_warehouse(tmp_path, owner="next") as took:
            assert took
        assert lock.read_holder(tmp_path).owner == "next"
    finally:
        holder.kill()
        holder.wait()


HOLD_LOCK_SILENTLY = """
import fcntl, os, sys, time
from pathlib import Path
from ochre_analytics.lock import _write_holder, lock_path
fd = os.open(lock_path(Path(sys.argv[1])), os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("held", flush=True)
time.sleep(0.5)  # taken, and its record not written yet
_write_holder(fd, "late writer")
time.sleep(1.0)
"""


def test_a_run_that_finds_the_lock_just_taken_names_its_new_holder(tmp_path):
    """In the moment between taking the lock and writing its record, the file is empty or
    names an earlier holder that has exited: the waiting run reads it again until it names
    a live process, instead of naming nobody (or the wrong run)."""
    lock.lock_path(tmp_path).write_text(json.dumps(
        {"pid": 2**22 + 1, "started_at": "2026-11-20T00:00:00+00:00", "owner": "exited"}) + "\n")
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK_SILENTLY, str(tmp_path)],
                              stdout=subprocess.PIPE, text=True, cwd=PROJECT_DIR)
    try:
        assert holder.stdout.readline().strip() == "held"
        lines: list[str] = []
        with lock.hold_warehouse(tmp_path, owner="waiter", wait=True, on_wait=lines.append,
                                 poll_seconds=0.05) as took:
            assert took
    finally:
        holder.kill()
        holder.wait()
    assert len(lines) == 1
    assert re.fullmatch(rf"waiting for the warehouse {re.escape(str(tmp_path))}: late writer "
                        rf"\(pid {holder.pid}, started \d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d UTC\) "
                        r"holds it", lines[0]), lines


def test_the_build_database_waits_for_a_process_that_is_ending(tmp_path):
    settings = Settings.from_env(landing_dir=tmp_path, warehouse_dir=tmp_path)
    duckdb.connect(str(settings.warehouse_db)).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DUCKDB, str(settings.warehouse_db),
                               "1.5"], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "open"
    said: list[str] = []
    started = time.monotonic()
    assert check_build_db(settings, full_refresh=False, say=said.append) is None
    assert 0.5 < time.monotonic() - started < 10
    assert said == [f"    waiting for process {holder.pid} to release the build database"]
    holder.wait()


def test_the_build_database_in_use_by_another_program_is_named(tmp_path):
    settings = Settings.from_env(landing_dir=tmp_path, warehouse_dir=tmp_path)
    holder = subprocess.Popen([sys.executable, "-c", HOLD_DUCKDB, str(settings.warehouse_db),
                               "600"], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "open"
        with pytest.raises(BuildDatabaseError) as error:
            check_build_db(settings, full_refresh=True, wait_seconds=0.5)
        [line] = error.value.lines
        assert line.startswith(f"the build database {settings.warehouse_db} is in use by "
                               f"process {holder.pid} ({sys.executable} -c ")
        assert line.endswith("which is not a run of this warehouse: let it finish or stop it, "
                             "then run again")
        assert settings.warehouse_db.exists()  # in use is not damaged: never moved aside
    finally:
        holder.kill()
        holder.wait()
