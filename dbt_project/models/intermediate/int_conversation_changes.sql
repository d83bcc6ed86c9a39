{#-
    When each conversation last changed, and the time zone its local dates
    were computed in (int_conversation_changes.yml). The models keyed by
    conversation (int_first_response_samples, the two facts) rebuild the
    conversations changed since their own last build.

    A conversation changes when a run writes one of its message, CSAT
    response or mention copies (a new copy, a copy that became current or
    superseded, a copy rescued when its parent landed), or when its
    workspace's time zone, or its business hours and holidays (the current
    intervals and holiday dates, as one string), are no longer the ones
    stored here: the business seconds of its samples depend on them.

    Incremental: a run writes the conversations changed since its last build
    (delete+insert on conversation_id, workspace_id).
-#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key=['conversation_id', 'workspace_id'],
    on_schema_change='fail',
) }}

{%- set last_build = "(select max(changed_at) from " ~ this ~ ")" %}

with

current_workspaces as (
    select
        workspace_id,
        coalesce(timezone, 'UTC') as timezone
    from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

-- each workspace's business calendar as one string: its current intervals and holidays
calendar_entries as (
    select
        workspace_id,
        concat_ws(
            ' ',
            'interval',
            cast(weekday as {{ landing_sql_type('string') }}),
            opens_at,
            closes_at,
            coalesce(cast(valid_from as {{ landing_sql_type('string') }}), '-'),
            coalesce(cast(valid_to as {{ landing_sql_type('string') }}), '-')
        ) as entry
    from {{ ref('int_business_hours_deduplicated') }}
    where copy_status = 'current'

    union all

    select
        workspace_id,
        concat('holiday ', cast(holiday_date as {{ landing_sql_type('string') }})) as entry
    from {{ ref('int_holidays_deduplicated') }}
    where copy_status = 'current'
),

calendars as (
    select
        workspace_id,
        {{ sorted_string_agg('entry') }} as business_calendar
    from calendar_entries
    group by workspace_id
),

workspaces as (
    select
        current_workspaces.workspace_id,
        current_workspaces.timezone,
        coalesce(calendars.business_calendar, '') as business_calendar
    from current_workspaces
    left join calendars
        on current_workspaces.workspace_id = calendars.workspace_id
),

-- copies written since the last build (every good copy on a full build)
changed_copies as (
    select
        conversation_id,
        workspace_id
    from {{ ref('int_messages_deduplicated') }}
    where copy_status <> 'rejected'
    {%- if is_incremental() %}
        and _loaded_at > {{ last_build }}
    {%- endif %}

    union

    select
        conversation_id,
        workspace_id
    from {{ ref('int_csat_responses_deduplicated') }}
    where copy_status <> 'rejected'
    {%- if is_incremental() %}
        and _loaded_at > {{ last_build }}
    {%- endif %}

    union

    select
        conversation_id,
        workspace_id
    from {{ ref('int_mentions_deduplicated') }}
    where copy_status <> 'rejected'
    {%- if is_incremental() %}
        and _loaded_at > {{ last_build }}
    {%- endif %}
    {%- if is_incremental() %}

    -- conversations dated in a time zone or measured against business hours
    -- their workspace no longer has
    union

    select stored.conversation_id, stored.workspace_id
    from {{ this }} as stored
    inner join workspaces
        on stored.workspace_id = workspaces.workspace_id
    where stored.timezone <> workspaces.timezone
        or stored.business_calendar <> workspaces.business_calendar
    {%- endif %}
),

final as (
    select
        changed_copies.conversation_id,
        changed_copies.workspace_id,
        workspaces.timezone,
        workspaces.business_calendar,
        {{ run_started_at_literal() }} as changed_at
    from changed_copies
    inner join workspaces
        on changed_copies.workspace_id = workspaces.workspace_id
)

select * from final
