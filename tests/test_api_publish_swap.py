"""A publish (os.replace of a new file) while a live server answers requests."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import duckdb
import httpx
from api_fixtures import AS_OF, SECRET, build_published, publish, running_server

from ochre_api import create_app
from ochre_api.auth import issue_token

TOTAL_REQUESTS = 200
WORKERS = 4
TIME_LIMIT_S = 90.0
VERSIONS = 4  # the initial file plus three publishes during the run
PATHS = [
    "/api/leaderboard?period=30",
    "/api/agents/w1_agent?period=7",
    "/api/team?period=14",
    "/api/me",
]


def expected_handled(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(
            "SELECT conversations_handled FROM agent_leaderboard "
            "WHERE agent_id = 'w1_agent' AND period_days = 30"
        ).fetchone()[0]
    finally:
        con.close()


def open_fds_on(directory: Path) -> list[str]:
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(directory)):
            found.append(target)
    return found


def test_requests_survive_publishes_and_see_new_data(tmp_path: Path) -> None:
    published = tmp_path / "published" / "leaderboard.duckdb"
    publish(published, as_of=AS_OF)
    # Later versions are built up front (the pipeline builds before it swaps);
    # each has a later as-of date, so its numbers differ.
    staged = []
    for v in range(1, VERSIONS):
        path = published.parent / f".staged-{v}.duckdb"
        build_published(path, as_of=AS_OF + dt.timedelta(days=v))
        staged.append(path)
    as_of_of = {(AS_OF + dt.timedelta(days=v)).isoformat(): v for v in range(VERSIONS)}
    handled_of = {0: expected_handled(published)}
    handled_of.update({v: expected_handled(p) for v, p in enumerate(staged, start=1)})
    assert len(set(handled_of.values())) > 1, "versions must differ in their data"

    token = issue_token(SECRET, agent_id="w1_admin", workspace_id="w1")
    headers = {"Authorization": f"Bearer {token}"}
    app = create_app(published, secret=SECRET)

    counter = itertools.count()
    lock = threading.Lock()
    swapped_at: list[tuple[float, int]] = [(0.0, 0)]  # (monotonic time the swap completed, v)
    results: list[dict] = []  # type: ignore[type-arg]
    deadline = time.monotonic() + TIME_LIMIT_S
    swap_points = {TOTAL_REQUESTS * v // VERSIONS for v in range(1, VERSIONS)}

    def worker(base: str) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=20) as http:
            while time.monotonic() < deadline:
                n = next(counter)
                if n >= TOTAL_REQUESTS:
                    return
                if n in swap_points:  # this request's worker publishes the next version first
                    with lock:
                        v = max(v for _, v in swapped_at) + 1
                        os.replace(staged[v - 1], published)
                        swapped_at.append((time.monotonic(), v))
                with lock:
                    floor = max(v for _, v in swapped_at)
                path = PATHS[n % len(PATHS)]
                started = time.monotonic()
                try:
                    resp = http.get(path)
                    status, body = resp.status_code, resp.json()
                except Exception as exc:  # noqa: BLE001 - recorded and asserted below
                    status, body = -1, {"error": repr(exc)}
                with lock:
                    results.append({"n": n, "path": path, "status": status, "body": body,
                                    "floor": floor, "started": started})

    with running_server(app) as base:
        with ThreadPoolExecutor(WORKERS) as pool:
            for f in [pool.submit(worker, base) for _ in range(WORKERS)]:
                f.result()
        failures = [r for r in results if r["status"] != 200]
        assert not failures, failures[:3]
        assert len(results) == TOTAL_REQUESTS, "time limit hit before all requests ran"
        assert max(v for _, v in swapped_at) == VERSIONS - 1

        for r in results:
            as_of = r["body"]["as_of_date"]
            version = as_of_of[as_of]
            # a request that started after a swap completed never sees an older file
            assert version >= r["floor"], (r["n"], as_of, r["floor"])
            if r["path"].startswith("/api/leaderboard"):
                (row,) = [x for x in r["body"]["rows"] if x["agent_id"] == "w1_agent"]
                # one consistent file per request: the numbers belong to that as-of date
                assert row["conversations_handled"] == handled_of[version]
                assert {x["as_of_date"] for x in r["body"]["rows"]} == {as_of}
        seen = {as_of_of[r["body"]["as_of_date"]] for r in results}
        assert seen == set(range(VERSIONS)), f"versions seen: {sorted(seen)}"

        # after the last publish every new request sees the newest data
        final = httpx.get(f"{base}/api/leaderboard?period=30", headers=headers).json()
        assert final["as_of_date"] == (AS_OF + dt.timedelta(days=VERSIONS - 1)).isoformat()
        (row,) = [x for x in final["rows"] if x["agent_id"] == "w1_agent"]
        assert row["conversations_handled"] == handled_of[VERSIONS - 1]

        # nothing keeps the published file (or a replaced one) open between requests
        assert open_fds_on(published.parent) == []


def test_file_appearing_after_start_is_served(tmp_path: Path) -> None:
    published = tmp_path / "published" / "leaderboard.duckdb"
    app = create_app(published, secret=SECRET)
    token = issue_token(SECRET, agent_id="w1_owner", workspace_id="w1")
    headers = {"Authorization": f"Bearer {token}"}
    with running_server(app) as base:
        assert httpx.get(f"{base}/api/team", headers=headers).status_code == 503
        publish(published)
        resp = httpx.get(f"{base}/api/team", headers=headers)
        assert resp.status_code == 200
        assert resp.json()["as_of_date"] == AS_OF.isoformat()
