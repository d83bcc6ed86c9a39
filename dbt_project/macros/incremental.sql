{#-
    Incremental processing (nightly runs cost what the new data costs).

    A record is "new" when its updated_at is at or after the previous run's
    watermark minus var('lookback_days') (default 3): late-arriving records
    up to that many days behind the newest landed data are picked up. The
    readers of int_<entity>_deduplicated go by its _good_since, which is the
    updated_at except for a copy rescued after the look-back (stored as
    rejected for a reference, good once its parent landed): see
    deduplicated_select.

    - int_<entity>_deduplicated (messages, conversations, CSAT and NPS
      responses, mentions): merge by id, newest copy wins against the copies
      already in the table.
    - int_<entity>_localized: views, localized on read.
    - int_first_response_samples, int_csat_responses_daily_latest: recompute
      the rows of the conversations that have new records.
    - int_conversation_message_bounds: per conversation, the earliest time
      of its messages (kept least); readers of messages by conversation skip
      older row groups with it (first_message_bound in localize.sql).
    - fct_agent_activity, fct_conversation_activity: rebuild every local
      date touched by a conversation with new records (each affected date is
      rebuilt whole, so a date-partitioned engine can overwrite partitions;
      a date in scope left with no row is deleted: store_fact_scope).
    - int_agent_activity_daily: recompute the dates the facts rebuilt, and
      delete the dates the fact no longer has.

    `ochre-analytics run --full-refresh` (dbt --full-refresh) rebuilds all.
-#}

{#-
    Config for an incremental model; kind is 'by_key', 'by_date', or
    'copies_by_id' (an int_<entity>_deduplicated model: merge by id, keeping
    a stored good copy that the run's rows do not replace; see
    get_incremental_replace_copies_sql).
-#}
{% macro incremental_settings(kind, key) %}
    {{- return(adapter.dispatch("incremental_settings", "ochre_analytics")(kind, key)) -}}
{% endmacro %}

{% macro default__incremental_settings(kind, key) %}
    {{- return({
        "materialized": "incremental",
        "incremental_strategy": "replace_copies" if kind == "copies_by_id" else "delete+insert",
        "unique_key": key,
        "on_schema_change": "fail",
    }) -}}
{% endmacro %}


{#-
    Incremental strategy replace_copies (int_<entity>_deduplicated): the new
    rows of an id replace its stored rows, except that the stored good copy
    stays when the new rows of its id are only rejected copies (a bad copy
    never erases an older good copy; the run need not read that good copy).
    Stored rejected copies of an id with new rows are replaced: the run
    writes again the ones that are still rejected.
-#}
{% macro get_incremental_replace_copies_sql(arg_dict) %}
    {%- set target = arg_dict["target_relation"] -%}
    {%- set source = arg_dict["temp_relation"] -%}
    {%- set key = arg_dict["unique_key"] -%}
    {%- set columns = get_quoted_csv(arg_dict["dest_columns"] | map(attribute="name")) -%}
    delete from {{ target }}
    where {{ key }} in (select {{ key }} from {{ source }})
        and (
            reject_reason is not null
            or {{ key }} in (select {{ key }} from {{ source }} where reject_reason is null)
        );

    insert into {{ target }} ({{ columns }})
    select {{ columns }} from {{ source }}
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


{#-
    The earliest updated_at that counts as new in this run, read from a column
    of `this` (lookback=false: the newest value itself, without the look-back).
-#}
{% macro incremental_cutoff(watermark_column="updated_at", lookback=true) -%}
    coalesce(
        {{ timestamp_add_days(
            "(select max(" ~ watermark_column ~ ") from " ~ this ~ ")",
            -1 * (var("lookback_days") | int) if lookback else 0
        ) }},
        cast('1900-01-01 00:00:00+00' as {{ landing_sql_type("timestamp") }})
    )
{%- endmacro %}


{#-
    The same cutoff as a timestamp string, read from `this` when the model
    runs (compiled into the SQL as a constant, so the landing reader can skip
    older files); 1900-01-01 when `this` holds no record yet.
-#}
{% macro incremental_cutoff_literal(watermark_column="updated_at", lookback=true) %}
    {%- if not execute -%}
        {{ return("1900-01-01 00:00:00+00") }}
    {%- endif -%}
    {%- set result = run_query(
        "select cast(" ~ incremental_cutoff(watermark_column, lookback) ~ " as "
        ~ landing_sql_type("string") ~ ")"
    ) -%}
    {{ return(result.columns[0].values()[0]) }}
{% endmacro %}


{#-
    That cutoff as a SQL timestamp constant. A constant (unlike a subquery)
    lets the engine filter while scanning, before any join.
-#}
{% macro incremental_cutoff_constant(watermark_column="updated_at", lookback=true) -%}
    cast('{{ incremental_cutoff_literal(watermark_column, lookback) | replace("'", "''") }}' as {{ landing_sql_type("timestamp") }})
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
    The `_watermark` of a model's rows: the newest `_good_since` (the
    updated_at, or later for a rescued copy) among the records it is built
    from (`entities`: int_<entity>_localized names).
    An incremental run looks only at the records new since its own last
    watermark (a constant cutoff the engine filters on while scanning, where a
    plain max would read every record); with none of them, the last
    watermark stays.

    strictly_increasing=true (the facts): an incremental run gives the rows it
    builds a watermark above every earlier one, at least 1 microsecond after
    the last, so a model built from the facts (int_agent_activity_daily)
    finds the rows a run rebuilt even when no record newer than the last
    watermark landed (a late record with an older updated_at).
-#}
{% macro watermark_of(entities, strictly_increasing=false) -%}
    {%- set cutoff = incremental_cutoff_constant("_watermark") if is_incremental() else none -%}
    {%- set parts = [] -%}
    {%- for entity in entities -%}
        {%- do parts.append(
            "select max(_good_since) as updated_at from " ~ ref("int_" ~ entity ~ "_localized")
            ~ (" where _good_since >= " ~ cutoff if cutoff is not none else "")
        ) -%}
    {%- endfor -%}
    {%- set newest = "(select max(updated_at) from (" ~ (parts | join(" union all ")) ~ ") as sources)" -%}
    {%- if cutoff is not none and strictly_increasing -%}
    {%- set last = incremental_cutoff_constant("_watermark", lookback=false) -%}
    greatest(coalesce({{ newest }}, {{ last }}), {{ last }} + interval 1 microsecond)
    {%- elif cutoff is not none -%}
    coalesce({{ newest }}, (select max(_watermark) from {{ this }}))
    {%- else -%}
    {{ newest }}
    {%- endif -%}
{%- endmacro %}


{#-
    The condition an incremental reader of int_<entity>_deduplicated or
    int_<entity>_localized (optionally qualified by `alias`) selects its new
    records with: `_good_since` at or after `cutoff`, or, when a workspace's
    time zone changed at or after it (int_workspace_timezones), every record
    of that workspace, whose local dates move. Whether any workspace did is
    read when the model runs (`rezoned`: the result of rezoned_workspaces for
    the same cutoff, for a caller that needs the condition more than once): in
    the usual run none has, and the condition is the plain comparison, which
    DuckDB pushes into the scan.
-#}
{% macro is_new_record(cutoff, alias=none, rezoned="read") -%}
    {%- set q = alias ~ "." if alias else "" -%}
    {%- set rezoned = rezoned_workspaces(cutoff) if rezoned == "read" else rezoned -%}
    {%- if rezoned -%}
        ({{ q }}_good_since >= {{ cutoff }} or {{ q }}workspace_id in ({{ rezoned }}))
    {%- else -%}
        {{ q }}_good_since >= {{ cutoff }}
    {%- endif -%}
{%- endmacro %}


{#-
    A select of the workspaces whose time zone changed at or after `cutoff`,
    or none when no workspace did (read when the model runs).
-#}
{% macro rezoned_workspaces(cutoff) -%}
    {%- set rezoned -%}
        select workspace_id from {{ ref('int_workspace_timezones') }}
        where timezone_since >= {{ cutoff }}
    {%- endset -%}
    {%- if execute and run_query("select count(*) from (" ~ rezoned ~ ") as rezoned").columns[0].values()[0] > 0 -%}
        {{ return(rezoned) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}


{#- The newest _good_since among the records the facts are built from. -#}
{% macro facts_watermark() -%}
    {{ watermark_of(["messages", "csat_responses", "mentions"], strictly_increasing=true) }}
{%- endmacro %}


{#-
    The scope of an incremental run of a date-incremental fact (grain
    includes conversation_id and activity_date): every local date on which a
    conversation with new records has activity is rebuilt, with every
    conversation active on those dates.

    "Has activity" is read from the fact itself (the dates its stored rows of
    those conversations have) plus the dates of the new messages and of every
    CSAT response and mention of those conversations. A stored message that
    is not new changes no date by itself: each message a fact counts (a
    reply, or the reply a first-response sample ends on) already gave the
    fact a row on its date. So the messages table is read only for the new
    messages (`_good_since` at or after the cutoff: DuckDB skips older row
    groups by their statistics), not for every message of those
    conversations. CSAT responses and mentions are few: all of those
    conversations' rows are read, filtered before their local date is
    computed.

    The fact's pre-hook (store_fact_scope) keeps the scope in table
    <fact>__scope before the fact is written: the fact reads it (CTEs
    affected_dates and scope_conversations, fact_scope_ctes), and its
    post-hook (delete_emptied_fact_dates) deletes the stored rows of the
    dates in scope that the run gave no row: a date whose only activity moved
    to another date (a re-exported record, a time-zone change), which the
    replace by date (delete+insert, or Spark's partition overwrite) would
    otherwise keep. The fact renders fact_scope_dependencies() outside its
    incremental branch.
-#}
{% macro fact_incremental_scope() -%}
    {%- set cutoff = incremental_cutoff_constant("_watermark") -%}
    {%- set rezoned = rezoned_workspaces(cutoff) -%}
    new_messages as (
        {{ localized_select('messages', where=is_new_record(cutoff, "records", rezoned)) }}
    ),

    new_conversations as (
        select conversation_id from new_messages
        union
        select conversation_id from {{ ref('int_csat_responses_localized') }}
        where {{ is_new_record(cutoff, rezoned=rezoned) }}
        union
        select conversation_id from {{ ref('int_mentions_localized') }}
        where {{ is_new_record(cutoff, rezoned=rezoned) }}
    ),

    affected_dates as (
        select activity_date from {{ this }}
        where conversation_id in (select conversation_id from new_conversations)
        union
        select created_date from new_messages
        union
        select submitted_date from (
            {{ localized_select('csat_responses', where="records.conversation_id in (select conversation_id from new_conversations)") }}
        ) as new_conversation_csat
        union
        select created_date from (
            {{ localized_select('mentions', where="records.conversation_id in (select conversation_id from new_conversations)") }}
        ) as new_conversation_mentions
    ),

    scope_conversations as (
        select conversation_id from {{ this }}
        where activity_date in (select activity_date from affected_dates)
        union
        select conversation_id from new_conversations
    )
{%- endmacro %}


{#- The table a date-incremental fact keeps its run's scope in, beside the fact. -#}
{% macro fact_scope_relation() -%}
    {{- return(api.Relation.create(
        database=this.database, schema=this.schema,
        identifier=this.identifier ~ "__scope", type="table",
    )) -}}
{%- endmacro %}


{#-
    Pre-hook of a date-incremental fact: (re)create <fact>__scope, with a row
    per affected date (conversation_id null) and per conversation in scope
    (activity_date null), each with the fact's newest `_watermark` before the
    run (previous_watermark). Empty when the run is not incremental, so the
    post-hooks always find it.
-#}
{% macro store_fact_scope() -%}
    {%- set string_type = landing_sql_type("string") -%}
    {%- set timestamp_type = landing_sql_type("timestamp") -%}
    {%- set scope_sql -%}
        {%- if is_incremental() %}
        with
        {{ fact_incremental_scope() }},

        previous as (
            select {{ incremental_cutoff_constant("_watermark", lookback=false) }} as previous_watermark
        )

        select
            affected_dates.activity_date,
            cast(null as {{ string_type }}) as conversation_id,
            previous.previous_watermark
        from affected_dates
        cross join previous
        union all
        select
            cast(null as date) as activity_date,
            scope_conversations.conversation_id,
            previous.previous_watermark
        from scope_conversations
        cross join previous
        {%- else %}
        select
            cast(null as date) as activity_date,
            cast(null as {{ string_type }}) as conversation_id,
            cast(null as {{ timestamp_type }}) as previous_watermark
        where 1 = 0
        {%- endif %}
    {%- endset -%}
    {{ scratch_table_as(fact_scope_relation(), scope_sql) }}
{%- endmacro %}


{#- A plain table `relation` holding the rows of `sql`, replacing any earlier one. -#}
{% macro scratch_table_as(relation, sql) %}
    {{- return(adapter.dispatch("scratch_table_as", "ochre_analytics")(relation, sql)) -}}
{% endmacro %}

{% macro default__scratch_table_as(relation, sql) -%}
    create or replace table {{ relation }} as {{ sql }}
{%- endmacro %}

{% macro spark__scratch_table_as(relation, sql) -%}
    {#- Spark's session catalog replaces only v2 tables: drop, then create. -#}
    {%- if execute -%}
        {%- do adapter.drop_relation(relation) -%}
    {%- endif -%}
    create table {{ relation }} using parquet as {{ sql }}
{%- endmacro %}


{#- CTEs affected_dates and scope_conversations of an incremental fact, from its scope table. -#}
{% macro fact_scope_ctes() -%}
    {%- set scope = fact_scope_relation() -%}
    affected_dates as (
        select activity_date from {{ scope }}
        where activity_date is not null
    ),

    scope_conversations as (
        select conversation_id from {{ scope }}
        where conversation_id is not null
    ),
{%- endmacro %}


{#-
    Post-hook of a date-incremental fact: delete the stored rows of every
    date in scope that this run gave no row (every row it wrote has a
    `_watermark` above previous_watermark), then (a second post-hook,
    drop_fact_scope) drop the scope table.
-#}
{% macro delete_emptied_fact_dates() -%}
    {%- set scope = fact_scope_relation() -%}
    {%- set emptied -%}
        select activity_date from {{ scope }}
        where activity_date is not null
            and activity_date not in (
                select activity_date from {{ this }}
                where _watermark > (select max(previous_watermark) from {{ scope }})
            )
    {%- endset -%}
    {{ delete_dates(this, "activity_date", emptied) }}
{%- endmacro %}


{% macro drop_fact_scope() -%}
    drop table if exists {{ fact_scope_relation() }}
{%- endmacro %}


{#-
    The config (hooks) of a date-incremental fact; the fact also sets
    incremental_settings('by_date', 'activity_date').
-#}
{% macro fact_scope_hooks() %}
    {{- return({
        "pre_hook": ["{{ store_fact_scope() }}"],
        "post_hook": ["{{ delete_emptied_fact_dates() }}", "{{ drop_fact_scope() }}"],
    }) -}}
{% endmacro %}


{#-
    Post-hook of a model incremental by date built from a fact
    (int_agent_activity_daily): delete the dates the fact no longer has (the
    fact deleted them: delete_emptied_fact_dates). The model recomputes only
    the dates the fact rebuilt, and a date with no fact row gives it no row
    to replace.
-#}
{% macro delete_dates_not_in(fact) -%}
    {%- if is_incremental() -%}
    {%- set dates -%}
        select activity_date from {{ this }}
        except
        select activity_date from {{ fact }}
    {%- endset -%}
    {{ delete_dates(this, "activity_date", dates) }}
    {%- endif -%}
{%- endmacro %}


{#-
    A statement deleting from `relation` the rows whose `column` (a date)
    is among those `dates_sql` selects. DuckDB: one `delete`, which deletes
    nothing when there are none. Spark: the dates are read when the hook
    runs, and it renders empty when there are none (a hook that renders
    empty is skipped).
-#}
{% macro delete_dates(relation, column, dates_sql) %}
    {{- return(adapter.dispatch("delete_dates", "ochre_analytics")(relation, column, dates_sql)) -}}
{% endmacro %}

{% macro default__delete_dates(relation, column, dates_sql) -%}
    delete from {{ relation }} where {{ column }} in ({{ dates_sql }})
{%- endmacro %}

{% macro spark__delete_dates(relation, column, dates_sql) -%}
    {#- Parquet tables cannot delete rows: drop the dates' partitions (read when the hook runs). -#}
    {%- if not execute -%}
        {{ return("") }}
    {%- endif -%}
    {%- set dates = run_query("select distinct " ~ column ~ " from (" ~ dates_sql ~ ") as dates").columns[0].values() -%}
    {%- if dates | length > 0 -%}
    alter table {{ relation }} drop if exists
    {%- for d in dates | sort %}
        partition ({{ column }} = '{{ d }}'){{ "," if not loop.last }}
    {%- endfor %}
    {%- endif -%}
{%- endmacro %}


{#- `-- depends_on:` lines for what fact_incremental_scope reads (see localized_dependencies). -#}
{% macro fact_scope_dependencies() -%}
    {%- for entity in ["messages", "csat_responses", "mentions"] %}
{{ localized_dependencies(entity) }}
    {%- endfor %}
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
        where {{ is_new_record(incremental_cutoff_constant("_watermark")) }}
    )
    {%- endif -%}
{% endmacro %}
