{#-
    CSAT: only the latest response per conversation counts. As of a local
    date D that is the latest response submitted up to D, so a rating is
    counted while D is before the local date it was superseded on.

    Grain: conversation x local date of submission; the day's last
    response, with the local date of the next (superseding) response.

    Incremental by conversation: a run recomputes every row of the
    conversations with a CSAT response new since the last run (with the
    look-back); delete+insert replaces all of their rows.
-#}
{{ config(**incremental_settings('by_key', 'conversation_id')) }}

with

responses as (
    -- incremental runs: every response of the conversations with a response new in this run
    {{ localized_of_new_conversations('csat_responses') }}
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
        ) as superseded_on,
        {{ watermark_of(['csat_responses']) }} as _watermark
    from days_last
)

select * from final
