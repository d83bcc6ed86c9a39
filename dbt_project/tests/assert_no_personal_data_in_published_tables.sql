{#-
    No published table holds an email-looking value or an email column.

    Every text column of every published table (docs/architecture.md) is
    matched against `x@y.z` (a number or a date cannot hold one: casting them
    to text only made the test slow); a column whose name mentions "email"
    fails outright. Returns the table and column (never the value itself).
    Columns are listed from the warehouse when the test runs.
-#}
{%- set published = [
    "agent_leaderboard", "team_kpis", "agent_daily_activity",
    "agent_low_csat_conversations", "conversation_summary", "agents", "workspaces",
    "rejected_records",
] -%}
{%- set checks = [] -%}
{%- for name in published -%}
    {%- set relation = ref(name) -%}
    {%- if execute -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if "email" in column.name | lower -%}
                {%- do checks.append(
                    "select '" ~ name ~ "' as table_name, '" ~ column.name ~ "' as column_name,"
                    ~ " 'email column' as problem"
                ) -%}
            {%- elif (column.dtype | lower).split("(")[0] in ["varchar", "string", "text"] -%}
                {%- do checks.append(
                    "select '" ~ name ~ "' as table_name, '" ~ column.name ~ "' as column_name,"
                    ~ " 'email-looking value' as problem from " ~ relation
                    ~ " where " ~ adapter.quote(column.name) ~ " like '%_@_%._%' limit 1"
                ) -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
{%- endfor -%}
{%- if checks | length == 0 -%}
    {%- do checks.append(
        "select cast(null as " ~ landing_sql_type("string") ~ ") as table_name,"
        ~ " cast(null as " ~ landing_sql_type("string") ~ ") as column_name,"
        ~ " cast(null as " ~ landing_sql_type("string") ~ ") as problem where 1 = 0"
    ) -%}
{%- endif -%}
select * from (
    {% for check in checks -%}
    ({{ check }})
    {%- if not loop.last %}
    union all
    {% endif %}
    {%- endfor %}
) as findings
