{#-
    expression_is_true(expression): every row satisfies a boolean SQL
    expression over the model's columns. As a column test the column name
    is put in front of the expression (`column_name: ...` + `>= 0`).
    A row where the expression is null passes (like dbt_utils): test
    nullability separately, e.g. `(x is null) = (n = 0)`.
    Fails with the offending rows.
-#}
{% test expression_is_true(model, expression, column_name=None) %}
    select *
    from {{ model }}
    where not ({{ column_name ~ " " if column_name }}{{ expression }})
{% endtest %}
