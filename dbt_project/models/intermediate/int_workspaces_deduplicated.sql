{#-
    Every landed copy of a workspace, once (int_workspaces_deduplicated.yml).
    Incremental by landing file: a run reads the files this table does not
    hold yet and ranks the new good copies against the stored good copies of
    their ids.
    The copies whose status a run decides are written again (delete+insert
    on the copy: source_file, line_number).
-#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'line_number'],
    on_schema_change='fail',
) }}

with

-- the copies in the landing files this table does not hold yet (every file on a full build)
landed as (
    select * from {{ ref('stg_workspaces') }}
    {%- if is_incremental() %}
    where source_file in {{ landing_files_not_in(this, 'workspaces') }}
    {%- endif %}
),

good_copies as (
    select
        workspace_id,
        name,
        timezone,
        updated_at,
        source_file,
        line_number
    from landed
    where reject_reason is null
    {%- if is_incremental() %}

    -- the stored good copies of these ids compete with them
    union all
    select
        workspace_id,
        name,
        timezone,
        updated_at,
        source_file,
        line_number
    from {{ this }}
    where copy_status <> 'rejected'
        and workspace_id in (select workspace_id from landed where reject_reason is null)
    {%- endif %}
),

-- newest updated_at wins; a tie goes to the later file, then the later line
ranked as (
    select
        *,
        row_number() over (
            partition by workspace_id
            order by updated_at desc, source_file desc, line_number desc
        ) as copy_rank
    from good_copies
),

final as (
    select
        workspace_id,
        name,
        timezone,
        updated_at,
        source_file,
        line_number,
        case when copy_rank = 1 then 'current' else 'superseded' end as copy_status,
        cast(null as {{ landing_sql_type('string') }}) as reject_reason,
        {{ run_started_at_literal() }} as _loaded_at
    from ranked

    union all

    select
        workspace_id,
        name,
        timezone,
        updated_at,
        source_file,
        line_number,
        'rejected' as copy_status,
        reject_reason,
        {{ run_started_at_literal() }} as _loaded_at
    from landed
    where reject_reason is not null
)

select * from final
