{#-
    Every landed copy of a business-hours interval, once
    (int_business_hours_deduplicated.yml). A table rebuilt from every landing
    file by every run: a schedule is a few rows per workspace, and whether an
    interval overlaps another depends on the whole schedule, not on the files
    of one night, so nightly and full runs decide the same.
-#}
{{ config(materialized='table') }}

with

landed as (
    select * from {{ ref('stg_business_hours') }}
),

landing_files as (
    select
        source_file,
        loaded_at
    from {{ ref('int_landing_files') }}
    where load_status = 'loaded'
),

workspaces as (
    select workspace_id from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

-- a copy pointing at a workspace without a good copy is rejected, as pointing at an unknown one
checked as (
    select
        landed.*,
        coalesce(
            landed.reject_reason,
            case
                when workspaces.workspace_id is null then 'unknown workspace'
            end
        ) as checked_reason
    from landed
    left join workspaces
        on landed.workspace_id = workspaces.workspace_id
),

-- the newest copy of each interval without a problem of its own
newest_copies as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by interval_id
                order by updated_at desc, source_file desc, line_number desc
            ) as copy_rank
        from checked
        where checked_reason is null
    ) as ranked_copies
    where copy_rank = 1
),

-- a copy whose hours overlap the newest copy of another interval of its workspace
-- (same weekday, overlapping validity) is rejected: the schedule is ambiguous
overlapping_copies as (
    select
        checked.source_file,
        checked.line_number,
        min(other.interval_id) as other_interval_id
    from checked
    inner join newest_copies as other
        on checked.workspace_id = other.workspace_id
        and checked.weekday = other.weekday
        and checked.interval_id <> other.interval_id
        and checked.opens_minute < other.closes_minute
        and other.opens_minute < checked.closes_minute
        and (checked.valid_from is null or other.valid_to is null or checked.valid_from <= other.valid_to)
        and (other.valid_from is null or checked.valid_to is null or other.valid_from <= checked.valid_to)
    where checked.checked_reason is null
    group by
        checked.source_file,
        checked.line_number
),

decided as (
    select
        checked.interval_id,
        checked.workspace_id,
        checked.weekday,
        checked.opens_at,
        checked.closes_at,
        checked.opens_minute,
        checked.closes_minute,
        checked.valid_from,
        checked.valid_to,
        checked.updated_at,
        checked.source_file,
        checked.line_number,
        coalesce(
            checked.checked_reason,
            case
                when overlapping_copies.other_interval_id is not null
                    then concat('overlaps interval ', overlapping_copies.other_interval_id)
            end
        ) as reject_reason
    from checked
    left join overlapping_copies
        on checked.source_file = overlapping_copies.source_file
        and checked.line_number = overlapping_copies.line_number
),

-- of the good copies, the newest updated_at wins; a tie goes to the later file, then line
ranked as (
    select
        *,
        row_number() over (
            partition by interval_id, reject_reason is null
            order by updated_at desc, source_file desc, line_number desc
        ) as copy_rank
    from decided
),

final as (
    select
        ranked.interval_id,
        ranked.workspace_id,
        ranked.weekday,
        ranked.opens_at,
        ranked.closes_at,
        ranked.opens_minute,
        ranked.closes_minute,
        ranked.valid_from,
        ranked.valid_to,
        ranked.updated_at,
        ranked.source_file,
        ranked.line_number,
        case
            when ranked.reject_reason is not null then 'rejected'
            when ranked.copy_rank = 1 then 'current'
            else 'superseded'
        end as copy_status,
        ranked.reject_reason,
        coalesce(landing_files.loaded_at, {{ run_started_at_literal() }}) as _loaded_at
    from ranked
    left join landing_files
        on ranked.source_file = landing_files.source_file
)

select * from final
