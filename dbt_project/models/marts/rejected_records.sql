{#-
    Every landed record that does not count, with why. Record-level
    problems come from int_landing_file_checks (each landing file checked
    once, as in stg_<entity>); dangling references from the deduplicated
    intermediate models. No payload is kept: it may hold personal data.
-#}
with

record_level as (
    select
        entity,
        source_file,
        line_number,
        record_id,
        reason
    from {{ ref('int_landing_file_checks') }}
    where reason is not null
),

{% for entity, spec in landing_entities().items() %}
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
    select * from record_level
    {%- for entity in landing_entities() %}
        union all
        select * from {{ entity }}_references
    {%- endfor %}
)

select * from final
