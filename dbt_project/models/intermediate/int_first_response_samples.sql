{#-
    Human-wait first-response samples (spec/metrics.md, "Human wait").

    For an agent's first outbound reply in a conversation, sent at t1:
      h = latest outbound reply by any human agent in the conversation before t1
      f = latest handoff in (h, t1]
      c = earliest customer message in (h, t1]
    The wait started at f, else at c; with neither there is no sample.
    One sample at most per (agent, conversation), dated by t1's local date.
-#}
{{ config(
    pre_hook="{{ delete_samples_of_new_conversations() }}",
    **incremental_settings('by_key', 'conversation_id')
) }}

with

messages as (
    -- incremental runs: every message of the conversations with a message new in this run
    {{ localized_of_new_conversations('messages') }}
),

outbound_replies as (
    select * from messages
    where is_outbound_reply
),

wait_events as (
    select
        conversation_id,
        created_at,
        is_handoff,
        is_customer_message
    from messages
    where is_handoff or is_customer_message
),

-- each agent's first outbound reply in each conversation
first_replies as (
    {{ dedup_latest(
        "outbound_replies",
        ["conversation_id", "author_agent_id"],
        "created_at asc, message_id asc"
    ) }}
),

-- h: the latest human reply before t1, by any agent
with_previous_human_reply as (
    select
        first_replies.workspace_id,
        first_replies.conversation_id,
        first_replies.author_agent_id as agent_id,
        first_replies.message_id,
        first_replies.created_at as replied_at,
        first_replies.created_date as replied_date,
        max(earlier.created_at) as previous_human_reply_at
    from first_replies
    left join outbound_replies as earlier
        on first_replies.conversation_id = earlier.conversation_id
        and earlier.created_at < first_replies.created_at
    group by
        first_replies.workspace_id,
        first_replies.conversation_id,
        first_replies.author_agent_id,
        first_replies.message_id,
        first_replies.created_at,
        first_replies.created_date
),

-- f and c: the handoff and the customer message that started the wait
with_wait_start as (
    select
        replies.workspace_id,
        replies.conversation_id,
        replies.agent_id,
        replies.message_id,
        replies.replied_at,
        replies.replied_date,
        replies.previous_human_reply_at,
        max(case when events.is_handoff then events.created_at end) as handoff_at,
        min(case when events.is_customer_message then events.created_at end) as customer_waiting_since
    from with_previous_human_reply as replies
    left join wait_events as events
        on replies.conversation_id = events.conversation_id
        and events.created_at <= replies.replied_at
        and (
            replies.previous_human_reply_at is null
            or events.created_at > replies.previous_human_reply_at
        )
    group by
        replies.workspace_id,
        replies.conversation_id,
        replies.agent_id,
        replies.message_id,
        replies.replied_at,
        replies.replied_date,
        replies.previous_human_reply_at
),

final as (
    select
        workspace_id,
        conversation_id,
        agent_id,
        message_id,
        replied_at,
        replied_date,
        coalesce(handoff_at, customer_waiting_since) as wait_started_at,
        {{ seconds_between('coalesce(handoff_at, customer_waiting_since)', 'replied_at') }}
            as first_response_seconds,
        previous_human_reply_at is null as is_conversation_first_human_reply,
        {{ watermark_of(['messages']) }} as _watermark
    from with_wait_start
    where coalesce(handoff_at, customer_waiting_since) is not null
)

select * from final
