{#- Every landed workspace record, typed, with why a bad one is bad (stg_workspaces.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'workspaces')) }}
),

final as (
    select
        workspace_id,
        name,
        timezone,
        updated_at,
        source_file,
        line_number,
        coalesce(
            {{ landing_record_problem('workspaces') }},
            case
                when timezone is not null and not {{ is_known_timezone('timezone') }}
                    then concat('unknown timezone ''', {{ redact_personal_data('timezone') }}, '''')
            end
        ) as reject_reason
    from landed
)

select * from final
