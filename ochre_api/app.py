"""FastAPI app: read API over the published leaderboard file, plus the page at ``/``."""

import csv
import datetime as dt
import io
import os
from pathlib import Path
from typing import Annotated, Any

import duckdb
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from ochre_analytics.windows import DEFAULT_PERIOD, leaderboard_windows
from ochre_api import models
from ochre_api.auth import Claims, TokenError, verify_token
from ochre_api.settings import conversation_url, resolve_conversation_url_template, resolve_secret
from ochre_api.settings import published_path as default_published_path
from ochre_api.store import PublishedDB, PublishedStore, PublishedUnavailable

STATIC_DIR = Path(__file__).parent / "static"
PERIODS = leaderboard_windows()  # seeds/leaderboard_windows.csv; the page gets them in /api/me
MANAGER_ROLES = ("owner", "admin")

LEADERBOARD_COLUMNS = ", ".join(models.LeaderboardRow.model_fields)
CONVERSATION_COLUMNS = list(models.ConversationSummaryRow.model_fields)
# A text cell starting with one of these is a formula to a spreadsheet: it gets a leading '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DAILY_COUNT_COLUMNS = (
    "conversations_handled",
    "replies_sent",
    "first_response_samples",
    "csat_responses",
    "ai_draft_sent_replies",
    "ai_draft_edited_replies",
    "scratch_replies",
    "mentions_received",
)

PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-store",
}

_bearer = HTTPBearer(auto_error=False, description="JWT (HS256) from `ochre-analytics token`")

PeriodParam = Annotated[
    str | None,
    Query(description="Window in days: 7, 14, 30 or 90 (default 30)", examples=["30"]),
]


def bearer_claims(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Claims:
    """The verified claims of the bearer token (401 when missing, forged or expired)."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise _fail(401, "missing bearer token")
    try:
        return verify_token(request.app.state.secret, credentials.credentials)
    except TokenError as exc:
        raise _fail(401, str(exc)) from exc


ClaimsDep = Annotated[Claims, Depends(bearer_claims)]


class Viewer:
    def __init__(self, row: dict[str, Any]) -> None:
        self.agent_id: str = row["agent_id"]
        self.workspace_id: str = row["workspace_id"]
        self.role: str = row["agent_role"]
        self.row = row

    @property
    def sees_whole_workspace(self) -> bool:
        return self.role in MANAGER_ROLES


def _fail(status: int, message: str) -> HTTPException:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return HTTPException(status_code=status, detail=message, headers=headers)


def parse_period(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_PERIOD
    if value.strip() not in {str(p) for p in PERIODS}:
        raise _fail(400, "period must be one of " + ", ".join(str(p) for p in PERIODS))
    return int(value)


def windows(as_of: dt.date, days: int) -> tuple[models.Window, models.Window]:
    start = as_of - dt.timedelta(days=days - 1)
    prior_end = start - dt.timedelta(days=1)
    prior_start = prior_end - dt.timedelta(days=days - 1)
    return (
        models.Window(period_days=days, start=start, end=as_of),
        models.Window(period_days=days, start=prior_start, end=prior_end),
    )


def publish_info(db: PublishedDB) -> dict[str, Any]:
    """The as-of date of the published file (publish_metadata, else the leaderboard's)."""
    try:
        row = db.row(
            "SELECT as_of_date, CAST(published_at AS VARCHAR) AS published_at "
            "FROM publish_metadata ORDER BY as_of_date DESC LIMIT 1"
        )
    except duckdb.CatalogException:
        row = None
    if row is None or row["as_of_date"] is None:
        fallback = db.row("SELECT max(as_of_date) AS as_of_date FROM agent_leaderboard")
        row = {"as_of_date": fallback["as_of_date"] if fallback else None, "published_at": None}
    return row


def require_as_of(db: PublishedDB) -> dt.date:
    as_of = publish_info(db)["as_of_date"]
    if as_of is None:
        raise PublishedUnavailable("the published leaderboard holds no as-of date yet")
    return as_of


def resolve_viewer(db: PublishedDB, claims: Claims) -> Viewer:
    row = db.row(
        "SELECT a.agent_id, a.workspace_id, a.agent_name, a.agent_role, a.agent_status, "
        "w.workspace_name, w.timezone "
        "FROM agents a LEFT JOIN workspaces w ON w.workspace_id = a.workspace_id "
        "WHERE a.agent_id = ? AND a.workspace_id = ?",
        [claims.agent_id, claims.workspace_id],
    )
    if row is None:
        raise _fail(401, "unknown agent for this workspace")
    if row["agent_status"] != "active":
        raise _fail(403, "this agent is deactivated")
    return Viewer(row)


def visible_agent(db: PublishedDB, viewer: Viewer, agent_id: str) -> dict[str, Any]:
    """The agent `agent_id` of the viewer's workspace, if the viewer may see their figures:
    404 when there is no such agent there, 403 for an agent naming someone else."""
    target = db.row(
        "SELECT agent_id, workspace_id, agent_name, agent_role, agent_status "
        "FROM agents WHERE agent_id = ? AND workspace_id = ?",
        [agent_id, viewer.workspace_id],
    )
    if target is None:
        raise _fail(404, "no such agent in your workspace")
    if not viewer.sees_whole_workspace and agent_id != viewer.agent_id:
        raise _fail(403, "agents may only see their own figures")
    return target


def _daily_series(
    db: PublishedDB, viewer: Viewer, agent_id: str, as_of: dt.date, window: models.Window
) -> list[models.DailyPoint]:
    found = {
        r["activity_date"]: r
        for r in db.rows(
            "SELECT * FROM agent_daily_activity WHERE workspace_id = ? AND as_of_date = ? "
            "AND agent_id = ? AND activity_date BETWEEN ? AND ?",
            [viewer.workspace_id, as_of, agent_id, window.start, window.end],
        )
    }
    series = []
    for i in range(window.period_days):
        day = window.start + dt.timedelta(days=i)
        r = found.get(day)
        # A date without a row is a day of zeros; a median or average of nothing is null.
        counts = {c: int((r or {}).get(c) or 0) for c in DAILY_COUNT_COLUMNS}
        score_sum = float((r or {}).get("csat_score_sum") or 0)
        assisted = counts["ai_draft_sent_replies"] + counts["ai_draft_edited_replies"]
        series.append(
            models.DailyPoint(
                activity_date=day,
                **counts,
                median_first_response_seconds=(r or {}).get("median_first_response_seconds"),
                median_first_response_business_seconds=(r or {}).get(
                    "median_first_response_business_seconds"
                ),
                csat_score_sum=score_sum,
                csat_avg=score_sum / counts["csat_responses"] if counts["csat_responses"] else None,
                ai_assisted_reply_pct=(
                    100.0 * assisted / counts["replies_sent"] if counts["replies_sent"] else None
                ),
            )
        )
    return series


def visible_conversations_sql(viewer: Viewer) -> tuple[str, list[Any]]:
    """The conversation_summary rows the viewer may see (without the as-of date filter):
    owner/admin every conversation of their workspace, an agent those whose
    ``agents_replied`` lists them (docs/api.md)."""
    sql = "workspace_id = ?"
    params: list[Any] = [viewer.workspace_id]
    if not viewer.sees_whole_workspace:
        sql += " AND list_contains(string_split(agents_replied, ','), ?)"
        params.append(viewer.agent_id)
    return sql, params


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def conversations_csv(rows: list[dict[str, Any]]) -> str:
    """CSV text: a header of the published columns, then one line per row (null: empty)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CONVERSATION_COLUMNS)
    for row in rows:
        writer.writerow([_csv_cell(row[c]) for c in CONVERSATION_COLUMNS])
    return out.getvalue()


def create_app(
    published_path: str | os.PathLike[str] | None = None,
    *,
    secret: str | None = None,
    conversation_url_template: str | None = None,
) -> FastAPI:
    """Build the app. ``published_path`` defaults to
    ``$OCHRE_WAREHOUSE_DIR/published/leaderboard.duckdb``; ``secret`` to
    ``$OCHRE_API_SECRET`` (raises ``ConfigError`` when neither is set);
    ``conversation_url_template`` (the low-score conversations' links) to
    ``$OCHRE_CONVERSATION_URL_TEMPLATE`` (no links when neither is set; ``ConfigError``
    when it is not an http(s) URL with ``{conversation_id}``)."""
    secret_value = resolve_secret(secret)
    url_template = resolve_conversation_url_template(conversation_url_template)
    store = PublishedStore(published_path or default_published_path())

    app = FastAPIOffline(
        title="Ochre leaderboard API",
        version="1.0",
        description=(
            "Read-only API over the published leaderboard "
            "(`<warehouse>/published/leaderboard.duckdb`). Authenticate with "
            "`Authorization: Bearer <JWT>`; the viewer's role comes from the published "
            "`agents` table. owner/admin see every agent of their workspace, an agent "
            "only themselves."
        ),
        static_url="/static-docs",
    )
    app.state.store = store
    app.state.secret = secret_value

    @app.exception_handler(PublishedUnavailable)
    async def _unavailable(_: Request, exc: PublishedUnavailable) -> JSONResponse:
        return JSONResponse(
            {"detail": str(exc)}, status_code=503, headers={"Retry-After": "30"}
        )

    @app.exception_handler(duckdb.Error)
    async def _db_error(_: Request, exc: duckdb.Error) -> JSONResponse:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return JSONResponse(
            {"detail": f"the published leaderboard is not readable: {first}"}, status_code=503
        )

    @app.exception_handler(RequestValidationError)
    async def _bad_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        where = ".".join(str(p) for p in errors[0].get("loc", ())) if errors else "request"
        return JSONResponse({"detail": f"invalid {where}"}, status_code=400)

    @app.middleware("http")
    async def _no_store(request: Request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        if request.url.path.startswith("/api/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    errors: dict[int | str, dict[str, Any]] = {
        code: {"model": models.ErrorMessage, "description": text}
        for code, text in {
            400: "bad period",
            401: "missing, forged or expired token; agent unknown in that workspace",
            403: "deactivated viewer, or an agent asking for someone else",
            503: "nothing published yet",
        }.items()
    }

    @app.get("/api/me", response_model=models.Me, responses=errors, tags=["api"])
    def me(token: ClaimsDep) -> models.Me:
        """Who the token belongs to, with the role from the published agents table."""
        with store.open() as db:
            viewer = resolve_viewer(db, token)
            info = publish_info(db)
        r = viewer.row
        return models.Me(
            agent_id=r["agent_id"],
            agent_name=r["agent_name"],
            agent_role=r["agent_role"],
            agent_status=r["agent_status"],
            workspace_id=r["workspace_id"],
            workspace_name=r["workspace_name"],
            timezone=r["timezone"],
            sees_whole_workspace=viewer.sees_whole_workspace,
            as_of_date=info["as_of_date"],
            published_at=info["published_at"],
            periods=list(PERIODS),
            default_period=DEFAULT_PERIOD,
        )

    @app.get(
        "/api/leaderboard", response_model=models.Leaderboard, responses=errors, tags=["api"]
    )
    def leaderboard(token: ClaimsDep, period: PeriodParam = None) -> models.Leaderboard:
        """The viewer's leaderboard rows for the window, ordered by agent name:
        every agent of the workspace for owner/admin, only their own row for an agent."""
        with store.open() as db:
            viewer = resolve_viewer(db, token)
            days = parse_period(period)
            as_of = require_as_of(db)
            sql = (
                f"SELECT {LEADERBOARD_COLUMNS} FROM agent_leaderboard "
                "WHERE workspace_id = ? AND as_of_date = ? AND period_days = ?"
            )
            params: list[Any] = [viewer.workspace_id, as_of, days]
            if not viewer.sees_whole_workspace:
                sql += " AND agent_id = ?"
                params.append(viewer.agent_id)
            rows = db.rows(sql + " ORDER BY agent_name, agent_id", params)
        window, prior = windows(as_of, days)
        return models.Leaderboard(
            workspace_id=viewer.workspace_id,
            as_of_date=as_of,
            window=window,
            prior_window=prior,
            rows=[models.LeaderboardRow(**r) for r in rows],
        )

    @app.get(
        "/api/agents/{agent_id}",
        response_model=models.AgentDetail,
        responses={**errors, 404: {"model": models.ErrorMessage, "description": "no such agent"}},
        tags=["api"],
    )
    def agent_detail(agent_id: str, token: ClaimsDep, period: PeriodParam = None):
        """Drill-down: the leaderboard row, the daily series for the window and the
        prior window (missing dates filled with zeros), and the low-score (1-2)
        conversations submitted in the window, each with its link when
        OCHRE_CONVERSATION_URL_TEMPLATE is set."""
        with store.open() as db:
            viewer = resolve_viewer(db, token)
            days = parse_period(period)
            target = visible_agent(db, viewer, agent_id)
            as_of = require_as_of(db)
            window, prior = windows(as_of, days)
            row = db.row(
                f"SELECT {LEADERBOARD_COLUMNS} FROM agent_leaderboard WHERE workspace_id = ? "
                "AND as_of_date = ? AND period_days = ? AND agent_id = ?",
                [viewer.workspace_id, as_of, days, agent_id],
            )
            daily = _daily_series(db, viewer, agent_id, as_of, window)
            prior_daily = _daily_series(db, viewer, agent_id, as_of, prior)
            low = db.rows(
                "SELECT conversation_id, CAST(score AS DOUBLE) AS score, "
                "strftime(submitted_at, '%Y-%m-%dT%H:%M:%SZ') AS submitted_at, submitted_date "
                "FROM agent_low_csat_conversations WHERE workspace_id = ? AND as_of_date = ? "
                "AND agent_id = ? AND submitted_date BETWEEN ? AND ? "
                "ORDER BY submitted_at DESC, conversation_id",
                [viewer.workspace_id, as_of, agent_id, window.start, window.end],
            )
        return models.AgentDetail(
            agent=models.AgentSummary(**target),
            as_of_date=as_of,
            window=window,
            prior_window=prior,
            leaderboard_row=models.LeaderboardRow(**row) if row else None,
            daily=daily,
            prior_daily=prior_daily,
            low_csat_conversations=[
                models.LowCsatConversation(
                    **r, conversation_url=conversation_url(url_template, r["conversation_id"])
                )
                for r in low
            ],
        )

    @app.get(
        "/api/team",
        response_model=models.TeamKpis,
        responses={**errors, 404: {"model": models.ErrorMessage, "description": "no row"}},
        tags=["api"],
    )
    def team(token: ClaimsDep, period: PeriodParam = None) -> models.TeamKpis:
        """The team KPI tiles (team_kpis) of the viewer's workspace; every role sees them."""
        with store.open() as db:
            viewer = resolve_viewer(db, token)
            days = parse_period(period)
            as_of = require_as_of(db)
            row = db.row(
                "SELECT * FROM team_kpis WHERE workspace_id = ? AND as_of_date = ? "
                "AND period_days = ?",
                [viewer.workspace_id, as_of, days],
            )
        if row is None:
            raise _fail(404, "no team figures published for this window")
        window, prior = windows(as_of, days)
        fields = set(models.TeamKpis.model_fields)
        return models.TeamKpis(
            **{k: v for k, v in row.items() if k in fields},
            workspace_name=viewer.row["workspace_name"],
            window=window,
            prior_window=prior,
        )

    @app.get(
        "/api/conversations.csv",
        response_class=Response,
        responses={
            **errors,
            200: {
                "content": {"text/csv": {}},
                "description": "conversation_summary rows (columns: ConversationSummaryRow)",
            },
            404: {"model": models.ErrorMessage, "description": "no such agent"},
        },
        tags=["api"],
    )
    def conversations(
        token: ClaimsDep,
        agent_id: Annotated[
            str | None,
            Query(description="only the conversations this agent replied on (drill-down)"),
        ] = None,
    ) -> Response:
        """The conversation export as CSV: one row per conversation with activity in the
        90 days to the as-of date (conversation_summary), ordered by conversation. An
        owner/admin gets every conversation of the workspace, an agent the conversations
        they replied on; ``agent_id`` narrows to one agent's (an agent may only name
        themselves)."""
        with store.open() as db:
            viewer = resolve_viewer(db, token)
            if agent_id is not None:
                visible_agent(db, viewer, agent_id)
            as_of = require_as_of(db)
            where, params = visible_conversations_sql(viewer)
            if agent_id is not None:
                where += " AND list_contains(string_split(agents_replied, ','), ?)"
                params.append(agent_id)
            rows = db.rows(
                f"SELECT {', '.join(CONVERSATION_COLUMNS)} FROM conversation_summary "
                f"WHERE {where} AND as_of_date = ? ORDER BY conversation_id",
                [*params, as_of],
            )
        name = f"conversations-{as_of.isoformat()}" + (f"-{agent_id}" if agent_id else "")
        safe = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)
        return Response(
            conversations_csv(rows),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{safe}.csv"'},
        )

    @app.get("/", include_in_schema=False)
    def page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html", headers=PAGE_HEADERS)

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    return app
