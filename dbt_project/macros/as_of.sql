{#-
    The run's as-of local date D as an ISO string. From var as_of_date; when
    empty, from the environment variable OCHRE_AS_OF_DATE (what the pipeline
    sets), read when models run (run_setting, settings.sql: a new date every
    night keeps dbt's partial parsing); when that is empty too, yesterday in
    UTC (the CLI's default).
-#}
{% macro as_of_date_iso() %}
    {%- set raw = run_setting("as_of_date", "OCHRE_AS_OF_DATE") -%}
    {%- if raw == "" -%}
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
