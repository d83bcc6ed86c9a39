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

{#- The four leaderboard windows, as a relation with one column period_days. -#}
{% macro leaderboard_periods() -%}
    (
        select 7 as period_days
        union all select 14
        union all select 30
        union all select 90
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
    D, each once per window whose current or prior window holds it, with
    in_window (current window) and csat_counted (latest rating as of D).
-#}
{% macro windowed_fact_rows(fact_relation) -%}
    select
        activity.*,
        periods.period_days,
        activity.activity_date >= {{ add_days(as_of_date(), "1 - periods.period_days") }} as in_window,
        {{ csat_counted_as_of("activity") }} as csat_counted
    from {{ fact_relation }} as activity
    inner join {{ leaderboard_periods() }} as periods
        on activity.activity_date >= {{ add_days(as_of_date(), "1 - 2 * periods.period_days") }}
    where activity.activity_date between {{ add_days(as_of_date(), -179) }} and {{ as_of_date() }}
{%- endmacro %}
