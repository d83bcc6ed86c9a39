{#-
    CSAT: only the latest response per conversation counts. As of a local
    date D that is the latest response submitted up to D, so a rating is
    counted while D is before the local date it was superseded on.

    Grain: conversation x local date of submission; the day's last
    response, with the local date of the next (superseding) response.
-#}
with

responses as (
    select * from {{ ref('int_csat_responses_localized') }}
),

days_last as (
    {{ dedup_latest(
        "responses",
        ["conversation_id", "submitted_date"],
        "submitted_at desc, response_id desc"
    ) }}
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
