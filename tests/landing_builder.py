"""Build small landing folders for tests, record by record."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
from collections import defaultdict
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ochre_analytics import cli

WORKED_EXAMPLE = Path(__file__).parent / "fixtures" / "worked_example"


class Landing:
    """Records per entity and file name; write() lays them out as a landing folder.

    A record goes to `file` when given, else to the landing's default file name (`file` of
    the constructor), else to `<entity>.jsonl`."""

    def __init__(self, file: str | None = None) -> None:
        self.files: dict[tuple[str, str], list[dict | str | bytes]] = defaultdict(list)
        self.default_file = file

    def add(self, entity: str, record: dict | str | bytes,
            file: str | None = None) -> dict | str | bytes:
        self.files[(entity, file or self.default_file or f"{entity}.jsonl")].append(record)
        return record

    def workspace(self, workspace_id: str, timezone: str | None = "UTC",
                  file: str | None = None, **kw) -> dict:
        rec = {"workspace_id": workspace_id, "name": f"Workspace {workspace_id}",
               "timezone": timezone, "updated_at": "2026-01-01T00:00:00Z", **kw}
        return self.add("workspaces", rec, file)  # type: ignore[return-value]

    def agent(self, agent_id: str, workspace_id: str, role: str = "agent",
              status: str = "active", file: str | None = None, **kw) -> dict:
        rec = {"agent_id": agent_id, "workspace_id": workspace_id,
               "display_name": agent_id.upper(), "email": f"{agent_id}@example.com",
               "role": role, "status": status, "updated_at": "2026-01-01T00:00:00Z", **kw}
        return self.add("agents", rec, file)  # type: ignore[return-value]

    def conversation(self, conversation_id: str, workspace_id: str, created_at: str,
                     file: str | None = None, **kw) -> dict:
        rec = {"conversation_id": conversation_id, "workspace_id": workspace_id,
               "created_at": created_at, "channel": "email", "assignee_agent_id": None,
               "status": "open", "closed_at": None, "updated_at": created_at, **kw}
        return self.add("conversations", rec, file)  # type: ignore[return-value]

    def message(self, message_id: str, conversation_id: str, workspace_id: str,
                created_at: str, author_type: str, author_agent_id: str | None = None,
                message_type: str = "reply", ai_assist: str | None = None,
                file: str | None = None, **kw) -> dict:
        rec = {"message_id": message_id, "conversation_id": conversation_id,
               "workspace_id": workspace_id, "created_at": created_at,
               "author_type": author_type, "author_agent_id": author_agent_id,
               "message_type": message_type, "ai_assist": ai_assist,
               "updated_at": created_at, **kw}
        return self.add("messages", rec, file)  # type: ignore[return-value]

    def answered(self, conversation_id: str, workspace_id: str, agent_id: str,
                 opened_at: str, replied_at: str, message_ids: tuple[str, str],
                 ai_assist: str = "none") -> None:
        """A conversation a customer opened at `opened_at` (the conversation and its first
        message) and agent `agent_id` answered at `replied_at`; `message_ids`: the customer's
        message and the reply."""
        asked, reply = message_ids
        self.conversation(conversation_id, workspace_id, opened_at)
        self.message(asked, conversation_id, workspace_id, opened_at, "customer")
        self.message(reply, conversation_id, workspace_id, replied_at, "agent", agent_id,
                     ai_assist=ai_assist)

    def csat(self, response_id: str, conversation_id: str, workspace_id: str, score: int,
             submitted_at: str, file: str | None = None, **kw) -> dict:
        rec = {"response_id": response_id, "conversation_id": conversation_id,
               "workspace_id": workspace_id, "score": score, "submitted_at": submitted_at,
               "updated_at": submitted_at, **kw}
        return self.add("csat_responses", rec, file)  # type: ignore[return-value]

    def mention(self, mention_id: str, message_id: str, conversation_id: str,
                workspace_id: str, agent_id: str, created_at: str,
                file: str | None = None, **kw) -> dict:
        rec = {"mention_id": mention_id, "message_id": message_id,
               "conversation_id": conversation_id, "workspace_id": workspace_id,
               "mentioned_agent_id": agent_id, "created_at": created_at,
               "updated_at": created_at, **kw}
        return self.add("mentions", rec, file)  # type: ignore[return-value]

    def interval(self, interval_id: str, workspace_id: str, weekday: int, opens_at: str,
                 closes_at: str, valid_from: str | None = None, valid_to: str | None = None,
                 file: str | None = None, **kw) -> dict:
        """One business-hours interval (weekday 1 = Monday), local HH:MM times."""
        rec = {"interval_id": interval_id, "workspace_id": workspace_id, "weekday": weekday,
               "opens_at": opens_at, "closes_at": closes_at, "valid_from": valid_from,
               "valid_to": valid_to, "updated_at": "2026-01-01T00:00:00Z", **kw}
        return self.add("business_hours", rec, file)  # type: ignore[return-value]

    def holiday(self, holiday_id: str, workspace_id: str, date: str, name: str = "Holiday",
                file: str | None = None, **kw) -> dict:
        rec = {"holiday_id": holiday_id, "workspace_id": workspace_id, "date": date,
               "name": name, "updated_at": "2026-01-01T00:00:00Z", **kw}
        return self.add("holidays", rec, file)  # type: ignore[return-value]

    def write(self, root: Path) -> Path:
        for entity in ("workspaces", "agents", "conversations", "messages",
                       "csat_responses", "mentions"):
            (root / entity).mkdir(parents=True, exist_ok=True)
        for (entity, name), records in self.files.items():
            path = root / entity / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists():  # landing files are immutable once landed
                raise FileExistsError(f"{path} has landed already: write a new file")
            if name.endswith(".parquet"):
                pq.write_table(pa.Table.from_pylist(records), path)  # type: ignore[arg-type]
                continue
            # a record is a dict (written as JSON), a str (a raw line) or bytes (raw bytes)
            data = b"".join(
                (r if isinstance(r, bytes) else
                 (r if isinstance(r, str) else json.dumps(r)).encode()) + b"\n"
                for r in records
            )
            if name.endswith(".gz"):
                with gzip.open(path, "wb") as handle:
                    handle.write(data)
            else:
                path.write_bytes(data)
        return root


def run_cli(*args: str) -> int:
    return cli.main(list(args))


def run_cli_capture(*args: str) -> tuple[int, str]:
    """The CLI's exit code and what it printed on stderr."""
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = cli.main(list(args))
    return code, err.getvalue()


def run_pipeline(landing: Path, warehouse: Path, as_of: str, *extra: str) -> int:
    return run_cli("run", "--landing", str(landing), "--warehouse", str(warehouse),
                   "--as-of", as_of, *extra)


def query(db: Path, sql: str, params: list | None = None) -> list[tuple]:
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def query_df(db: Path, sql: str):
    import duckdb

    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.execute(sql).fetchdf()
    finally:
        con.close()


def land_until(source, target, last_day: dt.date) -> None:
    """Copy the per-day export files up to and including last_day (UTC file date)."""
    for entity_dir in source.iterdir():
        if not entity_dir.is_dir():
            continue
        (target / entity_dir.name).mkdir(parents=True, exist_ok=True)
        for f in entity_dir.iterdir():
            day = dt.date.fromisoformat(f.name.split(".")[0][:10])
            if day <= last_day and not (target / entity_dir.name / f.name).exists():
                shutil.copy2(f, target / entity_dir.name / f.name)


def generate_daily_exports(source: Path, end_date: dt.date) -> Path:
    """A small generated landing set (3 workspaces, 14 days up to end_date, JSON Lines) in
    one export file per entity and day; later days' files hold records for earlier days (late
    arrivals). Land it day by day with land_until."""
    from ochre_analytics.demo_data import generate

    generate(source, workspaces=3, days=14, seed=7, fmt="jsonl", end_date=end_date,
             files_per_day=True, progress=False)
    return source
