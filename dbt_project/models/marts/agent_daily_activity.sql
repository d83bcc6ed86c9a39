{#- The drill-down's daily series: per agent per local date with activity, D-179 .. D. -#}
with

-- the fact rows of the days shown, with whether the row's CSAT response is the latest as of D
activity as (
    select
        fct.*,
        fct.csat_responses > 0
        and (fct.csat_superseded_on is null or fct.csat_superseded_on > {{ as_of_date() }})
            as csat_counted
    from {{ ref('fct_agent_activity') }} as fct
    where fct.activity_date between
        {{ add_days(as_of_date(), "1 - " ~ var("daily_activity_days")) }} and {{ as_of_date() }}
),

daily as (
    select
        workspace_id,
        agent_id,
        activity_date,
        count(distinct case when replies_sent > 0 then conversation_id end) as conversations_handled,
        sum(replies_sent) as replies_sent,
        sum(first_response_samples) as first_response_samples,
        {{ exact_median("first_response_seconds") }} as median_first_response_seconds,
        {{ exact_median("first_response_business_seconds") }} as median_first_response_business_seconds,
        sum(case when csat_counted then 1 else 0 end) as csat_responses,
        sum(case when csat_counted then csat_score else 0 end) as csat_score_sum,
        sum(ai_draft_sent_replies) as ai_draft_sent_replies,
        sum(ai_draft_edited_replies) as ai_draft_edited_replies,
        sum(scratch_replies) as scratch_replies,
        sum(mentions_received) as mentions_received
    from activity
    group by workspace_id, agent_id, activity_date
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
        cast(median_first_response_business_seconds as double) as median_first_response_business_seconds,
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
