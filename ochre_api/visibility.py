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


def create_visibility_view(con: duckdb.DuckDBPyConnection) -> None:
    """Create (or replace) ``leaderboard_visible_rows(viewer_agent_id,
    workspace_id, agent_id)`` in the connection's current database; the
    ``agents`` table must already be there."""
    con.execute(VIEW_SQL)
