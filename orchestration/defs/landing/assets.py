"""The landing entities as external (source) assets ``landing/<entity>``, with observations.

dbt reads the landing files in place (sources ``landing.<entity>``), so these assets are
never materialized by Dagster; they are *observed*: file count, bytes, formats and the
newest ``updated_at``. Observations are recorded by every pipeline run (its "check landing
files" step) and by the ``landing_observations`` sensor whenever the files change.

The newest ``updated_at`` must stay cheap on big sets: Parquet files answer from their
column statistics (the footer, no data read); JSON Lines are read by DuckDB for the
``updated_at`` key only, and skipped with a note above ``JSON_SCAN_LIMIT_BYTES`` per entity.
"""


import datetime as dt
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb

from ochre_analytics.config import Settings
from ochre_analytics.landing import (
    ENTITIES,
    OPTIONAL_ENTITIES,
    EntityFiles,
    LandingError,
    inspect_landing,
)

from ..resources import OchreSettings

JSON_SCAN_LIMIT_BYTES = 256 * 1024 * 1024

DESCRIPTIONS = {
    "workspaces": "One record per workspace copy (timezone of the local dates).",
    "agents": "Agents (holds emails: personal data, never published).",
    "conversations": "Conversations.",
    "messages": "Every part of a conversation: replies, notes, AI drafts.",
    "csat_responses": "CSAT ratings (1-5) of conversations.",
    "mentions": "@mentions inside internal notes.",
    "nps_responses": "NPS responses (optional folder).",
    "business_hours": "Open intervals of each workspace's week, local time (optional folder).",
    "holidays": "Local dates a workspace is closed all day (optional folder).",
}


def check_landing(settings: Settings, *, full_refresh: bool = False) -> dict[str, EntityFiles]:
    """The landing folder exists, holds records, its new files read, and the files loaded
    before are unchanged (LandingError if not). A full refresh loads every file again, so
    every file is read and none is compared with the load log (``int_landing_files``)."""
    return inspect_landing(
        settings.landing_dir,
        build_db=None if full_refresh else settings.warehouse_db,
        repairs_dir=settings.landing_repairs_dir,
    )


def landing_key(entity: str) -> dg.AssetKey:
    return dg.AssetKey(["landing", entity])


LANDING_SPECS = [
    dg.AssetSpec(
        key=landing_key(entity),
        group_name="landing",
        description=(
            f"`<landing>/{entity}/` (*.jsonl, *.jsonl.gz, *.parquet): {DESCRIPTIONS[entity]}"
            + (" Optional." if entity in OPTIONAL_ENTITIES else "")
        ),
        kinds={"file"},
    )
    for entity in ENTITIES
]


def _sql_list(paths: Iterable[Path]) -> str:
    return "[" + ", ".join("'" + str(p).replace("'", "''") + "'" for p in paths) + "]"


def newest_updated_at(files: list[Path]) -> tuple[dt.datetime | None, str | None]:
    """Newest ``updated_at`` of the files, and a note when some files were not read."""
    parquet = [f for f in files if f.name.endswith(".parquet")]
    jsonl = [f for f in files if not f.name.endswith(".parquet")]
    notes: list[str] = []
    candidates: list[dt.datetime] = []
    con = duckdb.connect(":memory:")
    try:
        con.execute("set threads = 1")
        con.execute("set TimeZone = 'UTC'")
        if parquet:
            try:
                value = con.execute(
                    "select max(try_cast(stats_max as timestamptz)) "
                    f"from parquet_metadata({_sql_list(parquet)}) "
                    "where path_in_schema = 'updated_at'"
                ).fetchone()[0]
                if value is None:  # no statistics: read that one column
                    value = con.execute(
                        "select max(try_cast(updated_at as timestamptz)) "
                        f"from read_parquet({_sql_list(parquet)}, union_by_name = true)"
                    ).fetchone()[0]
                if value is not None:
                    candidates.append(value)
            except duckdb.Error as exc:
                notes.append(f"Parquet not read: {' '.join(str(exc).split())[:200]}")
        if jsonl:
            size = sum(f.stat().st_size for f in jsonl)
            if size > JSON_SCAN_LIMIT_BYTES:
                notes.append(
                    f"{len(jsonl)} JSON Lines file(s), {size / 1e6:,.0f} MB: not scanned "
                    f"(over {JSON_SCAN_LIMIT_BYTES / 1e6:,.0f} MB)"
                )
            else:
                try:
                    value = con.execute(
                        "select max(try_cast(updated_at as timestamptz)) from read_json("
                        f"{_sql_list(jsonl)}, format = 'newline_delimited', "
                        "columns = {'updated_at': 'VARCHAR'}, ignore_errors = true)"
                    ).fetchone()[0]
                    if value is not None:
                        candidates.append(value)
                except duckdb.Error as exc:
                    notes.append(f"JSON Lines not read: {' '.join(str(exc).split())[:200]}")
    finally:
        con.close()
    return (max(candidates) if candidates else None), ("; ".join(notes) or None)


def observe_entity(
    landing_dir: Path, found: EntityFiles, *, read_data: bool = True
) -> dg.AssetObservation:
    """Files, bytes and formats of one entity's folder; with `read_data`, also the newest
    ``updated_at`` (Parquet statistics, JSON Lines up to a size limit), which reads every
    file's footer or lines: the sensor does, a run does not (it would cost seconds a night)."""
    files = found.files
    total = sum(f.stat().st_size for f in files)
    formats = sorted(
        {".parquet" if f.name.endswith(".parquet") else ".jsonl" + (".gz" * f.name.endswith(".gz"))
         for f in files}
    )
    newest, note = newest_updated_at(files) if files and read_data else (None, None)
    metadata: dict[str, Any] = {
        "folder": dg.MetadataValue.path(str(landing_dir / found.entity)),
        "files": dg.MetadataValue.int(len(files)),
        "bytes": dg.MetadataValue.int(total),
        "formats": dg.MetadataValue.text(", ".join(formats) or "none"),
    }
    if read_data:
        metadata["newest_updated_at"] = dg.MetadataValue.text(
            newest.isoformat() if newest else "unknown"
        )
    if found.newest_mtime is not None:
        metadata["newest_file_modified"] = dg.MetadataValue.timestamp(found.newest_mtime)
    if found.ignored:
        metadata["ignored_files"] = dg.MetadataValue.int(len(found.ignored))
    if note:
        metadata["note"] = dg.MetadataValue.text(note)
    return dg.AssetObservation(asset_key=landing_key(found.entity), metadata=metadata)


def landing_observations(
    landing_dir: Path, found: dict[str, EntityFiles], *, read_data: bool = True
) -> list[dg.AssetObservation]:
    return [
        observe_entity(landing_dir, found[entity], read_data=read_data)
        for entity in ENTITIES
        if entity in found
    ]


def _fingerprint(found: dict[str, EntityFiles]) -> str:
    digest = hashlib.sha256()
    for entity in sorted(found):
        for path in found[entity].files:
            stat = path.stat()
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


@dg.sensor(
    name="landing_observations",
    minimum_interval_seconds=600,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Observes the landing folder (files, bytes, newest updated_at) when it changes.",
)
def landing_observation_sensor(
    context: dg.SensorEvaluationContext, ochre: OchreSettings
) -> dg.SensorResult:
    settings = ochre.settings()
    try:
        found = inspect_landing(settings.landing_dir, check_files=False)
    except LandingError as exc:
        return dg.SensorResult(skip_reason=str(exc))
    fingerprint = _fingerprint(found)
    if fingerprint == context.cursor:
        return dg.SensorResult(skip_reason="landing files unchanged")
    return dg.SensorResult(
        asset_events=landing_observations(settings.landing_dir, found), cursor=fingerprint
    )
