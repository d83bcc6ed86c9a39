{#-
    Every clean outbound reply reaches fct_agent_activity, exactly once.

    Recounts, from the current copies of int_messages_deduplicated (the
    clean, deduplicated messages), the outbound replies (message_type 'reply' by an
    author_type 'agent') per agent, conversation and local date, with their
    ai_assist split, and compares them with the fact. Returns every key where
    the two differ (so the totals, sum(replies_sent) = count of clean outbound
    replies, match too).
-#}
{{ config(tags=['deep']) }}
with

clean_messages as (
    select
        copies.*,
        {{ local_date('copies.created_at', 'workspaces.timezone') }} as created_date
    from {{ ref('int_messages_deduplicated') }} as copies
    inner join {{ ref('workspaces') }} as workspaces
        on copies.workspace_id = workspaces.workspace_id
    where copies.copy_status = 'current'
),

clean_replies as (
    select
        author_agent_id as agent_id,
        conversation_id,
        created_date as activity_date,
        count(*) as replies_sent,
        sum(case when ai_assist = 'draft_sent' then 1 else 0 end) as ai_draft_sent_replies,
        sum(case when ai_assist = 'draft_edited' then 1 else 0 end) as ai_draft_edited_replies,
        sum(case when ai_assist is null or ai_assist = 'none' then 1 else 0 end) as scratch_replies
    from clean_messages
    where message_type = 'reply' and author_type = 'agent'
    group by 1, 2, 3
),

fact as (
    select
        agent_id,
        conversation_id,
        activity_date,
        replies_sent,
        ai_draft_sent_replies,
        ai_draft_edited_replies,
        scratch_replies
    from {{ ref('fct_agent_activity') }}
    where replies_sent <> 0
),

compared as (
    select
        coalesce(clean_replies.agent_id, fact.agent_id) as agent_id,
        coalesce(clean_replies.conversation_id, fact.conversation_id) as conversation_id,
        coalesce(clean_replies.activity_date, fact.activity_date) as activity_date,
        coalesce(clean_replies.replies_sent, 0) as expected_replies,
        coalesce(fact.replies_sent, 0) as fact_replies,
        coalesce(clean_replies.ai_draft_sent_replies, 0) as expected_draft_sent,
        coalesce(fact.ai_draft_sent_replies, 0) as fact_draft_sent,
        coalesce(clean_replies.ai_draft_edited_replies, 0) as expected_draft_edited,
        coalesce(fact.ai_draft_edited_replies, 0) as fact_draft_edited,
        coalesce(clean_replies.scratch_replies, 0) as expected_scratch,
        coalesce(fact.scratch_replies, 0) as fact_scratch
    from clean_replies
    full outer join fact
        on clean_replies.agent_id = fact.agent_id
        and clean_replies.conversation_id = fact.conversation_id
        and clean_replies.activity_date = fact.activity_date
)

select *
from compared
where expected_replies <> fact_replies
    or expected_draft_sent <> fact_draft_sent
    or expected_draft_edited <> fact_draft_edited
    or expected_scratch <> fact_scratch
