"""`make bench`: the pipeline against the one-query floor.

    python -m benchmarks.run [--scales S,M] [--repeat 3] [--workdir benchmarks/data]
                             [--keep-data] [--results benchmarks/results.json]
                             [--phases full,nightly]

Per scale, on the same landing files (benchmarks/README.md has the details):

1. ``floor``        benchmarks/floor.sql in a fresh process: agent_leaderboard as of D
2. ``full``         ``ochre-analytics run --full-refresh --as-of D`` in a fresh warehouse
3. ``nightly``      one more day of export files lands; ``ochre-analytics run --as-of D+1``
                    on a copy of the warm warehouse (``floor_next``: the floor on those files)
4. ``nightly_4x``   the same nightly run with four times the history, same daily volume
                    (``full_4x_warmup`` builds its warm warehouse; ``floor_4x_next``)

Each measurement is a child process: wall time from its start to its exit, peak memory as
the largest sum of RSS over the process and all its descendants (psutil, every 50 ms; dbt
runs in a child of the CLI). Speed and memory targets are reported, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import hashlib
import json
import math
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

REPO = Path(__file__).resolve().parent.parent
FLOOR_SCRIPT = Path(__file__).with_name("floor.py")
GENERATOR = REPO / "ochre_analytics" / "demo_data"  # the generator package

NAMED_SCALES = {"XS": 2_000, "S": 100_000, "M": 2_000_000, "L": 20_000_000}
DEFAULT_SCALES = "S,M"
DEFAULT_DAYS = 120
DEFAULT_END = dt.date(2026, 11, 20)  # D: the as-of date of the floor and the full run
DEFAULT_SEED = 42
HISTORY_FACTOR = 4
CONVERSATIONS_PER_WORKSPACE = 1_000
GB = 1024**3
MB = 1024**2

TARGETS = {
    "full_vs_floor": 3.0,  # full pipeline wall <= 3 x the floor's
    "full_peak_rss_gb": 6.0,  # full pipeline peak RSS (process tree) <= 6 GB
    "nightly_vs_floor": 1.0,  # nightly incremental wall <= 1 x the floor's (same files)
    "nightly_4x_vs_nightly": 1.1,  # 4 x history nightly wall <= 1.1 x the 1 x nightly's (issue #21)
}

STEP_LABELS = {
    "floor": "floor, as of D",
    "full": "full pipeline (--full-refresh)",
    "full_warmup": "full (warm-up only)",
    "full_4x_warmup": "4x history: full (warm-up)",
    "floor_next": "floor, as of D+1",
    "nightly": "nightly incremental, D+1",
    "floor_4x_next": "4x history: floor, D+1",
    "nightly_4x": "4x history: nightly, D+1",
}
STEPS = tuple(STEP_LABELS)
PHASES = ("full", "nightly")
PHASE_STEPS = {
    "full": ("floor", "full"),
    "nightly": ("full_4x_warmup", "floor_next", "nightly", "floor_4x_next", "nightly_4x"),
}
DEFAULT_STEPS = tuple(s for s in STEPS if s in PHASE_STEPS["full"] + PHASE_STEPS["nightly"])
PIPELINE_STEPS = ("full", "full_warmup", "full_4x_warmup", "nightly", "nightly_4x")
# which floor each step is compared with (same landing files, same as-of date)
FLOOR_OF = {
    "floor": "floor",
    "full": "floor",
    "full_warmup": None,
    "full_4x_warmup": None,
    "floor_next": "floor_next",
    "nightly": "floor_next",
    "floor_4x_next": "floor_4x_next",
    "nightly_4x": "floor_4x_next",
}


class BenchError(RuntimeError):
    """A measured process failed; the message ends with the tail of its log."""


# --------------------------------------------------------------------------------------
# scales and data sets
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    name: str
    conversations: int  # over `days` days of history

    @property
    def workspaces(self) -> int:
        return max(1, round(self.conversations / CONVERSATIONS_PER_WORKSPACE))


def parse_scales(text: str) -> list[Scale]:
    """'S,M', 'XS', 'tiny=2000' or '5000' (a number of conversations)."""
    scales = []
    for raw in text.split(","):
        item = raw.strip()
        if not item:
            continue
        name, _, number = item.partition("=")
        name = name.strip()
        if number:
            scales.append(Scale(name, int(number.replace("_", ""))))
        elif name.upper() in NAMED_SCALES:
            scales.append(Scale(name.upper(), NAMED_SCALES[name.upper()]))
        elif name.replace("_", "").isdigit():
            scales.append(Scale(name, int(name.replace("_", ""))))
        else:
            known = ", ".join(f"{k} ({v:,})" for k, v in NAMED_SCALES.items())
            raise argparse.ArgumentTypeError(
                f"unknown scale {name!r}: use {known}, NAME=N or a number of conversations")
    if not scales:
        raise argparse.ArgumentTypeError("no scale given")
    return scales


@dataclass(frozen=True)
class DataSpec:
    """One generated landing set: `history_days` of history plus one more day (D+1).

    The daily volume is conversations / history_days whatever the history, so the
    4 x history set has the same new day as the 1 x set."""

    conversations_per_history: int
    workspaces: int
    history_days: int
    as_of: dt.date  # D
    seed: int

    @property
    def days(self) -> int:
        return self.history_days + 1

    @property
    def end_date(self) -> dt.date:
        return self.as_of + dt.timedelta(days=1)

    @property
    def conversations(self) -> int:
        return round(self.conversations_per_history * self.days / self.history_days)

    def generate_kwargs(self) -> dict:
        return {
            "conversations": self.conversations,
            "workspaces": self.workspaces,
            "days": self.days,
            "seed": self.seed,
            "fmt": "parquet",
            "end_date": self.end_date.isoformat(),
            "files_per_day": True,
            "bad_records": True,
        }

    def cache_key(self) -> str:
        payload = {**self.generate_kwargs(), "generator": _generator_sha()}
        digest = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()
        return (f"c{self.conversations}-w{self.workspaces}-d{self.days}-s{self.seed}-"
                f"{digest[:10]}")


def _generator_sha() -> str:
    """Hash of the generator's source: every ``*.py`` under GENERATOR, sorted by path (its
    relative path and bytes each), so a change to any of its modules regenerates."""
    digest = hashlib.sha256()
    for path in sorted(GENERATOR.rglob("*.py")):
        digest.update(path.relative_to(GENERATOR).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def ensure_dataset(spec: DataSpec, cache_root: Path, progress: bool = True) -> tuple[Path, dict]:
    """The generated landing set for `spec`, from the cache or generated now.

    Returns (folder with <entity>/<UTC date>.parquet|.jsonl files, generator summary)."""
    from ochre_analytics.demo_data import generate

    folder = cache_root / spec.cache_key()
    marker = folder / "bench-dataset.json"
    if marker.is_file():
        meta = json.loads(marker.read_text())
        if meta.get("generate") == spec.generate_kwargs():
            return folder / "landing", meta["summary"]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    print(f"  generating {spec.conversations:,} conversations, {spec.workspaces:,} workspaces, "
          f"{spec.days} days to {spec.end_date} -> {folder}", flush=True)
    summary = generate(folder / "landing", progress=progress, **spec.generate_kwargs())
    keep = ("counts", "rows_written", "files", "bad_records_total", "bad_records_by_entity",
            "date_range", "elapsed_seconds")
    meta = {
        "generate": spec.generate_kwargs(),
        "generator_sha": _generator_sha(),
        "summary": {k: summary[k] for k in keep if k in summary},
        "generated_in_s": round(time.perf_counter() - started, 1),
    }
    marker.write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
    return folder / "landing", meta["summary"]


def land(source: Path, target: Path, last_day: dt.date) -> int:
    """Make `target` hold the export files of `source` dated up to `last_day` (UTC file
    date, `<entity>/<YYYY-MM-DD>.<ext>`), as hard links (copies where links fail).
    Files already there stay; returns how many files were added."""
    added = 0
    for entity_dir in sorted(p for p in source.iterdir() if p.is_dir()):
        out = target / entity_dir.name
        out.mkdir(parents=True, exist_ok=True)
        for f in sorted(entity_dir.iterdir()):
            day = dt.date.fromisoformat(f.name[:10])
            dest = out / f.name
            if day > last_day or dest.exists():
                continue
            try:
                os.link(f, dest)
            except OSError:
                shutil.copy2(f, dest)
            added += 1
    return added


# --------------------------------------------------------------------------------------
# measuring one process
# --------------------------------------------------------------------------------------


@dataclass
class Measurement:
    wall_s: float
    peak_rss_bytes: int
    load_before: list[float]
    load_after: list[float]
    load_1m_during: float
    log: str
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {
            "wall_s": round(self.wall_s, 3),
            "peak_rss_mb": round(self.peak_rss_bytes / MB, 1),
            "load_before": [round(x, 2) for x in self.load_before],
            "load_after": [round(x, 2) for x in self.load_after],
            "load_1m_during": round(self.load_1m_during, 2),
            "log": self.log,
            **self.extra,
        }


def _tree_rss(proc: psutil.Process) -> dict[int, int]:
    """RSS per process of the tree rooted at `proc` (pid -> bytes)."""
    try:
        members = [proc, *proc.children(recursive=True)]
    except psutil.Error:
        return {}
    rss: dict[int, int] = {}
    for member in members:
        with contextlib.suppress(psutil.Error):  # it may have exited meanwhile
            rss[member.pid] = member.memory_info().rss
    return rss


def _process_label(pid: int, names: dict[int, str]) -> str:
    if pid not in names:
        try:
            cmd = psutil.Process(pid).cmdline()
            label = " ".join(Path(c).name if c.startswith("/") else c for c in cmd[:3])
            names[pid] = label[:60]
        except psutil.Error:
            names[pid] = f"pid {pid}"
    return names[pid]


def measure(cmd: Sequence[str], log_path: Path, env: dict[str, str] | None = None,
            interval: float = 0.05) -> Measurement:
    """Run `cmd` to completion; wall time and peak RSS of its whole process tree."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    load_before = list(os.getloadavg())
    loads: list[float] = []
    peak = 0
    peak_at = 0.0
    peak_by_process: list[tuple[str, int]] = []
    names: dict[int, str] = {}
    with open(log_path, "w") as log:
        log.write("$ " + " ".join(str(c) for c in cmd) + "\n")
        log.flush()
        started = time.perf_counter()
        proc = psutil.Popen([str(c) for c in cmd], stdout=log, stderr=subprocess.STDOUT,
                            env=env, cwd=REPO)
        next_load = started
        while True:
            rss = _tree_rss(proc)
            now = time.perf_counter()
            if sum(rss.values()) > peak:
                peak, peak_at = sum(rss.values()), now - started
                peak_by_process = [(_process_label(pid, names), n) for pid, n in rss.items()]
            if now >= next_load:
                loads.append(os.getloadavg()[0])
                next_load = now + 1.0
            try:
                code = proc.wait(timeout=interval)
                break
            except psutil.TimeoutExpired:
                continue
        wall = time.perf_counter() - started
    load_after = list(os.getloadavg())
    if code != 0:
        tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-25:])
        raise BenchError(f"{' '.join(str(c) for c in cmd[:3])} ... exited with {code} "
                         f"(log {log_path}):\n{tail}")
    m = Measurement(wall, peak, load_before, load_after,
                    statistics.fmean(loads) if loads else load_before[0], str(log_path))
    m.extra["peak_rss_at_s"] = round(peak_at, 2)
    m.extra["peak_rss_by_process_mb"] = [
        [label, round(n / MB, 1)] for label, n in sorted(peak_by_process, key=lambda x: -x[1])]
    return m


_STEP_START = re.compile(r"^==> (?P<name>.+)$")
_STEP_TOOK = re.compile(r"^    (?P<name>.+): (?P<s>\d+(?:\.\d+)?)s$")


def pipeline_step_timings(log_text: str) -> dict[str, float]:
    """Seconds per '==> step' of an `ochre-analytics run` log."""
    names: set[str] = set()
    took: dict[str, float] = {}
    for line in log_text.splitlines():
        m = _STEP_START.match(line)
        if m:
            names.add(m["name"])
            continue
        m = _STEP_TOOK.match(line)
        if m and m["name"] in names:
            took[m["name"]] = float(m["s"])
    return took


def dbt_timings(run_results: Path) -> dict:
    """Per-model execution seconds and totals by node kind from dbt's run_results.json."""
    if not run_results.is_file():
        return {}
    data = json.loads(run_results.read_text())
    models: dict[str, float] = {}
    tests: dict[str, float] = {}
    kinds: dict[str, dict[str, float]] = {}
    for res in data.get("results", []):
        kind, _, rest = str(res.get("unique_id", "?")).partition(".")
        seconds = float(res.get("execution_time") or 0.0)
        agg = kinds.setdefault(kind, {"count": 0, "seconds": 0.0})
        agg["count"] += 1
        agg["seconds"] += seconds
        if kind == "model":
            models[rest.split(".")[-1]] = seconds
        elif kind == "test":
            tests[rest.split(".", 1)[-1]] = seconds
    slowest_tests = sorted(tests.items(), key=lambda kv: kv[1], reverse=True)[:15]
    return {
        "elapsed_s": float(data.get("elapsed_time") or 0.0),
        "models": models,
        "kinds": kinds,
        "slowest_tests": dict(slowest_tests),
    }


# --------------------------------------------------------------------------------------
# checking the floor against the pipeline
# --------------------------------------------------------------------------------------

LEADERBOARD_KEY = ("workspace_id", "period_days", "agent_id")


def _close(a: object, b: object) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        if math.isnan(a) or math.isnan(b):
            return math.isnan(a) and math.isnan(b)
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
    return a == b


def compare_leaderboards(floor_parquet: Path, published_db: Path, examples: int = 5) -> dict:
    """The floor's rows against the published agent_leaderboard: same columns and types,
    same keys, every value equal (floats to 1e-9)."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_str(published_db)}' as published (read_only)")
        floor_sql = f"select * from read_parquet('{_sql_str(floor_parquet)}')"
        pipe_sql = "select * from published.main.agent_leaderboard"
        floor_cols = con.execute(f"describe {floor_sql}").fetchall()
        pipe_cols = con.execute(f"describe {pipe_sql}").fetchall()
        names = [c[0] for c in pipe_cols]
        key_idx = [names.index(k) for k in LEADERBOARD_KEY]
        floor_rows = con.execute(floor_sql).fetchall() if floor_cols == pipe_cols else []
        pipe_rows = con.execute(pipe_sql).fetchall()
    finally:
        con.close()
    result: dict = {
        "columns_match": [c[:2] for c in floor_cols] == [c[:2] for c in pipe_cols],
        "rows_floor": len(floor_rows),
        "rows_pipeline": len(pipe_rows),
    }
    if not result["columns_match"]:
        result.update(equal=False, floor_columns=[c[:2] for c in floor_cols],
                      pipeline_columns=[c[:2] for c in pipe_cols])
        return result
    floor_map = {tuple(r[i] for i in key_idx): r for r in floor_rows}
    pipe_map = {tuple(r[i] for i in key_idx): r for r in pipe_rows}
    only_pipe = sorted(set(pipe_map) - set(floor_map), key=str)
    only_floor = sorted(set(floor_map) - set(pipe_map), key=str)
    diffs = []
    differing_rows = 0
    for key in sorted(set(pipe_map) & set(floor_map), key=str):
        a, b = floor_map[key], pipe_map[key]
        cols = [n for n, x, y in zip(names, a, b, strict=True) if not _close(x, y)]
        if cols:
            differing_rows += 1
            if len(diffs) < examples:
                diffs.append({"key": [str(k) for k in key],
                              "columns": {n: [str(a[names.index(n)]), str(b[names.index(n)])]
                                          for n in cols}})
    result.update(
        duplicate_keys=len(floor_rows) - len(floor_map) + len(pipe_rows) - len(pipe_map),
        only_in_pipeline=len(only_pipe),
        only_in_floor=len(only_floor),
        differing_rows=differing_rows,
        examples=diffs,
        only_in_pipeline_examples=[[str(k) for k in key] for key in only_pipe[:examples]],
        only_in_floor_examples=[[str(k) for k in key] for key in only_floor[:examples]],
    )
    result["equal"] = (result["duplicate_keys"] == 0 and not only_pipe and not only_floor
                       and differing_rows == 0 and len(pipe_rows) > 0)
    return result


def rejected_summary(published_db: Path) -> dict:
    """Rejected records of the published run, by entity and by file format."""
    import duckdb

    con = duckdb.connect()
    try:
        con.execute(f"attach '{_sql_str(published_db)}' as published (read_only)")
        rows = con.execute(
            "select entity, case when source_file like '%.parquet' then 'parquet' "
            "else 'jsonl' end as fmt, count(*) "
            "from published.main.rejected_records group by 1, 2 order by 1, 2"
        ).fetchall()
    finally:
        con.close()
    by_entity: dict[str, int] = {}
    by_format = {"parquet": 0, "jsonl": 0}
    for entity, fmt, n in rows:
        by_entity[entity] = by_entity.get(entity, 0) + n
        by_format[fmt] += n
    return {"total": sum(by_format.values()), "by_format": by_format, "by_entity": by_entity}


def _sql_str(path: Path | str) -> str:
    return str(path).replace("'", "''")


# --------------------------------------------------------------------------------------
# one scale
# --------------------------------------------------------------------------------------


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("ochre-analytics")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "ochre_analytics.cli"]


class ScaleBench:
    """Runs every step of one scale; collects measurements, checks and dbt timings."""

    def __init__(self, scale: Scale, args: argparse.Namespace, out: Callable[[str], None],
                 progress: Callable[[], None] = lambda: None):
        self.scale = scale
        self.args = args
        self.say = out
        self.progress = progress  # called after every measurement (results.json is rewritten)
        self.as_of: dt.date = args.end_date
        self.next_day = self.as_of + dt.timedelta(days=1)
        self.root = Path(args.workdir).resolve() / "runs" / scale.name
        self.logs = Path(args.workdir).resolve() / "logs" / scale.name
        self.cache = Path(args.workdir).resolve() / "cache"
        self.env = {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        self.runs: dict[str, list[dict]] = {s: [] for s in STEPS}
        self.checks: dict[str, list[dict]] = {}
        self.errors: dict[str, str] = {}
        self.datasets: dict[str, dict] = {}

    # -- the measured processes --------------------------------------------------------

    def floor(self, step: str, landing: Path, as_of: dt.date, rep: int) -> Path:
        out = self.root / "floor" / f"{step}-r{rep}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        cmd = [sys.executable, str(FLOOR_SCRIPT), "--landing", str(landing),
               "--as-of", as_of.isoformat(), "--out", str(out),
               "--temp-dir", str(self.root / "floor" / "duckdb-tmp")]
        m = measure(cmd, self.logs / f"{step}-r{rep}.log", self.env, self.args.poll_interval)
        self.runs[step].append(m.as_json())
        self.say(f"    {step:<15} run {rep}: {m.wall_s:8.2f} s  {m.peak_rss_bytes / MB:8.0f} MB"
                 f"  load {m.load_1m_during:.2f}")
        self.progress()
        return out

    def pipeline(self, step: str, landing: Path, warehouse: Path, as_of: dt.date, rep: int,
                 full_refresh: bool) -> None:
        cmd = [*_cli(), "run", "--landing", str(landing), "--warehouse", str(warehouse),
               "--as-of", as_of.isoformat()]
        if full_refresh:
            cmd.append("--full-refresh")
        log = self.logs / f"{step}-r{rep}.log"
        m = measure(cmd, log, self.env, self.args.poll_interval)
        steps = pipeline_step_timings(log.read_text(errors="replace"))
        dbt = dbt_timings(warehouse / "dbt_target" / "run_results.json")
        # what no step line covers: interpreter start, imports, the CLI around the steps
        steps["(process start-up and exit)"] = round(max(m.wall_s - sum(steps.values()), 0.0), 2)
        if dbt and "build (dbt build)" in steps:
            dbt["startup_s"] = round(max(steps["build (dbt build)"] - dbt["elapsed_s"], 0.0), 2)
        m.extra["pipeline_steps_s"] = steps
        m.extra["dbt"] = dbt
        self.runs[step].append(m.as_json())
        self.say(f"    {step:<15} run {rep}: {m.wall_s:8.2f} s  {m.peak_rss_bytes / MB:8.0f} MB"
                 f"  load {m.load_1m_during:.2f}")
        self.progress()

    def check(self, name: str, floor_out: Path, warehouse: Path) -> None:
        published = warehouse / "published" / "leaderboard.duckdb"
        result = compare_leaderboards(floor_out, published)
        result["rejected"] = rejected_summary(published)
        result["floor_file"] = str(floor_out)
        self.checks.setdefault(name, []).append(result)
        self.progress()
        if not result["equal"]:
            self.say(f"    !! {name}: floor and pipeline differ: "
                     + json.dumps({k: result.get(k) for k in (
                         "rows_floor", "rows_pipeline", "only_in_pipeline", "only_in_floor",
                         "differing_rows", "examples")}, default=str)[:2000])

    # -- the sequence --------------------------------------------------------------------

    def dataset(self, label: str, factor: int) -> Path:
        spec = DataSpec(self.scale.conversations * factor, self.scale.workspaces,
                        self.args.days * factor, self.as_of, self.args.seed)
        source, summary = ensure_dataset(spec, self.cache, progress=not self.args.quiet)
        self.datasets[label] = {"generate": spec.generate_kwargs(), "cache": str(source.parent),
                                "summary": summary}
        return source

    def run(self) -> None:
        repeat = self.args.repeat
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        if self.logs.exists():
            shutil.rmtree(self.logs)
        phases = self.args.phases
        src_1x = self.dataset("1x", 1)
        with_4x = "nightly" in phases and not self.args.no_4x
        src_4x = self.dataset("4x", HISTORY_FACTOR) if with_4x else None
        land_1x, land_4x = self.root / "landing-1x", self.root / "landing-4x"
        land(src_1x, land_1x, self.as_of)
        # The warm warehouses live at fixed paths (wh-1x, wh-4x), as a nightly deployment's
        # does; warm-1x and warm-4x are pristine copies restored before each nightly run.
        wh_1x, wh_4x = self.root / "wh-1x", self.root / "wh-4x"
        warm_1x, warm_4x = self.root / "warm-1x", self.root / "warm-4x"

        if "full" in phases:
            # 1 and 2: floor and full refresh, as of D, interleaved (same load conditions)
            for rep in range(1, repeat + 1):
                floor_out = self.floor("floor", land_1x, self.as_of, rep)
                warehouse = wh_1x if rep == repeat else self.root / f"wh-full-r{rep}"
                self.pipeline("full", land_1x, warehouse, self.as_of, rep, full_refresh=True)
                self.check("floor_vs_full", floor_out, warehouse)
                if warehouse != wh_1x:
                    shutil.rmtree(warehouse)
        if "nightly" not in phases:
            return
        if "full" not in phases:  # the warm 1 x warehouse (measured once, not a target)
            self.pipeline("full_warmup", land_1x, wh_1x, self.as_of, 1, full_refresh=True)
        shutil.copytree(wh_1x, warm_1x)

        nights = [("nightly", "floor_next", land_1x, wh_1x, warm_1x)]
        if src_4x is not None:
            # the 4 x history warehouse, warm as of D (measured once, not a target)
            land(src_4x, land_4x, self.as_of)
            self.pipeline("full_4x_warmup", land_4x, wh_4x, self.as_of, 1, full_refresh=True)
            shutil.copytree(wh_4x, warm_4x)
            nights.append(("nightly_4x", "floor_4x_next", land_4x, wh_4x, warm_4x))

        # 3 and 4: one more day of export files lands; nightly runs as of D+1
        self.datasets["1x"]["files_added_for_next_day"] = land(src_1x, land_1x, self.next_day)
        if src_4x is not None:
            self.datasets["4x"]["files_added_for_next_day"] = land(src_4x, land_4x,
                                                                   self.next_day)
        for rep in range(1, repeat + 1):
            for step, floor_step, landing, warehouse, warm in nights:
                floor_out = self.floor(floor_step, landing, self.next_day, rep)
                shutil.rmtree(warehouse)
                shutil.copytree(warm, warehouse)  # restore the warm warehouse (not timed)
                self.pipeline(step, landing, warehouse, self.next_day, rep, full_refresh=False)
                self.check(f"{floor_step}_vs_{step}", floor_out, warehouse)

    def cleanup(self) -> None:
        if not self.args.keep_data and self.root.exists():
            shutil.rmtree(self.root, ignore_errors=True)

    # -- the summary -------------------------------------------------------------------

    def summary(self) -> dict:
        steps: dict[str, dict] = {}
        for step in STEPS:
            runs = self.runs[step]
            if not runs:
                continue
            walls = [r["wall_s"] for r in runs]
            peaks = [r["peak_rss_mb"] for r in runs]
            entry = {
                "step": step,
                "label": STEP_LABELS[step],
                "runs": len(runs),
                "median_wall_s": round(statistics.median(walls), 3),
                "min_wall_s": round(min(walls), 3),
                "max_wall_s": round(max(walls), 3),
                "peak_rss_mb": round(max(peaks), 1),
                "median_peak_rss_mb": round(statistics.median(peaks), 1),
                "load_1m_during": round(statistics.fmean(r["load_1m_during"] for r in runs), 2),
                "runs_detail": runs,
            }
            if step in PIPELINE_STEPS:
                entry["pipeline_steps_s"] = _median_dict([r["pipeline_steps_s"] for r in runs])
                entry["dbt"] = _dbt_summary([r["dbt"] for r in runs])
            steps[step] = entry
        for step, entry in steps.items():
            floor_step = FLOOR_OF[step]
            if floor_step and floor_step in steps:
                entry["ratio_to_floor"] = round(
                    entry["median_wall_s"] / steps[floor_step]["median_wall_s"], 3)
                entry["floor_step"] = floor_step
        if "nightly_4x" in steps and "nightly" in steps:
            steps["nightly_4x"]["ratio_to_nightly"] = round(
                steps["nightly_4x"]["median_wall_s"] / steps["nightly"]["median_wall_s"], 3)
        checks = {name: {"equal": all(c["equal"] for c in results), "runs": results}
                  for name, results in self.checks.items()}
        return {
            "scale": self.scale.name,
            "conversations": self.scale.conversations,
            "workspaces": self.scale.workspaces,
            "history_days": self.args.days,
            "as_of": self.as_of.isoformat(),
            "next_day": self.next_day.isoformat(),
            "repeat": self.args.repeat,
            "phases": list(self.args.phases),
            "datasets": self.datasets,
            "steps": steps,
            "checks": checks,
            "targets": _targets(steps),
            "errors": self.errors,
        }


def _median_dict(dicts: list[dict[str, float]]) -> dict[str, float]:
    keys: list[str] = []
    for d in dicts:
        keys += [k for k in d if k not in keys]
    return {k: round(statistics.median([d[k] for d in dicts if k in d]), 2) for k in keys}


def _dbt_summary(runs: list[dict]) -> dict:
    runs = [r for r in runs if r]
    if not runs:
        return {}
    models = _median_dict([r["models"] for r in runs])
    kinds: dict[str, dict] = {}
    for kind in {k for r in runs for k in r["kinds"]}:
        kinds[kind] = {
            "count": max(r["kinds"].get(kind, {}).get("count", 0) for r in runs),
            "seconds": round(statistics.median(
                [r["kinds"].get(kind, {}).get("seconds", 0.0) for r in runs]), 2),
        }
    top = sorted(models.items(), key=lambda kv: kv[1], reverse=True)[:10]
    tests = _median_dict([r.get("slowest_tests", {}) for r in runs])
    top_tests = sorted(tests.items(), key=lambda kv: kv[1], reverse=True)[:5]
    return {
        "elapsed_s": round(statistics.median([r["elapsed_s"] for r in runs]), 2),
        "startup_s": round(statistics.median([r.get("startup_s", 0.0) for r in runs]), 2),
        "kinds": kinds,
        "top_models": [{"model": m, "seconds": s} for m, s in top],
        "top_tests": [{"test": t, "seconds": s} for t, s in top_tests],
        "models": models,
    }


def _targets(steps: dict[str, dict]) -> dict:
    out: dict[str, dict] = {}

    def put(name: str, value: float | None, limit: float, what: str) -> None:
        if value is not None:
            out[name] = {"value": round(value, 3), "limit": limit, "met": value <= limit,
                         "what": what}

    full = steps.get("full", {})
    put("full_vs_floor", full.get("ratio_to_floor"), TARGETS["full_vs_floor"],
        "full pipeline wall / floor wall")
    if full:
        put("full_peak_rss_gb", full["peak_rss_mb"] / 1024, TARGETS["full_peak_rss_gb"],
            "full pipeline peak RSS of the process tree, GB")
    put("nightly_vs_floor", steps.get("nightly", {}).get("ratio_to_floor"),
        TARGETS["nightly_vs_floor"], "nightly wall / floor wall on the same files (D+1)")
    put("nightly_4x_vs_nightly", steps.get("nightly_4x", {}).get("ratio_to_nightly"),
        TARGETS["nightly_4x_vs_nightly"], "4x-history nightly wall / 1x nightly wall")
    return out


# --------------------------------------------------------------------------------------
# report
# --------------------------------------------------------------------------------------


def render_scale(s: dict) -> str:
    lines = []
    sets = s["datasets"]
    one, four = sets.get("1x", {}), sets.get("4x", {})
    lines.append(
        f"scale {s['scale']}: {s['conversations']:,} conversations over {s['history_days']} days"
        f" ({s['workspaces']:,} workspaces); D = {s['as_of']}, nightly D+1 = {s['next_day']}")
    for label, d in (("1x", one), ("4x", four)):
        if d:
            c = d["summary"].get("counts", {})
            lines.append(
                f"  {label} data: {d['generate']['conversations']:,} conversations, "
                f"{c.get('messages', 0):,} messages, {d['generate']['days']} days "
                f"(last day held back, then {d.get('files_added_for_next_day', '?')} files land)")
    header = (f"  {'step':<32} {'runs':>4} {'median s':>9} {'min s':>8} {'max s':>8} "
              f"{'peak RSS MB':>11} {'x floor':>8}  {'load':>5}")
    lines += [header, "  " + "-" * (len(header) - 2)]
    for e in s["steps"].values():
        ratio = f"{e['ratio_to_floor']:.2f}" if "ratio_to_floor" in e else "-"
        lines.append(
            f"  {e['label']:<32} {e['runs']:>4} {e['median_wall_s']:>9.2f} {e['min_wall_s']:>8.2f}"
            f" {e['max_wall_s']:>8.2f} {e['peak_rss_mb']:>11.0f} {ratio:>8}  "
            f"{e['load_1m_during']:>5.2f}")
    if "nightly_4x" in s["steps"] and "ratio_to_nightly" in s["steps"]["nightly_4x"]:
        lines.append(f"  4x-history nightly / 1x nightly: "
                     f"{s['steps']['nightly_4x']['ratio_to_nightly']:.2f}")
    lines.append("  targets (informational, on this machine and load):")
    for t in s["targets"].values():
        lines.append(f"    {'met ' if t['met'] else 'MISS'}  {t['what']}: {t['value']:.2f} "
                     f"(target <= {t['limit']})")
    for name, c in s["checks"].items():
        first = c["runs"][0]
        rej = first.get("rejected", {})
        lines.append(
            f"  check {name}: {'EQUAL' if c['equal'] else 'DIFFERENT'} "
            f"({first['rows_pipeline']} pipeline rows, {first['rows_floor']} floor rows); "
            f"rejected by the pipeline: {rej.get('total', 0)} "
            f"({rej.get('by_format', {}).get('jsonl', 0)} in JSON Lines the floor skips, "
            f"{rej.get('by_format', {}).get('parquet', 0)} in Parquet)")
    for step in ("full", "nightly", "nightly_4x"):
        e = s["steps"].get(step)
        if not e or not e.get("dbt"):
            continue
        dbt = e["dbt"]
        ps = ", ".join(f"{k} {v:.1f}s" for k, v in e["pipeline_steps_s"].items())
        kinds = dbt["kinds"]
        lines.append(f"  where the time goes, {e['label']} (medians):")
        lines.append(f"    pipeline steps: {ps}")
        lines.append(
            "    dbt: start-up and parsing {:.1f}s, then {:.1f}s running: models {} = {:.1f}s, "
            "data tests {} = {:.1f}s, unit tests {} = {:.1f}s".format(
                dbt.get("startup_s", 0.0), dbt["elapsed_s"],
                kinds.get("model", {}).get("count", 0), kinds.get("model", {}).get("seconds", 0),
                kinds.get("test", {}).get("count", 0), kinds.get("test", {}).get("seconds", 0),
                kinds.get("unit_test", {}).get("count", 0),
                kinds.get("unit_test", {}).get("seconds", 0)))
        lines.append("    top models: " + ", ".join(
            f"{t['model']} {t['seconds']:.1f}s" for t in dbt["top_models"]))
        if dbt.get("top_tests"):
            lines.append("    slowest data tests: " + ", ".join(
                f"{t['test'][:60]} {t['seconds']:.1f}s" for t in dbt["top_tests"]))
        worst = max(e["runs_detail"], key=lambda r: r["peak_rss_mb"])
        if worst.get("peak_rss_by_process_mb"):
            lines.append(
                f"    peak RSS {worst['peak_rss_mb']:.0f} MB, {worst['peak_rss_at_s']:.0f}s into "
                "the run: " + ", ".join(f"{label} {mb:.0f} MB"
                                        for label, mb in worst["peak_rss_by_process_mb"][:4]))
    if s["errors"]:
        for step, err in s["errors"].items():
            lines.append(f"  ERROR in {step}: {err.splitlines()[0]}")
    return "\n".join(lines)


def machine_info() -> dict:
    from ochre_analytics.config import Settings

    settings = Settings.from_env()
    vm = psutil.virtual_memory()
    info = {
        "hostname": platform.node(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores_logical": os.cpu_count(),
        "cores_physical": psutil.cpu_count(logical=False),
        "memory_gb": round(vm.total / GB, 1),
        "memory_available_gb": round(vm.available / GB, 1),
        "duckdb_threads": settings.duckdb_threads,
        "duckdb_memory_limit": settings.duckdb_memory_limit,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }
    for package in ("duckdb", "dbt-core", "dbt-duckdb"):
        try:
            from importlib.metadata import version

            info[f"{package}_version"] = version(package)
        except Exception:  # noqa: BLE001 - informational only
            info[f"{package}_version"] = None
    return info


def _git(*args: str) -> str | None:
    try:
        out = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True,
                             timeout=30, check=True)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip()


# --------------------------------------------------------------------------------------
# command line
# --------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks.run",
        description="Benchmark the pipeline against the one-query floor (make bench).")
    p.add_argument("--scales", type=parse_scales, default=parse_scales(DEFAULT_SCALES),
                   help="comma-separated: S (100,000 conversations), M (2,000,000), L "
                        "(20,000,000: about 110M messages; `make bench-l`), XS (2,000), NAME=N "
                        "or N (default S,M)")
    p.add_argument("--repeat", type=int, default=3, help="runs per measurement (default 3)")
    p.add_argument("--phases", type=_parse_phases, default=PHASES,
                   help="full (steps 1-2: floor and full refresh as of D), nightly (steps 3-4; "
                        "without `full` a single unmeasured-as-target full refresh builds the "
                        "warm warehouse); default full,nightly")
    p.add_argument("--no-4x", action="store_true",
                   help="nightly phase without the 4 x history (its warm-up alone would take "
                        "hours at L; `make bench-l` uses it)")
    p.add_argument("--workdir", default=str(REPO / "benchmarks" / "data"),
                   help="generated data cache, warehouses and logs (default benchmarks/data)")
    p.add_argument("--keep-data", action="store_true",
                   help="keep the landing folders and warehouses of the runs (the generated "
                        "data cache is always kept)")
    p.add_argument("--results", default=str(REPO / "benchmarks" / "results.json"),
                   help="where to write the results (default benchmarks/results.json)")
    p.add_argument("--days", type=int, default=DEFAULT_DAYS,
                   help=f"days of history at 1x (default {DEFAULT_DAYS})")
    p.add_argument("--end-date", type=dt.date.fromisoformat, default=DEFAULT_END,
                   help=f"D, the as-of date of the floor and the full run "
                        f"(default {DEFAULT_END})")
    p.add_argument("--seed", type=int, default=DEFAULT_SEED)
    p.add_argument("--poll-interval", type=float, default=0.05,
                   help="seconds between RSS samples (default 0.05)")
    p.add_argument("--quiet", action="store_true", help="no generator progress bar")
    return p


def _parse_phases(text: str) -> tuple[str, ...]:
    phases = tuple(p.strip() for p in text.split(",") if p.strip())
    unknown = [p for p in phases if p not in PHASES]
    if unknown or not phases:
        raise argparse.ArgumentTypeError(f"phases are {', '.join(PHASES)}, got {text!r}")
    return tuple(p for p in PHASES if p in phases)


def _rows(summary: dict) -> list[dict]:
    return [{"scale": summary["scale"], "step": step, "runs": e["runs"],
             "median_wall_s": e["median_wall_s"], "peak_rss_mb": e["peak_rss_mb"],
             "ratio_to_floor": e.get("ratio_to_floor")}
            for step, e in summary["steps"].items()]


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    results_path = Path(args.results)
    results: dict = {
        "started_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine_info(),
        "load_before": [round(x, 2) for x in os.getloadavg()],
        "targets": TARGETS,
        "options": {"scales": [f"{s.name}={s.conversations}" for s in args.scales],
                    "repeat": args.repeat, "phases": list(args.phases), "days": args.days,
                    "end_date": args.end_date.isoformat(), "seed": args.seed},
        "scales": [],
        "rows": [],
    }

    def write(partial: dict | None = None) -> None:
        """results.json after every measurement: a stopped run keeps what it measured."""
        data = dict(results)
        if partial is not None:
            data["scales"] = [*results["scales"], {**partial, "incomplete": True}]
            data["rows"] = [*results["rows"], *_rows(partial)]
        data["load_after"] = [round(x, 2) for x in os.getloadavg()]
        data["finished_at"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        results_path.parent.mkdir(parents=True, exist_ok=True)
        tmp = results_path.with_name(f".{results_path.name}.tmp")
        tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
        os.replace(tmp, results_path)

    m = results["machine"]
    print(f"bench: {m['cores_logical']} cores, {m['memory_gb']} GB, DuckDB threads "
          f"{m['duckdb_threads']}, memory limit {m['duckdb_memory_limit']}, commit "
          f"{(m['git_commit'] or '?')[:10]}{' (dirty)' if m['git_dirty'] else ''}, load "
          f"{' '.join(str(x) for x in results['load_before'])}", flush=True)
    failed = False
    for scale in args.scales:
        print(f"== scale {scale.name} ({scale.conversations:,} conversations)", flush=True)
        bench = ScaleBench(scale, args, lambda line: print(line, flush=True))
        bench.progress = lambda bench=bench: write(bench.summary())
        try:
            bench.run()
        except BenchError as exc:
            failed = True
            bench.errors["run"] = str(exc)
            print(f"error: {exc}", file=sys.stderr, flush=True)
        finally:
            bench.cleanup()
        summary = bench.summary()
        results["scales"].append(summary)
        results["rows"].extend(_rows(summary))
        if any(not c["equal"] for c in summary["checks"].values()):
            failed = True
        results["load_after"] = [round(x, 2) for x in os.getloadavg()]
        write()
        print(render_scale(summary), flush=True)
    print(f"load average before {results['load_before']}, after {results['load_after']}; "
          f"results in {results_path}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
