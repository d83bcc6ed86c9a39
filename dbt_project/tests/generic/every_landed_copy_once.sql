{#-
    every_landed_copy_once(staging): the deduplicated model holds every copy
    its staging model reads, exactly once (source_file x line_number), none
    more: nothing read is lost, nothing counted twice. A copy with a
    record-level problem in staging is rejected here for the same reason.
    Staging reads every landing file, so this reconciliation is a deep check
    (the check of every run is landing_file_loads' records_read).
-#}
{% test every_landed_copy_once(model, staging) %}
    with

    staged as (
        select source_file, line_number, reject_reason from {{ staging }}
    ),

    held as (
        select source_file, line_number, copy_status, reject_reason from {{ model }}
    )

    select
        coalesce(staged.source_file, held.source_file) as source_file,
        coalesce(staged.line_number, held.line_number) as line_number,
        case
            when held.source_file is null then 'read but not held'
            when staged.source_file is null then 'held but not read'
            else 'record-level problem not rejected as such'
        end as problem
    from staged
    full outer join held
        on staged.source_file = held.source_file
        and staged.line_number = held.line_number
    where held.source_file is null
        or staged.source_file is null
        or (
            staged.reject_reason is not null
            and (held.copy_status <> 'rejected' or held.reject_reason <> staged.reject_reason)
        )
{% endtest %}
