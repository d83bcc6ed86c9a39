"""Run the suites of :mod:`data_checks.suites` against a DuckDB warehouse file.

GE's SQL engine returns empty metric bundles on DuckDB, so every batch is a pandas frame read
through a read-only DuckDB connection (opened per query and closed right after). Large tables
are read in hash partitions of their grain (``chunk_rows`` rows each, roughly), global
aggregates are computed in DuckDB SQL, and all batches are validated with an ephemeral GE
context. Results go to ``<out_dir>/results.json``, ``<out_dir>/index.html`` (summary of every
check), ``<out_dir>/data_docs/index.html`` (GE Data Docs) and ``<out_dir>/ge_results/*.json``
(raw GE validation results).

Fail closed: an exception anywhere in a check (missing table or column, GE error) becomes a
failed, blocking :class:`CheckResult` carrying the message; it never passes and never raises.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import logging
import math
import os
import re
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from data_checks.suites import (
    DAILY_ACTIVITY_DAYS,
    DEFAULT_REJECTED_THRESHOLD,
    LOW_CSAT_DAYS,
    PUBLISHED_TABLES,
    VOLUME_TOLERANCE,
    AggregateCheck,
    TableSuite,
    build_suite,
)

log = logging.getLogger(__name__)

DEFAULT_CHUNK_ROWS = 1_000_000
_EXAMPLES = 20  # partial unexpected values kept per check
_LINE_EXAMPLES = 3  # of which shown in a failure line
_INDEX_ROWS_LIMIT = 20_000  # frames up to this size report the keys of unexpected rows
# Frames from this size on are validated column group by column group (_GE._run_groups):
# below it, GE's copies of the frame cost less than a validation per group (about 10 ms).
_NARROW_ROWS = 50_000


@dataclass
class CheckResult:
    """One expectation (merged over the chunks of a table) or one failed/skipped step."""

    table: str
    column: str | None
    expectation: str
    success: bool
    observed: Any
    blocking: bool = True
    batch: str = "rows"
    message: str | None = None
    exception: str | None = None
    skipped: bool = False
    kwargs: dict[str, Any] = field(default_factory=dict)

    @property
    def observed_text(self) -> str:
        if self.exception:
            return f"error: {self.exception}"
        if self.message:
            return self.message
        return _describe(self.observed)

    def line(self) -> str:
        """``table, column, expectation, observed value``."""
        return f"{self.table}, {self.column or '-'}, {self.expectation}, {self.observed_text}"

    def to_dict(self) -> dict[str, Any]:
        out = _jsonable(asdict(self))
        out["observed_text"] = self.observed_text
        return out


@dataclass
class ValidationReport:
    as_of_date: dt.date
    db_path: str
    results: list[CheckResult]
    threshold: float = DEFAULT_REJECTED_THRESHOLD
    out_dir: Path | None = None
    html_index: Path | None = None
    data_docs_index: Path | None = None
    json_path: Path | None = None
    seconds: float = 0.0

    @property
    def failures(self) -> list[CheckResult]:
        """Blocking checks that failed (including every check that raised)."""
        return [r for r in self.results if r.blocking and not r.success]

    @property
    def warnings(self) -> list[CheckResult]:
        """Non-blocking checks that failed."""
        return [r for r in self.results if not r.blocking and not r.success]

    @property
    def passed(self) -> bool:
        """Every blocking check succeeded (and there was at least one check)."""
        return bool(self.results) and not self.failures

    def summary(self) -> dict[str, Any]:
        return {
            "as_of_date": self.as_of_date.isoformat(),
            "passed": self.passed,
            "checks": len(self.results),
            "succeeded": sum(r.success and not r.skipped for r in self.results),
            "failed": len(self.failures),
            "warnings": len(self.warnings),
            "skipped": sum(r.skipped for r in self.results),
            "html_index": str(self.html_index) if self.html_index else None,
            "data_docs_index": str(self.data_docs_index) if self.data_docs_index else None,
            "json": str(self.json_path) if self.json_path else None,
            "seconds": round(self.seconds, 2),
        }

    def failure_lines(self, *, include_warnings: bool = False) -> list[str]:
        """One line per failed expectation: ``table, column, expectation, observed value``."""
        lines = [r.line() for r in self.failures]
        if include_warnings:
            lines += [f"WARNING {r.line()}" for r in self.warnings]
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "as_of_date": self.as_of_date.isoformat(),
            "db_path": self.db_path,
            "threshold": self.threshold,
            "summary": self.summary(),
            "failure_lines": self.failure_lines(),
            "warning_lines": [r.line() for r in self.warnings],
            "results": [r.to_dict() for r in self.results],
        }


# --------------------------------------------------------------------------- public API


def validate(
    db_path: str | os.PathLike[str],
    as_of_date: dt.date | str,
    *,
    threshold: float = DEFAULT_REJECTED_THRESHOLD,
    out_dir: str | os.PathLike[str] | None,
    tables: Iterable[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    schema: str = "main",
    duckdb_settings: dict[str, Any] | None = None,
    daily_activity_days: int = DAILY_ACTIVITY_DAYS,
    low_csat_days: int = LOW_CSAT_DAYS,
    volume_tolerance: float = VOLUME_TOLERANCE,
    loaded_since: dt.datetime | None = None,
) -> ValidationReport:
    """Validate the published tables (all, or ``tables``) of the DuckDB file ``db_path``.

    ``out_dir`` (the caller passes ``<warehouse>/validation/<as-of>/``) receives the JSON and
    HTML; ``None`` writes nothing. The rejected-share gate covers the landing files loaded
    after ``loaded_since`` (the last publish; every file when None). Never raises for a data
    or GE problem: see the module doc.
    """
    started = time.perf_counter()
    day = _as_date(as_of_date)
    out = Path(out_dir) if out_dir is not None else None
    session = _Session(db_path, day, schema, chunk_rows, duckdb_settings, out)
    options = {
        "threshold": threshold,
        "daily_activity_days": daily_activity_days,
        "low_csat_days": low_csat_days,
        "volume_tolerance": volume_tolerance,
        "loaded_since": loaded_since,
    }
    results: list[CheckResult] = []
    try:
        for table in PUBLISHED_TABLES if tables is None else list(tables):
            try:
                results += session.run_table(table, options)
            except Exception as exc:  # noqa: BLE001 - fail closed, whatever went wrong
                log.exception("data checks: %s failed", table)
                results.append(_error(table, None, "run_table", exc))
    finally:
        session.close()
    report = ValidationReport(day, str(db_path), results, threshold=threshold, out_dir=out)
    report.seconds = time.perf_counter() - started
    if out is not None:
        session.write(report)
        report.seconds = time.perf_counter() - started
    log.info("data checks %s: %s", day, report.summary())
    return report


def validate_table(
    db_path: str | os.PathLike[str],
    table: str,
    as_of_date: dt.date | str,
    *,
    threshold: float = DEFAULT_REJECTED_THRESHOLD,
    out_dir: str | os.PathLike[str] | None = None,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    schema: str = "main",
    duckdb_settings: dict[str, Any] | None = None,
    **options: Any,
) -> list[CheckResult]:
    """The checks of one published table (for one Dagster asset check per table).

    With ``out_dir`` the JSON/HTML go to ``<out_dir>/<table>/``.
    """
    report = validate(
        db_path,
        as_of_date,
        threshold=threshold,
        out_dir=None if out_dir is None else Path(out_dir) / table,
        tables=[table],
        chunk_rows=chunk_rows,
        schema=schema,
        duckdb_settings=duckdb_settings,
        **options,
    )
    return report.results


# --------------------------------------------------------------------------- session


class _Session:
    """One validation run: a read-only reader and one ephemeral GE context."""

    def __init__(
        self,
        db_path: str | os.PathLike[str],
        as_of: dt.date,
        schema: str,
        chunk_rows: int,
        duckdb_settings: dict[str, Any] | None,
        out_dir: Path | None,
    ) -> None:
        self.db_path = str(db_path)
        self.as_of = as_of
        self.schema = schema
        self.chunk_rows = max(1, int(chunk_rows))
        self.duckdb_settings = {
            "threads": int(os.environ.get("OCHRE_DUCKDB_THREADS", "2")),
            "memory_limit": os.environ.get("OCHRE_DUCKDB_MEMORY_LIMIT", "8GB"),
            **(duckdb_settings or {}),
        }
        self.out_dir = out_dir
        self.ge_results: list[tuple[str, Any]] = []
        self._ge: _GE | None = None
        self._con: duckdb.DuckDBPyConnection | None = None

    @property
    def ge(self) -> _GE:
        if self._ge is None:
            self._ge = _GE(self.as_of, self.out_dir)
        return self._ge

    # -- reading ------------------------------------------------------------------

    def read(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """The rows of ``sql`` as the frame DuckDB's ``.df()`` gives (same dtypes, values),
        through Arrow where every column's type allows: 3 times faster on text, which
        ``.df()`` turns into Python strings and pandas back into Arrow ones."""
        relation = self._connection().sql(sql, params=params)
        names = relation.columns
        if len(set(names)) == len(names) and all(
            str(t) in _ARROW_READ_TYPES for t in relation.types
        ):
            return _arrow_to_pandas(relation.to_arrow_table())
        return relation.df()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """One read-only connection for the session's reads, opened on the first read and
        closed by close(): the build database is never held open after validate()."""
        if self._con is None:
            if not Path(self.db_path).is_file():
                raise FileNotFoundError(f"warehouse file not found: {self.db_path}")
            # Settings by SET, not connect(config=...): DuckDB refuses a second connection to
            # a file already open in this process with a different config.
            con = duckdb.connect(self.db_path, read_only=True)
            try:
                for name, value in self.duckdb_settings.items():
                    con.execute(f"SET {name} = {_literal(value)}")
                con.execute(f"SET schema = {_literal(self.schema)}")
            except Exception:
                con.close()
                raise
            self._con = con
        return self._con

    def close(self) -> None:
        if self._con is not None:
            self._con.close()
            self._con = None

    def _chunks(self, suite: TableSuite) -> Iterable[tuple[str, pd.DataFrame]]:
        table = _ident(suite.table)
        rows = int(self.read(f"SELECT count(*) AS n FROM {table}")["n"].iloc[0])
        parts = max(1, math.ceil(rows / self.chunk_rows))
        if parts == 1:
            yield "rows", self.read(f"SELECT * FROM {table}")
            return
        # Hash partitions of the grain: equal keys share a chunk, so uniqueness stays global.
        # Without a grain, the hash of the whole row (``t`` is the row as a struct).
        key = ", ".join(_ident(c) for c in suite.contract.grain) or "t"
        seen = 0
        for i in range(parts):
            sql = f"SELECT * FROM {table} t WHERE hash({key}) % {parts} = {i}"
            frame = self.read(sql)
            seen += len(frame)
            yield f"rows part {i + 1} of {parts}", frame
        if seen != rows:
            raise RuntimeError(f"chunks of {suite.table} held {seen:,} rows, the table {rows:,}")

    # -- one table ----------------------------------------------------------------

    def run_table(self, table: str, options: dict[str, Any]) -> list[CheckResult]:
        try:
            suite = build_suite(table, self.as_of, **options)
        except Exception as exc:  # noqa: BLE001 - fail closed: unknown table, bad option
            return [_error(table, None, "build_suite", exc)]
        results = self._run_rows(suite)
        for check in suite.aggregates:
            results += self._run_aggregate(suite, check)
        return results

    def _run_rows(self, suite: TableSuite) -> list[CheckResult]:
        table = suite.table
        merged: dict[str, _Merged] = {}
        chunks = 0
        try:
            for label, frame in self._chunks(suite):
                chunks += 1
                index = [c for c in suite.contract.grain if c in frame.columns]
                self._validate(merged, suite, "rows", label, frame, suite.rows, index)
                if suite.consistency:
                    try:
                        derived = suite.consistency_frame(frame)
                    except Exception as exc:  # noqa: BLE001 - fail closed
                        # Count it as every consistency check failing on this chunk.
                        for pos, exp in enumerate(suite.consistency):
                            _merge_error(merged, table, "consistency", pos, exp, exc)
                        continue
                    self._validate(
                        merged, suite, "consistency", label, derived, suite.consistency, index
                    )
                del frame
        except Exception as exc:  # noqa: BLE001 - fail closed
            log.warning("data checks: reading %s failed: %s", table, exc)
            return [m.result() for m in merged.values()] + [_error(table, None, "read_table", exc)]
        out = [m.result() for m in merged.values()]
        for r in out:
            r.batch = f"{r.batch} ({chunks} chunks)" if chunks > 1 else r.batch
        return out

    def _validate(
        self,
        merged: dict[str, _Merged],
        suite: TableSuite,
        kind: str,
        label: str,
        frame: pd.DataFrame,
        expectations: list[Any],
        index: list[str],
        *,
        blocking: bool = True,
        messages: dict[int, str] | None = None,
    ) -> None:
        suite_name = f"{suite.table}.{kind}"
        try:
            res = self.ge.run(suite_name, f"{suite_name}: {label}", frame, expectations, index)
            self.ge_results.append((f"{suite_name}: {label}", res))
            outcomes = list(res.results)
            if len(outcomes) != len(expectations):
                raise RuntimeError(
                    f"GE returned {len(outcomes)} results for {len(expectations)} expectations"
                )
        except Exception as exc:  # noqa: BLE001 - fail closed
            log.warning("data checks: GE failed on %s %s: %s", suite_name, label, exc)
            for pos, exp in enumerate(expectations):
                _merge_error(merged, suite.table, kind, pos, exp, exc, blocking=True)
            return
        for pos, outcome in enumerate(outcomes):
            key = f"{kind}:{pos}"
            if key not in merged:
                merged[key] = _Merged(suite.table, kind, blocking, (messages or {}).get(pos))
            try:
                merged[key].add(outcome)
            except Exception as exc:  # noqa: BLE001 - fail closed
                _merge_error(merged, suite.table, kind, pos, expectations[pos], exc)

    def _run_aggregate(self, suite: TableSuite, check: AggregateCheck) -> list[CheckResult]:
        try:
            batch = check.build(self.read)
        except Exception as exc:  # noqa: BLE001 - fail closed
            log.warning("data checks: %s failed: %s", check.name, exc)
            return [_error(suite.table, check.column, check.expectation, exc, batch=check.name)]
        if batch.skip_reason is not None:
            return [
                CheckResult(
                    suite.table,
                    check.column,
                    check.expectation,
                    success=True,
                    observed=batch.skip_reason,
                    blocking=check.blocking,
                    batch=check.name,
                    message=batch.skip_reason,
                    skipped=True,
                )
            ]
        merged: dict[str, _Merged] = {}
        self._validate(
            merged,
            suite,
            check.name.removeprefix(f"{suite.table}."),
            "aggregate",
            batch.frame,
            batch.expectations,
            list(batch.index_columns),
            blocking=check.blocking,
            messages=batch.messages,
        )
        out = [m.result() for m in merged.values()]
        for r in out:
            r.batch = check.name
        return out

    # -- output ---------------------------------------------------------------------

    def write(self, report: ValidationReport) -> None:
        """JSON + HTML under out_dir. A failure to write is itself a failed blocking check."""
        out = self.out_dir
        assert out is not None
        try:
            out.mkdir(parents=True, exist_ok=True)
            raw_dir = out / "ge_results"
            shutil.rmtree(raw_dir, ignore_errors=True)
            raw_dir.mkdir()
            for n, (name, res) in enumerate(self.ge_results, start=1):
                path = raw_dir / f"{n:03d}_{_slug(name)}.json"
                path.write_text(json.dumps(res.to_json_dict(), indent=1, default=str))
            if self._ge is not None:
                report.data_docs_index = self._ge.build_docs()
            report.html_index = out / "index.html"
            report.json_path = out / "results.json"
            report.html_index.write_text(_render_html(report))
            report.json_path.write_text(json.dumps(report.to_dict(), indent=1, default=str))
        except Exception as exc:
            log.exception("data checks: writing the report to %s failed", out)
            report.results.append(_error("(report)", None, "write_report", exc, batch=str(out)))


class _GE:
    """Ephemeral GE context with one pandas datasource and a Data Docs site in out_dir."""

    def __init__(self, as_of: dt.date, out_dir: Path | None) -> None:
        import great_expectations as gx
        from great_expectations.core.run_identifier import RunIdentifier
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )
        from great_expectations.execution_engine import pandas_execution_engine

        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        # GE fingerprints every pandas batch below HASH_THRESHOLD bytes (an md5 over the whole
        # frame) only to label the batch in its result. The runner names each batch itself,
        # and at 1.5M rows the fingerprint cost seconds per run: 0 turns it off.
        # tests/test_data_checks.py fails if GE stops honouring it.
        pandas_execution_engine.HASH_THRESHOLD = 0
        self._gx = gx
        config = DataContextConfig(
            analytics_enabled=False,
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
            progress_bars=ProgressBarsConfig(globally=False, metric_calculations=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        self.docs_dir = out_dir / "data_docs" if out_dir is not None else None
        if self.docs_dir is not None:
            self.context.add_data_docs_site(
                site_name="ochre",
                site_config={
                    "class_name": "SiteBuilder",
                    "store_backend": {
                        "class_name": "TupleFilesystemStoreBackend",
                        "base_directory": str(self.docs_dir),
                    },
                    "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
                },
            )
        self.datasource = self.context.data_sources.add_pandas("ochre_warehouse")
        self.run_id = RunIdentifier(
            run_name=f"ochre-{as_of.isoformat()}", run_time=dt.datetime.now(dt.UTC)
        )
        self._suites: dict[str, Any] = {}
        self._order_keys: dict[str, list[str]] = {}  # per suite: _order_key of each expectation
        self._assets = 0
        self.narrow_rows = _NARROW_ROWS

    def run(
        self,
        suite_name: str,
        batch_name: str,
        frame: pd.DataFrame,
        expectations: list[Any],
        index_columns: list[str],
    ) -> Any:
        gx = self._gx
        if suite_name not in self._suites:
            suite = gx.ExpectationSuite(name=suite_name, expectations=list(expectations))
            self._suites[suite_name] = self.context.suites.add(suite)
            self._order_keys[suite_name] = [
                _order_key(e.configuration) for e in self._suites[suite_name].expectations
            ]
        self._assets += 1
        name = f"{self._assets:03d}_{_slug(batch_name)}"
        asset = self.datasource.add_dataframe_asset(name)
        batch_definition = asset.add_batch_definition_whole_dataframe("whole dataframe")
        result_format: dict[str, Any] = {
            "result_format": "SUMMARY",
            "partial_unexpected_count": _EXAMPLES,
        }
        # GE builds the index list of *every* unexpected row (about 50 us each): only on
        # small frames, or a column failing on a million rows would take minutes.
        index = list(index_columns) if len(frame) <= _INDEX_ROWS_LIMIT else []
        if index:
            result_format["unexpected_index_column_names"] = index
        groups = (
            _column_groups(self._suites[suite_name].expectations, list(frame.columns), index)
            if len(frame) >= self.narrow_rows
            else []
        )
        if len(groups) <= 1:
            definition = self.context.validation_definitions.add(
                gx.ValidationDefinition(
                    name=name, data=batch_definition, suite=self._suites[suite_name]
                )
            )
            result = definition.run(
                batch_parameters={"dataframe": frame},
                result_format=result_format,
                run_id=self.run_id,
            )
            result.results = _in_order(result.results, self._order_keys[suite_name])
            return result
        return self._run_groups(suite_name, batch_definition, frame, groups, result_format)

    def _run_groups(
        self,
        suite_name: str,
        batch_definition: Any,
        frame: pd.DataFrame,
        groups: list[tuple[list[str] | None, list[int]]],
        result_format: dict[str, Any],
    ) -> Any:
        """Validate each group of expectations on the frame's columns it reads, and store
        the results as one validation of the whole suite (one Data Docs page per batch).

        GE copies the whole batch frame for every metric with a row condition or a nullable
        domain (``df[df[col].notnull()]``): on a 15-column frame of 780,000 rows that was
        most of the audit of ``conversation_summary``. On a frame of the columns an
        expectation reads, the copies are small and the results are the same.
        """
        from copy import copy

        from great_expectations.core.expectation_validation_result import (
            ExpectationSuiteValidationResult,
        )
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )
        from great_expectations.validator.v1_validator import Validator
        from great_expectations.validator.validation_statistics import (
            calc_validation_statistics,
        )

        suite = self._suites[suite_name]
        outcomes: list[Any] = [None] * len(suite.expectations)
        first: Any = None
        for columns, positions in groups:
            part = self._gx.ExpectationSuite(
                name=suite_name, expectations=[copy(suite.expectations[p]) for p in positions]
            )
            validator = Validator(
                batch_definition=batch_definition,
                batch_parameters={"dataframe": frame if columns is None else frame[columns]},
                result_format=result_format,
            )
            res = validator.validate_expectation_suite(part)
            if first is None:
                first = res
            keys = self._order_keys[suite_name]
            in_order = _in_order(res.results, [keys[p] for p in positions])
            for pos, outcome in zip(positions, in_order, strict=True):
                outcomes[pos] = outcome
        statistics = calc_validation_statistics(outcomes)
        merged = ExpectationSuiteValidationResult(
            results=outcomes,
            success=statistics.success,
            suite_name=suite_name,
            statistics={
                "evaluated_expectations": statistics.evaluated_expectations,
                "successful_expectations": statistics.successful_expectations,
                "unsuccessful_expectations": statistics.unsuccessful_expectations,
                "success_percent": statistics.success_percent,
            },
            meta={
                **first.meta,
                "run_id": self.run_id,
                "validation_time": self.run_id.run_time,
                "batch_parameters": {"dataframe": "<DATAFRAME>"},
            },
            batch_id=first.batch_id,
        )
        suite_id = ExpectationSuiteIdentifier(name=suite_name)
        self.context.validation_results_store.store_validation_results(
            suite_validation_result=merged,
            suite_validation_result_identifier=ValidationResultIdentifier(
                batch_identifier=first.batch_id,
                expectation_suite_identifier=suite_id,
                run_id=self.run_id,
            ),
            expectation_suite_identifier=suite_id,
        )
        return merged

    def build_docs(self) -> Path | None:
        if self.docs_dir is None:
            return None
        shutil.rmtree(self.docs_dir, ignore_errors=True)
        self.context.build_data_docs(site_names=["ochre"])
        index = self.docs_dir / "index.html"
        return index if index.is_file() else None


# --------------------------------------------------------------------------- merging


class _Merged:
    """One expectation's results over all the chunks it ran on."""

    def __init__(self, table: str, kind: str, blocking: bool, message: str | None) -> None:
        self.table = table
        self.kind = kind
        self.blocking = blocking
        self.message = message
        self.config: Any = None
        self.success = True
        self.exceptions: list[str] = []
        self.observed: list[Any] = []
        self.counts: dict[str, int] = {}
        self.examples: list[Any] = []
        self.index_examples: list[Any] = []
        self.is_map = False

    def add(self, outcome: Any) -> None:
        self.config = outcome.expectation_config
        errors = _exception_messages(outcome.exception_info)
        self.exceptions += [e for e in errors if e not in self.exceptions]
        self.success = self.success and bool(outcome.success) and not errors
        result = outcome.result or {}
        if "observed_value" in result:
            value = _jsonable(result["observed_value"])
            if value not in self.observed:
                self.observed.append(value)
        if "element_count" in result:
            self.is_map = True
        for k in ("element_count", "unexpected_count", "missing_count"):
            if k in result:
                self.counts[k] = self.counts.get(k, 0) + int(result.get(k) or 0)
        room = _EXAMPLES - len(self.examples)
        self.examples += _jsonable(result.get("partial_unexpected_list") or [])[:room]
        room = _EXAMPLES - len(self.index_examples)
        index_list = result.get("partial_unexpected_index_list") or []
        self.index_examples += _jsonable(index_list)[:room]

    def result(self) -> CheckResult:
        kwargs = _jsonable({k: v for k, v in dict(self.config.kwargs).items() if k != "batch_id"})
        observed: Any
        if self.is_map:
            observed = dict(self.counts)
            observed["partial_unexpected_list"] = self.examples
            if self.index_examples and isinstance(self.index_examples[0], dict):
                observed["partial_unexpected_index_list"] = self.index_examples
        elif self.examples:  # e.g. distinct values not in the set
            observed = {
                "observed_value": self.observed[0] if len(self.observed) == 1 else self.observed,
                "unexpected_count": self.counts.get("unexpected_count", len(self.examples)),
                "partial_unexpected_list": self.examples,
            }
        elif len(self.observed) == 1:
            observed = self.observed[0]
        else:
            observed = self.observed or None
        meta = self.config.meta or {}
        message = self.message or meta.get("message")
        return CheckResult(
            table=self.table,
            column=meta.get("report_column") or _column_label(self.config.type, kwargs),
            expectation=self.config.type,
            success=self.success,
            observed=observed,
            blocking=self.blocking or bool(self.exceptions),
            batch=self.kind,
            message=message,
            exception="; ".join(self.exceptions) or None,
            kwargs=kwargs,
        )


def _merge_error(
    merged: dict[str, _Merged],
    table: str,
    kind: str,
    pos: int,
    expectation: Any,
    exc: BaseException,
    *,
    blocking: bool = True,
) -> None:
    key = f"{kind}:{pos}"
    if key not in merged:
        merged[key] = _Merged(table, kind, blocking, None)
    m = merged[key]
    m.config = expectation.configuration
    m.success = False
    m.blocking = True
    text = _exc_text(exc)
    if text not in m.exceptions:
        m.exceptions.append(text)


def _error(
    table: str, column: str | None, expectation: str, exc: BaseException, *, batch: str = "rows"
) -> CheckResult:
    return CheckResult(
        table,
        column,
        expectation,
        success=False,
        observed=None,
        blocking=True,
        batch=batch,
        exception=_exc_text(exc),
    )


def _exception_messages(info: Any) -> list[str]:
    """GE puts either one exception dict or a dict of them (keyed by metric) here."""
    if not isinstance(info, dict):
        return []
    if "raised_exception" in info:
        if info.get("raised_exception"):
            return [str(info.get("exception_message") or "exception in expectation")]
        return []
    out: list[str] = []
    for value in info.values():
        out += [m for m in _exception_messages(value) if m not in out]
    return out


# --------------------------------------------------------------------------- formatting


_ARROW_READ_TYPES = frozenset(
    {
        "VARCHAR", "BOOLEAN", "TINYINT", "SMALLINT", "INTEGER", "BIGINT", "FLOAT", "DOUBLE",
        "DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE",
    }
)
"""DuckDB types :func:`_arrow_to_pandas` converts as ``.df()`` does (tests/test_data_checks.py)."""

_NULLABLE_DTYPES = {
    pa.int8(): pd.Int8Dtype(),
    pa.int16(): pd.Int16Dtype(),
    pa.int32(): pd.Int32Dtype(),
    pa.int64(): pd.Int64Dtype(),
    pa.bool_(): pd.BooleanDtype(),
}


def _arrow_to_pandas(table: pa.Table) -> pd.DataFrame:
    """``table`` as DuckDB's ``.df()`` would give it: text as pandas' ``str`` (Arrow-backed),
    or ``object`` when every value is null; integers and booleans as numpy types unless a
    value is null (then pandas' nullable types); dates as ``datetime64[us]``."""
    text = pd.StringDtype("pyarrow", na_value=np.nan)
    out: dict[str, Any] = {}
    for name, column in zip(table.column_names, table.columns, strict=True):
        kind = column.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            if column.null_count == len(column):
                out[name] = pd.Series([None] * len(column), dtype=object)
            else:
                out[name] = column.to_pandas(types_mapper=lambda _: text)
        elif kind in _NULLABLE_DTYPES and column.null_count:
            out[name] = column.to_pandas(types_mapper=_NULLABLE_DTYPES.get)
        elif pa.types.is_date(kind):
            out[name] = column.to_pandas(date_as_object=False).astype("datetime64[us]")
        else:
            out[name] = column.to_pandas()
    # copy=False keeps one block per column: consolidating the numeric columns into 2-D
    # blocks copies the whole batch (about 0.3 s per million rows) for nothing GE needs.
    return pd.DataFrame(out, columns=table.column_names, copy=False)


def _order_key(config: Any) -> str:
    """An expectation configuration's type and arguments, to match a result to it."""
    kwargs = {k: v for k, v in dict(config.kwargs).items() if k != "batch_id"}
    return json.dumps([config.type, _jsonable(kwargs)], sort_keys=True, default=str)


def _in_order(outcomes: list[Any], keys: list[str]) -> list[Any]:
    """GE's results in the order of the expectations whose :func:`_order_key` are ``keys``.
    GE lists the expectations whose metrics could not even be planned (a missing column)
    first; the runner merges results over chunks by position, so it puts them back."""
    slots: dict[str, list[int]] = {}
    for pos, key in enumerate(keys):
        slots.setdefault(key, []).append(pos)
    ordered: list[Any] = [None] * len(keys)
    for outcome in outcomes:
        free = slots.get(_order_key(outcome.expectation_config))
        if not free:
            raise RuntimeError(f"GE returned a result for no expectation of the suite: {outcome}")
        ordered[free.pop(0)] = outcome
    if len(outcomes) != len(keys):
        raise RuntimeError(f"GE returned {len(outcomes)} results for {len(keys)} expectations")
    return ordered


def _column_groups(
    expectations: list[Any], frame_columns: list[str], index_columns: list[str]
) -> list[tuple[list[str] | None, list[int]]]:
    """Positions of ``expectations`` grouped by the frame columns each reads.

    A column, column-pair or multicolumn expectation reads its columns and those of its row
    condition; it runs on those (plus ``index_columns``, in frame order; a column the frame
    lacks is left out, so GE still reports it missing). Anything else (table-level, a
    condition given as a string) runs on the whole frame (``None``). One group means: the
    whole suite on the whole frame, as GE would run it.
    """
    from great_expectations.expectations.expectation import (
        ColumnAggregateExpectation,
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    kinds = (
        ColumnAggregateExpectation,
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )
    groups: dict[tuple[str, ...] | None, list[int]] = {}
    for pos, expectation in enumerate(expectations):
        needed = _read_columns(expectation) if isinstance(expectation, kinds) else None
        key = None
        if needed is not None:
            wanted = needed | set(index_columns)
            key = tuple(c for c in frame_columns if c in wanted)
        groups.setdefault(key, []).append(pos)
    if len(groups) == 1:
        return [(None, [*range(len(expectations))])]
    return [(None if k is None else list(k), v) for k, v in groups.items()]


def _read_columns(expectation: Any) -> set[str] | None:
    """The columns an expectation's kwargs name (None: a row condition given as text)."""
    kwargs = dict(expectation.configuration.kwargs)
    out: set[str] = set()
    for key in ("column", "column_A", "column_B"):
        if isinstance(kwargs.get(key), str):
            out.add(kwargs[key])
    out.update(kwargs.get("column_list") or [])
    condition = kwargs.get("row_condition")
    if isinstance(condition, str) and condition:
        return None
    if isinstance(condition, dict):
        out |= _condition_columns(condition)
    return out


def _condition_columns(condition: Any) -> set[str]:
    """Column names in a serialized GE row condition (``{"column": {"name": ...}}``)."""
    out: set[str] = set()
    if isinstance(condition, dict):
        column = condition.get("column")
        if isinstance(column, dict) and isinstance(column.get("name"), str):
            out.add(column["name"])
        for value in condition.values():
            out |= _condition_columns(value)
    elif isinstance(condition, list):
        for value in condition:
            out |= _condition_columns(value)
    return out


def _as_date(value: dt.date | str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: Any) -> str:
    if isinstance(value, bool | int | float):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9.-]+", "_", text).strip("_")


def _exc_text(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def _column_label(expectation: str, kwargs: dict[str, Any]) -> str | None:
    """The column (or columns) an expectation is about; None for table-level ones."""
    if kwargs.get("column"):
        return str(kwargs["column"])
    if kwargs.get("column_A"):
        return f"{kwargs['column_A']}, {kwargs['column_B']}"
    if kwargs.get("column_list") and not expectation.startswith("expect_table_"):
        return ", ".join(str(c) for c in kwargs["column_list"])
    return None


def _jsonable(value: Any) -> Any:
    """Plain JSON types: numpy scalars, Timestamps (a midnight date as YYYY-MM-DD), NaN->None."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp | dt.datetime):
        ts = pd.Timestamp(value)
        if ts.tzinfo is None and ts == ts.normalize():
            return ts.date().isoformat()
        return ts.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float | str):
        return value
    return str(value)


def _describe(observed: Any) -> str:
    if isinstance(observed, dict) and "element_count" in observed:
        bad, total = observed.get("unexpected_count", 0), observed.get("element_count", 0)
        text = f"{bad:,} of {total:,} rows unexpected"
        examples = observed.get("partial_unexpected_index_list") or observed.get(
            "partial_unexpected_list"
        )
        if bad and examples:
            shown = "; ".join(_short(e) for e in examples[:_LINE_EXAMPLES])
            text += f", e.g. {shown}"
        return text
    if isinstance(observed, dict) and "partial_unexpected_list" in observed:
        shown = ", ".join(_short(e) for e in observed["partial_unexpected_list"])
        return f"unexpected values: {shown}"
    return _short(observed)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_short(v) for v in value) + "]"
    return str(value)


def _render_html(report: ValidationReport) -> str:
    s = report.summary()
    status = "PASSED" if report.passed else "FAILED"
    rows = []
    for r in sorted(report.results, key=lambda r: (r.success, not r.blocking)):
        state = "skipped" if r.skipped else ("ok" if r.success else "FAILED")
        if not r.success and not r.blocking:
            state = "warning"
        rows.append(
            "<tr class='{cls}'><td>{state}</td><td>{table}</td><td>{col}</td><td>{exp}</td>"
            "<td>{blk}</td><td>{batch}</td><td>{obs}</td></tr>".format(
                cls=state.lower(),
                state=state,
                table=html.escape(r.table),
                col=html.escape(r.column or ""),
                exp=html.escape(r.expectation),
                blk="blocking" if r.blocking else "warning only",
                batch=html.escape(r.batch),
                obs=html.escape(r.observed_text),
            )
        )
    docs = ""
    if report.data_docs_index is not None and report.out_dir is not None:
        rel = report.data_docs_index.relative_to(report.out_dir).as_posix()
        docs = f"<p><a href='{html.escape(rel)}'>Great Expectations Data Docs</a></p>"
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Ochre data checks {s["as_of_date"]}</title>
<style>
body {{ font-family: sans-serif; margin: 2em; }}
table {{ border-collapse: collapse; font-size: 13px; }}
td, th {{ border: 1px solid #ccc; padding: 3px 6px; text-align: left; vertical-align: top; }}
tr.failed td {{ background: #fdd; }} tr.warning td {{ background: #ffd; }}
tr.skipped td {{ color: #777; }}
</style></head><body>
<h1>Ochre data checks, as of {s["as_of_date"]}: {status}</h1>
<p>{s["checks"]} checks: {s["succeeded"]} succeeded, {s["failed"]} failed (blocking),
{s["warnings"]} warnings, {s["skipped"]} skipped. Warehouse: {html.escape(report.db_path)}.
Rejected-share threshold {report.threshold * 100:.1f} %.</p>
{docs}
<table><tr><th>status</th><th>table</th><th>column</th><th>expectation</th><th>kind</th>
<th>batch</th><th>observed</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
