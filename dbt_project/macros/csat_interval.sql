{#-
    The 95 % interval of a CSAT mean (docs/spec/metrics.md, "CSAT interval"):
    the Wilson score interval of the mean rescaled to [0, 1], p = (avg - 1) / 4,
    mapped back to the 1-5 scale and clipped to [1, 5]; null when n = 0. The
    Wilson interval always holds the mean; least/greatest with the mean keep it
    so when rounding at the ends of the scale (a mean of 5) is one ulp off.

    bound: 'low' or 'high'. avg_expr: the mean score (1-5); n_expr: the number
    of responses. Shared by agent_leaderboard and int_team_conversation_windows
    (team_kpis, the team columns of the leaderboard) so both use one formula.
    Only +, -, *, /, sqrt, greatest and least on doubles: DuckDB and Spark give
    the same values (no t quantile, no dialect function).
-#}
{% macro csat_interval(bound, avg_expr, n_expr) -%}
    {%- set z = "cast(1.959963984540054 as double)" -%}
    {%- set z2 = "(" ~ z ~ " * " ~ z ~ ")" -%}
    {%- set n = "cast(" ~ n_expr ~ " as double)" -%}
    {%- set p = "((cast(" ~ avg_expr ~ " as double) - 1) / 4)" -%}
    {%- set center = "(" ~ p ~ " + " ~ z2 ~ " / (2 * " ~ n ~ "))" -%}
    {%- set spread = z ~ " * sqrt(greatest(cast(0 as double), " ~ p ~ " * (1 - " ~ p ~ ") / "
        ~ n ~ " + " ~ z2 ~ " / (4 * " ~ n ~ " * " ~ n ~ ")))" -%}
    {%- set sign = "-" if bound == "low" else "+" -%}
    {%- if bound not in ("low", "high") -%}
        {{ exceptions.raise_compiler_error("csat_interval: bound must be 'low' or 'high'") }}
    {%- endif -%}
    {%- set edge = "least" if bound == "low" else "greatest" %}
    case
        when {{ n_expr }} > 0 and {{ avg_expr }} is not null
            then {{ edge }}(
                cast({{ avg_expr }} as double),
                greatest(
                    cast(1 as double),
                    least(
                        cast(5 as double),
                        1 + 4 * ({{ center }} {{ sign }} {{ spread }}) / (1 + {{ z2 }} / {{ n }})
                    )
                )
            )
    end
{%- endmacro %}
