"""Permission matrix and payloads of the read API over a fixture published file."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import duckdb
import jwt
import pytest
from api_fixtures import AS_OF, SECRET, publish
from fastapi.testclient import TestClient

from ochre_api import create_app
from ochre_api.auth import issue_token
from ochre_api.settings import ConfigError

W1_ACTIVE_30 = {"w1_owner", "w1_admin", "w1_agent"}
W1_ALL_90 = W1_ACTIVE_30 | {"w1_gone"}


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return publish(tmp_path_factory.mktemp("wh") / "published" / "leaderboard.duckdb")


@pytest.fixture(scope="module")
def client(published: Path) -> TestClient:
    return TestClient(create_app(published, secret=SECRET))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def token_for(agent_id: str, workspace_id: str, **kw) -> str:  # type: ignore[no-untyped-def]
    return issue_token(SECRET, agent_id=agent_id, workspace_id=workspace_id, **kw)


VIEWERS: dict[str, dict[str, str] | None] = {
    "owner": bearer(token_for("w1_owner", "w1")),
    "admin": bearer(token_for("w1_admin", "w1")),
    "agent": bearer(token_for("w1_agent", "w1")),
    "deactivated": bearer(token_for("w1_gone", "w1")),
    "other_ws_admin": bearer(token_for("w2_admin", "w2")),
    "forged": bearer(
        issue_token("another-secret-of-at-least-32-bytes!!", agent_id="w1_admin", workspace_id="w1")
    ),
    "expired": bearer(token_for("w1_admin", "w1", ttl_seconds=-60)),
    "missing": None,
    "unknown_agent": bearer(token_for("ghost", "w1")),
    "workspace_mismatch": bearer(token_for("w1_agent", "w2")),
    "alg_none": bearer(
        jwt.encode(
            {"workspace_id": "w1", "agent_id": "w1_admin", "exp": int(time.time()) + 600},
            None,
            algorithm="none",
        )
    ),
    "no_exp": bearer(jwt.encode({"workspace_id": "w1", "agent_id": "w1_admin"}, SECRET)),
    "garbage": bearer("not-a-jwt"),
    "basic_scheme": {"Authorization": "Basic dzFfYWRtaW46eA=="},
}
UNAUTHENTICATED = [
    "forged", "expired", "missing", "unknown_agent", "workspace_mismatch", "alg_none",
    "no_exp", "garbage", "basic_scheme",
]


def get(client: TestClient, viewer: str, path: str):  # type: ignore[no-untyped-def]
    return client.get(path, headers=VIEWERS[viewer] or {})


# ---- the matrix: (viewer, path) -> (status, exact agent ids or workspace) ----

LEADERBOARD = {
    "owner": (200, W1_ACTIVE_30),
    "admin": (200, W1_ACTIVE_30),
    "agent": (200, {"w1_agent"}),
    "deactivated": (403, None),
    "other_ws_admin": (200, {"w2_admin"}),
    **{v: (401, None) for v in UNAUTHENTICATED},
}
LEADERBOARD_90 = {
    **LEADERBOARD,
    "owner": (200, W1_ALL_90),
    "admin": (200, W1_ALL_90),
}
TEAM = {
    "owner": (200, "w1"),
    "admin": (200, "w1"),
    "agent": (200, "w1"),
    "deactivated": (403, None),
    "other_ws_admin": (200, "w2"),
    **{v: (401, None) for v in UNAUTHENTICATED},
}
ME = {
    "owner": (200, ("w1_owner", "owner")),
    "admin": (200, ("w1_admin", "admin")),
    "agent": (200, ("w1_agent", "agent")),
    "deactivated": (403, None),
    "other_ws_admin": (200, ("w2_admin", "admin")),
    **{v: (401, None) for v in UNAUTHENTICATED},
}
TARGETS = ["w1_owner", "w1_admin", "w1_agent", "w1_gone", "w2_admin", "nobody"]
DETAIL = {
    "owner": {"w1_owner": 200, "w1_admin": 200, "w1_agent": 200, "w1_gone": 200,
              "w2_admin": 404, "nobody": 404},
    "admin": {"w1_owner": 200, "w1_admin": 200, "w1_agent": 200, "w1_gone": 200,
              "w2_admin": 404, "nobody": 404},
    "agent": {"w1_owner": 403, "w1_admin": 403, "w1_agent": 200, "w1_gone": 403,
              "w2_admin": 404, "nobody": 404},
    "deactivated": dict.fromkeys(TARGETS, 403),
    "other_ws_admin": {"w1_owner": 404, "w1_admin": 404, "w1_agent": 404, "w1_gone": 404,
                       "w2_admin": 200, "nobody": 404},
    **{v: dict.fromkeys(TARGETS, 401) for v in UNAUTHENTICATED},
}


def check_error(resp, status: int) -> None:  # type: ignore[no-untyped-def]
    assert resp.status_code == status, resp.text
    detail = resp.json()["detail"]
    assert isinstance(detail, str) and detail and "\n" not in detail
    if status == 401:
        assert resp.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("viewer", list(LEADERBOARD))
def test_leaderboard_rows_per_viewer(client: TestClient, viewer: str) -> None:
    for path, table in (("/api/leaderboard", LEADERBOARD),
                        ("/api/leaderboard?period=30", LEADERBOARD),
                        ("/api/leaderboard?period=90", LEADERBOARD_90)):
        status, ids = table[viewer]
        resp = get(client, viewer, path)
        if status != 200:
            check_error(resp, status)
            continue
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert {r["agent_id"] for r in body["rows"]} == ids, path
        assert len(body["rows"]) == len(ids)


@pytest.mark.parametrize("viewer", list(TEAM))
def test_team_per_viewer(client: TestClient, viewer: str) -> None:
    status, workspace = TEAM[viewer]
    resp = get(client, viewer, "/api/team")
    if status != 200:
        check_error(resp, status)
        return
    assert resp.status_code == 200
    assert resp.json()["workspace_id"] == workspace
    assert resp.json()["period_days"] == 30


@pytest.mark.parametrize("viewer", list(ME))
def test_me_per_viewer(client: TestClient, viewer: str) -> None:
    status, expected = ME[viewer]
    resp = get(client, viewer, "/api/me")
    if status != 200:
        check_error(resp, status)
        return
    body = resp.json()
    assert (body["agent_id"], body["agent_role"]) == expected
    assert body["sees_whole_workspace"] is (expected[1] in ("owner", "admin"))
    assert body["as_of_date"] == AS_OF.isoformat()
    # the page's period buttons: the windows of seeds/leaderboard_windows.csv
    assert body["periods"] == [7, 14, 30, 90]
    assert body["default_period"] == 30


@pytest.mark.parametrize("viewer", list(DETAIL))
def test_drilldown_per_viewer(client: TestClient, viewer: str) -> None:
    for target, status in DETAIL[viewer].items():
        resp = get(client, viewer, f"/api/agents/{target}")
        if status != 200:
            check_error(resp, status)
            continue
        assert resp.status_code == 200, (target, resp.text)
        body = resp.json()
        assert body["agent"]["agent_id"] == target
        row = body["leaderboard_row"]
        # w1_gone has no 30-day row (deactivated, idle for 40 days): the row is null.
        assert (row is None) == (target == "w1_gone")
        if row:
            assert row["agent_id"] == target


def test_role_comes_from_agents_table_not_token(client: TestClient) -> None:
    # Extra claims in the token are ignored: an agent cannot promote themselves.
    token = jwt.encode(
        {"workspace_id": "w1", "agent_id": "w1_agent", "exp": int(time.time()) + 600,
         "role": "admin", "agent_role": "owner"},
        SECRET,
    )
    resp = client.get("/api/leaderboard", headers=bearer(token))
    assert {r["agent_id"] for r in resp.json()["rows"]} == {"w1_agent"}
    assert client.get("/api/me", headers=bearer(token)).json()["agent_role"] == "agent"


# ---- payloads: real values from the file ----

def file_rows(published: Path, sql: str, params: list) -> list[dict]:  # type: ignore[type-arg]
    con = duckdb.connect(str(published), read_only=True)
    try:
        cur = con.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]
    finally:
        con.close()


def jsonable(row: dict) -> dict:  # type: ignore[type-arg]
    return {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in row.items()}


@pytest.mark.parametrize("period", [7, 14, 30, 90])
def test_leaderboard_rows_equal_published_rows(
    client: TestClient, published: Path, period: int
) -> None:
    expected = file_rows(
        published,
        "SELECT * FROM agent_leaderboard WHERE workspace_id = 'w1' AND period_days = ? "
        "ORDER BY agent_name, agent_id",
        [period],
    )
    body = client.get(f"/api/leaderboard?period={period}", headers=VIEWERS["admin"]).json()
    assert body["rows"] == [jsonable(r) for r in expected]
    assert [r["agent_name"] for r in body["rows"]] == sorted(r["agent_name"] for r in body["rows"])
    start = AS_OF - dt.timedelta(days=period - 1)
    assert body["window"] == {"period_days": period, "start": start.isoformat(),
                              "end": AS_OF.isoformat()}
    assert body["prior_window"]["end"] == (start - dt.timedelta(days=1)).isoformat()
    assert body["prior_window"]["start"] == (AS_OF - dt.timedelta(days=2 * period - 1)).isoformat()


def test_team_equals_published_row(client: TestClient, published: Path) -> None:
    for period in (7, 90):
        (expected,) = file_rows(
            published,
            "SELECT * FROM team_kpis WHERE workspace_id = 'w2' AND period_days = ?",
            [period],
        )
        body = client.get(f"/api/team?period={period}", headers=VIEWERS["other_ws_admin"]).json()
        for key, value in jsonable(expected).items():
            assert body[key] == value, key
        assert body["workspace_name"] == "Summit Helpdesk"


@pytest.mark.parametrize("period", [7, 30, 90])
def test_drilldown_series_and_low_csat(client: TestClient, published: Path, period: int) -> None:
    body = client.get(f"/api/agents/w1_owner?period={period}", headers=VIEWERS["admin"]).json()
    start = AS_OF - dt.timedelta(days=period - 1)
    prior_start = start - dt.timedelta(days=period)
    for key, first in (("daily", start), ("prior_daily", prior_start)):
        series = body[key]
        assert [p["activity_date"] for p in series] == [
            (first + dt.timedelta(days=i)).isoformat() for i in range(period)
        ]
        stored = {
            r["activity_date"].isoformat(): r
            for r in file_rows(
                published,
                "SELECT * FROM agent_daily_activity WHERE agent_id = 'w1_owner' "
                "AND activity_date BETWEEN ? AND ?",
                [first, first + dt.timedelta(days=period - 1)],
            )
        }
        # the owner is a sparse worker: the window has empty days to fill
        assert 0 < len(stored) < period
        for point in series:
            row = stored.get(point["activity_date"])
            if row is None:
                assert point["conversations_handled"] == 0
                assert point["replies_sent"] == 0
                assert point["csat_responses"] == 0
                assert point["mentions_received"] == 0
                assert point["median_first_response_seconds"] is None
                assert point["csat_avg"] is None
            else:
                for col in ("conversations_handled", "replies_sent", "first_response_samples",
                            "median_first_response_seconds", "csat_responses",
                            "ai_draft_sent_replies", "ai_draft_edited_replies",
                            "scratch_replies", "mentions_received"):
                    assert point[col] == row[col], col
    lb = body["leaderboard_row"]
    assert sum(p["replies_sent"] for p in body["daily"]) == lb["replies_sent"]
    assert sum(p["mentions_received"] for p in body["daily"]) == lb["mentions_received"]
    assert sum(p["csat_responses"] for p in body["daily"]) == lb["csat_responses"]

    expected_low = file_rows(
        published,
        "SELECT conversation_id, score, submitted_date FROM agent_low_csat_conversations "
        "WHERE agent_id = 'w1_owner' AND submitted_date BETWEEN ? AND ? "
        "ORDER BY submitted_at DESC",
        [start, AS_OF],
    )
    got = body["low_csat_conversations"]
    assert [(c["conversation_id"], c["score"], c["submitted_date"]) for c in got] == [
        (r["conversation_id"], r["score"], r["submitted_date"].isoformat()) for r in expected_low
    ]
    assert all(c["submitted_at"].endswith("Z") for c in got)


def test_low_csat_conversations_link_through_the_url_template(
    client: TestClient, published: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("OCHRE_CONVERSATION_URL_TEMPLATE", raising=False)
    plain = client.get("/api/agents/w1_agent?period=90", headers=VIEWERS["agent"]).json()
    low = plain["low_csat_conversations"]
    assert low and all(c["conversation_url"] is None for c in low)  # unset: no links

    template = "https://app.example.com/conversations/{conversation_id}?from=ochre"
    monkeypatch.setenv("OCHRE_CONVERSATION_URL_TEMPLATE", template)
    linked = TestClient(create_app(published, secret=SECRET)).get(
        "/api/agents/w1_agent?period=90", headers=VIEWERS["agent"]
    ).json()["low_csat_conversations"]
    assert [c["conversation_url"] for c in linked] == [
        f"https://app.example.com/conversations/{c['conversation_id']}?from=ochre" for c in low
    ]


def test_conversation_url_percent_encodes_the_id() -> None:
    from ochre_api.settings import conversation_url, resolve_conversation_url_template

    template = resolve_conversation_url_template("https://app.example.com/c/{conversation_id}")
    assert conversation_url(template, 'a b/c?d&e#"<x>') == (
        "https://app.example.com/c/a%20b%2Fc%3Fd%26e%23%22%3Cx%3E"
    )
    assert conversation_url(None, "c1") is None
    assert resolve_conversation_url_template("") is None
    with pytest.raises(ConfigError, match="absolute http:// or https:// URL"):
        create_app(published_path="unused.duckdb", secret=SECRET,
                   conversation_url_template="data:text/html,{conversation_id}")


def test_low_csat_list_is_limited_to_the_window(client: TestClient) -> None:
    seven = client.get("/api/agents/w1_agent?period=7", headers=VIEWERS["agent"]).json()
    ninety = client.get("/api/agents/w1_agent?period=90", headers=VIEWERS["agent"]).json()
    assert len(ninety["low_csat_conversations"]) > len(seven["low_csat_conversations"])
    start = seven["window"]["start"]
    assert all(c["submitted_date"] >= start for c in seven["low_csat_conversations"])


# ---- periods, missing file, secrets, docs, page ----

@pytest.mark.parametrize("bad", ["5", "abc", "30.0", "-7", "365", "7,30"])
@pytest.mark.parametrize("path", ["/api/leaderboard", "/api/team", "/api/agents/w1_agent"])
def test_bad_period_is_400(client: TestClient, bad: str, path: str) -> None:
    resp = client.get(path, params={"period": bad}, headers=VIEWERS["admin"])
    check_error(resp, 400)
    assert resp.json()["detail"] == "period must be one of 7, 14, 30, 90"


def test_missing_published_file_is_503(tmp_path: Path) -> None:
    client = TestClient(create_app(tmp_path / "published" / "leaderboard.duckdb", secret=SECRET))
    for path in ("/api/me", "/api/leaderboard", "/api/team", "/api/agents/w1_admin"):
        resp = client.get(path, headers=VIEWERS["admin"])
        check_error(resp, 503)
        assert "not been published" in resp.json()["detail"]
    check_error(client.get("/api/leaderboard"), 401)  # identity is still checked first
    assert client.get("/").status_code == 200  # the page loads and shows the message


def test_unreadable_published_file_is_503(tmp_path: Path) -> None:
    broken = tmp_path / "leaderboard.duckdb"
    broken.write_bytes(b"this is not a duckdb file" * 100)
    resp = TestClient(create_app(broken, secret=SECRET)).get(
        "/api/leaderboard", headers=VIEWERS["admin"]
    )
    check_error(resp, 503)


def test_secret_is_required(monkeypatch: pytest.MonkeyPatch, published: Path) -> None:
    monkeypatch.delenv("OCHRE_API_SECRET", raising=False)
    with pytest.raises(ConfigError, match="OCHRE_API_SECRET is not set"):
        create_app(published)
    with pytest.raises(ConfigError, match="at least 32 bytes"):
        create_app(published, secret="short")
    monkeypatch.setenv("OCHRE_API_SECRET", SECRET)
    client = TestClient(create_app(published))
    assert client.get("/api/me", headers=VIEWERS["agent"]).status_code == 200


def test_path_from_warehouse_env(monkeypatch: pytest.MonkeyPatch, published: Path) -> None:
    monkeypatch.setenv("OCHRE_WAREHOUSE_DIR", str(published.parent.parent))
    client = TestClient(create_app(secret=SECRET))
    assert client.get("/api/me", headers=VIEWERS["owner"]).status_code == 200


def test_openapi_documents_the_endpoints(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/me", "/api/leaderboard", "/api/team", "/api/agents/{agent_id}",
                 "/api/conversations.csv"):
        assert path in spec["paths"], path
    params = {p["name"] for p in spec["paths"]["/api/leaderboard"]["get"]["parameters"]}
    assert "period" in params
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "https://" not in docs.text and "http://" not in docs.text  # no CDN
    assert client.get("/static-docs/swagger-ui-bundle.js").status_code == 200


def test_page_and_assets_are_local(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "text/html" in page.headers["content-type"]
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert "http://" not in page.text and "https://" not in page.text
    for asset in ("/static/app.js", "/static/style.css"):
        resp = client.get(asset)
        assert resp.status_code == 200
        # the only absolute URL allowed is the SVG namespace name
        assert resp.text.replace("http://www.w3.org/2000/svg", "").count("http") == 0


def test_api_responses_are_not_cached(client: TestClient) -> None:
    resp = client.get("/api/leaderboard", headers=VIEWERS["admin"])
    assert resp.headers["cache-control"] == "no-store"


# ---- the conversation export (CSV): the same rules as the leaderboard ----

def csv_rows(resp) -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    import csv
    import io

    return list(csv.DictReader(io.StringIO(resp.text)))


def summary_ids(published: Path, workspace: str, agent: str | None = None) -> list[str]:
    """The conversations of `workspace` (those listing `agent` in agents_replied), from the
    file, filtered here in Python."""
    rows = file_rows(
        published,
        "SELECT conversation_id, agents_replied FROM conversation_summary "
        "WHERE workspace_id = ?",
        [workspace],
    )
    return sorted(
        r["conversation_id"] for r in rows
        if agent is None or agent in (r["agents_replied"] or "").split(",")
    )


CSV_VIEWS = {  # viewer -> (status, workspace, only the conversations this agent replied on)
    "owner": (200, "w1", None),
    "admin": (200, "w1", None),
    "agent": (200, "w1", "w1_agent"),
    "deactivated": (403, None, None),
    "other_ws_admin": (200, "w2", None),
    **{v: (401, None, None) for v in UNAUTHENTICATED},
}


@pytest.mark.parametrize("viewer", list(CSV_VIEWS))
def test_conversation_csv_rows_per_viewer(
    client: TestClient, published: Path, viewer: str
) -> None:
    status, workspace, agent = CSV_VIEWS[viewer]
    resp = get(client, viewer, "/api/conversations.csv")
    if status != 200:
        check_error(resp, status)
        return
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/csv")
    assert resp.headers["cache-control"] == "no-store"
    assert resp.headers["content-disposition"] == (
        f'attachment; filename="conversations-{AS_OF.isoformat()}.csv"'
    )
    ids = [r["conversation_id"] for r in csv_rows(resp)]
    expected = summary_ids(published, workspace, agent)
    assert ids == expected
    assert expected  # every viewer above has conversations to see
    if agent is not None:  # an agent sees fewer rows than their workspace holds
        assert len(ids) < len(summary_ids(published, workspace))


CSV_FOR_AGENT = {  # viewer -> target agent -> status
    "owner": {"w1_owner": 200, "w1_agent": 200, "w1_gone": 200, "w2_admin": 404,
              "nobody": 404},
    "admin": {"w1_owner": 200, "w1_agent": 200, "w1_gone": 200, "w2_admin": 404,
              "nobody": 404},
    "agent": {"w1_owner": 403, "w1_agent": 200, "w1_gone": 403, "w2_admin": 404,
              "nobody": 404},
    "deactivated": {"w1_gone": 403, "w1_agent": 403},
    "other_ws_admin": {"w2_admin": 200, "w1_agent": 404},
    "forged": {"w1_agent": 401},
    "missing": {"w1_agent": 401},
}


@pytest.mark.parametrize("viewer", list(CSV_FOR_AGENT))
def test_conversation_csv_of_one_agent_per_viewer(
    client: TestClient, published: Path, viewer: str
) -> None:
    for target, status in CSV_FOR_AGENT[viewer].items():
        resp = get(client, viewer, f"/api/conversations.csv?agent_id={target}")
        if status != 200:
            check_error(resp, status)
            continue
        assert resp.status_code == 200, (target, resp.text)
        workspace = "w2" if target.startswith("w2") else "w1"
        ids = [r["conversation_id"] for r in csv_rows(resp)]
        assert ids == summary_ids(published, workspace, target), target
        assert resp.headers["content-disposition"].endswith(f'-{target}.csv"')


def test_conversation_csv_equals_published_rows(client: TestClient, published: Path) -> None:
    expected = file_rows(
        published,
        "SELECT * FROM conversation_summary WHERE workspace_id = 'w1' ORDER BY conversation_id",
        [],
    )
    resp = client.get("/api/conversations.csv", headers=VIEWERS["admin"])
    lines = resp.text.split("\r\n")
    assert lines[0] == ",".join(expected[0])  # the published columns, in order
    got = csv_rows(resp)
    assert len(got) == len(expected)

    def text(value: object) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.date):
            return value.isoformat()
        return str(value)

    assert got == [{k: text(v) for k, v in row.items()} for row in expected]
    # the export reproduces the 90-day tiles: replied and AI-handled conversations, CSAT
    (tiles,) = file_rows(
        published, "SELECT * FROM team_kpis WHERE workspace_id = 'w1' AND period_days = 90", []
    )
    replied = [r for r in got if int(r["human_replies"]) + int(r["ai_replies"]) > 0]
    assert len(replied) == tiles["conversations_replied"]
    assert sum(r["handling"] == "ai_handled" for r in got) == tiles["ai_handled_conversations"]
    scores = [int(r["csat_score"]) for r in got if r["csat_score"]]
    assert len(scores) == tiles["csat_responses"]
    assert sum(scores) / len(scores) == pytest.approx(tiles["csat_avg"], rel=1e-12)


def test_conversation_csv_defuses_spreadsheet_formulas() -> None:
    from ochre_api.app import CONVERSATION_COLUMNS, conversations_csv

    row = dict.fromkeys(CONVERSATION_COLUMNS)
    row.update(conversation_id="=HYPERLINK(\"x\")", workspace_id="w1", human_replies=0,
               ai_replies=2, as_of_date=AS_OF, first_response_seconds=12.5)
    (line,) = conversations_csv([row]).split("\r\n")[1:-1]
    assert line.startswith("w1,2026-11-20,\"'=HYPERLINK(\"\"x\"\")\",")
    assert ",12.5,,0,2," in line
