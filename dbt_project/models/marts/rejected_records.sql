{#-
    Every landed record that does not count, with why. Record-level
    problems come from staging; dangling references from the deduplicated
    intermediate models. No payload is kept: it may hold personal data.
-#}
with

{% for entity, spec in landing_entities().items() %}
    {{ entity }}_record_level as (
        select
            '{{ entity }}' as entity,
            source_file,
            line_number,
            {{ spec.id }} as record_id,
            reject_reason as reason
        from {{ ref('stg_' ~ entity) }}
        where reject_reason is not null
    ),

    {{ entity }}_references as (
        select
            '{{ entity }}' as entity,
            source_file,
            line_number,
            {{ spec.id }} as record_id,
            reject_reason as reason
        from {{ ref('int_' ~ entity ~ '_deduplicated') }}
        where reject_reason is not null
    ),

{% endfor %}
final as (
    {%- for entity in landing_entities() %}
        select * from {{ entity }}_record_level
        union all
        select * from {{ entity }}_references
        {{- "\n    union all" if not loop.last }}
    {%- endfor %}
)

select * from final
