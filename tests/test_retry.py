"""The nightly job retries a step that failed for a transient reason, never a finding.

A real run whose dbt process is killed mid-build (as the OOM killer would) is retried and
publishes; a run whose data fails a check fails at once, without a retry.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import threading
import time

import dagster as dg
import psutil
import pytest

from ochre_analytics.config import Settings
from ochre_analytics.errors import PipelineError
from ochre_analytics.pipeline import run_pipeline
from tests.landing_builder import WORKED_EXAMPLE

AS_OF = dt.date(2026, 11, 20)


def _kill_first_dbt_build(killed: list[int], stop: threading.Event) -> None:
    me = psutil.Process(os.getpid())
    while not stop.is_set() and not killed:
        for child in me.children(recursive=True):
            try:
                cmdline = child.cmdline()
            except psutil.Error:
                continue
            if any(part.endswith("/dbt") for part in cmdline) and "build" in cmdline:
                time.sleep(3)  # mid-build
                child.send_signal(signal.SIGKILL)
                killed.append(child.pid)
                return
        time.sleep(0.2)


def _events(home, run_id: str, kind: dg.DagsterEventType) -> list:
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return [e.dagster_event for e in instance.all_logs(run_id, of_type=kind)]


def test_a_killed_dbt_build_is_retried_and_the_run_publishes(tmp_path, monkeypatch):
    monkeypatch.setenv("OCHRE_RETRY_DELAY_SECONDS", "1")
    settings = Settings.from_env(landing_dir=WORKED_EXAMPLE / "landing",
                                 warehouse_dir=tmp_path / "wh")
    killed: list[int] = []
    stop = threading.Event()
    killer = threading.Thread(target=_kill_first_dbt_build, args=(killed, stop), daemon=True)
    killer.start()
    try:
        result = run_pipeline(settings, AS_OF)
    finally:
        stop.set()
        killer.join()
    assert len(killed) == 1
    assert result.published
    home = tmp_path / "wh" / "dagster"
    retried = _events(home, result.run_id, dg.DagsterEventType.STEP_UP_FOR_RETRY)
    assert [e.step_key for e in retried] == ["ochre_dbt_models"]
    restarted = _events(home, result.run_id, dg.DagsterEventType.STEP_RESTARTED)
    assert [e.step_key for e in restarted] == ["ochre_dbt_models"]


def test_a_failed_data_check_is_not_retried(tmp_path, monkeypatch):
    """A bad message record in the worked example: 1 of 12 messages rejected, over the 1 %
    rejected-share gate of the Great Expectations audit. The run fails in its first attempt."""
    monkeypatch.setenv("OCHRE_RETRY_DELAY_SECONDS", "1")
    landing = tmp_path / "landing"
    shutil.copytree(WORKED_EXAMPLE / "landing", landing)
    with open(landing / "messages" / "messages.jsonl", "a") as f:
        f.write('{"message_id": "bad-1", "conversation_id": "c1"}\n')
    settings = Settings.from_env(landing_dir=landing, warehouse_dir=tmp_path / "wh")
    with pytest.raises(PipelineError) as failed:
        run_pipeline(settings, AS_OF)
    assert failed.value.step == "audit"
    home = tmp_path / "wh" / "dagster"
    with dg.DagsterInstance.from_config(str(home)) as instance:
        (run,) = instance.get_runs()
        assert run.is_failure
        kinds = {e.dagster_event.event_type for e in instance.all_logs(run.run_id)
                 if e.dagster_event is not None}
    assert dg.DagsterEventType.STEP_FAILURE in kinds
    assert dg.DagsterEventType.STEP_UP_FOR_RETRY not in kinds
