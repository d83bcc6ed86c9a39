{#- Every landed conversation record, typed, with why a bad one is bad (stg_conversations.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'conversations')) }}
),

final as (
    select
        conversation_id,
        workspace_id,
        created_at,
        channel,
        assignee_agent_id,
        status,
        closed_at,
        updated_at,
        source_file,
        line_number,
        {{ landing_record_problem('conversations') }} as reject_reason
    from landed
)

select * from final
