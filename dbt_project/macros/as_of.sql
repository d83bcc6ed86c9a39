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
