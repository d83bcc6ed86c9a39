{#-
    landing_reject_reason(entity): a SQL expression, over read_landing()'s
    columns, giving the first reason why a landed record is bad, or null.
    The record-level rules of spec/landing.md "Bad records"; the reference
    rules (unknown conversation, agent, workspace) live in the
    int_*_deduplicated models, which see the other entities.
-#}
{% macro landing_reject_reason(entity) %}
    {{- return(adapter.dispatch("landing_reject_reason", "ochre_analytics")(entity)) -}}
{% endmacro %}

{% macro default__landing_reject_reason(entity) -%}
    {%- set spec = landing_entities()[entity] -%}
    {%- set enums = landing_enums().get(entity, {}) -%}
    case
        when _parse_error is not null then _parse_error
        {%- for col in spec.columns if col[2] %}
        when not {{ col[0] }}__present then 'missing required column {{ col[0] }}'
        {%- endfor %}
        {%- for col in spec.columns if col[1] != "string" %}
        when {{ col[0] }}__present and {{ col[0] }} is null
            then '{{ "unparseable timestamp" if col[1] == "timestamp" else "not an integer" }} in {{ col[0] }}'
        {%- endfor %}
        {%- for col_name, allowed in enums.items() %}
        when {{ col_name }} is not null
            and {{ col_name }} not in ({% for v in allowed %}'{{ v }}'{{ ", " if not loop.last }}{% endfor %})
            then concat('unknown {{ col_name }} ''', {{ redact_personal_data(col_name) }}, '''')
        {%- endfor %}
        {%- if entity == "workspaces" %}
        when timezone is not null and not {{ is_known_timezone("timezone") }}
            then concat('unknown timezone ''', {{ redact_personal_data('timezone') }}, '''')
        {%- elif entity == "messages" %}
        when author_type = 'agent' and author_agent_id is null
            then 'agent message without author_agent_id'
        {%- elif entity == "csat_responses" %}
        when score not between 1 and 5 then 'score out of range 1-5'
        {%- elif entity == "nps_responses" %}
        when score not between 0 and 10 then 'score out of range 0-10'
        {%- endif %}
    end
{%- endmacro %}


{#-
    staging_select(entity): the body of a stg_<entity> view: every landed
    record with its typed columns, where it came from and why it is bad.
    since / skip_files: see read_landing (incremental models read the
    landing files directly with them).
-#}
{% macro staging_select(entity, since=none, skip_files=[]) -%}
    {%- set spec = landing_entities()[entity] -%}
    with

    landed as (
        {{ read_landing(entity, since, skip_files) }}
    ),

    final as (
        select
            {%- for col in spec.columns %}
            {{ col[0] }},
            {%- endfor %}
            {{ landing_relative_path("_source_file") }} as source_file,
            _line_number as line_number,
            {{ landing_reject_reason(entity) }} as reject_reason
        from landed
    )

    select * from final
{%- endmacro %}


{#-
    A bad value quoted in a reject reason is published: anything shaped like
    an email address in it is replaced, so personal data never reaches the
    published rejected_records.
-#}
{% macro redact_personal_data(expr) -%}
    {{- adapter.dispatch("redact_personal_data", "ochre_analytics")(expr) -}}
{%- endmacro %}

{% macro default__redact_personal_data(expr) -%}
    regexp_replace({{ expr }}, '[^@[:space:]'']+@[^@[:space:]'']+', '<redacted>', 'g')
{%- endmacro %}

{% macro spark__redact_personal_data(expr) -%}
    regexp_replace({{ expr }}, '[^@\\s'']+@[^@\\s'']+', '<redacted>')
{%- endmacro %}
