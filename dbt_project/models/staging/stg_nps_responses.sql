{#- Every landed NPS response record, typed, with why a bad one is bad (stg_nps_responses.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'nps_responses')) }}
),

final as (
    select
        response_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number,
        coalesce(
            {{ landing_record_problem('nps_responses') }},
            case
                when score not between 0 and 10 then 'score out of range 0-10'
            end
        ) as reject_reason
    from landed
)

select * from final
