{#-
    Workspace-level conversation figures per window as of D, shared by
    team_kpis and the team columns of agent_leaderboard.
-#}
with

windows as (
    select period_days from {{ ref('leaderboard_windows') }}
),

-- the fact rows of each window and of its prior window (the 2N local dates to D)
activity as (
    select
        windows.period_days,
        fct.*,
        fct.activity_date > {{ add_days(as_of_date(), '-windows.period_days') }} as in_window,
        fct.csat_responses > 0
        and (fct.csat_superseded_on is null or fct.csat_superseded_on > {{ as_of_date() }})
            as csat_counted
    from {{ ref('fct_conversation_activity') }} as fct
    inner join windows
        on fct.activity_date > {{ add_days(as_of_date(), '-2 * windows.period_days') }}
        and fct.activity_date <= {{ as_of_date() }}
),

-- per conversation: replied (AI-handled) in the window, replied in its prior window
replied_conversations as (
    select
        workspace_id,
        period_days,
        conversation_id,
        max(case when in_window then 1 else 0 end) as replied,
        max(
            case
                when in_window
                    and ai_replies > 0
                    and (human_takeover_date is null or human_takeover_date > {{ as_of_date() }})
                    then 1
                else 0
            end
        ) as ai_handled,
        max(case when not in_window then 1 else 0 end) as prev_replied
    from activity
    where human_replies > 0 or ai_replies > 0
    group by workspace_id, period_days, conversation_id
),

conversation_counts as (
    select
        workspace_id,
        period_days,
        sum(replied) as conversations_replied,
        sum(ai_handled) as ai_handled_conversations,
        sum(prev_replied) as prev_conversations_replied
    from replied_conversations
    group by workspace_id, period_days
),

figures as (
    select
        workspace_id,
        period_days,
        {{ exact_median("case when in_window then first_response_seconds end") }}
            as median_first_response_seconds,
        {{ exact_median("case when in_window then first_response_business_seconds end") }}
            as median_first_response_business_seconds,
        sum(case when in_window and csat_counted then 1 else 0 end) as csat_responses,
        avg(case when in_window and csat_counted then csat_score end) as csat_avg
    from activity
    group by workspace_id, period_days
),

-- one row per workspace and window with fact rows in the window or its prior window
final as (
    select
        figures.workspace_id,
        figures.period_days,
        cast(coalesce(conversation_counts.conversations_replied, 0) as bigint)
            as conversations_replied,
        cast(coalesce(conversation_counts.ai_handled_conversations, 0) as bigint)
            as ai_handled_conversations,
        figures.median_first_response_seconds,
        figures.median_first_response_business_seconds,
        cast(figures.csat_responses as bigint) as csat_responses,
        figures.csat_avg,
        {{ csat_interval('low', 'figures.csat_avg', 'figures.csat_responses') }} as csat_ci_low,
        {{ csat_interval('high', 'figures.csat_avg', 'figures.csat_responses') }} as csat_ci_high,
        cast(coalesce(conversation_counts.prev_conversations_replied, 0) as bigint)
            as prev_conversations_replied
    from figures
    left join conversation_counts
        on figures.workspace_id = conversation_counts.workspace_id
        and figures.period_days = conversation_counts.period_days
)

select * from final
