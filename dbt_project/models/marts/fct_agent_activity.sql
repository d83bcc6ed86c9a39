{#-
    Everything an agent did or was credited with, per conversation and local
    date (fct_agent_activity.yml).

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

replies as (
    select * from {{ ref('int_messages_deduplicated') }}
    where copy_status = 'current'
        and message_type = 'reply'
        and author_type = 'agent'
    {%- if is_incremental() %}
        and conversation_id in (select conversation_id from rebuilt_conversations)
    {%- endif %}
),

outbound_replies as (
    select
        replies.*,
        coalesce(replies.ai_assist, 'none') as ai_assist_or_none,
        {{ local_date('replies.created_at', 'workspaces.timezone') }} as created_date
    from replies
    inner join workspaces
        on replies.workspace_id = workspaces.workspace_id
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

mentions as (
    select
        mention_copies.*,
        {{ local_date('mention_copies.created_at', 'workspaces.timezone') }} as created_date
    from {{ ref('int_mentions_deduplicated') }} as mention_copies
    inner join workspaces
        on mention_copies.workspace_id = workspaces.workspace_id
    where mention_copies.copy_status = 'current'
    {%- if is_incremental() %}
        and mention_copies.conversation_id in (select conversation_id from rebuilt_conversations)
    {%- endif %}
),

reply_counts as (
    select
        workspace_id,
        author_agent_id as agent_id,
        conversation_id,
        created_date as activity_date,
        count(*) as replies_sent,
        sum(case when ai_assist_or_none = 'draft_sent' then 1 else 0 end) as ai_draft_sent_replies,
        sum(case when ai_assist_or_none = 'draft_edited' then 1 else 0 end) as ai_draft_edited_replies,
        sum(case when ai_assist_or_none = 'none' then 1 else 0 end) as scratch_replies
    from outbound_replies
    group by 1, 2, 3, 4
),

-- a CSAT response is credited to every agent who replied in the
-- conversation before it was submitted
csat_credits as (
    select distinct
        csat.workspace_id,
        outbound_replies.author_agent_id as agent_id,
        csat.conversation_id,
        csat.submitted_date as activity_date,
        csat.response_id,
        csat.score,
        csat.submitted_at,
        csat.superseded_on
    from csat
    inner join outbound_replies
        on csat.conversation_id = outbound_replies.conversation_id
        and outbound_replies.created_at < csat.submitted_at
),

mention_counts as (
    select
        workspace_id,
        mentioned_agent_id as agent_id,
        conversation_id,
        created_date as activity_date,
        count(*) as mentions_received
    from mentions
    group by 1, 2, 3, 4
),

unioned as (
    select
        workspace_id,
        agent_id,
        conversation_id,
        activity_date,
        replies_sent,
        ai_draft_sent_replies,
        ai_draft_edited_replies,
        scratch_replies,
        0 as first_response_samples,
        cast(null as double) as first_response_seconds,
        cast(null as double) as first_response_business_seconds,
        0 as csat_responses,
        cast(null as integer) as csat_score,
        cast(null as {{ landing_sql_type("timestamp") }}) as csat_submitted_at,
        cast(null as date) as csat_superseded_on,
        0 as mentions_received
    from reply_counts

    union all

    select
        workspace_id,
        agent_id,
        conversation_id,
        replied_date as activity_date,
        0 as replies_sent,
        0 as ai_draft_sent_replies,
        0 as ai_draft_edited_replies,
        0 as scratch_replies,
        1 as first_response_samples,
        first_response_seconds,
        business_seconds as first_response_business_seconds,
        0 as csat_responses,
        null as csat_score,
        null as csat_submitted_at,
        null as csat_superseded_on,
        0 as mentions_received
    from samples

    union all

    select
        workspace_id,
        agent_id,
        conversation_id,
        activity_date,
        0 as replies_sent,
        0 as ai_draft_sent_replies,
        0 as ai_draft_edited_replies,
        0 as scratch_replies,
        0 as first_response_samples,
        null as first_response_seconds,
        null as first_response_business_seconds,
        1 as csat_responses,
        score as csat_score,
        submitted_at as csat_submitted_at,
        superseded_on as csat_superseded_on,
        0 as mentions_received
    from csat_credits

    union all

    select
        workspace_id,
        agent_id,
        conversation_id,
        activity_date,
        0 as replies_sent,
        0 as ai_draft_sent_replies,
        0 as ai_draft_edited_replies,
        0 as scratch_replies,
        0 as first_response_samples,
        null as first_response_seconds,
        null as first_response_business_seconds,
        0 as csat_responses,
        null as csat_score,
        null as csat_submitted_at,
        null as csat_superseded_on,
        mentions_received
    from mention_counts
),

final as (
    select
        workspace_id,
        agent_id,
        conversation_id,
        activity_date,
        sum(replies_sent) as replies_sent,
        sum(ai_draft_sent_replies) as ai_draft_sent_replies,
        sum(ai_draft_edited_replies) as ai_draft_edited_replies,
        sum(scratch_replies) as scratch_replies,
        sum(first_response_samples) as first_response_samples,
        max(first_response_seconds) as first_response_seconds,
        max(first_response_business_seconds) as first_response_business_seconds,
        sum(csat_responses) as csat_responses,
        max(csat_score) as csat_score,
        max(csat_submitted_at) as csat_submitted_at,
        max(csat_superseded_on) as csat_superseded_on,
        sum(mentions_received) as mentions_received,
        {{ run_started_at_literal() }} as _built_at
    from unioned
    group by 1, 2, 3, 4
)

select * from final
