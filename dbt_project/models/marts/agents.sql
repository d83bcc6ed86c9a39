{#- Agents without personal data: the email never leaves staging. -#}
with

agents as (
    select * from {{ ref('int_agents_deduplicated') }}
    where copy_status = 'current'
),

final as (
    select
        agent_id,
        workspace_id,
        display_name as agent_name,
        role as agent_role,
        status as agent_status
    from agents
)

select * from final
