{#-
    Workspace-level conversation figures per window as of D, shared by
    team_kpis and the team columns of agent_leaderboard.
-#}
with

activity as (
    select * from {{ ref('fct_conversation_activity') }}
),

-- each activity row once per window whose current or prior window holds it
windowed as (
    {{ windowed_fact_rows('activity') }}
),

final as (
    select
        workspace_id,
        period_days,
        count(
            distinct case
                when in_window and (human_replies > 0 or ai_replies > 0) then conversation_id
            end
        ) as conversations_replied,
        count(
            distinct case
                when in_window and ai_replies > 0
                    and (human_takeover_date is null or human_takeover_date > {{ as_of_date() }})
                    then conversation_id
            end
        ) as ai_handled_conversations,
        {{ exact_median("case when in_window then first_response_seconds end") }}
            as median_first_response_seconds,
        sum(case when in_window and csat_counted then 1 else 0 end) as csat_responses,
        avg(case when in_window and csat_counted then csat_score end) as csat_avg,
        count(
            distinct case
                when not in_window and (human_replies > 0 or ai_replies > 0) then conversation_id
            end
        ) as prev_conversations_replied
    from windowed
    group by 1, 2
)

select * from final
