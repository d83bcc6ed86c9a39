"""A failed step reports its findings in the run's own events.

Inside :func:`reported`, a :class:`~ochre_analytics.errors.PipelineError` (and a landing or
publish error, as the finding of that step) becomes a ``dagster.Failure`` whose metadata
holds the step and one line per finding: the UI shows them on the failed step, and
``ochre-analytics run`` reads them back from the run's events and prints them. A full disk
is one line whatever else it broke (``errors.one_line_if_disk_full``). Such a failure is not
retried, unless it is a :class:`TransientPipelineError`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import dagster as dg

from ochre_analytics.errors import (
    FINDINGS_KEY,
    STEP_KEY,
    PipelineError,
    disk_full_line,
    is_disk_full,
    one_line_if_disk_full,
)
from ochre_analytics.landing import LandingError
from ochre_analytics.pipeline import LANDING_STEP
from ochre_analytics.publish import PublishError


class TransientPipelineError(PipelineError):
    """A step failed for a reason that may be gone when it is tried again (the build
    database locked by another process, dbt killed): the job's retry policy retries it."""


def failure(error: PipelineError) -> dg.Failure:
    """The step's failure with its findings. A finding about the data or the code (a failed
    test or check, a bad landing file, a compile error) fails for good: the job's retry
    policy (``jobs.py``) only retries a :class:`TransientPipelineError` and the errors that
    are not the pipeline's own findings (an unexpected exception)."""
    error = one_line_if_disk_full(error)
    metadata = error.metadata()
    return dg.Failure(
        description=str(error),
        metadata={
            STEP_KEY: dg.MetadataValue.text(metadata[STEP_KEY]),
            FINDINGS_KEY: dg.MetadataValue.json(metadata[FINDINGS_KEY]),
        },
        allow_retries=isinstance(error, TransientPipelineError),
    )


@contextlib.contextmanager
def reported() -> Iterator[None]:
    """Re-raise the pipeline's own errors as ``dagster.Failure`` with their findings."""
    try:
        yield
    except PipelineError as exc:
        raise failure(exc) from exc
    except LandingError as exc:
        raise failure(PipelineError(LANDING_STEP, [str(exc)])) from exc
    except PublishError as exc:
        raise failure(PipelineError("publish", [str(exc)])) from exc
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        line = disk_full_line([str(exc)]) or "disk full: no space left on device"
        raise failure(PipelineError("run", [line])) from exc
