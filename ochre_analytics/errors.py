"""What a failed run reports: the step that failed and one line per finding.

The steps of the Dagster job (``orchestration``) raise :class:`PipelineError`; the code
location turns it into a ``dagster.Failure`` whose metadata carries :meth:`metadata`, so the
finding lines are part of the run's own events (the UI shows them too). ``ochre-analytics
run`` reads them back from those events with :meth:`from_metadata` and prints them.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Mapping
from typing import Any

_DISK_FULL = re.compile(r"No space left on device|Disk quota exceeded|\[Errno (?:28|122)\]")
_WRITING = re.compile(
    r"(?:No space left on device|Disk quota exceeded): '([^']+)'"
    r"|(?:write|writing|to) (?:to )?file \"([^\"]+)\""
)

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


def disk_full_line(texts: Iterable[str]) -> str | None:
    """One line for a disk that is full, when one of `texts` (finding lines, error
    messages) says so; None otherwise. The other findings of such a step are its
    consequences (a report that could not be written, a table that could not be copied)."""
    for text in texts:
        if _DISK_FULL.search(text):
            found = _WRITING.search(text)
            where = f" writing {found.group(1) or found.group(2)}" if found else ""
            return f"disk full: no space left on device{where}; free space there and run again"
    return None


def is_disk_full(error: BaseException) -> bool:
    """Whether `error` (or an error it was raised from) is a full disk or quota."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        if _DISK_FULL.search(str(current)):
            return True
        current = current.__cause__ or current.__context__
    return False


def one_line_if_disk_full(error: PipelineError) -> PipelineError:
    """`error` with its findings replaced by one disk-full line when one of them is one."""
    line = disk_full_line(error.lines)
    return PipelineError(error.step, [line]) if line else error
