{#-
    The load log: one row per file of the landing folder's entity folders,
    written by the first run that finds it (int_landing_files.yml). Landing
    files are immutable once landed, so a file is loaded once: its records
    are counted here as staging reads them (`records_read`), and the
    deduplicated models load the same files in the same run. A file that
    changes after it was loaded fails a test and stops the run.

    Incremental by landing file: a run appends the files this table does not
    hold yet (append; a full refresh lists every file again).
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
) }}

{%- set staged = {
    'workspaces': ref('stg_workspaces'),
    'agents': ref('stg_agents'),
    'conversations': ref('stg_conversations'),
    'messages': ref('stg_messages'),
    'csat_responses': ref('stg_csat_responses'),
    'mentions': ref('stg_mentions'),
    'nps_responses': ref('stg_nps_responses'),
    'business_hours': ref('stg_business_hours'),
    'holidays': ref('stg_holidays'),
} %}
{%- set entities = "('" ~ (staged.keys() | join("', '")) ~ "')" %}

with

-- every file in the landing folder's subfolders, as it is now
listing as (
    {{ landing_file_listing() }}
),

files as (
    select
        source_file,
        {{ dbt.split_part('source_file', "'/'", 1) }} as folder,
        {{ dbt.split_part('source_file', "'/'", 2) }} as file_name,
        file_size_bytes,
        file_modified_at
    from listing
    {%- if is_incremental() %}
    where source_file not in (select source_file from {{ this }})
    {%- endif %}
),

-- records per file, counted in staging (the new files only)
record_counts as (
    {%- for entity, stg in staged.items() %}
        select
            '{{ entity }}' as entity,
            source_file,
            count(*) as records_read
        from {{ stg }}
        {%- if is_incremental() %}
            where source_file in {{ landing_files_not_in(this, entity) }}
        {%- endif %}
        group by source_file
        {{- "\n\n    union all\n" if not loop.last }}
    {%- endfor %}
),

final as (
    select
        case when files.folder in {{ entities }} then files.folder end as entity,
        files.source_file,
        case
            when files.folder not in {{ entities }} then 'not in an entity folder'
            when files.file_name like '.%' then 'hidden file'
            when not (
                    files.file_name like '%.jsonl'
                    or files.file_name like '%.jsonl.gz'
                    or files.file_name like '%.parquet'
                ) then 'unrecognised extension'
            else 'loaded'
        end as load_status,
        files.file_size_bytes,
        files.file_modified_at,
        cast(coalesce(record_counts.records_read, 0) as bigint) as records_read,
        {{ run_started_at_literal() }} as loaded_at,
        '{{ invocation_id }}' as loaded_by_invocation
    from files
    left join record_counts
        on files.source_file = record_counts.source_file
)

select * from final
