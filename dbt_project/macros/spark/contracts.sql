{#-
    Model contracts (the published marts) spell a timestamp with a time zone
    `timestamptz`: DuckDB's type of the published timestamps, written into the
    published file. Spark's instant type is `timestamp` (Spark has no
    `timestamptz`): dbt's contract check on Spark builds its empty schema from
    the contract with that spelling, so one contract holds on both adapters.
-#}
{% macro spark__get_empty_schema_sql(columns) %}
    {%- set spark_columns = {} -%}
    {%- for name in columns -%}
        {%- set column = {} -%}
        {%- do column.update(columns[name]) -%}
        {%- if (column.get('data_type') or '') | trim | lower == 'timestamptz' -%}
            {%- do column.update({'data_type': 'timestamp'}) -%}
        {%- endif -%}
        {%- do spark_columns.update({name: column}) -%}
    {%- endfor -%}
    {{ default__get_empty_schema_sql(spark_columns) }}
{%- endmacro %}
