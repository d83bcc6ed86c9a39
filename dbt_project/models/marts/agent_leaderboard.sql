{#- One row per workspace, as-of date, window and agent (spec/metrics.md). -#}
with

agents as (
    select * from {{ ref('agents') }}
),

-- read by several CTEs, each with its own filters (not stored once)
activity as {{ cte_not_materialized() }} (
    {{ fact_rows_to_as_of(ref('fct_agent_activity')) }}
),

periods as (
    select * from {{ leaderboard_periods() }}
),

-- per agent and conversation: replied in each window, and in its prior window
agent_conversations as (
    select
        agent_id,
        conversation_id,
        {{ window_columns({
            "handled": "max(case when {in_window} then 1 else 0 end)",
            "prev_handled": "max(case when {in_prior_window} then 1 else 0 end)",
        }) }}
    from activity
    where replies_sent > 0
    group by 1, 2
),

agent_handled as (
    select
        agent_id,
        {{ window_columns({
            "conversations_handled": "sum(handled_{n})",
            "prev_conversations_handled": "sum(prev_handled_{n})",
        }) }}
    from agent_conversations
    group by 1
),

-- per agent, one column per window
agent_figures as (
    select
        agent_id,
        {{ window_columns({
            "present": "max(case when {in_window_or_prior} then 1 else 0 end)",
            "replies_sent": "sum(case when {in_window} then replies_sent else 0 end)",
            "first_response_samples": "sum(case when {in_window} then first_response_samples else 0 end)",
            "median_first_response_seconds":
                exact_median("case when {in_window} then first_response_seconds end"),
            "csat_responses": "sum(case when {in_window} and csat_counted then 1 else 0 end)",
            "csat_avg": "avg(case when {in_window} and csat_counted then csat_score end)",
            "ai_draft_sent_replies": "sum(case when {in_window} then ai_draft_sent_replies else 0 end)",
            "ai_draft_edited_replies": "sum(case when {in_window} then ai_draft_edited_replies else 0 end)",
            "scratch_replies": "sum(case when {in_window} then scratch_replies else 0 end)",
            "mentions_received": "sum(case when {in_window} then mentions_received else 0 end)",
            "has_activity": "max(case when {in_window} and (replies_sent > 0"
                ~ " or first_response_samples > 0 or csat_counted or mentions_received > 0)"
                ~ " then 1 else 0 end)",
        }) }}
    from activity
    group by 1
),

-- one row per agent and window with fact rows in the window or its prior window
agent_windows as (
    {{ unpivot_windows("agent_figures left join agent_handled using (agent_id)", ["agent_id"], {
        "conversations_handled": "coalesce(conversations_handled_{n}, 0)",
        "replies_sent": "replies_sent_{n}",
        "first_response_samples": "first_response_samples_{n}",
        "median_first_response_seconds": "median_first_response_seconds_{n}",
        "csat_responses": "csat_responses_{n}",
        "csat_avg": "csat_avg_{n}",
        "ai_draft_sent_replies": "ai_draft_sent_replies_{n}",
        "ai_draft_edited_replies": "ai_draft_edited_replies_{n}",
        "scratch_replies": "scratch_replies_{n}",
        "mentions_received": "mentions_received_{n}",
        "prev_conversations_handled": "coalesce(prev_conversations_handled_{n}, 0)",
        "has_activity": "has_activity_{n}",
    }) }}
),

team_figures as (
    select
        workspace_id,
        {{ window_columns({
            "present": "max(case when {in_window_or_prior} then 1 else 0 end)",
            "team_median_first_response_seconds":
                exact_median("case when {in_window} then first_response_seconds end"),
            "team_replies_sent": "sum(case when {in_window} then replies_sent else 0 end)",
            "team_ai_assisted_replies": "sum(case when {in_window}"
                ~ " then ai_draft_sent_replies + ai_draft_edited_replies else 0 end)",
        }) }}
    from activity
    group by 1
),

team_windows as (
    {{ unpivot_windows("team_figures", ["workspace_id"], {
        "team_median_first_response_seconds": "team_median_first_response_seconds_{n}",
        "team_replies_sent": "team_replies_sent_{n}",
        "team_ai_assisted_replies": "team_ai_assisted_replies_{n}",
    }) }}
),

team_csat as (
    select * from {{ ref('int_team_conversation_windows') }}
),

rows_shown as (
    select
        agents.workspace_id,
        periods.period_days,
        agents.agent_id,
        agents.agent_name,
        agents.agent_role,
        agents.agent_status,
        coalesce(agent_windows.conversations_handled, 0) as conversations_handled,
        coalesce(agent_windows.replies_sent, 0) as replies_sent,
        coalesce(agent_windows.first_response_samples, 0) as first_response_samples,
        agent_windows.median_first_response_seconds,
        coalesce(agent_windows.csat_responses, 0) as csat_responses,
        agent_windows.csat_avg,
        coalesce(agent_windows.ai_draft_sent_replies, 0) as ai_draft_sent_replies,
        coalesce(agent_windows.ai_draft_edited_replies, 0) as ai_draft_edited_replies,
        coalesce(agent_windows.scratch_replies, 0) as scratch_replies,
        coalesce(agent_windows.mentions_received, 0) as mentions_received,
        coalesce(agent_windows.prev_conversations_handled, 0) as prev_conversations_handled
    from agents
    cross join periods
    left join agent_windows
        on agents.agent_id = agent_windows.agent_id
        and periods.period_days = agent_windows.period_days
    where agents.agent_status = 'active'
        or agent_windows.has_activity = 1
),

team_volume as (
    select
        workspace_id,
        period_days,
        {{ exact_median("conversations_handled") }} as team_median_conversations_handled
    from rows_shown
    group by 1, 2
),

joined as (
    select
        rows_shown.*,
        team_windows.team_median_first_response_seconds,
        team_csat.csat_avg as team_csat_avg,
        case
            when team_windows.team_replies_sent > 0
                then cast(100 as double) * team_windows.team_ai_assisted_replies
                    / team_windows.team_replies_sent
        end as team_ai_assisted_reply_pct,
        team_volume.team_median_conversations_handled
    from rows_shown
    left join team_windows
        on rows_shown.workspace_id = team_windows.workspace_id
        and rows_shown.period_days = team_windows.period_days
    left join team_csat
        on rows_shown.workspace_id = team_csat.workspace_id
        and rows_shown.period_days = team_csat.period_days
    left join team_volume
        on rows_shown.workspace_id = team_volume.workspace_id
        and rows_shown.period_days = team_volume.period_days
),

final as (
    select
        workspace_id,
        {{ as_of_date() }} as as_of_date,
        cast(period_days as integer) as period_days,
        agent_id,
        agent_name,
        agent_role,
        agent_status,
        cast(conversations_handled as bigint) as conversations_handled,
        cast(replies_sent as bigint) as replies_sent,
        cast(first_response_samples as bigint) as first_response_samples,
        cast(median_first_response_seconds as double) as median_first_response_seconds,
        cast(csat_responses as bigint) as csat_responses,
        cast(csat_avg as double) as csat_avg,
        cast(ai_draft_sent_replies as bigint) as ai_draft_sent_replies,
        cast(ai_draft_edited_replies as bigint) as ai_draft_edited_replies,
        cast(scratch_replies as bigint) as scratch_replies,
        cast(
            case
                when replies_sent > 0
                    then cast(100 as double) * (ai_draft_sent_replies + ai_draft_edited_replies)
                        / replies_sent
            end as double
        ) as ai_assisted_reply_pct,
        cast(mentions_received as bigint) as mentions_received,
        cast(prev_conversations_handled as bigint) as prev_conversations_handled,
        cast(team_median_first_response_seconds as double) as team_median_first_response_seconds,
        cast(team_csat_avg as double) as team_csat_avg,
        cast(team_ai_assisted_reply_pct as double) as team_ai_assisted_reply_pct,
        cast(team_median_conversations_handled as double) as team_median_conversations_handled,
        case
            when median_first_response_seconds is null then null
            when conversations_handled >= team_median_conversations_handled
                and median_first_response_seconds <= team_median_first_response_seconds
                then 'workhorse'
            when conversations_handled < team_median_conversations_handled
                and median_first_response_seconds <= team_median_first_response_seconds
                then 'underloaded'
            when conversations_handled >= team_median_conversations_handled
                then 'drowning'
            else 'needs_context'
        end as load_quadrant
    from joined
)

select * from final
