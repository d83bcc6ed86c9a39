{#-
    Nothing landed is lost or double-counted, per entity:

        landed copies (stg_<entity> rows)
          = rejected_records rows of the entity
          + clean deduplicated records (int_<entity>_deduplicated, reject_reason null)
          + superseded copies

    A superseded copy is a landed copy with no record-level problem, not
    listed in rejected_records, that lost the dedup to the clean (newest
    good) copy of the same id. Each part is counted on its own, so a copy
    dropped silently (e.g. an older copy of a record whose newest copy was
    rejected), listed twice, or both listed and counted breaks the equation.
    Also: the clean records all reach the model that consumes them
    (localized model or published table), none more, none fewer.
-#}
{{ config(tags=['deep']) }}
{%- set clean_consumers = {
    "workspaces": "workspaces",
    "agents": "agents",
    "conversations": "int_conversations_deduplicated",
    "messages": "int_messages_localized",
    "csat_responses": "int_csat_responses_localized",
    "mentions": "int_mentions_localized",
    "nps_responses": "int_nps_responses_localized",
} -%}
with

rejected as (
    select * from {{ ref('rejected_records') }}
),

{% for entity, spec in landing_entities().items() %}
{%- set consumer = clean_consumers[entity] %}
{{ entity }}_clean as (
    select
        {{ spec.id }} as id,
        updated_at,
        source_file,
        line_number
    from {{ ref('int_' ~ entity ~ '_deduplicated') }}
    where reject_reason is null
),

{{ entity }}_copies as (
    select
        count(*) as landed,
        sum(
            case
                when copy.reject_reason is null
                    and listed.line_number is null
                    and (
                        copy.updated_at < clean.updated_at
                        or (copy.updated_at = clean.updated_at and copy.source_file < clean.source_file)
                        or (
                            copy.updated_at = clean.updated_at and copy.source_file = clean.source_file
                            and copy.line_number < clean.line_number
                        )
                    )
                    then 1
                else 0
            end
        ) as superseded
    from {{ ref('stg_' ~ entity) }} as copy
    left join {{ entity }}_clean as clean
        on copy.{{ spec.id }} = clean.id
    left join rejected as listed
        on listed.entity = '{{ entity }}'
        and copy.source_file = listed.source_file
        and copy.line_number = listed.line_number
),

{{ entity }}_counts as (
    select
        '{{ entity }}' as entity,
        copies.landed,
        (select count(*) from rejected where entity = '{{ entity }}') as rejected,
        (select count(*) from {{ entity }}_clean) as clean,
        coalesce(copies.superseded, 0) as superseded,
        (
            select count(*) from {{ ref(consumer) }}
            {%- if consumer.endswith('_deduplicated') %}
            where reject_reason is null
            {%- endif %}
        ) as clean_downstream
    from {{ entity }}_copies as copies
),

{% endfor %}
all_counts as (
    {%- for entity in landing_entities() %}
    select * from {{ entity }}_counts
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select *
from all_counts
where landed <> rejected + clean + superseded
    or clean_downstream <> clean
