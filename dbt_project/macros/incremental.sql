{#-
    Incremental processing (nightly runs cost what the new data costs).

    A record is "new" when its updated_at is at or after the previous run's
    watermark minus var('lookback_days') (default 3): late-arriving records
    up to that many days behind the newest landed data are picked up.

    - int_<entity>_deduplicated (messages, conversations, CSAT and NPS
      responses, mentions): merge by id, newest copy wins against the copies
      already in the table.
    - int_<entity>_localized: views, localized on read.
    - int_first_response_samples, int_csat_responses_daily_latest: recompute
      the rows of the conversations that have new records.
    - fct_agent_activity, fct_conversation_activity: rebuild every local
      date touched by a conversation with new records (each affected date is
      rebuilt whole, so a date-partitioned engine can overwrite partitions).

    `ochre-analytics run --full-refresh` (dbt --full-refresh) rebuilds all.
-#}

{#- Config for an incremental model; kind is 'by_key' or 'by_date'. -#}
{% macro incremental_settings(kind, key) %}
    {{- return(adapter.dispatch("incremental_settings", "ochre_analytics")(kind, key)) -}}
{% endmacro %}

{% macro default__incremental_settings(kind, key) %}
    {{- return({
        "materialized": "incremental",
        "incremental_strategy": "delete+insert",
        "unique_key": key,
        "on_schema_change": "fail",
    }) -}}
{% endmacro %}


{#- A timestamp plus n days (n may be negative). -#}
{% macro timestamp_add_days(ts_expr, n) %}
    {{- return(adapter.dispatch("timestamp_add_days", "ochre_analytics")(ts_expr, n)) -}}
{% endmacro %}

{% macro default__timestamp_add_days(ts_expr, n) -%}
    (({{ ts_expr }}) + to_days(cast({{ n }} as integer)))
{%- endmacro %}

{% macro spark__timestamp_add_days(ts_expr, n) -%}
    timestampadd(day, {{ n }}, {{ ts_expr }})
{%- endmacro %}


{#- The earliest updated_at that counts as new in this run, read from a column of `this`. -#}
{% macro incremental_cutoff(watermark_column="updated_at") -%}
    coalesce(
        {{ timestamp_add_days(
            "(select max(" ~ watermark_column ~ ") from " ~ this ~ ")",
            -1 * (var("lookback_days") | int)
        ) }},
        cast('1900-01-01 00:00:00+00' as {{ landing_sql_type("timestamp") }})
    )
{%- endmacro %}


{#-
    The same cutoff as a timestamp string, read from `this` when the model
    runs (compiled into the SQL as a constant, so the landing reader can skip
    older files); 1900-01-01 when `this` holds no record yet.
-#}
{% macro incremental_cutoff_literal(watermark_column="updated_at") %}
    {%- if not execute -%}
        {{ return("1900-01-01 00:00:00+00") }}
    {%- endif -%}
    {%- set result = run_query(
        "select cast(" ~ incremental_cutoff(watermark_column) ~ " as "
        ~ landing_sql_type("string") ~ ")"
    ) -%}
    {{ return(result.columns[0].values()[0]) }}
{% endmacro %}


{#-
    That cutoff as a SQL timestamp constant. A constant (unlike a subquery)
    lets the engine filter while scanning, before any join.
-#}
{% macro incremental_cutoff_constant(watermark_column="updated_at") -%}
    cast('{{ incremental_cutoff_literal(watermark_column) | replace("'", "''") }}' as {{ landing_sql_type("timestamp") }})
{%- endmacro %}


{#- Landing files int_landing_file_checks holds already (landing-relative paths). -#}
{% macro landing_files_checked() %}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- set result = run_query(
        "select distinct source_file from " ~ this ~ " where line_number is null"
    ) -%}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}


{#-
    The `_watermark` of a model's rows: the newest updated_at among the
    records it is built from (`entities`: int_<entity>_localized names).
    An incremental run looks only at the records new since its own last
    watermark (a constant cutoff the engine filters on while scanning, where a
    plain max would read every record); with none of them, the last
    watermark stays.
-#}
{% macro watermark_of(entities) -%}
    {%- set cutoff = incremental_cutoff_constant("_watermark") if is_incremental() else none -%}
    {%- set parts = [] -%}
    {%- for entity in entities -%}
        {%- do parts.append(
            "select max(updated_at) as updated_at from " ~ ref("int_" ~ entity ~ "_localized")
            ~ (" where updated_at >= " ~ cutoff if cutoff is not none else "")
        ) -%}
    {%- endfor -%}
    {%- set newest = "(select max(updated_at) from (" ~ (parts | join(" union all ")) ~ ") as sources)" -%}
    {%- if cutoff is not none -%}
    coalesce({{ newest }}, (select max(_watermark) from {{ this }}))
    {%- else -%}
    {{ newest }}
    {%- endif -%}
{%- endmacro %}


{#- The newest updated_at among the records the facts are built from. -#}
{% macro facts_watermark() -%}
    {{ watermark_of(["messages", "csat_responses", "mentions"]) }}
{%- endmacro %}


{#- Conversations with a message, CSAT response or mention that is new in this run. -#}
{% macro new_record_conversations() -%}
    {%- set cutoff = incremental_cutoff_constant("_watermark") -%}
    select conversation_id from {{ ref('int_messages_localized') }}
    where updated_at >= {{ cutoff }}
    union
    select conversation_id from {{ ref('int_csat_responses_localized') }}
    where updated_at >= {{ cutoff }}
    union
    select conversation_id from {{ ref('int_mentions_localized') }}
    where updated_at >= {{ cutoff }}
{%- endmacro %}


{#-
    CTEs new_conversations, affected_dates and scope_conversations for a
    date-incremental fact (grain includes conversation_id and activity_date):
    every local date on which a conversation with new records has activity
    (before or after this run) is rebuilt, with every conversation active
    on those dates.
-#}
{% macro fact_incremental_scope() -%}
    new_conversations as (
        {{ new_record_conversations() }}
    ),

    affected_dates as (
        select activity_date from {{ this }}
        where conversation_id in (select conversation_id from new_conversations)
        union
        select created_date from (
            {{ localized_select('messages', where="records.conversation_id in (select conversation_id from new_conversations)") }}
        ) as new_conversation_messages
        union
        select submitted_date from {{ ref('int_csat_responses_localized') }}
        where conversation_id in (select conversation_id from new_conversations)
        union
        select created_date from {{ ref('int_mentions_localized') }}
        where conversation_id in (select conversation_id from new_conversations)
    ),

    scope_conversations as (
        select conversation_id from {{ this }}
        where activity_date in (select activity_date from affected_dates)
        union
        select conversation_id from new_conversations
    ),
{%- endmacro %}


{#- `where` clause keeping the rows of the scope's conversations (incremental runs only). -#}
{% macro in_fact_scope(column="conversation_id") -%}
    {%- if is_incremental() -%}
        where {{ column }} in (select conversation_id from scope_conversations)
    {%- endif -%}
{%- endmacro %}


{#-
    Pre-hook of int_first_response_samples: on an incremental run, drop the
    stored samples of every conversation with new messages first, so a
    conversation that no longer has any sample (say a late, earlier reply
    changed whose reply came first) keeps no stale row. delete+insert alone
    only deletes the keys it inserts again.
-#}
{% macro delete_samples_of_new_conversations() %}
    {%- if is_incremental() and config.get("incremental_strategy") == "delete+insert" -%}
    delete from {{ this }}
    where conversation_id in (
        select conversation_id from {{ ref('int_messages_localized') }}
        where updated_at >= {{ incremental_cutoff_constant("_watermark") }}
    )
    {%- endif -%}
{% endmacro %}
