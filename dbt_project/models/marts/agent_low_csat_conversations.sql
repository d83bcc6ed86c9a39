{#- CSAT scores of 1-2 credited to each agent, submitted in D-89 .. D (latest rating as of D only). -#}
with

activity as (
    select * from {{ ref('fct_agent_activity') }}
    where activity_date between
        {{ add_days(as_of_date(), "1 - " ~ var("low_csat_days")) }} and {{ as_of_date() }}
        and csat_responses > 0
        and csat_score <= 2
        and (csat_superseded_on is null or csat_superseded_on > {{ as_of_date() }})
),

final as (
    select
        workspace_id,
        {{ as_of_date() }} as as_of_date,
        agent_id,
        conversation_id,
        cast(csat_score as integer) as score,
        csat_submitted_at as submitted_at,
        activity_date as submitted_date
    from activity
)

select * from final
