{#-
    A view: computing local dates on read is cheaper than writing every
    message again; int_messages_deduplicated is the stored, incremental copy.
-#}
{{ config(materialized='view') }}

with

messages as (
    select * from {{ ref('int_messages_deduplicated') }}
    where reject_reason is null
),

workspaces as (
    select * from {{ ref('int_workspaces_deduplicated') }}
    where reject_reason is null
),

final as (
    select
        messages.message_id,
        messages.conversation_id,
        messages.workspace_id,
        messages.created_at,
        {{ local_date('messages.created_at', "coalesce(workspaces.timezone, 'UTC')") }} as created_date,
        messages.author_type,
        messages.author_agent_id,
        messages.message_type,
        coalesce(messages.ai_assist, 'none') as ai_assist,
        messages.message_type = 'reply' and messages.author_type = 'agent' as is_outbound_reply,
        messages.message_type = 'reply' and messages.author_type = 'ai_agent' as is_ai_reply,
        messages.message_type = 'handoff' as is_handoff,
        messages.author_type = 'customer' as is_customer_message,
        messages.updated_at
    from messages
    inner join workspaces
        on messages.workspace_id = workspaces.workspace_id
)

select * from final
