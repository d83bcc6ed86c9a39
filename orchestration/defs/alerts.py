"""A failed run posts an alert to a webhook: ``OCHRE_ALERT_WEBHOOK_URL``.

The sensor ``ochre_run_failure_alert`` (on by default in ``make dev``) watches every run of
the warehouse's instance, the CLI's included; for each failed one it POSTs one JSON object to
the URL: ``text`` (one
line, what Slack-style incoming webhooks show), the run id, job, partition (the as-of
date) or range, the failed steps, and the findings the steps reported (the lines
``ochre-analytics run`` prints: ``orchestration/defs/failures.py``), with a link to the
run in the UI (``OCHRE_DAGSTER_URL``, default http://127.0.0.1:3000). Unset URL: no alert,
and the sensor says so in its log and tick. A POST that fails fails the sensor's tick (the
UI shows it), and the next failure is alerted again.
"""

from __future__ import annotations

import json
import os
import urllib.request
from typing import Any

import dagster as dg

from ochre_analytics.errors import FINDINGS_KEY, STEP_KEY

WEBHOOK_ENV = "OCHRE_ALERT_WEBHOOK_URL"
UI_URL_ENV = "OCHRE_DAGSTER_URL"
DEFAULT_UI_URL = "http://127.0.0.1:3000"
SENSOR_NAME = "ochre_run_failure_alert"
TIMEOUT_SECONDS = 10
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _findings(context: dg.RunFailureSensorContext) -> tuple[list[str], list[str]]:
    """The failed steps and the finding lines they reported (else their error message)."""
    steps: list[str] = []
    lines: list[str] = []
    for event in context.get_step_failure_events():
        steps.append(event.step_key or "?")
        data = event.step_failure_data
        reported = data.user_failure_data if data is not None else None
        metadata = reported.metadata if reported is not None else {}
        findings = metadata.get(FINDINGS_KEY)
        if findings is not None and isinstance(findings.value, list):
            step = metadata.get(STEP_KEY)
            prefix = f"{step.value}: " if step is not None else ""
            lines += [f"{prefix}{line}" for line in findings.value]
        elif data is not None and data.error is not None:
            error = data.error.cause or data.error
            lines.append(f"{event.step_key}: " + " ".join(error.message.split())[:500])
    return steps, lines


def alert_payload(context: dg.RunFailureSensorContext) -> dict[str, Any]:
    run = context.dagster_run
    tags = run.tags or {}
    partition = tags.get("dagster/partition")
    if partition is None and RANGE_START_TAG in tags:
        partition = f"{tags[RANGE_START_TAG]}..{tags.get(RANGE_END_TAG, '')}"
    steps, findings = _findings(context)
    base = (os.environ.get(UI_URL_ENV) or DEFAULT_UI_URL).rstrip("/")
    run_url = f"{base}/runs/{run.run_id}"
    reason = findings[0] if findings else (context.failure_event.message or "run failed")
    text = (
        f"Ochre run failed: {run.job_name}"
        + (f" as of {partition}" if partition else "")
        + f": {' '.join(reason.split())[:300]}"
        + (f" (+{len(findings) - 1} more)" if len(findings) > 1 else "")
        + f" {run_url}"
    )
    return {
        "text": text,
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": partition,
        "trigger": tags.get("ochre/trigger") or tags.get("dagster/schedule_name") or "ui",
        "failed_steps": steps,
        "findings": findings,
        "run_url": run_url,
    }


def post_json(url: str, payload: dict[str, Any]) -> int:
    request = urllib.request.Request(
        url,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # noqa: S310
        return response.status


@dg.run_failure_sensor(
    name=SENSOR_NAME,
    default_status=dg.DefaultSensorStatus.RUNNING,
    # the runs `ochre-analytics run` executes in-process belong to no code location: watch
    # every failed run of the warehouse's instance (it serves this code location only)
    monitor_all_code_locations=True,
    description=(
        f"Posts a JSON alert for every failed run to ${WEBHOOK_ENV} (no alert when unset)."
    ),
)
def run_failure_alert(context: dg.RunFailureSensorContext) -> dg.SkipReason | None:
    payload = alert_payload(context)
    url = os.environ.get(WEBHOOK_ENV) or ""
    if not url:
        message = f"{WEBHOOK_ENV} is unset: no alert sent for failed run {payload['run_id']}"
        context.log.info(message)
        return dg.SkipReason(message)
    status = post_json(url, payload)
    context.log.info(f"alert for failed run {payload['run_id']} posted (HTTP {status})")
    return None
