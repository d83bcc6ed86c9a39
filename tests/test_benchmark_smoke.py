"""`make bench` at a tiny scale: every step runs, the floor equals the pipeline.

Checks the harness, not the speed: no timing is asserted (speed and memory targets are
reported by `make bench`, never tested).
"""

from __future__ import annotations

import json

import pytest

from benchmarks.run import DEFAULT_STEPS, main, parse_scales, pipeline_step_timings


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    out = root / "results.json"
    code = main([
        "--scales", "tiny=2000", "--repeat", "1", "--days", "7",
        "--workdir", str(root / "work"), "--results", str(out), "--quiet",
    ])
    assert out.is_file(), "results.json was not written"
    data = json.loads(out.read_text())
    data["_exit_code"] = code
    data["_root"] = root
    return data


def test_every_step_ran_and_was_measured(results):
    (scale,) = results["scales"]
    assert scale["errors"] == {}
    assert "incomplete" not in scale
    assert list(scale["steps"]) == list(DEFAULT_STEPS)
    for step, entry in scale["steps"].items():
        assert entry["runs"] == 1, step
        assert entry["median_wall_s"] > 0, step
        assert entry["peak_rss_mb"] > 0, step
        run = entry["runs_detail"][0]
        assert len(run["load_before"]) == 3 and len(run["load_after"]) == 3
    for step in ("full", "nightly", "nightly_4x"):
        assert scale["steps"][step]["ratio_to_floor"] > 0
        assert "build (dbt build)" in scale["steps"][step]["pipeline_steps_s"]
        top = scale["steps"][step]["dbt"]["top_models"]
        assert 0 < len(top) <= 10
        assert "agent_leaderboard" in scale["steps"][step]["dbt"]["models"]
    assert scale["steps"]["nightly_4x"]["ratio_to_nightly"] > 0
    rows = {(r["scale"], r["step"]) for r in results["rows"]}
    assert rows == {("tiny", s) for s in DEFAULT_STEPS}


def _check(results, name):
    (scale,) = results["scales"]
    check = scale["checks"][name]
    for run in check["runs"]:
        assert run["columns_match"], name
        assert run["rows_pipeline"] > 0, name
        # the demo data's bad records are all in JSON Lines files, which the floor skips
        assert run["rejected"]["total"] > 0
        assert run["rejected"]["by_format"]["parquet"] == 0
    return check


def test_floor_equals_the_full_refresh_leaderboard(results):
    (scale,) = results["scales"]
    assert set(scale["checks"]) == {
        "floor_vs_full", "floor_next_vs_nightly", "floor_4x_next_vs_nightly_4x"}
    check = _check(results, "floor_vs_full")
    assert check["equal"], json.dumps(check["runs"][0], default=str)[:1500]


@pytest.mark.parametrize("name", ["floor_next_vs_nightly", "floor_4x_next_vs_nightly_4x"])
def test_floor_equals_the_nightly_leaderboard(results, name):
    check = _check(results, name)
    assert check["equal"], json.dumps(check["runs"][0], default=str)[:1500]


def test_machine_info_and_targets(results):
    machine = results["machine"]
    for key in ("cores_logical", "memory_gb", "duckdb_threads", "duckdb_memory_limit",
                "git_commit"):
        assert key in machine
    assert len(results["load_before"]) == 3 and len(results["load_after"]) == 3
    (scale,) = results["scales"]
    assert set(scale["targets"]) == {
        "full_vs_floor", "full_peak_rss_gb", "nightly_vs_floor", "nightly_4x_vs_nightly"}
    # the run folders are removed without --keep-data; the generated data stays cached
    assert not (results["_root"] / "work" / "runs" / "tiny").exists()
    assert any((results["_root"] / "work" / "cache").iterdir())


def test_parse_scales_and_step_lines():
    assert [(s.name, s.conversations, s.workspaces) for s in parse_scales("S,M")] == [
        ("S", 100_000, 100), ("M", 2_000_000, 2_000)]
    assert [(s.name, s.conversations) for s in parse_scales("tiny=2000,5000")] == [
        ("tiny", 2_000), ("5000", 5_000)]
    log = "==> check landing files\n    check landing files: 0.3s\n  [  1/9] model x OK 0.1s\n" \
          "==> build (dbt build)\n    dbt tests: 3 pass\n    build (dbt build): 37.5s\n"
    assert pipeline_step_timings(log) == {"check landing files": 0.3, "build (dbt build)": 37.5}
