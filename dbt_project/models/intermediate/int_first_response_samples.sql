{#-
    Human-wait first-response samples (spec/metrics.md, "Human wait").

    For an agent's first outbound reply in a conversation, sent at t1:
      h = latest outbound reply by any human agent in the conversation before t1
      f = latest handoff in (h, t1]
      c = earliest customer message in (h, t1]
    The wait started at f, else at c; with neither there is no sample.
    One sample at most per (agent, conversation), dated by t1's local date.

    business_seconds: the part of [wait start, t1] inside the workspace's
    open intervals (int_business_hours_deduplicated) on the local dates the
    wait touches, holidays excluded; each interval's local opening and
    closing times are placed on the UTC time line of its date in the
    workspace's time zone (DST-correct). Null for a workspace without any
    interval. int_conversation_changes changes every conversation of a
    workspace whose business hours or holidays changed.

    Incremental by conversation: a run appends the samples of the
    conversations changed since its last build; the post-hook deletes their
    older samples (macros/incremental.sql).
-#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='append',
    post_hook="{{ delete_older_rows_of_rebuilt_conversations() }}",
    on_schema_change='fail',
) }}

-- depends_on: {{ ref('int_conversation_changes') }}

with

-- every current message of the conversations this run rebuilds
conversation_messages as (
    select * from {{ ref('int_messages_deduplicated') }}
    where copy_status = 'current'
    {%- if is_incremental() %}
        and conversation_id in ({{ conversations_changed_since_last_build() }})
    {%- endif %}
),

workspaces as (
    select
        workspace_id,
        coalesce(timezone, 'UTC') as timezone
    from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

messages as (
    select
        conversation_messages.*,
        conversation_messages.message_type = 'reply'
        and conversation_messages.author_type = 'agent' as is_outbound_reply,
        conversation_messages.message_type = 'handoff' as is_handoff,
        conversation_messages.author_type = 'customer' as is_customer_message,
        {{ local_date('conversation_messages.created_at', 'workspaces.timezone') }} as created_date
    from conversation_messages
    inner join workspaces
        on conversation_messages.workspace_id = workspaces.workspace_id
),

outbound_replies as (
    select * from messages
    where is_outbound_reply
),

wait_events as (
    select
        conversation_id,
        created_at,
        is_handoff,
        is_customer_message
    from messages
    where is_handoff or is_customer_message
),

-- each agent's first outbound reply in each conversation
first_replies as (
    select *
    from (
        select
            *,
            row_number() over (
                partition by conversation_id, author_agent_id
                order by created_at, message_id
            ) as reply_rank
        from outbound_replies
    ) as ranked_replies
    where reply_rank = 1
),

-- h: the latest human reply before t1, by any agent
with_previous_human_reply as (
    select
        first_replies.workspace_id,
        first_replies.conversation_id,
        first_replies.author_agent_id as agent_id,
        first_replies.message_id,
        first_replies.created_at as replied_at,
        first_replies.created_date as replied_date,
        max(earlier.created_at) as previous_human_reply_at
    from first_replies
    left join outbound_replies as earlier
        on first_replies.conversation_id = earlier.conversation_id
        and earlier.created_at < first_replies.created_at
    group by
        first_replies.workspace_id,
        first_replies.conversation_id,
        first_replies.author_agent_id,
        first_replies.message_id,
        first_replies.created_at,
        first_replies.created_date
),

-- f and c: the handoff and the customer message that started the wait
with_wait_start as (
    select
        replies.workspace_id,
        replies.conversation_id,
        replies.agent_id,
        replies.message_id,
        replies.replied_at,
        replies.replied_date,
        replies.previous_human_reply_at,
        max(case when events.is_handoff then events.created_at end) as handoff_at,
        min(case when events.is_customer_message then events.created_at end) as customer_waiting_since
    from with_previous_human_reply as replies
    left join wait_events as events
        on replies.conversation_id = events.conversation_id
        and events.created_at <= replies.replied_at
        and (
            replies.previous_human_reply_at is null
            or events.created_at > replies.previous_human_reply_at
        )
    group by
        replies.workspace_id,
        replies.conversation_id,
        replies.agent_id,
        replies.message_id,
        replies.replied_at,
        replies.replied_date,
        replies.previous_human_reply_at
),

-- the samples: wait start and reply
samples as (
    select
        workspace_id,
        conversation_id,
        agent_id,
        message_id,
        replied_at,
        replied_date,
        coalesce(handoff_at, customer_waiting_since) as wait_started_at,
        {{ seconds_between('coalesce(handoff_at, customer_waiting_since)', 'replied_at') }}
            as first_response_seconds,
        previous_human_reply_at is null as is_conversation_first_human_reply
    from with_wait_start
    where coalesce(handoff_at, customer_waiting_since) is not null
),

-- business hours: the current intervals and holidays of each workspace
business_hours as (
    select * from {{ ref('int_business_hours_deduplicated') }}
    where copy_status = 'current'
),

holidays as (
    select distinct
        workspace_id,
        holiday_date
    from {{ ref('int_holidays_deduplicated') }}
    where copy_status = 'current'
),

scheduled_workspaces as (
    select distinct workspace_id from business_hours
),

-- every local date a wait touches, in a workspace with business hours
wait_days as (
    select
        sample_days.message_id,
        sample_days.workspace_id,
        sample_days.timezone,
        sample_days.wait_started_at,
        sample_days.replied_at,
        {{ add_days('sample_days.first_local_date', 'sample_days.day_offset') }} as wait_date
    from (
        select
            samples.message_id,
            samples.workspace_id,
            workspaces.timezone,
            samples.wait_started_at,
            samples.replied_at,
            {{ local_date('samples.wait_started_at', 'workspaces.timezone') }} as first_local_date,
            {{ explode_range(dbt.datediff(
                local_date('samples.wait_started_at', 'workspaces.timezone'),
                'samples.replied_date',
                'day',
            )) }} as day_offset
        from samples
        inner join scheduled_workspaces
            on samples.workspace_id = scheduled_workspaces.workspace_id
        inner join workspaces
            on samples.workspace_id = workspaces.workspace_id
    ) as sample_days
),

-- the open intervals of those dates (not holidays), placed on the UTC time line
open_intervals as (
    select
        wait_days.message_id,
        wait_days.wait_started_at,
        wait_days.replied_at,
        {{ local_time_to_utc('wait_days.wait_date', 'business_hours.opens_minute', 'wait_days.timezone') }}
            as opens_at_utc,
        {{ local_time_to_utc('wait_days.wait_date', 'business_hours.closes_minute', 'wait_days.timezone') }}
            as closes_at_utc
    from wait_days
    inner join business_hours
        on wait_days.workspace_id = business_hours.workspace_id
        and {{ iso_weekday('wait_days.wait_date') }} = business_hours.weekday
        and (business_hours.valid_from is null or wait_days.wait_date >= business_hours.valid_from)
        and (business_hours.valid_to is null or wait_days.wait_date <= business_hours.valid_to)
    left join holidays
        on wait_days.workspace_id = holidays.workspace_id
        and wait_days.wait_date = holidays.holiday_date
    where holidays.workspace_id is null
),

-- the part of each wait inside each open interval (the intervals of a day never overlap)
wait_parts as (
    select
        message_id,
        greatest(wait_started_at, opens_at_utc) as part_started_at,
        least(replied_at, closes_at_utc) as part_ended_at
    from open_intervals
),

business_waits as (
    select
        message_id,
        sum({{ seconds_between('part_started_at', 'part_ended_at') }}) as business_seconds
    from wait_parts
    where part_ended_at > part_started_at
    group by message_id
),

final as (
    select
        samples.workspace_id,
        samples.conversation_id,
        samples.agent_id,
        samples.message_id,
        samples.replied_at,
        samples.replied_date,
        samples.wait_started_at,
        samples.first_response_seconds,
        -- a sum of parts: never above the whole wait (no floating-point excess)
        cast(
            case
                when scheduled_workspaces.workspace_id is not null
                    then least(coalesce(business_waits.business_seconds, 0), samples.first_response_seconds)
            end
            as double
        ) as business_seconds,
        samples.is_conversation_first_human_reply,
        {{ run_started_at_literal() }} as _built_at
    from samples
    left join scheduled_workspaces
        on samples.workspace_id = scheduled_workspaces.workspace_id
    left join business_waits
        on samples.message_id = business_waits.message_id
)

select * from final
