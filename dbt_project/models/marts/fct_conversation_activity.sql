{#-
    Conversation-level activity per local date (fct_conversation_activity.yml).

    Incremental by conversation: a run appends the rows of the conversations
    changed since its last build; the post-hook deletes their older rows
    (macros/incremental.sql).
-#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='append',
    post_hook="{{ delete_older_rows_of_rebuilt_conversations() }}",
    on_schema_change='fail',
) }}

-- depends_on: {{ ref('int_conversation_changes') }}

with

{%- if is_incremental() %}

-- the conversations this run rebuilds, whole
rebuilt_conversations as (
    {{ conversations_changed_since_last_build() }}
),
{%- endif %}

workspaces as (
    select
        workspace_id,
        coalesce(timezone, 'UTC') as timezone
    from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

conversation_messages as (
    select * from {{ ref('int_messages_deduplicated') }}
    where copy_status = 'current'
        and (
            (message_type = 'reply' and author_type in ('agent', 'ai_agent'))
            or message_type = 'handoff'
        )
    {%- if is_incremental() %}
        and conversation_id in (select conversation_id from rebuilt_conversations)
    {%- endif %}
),

messages as (
    select
        conversation_messages.*,
        conversation_messages.message_type = 'reply'
        and conversation_messages.author_type = 'agent' as is_outbound_reply,
        conversation_messages.message_type = 'reply'
        and conversation_messages.author_type = 'ai_agent' as is_ai_reply,
        conversation_messages.message_type = 'handoff' as is_handoff,
        {{ local_date('conversation_messages.created_at', 'workspaces.timezone') }} as created_date
    from conversation_messages
    inner join workspaces
        on conversation_messages.workspace_id = workspaces.workspace_id
),

samples as (
    select * from {{ ref('int_first_response_samples') }}
    {%- if is_incremental() %}
    where conversation_id in (select conversation_id from rebuilt_conversations)
    {%- endif %}
),

csat as (
    select * from {{ ref('int_csat_responses_daily_latest') }}
    {%- if is_incremental() %}
    where conversation_id in (select conversation_id from rebuilt_conversations)
    {%- endif %}
),

reply_counts as (
    select
        workspace_id,
        conversation_id,
        created_date as activity_date,
        sum(case when is_outbound_reply then 1 else 0 end) as human_replies,
        sum(case when is_ai_reply then 1 else 0 end) as ai_replies
    from messages
    where is_outbound_reply or is_ai_reply
    group by 1, 2, 3
),

-- the local date on which a human first replied or the AI agent handed off
human_takeover as (
    select
        conversation_id,
        min(created_date) as human_takeover_date
    from messages
    where is_outbound_reply or is_handoff
    group by 1
),

first_human_reply_samples as (
    select
        workspace_id,
        conversation_id,
        replied_date as activity_date,
        min(first_response_seconds) as first_response_seconds,
        min(business_seconds) as first_response_business_seconds
    from samples
    where is_conversation_first_human_reply
    group by 1, 2, 3
),

unioned as (
    select
        workspace_id,
        conversation_id,
        activity_date,
        human_replies,
        ai_replies,
        cast(null as double) as first_response_seconds,
        cast(null as double) as first_response_business_seconds,
        0 as csat_responses,
        cast(null as integer) as csat_score,
        cast(null as {{ landing_sql_type("timestamp") }}) as csat_submitted_at,
        cast(null as date) as csat_superseded_on
    from reply_counts

    union all

    select
        workspace_id,
        conversation_id,
        activity_date,
        0 as human_replies,
        0 as ai_replies,
        first_response_seconds,
        first_response_business_seconds,
        0 as csat_responses,
        null as csat_score,
        null as csat_submitted_at,
        null as csat_superseded_on
    from first_human_reply_samples

    union all

    select
        workspace_id,
        conversation_id,
        submitted_date as activity_date,
        0 as human_replies,
        0 as ai_replies,
        null as first_response_seconds,
        null as first_response_business_seconds,
        1 as csat_responses,
        score as csat_score,
        submitted_at as csat_submitted_at,
        superseded_on as csat_superseded_on
    from csat
),

aggregated as (
    select
        workspace_id,
        conversation_id,
        activity_date,
        sum(human_replies) as human_replies,
        sum(ai_replies) as ai_replies,
        max(first_response_seconds) as first_response_seconds,
        max(first_response_business_seconds) as first_response_business_seconds,
        sum(csat_responses) as csat_responses,
        max(csat_score) as csat_score,
        max(csat_submitted_at) as csat_submitted_at,
        max(csat_superseded_on) as csat_superseded_on
    from unioned
    group by 1, 2, 3
),

final as (
    select
        aggregated.*,
        human_takeover.human_takeover_date,
        {{ run_started_at_literal() }} as _built_at
    from aggregated
    left join human_takeover
        on aggregated.conversation_id = human_takeover.conversation_id
)

select * from final
