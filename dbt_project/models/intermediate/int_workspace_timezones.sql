{#-
    Per workspace, the time zone its local dates are computed in (the newest
    good copy's; null = UTC) and since when, on the records' clock: the
    updated_at of the first copy of the current zone after the last copy with
    another zone. Null when no good copy ever had another zone.

    The incremental readers (macro is_new_record) treat every record of a
    workspace whose timezone_since is at or after their cutoff as new, so
    the run after a time-zone change re-dates the workspace's history as a
    full refresh would. Built from every landed copy (workspaces are few), so
    a full refresh and a nightly run compute the same value.
-#}
with

copies as (
    select * from {{ ref('stg_workspaces') }}
),

workspaces as (
    select * from {{ ref('int_workspaces_deduplicated') }}
),

current_zones as (
    select
        workspace_id,
        coalesce(timezone, 'UTC') as timezone
    from workspaces
    where reject_reason is null
),

zoned_copies as (
    select
        copies.workspace_id,
        copies.updated_at,
        coalesce(copies.timezone, 'UTC') = current_zones.timezone as in_current_zone
    from copies
    inner join current_zones
        on copies.workspace_id = current_zones.workspace_id
    where copies.reject_reason is null
),

last_other_zone as (
    select
        workspace_id,
        max(updated_at) as last_other_zone_at
    from zoned_copies
    where not in_current_zone
    group by workspace_id
),

current_zone_since as (
    select
        zoned_copies.workspace_id,
        min(zoned_copies.updated_at) as timezone_since
    from zoned_copies
    inner join last_other_zone
        on zoned_copies.workspace_id = last_other_zone.workspace_id
        and zoned_copies.updated_at >= last_other_zone.last_other_zone_at
    where zoned_copies.in_current_zone
    group by zoned_copies.workspace_id
),

final as (
    select
        current_zones.workspace_id,
        current_zones.timezone,
        current_zone_since.timezone_since
    from current_zones
    left join current_zone_since
        on current_zones.workspace_id = current_zone_since.workspace_id
)

select * from final
