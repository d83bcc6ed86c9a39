"""Terminal rendering of the published leaderboard."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb

from .config import ConfigError

TEAM_FRT_ALL_SAMPLES = (
    "Team median first response, all agents' samples",
    "median over every agent's first-response samples",
)
"""agent_leaderboard.team_median_first_response_seconds: the Team row; on the page, the
scatter's dashed line and the drill-down's comparison (same name and words there)."""

TEAM_FRT_PER_CONVERSATION = (
    "Team median first response, per conversation",
    "median over each conversation's first human reply",
)
"""team_kpis.median_first_response_seconds: the page's team tile."""


def format_seconds(seconds: float | None) -> str:
    """45s, 10m 05s, 1h 05m, 2d 03h (the page formats durations the same way)."""
    if seconds is None:
        return "-"
    seconds = math.floor(seconds + 0.5)  # half up, as the page's Math.round
    if seconds < 60:
        return f"{seconds}s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h {minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours:02d}h"


def format_csat(avg: float | None, count: int) -> str:
    return "-" if avg is None else f"{avg:.2f} ({count})"


def format_trend(current: int, previous: int) -> str:
    if previous == 0:
        return "new" if current else "-"
    change = 100.0 * (current - previous) / previous
    return f"{change:+.0f}%"


def _table(headers: list[str], rows: list[list[str]], right: set[int]) -> str:
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(c)) for w, c in zip(widths, row, strict=True)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    sep = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), sep] + [line(r) for r in rows])


def render_leaderboard(published_db: Path, period: int, workspace: str | None = None) -> str:
    con = duckdb.connect(str(published_db), read_only=True)
    try:
        params: list[object] = [period]
        where = "l.period_days = ?"
        if workspace:
            where += " and l.workspace_id = ?"
            params.append(workspace)
        rows = con.execute(
            f"""
            select l.*, coalesce(w.workspace_name, l.workspace_id) as workspace_name
            from agent_leaderboard l
            left join workspaces w using (workspace_id)
            where {where}
            order by workspace_name, l.workspace_id, lower(l.agent_name), l.agent_id
            """,
            params,
        ).fetchdf()
        teams = con.execute(
            "select * from team_kpis where period_days = ?" + (
                " and workspace_id = ?" if workspace else ""
            ),
            params,
        ).fetchdf()
        known = [] if not (workspace and rows.empty) else [
            r[0] for r in con.execute(
                "select workspace_id from workspaces union "
                "select distinct workspace_id from agent_leaderboard order by 1"
            ).fetchall()
        ]
    finally:
        con.close()
    if workspace and rows.empty and workspace not in known:
        shown = ", ".join(known[:5]) + (f" and {len(known) - 5} more" if len(known) > 5 else "")
        raise ConfigError(
            f"no workspace {workspace!r} in the published leaderboard {published_db} "
            f"(its workspaces: {shown or 'none'})"
        )
    if rows.empty:
        scope = f" in workspace {workspace}" if workspace else ""
        return f"no leaderboard rows for the {period}-day window{scope}"
    teams = teams.set_index("workspace_id")
    headers = [
        "Agent", "Role", "Convs", "vs prev", "Median 1st resp", "CSAT (n)",
        "AI sent", "AI edited", "Scratch", "AI %", "Mentions", "Load",
    ]
    out: list[str] = []
    as_of = rows["as_of_date"].iloc[0]
    for ws_id, group in rows.groupby("workspace_id", sort=False):
        first = group.iloc[0]
        out.append(f"{first['workspace_name']} ({ws_id}), {period} days to {as_of:%Y-%m-%d}")
        body = []
        for r in group.itertuples():
            body.append([
                f"{r.agent_name or r.agent_id}" + (" (deactivated)" if r.agent_status != "active"
                                                    else ""),
                r.agent_role,
                str(r.conversations_handled),
                format_trend(r.conversations_handled, r.prev_conversations_handled),
                format_seconds(_none(r.median_first_response_seconds)),
                format_csat(_none(r.csat_avg), r.csat_responses),
                str(r.ai_draft_sent_replies),
                str(r.ai_draft_edited_replies),
                str(r.scratch_replies),
                "-" if _none(r.ai_assisted_reply_pct) is None
                else f"{r.ai_assisted_reply_pct:.0f}%",
                str(r.mentions_received),
                r.load_quadrant if isinstance(r.load_quadrant, str) else "-",
            ])
        team_line = [
            "Team", "",
            f"med {first['team_median_conversations_handled']:g}", "",
            format_seconds(_none(first["team_median_first_response_seconds"])),
            format_csat(_none(first["team_csat_avg"]),
                        int(teams.loc[ws_id, "csat_responses"]) if ws_id in teams.index else 0),
            "", "", "",
            "-" if _none(first["team_ai_assisted_reply_pct"]) is None
            else f"{first['team_ai_assisted_reply_pct']:.0f}%",
            "", "",
        ]
        body.append(team_line)
        out.append(_table(headers, body, right={2, 3, 4, 6, 7, 8, 9, 10}))
        per_conversation = (
            _none(teams.loc[ws_id, "median_first_response_seconds"])
            if ws_id in teams.index else None
        )
        for (name, definition), value, where in (
            (TEAM_FRT_ALL_SAMPLES, first["team_median_first_response_seconds"], "Team row"),
            (TEAM_FRT_PER_CONVERSATION, per_conversation, "the page's team tile"),
        ):
            out.append(f"{name}: {format_seconds(_none(value))} ({where}; {definition})")
        out.append("")
    return "\n".join(out).rstrip()


def _none(value: object) -> float | None:
    try:
        if value is None or value != value:  # NaN
            return None
    except TypeError:
        return None
    return float(value)  # type: ignore[arg-type]
