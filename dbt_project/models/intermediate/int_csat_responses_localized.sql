with

responses as (
    select * from {{ ref('int_csat_responses_deduplicated') }}
    where reject_reason is null
),

workspaces as (
    select * from {{ ref('int_workspaces_deduplicated') }}
    where reject_reason is null
),

final as (
    select
        responses.response_id,
        responses.conversation_id,
        responses.workspace_id,
        responses.score,
        responses.submitted_at,
        {{ local_date('responses.submitted_at', "coalesce(workspaces.timezone, 'UTC')") }} as submitted_date,
        responses.updated_at
    from responses
    inner join workspaces
        on responses.workspace_id = workspaces.workspace_id
)

select * from final
