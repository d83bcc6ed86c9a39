"""Row-level visibility for BI tools reading the published file directly.

The lead's publish step calls :func:`create_visibility_view` on the writable
connection to the *new* published file, before the atomic swap. BI tools then
join ``leaderboard_visible_rows`` to ``agent_leaderboard`` (see docs/api.md).
The rules are the API's: an active owner/admin sees every agent of their
workspace, an active agent only themselves, a deactivated viewer nothing.
"""

from __future__ import annotations

import duckdb

VIEW_NAME = "leaderboard_visible_rows"

VIEW_SQL = f"""
CREATE OR REPLACE VIEW {VIEW_NAME} AS
SELECT
    viewer.agent_id AS viewer_agent_id,
    target.workspace_id AS workspace_id,
    target.agent_id AS agent_id
FROM agents AS viewer
JOIN agents AS target
    ON target.workspace_id = viewer.workspace_id
    AND (viewer.agent_role IN ('owner', 'admin') OR target.agent_id = viewer.agent_id)
WHERE viewer.agent_status = 'active'
"""


VIEW_COMMENTS = {
    "": "**Published.** Row-level visibility for BI tools, the read API's rule: which "
    "agents' rows (`agent_leaderboard`, `agent_daily_activity`, "
    "`agent_low_csat_conversations`, joined on `workspace_id` and `agent_id`) a viewer "
    "may see. An active owner or admin sees every agent of their workspace, an active "
    "agent only themselves, a deactivated viewer nothing (docs/api.md).",
    "viewer_agent_id": "The agent looking at the figures (an active agent, from `agents`).",
    "workspace_id": "The viewer's workspace, which is also the visible agent's.",
    "agent_id": "An agent whose rows the viewer may see.",
}
"""Comments of the view: "" is the view's, the other keys its columns'."""


def create_visibility_view(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) ``leaderboard_visible_rows(viewer_agent_id,
    workspace_id, agent_id)`` with its comments in the connection's current
    database; the ``agents`` table must already be there."""
    con.execute(VIEW_SQL)
    for column, text in VIEW_COMMENTS.items():
        literal = "'" + text.replace("'", "''") + "'"
        target = f"view {VIEW_NAME}" if column == "" else f"column {VIEW_NAME}.{column}"
        con.execute(f"COMMENT ON {target} IS {literal}")
