{#-
    The record-level check of every landed file, made once per file: an
    incremental run reads only the files that are not in this table yet
    (landing files are never changed once landed; spec/landing.md).

    Per file: one row with its record count (line_number null), plus one row
    per copy with a record-level problem (the reasons of stg_<entity>).
    rejected_records and rejected_share_by_entity read this table instead of
    scanning every landing file again.
-#}
{{ config(**incremental_settings('by_key', 'source_file')) }}

{%- set checked = landing_files_checked() if is_incremental() else [] %}

with

{% for entity, spec in landing_entities().items() %}
    {{ entity }}_copies as (
        select
            source_file,
            line_number,
            {{ spec.id }} as record_id,
            reject_reason
        from (
            {{ staging_select(entity, skip_files=checked) }}
        ) as staged
        -- depends_on: {{ ref('stg_' ~ entity) }}
    ),

    {{ entity }}_checks as (
        select
            '{{ entity }}' as entity,
            source_file,
            cast(null as bigint) as line_number,
            cast(null as {{ landing_sql_type("string") }}) as record_id,
            cast(null as {{ landing_sql_type("string") }}) as reason,
            cast(count(*) as bigint) as records_in_file
        from {{ entity }}_copies
        group by source_file

        union all

        select
            '{{ entity }}' as entity,
            source_file,
            cast(line_number as bigint) as line_number,
            record_id,
            reject_reason as reason,
            cast(null as bigint) as records_in_file
        from {{ entity }}_copies
        where reject_reason is not null
    ),

{% endfor %}
final as (
    {%- for entity in landing_entities() %}
        select * from {{ entity }}_checks
        {{- "\n    union all" if not loop.last }}
    {%- endfor %}
)

select * from final
