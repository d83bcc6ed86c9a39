{#-
    A view: computing local dates on read is cheaper than writing every
    message again; int_messages_deduplicated is the stored, incremental copy.
-#}
{{ config(materialized='view') }}

{{ localized_select(
    'messages',
    ['message_id', 'conversation_id', 'workspace_id', 'created_at', 'author_type',
     'author_agent_id', 'message_type', 'updated_at'],
    'created_at',
    'created_date',
    [
        "coalesce(records.ai_assist, 'none') as ai_assist",
        "records.message_type = 'reply' and records.author_type = 'agent' as is_outbound_reply",
        "records.message_type = 'reply' and records.author_type = 'ai_agent' as is_ai_reply",
        "records.message_type = 'handoff' as is_handoff",
        "records.author_type = 'customer' as is_customer_message",
    ],
) }}
