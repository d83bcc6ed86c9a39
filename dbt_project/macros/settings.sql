{#-
    A run setting: var `name` when given (`--vars`), else the environment
    variable `env` (what the pipeline and the shipped profile set), else ''.

    The environment is read only when models run, never while dbt parses: a
    value that changes every night or in every warehouse (the as-of date, the
    landing and warehouse folders) then keeps dbt's partial parsing, where a
    changing `--vars` value or a var read from the environment in
    dbt_project.yml makes dbt parse the project again.
-#}
{% macro run_setting(name, env) %}
    {%- set value = var(name, "") | string | trim -%}
    {%- if (value == "" or value == "None") and execute -%}
        {%- set value = env_var(env, "") | trim -%}
    {%- endif -%}
    {{- return("" if value == "None" else value) -}}
{% endmacro %}
