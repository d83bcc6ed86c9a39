{#- One row per workspace, as-of date, window and agent (spec/metrics.md, agent_leaderboard.yml). -#}
with

agents as (
    select * from {{ ref('agents') }}
),

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
    from {{ ref('fct_agent_activity') }} as fct
    inner join windows
        on fct.activity_date > {{ add_days(as_of_date(), '-2 * windows.period_days') }}
        and fct.activity_date <= {{ as_of_date() }}
),

agent_windows as (
    select
        agent_id,
        period_days,
        count(distinct case when in_window and replies_sent > 0 then conversation_id end)
            as conversations_handled,
        count(distinct case when not in_window and replies_sent > 0 then conversation_id end)
            as prev_conversations_handled,
        sum(case when in_window then replies_sent else 0 end) as replies_sent,
        sum(case when in_window then first_response_samples else 0 end) as first_response_samples,
        {{ exact_median("case when in_window then first_response_seconds end") }}
            as median_first_response_seconds,
        {{ exact_median("case when in_window then first_response_business_seconds end") }}
            as median_first_response_business_seconds,
        sum(case when in_window and csat_counted then 1 else 0 end) as csat_responses,
        avg(case when in_window and csat_counted then csat_score end) as csat_avg,
        sum(case when in_window then ai_draft_sent_replies else 0 end) as ai_draft_sent_replies,
        sum(case when in_window then ai_draft_edited_replies else 0 end) as ai_draft_edited_replies,
        sum(case when in_window then scratch_replies else 0 end) as scratch_replies,
        sum(case when in_window then mentions_received else 0 end) as mentions_received,
        max(
            case
                when in_window
                    and (
                        replies_sent > 0 or first_response_samples > 0
                        or csat_counted or mentions_received > 0
                    )
                    then 1
                else 0
            end
        ) as has_activity
    from activity
    group by agent_id, period_days
),

team_windows as (
    select
        workspace_id,
        period_days,
        {{ exact_median("case when in_window then first_response_seconds end") }}
            as team_median_first_response_seconds,
        {{ exact_median("case when in_window then first_response_business_seconds end") }}
            as team_median_first_response_business_seconds,
        sum(case when in_window then replies_sent else 0 end) as team_replies_sent,
        sum(
            case when in_window then ai_draft_sent_replies + ai_draft_edited_replies else 0 end
        ) as team_ai_assisted_replies
    from activity
    group by workspace_id, period_days
),

team_csat as (
    select * from {{ ref('int_team_conversation_windows') }}
),

-- every active agent, and any other agent with activity in the window
rows_shown as (
    select
        agents.workspace_id,
        windows.period_days,
        agents.agent_id,
        agents.agent_name,
        agents.agent_role,
        agents.agent_status,
        coalesce(agent_windows.conversations_handled, 0) as conversations_handled,
        coalesce(agent_windows.replies_sent, 0) as replies_sent,
        coalesce(agent_windows.first_response_samples, 0) as first_response_samples,
        agent_windows.median_first_response_seconds,
        agent_windows.median_first_response_business_seconds,
        coalesce(agent_windows.csat_responses, 0) as csat_responses,
        agent_windows.csat_avg,
        {{ csat_interval('low', 'agent_windows.csat_avg', 'agent_windows.csat_responses') }}
            as csat_ci_low,
        {{ csat_interval('high', 'agent_windows.csat_avg', 'agent_windows.csat_responses') }}
            as csat_ci_high,
        coalesce(agent_windows.ai_draft_sent_replies, 0) as ai_draft_sent_replies,
        coalesce(agent_windows.ai_draft_edited_replies, 0) as ai_draft_edited_replies,
        coalesce(agent_windows.scratch_replies, 0) as scratch_replies,
        coalesce(agent_windows.mentions_received, 0) as mentions_received,
        coalesce(agent_windows.prev_conversations_handled, 0) as prev_conversations_handled
    from agents
    cross join windows
    left join agent_windows
        on agents.agent_id = agent_windows.agent_id
        and windows.period_days = agent_windows.period_days
    where agents.agent_status = 'active'
        or agent_windows.has_activity = 1
),

team_volume as (
    select
        workspace_id,
        period_days,
        {{ exact_median("conversations_handled") }} as team_median_conversations_handled
    from rows_shown
    group by workspace_id, period_days
),

joined as (
    select
        rows_shown.*,
        team_windows.team_median_first_response_seconds,
        team_windows.team_median_first_response_business_seconds,
        team_csat.csat_avg as team_csat_avg,
        team_csat.csat_ci_low as team_csat_ci_low,
        team_csat.csat_ci_high as team_csat_ci_high,
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
        cast(median_first_response_business_seconds as double) as median_first_response_business_seconds,
        cast(csat_responses as bigint) as csat_responses,
        cast(csat_avg as double) as csat_avg,
        cast(csat_ci_low as double) as csat_ci_low,
        cast(csat_ci_high as double) as csat_ci_high,
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
        cast(team_median_first_response_business_seconds as double)
            as team_median_first_response_business_seconds,
        cast(team_csat_avg as double) as team_csat_avg,
        cast(team_csat_ci_low as double) as team_csat_ci_low,
        cast(team_csat_ci_high as double) as team_csat_ci_high,
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
