{#-
    unique_combination(columns): the model has at most one row per
    combination of `columns` (its grain). A null is a value here, like in
    group by: two rows with the same nulls are duplicates. Pair it with
    not_null on each grain column.
    Fails with one row per duplicated key and its row count.
-#}
{% test unique_combination(model, columns) %}
    {%- if columns is string -%}
        {%- set columns = [columns] -%}
    {%- endif -%}
    select
        {{ columns | join(",\n        ") }},
        count(*) as row_count
    from {{ model }}
    group by {{ columns | join(", ") }}
    having count(*) > 1
{% endtest %}
