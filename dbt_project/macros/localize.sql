{#-
    localized_select(entity, columns, timestamp_column, date_column, extra_columns):
    the body of an int_<entity>_localized model: the clean rows of
    int_<entity>_deduplicated with the local date of one timestamp in the
    workspace's time zone (null time zone = UTC).

    columns:        columns copied as they are
    extra_columns:  further "expression as name" select items (alias `records`)
-#}
{% macro localized_select(entity, columns, timestamp_column, date_column, extra_columns=[]) -%}
    with

    records as (
        select * from {{ ref('int_' ~ entity ~ '_deduplicated') }}
        where reject_reason is null
    ),

    workspaces as (
        select * from {{ ref('int_workspaces_deduplicated') }}
        where reject_reason is null
    ),

    final as (
        select
            {%- for col in columns %}
            records.{{ col }},
            {%- endfor %}
            {%- for item in extra_columns %}
            {{ item }},
            {%- endfor %}
            {{ local_date('records.' ~ timestamp_column, "coalesce(workspaces.timezone, 'UTC')") }}
                as {{ date_column }}
        from records
        inner join workspaces
            on records.workspace_id = workspaces.workspace_id
    )

    select * from final
{%- endmacro %}
