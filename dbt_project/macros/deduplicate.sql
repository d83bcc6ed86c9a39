{#-
    deduplicated_select(entity, references): the body of an
    int_<entity>_deduplicated model.

    1. Records with a record-level reject reason (see stg_<entity>) are left
       out here; rejected_records lists them.
    2. Of the remaining copies of one id, the one with the greatest
       updated_at wins (ties: the later file, then the later line).
    3. The winner is checked against the entities it points at; a dangling
       reference sets reject_reason (downstream models keep only rows where
       it is null).

    references: list of dicts
      column:    the column holding the reference
      parent:    model name of the (deduplicated) parent
      key:       the parent's id column
      reason:    reject reason when the reference does not resolve
-#}
{% macro deduplicated_select(entity, references=[]) -%}
    {%- set spec = landing_entities()[entity] -%}
    with

    staged as (
        select * from {{ ref('stg_' ~ entity) }}
    ),

    {%- for r in references %}
    {%- if r.parent not in (references[:loop.index0] | map(attribute="parent") | list) %}

    {{ r.parent }} as (
        select {{ r.key }} from {{ ref(r.parent) }}
        where reject_reason is null
    ),
    {%- endif %}
    {%- endfor %}

    valid_copies as (
        select * from staged
        where reject_reason is null
    ),

    latest as (
        {{ dedup_latest(
            "valid_copies",
            [spec.id],
            "updated_at desc, source_file desc, line_number desc"
        ) }}
    ),

    final as (
        select
            {%- for col in spec.columns %}
            latest.{{ col[0] }},
            {%- endfor %}
            latest.source_file,
            latest.line_number,
            {%- if references | length == 0 %}
            cast(null as {{ landing_sql_type("string") }}) as reject_reason
            {%- else %}
            case
                {%- for r in references %}
                when latest.{{ r.column }} is not null and ref_{{ loop.index }}.{{ r.key }} is null
                    then '{{ r.reason }}'
                {%- endfor %}
            end as reject_reason
            {%- endif %}
        from latest
        {%- for r in references %}
        left join {{ r.parent }} as ref_{{ loop.index }}
            on latest.{{ r.column }} = ref_{{ loop.index }}.{{ r.key }}
        {%- endfor %}
    )

    select * from final
{%- endmacro %}
