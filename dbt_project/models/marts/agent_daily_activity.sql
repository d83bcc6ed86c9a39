{#- The drill-down's daily series: per agent per local date with activity, D-179 .. D. -#}
with

-- per agent and date: the day's figures, and its CSAT responses by the date they were superseded on
days as (
    select * from {{ ref('int_agent_activity_daily') }}
    where activity_date between
        {{ add_days(as_of_date(), "1 - " ~ var("daily_activity_days")) }} and {{ as_of_date() }}
),

daily as (
    select
        workspace_id,
        agent_id,
        activity_date,
        sum(conversations_handled) as conversations_handled,
        sum(replies_sent) as replies_sent,
        sum(first_response_samples) as first_response_samples,
        max(median_first_response_seconds) as median_first_response_seconds,
        -- the latest rating as of D: not superseded by D
        sum(case when {{ superseded_after_as_of("csat_superseded_on") }} then csat_responses else 0 end)
            as csat_responses,
        sum(case when {{ superseded_after_as_of("csat_superseded_on") }} then csat_score_sum else 0 end)
            as csat_score_sum,
        sum(ai_draft_sent_replies) as ai_draft_sent_replies,
        sum(ai_draft_edited_replies) as ai_draft_edited_replies,
        sum(scratch_replies) as scratch_replies,
        sum(mentions_received) as mentions_received
    from days
    group by 1, 2, 3
),

final as (
    select
        workspace_id,
        {{ as_of_date() }} as as_of_date,
        agent_id,
        activity_date,
        cast(conversations_handled as bigint) as conversations_handled,
        cast(replies_sent as bigint) as replies_sent,
        cast(first_response_samples as bigint) as first_response_samples,
        cast(median_first_response_seconds as double) as median_first_response_seconds,
        cast(csat_responses as bigint) as csat_responses,
        cast(csat_score_sum as bigint) as csat_score_sum,
        cast(ai_draft_sent_replies as bigint) as ai_draft_sent_replies,
        cast(ai_draft_edited_replies as bigint) as ai_draft_edited_replies,
        cast(scratch_replies as bigint) as scratch_replies,
        cast(mentions_received as bigint) as mentions_received
    from daily
    where replies_sent > 0
        or first_response_samples > 0
        or csat_responses > 0
        or mentions_received > 0
)

select * from final
