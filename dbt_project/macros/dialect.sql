{#-
    Every SQL dialect difference of the project sits here, behind
    adapter.dispatch, with a DuckDB (default) and a Spark implementation.
    Models never branch on target.type.
-#}

{#- Local calendar date of a UTC instant in an IANA time zone (DST-correct). -#}
{% macro local_date(ts_expr, tz_expr) %}
    {{- return(adapter.dispatch("local_date", "ochre_analytics")(ts_expr, tz_expr)) -}}
{% endmacro %}

{% macro default__local_date(ts_expr, tz_expr) -%}
    cast(timezone({{ tz_expr }}, {{ ts_expr }}) as date)
{%- endmacro %}

{#- Spark: needs the session time zone UTC (spark.sql.session.timeZone, set in profiles.yml). -#}
{% macro spark__local_date(ts_expr, tz_expr) -%}
    to_date(from_utc_timestamp({{ ts_expr }}, {{ tz_expr }}))
{%- endmacro %}


{#- True when the expression is a time zone name the engine knows. -#}
{% macro is_known_timezone(tz_expr) %}
    {{- return(adapter.dispatch("is_known_timezone", "ochre_analytics")(tz_expr)) -}}
{% endmacro %}

{% macro default__is_known_timezone(tz_expr) -%}
    ({{ tz_expr }} in (select name from pg_timezone_names()))
{%- endmacro %}

{#-
    Spark fails the whole query on a zone the JVM does not know (even with
    ANSI mode off), so the Spark check is membership in the list of the names
    both DuckDB and the JVM know (macros/spark/timezones.sql).
-#}
{% macro spark__is_known_timezone(tz_expr) -%}
    ({{ tz_expr }} in (
        {%- for name in spark_known_timezones() -%}
            '{{ name }}'{{ ", " if not loop.last }}
        {%- endfor -%}
    ))
{%- endmacro %}


{#- Exact median: the mean of the two middle values for an even count. -#}
{% macro exact_median(expr) %}
    {{- return(adapter.dispatch("exact_median", "ochre_analytics")(expr)) -}}
{% endmacro %}

{% macro default__exact_median(expr) -%}
    quantile_cont({{ expr }}, 0.5)
{%- endmacro %}

{% macro spark__exact_median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}


{#- date_expr plus n_expr days (n may be negative). -#}
{% macro add_days(date_expr, n_expr) %}
    {{- return(adapter.dispatch("add_days", "ochre_analytics")(date_expr, n_expr)) -}}
{% endmacro %}

{% macro default__add_days(date_expr, n_expr) -%}
    cast(({{ date_expr }}) + cast({{ n_expr }} as integer) as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, n_expr) -%}
    date_add({{ date_expr }}, cast({{ n_expr }} as int))
{%- endmacro %}


{#- Seconds from ts_from to ts_to, as a double. -#}
{% macro seconds_between(ts_from, ts_to) %}
    {{- return(adapter.dispatch("seconds_between", "ochre_analytics")(ts_from, ts_to)) -}}
{% endmacro %}

{% macro default__seconds_between(ts_from, ts_to) -%}
    (epoch_us({{ ts_to }}) - epoch_us({{ ts_from }})) / 1000000.0
{%- endmacro %}

{% macro spark__seconds_between(ts_from, ts_to) -%}
    (unix_micros({{ ts_to }}) - unix_micros({{ ts_from }})) / cast(1000000 as double)
{%- endmacro %}


{#- A date literal. -#}
{% macro date_literal(iso_date) %}
    {{- return(adapter.dispatch("date_literal", "ochre_analytics")(iso_date)) -}}
{% endmacro %}

{% macro default__date_literal(iso_date) -%}
    cast('{{ iso_date }}' as date)
{%- endmacro %}


{#- A timestamp plus n days (n may be negative). -#}
{% macro timestamp_add_days(ts_expr, n) %}
    {{- return(adapter.dispatch("timestamp_add_days", "ochre_analytics")(ts_expr, n)) -}}
{% endmacro %}

{% macro default__timestamp_add_days(ts_expr, n) -%}
    (({{ ts_expr }}) + to_days(cast({{ n }} as integer)))
{%- endmacro %}

{% macro spark__timestamp_add_days(ts_expr, n) -%}
    (({{ ts_expr }}) + make_interval(0, 0, 0, cast({{ n }} as int)))
{%- endmacro %}


{#-
    When this dbt invocation started (dbt's run_started_at, UTC), as a SQL
    timestamp: the clock of the run. Rows a run writes carry it (_loaded_at,
    _built_at, changed_at), and a record whose updated_at is more than a day
    after it is rejected.
-#}
{% macro run_started_at_literal() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ") }}' as {{ landing_sql_type("timestamp") }})
{%- endmacro %}


{#-
    The materialization of a model that is incremental by landing file or by
    conversation. DuckDB: incremental. Spark: a table rebuilt every run, since
    Parquet tables cannot delete or update rows (docs/spark.md).
-#}
{% macro incremental_or_table() %}
    {{- return(adapter.dispatch("incremental_or_table", "ochre_analytics")()) -}}
{% endmacro %}

{% macro default__incremental_or_table() -%}
    {{- return("incremental") -}}
{%- endmacro %}

{% macro spark__incremental_or_table() -%}
    {{- return("table") -}}
{%- endmacro %}


{#- The distinct non-null values of expr, sorted, joined with ',' (null when there are none). -#}
{% macro sorted_distinct_list(expr) %}
    {{- return(adapter.dispatch("sorted_distinct_list", "ochre_analytics")(expr)) -}}
{% endmacro %}

{% macro default__sorted_distinct_list(expr) -%}
    string_agg(distinct {{ expr }}, ',' order by {{ expr }})
{%- endmacro %}

{#- DuckDB: a sorted list, then joined (twice as fast as an ordered string_agg). -#}
{% macro duckdb__sorted_distinct_list(expr) -%}
    nullif(array_to_string(list_sort(list(distinct {{ expr }})), ','), '')
{%- endmacro %}

{% macro spark__sorted_distinct_list(expr) -%}
    nullif(array_join(array_sort(collect_set({{ expr }})), ','), '')
{%- endmacro %}


{#- True when the whole string matches the regular expression (no backslashes in it, please). -#}
{% macro full_match(expr, pattern) %}
    {{- return(adapter.dispatch("full_match", "ochre_analytics")(expr, pattern)) -}}
{% endmacro %}

{% macro default__full_match(expr, pattern) -%}
    regexp_full_match({{ expr }}, '{{ pattern }}')
{%- endmacro %}

{% macro spark__full_match(expr, pattern) -%}
    ({{ expr }} rlike '^(?:{{ pattern }})$')
{%- endmacro %}


{#- A `YYYY-MM-DD` string as a DATE; null for anything else (another shape, an impossible date). -#}
{% macro parse_iso_date(expr) %}
    {{- return(adapter.dispatch("parse_iso_date", "ochre_analytics")(expr)) -}}
{% endmacro %}

{% macro default__parse_iso_date(expr) -%}
    case when {{ full_match(expr, "[0-9]{4}-[0-9]{2}-[0-9]{2}") }} then try_cast({{ expr }} as date) end
{%- endmacro %}


{#- ISO day of the week of a date: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(date_expr) %}
    {{- return(adapter.dispatch("iso_weekday", "ochre_analytics")(date_expr)) -}}
{% endmacro %}

{% macro default__iso_weekday(date_expr) -%}
    isodow({{ date_expr }})
{%- endmacro %}

{% macro spark__iso_weekday(date_expr) -%}
    (weekday({{ date_expr }}) + 1)
{%- endmacro %}


{#-
    The UTC instant of a wall-clock time in an IANA time zone: the local date
    plus a number of minutes after its midnight (1440 is the next midnight).
    DST-correct: the offset is the one in force at that wall-clock time.
-#}
{% macro local_time_to_utc(date_expr, minutes_expr, tz_expr) %}
    {{- return(adapter.dispatch("local_time_to_utc", "ochre_analytics")(date_expr, minutes_expr, tz_expr)) -}}
{% endmacro %}

{% macro default__local_time_to_utc(date_expr, minutes_expr, tz_expr) -%}
    timezone({{ tz_expr }}, cast({{ date_expr }} as timestamp) + to_minutes(cast({{ minutes_expr }} as integer)))
{%- endmacro %}

{#- Spark: needs the session time zone UTC (spark.sql.session.timeZone, set in profiles.yml). -#}
{% macro spark__local_time_to_utc(date_expr, minutes_expr, tz_expr) -%}
    to_utc_timestamp(
        timestamp_seconds(unix_seconds(cast({{ date_expr }} as timestamp)) + 60 * cast({{ minutes_expr }} as bigint)),
        {{ tz_expr }}
    )
{%- endmacro %}


{#- One row per n in 0 .. n_expr (a set-returning select-list expression). -#}
{% macro explode_range(n_expr) %}
    {{- return(adapter.dispatch("explode_range", "ochre_analytics")(n_expr)) -}}
{% endmacro %}

{% macro default__explode_range(n_expr) -%}
    unnest(range(0, cast({{ n_expr }} as bigint) + 1))
{%- endmacro %}

{% macro spark__explode_range(n_expr) -%}
    explode(sequence(0, cast({{ n_expr }} as int)))
{%- endmacro %}


{#- The values of a string expression in a group, sorted and joined with `|` (an aggregate). -#}
{% macro sorted_string_agg(expr) %}
    {{- return(adapter.dispatch("sorted_string_agg", "ochre_analytics")(expr)) -}}
{% endmacro %}

{% macro default__sorted_string_agg(expr) -%}
    string_agg({{ expr }}, '|' order by {{ expr }})
{%- endmacro %}

{% macro spark__sorted_string_agg(expr) -%}
    concat_ws('|', array_sort(collect_list({{ expr }})))
{%- endmacro %}
