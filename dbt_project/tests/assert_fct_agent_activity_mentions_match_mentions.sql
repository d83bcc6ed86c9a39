{#-
    Every clean mention reaches fct_agent_activity, exactly once: per
    mentioned agent, conversation and local date, mentions_received equals a
    recount of int_mentions_localized (the clean, non-rejected mentions).
-#}
{{ config(tags=['deep']) }}
with

clean_mentions as (
    select
        mentioned_agent_id as agent_id,
        conversation_id,
        created_date as activity_date,
        count(*) as mentions
    from {{ ref('int_mentions_localized') }}
    group by 1, 2, 3
),

fact as (
    select
        agent_id,
        conversation_id,
        activity_date,
        mentions_received
    from {{ ref('fct_agent_activity') }}
    where mentions_received <> 0
)

select
    coalesce(clean_mentions.agent_id, fact.agent_id) as agent_id,
    coalesce(clean_mentions.conversation_id, fact.conversation_id) as conversation_id,
    coalesce(clean_mentions.activity_date, fact.activity_date) as activity_date,
    coalesce(clean_mentions.mentions, 0) as expected_mentions,
    coalesce(fact.mentions_received, 0) as fact_mentions
from clean_mentions
full outer join fact
    on clean_mentions.agent_id = fact.agent_id
    and clean_mentions.conversation_id = fact.conversation_id
    and clean_mentions.activity_date = fact.activity_date
where coalesce(clean_mentions.mentions, 0) <> coalesce(fact.mentions_received, 0)
