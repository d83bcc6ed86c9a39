{#- Every landed holiday record, typed, with why a bad one is bad (stg_holidays.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'holidays')) }}
),

parsed as (
    select
        *,
        {{ parse_iso_date('landed.date') }} as holiday_date
    from landed
),

final as (
    select
        holiday_id,
        workspace_id,
        holiday_date,
        name as holiday_name,
        updated_at,
        source_file,
        line_number,
        coalesce(
            {{ landing_record_problem('holidays') }},
            case
                when holiday_date is null then 'unparseable date in date'
            end
        ) as reject_reason
    from parsed
)

select * from final
