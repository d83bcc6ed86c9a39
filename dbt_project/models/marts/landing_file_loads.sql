{#-
    The load log, published: every file of the landing folder's entity
    folders, when it was loaded, and where each of its records ended
    (landing_file_loads.yml).
-#}
with

{%- set copies = [
    ref('int_workspaces_deduplicated'),
    ref('int_agents_deduplicated'),
    ref('int_conversations_deduplicated'),
    ref('int_messages_deduplicated'),
    ref('int_csat_responses_deduplicated'),
    ref('int_mentions_deduplicated'),
    ref('int_nps_responses_deduplicated'),
    ref('int_business_hours_deduplicated'),
    ref('int_holidays_deduplicated'),
] %}

files as (
    select * from {{ ref('int_landing_files') }}
),

record_statuses as (
    {%- for relation in copies %}
        select
            source_file,
            copy_status
        from {{ relation }}
        {{- "\n\n    union all\n" if not loop.last }}
    {%- endfor %}
),

status_counts as (
    select
        source_file,
        sum(case when copy_status = 'current' then 1 else 0 end) as records_current,
        sum(case when copy_status = 'superseded' then 1 else 0 end) as records_superseded,
        sum(case when copy_status = 'rejected' then 1 else 0 end) as records_rejected
    from record_statuses
    group by source_file
),

final as (
    select
        files.entity,
        files.source_file,
        files.load_status,
        files.file_size_bytes,
        files.file_modified_at,
        files.loaded_at,
        files.records_read,
        cast(coalesce(status_counts.records_current, 0) as bigint) as records_current,
        cast(coalesce(status_counts.records_superseded, 0) as bigint) as records_superseded,
        cast(coalesce(status_counts.records_rejected, 0) as bigint) as records_rejected
    from files
    left join status_counts
        on files.source_file = status_counts.source_file
)

select * from final
