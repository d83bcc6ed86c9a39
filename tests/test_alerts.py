"""The run-failure sensor posts a JSON alert for a real failed run to a local HTTP receiver
(``OCHRE_ALERT_WEBHOOK_URL``), and says so plainly when no URL is set."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from ochre_analytics.config import Settings
from ochre_analytics.landing import LandingError
from ochre_analytics.pipeline import run_pipeline
from orchestration.defs.alerts import SENSOR_NAME, run_failure_alert

AS_OF = dt.date(2026, 11, 20)


@pytest.fixture()
def receiver() -> Iterator[tuple[str, list[dict]]]:
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({
                "path": self.path,
                "content_type": self.headers["Content-Type"],
                "json": json.loads(body),
            })
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/ochre", received
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory) -> tuple[str, str]:
    """A real run of the nightly job that fails: its landing folder does not exist."""
    tmp = tmp_path_factory.mktemp("alerts")
    settings = Settings.from_env(landing_dir=tmp / "no-landing", warehouse_dir=tmp / "wh")
    with pytest.raises(LandingError):
        run_pipeline(settings, AS_OF)
    return str(tmp / "wh" / "dagster"), str(tmp / "no-landing")


def _context(instance: dg.DagsterInstance) -> dg.RunFailureSensorContext:
    (run,) = instance.get_runs()
    assert run.status == dg.DagsterRunStatus.FAILURE
    (entry,) = instance.all_logs(run.run_id, of_type=dg.DagsterEventType.RUN_FAILURE)
    return dg.build_run_status_sensor_context(
        sensor_name=SENSOR_NAME,
        dagster_instance=instance,
        dagster_run=run,
        dagster_event=entry.dagster_event,
    ).for_run_failure()


def test_a_failed_run_posts_its_findings_to_the_webhook(failed_run, receiver, monkeypatch):
    home, landing = failed_run
    url, received = receiver
    monkeypatch.setenv("OCHRE_ALERT_WEBHOOK_URL", url)
    monkeypatch.setenv("OCHRE_DAGSTER_URL", "http://dagster.example:3000/")
    with dg.DagsterInstance.from_config(home) as instance:
        context = _context(instance)
        run = context.dagster_run
        assert run_failure_alert(context) is None
    (alert,) = received
    assert alert["path"] == "/hooks/ochre"
    assert alert["content_type"] == "application/json"
    payload = alert["json"]
    assert payload["run_id"] == run.run_id
    assert payload["job"] == "ochre_nightly"
    assert payload["partition"] == "2026-11-20"
    assert payload["trigger"] == "cli"
    assert payload["failed_steps"] == ["ochre_dbt_models"]
    (finding,) = payload["findings"]
    assert finding.startswith("landing: ") and landing in finding
    assert payload["run_url"] == f"http://dagster.example:3000/runs/{run.run_id}"
    assert payload["text"] == (
        f"Ochre run failed: ochre_nightly as of 2026-11-20: {finding} {payload['run_url']}"
    )


def test_without_a_webhook_the_sensor_says_no_alert_was_sent(failed_run, receiver, monkeypatch):
    home, _landing = failed_run
    _url, received = receiver
    monkeypatch.delenv("OCHRE_ALERT_WEBHOOK_URL", raising=False)
    with dg.DagsterInstance.from_config(home) as instance:
        context = _context(instance)
        result = run_failure_alert(context)
    assert isinstance(result, dg.SkipReason)
    assert result.skip_message == (
        f"OCHRE_ALERT_WEBHOOK_URL is unset: no alert sent for failed run "
        f"{context.dagster_run.run_id}"
    )
    assert received == []


def test_the_sensor_is_in_the_code_location_and_on_by_default():
    from orchestration.definitions import build_definitions

    sensor = build_definitions().resolve_sensor_def(SENSOR_NAME)
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert sensor.sensor_type.value == "RUN_STATUS"  # a run-failure sensor


def test_a_sensor_tick_alerts_the_failed_run_of_the_cli(failed_run, receiver, monkeypatch):
    """The daemon's way: a tick over the instance's run history from the start. The CLI's
    in-process run belongs to no code location; the sensor watches all of the instance."""
    from dagster._core.definitions.run_status_sensor_definition import RunStatusSensorCursor

    from orchestration.definitions import build_definitions

    home, _landing = failed_run
    url, received = receiver
    monkeypatch.setenv("OCHRE_ALERT_WEBHOOK_URL", url)
    cursor = RunStatusSensorCursor(record_id=0, update_timestamp=None, record_timestamp=None)
    with dg.DagsterInstance.from_config(home) as instance:
        (run,) = instance.get_runs()
        context = dg.build_sensor_context(
            instance=instance, cursor=cursor.to_json(),
            repository_def=build_definitions().get_repository_def(),
        )
        run_failure_alert.evaluate_tick(context)
    assert [alert["json"]["run_id"] for alert in received] == [run.run_id]
    assert received[0]["json"]["trigger"] == "cli"
