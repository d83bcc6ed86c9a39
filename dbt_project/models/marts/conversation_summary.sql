{#-
    One row per conversation with activity in D-89 .. D (var conversation_summary_days),
    from the facts, as of D (conversation_summary.yml, spec/metrics.md).
-#}
with

conversation_activity as (
    select * from {{ ref('fct_conversation_activity') }}
    where activity_date <= {{ as_of_date() }}
),

-- the same fact, read apart for the CSAT days: a CTE read twice is materialized in full
-- by DuckDB (2.5M rows at 2M conversations)
csat_activity as (
    select * from {{ ref('fct_conversation_activity') }}
    where activity_date <= {{ as_of_date() }}
        and csat_responses > 0
),

agent_activity as (
    select * from {{ ref('fct_agent_activity') }}
    where activity_date <= {{ as_of_date() }}
),

first_response_samples as (
    select * from {{ ref('int_first_response_samples') }}
    where is_conversation_first_human_reply
        and replied_date <= {{ as_of_date() }}
),

conversations as (
    select * from {{ ref('int_conversations_deduplicated') }}
    where copy_status = 'current'
),

workspaces as (
    select * from {{ ref('workspaces') }}
),

-- the conversations with a fact row (a reply, a first-response sample, a CSAT response)
-- in the window, with their replies in the window
window_activity as (
    select
        workspace_id,
        conversation_id,
        sum(human_replies) as human_replies,
        sum(ai_replies) as ai_replies,
        max(human_takeover_date) as human_takeover_date
    from conversation_activity
    where activity_date > {{ add_days(as_of_date(), "-" ~ var("conversation_summary_days")) }}
    group by workspace_id, conversation_id
),

-- the latest CSAT response as of D (submitted on or before D, not re-rated by D)
latest_csat as (
    select
        conversation_id,
        csat_score,
        activity_date as csat_submitted_date
    from csat_activity
    where csat_superseded_on is null or csat_superseded_on > {{ as_of_date() }}
),

-- the conversation's first human reply that answered a waiting customer (one sample; on a
-- tie the shortest wait, as in fct_conversation_activity); the left join below keeps the
-- rows shown (filtering here first cost more than it saved)
first_response as (
    select
        conversation_id,
        agent_id as first_responder_agent_id,
        replied_date as first_response_date,
        first_response_seconds,
        business_seconds as first_response_business_seconds
    from (
        select
            *,
            row_number() over (
                partition by conversation_id
                order by first_response_seconds, agent_id
            ) as sample_rank
        from first_response_samples
    ) as ranked_samples
    where sample_rank = 1
),

-- the agents with an outbound reply in the window
agents_replied as (
    select
        conversation_id,
        {{ sorted_distinct_list('agent_id') }} as agents_replied
    from agent_activity
    where replies_sent > 0
        and activity_date > {{ add_days(as_of_date(), "-" ~ var("conversation_summary_days")) }}
    group by conversation_id
),

joined as (
    select
        window_activity.workspace_id,
        window_activity.conversation_id,
        {{ local_date('conversations.created_at', 'workspaces.timezone') }} as opened_date,
        first_response.first_responder_agent_id,
        first_response.first_response_date,
        first_response.first_response_seconds,
        first_response.first_response_business_seconds,
        window_activity.human_replies,
        window_activity.ai_replies,
        case
            when window_activity.ai_replies = 0 and window_activity.human_replies = 0 then null
            when window_activity.ai_replies = 0 then 'human'
            when window_activity.human_takeover_date is null
                or window_activity.human_takeover_date > {{ as_of_date() }}
                then 'ai_handled'
            else 'handed_off'
        end as handling,
        latest_csat.csat_score,
        latest_csat.csat_submitted_date,
        agents_replied.agents_replied
    from window_activity
    inner join workspaces
        on window_activity.workspace_id = workspaces.workspace_id
    left join conversations
        on window_activity.conversation_id = conversations.conversation_id
    left join first_response
        on window_activity.conversation_id = first_response.conversation_id
    left join latest_csat
        on window_activity.conversation_id = latest_csat.conversation_id
    left join agents_replied
        on window_activity.conversation_id = agents_replied.conversation_id
),

final as (
    select
        workspace_id,
        {{ as_of_date() }} as as_of_date,
        conversation_id,
        cast(opened_date as date) as opened_date,
        first_responder_agent_id,
        cast(first_response_date as date) as first_response_date,
        cast(first_response_seconds as double) as first_response_seconds,
        cast(first_response_business_seconds as double) as first_response_business_seconds,
        cast(human_replies as bigint) as human_replies,
        cast(ai_replies as bigint) as ai_replies,
        handling,
        cast(csat_score as integer) as csat_score,
        cast(csat_submitted_date as date) as csat_submitted_date,
        agents_replied
    from joined
)

select * from final
