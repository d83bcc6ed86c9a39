"""Dagster's SQLite event log, with its database connections kept for the run.

Dagster's ``SqliteEventLogStorage`` creates a SQLAlchemy engine, connects and disposes of the
engine for every statement (``NullPool``): about six times per event, and a nightly run
writes some 650 events (a planned-materialization event per asset at the start, then the
steps, materializations and check evaluations of 200 dbt nodes). A new engine also loses
SQLAlchemy's compiled-statement cache. That cost 5-7 s of every run, whatever the data:
about a quarter of a run of the 2-row worked example, and "start the Dagster run" fell from
about 5 s to 1 s at 2M conversations (``benchmarks/README.md``).

:class:`PooledSqliteEventLogStorage` is the same storage (the same files under
``<DAGSTER_HOME>/history/runs/``, the same schema and statements) with one engine per
database file, kept for the few files in use (the index and the runs being written) and
disposed of when the storage is. ``ochre-analytics run`` opens the warehouse's instance
with it (:func:`ochre_analytics.pipeline._instance`); the UI of ``make dev`` reads the same
files with Dagster's own class.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from sqlalchemy import create_engine
from sqlalchemy.engine import Connection, Engine

OPEN_SHARDS = 4
"""Engines kept at once: the index and the runs being written (each run has its own file)."""


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """``SqliteEventLogStorage`` with one kept engine (and connection pool) per database
    file, for the :data:`OPEN_SHARDS` files used last. Config: ``base_dir``, as Dagster's."""

    def __init__(self, base_dir: str, inst_data: Any = None) -> None:
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._engines_lock = threading.Lock()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: Any, config_value: Any) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Engine:
        with self._engines_lock:
            engine = self._engines.pop(shard, None)
            if engine is None:
                # SQLAlchemy's default pool for a SQLite file (QueuePool, connections usable
                # from any thread: every use is under the storage's own lock).
                engine = create_engine(
                    self.conn_string_for_shard(shard),
                    connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS},
                )
            self._engines[shard] = engine
            while len(self._engines) > OPEN_SHARDS:
                _, oldest = self._engines.popitem(last=False)
                oldest.dispose()
            return engine

    def _dispose_engines(self) -> None:
        with self._engines_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's _connect, with a kept engine instead of a new one each time.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        engine = self._engine(INDEX_SHARD_NAME)
        with engine.connect() as conn:
            return bool(engine.dialect.has_table(conn, table_name))

    def wipe(self) -> None:
        self._dispose_engines()  # the run files are deleted: no connection may outlive them
        super().wipe()

    def dispose(self) -> None:
        self._dispose_engines()
        super().dispose()
