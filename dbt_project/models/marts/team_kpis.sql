{#- One row per workspace, as-of date and window, for every workspace (spec/metrics.md). -#}
with

workspaces as (
    select * from {{ ref('workspaces') }}
),

windows as (
    select period_days from {{ ref('leaderboard_windows') }}
),

conversation_windows as (
    select * from {{ ref('int_team_conversation_windows') }}
),

nps as (
    select
        responses.workspace_id,
        responses.score,
        {{ local_date('responses.submitted_at', 'workspaces.timezone') }} as submitted_date
    from {{ ref('int_nps_responses_deduplicated') }} as responses
    inner join workspaces
        on responses.workspace_id = workspaces.workspace_id
    where responses.copy_status = 'current'
),

nps_windows as (
    select
        nps.workspace_id,
        windows.period_days,
        count(*) as nps_responses,
        sum(case when nps.score >= 9 then 1 else 0 end) as promoters,
        sum(case when nps.score <= 6 then 1 else 0 end) as detractors
    from nps
    inner join windows
        on nps.submitted_date > {{ add_days(as_of_date(), '-windows.period_days') }}
        and nps.submitted_date <= {{ as_of_date() }}
    group by nps.workspace_id, windows.period_days
),

joined as (
    select
        workspaces.workspace_id,
        windows.period_days,
        coalesce(conversation_windows.conversations_replied, 0) as conversations_replied,
        coalesce(conversation_windows.ai_handled_conversations, 0) as ai_handled_conversations,
        conversation_windows.median_first_response_seconds,
        conversation_windows.median_first_response_business_seconds,
        conversation_windows.csat_avg,
        conversation_windows.csat_ci_low,
        conversation_windows.csat_ci_high,
        coalesce(conversation_windows.csat_responses, 0) as csat_responses,
        coalesce(nps_windows.nps_responses, 0) as nps_responses,
        nps_windows.promoters,
        nps_windows.detractors,
        coalesce(conversation_windows.prev_conversations_replied, 0) as prev_conversations_replied
    from workspaces
    cross join windows
    left join conversation_windows
        on workspaces.workspace_id = conversation_windows.workspace_id
        and windows.period_days = conversation_windows.period_days
    left join nps_windows
        on workspaces.workspace_id = nps_windows.workspace_id
        and windows.period_days = nps_windows.period_days
),

final as (
    select
        workspace_id,
        {{ as_of_date() }} as as_of_date,
        cast(period_days as integer) as period_days,
        cast(conversations_replied as bigint) as conversations_replied,
        cast(ai_handled_conversations as bigint) as ai_handled_conversations,
        cast(
            case
                when conversations_replied > 0
                    then cast(100 as double) * ai_handled_conversations / conversations_replied
            end as double
        ) as ai_handled_pct,
        cast(median_first_response_seconds as double) as median_first_response_seconds,
        cast(median_first_response_business_seconds as double) as median_first_response_business_seconds,
        cast(csat_avg as double) as csat_avg,
        cast(csat_ci_low as double) as csat_ci_low,
        cast(csat_ci_high as double) as csat_ci_high,
        cast(csat_responses as bigint) as csat_responses,
        cast(
            case
                when nps_responses > 0 then cast(100 as double) * (promoters - detractors) / nps_responses
            end as double
        ) as nps,
        cast(nps_responses as bigint) as nps_responses,
        cast(prev_conversations_replied as bigint) as prev_conversations_replied
    from joined
)

select * from final
