{#-
    newest_good_copy_is_current(id_column): "bad copies are rejected, the
    newest good copy wins", on a deduplicated model. Of the good copies
    (current or superseded) of each id, exactly one is current: the one with
    the greatest updated_at (ties: the later source_file, then the later
    line_number). Fails with one row per id whose current copy is missing,
    repeated, or not the newest good copy.
-#}
{% test newest_good_copy_is_current(model, id_column) %}
    with

    good_copies as (
        select
            {{ id_column }} as id,
            copy_status,
            row_number() over (
                partition by {{ id_column }}
                order by updated_at desc, source_file desc, line_number desc
            ) as copy_rank
        from {{ model }}
        where copy_status in ('current', 'superseded')
    )

    select
        id,
        sum(case when copy_status = 'current' then 1 else 0 end) as current_copies,
        max(case when copy_status = 'current' then copy_rank end) as current_rank
    from good_copies
    group by id
    having sum(case when copy_status = 'current' then 1 else 0 end) <> 1
        or max(case when copy_status = 'current' then copy_rank end) <> 1
{% endtest %}
