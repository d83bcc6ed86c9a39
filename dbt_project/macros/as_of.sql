{#-
    The run's as-of local date D as an ISO string. From var as_of_date;
    when empty, yesterday in UTC (the CLI's default).
-#}
{% macro as_of_date_iso() %}
    {%- set raw = var("as_of_date", "") | string | trim -%}
    {%- if raw == "" or raw == "None" -%}
        {%- set d = modules.datetime.datetime.utcnow().date() - modules.datetime.timedelta(days=1) -%}
        {{ return(d.isoformat()) }}
    {%- endif -%}
    {%- if not modules.re.match("^[0-9]{4}-[0-9]{2}-[0-9]{2}$", raw) -%}
        {{ exceptions.raise_compiler_error("var as_of_date must be YYYY-MM-DD, got '" ~ raw ~ "'") }}
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
