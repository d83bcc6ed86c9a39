"""`make dev` as its users run it: the UI serves the warehouse's Dagster instance, so it lists
the runs `ochre-analytics run` made there; Ctrl-C stops the server and everything it
started, also with a run in progress; nothing warns.

The server is started the hard way: by a shell as `make dev &` (a non-interactive shell
starts a background job with SIGINT ignored, and every child inherits that), and stopped by
a SIGINT to the shell's whole process group, as a terminal's Ctrl-C sends it. Screenshots
of the UI go to tests/artifacts/ (gitignored) when Chromium is installed.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[1]
LANDING = ROOT / "tests" / "fixtures" / "worked_example" / "landing"
AS_OF = "2026-11-20"
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = os.environ.get("OCHRE_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]
WARNING = re.compile(r"WARNING|Warning:|warnings\.warn")  # log lines carry colour codes


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(base: str, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{base}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        body = json.loads(response.read())
    assert "errors" not in body, body
    return body["data"]


def _runs(base: str) -> list[dict]:
    data = _graphql(
        base,
        "{ runsOrError { __typename ... on Runs { results { runId status jobName "
        "tags { key value } } } } }",
    )
    return data["runsOrError"]["results"]


def _session(sid: int) -> list[psutil.Process]:
    """The live processes of session `sid` (the shell, make and all they started)."""
    members = []
    for proc in psutil.process_iter(["status"]):
        try:
            if os.getsid(proc.pid) == sid and proc.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(proc)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def _code_server_sockets(processes: list[psutil.Process]) -> set[Path]:
    """The unix sockets Dagster's code servers (``dagster api grpc --socket``) listen on."""
    found = set()
    for proc in processes:
        try:
            args = proc.cmdline()
        except psutil.Error:
            continue
        found |= {Path(args[n + 1]) for n, arg in enumerate(args[:-1]) if arg == "--socket"}
    return found


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("dev")
    warehouse = tmp / "warehouse"
    env = {**os.environ, "OCHRE_LANDING_DIR": str(LANDING), "OCHRE_WAREHOUSE_DIR": str(warehouse)}
    env.pop("DAGSTER_HOME", None)
    env.pop("OCHRE_ALERT_WEBHOOK_URL", None)
    # what `make demo` runs: the CLI, with no DAGSTER_HOME
    cli = subprocess.run(
        [str(Path(sys.executable).with_name("ochre-analytics")), "run", "--as-of", AS_OF],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=900, check=False,
    )
    assert cli.returncode == 0, cli.stderr[-3000:]
    port = _free_port()
    log = tmp / "make-dev.log"
    with open(log, "w") as out:  # the child writes through its own copy of the descriptor
        proc = subprocess.Popen(
            ["bash", "-c", f"make dev DAGSTER_PORT={port} & wait $!"],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while True:
        try:
            with urllib.request.urlopen(f"{base}/server_info", timeout=5):
                break
        except OSError:
            assert proc.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(1)
    info = {"base": base, "proc": proc, "log": log, "warehouse": warehouse, "cli": cli}
    yield info
    if proc.poll() is None:  # a failed test left it running
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(120)
        finally:
            for leftover in _session(proc.pid):
                leftover.kill()


def test_cli_records_its_run_in_the_warehouse_instance(dev):
    home = dev["warehouse"] / "dagster"
    assert (home / "dagster.yaml").read_text().splitlines()[1:] == (
        (ROOT / "orchestration" / "dagster.yaml").read_text().splitlines()
    )
    assert (home / "history" / "runs.db").exists()


def test_the_ui_lists_the_run_the_cli_made(dev):
    runs = _runs(dev["base"])
    cli_runs = [r for r in runs if {"key": "ochre/trigger", "value": "cli"} in r["tags"]]
    assert len(cli_runs) == 1, runs
    (run,) = cli_runs
    assert run["status"] == "SUCCESS"
    assert run["jobName"] == "ochre_nightly"
    assert {"key": "dagster/partition", "value": AS_OF} in run["tags"]
    # the published asset's partition is materialized in the instance the UI serves
    data = _graphql(
        dev["base"],
        '{ assetNodeOrError(assetKey: {path: ["published_leaderboard"]}) { ... on AssetNode '
        "{ owners { ... on UserAssetOwner { email } } "
        "assetMaterializations(limit: 1) { partition runId } } } }",
    )
    node = data["assetNodeOrError"]
    assert node["assetMaterializations"] == [{"partition": AS_OF, "runId": run["runId"]}]
    assert node["owners"] == [{"email": "analytics@ochre.example"}]


def test_dagster_ui_screenshots(dev):
    """The run list with the CLI's run, the lineage of the groups, the marts' graph (checks
    passed), the published asset's page (owner, freshness) and the schedule and sensors."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"Chromium not found at {CHROMIUM}", pytrace=False)
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    (run,) = [r for r in _runs(dev["base"]) if r["status"] == "SUCCESS"]
    pages = [
        ("dagster-runs.png", "/runs", run["runId"][:8]),
        ("dagster-lineage.png", "/asset-groups", "publish"),
        ("dagster-marts.png", "/locations/orchestration.definitions/asset-groups/marts/lineage",
         "team_kpis"),
        ("dagster-published-leaderboard.png", "/assets/published_leaderboard",
         "analytics@ochre.example"),
        ("dagster-automation.png", "/automation", "ochre_run_failure_alert"),
    ]
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1600, "height": 1000})
            page.set_default_timeout(60_000)
            for name, path, text in pages:
                page.goto(dev["base"] + path)
                page.get_by_text(text).first.wait_for()
                page.wait_for_timeout(1500)  # let the graph lay itself out
                page.screenshot(path=str(ARTIFACTS / name))
                assert (ARTIFACTS / name).stat().st_size > 10_000
        finally:
            browser.close()


def test_ctrl_c_stops_make_dev_and_everything_it_started(dev):
    """A run in progress included (its step processes and dbt), and nothing warned."""
    base, proc = dev["base"], dev["proc"]
    data = _graphql(
        base,
        "mutation($p: ExecutionParams!) { launchRun(executionParams: $p) { __typename "
        "... on LaunchRunSuccess { run { runId } } ... on PythonError { message } } }",
        {"p": {
            "selector": {"repositoryLocationName": "orchestration.definitions",
                         "repositoryName": "__repository__", "jobName": "ochre_nightly"},
            "executionMetadata": {"tags": [{"key": "dagster/partition", "value": AS_OF}]},
        }},
    )
    assert data["launchRun"]["__typename"] == "LaunchRunSuccess", data
    deadline = time.monotonic() + 300
    while not any("dbt" in " ".join(p.cmdline()[:3]) for p in _session(proc.pid)):
        assert time.monotonic() < deadline, "the run's dbt build never started"
        time.sleep(0.5)
    before = _session(proc.pid)
    assert len(before) >= 8  # shell, make, launcher, dagster dev, services, run, dbt
    sockets = _code_server_sockets(before)
    # the code servers' sockets are in make dev's own temporary folder, not the system's
    assert sockets and all(p.is_socket() for p in sockets), sockets
    folders = {p.parent for p in sockets}
    assert all(f.parent == Path(tempfile.gettempdir()) and f.name.startswith("ochre-dev-")
               for f in folders), folders
    os.killpg(proc.pid, signal.SIGINT)  # Ctrl-C: the foreground process group
    proc.wait(180)
    deadline = time.monotonic() + 30
    while _session(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    left = [(p.pid, " ".join(p.cmdline())[:120]) for p in _session(proc.pid)]
    assert left == []
    assert [f for f in folders if f.exists()] == []  # nor the sockets left in it
    output = dev["log"].read_text()
    assert "make dev: stopped (SIGINT)" in output
    output = output[output.index("make dev: landing "):]  # make's own install steps before
    assert [line for line in output.splitlines() if WARNING.search(line)] == []
