{#-
    "Bad copies are rejected, the newest good copy wins" and "a reference to
    a rejected parent is itself rejected", checked per entity against the
    landed copies.

    A good copy is a landed copy with no record-level problem whose
    references (workspace, conversation, agent, per spec/landing.md) all
    resolve to clean parents (an optional reference may be null). Fails when:
      - good_copy_lost        a good copy's id has no clean record (an older
                              good copy was erased by a newer bad one);
      - newer_good_copy_lost  the clean record is older than a good copy of
                              the same id;
      - clean_record_not_good the clean record is not a good copy (e.g. it
                              points at a rejected or unknown parent).
-#}
{{ config(tags=['deep']) }}
{%- set references = {
    "workspaces": [],
    "agents": [["workspace_id", "workspaces"]],
    "conversations": [["workspace_id", "workspaces"], ["assignee_agent_id", "agents"]],
    "messages": [
        ["workspace_id", "workspaces"], ["conversation_id", "conversations"],
        ["author_agent_id", "agents"],
    ],
    "csat_responses": [["workspace_id", "workspaces"], ["conversation_id", "conversations"]],
    "mentions": [
        ["workspace_id", "workspaces"], ["conversation_id", "conversations"],
        ["mentioned_agent_id", "agents"],
    ],
    "nps_responses": [["workspace_id", "workspaces"]],
} -%}
{%- set entities = landing_entities() -%}
with

{% for parent in ["workspaces", "agents", "conversations"] %}
clean_{{ parent }} as (
    select {{ entities[parent].id }} as id
    from {{ ref('int_' ~ parent ~ '_deduplicated') }}
    where reject_reason is null
),

{% endfor %}
{% for entity, spec in entities.items() %}
{{ entity }}_good_copies as (
    select
        copy.{{ spec.id }} as id,
        copy.updated_at,
        copy.source_file,
        copy.line_number
    from {{ ref('stg_' ~ entity) }} as copy
    {%- for ref_column, parent in references[entity] %}
    left join clean_{{ parent }} as parent_{{ loop.index }}
        on copy.{{ ref_column }} = parent_{{ loop.index }}.id
    {%- endfor %}
    where copy.reject_reason is null
    {%- for ref_column, parent in references[entity] %}
        and (copy.{{ ref_column }} is null or parent_{{ loop.index }}.id is not null)
    {%- endfor %}
),

{{ entity }}_clean as (
    select
        {{ spec.id }} as id,
        updated_at,
        source_file,
        line_number
    from {{ ref('int_' ~ entity ~ '_deduplicated') }}
    where reject_reason is null
),

{{ entity }}_problems as (
    select
        '{{ entity }}' as entity,
        good.id as record_id,
        good.source_file,
        good.line_number,
        case
            when clean.id is null then 'good_copy_lost'
            else 'newer_good_copy_lost'
        end as problem
    from {{ entity }}_good_copies as good
    left join {{ entity }}_clean as clean
        on good.id = clean.id
    where clean.id is null
        or good.updated_at > clean.updated_at
        or (good.updated_at = clean.updated_at and good.source_file > clean.source_file)
        or (
            good.updated_at = clean.updated_at and good.source_file = clean.source_file
            and good.line_number > clean.line_number
        )

    union all

    select
        '{{ entity }}' as entity,
        clean.id as record_id,
        clean.source_file,
        clean.line_number,
        'clean_record_not_good' as problem
    from {{ entity }}_clean as clean
    where not exists (
        select 1 from {{ entity }}_good_copies as good
        where good.source_file = clean.source_file
            and good.line_number = clean.line_number
    )
),

{% endfor %}
all_problems as (
    {%- for entity in entities %}
    select * from {{ entity }}_problems
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
)

select * from all_problems
