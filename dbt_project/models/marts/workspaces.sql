with

workspaces as (
    select * from {{ ref('int_workspaces_deduplicated') }}
    where reject_reason is null
),

final as (
    select
        workspace_id,
        name as workspace_name,
        coalesce(timezone, 'UTC') as timezone
    from workspaces
)

select * from final
