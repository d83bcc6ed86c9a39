with

workspaces as (
    select * from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

final as (
    select
        workspace_id,
        name as workspace_name,
        coalesce(timezone, 'UTC') as timezone
    from workspaces
)

select * from final
