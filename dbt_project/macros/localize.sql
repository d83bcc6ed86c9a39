{#-
    What each int_<entity>_localized model holds: the clean rows of
    int_<entity>_deduplicated with the local date of one timestamp in the
    workspace's time zone (null time zone = UTC).

    columns:        columns copied as they are
    timestamp:      the timestamp whose local date is added, as `date_column`
    extra_columns:  further "expression as name" select items (alias `records`)
-#}
{% macro localized_specs() %}
    {{ return({
        "messages": {
            "columns": ["message_id", "conversation_id", "workspace_id", "created_at",
                        "author_type", "author_agent_id", "message_type", "updated_at",
                        "_good_since"],
            "timestamp": "created_at",
            "date_column": "created_date",
            "extra_columns": [
                "coalesce(records.ai_assist, 'none') as ai_assist",
                "records.message_type = 'reply' and records.author_type = 'agent' as is_outbound_reply",
                "records.message_type = 'reply' and records.author_type = 'ai_agent' as is_ai_reply",
                "records.message_type = 'handoff' as is_handoff",
                "records.author_type = 'customer' as is_customer_message",
            ],
        },
        "csat_responses": {
            "columns": ["response_id", "conversation_id", "workspace_id", "score",
                        "submitted_at", "updated_at", "_good_since"],
            "timestamp": "submitted_at",
            "date_column": "submitted_date",
            "extra_columns": [],
        },
        "mentions": {
            "columns": ["mention_id", "message_id", "conversation_id", "workspace_id",
                        "mentioned_agent_id", "created_at", "updated_at", "_good_since"],
            "timestamp": "created_at",
            "date_column": "created_date",
            "extra_columns": [],
        },
        "nps_responses": {
            "columns": ["response_id", "workspace_id", "score", "submitted_at", "updated_at",
                        "_good_since"],
            "timestamp": "submitted_at",
            "date_column": "submitted_date",
            "extra_columns": [],
        },
    }) }}
{% endmacro %}


{#-
    localized_select(entity, where=none): the rows of int_<entity>_localized
    (the body of that model), as one flat select.

    where: an extra condition on the deduplicated rows (alias `records`),
    applied before any local date is computed. Incremental models use it to
    localize only the rows of the conversations they rebuild, instead of
    filtering the int_<entity>_localized view (which would first compute the
    local date of every row: seconds per 10M rows). Such a caller keeps
    int_<entity>_localized as a dependency (`-- depends_on:`).
-#}
{% macro localized_select(entity, where=none) -%}
    {%- set spec = localized_specs()[entity] -%}
    select
        {%- for col in spec.columns %}
        records.{{ col }},
        {%- endfor %}
        {%- for item in spec.extra_columns %}
        {{ item }},
        {%- endfor %}
        {{ local_date('records.' ~ spec.timestamp, "coalesce(workspaces.timezone, 'UTC')") }}
            as {{ spec.date_column }}
    from {{ ref('int_' ~ entity ~ '_deduplicated') }} as records
    inner join {{ ref('int_workspaces_deduplicated') }} as workspaces
        on records.workspace_id = workspaces.workspace_id
        and workspaces.reject_reason is null
    where records.reject_reason is null
    {%- if where %}
        and ({{ where }})
    {%- endif %}
{%- endmacro %}


{#-
    The rows of int_<entity>_localized an incremental model reads: on an
    incremental run only those of the conversations `conversations_sql`
    selects (a select of conversation_id), localized after that filter;
    otherwise the whole model.
-#}
{% macro localized_for_conversations(entity, conversations_sql) -%}
    {%- if is_incremental() -%}
    {%- set where = "records.conversation_id in (" ~ conversations_sql ~ ")" -%}
    {%- if entity == "messages" -%}
    {%- set where = where ~ " and records.created_at >= " ~ first_message_bound(conversations_sql) -%}
    {%- endif -%}
    {{ localized_select(entity, where=where) }}
    {%- else -%}
    select * from {{ ref('int_' ~ entity ~ '_localized') }}
    {%- endif %}
    {{ localized_dependencies(entity) }}
    {%- if entity == "messages" %}
    -- depends_on: {{ ref('int_conversation_message_bounds') }}
    {%- endif %}
{%- endmacro %}


{#-
    A time no message of the conversations `conversations_sql` selects was
    created before (int_conversation_message_bounds). With it beside the
    filter by conversation, the engine reads only the messages from that time
    on (DuckDB pushes the subquery's value into the scan and skips older row
    groups), not every stored message.
-#}
{% macro first_message_bound(conversations_sql) -%}
    (
        select coalesce(
            min(first_message_at),
            cast('1900-01-01 00:00:00+00' as {{ landing_sql_type("timestamp") }})
        )
        from {{ ref('int_conversation_message_bounds') }}
        where conversation_id in ({{ conversations_sql }})
    )
{%- endmacro %}


{#- For a fact: the conversations in scope (CTE scope_conversations of fact_scope_ctes). -#}
{% macro localized_in_fact_scope(entity) -%}
    {{ localized_for_conversations(entity, "select conversation_id from scope_conversations") }}
{%- endmacro %}


{#-
    For a model keyed by conversation: every row of the conversations with a
    row new since the model's last run (`_good_since` at or after its
    `_watermark` column minus the look-back, or a workspace whose time zone
    changed since: is_new_record).
-#}
{% macro localized_of_new_conversations(entity) -%}
    {%- set new_conversations -%}
        select conversation_id from {{ ref('int_' ~ entity ~ '_localized') }}
        {%- if is_incremental() %}
        where {{ is_new_record(incremental_cutoff_constant("_watermark")) }}
        {%- endif %}
    {%- endset -%}
    {{ localized_for_conversations(entity, new_conversations) }}
{%- endmacro %}


{#-
    `-- depends_on:` lines for what localized_select reads. A model that calls
    localized_select only on incremental runs renders this unconditionally:
    dbt records a model's refs while parsing, when is_incremental() is false.
-#}
{% macro localized_dependencies(entity) -%}
    -- depends_on: {{ ref('int_' ~ entity ~ '_deduplicated') }}, {{ ref('int_workspaces_deduplicated') }}, {{ ref('int_' ~ entity ~ '_localized') }}, {{ ref('int_workspace_timezones') }}
{%- endmacro %}
