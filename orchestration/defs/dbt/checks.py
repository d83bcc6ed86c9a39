"""What a dbt test asserts, in words: the description of its Dagster asset check.

dagster-dbt takes a check's description from the test's ``meta.description`` only; a test
with a ``description`` of its own (the singular tests, dbt_project/tests/singular_tests.yml)
keeps it, a generic test is described from its name and arguments (column, values, related
model, expression, ``where``), so no check says "No description provided".
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_REF = re.compile(r"""ref\(\s*['"]([^'"]+)['"]\s*\)""")


def _ref_name(value: object) -> str:
    match = _REF.search(str(value))
    return match.group(1) if match else str(value)


def _values(values: object) -> str:
    return ", ".join(str(v) for v in values) if isinstance(values, list | tuple) else str(values)


def describe_test(node: Mapping[str, Any]) -> str:
    """One sentence: what the dbt test `node` (a manifest node) asserts."""
    own = (node.get("description") or "").strip()
    if own:
        return own
    metadata = node.get("test_metadata") or {}
    name = metadata.get("name") or node.get("name", "test")
    kwargs = metadata.get("kwargs") or {}
    column = node.get("column_name") or kwargs.get("column_name")
    col = f"`{column}`" if column else "the row"
    if name == "not_null":
        text = f"{col} is never null"
    elif name == "unique":
        text = f"{col} is unique"
    elif name == "accepted_values":
        text = f"{col} is one of: {_values(kwargs.get('values'))}"
    elif name == "relationships":
        text = (
            f"every {col} is a `{kwargs.get('field')}` of `{_ref_name(kwargs.get('to'))}`"
        )
    elif name == "expression_is_true":
        expression = " ".join(str(kwargs.get("expression", "")).split())
        text = (
            f"`{column} {expression}` holds on every row" if column
            else f"`{expression}` holds on every row"
        )
    elif name == "unique_combination":
        text = f"one row per ({', '.join(kwargs.get('columns') or [])})"
    elif name == "every_landed_copy_once":
        text = (
            f"every record copy `{_ref_name(kwargs.get('staging'))}` read is here exactly once"
        )
    elif name == "newest_good_copy_is_current":
        text = f"the newest good copy of each `{kwargs.get('id_column')}` is the current one"
    else:
        args = ", ".join(f"{k}={v}" for k, v in kwargs.items() if k not in ("model",))
        text = f"dbt test `{name}`" + (f" ({args})" if args else "")
    config = node.get("config") or {}
    where = config.get("where")
    if where:
        text += f", where {' '.join(str(where).split())}"
    if str(config.get("severity", "error")).lower() == "warn":
        text += " (a warning: does not block)"
    return f"dbt test {metadata.get('name', name)}: {text}."
