{#-
    CSAT: only the latest response per conversation counts. As of a local
    date D that is the latest response submitted up to D, so a rating is
    counted while D is before the local date it was superseded on.

    Grain: conversation x local date of submission: the day's last response,
    with the local date of the next (superseding) response. A view: CSAT
    responses are few, and the facts read it for the conversations they
    rebuild.
-#}
{{ config(materialized='view') }}

with

responses as (
    select * from {{ ref('int_csat_responses_deduplicated') }}
    where copy_status = 'current'
),

workspaces as (
    select
        workspace_id,
        coalesce(timezone, 'UTC') as timezone
    from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

localized as (
    select
        responses.*,
        {{ local_date('responses.submitted_at', 'workspaces.timezone') }} as submitted_date
    from responses
    inner join workspaces
        on responses.workspace_id = workspaces.workspace_id
),

-- the day's last response of each conversation
days_last as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by conversation_id, submitted_date
                order by submitted_at desc, response_id desc
            ) as rank_in_day
        from localized
    ) as ranked_responses
    where rank_in_day = 1
),

final as (
    select
        workspace_id,
        conversation_id,
        response_id,
        score,
        submitted_at,
        submitted_date,
        lead(submitted_date) over (
            partition by conversation_id
            order by submitted_date
        ) as superseded_on
    from days_last
)

select * from final
