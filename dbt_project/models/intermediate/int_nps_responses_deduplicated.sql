{#-
    Every landed copy of an NPS response, once (int_nps_responses_deduplicated.yml).
    Incremental by landing file: a run reads the files this table does not
    hold yet, checks again the copies still waiting for a parent, and ranks
    the new good copies against the stored good copies of their ids.
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
    select * from {{ ref('stg_nps_responses') }}
    {%- if is_incremental() %}
    where source_file in {{ landing_files_not_in(this, 'nps_responses') }}
    {%- endif %}
),

workspaces as (
    select workspace_id from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

candidates as (
    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number,
        reject_reason
    from landed
    {%- if is_incremental() %}

    -- copies rejected earlier because a workspace they point at had not landed
    union all
    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number,
        cast(null as {{ landing_sql_type('string') }}) as reject_reason
    from {{ this }}
    where reject_reason in ('unknown workspace')
    {%- endif %}
),

-- a copy pointing at a parent without a good copy is rejected, as pointing at an unknown one
checked as (
    select
        candidates.response_id,
        candidates.workspace_id,
        candidates.score,
        candidates.submitted_at,
        candidates.updated_at,
        candidates.source_file,
        candidates.line_number,
        coalesce(
            candidates.reject_reason,
            case
                when workspaces.workspace_id is null then 'unknown workspace'
            end
        ) as reject_reason
    from candidates
    left join workspaces
        on candidates.workspace_id = workspaces.workspace_id
),

good_copies as (
    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number
    from checked
    where reject_reason is null
    {%- if is_incremental() %}

    -- the stored good copies of these ids compete with them
    union all
    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number
    from {{ this }}
    where copy_status <> 'rejected'
        and response_id in (select response_id from checked where reject_reason is null)
    {%- endif %}
),

-- newest updated_at wins; a tie goes to the later file, then the later line
ranked as (
    select
        *,
        row_number() over (
            partition by response_id
            order by updated_at desc, source_file desc, line_number desc
        ) as copy_rank
    from good_copies
),

final as (
    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number,
        case when copy_rank = 1 then 'current' else 'superseded' end as copy_status,
        cast(null as {{ landing_sql_type('string') }}) as reject_reason,
        {{ run_started_at_literal() }} as _loaded_at
    from ranked

    union all

    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number,
        'rejected' as copy_status,
        reject_reason,
        {{ run_started_at_literal() }} as _loaded_at
    from checked
    where reject_reason is not null
)

select * from final
