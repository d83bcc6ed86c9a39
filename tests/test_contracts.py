"""The published column contracts are defined once, in the marts' enforced dbt contracts
(dbt_project/models/marts/<table>.yml); the Great Expectations suites read them and the
read API's response models are checked against them here."""

from __future__ import annotations

import datetime as dt
import re
import types
import typing

import pytest
import yaml

from data_checks.suites import CONTRACT_TYPES, CONTRACTS, MARTS_DIR
from ochre_analytics.config import PUBLISHED_TABLES
from ochre_api import models

PYTHON_TYPES = {
    "VARCHAR": {str},
    "BIGINT": {int, float},
    "INTEGER": {int, float},
    "DOUBLE": {float},
    "DATE": {dt.date},
    "TIMESTAMPTZ": {str, dt.datetime},  # the API sends ISO 8601 text
}

# response model -> the published tables its fields come from; True: the model is exactly
# one row of the (first) table, every column in published order
API_MODELS = {
    models.LeaderboardRow: (("agent_leaderboard",), True),
    models.AgentSummary: (("agents",), True),
    models.TeamKpis: (("team_kpis", "workspaces"), False),
    models.DailyPoint: (("agent_daily_activity",), False),
    models.LowCsatConversation: (("agent_low_csat_conversations",), False),
    models.ConversationSummaryRow: (("conversation_summary",), True),
    models.Me: (("agents", "workspaces"), False),
}


def _yaml_model(table: str) -> dict:
    doc = yaml.safe_load((MARTS_DIR / f"{table}.yml").read_text())
    (model,) = [m for m in doc["models"] if m["name"] == table]
    return model


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_every_published_mart_has_an_enforced_contract_the_suites_read(table):
    model = _yaml_model(table)
    assert model["config"]["contract"] == {"enforced": True}
    declared = [(c["name"], c["data_type"]) for c in model["columns"]]
    assert all(data_type in CONTRACT_TYPES for _name, data_type in declared), declared
    assert CONTRACTS[table].columns == tuple(
        (name, CONTRACT_TYPES[data_type]) for name, data_type in declared
    )


def test_the_contracts_hold_the_published_types():
    """docs/architecture.md: counts BIGINT, seconds/avg/pct DOUBLE, period_days INTEGER."""
    leaderboard = dict(CONTRACTS["agent_leaderboard"].columns)
    assert leaderboard["period_days"] == "INTEGER"
    assert leaderboard["replies_sent"] == "BIGINT"
    assert leaderboard["csat_avg"] == "DOUBLE"
    assert dict(CONTRACTS["agent_low_csat_conversations"].columns)["submitted_at"] \
        == "TIMESTAMPTZ"
    assert list(CONTRACTS) == list(PUBLISHED_TABLES)


def _python_types(annotation: object) -> set[type]:
    """The non-None types an annotation allows (``int | None`` -> {int})."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return {a for a in typing.get_args(annotation) if a is not type(None)}
    return {annotation}  # type: ignore[arg-type]


@pytest.mark.parametrize("model", API_MODELS, ids=lambda m: m.__name__)
def test_api_models_match_the_published_contracts(model):
    tables, whole_row = API_MODELS[model]
    columns: dict[str, str] = {}
    for table in reversed(tables):  # the first table's column wins a shared name
        columns.update(CONTRACTS[table].columns)
    fields = model.model_fields
    if whole_row:
        assert list(fields) == CONTRACTS[tables[0]].column_names
    mismatched = {}
    for name, info in fields.items():
        if name in columns:
            allowed = PYTHON_TYPES[columns[name]]
            if not _python_types(info.annotation) <= allowed:
                mismatched[name] = (columns[name], info.annotation)
    assert mismatched == {}
    assert set(fields) & set(columns), f"{model.__name__} shares no column with {tables}"


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_not_null_is_a_contract_constraint_the_suites_check(table):
    """A published column's not-null rule is declared once, as a ``not_null`` constraint of
    the enforced contract: DuckDB refuses a null as dbt writes the table, and the Great
    Expectations suite counts the rows with a null there (what holds it on Spark, whose
    Parquet tables do not enforce constraints). No dbt ``not_null`` test repeats it, nor
    an unconditional not-null expectation of the suite."""
    import great_expectations.expectations as gxe

    from data_checks.suites import build_suite

    model = _yaml_model(table)
    declared = tuple(
        c["name"] for c in model["columns"]
        if {"type": "not_null"} in (c.get("constraints") or [])
    )
    assert declared and CONTRACTS[table].not_null == declared
    assert set(CONTRACTS[table].grain) <= set(declared)
    assert CONTRACTS[table].rules[: len(declared)] == tuple(f"{c} is not null" for c in declared)
    suite = build_suite(table, dt.date(2026, 11, 20))
    repeated = [
        e.column for e in suite.rows + suite.consistency
        if isinstance(e, gxe.ExpectColumnValuesToNotBeNull) and not e.row_condition
    ]
    assert repeated == []
    tests = [t for c in model["columns"] for t in c.get("data_tests") or []]
    assert "not_null" not in tests


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_row_rules_are_check_constraints_the_suites_count(table):
    """A published table's row rules (ranges, sums, null exactly when) are declared once, as
    ``check`` constraints of the enforced contract: DuckDB refuses a row that breaks one as
    dbt writes the table, and the Great Expectations suite counts the rows breaking each
    (what holds them on Spark). No dbt ``expression_is_true`` test repeats one."""
    from data_checks.suites import build_suite

    model = _yaml_model(table)
    declared = [
        constraint["expression"]
        for owner in (model, *model["columns"])
        for constraint in owner.get("constraints") or []
        if constraint["type"] == "check"
    ]
    assert CONTRACTS[table].checks == tuple(" ".join(e.split()) for e in declared)
    assert CONTRACTS[table].rules[len(CONTRACTS[table].not_null):] == CONTRACTS[table].checks
    suite = build_suite(table, dt.date(2026, 11, 20))
    counted = [a for a in suite.aggregates if a.name == f"{table}.constraints"]
    assert len(counted) == 1
    tests = [
        name
        for owner in (model, *model["columns"])
        for test in owner.get("data_tests") or []
        for name in ([test] if isinstance(test, str) else test)
    ]
    assert not {"expression_is_true", "accepted_values"} & set(tests)


@pytest.mark.parametrize("table", PUBLISHED_TABLES)
def test_value_lists_of_the_contracts_are_the_suites_and_the_seeds(table):
    """A ``check`` constraint ``<column> in (...)`` lists the values the suite accepts for
    that column; the windows are the seed's (``leaderboard_windows``), the entities the
    landing contract's."""
    import great_expectations.expectations as gxe

    from data_checks.suites import build_suite
    from ochre_analytics.landing import ENTITIES
    from ochre_analytics.windows import leaderboard_windows

    suite = build_suite(table, dt.date(2026, 11, 20))
    accepted = {
        e.column: sorted(map(str, e.value_set))
        for e in suite.rows if isinstance(e, gxe.ExpectColumnValuesToBeInSet)
    }
    lists = {}
    for expression in CONTRACTS[table].checks:
        found = re.fullmatch(r"(\w+) in \((.*)\)", expression)
        if found:
            lists[found[1]] = sorted(v.strip().strip("'") for v in found[2].split(","))
    assert lists == {column: accepted[column] for column in lists}
    if "period_days" in lists:
        assert lists["period_days"] == sorted(map(str, leaderboard_windows()))
    if "entity" in lists:
        assert lists["entity"] == sorted(ENTITIES)


@pytest.mark.parametrize(
    "model", [m for m, (_tables, whole_row) in API_MODELS.items() if whole_row],
    ids=lambda m: m.__name__,
)
def test_api_fields_that_are_never_none_are_not_null_in_the_contract(model):
    (table, *_rest), _whole_row = API_MODELS[model]
    required = [
        name for name, info in model.model_fields.items()
        if type(None) not in typing.get_args(info.annotation)
    ]
    assert required and set(required) <= set(CONTRACTS[table].not_null)
