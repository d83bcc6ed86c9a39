"""Who owns each asset: the dbt ``meta.owner`` (dbt_project.yml sets it for every model,
seed and source), read from the dbt manifest, so the owner is written once.

dbt assets take their own node's owner (the translator, ``assets.py``); the landing
assets take their dbt source's, the publish assets the published marts'.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import dagster as dg

from ochre_analytics.config import PUBLISHED_TABLES

from .project import DBT_PROJECT, ensure_manifest


def owners_from_meta(props: Mapping[str, Any]) -> list[str]:
    """The ``meta.owner`` of a dbt node (an email or ``team:name``; a string or a list)."""
    meta = (props.get("config") or {}).get("meta") or props.get("meta") or {}
    owner = meta.get("owner")
    if not owner:
        return []
    return [owner] if isinstance(owner, str) else list(owner)


@functools.cache
def _manifest() -> dict[str, Any]:
    return json.loads(ensure_manifest(DBT_PROJECT).read_text())


def source_owners(source: str, table: str) -> list[str]:
    return owners_from_meta(_manifest()["sources"][f"source.ochre_analytics.{source}.{table}"])


def published_owners() -> list[str]:
    """The owners of the published marts (the publish assets answer for the same tables)."""
    nodes = _manifest()["nodes"]
    owners: list[str] = []
    for table in PUBLISHED_TABLES:
        for owner in owners_from_meta(nodes[f"model.ochre_analytics.{table}"]):
            if owner not in owners:
                owners.append(owner)
    return owners


def with_owners(spec: dg.AssetSpec) -> dg.AssetSpec:
    """`spec` with its owners: a landing asset its source's, any other the published marts'."""
    if spec.owners:
        return spec
    path = spec.key.path
    if len(path) == 2 and path[0] == "landing":
        return spec.replace_attributes(owners=source_owners("landing", path[1]))
    return spec.replace_attributes(owners=published_owners())
