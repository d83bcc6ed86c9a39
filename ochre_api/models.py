"""Response shapes (they are what /docs shows)."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class Me(BaseModel):
    agent_id: str
    agent_name: str | None
    agent_role: str = Field(description="owner, admin or agent, from the published agents table")
    agent_status: str
    workspace_id: str
    workspace_name: str | None
    timezone: str | None
    sees_whole_workspace: bool = Field(
        description="true for owner/admin (every agent row), false for agent (own row only)"
    )
    as_of_date: dt.date | None
    published_at: str | None
    periods: list[int] = Field(
        description="the leaderboard windows in days (seeds/leaderboard_windows.csv)"
    )
    default_period: int = Field(description="the window shown first")


class LeaderboardRow(BaseModel):
    workspace_id: str
    as_of_date: dt.date
    period_days: int
    agent_id: str
    agent_name: str | None
    agent_role: str | None
    agent_status: str | None
    conversations_handled: int
    replies_sent: int
    first_response_samples: int
    median_first_response_seconds: float | None
    median_first_response_business_seconds: float | None = Field(
        description="null without samples or when the workspace has no business hours"
    )
    csat_responses: int
    csat_avg: float | None
    csat_ci_low: float | None
    csat_ci_high: float | None
    ai_draft_sent_replies: int
    ai_draft_edited_replies: int
    scratch_replies: int
    ai_assisted_reply_pct: float | None
    mentions_received: int
    prev_conversations_handled: int
    team_median_first_response_seconds: float | None
    team_median_first_response_business_seconds: float | None
    team_csat_avg: float | None
    team_csat_ci_low: float | None
    team_csat_ci_high: float | None
    team_ai_assisted_reply_pct: float | None
    team_median_conversations_handled: float | None
    load_quadrant: str | None


class Window(BaseModel):
    period_days: int
    start: dt.date
    end: dt.date


class Leaderboard(BaseModel):
    workspace_id: str
    as_of_date: dt.date
    window: Window
    prior_window: Window
    rows: list[LeaderboardRow]


class TeamKpis(BaseModel):
    workspace_id: str
    workspace_name: str | None
    as_of_date: dt.date
    period_days: int
    window: Window
    prior_window: Window
    conversations_replied: int
    ai_handled_conversations: int
    ai_handled_pct: float | None
    median_first_response_seconds: float | None
    median_first_response_business_seconds: float | None
    csat_avg: float | None
    csat_ci_low: float | None = Field(description="95 % interval of csat_avg, lower end")
    csat_ci_high: float | None = Field(description="95 % interval of csat_avg, upper end")
    csat_responses: int
    nps: float | None
    nps_responses: int
    prev_conversations_replied: int


class DailyPoint(BaseModel):
    activity_date: dt.date
    conversations_handled: int
    replies_sent: int
    first_response_samples: int
    median_first_response_seconds: float | None = Field(
        description="null on a day without first-response samples"
    )
    median_first_response_business_seconds: float | None = Field(
        description="null on a day without samples or when the workspace has no business hours"
    )
    csat_responses: int
    csat_score_sum: float
    csat_avg: float | None = Field(description="csat_score_sum / csat_responses; null when 0")
    ai_draft_sent_replies: int
    ai_draft_edited_replies: int
    scratch_replies: int
    ai_assisted_reply_pct: float | None
    mentions_received: int


class LowCsatConversation(BaseModel):
    conversation_id: str
    score: float
    submitted_at: str = Field(description="UTC, ISO 8601")
    submitted_date: dt.date = Field(description="local date in the workspace's timezone")
    conversation_url: str | None = Field(
        default=None,
        description="link to the conversation (OCHRE_CONVERSATION_URL_TEMPLATE with the "
        "percent-encoded id); null when that setting is unset",
    )


class AgentSummary(BaseModel):
    agent_id: str
    workspace_id: str
    agent_name: str | None
    agent_role: str | None
    agent_status: str | None


class AgentDetail(BaseModel):
    agent: AgentSummary
    as_of_date: dt.date
    window: Window
    prior_window: Window
    leaderboard_row: LeaderboardRow | None = Field(
        description="null when the agent has no row for this window (e.g. deactivated, idle)"
    )
    daily: list[DailyPoint] = Field(description="one point per date of the window, oldest first")
    prior_daily: list[DailyPoint] = Field(description="one point per date of the prior window")
    low_csat_conversations: list[LowCsatConversation]


class ConversationSummaryRow(BaseModel):
    """One row of the CSV export (/api/conversations.csv): conversation_summary."""

    workspace_id: str
    as_of_date: dt.date
    conversation_id: str
    opened_date: dt.date | None
    first_responder_agent_id: str | None
    first_response_date: dt.date | None
    first_response_seconds: float | None
    first_response_business_seconds: float | None
    human_replies: int
    ai_replies: int
    handling: str | None = Field(description="ai_handled, handed_off or human; null: no reply")
    csat_score: int | None
    csat_submitted_date: dt.date | None
    agents_replied: str | None = Field(description="agent ids, sorted, comma-separated")


class ErrorMessage(BaseModel):
    detail: str
