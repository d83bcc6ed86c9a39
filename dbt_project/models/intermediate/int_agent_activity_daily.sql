{#-
    The daily figures of agent_daily_activity for every local date, kept
    apart from the as-of date so that a nightly run recomputes only the dates
    the facts rebuilt: per agent and date, one row (csat_superseded_on null)
    with the day's figures and its CSAT responses not superseded, plus one row
    per later date on which some of its CSAT responses were superseded (only
    CSAT figures). agent_daily_activity applies the as-of-D rule.

    Incremental by date: a run recomputes every date on which
    fct_agent_activity has a row with a `_watermark` after this model's newest
    one: the dates the fact rebuilt since (each incremental run of the fact
    gives its rows a watermark above every earlier one). The fact's rebuilt
    rows are appended, so DuckDB skips older row groups by their statistics.
    A date the fact no longer has (its only activity moved to another date)
    is deleted by the post-hook.
-#}
{{ config(**incremental_settings('by_date', 'activity_date')) }}
{{ config(post_hook="{{ delete_dates_not_in(ref('fct_agent_activity')) }}") }}

with

activity as (
    select * from {{ ref('fct_agent_activity') }}
    {%- if is_incremental() %}
    where activity_date in (
        select activity_date from {{ ref('fct_agent_activity') }}
        where _watermark > {{ incremental_cutoff_constant("_watermark", lookback=false) }}
    )
    {%- endif %}
),

-- the day's figures, with its CSAT responses not superseded
day_figures as (
    select
        workspace_id,
        agent_id,
        activity_date,
        cast(null as date) as csat_superseded_on,
        count(distinct case when replies_sent > 0 then conversation_id end) as conversations_handled,
        sum(replies_sent) as replies_sent,
        sum(first_response_samples) as first_response_samples,
        {{ exact_median("first_response_seconds") }} as median_first_response_seconds,
        sum(ai_draft_sent_replies) as ai_draft_sent_replies,
        sum(ai_draft_edited_replies) as ai_draft_edited_replies,
        sum(scratch_replies) as scratch_replies,
        sum(mentions_received) as mentions_received,
        sum(case when csat_responses > 0 and csat_superseded_on is null then 1 else 0 end)
            as csat_responses,
        sum(case when csat_responses > 0 and csat_superseded_on is null then csat_score else 0 end)
            as csat_score_sum,
        max(_watermark) as _watermark
    from activity
    group by 1, 2, 3
),

-- the day's superseded CSAT responses, by the date they were superseded on
superseded_csat as (
    select
        workspace_id,
        agent_id,
        activity_date,
        csat_superseded_on,
        0 as conversations_handled,
        0 as replies_sent,
        0 as first_response_samples,
        cast(null as double) as median_first_response_seconds,
        0 as ai_draft_sent_replies,
        0 as ai_draft_edited_replies,
        0 as scratch_replies,
        0 as mentions_received,
        count(*) as csat_responses,
        sum(csat_score) as csat_score_sum,
        max(_watermark) as _watermark
    from activity
    where csat_responses > 0 and csat_superseded_on is not null
    group by 1, 2, 3, 4
),

final as (
    select * from day_figures
    union all
    select * from superseded_csat
)

select * from final
{{ stored_in_order_of('activity_date') }}
