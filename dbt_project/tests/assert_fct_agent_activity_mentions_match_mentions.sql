{#-
    Every clean mention reaches fct_agent_activity, exactly once: per
    mentioned agent, conversation and local date, mentions_received equals a
    recount of the current copies of int_mentions_deduplicated (the clean
    mentions).
-#}
{{ config(tags=['deep']) }}
with

clean_mentions as (
    select
        copies.*,
        {{ local_date('copies.created_at', 'workspaces.timezone') }} as created_date
    from {{ ref('int_mentions_deduplicated') }} as copies
    inner join {{ ref('workspaces') }} as workspaces
        on copies.workspace_id = workspaces.workspace_id
    where copies.copy_status = 'current'
),

mention_counts as (
    select
        mentioned_agent_id as agent_id,
        conversation_id,
        created_date as activity_date,
        count(*) as mentions
    from clean_mentions
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
    coalesce(mention_counts.agent_id, fact.agent_id) as agent_id,
    coalesce(mention_counts.conversation_id, fact.conversation_id) as conversation_id,
    coalesce(mention_counts.activity_date, fact.activity_date) as activity_date,
    coalesce(mention_counts.mentions, 0) as expected_mentions,
    coalesce(fact.mentions_received, 0) as fact_mentions
from mention_counts
full outer join fact
    on mention_counts.agent_id = fact.agent_id
    and mention_counts.conversation_id = fact.conversation_id
    and mention_counts.activity_date = fact.activity_date
where coalesce(mention_counts.mentions, 0) <> coalesce(fact.mentions_received, 0)
