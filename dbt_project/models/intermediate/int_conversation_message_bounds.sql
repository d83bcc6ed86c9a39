{#-
    Per conversation, a lower bound of the created_at of every message copy
    int_messages_deduplicated holds for it (rejected copies included). The
    incremental readers of messages by conversation (int_first_response_samples
    and the two facts) also filter on created_at >= the smallest bound of the
    conversations they read: int_messages_deduplicated is stored roughly in
    time order, so DuckDB skips the row groups before it by their statistics,
    instead of scanning every message to find those conversations' messages.

    Incremental by conversation: a run reads the copies with updated_at at or
    after the newest updated_at it saw last time, minus the look-back (the
    cutoff int_messages_deduplicated used in the same run: every copy that
    model writes is at or after it), and keeps the least of the stored and the
    new bound. A copy that goes away or moves later only leaves the bound
    lower than it needs to be: a lower bound is always safe, it only reads
    more.
-#}
{{ config(**incremental_settings('by_key', 'conversation_id')) }}

with

message_copies as (
    select
        conversation_id,
        created_at,
        updated_at
    from {{ ref('int_messages_deduplicated') }}
    where conversation_id is not null
        and created_at is not null
    {%- if is_incremental() %}
        and updated_at >= {{ incremental_cutoff_constant("last_updated_at") }}
    {%- endif %}
),

new_bounds as (
    select
        conversation_id,
        min(created_at) as first_message_at,
        max(updated_at) as last_updated_at
    from message_copies
    group by conversation_id
),

-- the bounds stored for those conversations (none on a full build)
stored_bounds as (
    select * from {% if is_incremental() %}{{ this }}{% else %}new_bounds{% endif %}
    where {% if is_incremental() %}conversation_id in (select conversation_id from new_bounds){% else %}false{% endif %}
),

final as (
    select
        new_bounds.conversation_id,
        case
            when stored_bounds.first_message_at < new_bounds.first_message_at
                then stored_bounds.first_message_at
            else new_bounds.first_message_at
        end as first_message_at,
        case
            when stored_bounds.last_updated_at > new_bounds.last_updated_at
                then stored_bounds.last_updated_at
            else new_bounds.last_updated_at
        end as last_updated_at
    from new_bounds
    left join stored_bounds
        on new_bounds.conversation_id = stored_bounds.conversation_id
)

select * from final
