"""What a failed run reports: the step that failed and one line per finding.

The steps of the Dagster job (``orchestration``) raise :class:`PipelineError`; the code
location turns it into a ``dagster.Failure`` whose metadata carries :meth:`metadata`, so the
finding lines are part of the run's own events (the UI shows them too). ``ochre-analytics
run`` reads them back from those events with :meth:`from_metadata` and prints them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

STEP_KEY = "ochre/step"
FINDINGS_KEY = "ochre/findings"


class PipelineError(RuntimeError):
    """A step failed; `lines` says what, one finding per line."""

    def __init__(self, step: str, lines: list[str]) -> None:
        super().__init__(f"{step} failed: " + "; ".join(lines))
        self.step = step
        self.lines = lines

    def metadata(self) -> dict[str, Any]:
        """The failure's metadata: the step, and the finding lines (a JSON list)."""
        return {STEP_KEY: self.step, FINDINGS_KEY: list(self.lines)}

    @classmethod
    def from_metadata(cls, metadata: Mapping[str, Any]) -> PipelineError | None:
        """The error a failure's metadata describes (values plain or Dagster metadata values
        with a ``value``), or None when it carries no findings."""

        def plain(key: str) -> Any:
            value = metadata.get(key)
            return getattr(value, "value", value)

        step, lines = plain(STEP_KEY), plain(FINDINGS_KEY)
        if not step or not isinstance(lines, list):
            return None
        return cls(str(step), [str(line) for line in lines])
