{#- Share of each entity's landed records that were rejected; the publish gate reads it. -#}
with

rejected as (
    select * from {{ ref('rejected_records') }}
),

file_checks as (
    select * from {{ ref('int_landing_file_checks') }}
    where line_number is null
),

entities as (
    {%- for entity in landing_entities() %}
        select '{{ entity }}' as entity
        {{- "\n    union all" if not loop.last }}
    {%- endfor %}
),

records_read as (
    select
        entities.entity,
        coalesce(sum(file_checks.records_in_file), 0) as records_read
    from entities
    left join file_checks
        on entities.entity = file_checks.entity
    group by 1
),

rejected_counts as (
    select
        entity,
        count(*) as records_rejected
    from rejected
    group by 1
),

final as (
    select
        records_read.entity,
        cast(records_read.records_read as bigint) as records_read,
        cast(coalesce(rejected_counts.records_rejected, 0) as bigint) as records_rejected,
        cast(
            case
                when records_read.records_read > 0
                    then cast(1 as double) * coalesce(rejected_counts.records_rejected, 0)
                        / records_read.records_read
                else 0.0
            end as double
        ) as rejected_share
    from records_read
    left join rejected_counts
        on records_read.entity = rejected_counts.entity
)

select * from final
