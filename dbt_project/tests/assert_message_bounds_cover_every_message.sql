{#-
    int_conversation_message_bounds is a lower bound of every message copy:
    no copy in int_messages_deduplicated (rejected ones included) was created
    before its conversation's first_message_at, and every conversation with
    a copy has a bound. A row here means an incremental reader of messages by
    conversation could miss messages.
-#}
{{ config(tags=['deep']) }}

with

message_copies as (
    select
        conversation_id,
        min(created_at) as first_created_at
    from {{ ref('int_messages_deduplicated') }}
    where conversation_id is not null
        and created_at is not null
    group by conversation_id
),

bounds as (
    select * from {{ ref('int_conversation_message_bounds') }}
),

final as (
    select
        message_copies.conversation_id,
        message_copies.first_created_at,
        bounds.first_message_at
    from message_copies
    left join bounds
        on message_copies.conversation_id = bounds.conversation_id
    where bounds.first_message_at is null
        or bounds.first_message_at > message_copies.first_created_at
)

select * from final
