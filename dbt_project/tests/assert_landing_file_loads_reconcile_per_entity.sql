{#-
    Every record read is accounted for, per entity: the records the load log
    counted when each landing file was loaded (staging's count) equal the
    copies the entity's deduplicated model holds (each one current,
    superseded or rejected). landing_file_loads checks
    the same per file; this also catches a copy whose file is not in the log.
    Runs in every run (a count per table).
-#}
{%- set copies = {
    'workspaces': ref('int_workspaces_deduplicated'),
    'agents': ref('int_agents_deduplicated'),
    'conversations': ref('int_conversations_deduplicated'),
    'messages': ref('int_messages_deduplicated'),
    'csat_responses': ref('int_csat_responses_deduplicated'),
    'mentions': ref('int_mentions_deduplicated'),
    'nps_responses': ref('int_nps_responses_deduplicated'),
    'business_hours': ref('int_business_hours_deduplicated'),
    'holidays': ref('int_holidays_deduplicated'),
} %}
with

loads as (
    select
        entity,
        sum(records_read) as records_read
    from {{ ref('landing_file_loads') }}
    where load_status = 'loaded'
    group by entity
),

held as (
    {%- for entity, relation in copies.items() %}
    select
        '{{ entity }}' as entity,
        count(*) as records_held
    from {{ relation }}
    {{- "\n\n    union all\n" if not loop.last }}
    {%- endfor %}
)

select
    held.entity,
    coalesce(loads.records_read, 0) as records_read,
    held.records_held
from held
left join loads
    on held.entity = loads.entity
where coalesce(loads.records_read, 0) <> held.records_held
