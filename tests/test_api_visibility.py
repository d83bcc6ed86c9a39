"""The BI view leaderboard_visible_rows agrees with the API's permissions."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from api_fixtures import AGENTS, SECRET, build_published
from fastapi.testclient import TestClient

from ochre_api import create_app
from ochre_api.auth import issue_token
from ochre_api.visibility import VIEW_NAME, create_visibility_view

EXPECTED = {
    "w1_owner": {"w1_owner", "w1_admin", "w1_agent", "w1_gone"},
    "w1_admin": {"w1_owner", "w1_admin", "w1_agent", "w1_gone"},
    "w1_agent": {"w1_agent"},
    "w1_gone": set(),
    "w2_admin": {"w2_admin"},
}

# The query documented in docs/api.md.
BI_QUERY = """
SELECT l.*
FROM agent_leaderboard AS l
JOIN leaderboard_visible_rows AS v
  ON v.workspace_id = l.workspace_id AND v.agent_id = l.agent_id
WHERE v.viewer_agent_id = ?
  AND l.period_days = ?
  AND l.as_of_date = (SELECT as_of_date FROM publish_metadata)
ORDER BY l.agent_name, l.agent_id
"""


# The conversation export's rule, for BI tools (docs/api.md): the same as the API's CSV.
BI_CONVERSATIONS_QUERY = """
SELECT c.*
FROM conversation_summary AS c
JOIN agents AS viewer
  ON viewer.workspace_id = c.workspace_id AND viewer.agent_status = 'active'
WHERE viewer.agent_id = ?
  AND (viewer.agent_role IN ('owner', 'admin')
       OR list_contains(string_split(c.agents_replied, ','), viewer.agent_id))
  AND c.as_of_date = (SELECT as_of_date FROM publish_metadata)
ORDER BY c.conversation_id
"""


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_published(tmp_path_factory.mktemp("vis") / "leaderboard.duckdb")


def test_view_maps_each_viewer_to_the_rows_they_may_see(published: Path) -> None:
    con = duckdb.connect(str(published), read_only=True)
    try:
        cols = [c[0] for c in con.execute(f"SELECT * FROM {VIEW_NAME} LIMIT 0").description]
        assert cols == ["viewer_agent_id", "workspace_id", "agent_id"]
        for viewer, expected in EXPECTED.items():
            rows = con.execute(
                f"SELECT workspace_id, agent_id FROM {VIEW_NAME} WHERE viewer_agent_id = ?",
                [viewer],
            ).fetchall()
            assert {a for _, a in rows} == expected, viewer
            workspace = next(a[1] for a in AGENTS if a[0] == viewer)
            assert {w for w, _ in rows} <= {workspace}
    finally:
        con.close()


@pytest.mark.parametrize("period", [30, 90])
@pytest.mark.parametrize("viewer", ["w1_owner", "w1_admin", "w1_agent", "w2_admin"])
def test_documented_bi_query_matches_the_api(published: Path, viewer: str, period: int) -> None:
    # A BI tool attaches the published file read-only under its own name.
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{published}' AS bi (READ_ONLY)")
        con.execute("USE bi")
        via_view = [r[3] for r in con.execute(BI_QUERY, [viewer, period]).fetchall()]
    finally:
        con.close()
    workspace = next(a[1] for a in AGENTS if a[0] == viewer)
    token = issue_token(SECRET, agent_id=viewer, workspace_id=workspace)
    client = TestClient(create_app(published, secret=SECRET))
    body = client.get(
        f"/api/leaderboard?period={period}", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert via_view == [r["agent_id"] for r in body["rows"]]
    assert via_view


def test_deactivated_viewer_sees_nothing_through_the_view(published: Path) -> None:
    con = duckdb.connect(str(published), read_only=True)
    try:
        assert con.execute(BI_QUERY, ["w1_gone", 90]).fetchall() == []
        assert con.execute(BI_QUERY, ["nobody", 90]).fetchall() == []
    finally:
        con.close()


def test_create_visibility_view_on_a_new_file_is_repeatable(tmp_path: Path) -> None:
    con = duckdb.connect(str(tmp_path / "new.duckdb"))
    try:
        con.execute(
            "CREATE TABLE agents (agent_id VARCHAR, workspace_id VARCHAR, agent_name VARCHAR, "
            "agent_role VARCHAR, agent_status VARCHAR)"
        )
        con.execute(
            "INSERT INTO agents VALUES ('o', 'w', 'O', 'owner', 'active'), "
            "('a', 'w', 'A', 'agent', 'active'), ('x', 'w', 'X', 'admin', 'deactivated'), "
            "('z', 'v', 'Z', 'agent', 'active')"
        )
        create_visibility_view(con)
        create_visibility_view(con)  # the publish step may run twice on a retried file
        rows = set(con.execute(f"SELECT * FROM {VIEW_NAME}").fetchall())
    finally:
        con.close()
    assert rows == {
        ("o", "w", "o"), ("o", "w", "a"), ("o", "w", "x"),
        ("a", "w", "a"),
        ("z", "v", "z"),
    }


@pytest.mark.parametrize("viewer", ["w1_owner", "w1_admin", "w1_agent", "w2_admin", "w1_gone"])
def test_documented_bi_conversation_query_matches_the_csv(published: Path, viewer: str) -> None:
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH '{published}' AS bi (READ_ONLY)")
        con.execute("USE bi")
        via_query = [r[2] for r in con.execute(BI_CONVERSATIONS_QUERY, [viewer]).fetchall()]
    finally:
        con.close()
    workspace = next(a[1] for a in AGENTS if a[0] == viewer)
    token = issue_token(SECRET, agent_id=viewer, workspace_id=workspace)
    client = TestClient(create_app(published, secret=SECRET))
    resp = client.get("/api/conversations.csv", headers={"Authorization": f"Bearer {token}"})
    if viewer == "w1_gone":  # deactivated: nothing, through either door
        assert resp.status_code == 403
        assert via_query == []
        return
    lines = resp.text.split("\r\n")[1:-1]
    assert via_query == [line.split(",")[2] for line in lines]
    assert via_query
