{#- Every landed message record, typed, with why a bad one is bad (stg_messages.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'messages')) }}
),

final as (
    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number,
        coalesce(
            {{ landing_record_problem('messages') }},
            case
                when author_type = 'agent' and author_agent_id is null
                    then 'agent message without author_agent_id'
            end
        ) as reject_reason
    from landed
)

select * from final
