{#- Every landed business-hours interval, typed, with why a bad one is bad (stg_business_hours.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'business_hours')) }}
),

parsed as (
    select
        *,
        case
            when {{ full_match('opens_at', '([01][0-9]|2[0-3]):[0-5][0-9]') }}
                then cast(substr(opens_at, 1, 2) as integer) * 60 + cast(substr(opens_at, 4, 2) as integer)
        end as opens_minute,
        case
            when {{ full_match('closes_at', '([01][0-9]|2[0-3]):[0-5][0-9]|24:00') }}
                then cast(substr(closes_at, 1, 2) as integer) * 60 + cast(substr(closes_at, 4, 2) as integer)
        end as closes_minute,
        {{ parse_iso_date('valid_from') }} as valid_from_date,
        {{ parse_iso_date('valid_to') }} as valid_to_date
    from landed
),

final as (
    select
        interval_id,
        workspace_id,
        weekday,
        opens_at,
        closes_at,
        opens_minute,
        closes_minute,
        valid_from_date as valid_from,
        valid_to_date as valid_to,
        updated_at,
        source_file,
        line_number,
        coalesce(
            {{ landing_record_problem('business_hours') }},
            case
                when weekday not between 1 and 7 then 'weekday out of range 1-7'
                when opens_minute is null then 'opens_at is not HH:MM'
                when closes_minute is null then 'closes_at is not HH:MM'
                when closes_minute <= opens_minute then 'closes_at not after opens_at'
                when parsed.valid_from is not null and valid_from_date is null
                    then 'unparseable date in valid_from'
                when parsed.valid_to is not null and valid_to_date is null
                    then 'unparseable date in valid_to'
                when valid_to_date < valid_from_date then 'valid_to before valid_from'
            end
        ) as reject_reason
    from parsed
)

select * from final
