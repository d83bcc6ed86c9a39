{#- Every landed CSAT response record, typed, with why a bad one is bad (stg_csat_responses.yml). -#}
with

landed as (
    {{ read_landing(source('landing', 'csat_responses')) }}
),

final as (
    select
        response_id,
        conversation_id,
        workspace_id,
        score,
        submitted_at,
        updated_at,
        source_file,
        line_number,
        coalesce(
            {{ landing_record_problem('csat_responses') }},
            case
                when score not between 1 and 5 then 'score out of range 1-5'
            end
        ) as reject_reason
    from landed
)

select * from final
