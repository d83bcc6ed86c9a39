{#-
    Every landed copy of a holiday, once (int_holidays_deduplicated.yml). A
    table rebuilt from every landing file by every run, like
    int_business_hours_deduplicated: the calendar of a workspace is small.
-#}
{{ config(materialized='table') }}

with

landed as (
    select * from {{ ref('stg_holidays') }}
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
        landed.holiday_id,
        landed.workspace_id,
        landed.holiday_date,
        landed.holiday_name,
        landed.updated_at,
        landed.source_file,
        landed.line_number,
        coalesce(
            landed.reject_reason,
            case
                when workspaces.workspace_id is null then 'unknown workspace'
            end
        ) as reject_reason
    from landed
    left join workspaces
        on landed.workspace_id = workspaces.workspace_id
),

-- of the good copies, the newest updated_at wins; a tie goes to the later file, then line
ranked as (
    select
        *,
        row_number() over (
            partition by holiday_id, reject_reason is null
            order by updated_at desc, source_file desc, line_number desc
        ) as copy_rank
    from checked
),

final as (
    select
        ranked.holiday_id,
        ranked.workspace_id,
        ranked.holiday_date,
        ranked.holiday_name,
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
