{#- Every landed agent record, typed, with why a bad one is bad (stg_agents.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'agents')) }}
),

final as (
    select
        agent_id,
        workspace_id,
        display_name,
        email,
        role,
        status,
        updated_at,
        source_file,
        line_number,
        {{ landing_record_problem('agents') }} as reject_reason
    from landed
)

select * from final
