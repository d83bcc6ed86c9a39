{#-
    The run's as-of local date D as an ISO string. From var as_of_date; when
    empty, from the environment variable OCHRE_AS_OF_DATE (what the pipeline
    sets); when that is empty too, yesterday in UTC (the CLI's default).

    The environment variable is read only when models run, never while dbt
    parses, so a new date every night keeps dbt's partial parsing (a var
    given with --vars that changes makes dbt parse the whole project again).
-#}
{% macro as_of_date_iso() %}
    {%- set raw = var("as_of_date", "") | string | trim -%}
    {%- if (raw == "" or raw == "None") and execute -%}
        {%- set raw = env_var("OCHRE_AS_OF_DATE", "") | trim -%}
    {%- endif -%}
    {%- if raw == "" or raw == "None" -%}
        {%- set d = modules.datetime.datetime.utcnow().date() - modules.datetime.timedelta(days=1) -%}
        {{ return(d.isoformat()) }}
    {%- endif -%}
    {%- if not modules.re.match("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", raw) -%}
        {{ exceptions.raise_compiler_error(
            "as-of date (var as_of_date or OCHRE_AS_OF_DATE) must be YYYY-MM-DD, got '" ~ raw ~ "'"
        ) }}
    {%- endif -%}
    {{ return(raw) }}
{% endmacro %}

{#- D as a SQL date expression. -#}
{% macro as_of_date() %}
    {{- date_literal(as_of_date_iso()) -}}
{% endmacro %}

{#- The four leaderboard windows (days), as a list. -#}
{% macro leaderboard_period_days() %}
    {{- return([7, 14, 30, 90]) -}}
{% endmacro %}


{#- The four leaderboard windows, as a relation with one column period_days. -#}
{% macro leaderboard_periods() -%}
    (
        {%- for n in leaderboard_period_days() %}
        {{ "union all " if not loop.first }}select {{ n }} as period_days
        {%- endfor %}
    )
{%- endmacro %}


{#- True when a fact row's CSAT response is the conversation's latest as of D. -#}
{% macro csat_counted_as_of(relation_alias) -%}
    {{ relation_alias }}.csat_responses > 0
    and {{ superseded_after_as_of(relation_alias ~ ".csat_superseded_on") }}
{%- endmacro %}


{#- A CSAT response superseded on `superseded_on` (null: never) is still the latest one as of D. -#}
{% macro superseded_after_as_of(superseded_on) -%}
    ({{ superseded_on }} is null or {{ superseded_on }} > {{ as_of_date() }})
{%- endmacro %}


{#-
    Rows of a daily fact (activity_date, csat_* columns) in the 180 days to
    D (the longest window and its prior window), with csat_counted (latest
    rating as of D). Per-window figures are conditional aggregates over these
    rows (in_window, in_prior_window), one column per window, which
    unpivot_windows turns into one row per window: no row is repeated per
    window.
-#}
{% macro fact_rows_to_as_of(fact_relation) -%}
    select
        activity.*,
        {{ csat_counted_as_of("activity") }} as csat_counted
    from {{ fact_relation }} as activity
    where activity.activity_date between {{ add_days(as_of_date(), -179) }} and {{ as_of_date() }}
{%- endmacro %}


{#- The row's activity_date lies in the window of `n` days ending on D. -#}
{% macro in_window(n) -%}
    activity_date >= {{ add_days(as_of_date(), 1 - n) }}
{%- endmacro %}


{#- ... in the prior window: the `n` days before it. -#}
{% macro in_prior_window(n) -%}
    activity_date between {{ add_days(as_of_date(), 1 - 2 * n) }} and {{ add_days(as_of_date(), -n) }}
{%- endmacro %}


{#- ... in either of the two (what decides whether a group has a row for the window). -#}
{% macro in_window_or_prior(n) -%}
    activity_date >= {{ add_days(as_of_date(), 1 - 2 * n) }}
{%- endmacro %}


{#-
    Select-list items, one per window and column: `columns` maps a column
    name to an aggregate expression in which {in_window}, {in_prior_window}
    and {in_window_or_prior} stand for the row's place relative to the
    window (macros above); the column for a window of n days is named
    <name>_<n>. Comma-separated, without a trailing comma.
-#}
{% macro window_columns(columns) -%}
    {%- set items = [] -%}
    {%- for n in leaderboard_period_days() -%}
        {%- for name, expr in columns.items() -%}
            {%- do items.append(
                expr
                | replace("{in_window_or_prior}", in_window_or_prior(n))
                | replace("{in_prior_window}", in_prior_window(n))
                | replace("{in_window}", in_window(n))
                | replace("{n}", n | string)
                ~ " as " ~ name ~ "_" ~ n
            ) -%}
        {%- endfor -%}
    {%- endfor -%}
    {{ items | join(",\n        ") }}
{%- endmacro %}


{#-
    One row per group and window from a relation (or a join, written as a
    from clause) with one column per window:
    `columns` maps an output column to an expression in which `{n}` stands
    for the window's days (e.g. "replies_sent_{n}"). Keeps the rows whose
    `present_{n}` is 1 (the group has fact rows in that window or its prior).
-#}
{% macro unpivot_windows(relation, group_columns, columns) -%}
    {%- for n in leaderboard_period_days() %}
    select
        {%- for col in group_columns %}
        {{ col }},
        {%- endfor %}
        {{ n }} as period_days,
        {%- for name, expr in columns.items() %}
        {{ expr | replace("{n}", n | string) }} as {{ name }}{{ "," if not loop.last }}
        {%- endfor %}
    from {{ relation }}
    where present_{{ n }} = 1
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
{%- endmacro %}
