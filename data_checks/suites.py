"""Great Expectations suites for the published tables, as code.

One :class:`TableSuite` per published table (see ``docs/architecture.md``). A suite has
three parts, because the runner reads large tables in chunks:

* ``rows``: expectations that hold row by row or inside one chunk, run on every chunk of the
  raw table (schema, keys, ranges, sets, freshness). Chunks are hash partitions of the
  table's grain, so rows sharing a key always land in the same chunk and the compound
  uniqueness check is global even when the table is chunked.
* ``consistency``: cross-column checks, run on every chunk's *consistency frame*: the grain,
  the involved columns cast to float64 (a null becomes NaN and never compares equal) and
  derived columns (``reply_parts_sum``, ``<date>_age_days`` for the date windows).
* ``aggregates``: checks that need the whole table, other tables or the catalog (declared
  column types, the rows breaking each constraint of the contract, one row per
  active agent per window, one team_kpis row per workspace per window, rejected share per
  entity, volume against the trailing week). Their frames are
  computed by DuckDB SQL on a read-only connection and then validated with GE.

Everything here describes *what* is checked; :mod:`data_checks.runner` does the reading and
the GE plumbing.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import great_expectations.expectations as gxe
import pandas as pd
import yaml
from great_expectations.expectations.expectation import Expectation
from great_expectations.expectations.row_conditions import Column

from ochre_analytics.config import PROJECT_DIR
from ochre_analytics.landing import ENTITIES
from ochre_analytics.windows import leaderboard_windows

PERIOD_DAYS = leaderboard_windows()  # seeds/leaderboard_windows.csv
LOAD_QUADRANTS = ("workhorse", "underloaded", "drowning", "needs_context")
AGENT_ROLES = ("owner", "admin", "agent")
AGENT_STATUSES = ("active", "deactivated")
CSAT_INTERVAL = ("csat_ci_low", "csat_ci_high")
HANDLING = ("ai_handled", "handed_off", "human")
LOAD_STATUSES = ("loaded", "hidden file", "unrecognised extension", "not in an entity folder")

DEFAULT_REJECTED_THRESHOLD = 0.01
DAILY_ACTIVITY_DAYS = 180  # dbt var daily_activity_days
LOW_CSAT_DAYS = 90  # dbt var low_csat_days
VOLUME_TOLERANCE = 0.5  # warn beyond +-50 % of the trailing median
VOLUME_HISTORY_DAYS = 7

# How information_schema.columns spells a contract type, where it differs.
INFORMATION_SCHEMA_TYPE = {"TIMESTAMPTZ": "TIMESTAMP WITH TIME ZONE"}

REPLY_PARTS = ("ai_draft_sent_replies", "ai_draft_edited_replies", "scratch_replies")
FIRST_RESPONSE_MEDIANS = ("median_first_response_seconds", "median_first_response_business_seconds")
TEAM_FIRST_RESPONSE_MEDIANS = (
    "team_median_first_response_seconds",
    "team_median_first_response_business_seconds",
)
REPLY_PARTS_SUM = "reply_parts_sum"

Reader = Callable[[str, list[Any] | None], pd.DataFrame]
"""``reader(sql, params) -> DataFrame``: runs one read-only query on the warehouse."""


@dataclass(frozen=True)
class TableContract:
    """Columns (name, DuckDB type) in published order, the grain, the columns whose
    contract has a ``not_null`` constraint, and the expressions of its ``check``
    constraints (column and model level; SQL over the table's columns)."""

    name: str
    columns: tuple[tuple[str, str], ...]
    grain: tuple[str, ...] = ()
    not_null: tuple[str, ...] = ()
    checks: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]

    @property
    def has_as_of_date(self) -> bool:
        return "as_of_date" in self.column_names

    @property
    def rules(self) -> tuple[str, ...]:
        """Every constraint of the contract as the SQL condition each row meets: a
        ``not_null`` one as ``<column> is not null``, then the ``check`` expressions."""
        return tuple(f"{column} is not null" for column in self.not_null) + self.checks


MARTS_DIR = PROJECT_DIR / "dbt_project" / "models" / "marts"
"""The published marts' YAML: their enforced dbt contracts are the column contracts."""

CONTRACT_TYPES = {
    "string": "VARCHAR",
    "integer": "INTEGER",
    "bigint": "BIGINT",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamptz": "TIMESTAMPTZ",
}
"""A contract's ``data_type`` (as both adapters read it: macros/spark/contracts.sql) -> the
DuckDB type of the column in the build database and the published file."""

GRAINS: dict[str, tuple[str, ...]] = {
    "agent_leaderboard": ("workspace_id", "as_of_date", "period_days", "agent_id"),
    "team_kpis": ("workspace_id", "as_of_date", "period_days"),
    "agent_daily_activity": ("agent_id", "activity_date"),
    "agent_low_csat_conversations": ("agent_id", "conversation_id"),
    "conversation_summary": ("conversation_id",),
    "agents": ("agent_id",),
    "workspaces": ("workspace_id",),
    # No grain: one row per rejected record, possibly several per line.
    "rejected_records": (),
    "landing_file_loads": ("source_file",),
}
"""The published tables, in published order, with their grain."""


def mart_contract(table: str) -> TableContract:
    """The enforced dbt contract of the mart `table` (its YAML): columns in order, types,
    the columns with a ``not_null`` constraint and the ``check`` constraints' expressions.
    DuckDB enforces both when dbt writes the table; the suite counts the rows breaking
    them again (:func:`constraints_check`), which is what holds them on Spark (its Parquet
    tables enforce no constraint)."""
    doc = yaml.safe_load((MARTS_DIR / f"{table}.yml").read_text())
    (model,) = [m for m in doc["models"] if m["name"] == table]
    if not ((model.get("config") or {}).get("contract") or {}).get("enforced"):
        raise ValueError(f"{table}: the mart YAML has no enforced contract")
    columns = tuple(
        (column["name"], CONTRACT_TYPES[str(column["data_type"]).strip().lower()])
        for column in model["columns"]
    )
    not_null = tuple(
        column["name"]
        for column in model["columns"]
        if any(c.get("type") == "not_null" for c in column.get("constraints") or ())
    )
    constraints = [*(model.get("constraints") or ())] + [
        c for column in model["columns"] for c in column.get("constraints") or ()
    ]
    checks = tuple(" ".join(c["expression"].split()) for c in constraints if c["type"] == "check")
    return TableContract(table, columns, GRAINS[table], not_null, checks)


CONTRACTS: dict[str, TableContract] = {table: mart_contract(table) for table in GRAINS}
"""Every published table's column contract, read from its dbt contract (defined once)."""

PUBLISHED_TABLES: tuple[str, ...] = tuple(CONTRACTS)


@dataclass
class AggregateBatch:
    """A frame computed from the whole warehouse, with the expectations to run on it.

    ``skip_reason`` set means "not evaluated" (recorded as a skipped, successful result).
    ``messages`` maps an expectation's position to a human message for the report.
    """

    frame: pd.DataFrame | None
    expectations: list[Expectation] = field(default_factory=list)
    index_columns: tuple[str, ...] = ()
    messages: dict[int, str] = field(default_factory=dict)
    skip_reason: str | None = None


@dataclass(frozen=True)
class AggregateCheck:
    """A check on a global aggregate. ``build`` reads the warehouse and returns the batch.

    ``column`` and ``expectation`` name the check in the report if ``build`` itself fails.
    """

    name: str
    column: str | None
    expectation: str
    build: Callable[[Reader], AggregateBatch]
    blocking: bool = True


@dataclass
class TableSuite:
    table: str
    contract: TableContract
    rows: list[Expectation]
    consistency: list[Expectation] = field(default_factory=list)
    consistency_columns: tuple[str, ...] = ()
    derived: dict[str, tuple[str, ...]] = field(default_factory=dict)
    ages: dict[str, str] = field(default_factory=dict)
    flags: dict[str, Callable[[pd.DataFrame], pd.Series]] = field(default_factory=dict)
    as_of_date: dt.date | None = None
    aggregates: list[AggregateCheck] = field(default_factory=list)

    def consistency_frame(self, df: pd.DataFrame) -> pd.DataFrame:
        """One chunk's grain, involved columns as float64 (null -> NaN) and derived columns.

        ``derived`` columns are sums of parts (NaN if a part is null); ``flags`` are 1.0
        where a row test holds, else 0.0 (GE filters a whole frame per metric of a
        ``row_condition``; comparing two flags is one vectorised pass); ``ages`` columns are
        the days between a date column and the as-of date (GE compares datetime columns with
        datetime bounds one row at a time in Python: 15 s per million rows; numbers are
        vectorised, and min/max expectations would fail on an empty table).
        """
        keys = [c for c in self.contract.grain if c in df.columns]
        out = df[keys].copy()
        for col in self.consistency_columns:
            out[col] = pd.to_numeric(df[col], errors="coerce").astype("float64")
        for name, parts in self.derived.items():
            total = pd.Series(0.0, index=df.index)
            for part in parts:
                total = total + pd.to_numeric(df[part], errors="coerce").astype("float64")
            out[name] = total
        for name, flag in self.flags.items():
            out[name] = flag(df).astype("float64")
        for name, column in self.ages.items():
            if column not in out.columns:
                out[column] = df[column]
            as_of = pd.Timestamp(self.as_of_date)
            out[name] = (as_of - pd.to_datetime(df[column])).dt.days.astype("float64")
        return out


# --------------------------------------------------------------------------- helpers


def _midnight(day: dt.date) -> dt.datetime:
    # DuckDB DATE reaches pandas as datetime64[us]; GE compares it with datetimes, not dates.
    return dt.datetime(day.year, day.month, day.day)


def _schema(contract: TableContract) -> list[Expectation]:
    """The contract's columns, in order.

    The rest of the contract is checked once per table, not column by column: the types on
    the declared types (:func:`declared_types_check`: DuckDB gives each declared type one
    pandas dtype, and an all-null column has no dtype to tell), the ``not_null`` and
    ``check`` constraints in one SQL scan (:func:`constraints_check`)."""
    return [gxe.ExpectTableColumnsToMatchOrderedList(column_list=contract.column_names)]


def _keys(contract: TableContract) -> list[Expectation]:
    """One row per grain (the grain's columns are not-null in the contract:
    :func:`constraints_check`)."""
    if len(contract.grain) == 1:
        return [gxe.ExpectColumnValuesToBeUnique(column=contract.grain[0])]
    if contract.grain:
        return [gxe.ExpectCompoundColumnsToBeUnique(column_list=list(contract.grain))]
    return []


def _between(columns: tuple[str, ...] | list[str], low: Any, high: Any) -> list[Expectation]:
    return [
        gxe.ExpectColumnValuesToBeBetween(column=c, min_value=low, max_value=high) for c in columns
    ]


def _counts(columns: tuple[str, ...]) -> list[Expectation]:
    """Counts are never negative (and never null, an idle agent shows zeros: the contract's
    ``not_null`` constraints, :func:`constraints_check`)."""
    return _between(columns, 0, None)


def _fresh(as_of_date: dt.date) -> list[Expectation]:
    # Distinct values, not a per-row between: GE compares datetimes row by row in Python.
    return [
        gxe.ExpectColumnDistinctValuesToBeInSet(
            column="as_of_date", value_set=[_midnight(as_of_date)]
        )
    ]


def _age_between(age_column: str, date_column: str, days: int) -> Expectation:
    """``date_column`` within the ``days`` local dates ending on the as-of date."""
    return gxe.ExpectColumnValuesToBeBetween(
        column=age_column,
        min_value=0,
        max_value=days - 1,
        meta={"derived": f"{age_column} = as_of_date - {date_column}, in days"},
    )


def _in_set(column: str, values: tuple[Any, ...]) -> Expectation:
    # Nulls are not checked here (ExpectColumnValuesToBeInSet ignores them).
    return gxe.ExpectColumnValuesToBeInSet(column=column, value_set=list(values))


def _a_ge_b(a: str, b: str) -> Expectation:
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=True, ignore_row_if="neither"
    )


def _a_ge_b_when_present(a: str, b: str) -> Expectation:
    """``a >= b``; a row where both are null is skipped, one null alone fails (NaN)."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=a, column_B=b, or_equal=True, ignore_row_if="both_values_are_missing"
    )


def _csat_interval(prefix: str = "") -> list[Expectation]:
    """``{prefix}csat_ci_low <= {prefix}csat_avg <= {prefix}csat_ci_high`` (consistency):
    the three are null together; the 1-5 range is a row check."""
    low, avg, high = (f"{prefix}csat_ci_low", f"{prefix}csat_avg", f"{prefix}csat_ci_high")
    return [_a_ge_b_when_present(avg, low), _a_ge_b_when_present(high, avg)]


def _null_iff_no_responses(columns: tuple[str, ...], count: str) -> list[Expectation]:
    """Each column is null exactly when ``count`` is 0 (row checks)."""
    out: list[Expectation] = []
    for column in columns:
        out.append(gxe.ExpectColumnValuesToBeNull(column=column, row_condition=Column(count) == 0))
        out.append(
            gxe.ExpectColumnValuesToNotBeNull(column=column, row_condition=Column(count) > 0)
        )
    return out


def _calendar_ge_business(calendar: str, business: str) -> Expectation:
    """A first-response figure in business seconds is at most the same in calendar seconds
    (each sample's business part is at most its wait, and a median is monotone in its
    values); skipped where either is null (no sample, or a workspace without hours)."""
    return gxe.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=calendar, column_B=business, or_equal=True,
        ignore_row_if="either_value_is_missing",
    )


def _set_exactly_when(column: str, flag: str, test: str) -> Expectation:
    """``column`` is not null exactly on the rows where ``test`` holds (consistency frame:
    the flags ``<column>_set`` and ``flag``, 1.0 or 0.0, are equal)."""
    return gxe.ExpectColumnPairValuesToBeEqual(
        column_A=f"{column}_set",
        column_B=flag,
        meta={
            "report_column": column,
            "derived": f"{column}_set = 1 where {column} is not null, else 0; "
            f"{flag} = 1 where {test}, else 0",
        },
    )


def _reply_parts_sum() -> Expectation:
    return gxe.ExpectColumnPairValuesToBeEqual(
        column_A="replies_sent",
        column_B=REPLY_PARTS_SUM,
        ignore_row_if="neither",
        meta={"derived": f"{REPLY_PARTS_SUM} = " + " + ".join(REPLY_PARTS)},
    )


def _sql_date(day: dt.date) -> str:
    return f"DATE '{day.isoformat()}'"


def _periods_sql() -> str:
    return "(SELECT unnest([" + ", ".join(str(p) for p in PERIOD_DAYS) + "]) AS period_days)"


# --------------------------------------------------------------------------- aggregates


def _coverage_check(
    table: str, expected_sql: str, join_keys: tuple[str, ...], count_column: str, as_of: dt.date
) -> AggregateCheck:
    """Every expected key (x each window) has exactly one row of ``table`` for the as-of date."""
    on = " AND ".join(f"t.{k} = e.{k}" for k in join_keys)
    keys = ", ".join(f"e.{k}" for k in join_keys)
    sql = f"""
        WITH expected AS ({expected_sql}),
        present AS (
            SELECT {", ".join(join_keys)}, count(*) AS n
            FROM {table} WHERE as_of_date = {_sql_date(as_of)}
            GROUP BY ALL
        )
        SELECT {keys}, coalesce(t.n, 0) AS {count_column}
        FROM expected e LEFT JOIN present t ON {on}
        ORDER BY ALL
    """

    def build(read: Reader) -> AggregateBatch:
        frame = read(sql, None)
        messages: dict[int, str] = {}
        bad = frame[frame[count_column] != 1]
        if len(bad):
            shown = "; ".join(
                "/".join(str(row[k]) for k in join_keys) + f" ({row[count_column]} rows)"
                for _, row in bad.head(5).iterrows()
            )
            messages[0] = (
                f"{len(bad):,} of {len(frame):,} expected ({'/'.join(join_keys)}) without "
                f"exactly one {table} row for {as_of.isoformat()}, e.g. {shown}"
            )
        return AggregateBatch(
            frame,
            [gxe.ExpectColumnValuesToBeBetween(column=count_column, min_value=1, max_value=1)],
            index_columns=join_keys,
            messages=messages,
        )

    return AggregateCheck(
        f"{table}.{count_column}", count_column, "expect_column_values_to_be_between", build
    )


def declared_types_check(contract: TableContract) -> AggregateCheck:
    """The DuckDB column types are the contract's, exactly (from information_schema).

    The one type check of a table: exact where a check of the pandas dtypes is not (a
    column whose values are all null reaches pandas as object, whatever its type), and one
    expectation instead of one per column. One expectation on the frame (column_name,
    declared_type, contract_type); a missing column has a null declared type.
    """
    sql = (
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = ?"
    )

    def build(read: Reader) -> AggregateBatch:
        found = read(sql, [contract.name])
        declared = dict(zip(found["column_name"], found["data_type"], strict=True))
        names = contract.column_names
        expected = [INFORMATION_SCHEMA_TYPE.get(t, t) for _, t in contract.columns]
        frame = pd.DataFrame(
            {
                "column_name": names,
                "declared_type": [declared.get(n) for n in names],
                "contract_type": expected,
            }
        )
        bad = [
            f"{n}: declared {declared.get(n, 'nothing (missing)')}, contract {t}"
            for n, t in zip(names, expected, strict=True)
            if declared.get(n) != t
        ]
        meta: dict[str, Any] = {}
        if bad:
            meta["report_column"] = ", ".join(b.split(":")[0] for b in bad)
        exp = gxe.ExpectColumnPairValuesToBeEqual(
            column_A="declared_type", column_B="contract_type", ignore_row_if="neither", meta=meta
        )
        messages = {0: "; ".join(bad)} if bad else {}
        return AggregateBatch(frame, [exp], index_columns=("column_name",), messages=messages)

    return AggregateCheck(
        f"{contract.name}.declared_types",
        "declared_type, contract_type",
        "expect_column_pair_values_to_be_equal",
        build,
    )


def constraints_check(contract: TableContract) -> AggregateCheck:
    """Every row meets each constraint of the contract (:attr:`TableContract.rules`: not
    null, then the ``check`` expressions): one row per constraint (its rule, and how many
    rows break it), all counted in one scan of the table.

    A row whose ``check`` expression is null passes, as in SQL's CHECK. DuckDB already
    refuses a row breaking a constraint when dbt writes the table; this holds them on Spark
    (whose Parquet tables enforce none), and on a file written by anything else. The
    failure line names one breaking row per rule by its grain (the first three columns of
    a table without one), as GE's lines do: "1 row breaks `csat_avg between 1 and 5`
    (e.g. workspace_id=w1, as_of_date=2026-11-20, period_days=90, agent_id=a2)".
    """
    table, rules = contract.name, contract.rules
    counts = ", ".join(
        f"count(*) FILTER (WHERE NOT ({rule})) AS c{n}" for n, rule in enumerate(rules)
    )
    sql = f"SELECT {counts} FROM {table}"
    key = contract.grain or tuple(contract.column_names[:3])
    example = " || ', ' || ".join(
        f"'{column}=' || coalesce(CAST({column} AS VARCHAR), 'None')" for column in key
    )

    def first_breaking_row(read: Reader, rule: str) -> str:
        found = read(f"SELECT {example} AS e FROM {table} WHERE NOT ({rule}) LIMIT 1", None)
        return f" (e.g. {found['e'].iloc[0]})" if len(found) else ""

    def build(read: Reader) -> AggregateBatch:
        found = read(sql, None).iloc[0]
        frame = pd.DataFrame(
            {
                "constraint": list(rules),
                "violating_rows": [int(found[f"c{n}"]) for n in range(len(rules))],
            }
        )
        bad = frame[frame["violating_rows"] > 0]
        messages: dict[int, str] = {}
        if len(bad):
            messages[0] = "; ".join(
                f"{n:,} {'row breaks' if n == 1 else 'rows break'} `{rule}`"
                + first_breaking_row(read, rule)
                for rule, n in zip(bad["constraint"], bad["violating_rows"], strict=True)
            )
        exp = gxe.ExpectColumnValuesToBeBetween(
            column="violating_rows", min_value=0, max_value=0
        )
        return AggregateBatch(frame, [exp], index_columns=("constraint",), messages=messages)

    return AggregateCheck(
        f"{table}.constraints", "violating_rows", "expect_column_values_to_be_between", build
    )


def active_agent_windows_check(as_of: dt.date) -> AggregateCheck:
    """One agent_leaderboard row per active agent (in ``agents``) per window."""
    expected = (
        "SELECT a.workspace_id, a.agent_id, w.period_days FROM agents a CROSS JOIN "
        f"{_periods_sql()} w WHERE a.agent_status = 'active'"
    )
    return _coverage_check(
        "agent_leaderboard",
        expected,
        ("workspace_id", "agent_id", "period_days"),
        "leaderboard_rows",
        as_of,
    )


def workspace_windows_check(as_of: dt.date) -> AggregateCheck:
    """One team_kpis row per workspace per window, even without activity."""
    expected = (
        f"SELECT s.workspace_id, w.period_days FROM workspaces s CROSS JOIN {_periods_sql()} w"
    )
    return _coverage_check(
        "team_kpis", expected, ("workspace_id", "period_days"), "team_kpis_rows", as_of
    )


def format_rejected_share(
    entity: str, share: float | None, records_read: int | None, threshold: float
) -> str:
    """``messages: 5.0 % of 2,000 records rejected (threshold 1.0 %)``."""
    if share is None or pd.isna(share):
        return f"{entity}: no records read (threshold {threshold * 100:.1f} %)"
    read = "?" if records_read is None or pd.isna(records_read) else f"{int(records_read):,}"
    return (
        f"{entity}: {share * 100:.1f} % of {read} records rejected "
        f"(threshold {threshold * 100:.1f} %)"
    )


def rejected_share_check(
    threshold: float, loaded_since: dt.datetime | None = None, examples: int = 5
) -> AggregateCheck:
    """Rejected share per entity at or under ``threshold``, over the records of the landing
    files loaded after ``loaded_since`` (the last publish: what this run would publish for the
    first time; every loaded file when None), from ``landing_file_loads``. The message of an
    entity over the threshold names its first ``examples`` rejected records (file, line, id,
    reason: never their content)."""
    where = "f.load_status = 'loaded'"
    params: list[Any] | None = None
    if loaded_since is not None:
        where += " AND f.loaded_at > ?"
        params = [loaded_since]
    sql = (
        "SELECT entity, sum(records_read) AS records_read, "
        "sum(records_rejected) AS records_rejected, "
        "CASE WHEN sum(records_read) > 0 "
        "THEN sum(records_rejected) * 1.0 / sum(records_read) ELSE 0.0 END AS rejected_share "
        f"FROM landing_file_loads f WHERE {where} GROUP BY entity ORDER BY entity"
    )
    examples_sql = (
        "SELECT r.entity, r.source_file, r.line_number, r.record_id, r.reason "
        "FROM rejected_records r JOIN landing_file_loads f ON r.source_file = f.source_file "
        f"WHERE {where} "
        "QUALIFY row_number() OVER (PARTITION BY r.entity ORDER BY r.source_file, r.line_number)"
        f" <= {int(examples)} ORDER BY r.entity, r.source_file, r.line_number"
    )

    def build(read: Reader) -> AggregateBatch:
        frame = read(sql, params)
        exps: list[Expectation] = [gxe.ExpectColumnValuesToNotBeNull(column="entity")]
        messages: dict[int, str] = {}
        over = frame[frame["rejected_share"] > threshold]
        listed = read(examples_sql, params) if len(over) else pd.DataFrame()
        for row in frame.itertuples(index=False):
            if row.entity is None or pd.isna(row.entity):
                continue
            message = format_rejected_share(
                row.entity, row.rejected_share, row.records_read, threshold
            )
            if row.rejected_share > threshold:
                message += ": " + format_rejected_examples(
                    listed[listed["entity"] == row.entity], int(row.records_rejected)
                )
            entity = str(row.entity)
            messages[len(exps)] = message
            exps.append(
                gxe.ExpectColumnValuesToBeBetween(
                    column="rejected_share",
                    min_value=0,
                    max_value=threshold,
                    row_condition=Column("entity") == entity,
                    meta={"entity": entity, "message": message},
                )
            )
        return AggregateBatch(frame, exps, index_columns=("entity",), messages=messages)

    return AggregateCheck(
        "landing_file_loads.rejected_share",
        "rejected_share",
        "expect_column_values_to_be_between",
        build,
    )


def format_rejected_examples(rows: pd.DataFrame, total: int) -> str:
    """``messages/x.jsonl:3 m9 unknown conversation; ... (936 in all: rejected_records)``."""
    shown = [
        f"{r.source_file}:{r.line_number} "
        + ("" if r.record_id is None or pd.isna(r.record_id) else f"{r.record_id} ")
        + str(r.reason)
        for r in rows.itertuples(index=False)
    ]
    return "; ".join(shown) + f" ({total:,} in all: rejected_records)"


def reconciliation_check() -> AggregateCheck:
    """Every record read from a loaded file is current, superseded or rejected: per file,
    ``unaccounted_records = records_read - (current + superseded + rejected)`` is 0."""
    sql = (
        "SELECT source_file, records_read - (records_current + records_superseded"
        " + records_rejected) AS unaccounted_records "
        "FROM landing_file_loads WHERE load_status = 'loaded' ORDER BY source_file"
    )

    def build(read: Reader) -> AggregateBatch:
        frame = read(sql, None)
        exps: list[Expectation] = [
            gxe.ExpectColumnValuesToBeBetween(
                column="unaccounted_records", min_value=0, max_value=0
            )
        ]
        return AggregateBatch(frame, exps, index_columns=("source_file",))

    return AggregateCheck(
        "landing_file_loads.reconciliation",
        "unaccounted_records",
        "expect_column_values_to_be_between",
        build,
    )


def volume_check(
    as_of: dt.date,
    tolerance: float = VOLUME_TOLERANCE,
    history_days: int = VOLUME_HISTORY_DAYS,
) -> AggregateCheck:
    """The as-of day's replies against the median of the trailing ``history_days`` totals.

    A date without rows in agent_daily_activity is a day of zeros, so history is counted
    from the table's first activity date: fewer than ``history_days`` days between it and the
    as-of date means "not enough history" (skipped).
    """
    first_day = as_of - dt.timedelta(days=history_days)
    days_sql = (
        "SELECT activity_date, sum(replies_sent) AS replies FROM agent_daily_activity "
        f"WHERE activity_date BETWEEN {_sql_date(first_day)} AND {_sql_date(as_of)} GROUP BY 1"
    )
    start_sql = "SELECT min(activity_date) AS first_date FROM agent_daily_activity"

    def build(read: Reader) -> AggregateBatch:
        start = read(start_sql, None)["first_date"].iloc[0]
        totals = {
            pd.Timestamp(r.activity_date).date(): int(r.replies)
            for r in read(days_sql, None).itertuples(index=False)
            if not pd.isna(r.replies)
        }
        trailing = [as_of - dt.timedelta(days=i) for i in range(history_days, 0, -1)]
        known = 0 if pd.isna(start) else sum(d >= pd.Timestamp(start).date() for d in trailing)
        if known < history_days:
            return AggregateBatch(
                None,
                skip_reason=(
                    f"not enough history: {known} prior day(s) of agent_daily_activity "
                    f"before {as_of.isoformat()} (need {history_days})"
                ),
            )
        median = float(statistics.median(totals.get(d, 0) for d in trailing))
        today = totals.get(as_of, 0)
        low, high = median * (1 - tolerance), median * (1 + tolerance)
        frame = pd.DataFrame(
            {
                "activity_date": [_midnight(as_of)],
                "replies_sent": [today],
                "trailing_median_replies": [median],
            }
        )
        change = "n/a" if median == 0 else f"{(today - median) / median * 100:+.1f} %"
        message = (
            f"replies on {as_of.isoformat()}: {today:,} vs median {median:,.1f} of the "
            f"{history_days} prior days ({change}, allowed +-{tolerance * 100:.0f} %)"
        )
        exp = gxe.ExpectColumnSumToBeBetween(
            column="replies_sent",
            min_value=low,
            max_value=high,
            meta={"trailing_median": median, "tolerance": tolerance},
        )
        return AggregateBatch(frame, [exp], messages={0: message})

    return AggregateCheck(
        "agent_daily_activity.volume",
        "replies_sent",
        "expect_column_sum_to_be_between",
        build,
        blocking=False,
    )


# --------------------------------------------------------------------------- suites


def build_suite(
    table: str,
    as_of_date: dt.date,
    **options: Any,
) -> TableSuite:
    """The suite for one published table (KeyError for an unknown table).

    Options: ``threshold`` (rejected share, default 0.01), ``daily_activity_days`` (180),
    ``low_csat_days`` (90), ``volume_tolerance`` (0.5), ``loaded_since`` (the rejected-share
    gate covers the landing files loaded after it: the last publish; None: every file).
    """
    suite = _build_suite(table, as_of_date, **options)
    suite.aggregates.insert(0, declared_types_check(suite.contract))
    if suite.contract.rules:
        suite.aggregates.insert(1, constraints_check(suite.contract))
    return suite


def _build_suite(
    table: str,
    as_of_date: dt.date,
    *,
    threshold: float = DEFAULT_REJECTED_THRESHOLD,
    daily_activity_days: int = DAILY_ACTIVITY_DAYS,
    low_csat_days: int = LOW_CSAT_DAYS,
    volume_tolerance: float = VOLUME_TOLERANCE,
    loaded_since: dt.datetime | None = None,
) -> TableSuite:
    c = CONTRACTS[table]
    d = as_of_date
    if table == "agent_leaderboard":
        counts = (
            "conversations_handled", "replies_sent", "first_response_samples", "csat_responses",
            *REPLY_PARTS, "mentions_received", "prev_conversations_handled",
        )  # fmt: skip
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                *_fresh(d),
                _in_set("period_days", PERIOD_DAYS),
                _in_set("agent_role", AGENT_ROLES),
                _in_set("agent_status", AGENT_STATUSES),
                _in_set("load_quadrant", LOAD_QUADRANTS),
                *_counts(counts),
                *_between(
                    (
                        "median_first_response_seconds", "team_median_first_response_seconds",
                        "median_first_response_business_seconds",
                        "team_median_first_response_business_seconds",
                    ),
                    0,
                    None,
                ),
                *_between(("team_median_conversations_handled",), 0, None),
                *_between(("ai_assisted_reply_pct", "team_ai_assisted_reply_pct"), 0, 100),
                *_between(("csat_avg", "team_csat_avg"), 1, 5),
                *_between(CSAT_INTERVAL + tuple(f"team_{c}" for c in CSAT_INTERVAL), 1, 5),
                *_null_iff_no_responses(("csat_avg", *CSAT_INTERVAL), "csat_responses"),
            ],
            consistency=[
                _reply_parts_sum(),
                _a_ge_b("conversations_handled", "first_response_samples"),
                *_csat_interval(),
                *_csat_interval("team_"),
                _calendar_ge_business(
                    "median_first_response_seconds", "median_first_response_business_seconds"
                ),
                _calendar_ge_business(
                    "team_median_first_response_seconds",
                    "team_median_first_response_business_seconds",
                ),
            ],
            consistency_columns=(
                "replies_sent", "conversations_handled", "first_response_samples",
                *FIRST_RESPONSE_MEDIANS, *TEAM_FIRST_RESPONSE_MEDIANS,
                "csat_avg", *CSAT_INTERVAL, "team_csat_avg",
                *(f"team_{c}" for c in CSAT_INTERVAL),
            ),  # fmt: skip
            derived={REPLY_PARTS_SUM: REPLY_PARTS},
            aggregates=[active_agent_windows_check(d)],
        )
    if table == "team_kpis":
        counts = (
            "conversations_replied", "ai_handled_conversations", "csat_responses",
            "nps_responses", "prev_conversations_replied",
        )  # fmt: skip
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                *_fresh(d),
                _in_set("period_days", PERIOD_DAYS),
                *_counts(counts),
                *_between(("ai_handled_pct",), 0, 100),
                *_between(FIRST_RESPONSE_MEDIANS, 0, None),
                *_between(("csat_avg", *CSAT_INTERVAL), 1, 5),
                *_null_iff_no_responses(("csat_avg", *CSAT_INTERVAL), "csat_responses"),
                *_between(("nps",), -100, 100),
            ],
            consistency=[
                _a_ge_b("conversations_replied", "ai_handled_conversations"),
                *_csat_interval(),
                _calendar_ge_business(*FIRST_RESPONSE_MEDIANS),
            ],
            consistency_columns=(
                "conversations_replied", "ai_handled_conversations", "csat_avg", *CSAT_INTERVAL,
                *FIRST_RESPONSE_MEDIANS,
            ),  # fmt: skip
            aggregates=[workspace_windows_check(d)],
        )
    if table == "agent_daily_activity":
        counts = (
            "conversations_handled", "replies_sent", "first_response_samples", "csat_responses",
            "csat_score_sum", *REPLY_PARTS, "mentions_received",
        )  # fmt: skip
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                *_fresh(d),
                *_counts(counts),
                *_between(FIRST_RESPONSE_MEDIANS, 0, None),
            ],
            consistency=[
                _reply_parts_sum(),
                _a_ge_b("conversations_handled", "first_response_samples"),
                _calendar_ge_business(*FIRST_RESPONSE_MEDIANS),
                _age_between("activity_date_age_days", "activity_date", daily_activity_days),
            ],
            consistency_columns=(
                "replies_sent", "conversations_handled", "first_response_samples",
                *FIRST_RESPONSE_MEDIANS,
            ),
            derived={REPLY_PARTS_SUM: REPLY_PARTS},
            ages={"activity_date_age_days": "activity_date"},
            as_of_date=d,
            aggregates=[volume_check(d, volume_tolerance)],
        )
    if table == "agent_low_csat_conversations":
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                *_fresh(d),
                _in_set("score", (1, 2)),
            ],
            consistency=[_age_between("submitted_date_age_days", "submitted_date", low_csat_days)],
            ages={"submitted_date_age_days": "submitted_date"},
            as_of_date=d,
        )
    if table == "conversation_summary":
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                *_fresh(d),
                *_counts(("human_replies", "ai_replies")),
                *_between(("first_response_seconds", "first_response_business_seconds"), 0, None),
                _in_set("handling", HANDLING),
                _in_set("csat_score", (1, 2, 3, 4, 5)),
            ],
            consistency=[
                _set_exactly_when("handling", "replied", "human_replies + ai_replies > 0"),
                _set_exactly_when("agents_replied", "human_replied", "human_replies > 0"),
            ]
            + [
                gxe.ExpectColumnValuesToBeBetween(
                    column=f"{column}_age_days",
                    min_value=0,
                    meta={"derived": f"{column}_age_days = as_of_date - {column}, in days"},
                )
                for column in ("first_response_date", "csat_submitted_date")
            ]
            + [_calendar_ge_business("first_response_seconds", "first_response_business_seconds")],
            consistency_columns=("first_response_seconds", "first_response_business_seconds"),
            flags={
                "handling_set": lambda df: df["handling"].notna(),
                "replied": lambda df: (df["human_replies"] > 0) | (df["ai_replies"] > 0),
                "agents_replied_set": lambda df: df["agents_replied"].notna(),
                "human_replied": lambda df: df["human_replies"] > 0,
            },
            ages={
                "first_response_date_age_days": "first_response_date",
                "csat_submitted_date_age_days": "csat_submitted_date",
            },
            as_of_date=d,
        )
    if table == "agents":
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                _in_set("agent_role", AGENT_ROLES),
                _in_set("agent_status", AGENT_STATUSES),
            ],
        )
    if table == "workspaces":
        return TableSuite(table, c, rows=[*_schema(c), *_keys(c)])
    if table == "rejected_records":
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                _in_set("entity", ENTITIES),
            ],
        )
    if table == "landing_file_loads":
        counts = ("records_read", "records_current", "records_superseded", "records_rejected")
        return TableSuite(
            table,
            c,
            rows=[
                *_schema(c),
                *_keys(c),
                _in_set("entity", ENTITIES),
                _in_set("load_status", LOAD_STATUSES),
                *_counts(counts),
            ],
            aggregates=[reconciliation_check(), rejected_share_check(threshold, loaded_since)],
        )
    raise KeyError(table)


def build_suites(
    as_of_date: dt.date,
    *,
    threshold: float = DEFAULT_REJECTED_THRESHOLD,
    tables: list[str] | tuple[str, ...] | None = None,
    **options: Any,
) -> dict[str, TableSuite]:
    """All suites (or those of ``tables``), keyed by table name."""
    names = PUBLISHED_TABLES if tables is None else tables
    return {t: build_suite(t, as_of_date, threshold=threshold, **options) for t in names}
