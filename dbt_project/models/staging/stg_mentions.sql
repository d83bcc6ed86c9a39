{#- Every landed mention record, typed, with why a bad one is bad (stg_mentions.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'mentions')) }}
),

final as (
    select
        mention_id,
        message_id,
        conversation_id,
        workspace_id,
        mentioned_agent_id,
        created_at,
        updated_at,
        source_file,
        line_number,
        {{ landing_record_problem('mentions') }} as reject_reason
    from landed
)

select * from final
