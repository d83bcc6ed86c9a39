-- The floor: agent_leaderboard as of one local date D, by one hand-written DuckDB
-- query straight from the landing Parquet files (spec/metrics.md). Nothing is
-- stored; no staging, no intermediate tables, no tests, no publish.
--
-- Placeholders (filled in by benchmarks/floor.py, string.Template):
--   $${landing}  the landing folder (only its *.parquet files are read)
--   $${as_of}    D, a DATE literal
--
-- What it leaves out on purpose: bad-record handling (rejections, reference
-- checks). The demo generator writes bad records only to JSON Lines files,
-- which this query does not read, so on demo data the result is the same.
-- Nor does it read business hours: the generator writes none, so the business-
-- hours medians are null here as in the pipeline. The CSAT interval is the
-- pipeline's formula (dbt_project/macros/csat_interval.sql), written out.
-- What it keeps: newest copy per id (greatest updated_at; ties: later file,
-- later row, as the pipeline), local dates per workspace timezone, nothing
-- dated after D, human-wait first-response samples, the latest CSAT response
-- per conversation as of D, mentions, the four windows and their prior
-- windows, the team figures and the load quadrants.
with

periods as (
    select * from (values (7), (14), (30), (90)) as p (period_days)
),

-- ---------------------------------------------------------------- newest copies
-- The pipeline's rule: greatest updated_at, then the later file, then the later row.
-- Small entities: one window. Messages (the bulk of the data): ids landed once keep
-- their only copy (a hash aggregate and a join); only ids with several copies go
-- through the window, which halves the floor's time.
workspaces as (
    select workspace_id, coalesce(timezone, 'UTC') as tz
    from read_parquet('${landing}/workspaces/*.parquet', filename = true, file_row_number = true)
    qualify row_number() over (
        partition by workspace_id order by updated_at desc, filename desc, file_row_number desc
    ) = 1
),

agents as (
    select agent_id, workspace_id, display_name, role, status
    from read_parquet('${landing}/agents/*.parquet', filename = true, file_row_number = true)
    qualify row_number() over (
        partition by agent_id order by updated_at desc, filename desc, file_row_number desc
    ) = 1
),

message_copies as (
    select
        message_id, updated_at, filename, file_row_number,
        conversation_id, workspace_id, created_at, author_type, author_agent_id,
        message_type, ai_assist
    from read_parquet('${landing}/messages/*.parquet', filename = true, file_row_number = true)
),

message_copy_counts as (
    select message_id, count(*) as copies
    from message_copies
    group by 1
),

messages as (
    select message_copies.* exclude (filename, file_row_number)
    from message_copies
    inner join message_copy_counts on message_copies.message_id = message_copy_counts.message_id
    where message_copy_counts.copies = 1

    union all

    select message_copies.* exclude (filename, file_row_number)
    from message_copies
    inner join message_copy_counts on message_copies.message_id = message_copy_counts.message_id
    where message_copy_counts.copies > 1
    qualify row_number() over (
        partition by message_copies.message_id
        order by message_copies.updated_at desc, message_copies.filename desc,
            message_copies.file_row_number desc
    ) = 1
),

csat_latest_copy as (
    select response_id, conversation_id, workspace_id, score, submitted_at
    from read_parquet('${landing}/csat_responses/*.parquet', filename = true, file_row_number = true)
    qualify row_number() over (
        partition by response_id order by updated_at desc, filename desc, file_row_number desc
    ) = 1
),

mentions_latest_copy as (
    select workspace_id, mentioned_agent_id, created_at
    from read_parquet('${landing}/mentions/*.parquet', filename = true, file_row_number = true)
    qualify row_number() over (
        partition by mention_id order by updated_at desc, filename desc, file_row_number desc
    ) = 1
),

-- ---------------------------------------------------------------- messages
-- the only messages the leaderboard reads: outbound replies, customer messages, handoffs
events as (
    select
        conversation_id,
        workspace_id,
        created_at,
        author_agent_id,
        coalesce(ai_assist, 'none') as ai_assist,
        message_type = 'reply' and author_type = 'agent' as is_outbound,
        message_type = 'handoff' as is_handoff,
        author_type = 'customer' as is_customer
    from messages
    where (message_type = 'reply' and author_type = 'agent')
        or message_type = 'handoff'
        or author_type = 'customer'
),

replies as (
    select
        events.workspace_id,
        events.conversation_id,
        events.author_agent_id as agent_id,
        events.created_at,
        cast(timezone(workspaces.tz, events.created_at) as date) as d,
        events.ai_assist
    from events
    inner join workspaces on events.workspace_id = workspaces.workspace_id
    where events.is_outbound
),

-- ---------------------------------------------------------------- human wait
-- A handoff or customer message e lies in (h, t1] of a first reply at t1 exactly
-- when the first outbound reply at or after e is at t1. So: group the wait
-- events by that next reply; f = latest handoff, c = earliest customer message.
waits as (
    select
        conversation_id,
        next_reply_at,
        max(case when is_handoff then created_at end) as handoff_at,
        min(case when is_customer then created_at end) as customer_at
    from (
        select
            conversation_id,
            created_at,
            is_handoff,
            is_customer,
            min(case when is_outbound then created_at end) over (
                partition by conversation_id order by created_at
                range between current row and unbounded following
            ) as next_reply_at
        from events
    ) as e
    where (is_handoff or is_customer) and next_reply_at is not null
    group by 1, 2
),

first_replies as (
    select
        conversation_id,
        agent_id,
        min(created_at) as replied_at,
        arg_min(workspace_id, created_at) as workspace_id,
        arg_min(d, created_at) as d
    from replies
    group by 1, 2
),

samples as (
    select
        first_replies.workspace_id,
        first_replies.agent_id,
        first_replies.d,
        (epoch_us(first_replies.replied_at) - epoch_us(coalesce(waits.handoff_at, waits.customer_at)))
            / 1000000.0 as seconds
    from first_replies
    inner join waits
        on first_replies.conversation_id = waits.conversation_id
        and first_replies.replied_at = waits.next_reply_at
    where first_replies.d between ${as_of} - 89 and ${as_of}
),

-- ---------------------------------------------------------------- CSAT
-- the latest response per conversation among those submitted up to D
csat as (
    select
        csat_latest_copy.conversation_id,
        csat_latest_copy.workspace_id,
        csat_latest_copy.score,
        csat_latest_copy.submitted_at,
        cast(timezone(workspaces.tz, csat_latest_copy.submitted_at) as date) as d
    from csat_latest_copy
    inner join workspaces on csat_latest_copy.workspace_id = workspaces.workspace_id
    where cast(timezone(workspaces.tz, csat_latest_copy.submitted_at) as date) <= ${as_of}
    qualify row_number() over (
        partition by csat_latest_copy.conversation_id
        order by csat_latest_copy.submitted_at desc, csat_latest_copy.response_id desc
    ) = 1
),

csat_recent as (
    select * from csat where d >= ${as_of} - 89
),

-- credited to every agent with an outbound reply before the response was submitted
csat_credits as (
    select distinct
        replies.agent_id,
        csat_recent.conversation_id,
        csat_recent.d,
        csat_recent.score
    from csat_recent
    inner join replies
        on csat_recent.conversation_id = replies.conversation_id
        and replies.created_at < csat_recent.submitted_at
),

-- ---------------------------------------------------------------- mentions
mentions as (
    select
        mentions_latest_copy.mentioned_agent_id as agent_id,
        cast(timezone(workspaces.tz, mentions_latest_copy.created_at) as date) as d
    from mentions_latest_copy
    inner join workspaces on mentions_latest_copy.workspace_id = workspaces.workspace_id
    where cast(timezone(workspaces.tz, mentions_latest_copy.created_at) as date)
        between ${as_of} - 89 and ${as_of}
),

-- ---------------------------------------------------------------- per window
recent_replies as (
    select replies.*, periods.period_days, replies.d > ${as_of} - periods.period_days as in_window
    from replies
    inner join periods
        on replies.d between ${as_of} + 1 - 2 * periods.period_days and ${as_of}
),

agent_replies as (
    select
        agent_id,
        period_days,
        count(distinct conversation_id) filter (where in_window) as conversations_handled,
        count(*) filter (where in_window) as replies_sent,
        count(*) filter (where in_window and ai_assist = 'draft_sent') as ai_draft_sent_replies,
        count(*) filter (where in_window and ai_assist = 'draft_edited') as ai_draft_edited_replies,
        count(*) filter (where in_window and ai_assist = 'none') as scratch_replies,
        count(distinct conversation_id) filter (where not in_window) as prev_conversations_handled
    from recent_replies
    group by 1, 2
),

team_replies as (
    select
        workspace_id,
        period_days,
        case
            when count(*) filter (where in_window) > 0
                then cast(100 as double) * count(*) filter (where in_window and ai_assist in ('draft_sent', 'draft_edited'))
                    / count(*) filter (where in_window)
        end as team_ai_assisted_reply_pct
    from recent_replies
    group by 1, 2
),

windowed_samples as (
    select samples.*, periods.period_days
    from samples
    inner join periods on samples.d > ${as_of} - periods.period_days
),

agent_samples as (
    select agent_id, period_days, count(*) as first_response_samples,
        quantile_cont(seconds, 0.5) as median_first_response_seconds
    from windowed_samples
    group by 1, 2
),

team_samples as (
    select workspace_id, period_days,
        quantile_cont(seconds, 0.5) as team_median_first_response_seconds
    from windowed_samples
    group by 1, 2
),

agent_csat as (
    select csat_credits.agent_id, periods.period_days, count(*) as csat_responses,
        avg(csat_credits.score) as csat_avg
    from csat_credits
    inner join periods on csat_credits.d > ${as_of} - periods.period_days
    group by 1, 2
),

team_csat as (
    select csat_recent.workspace_id, periods.period_days, avg(csat_recent.score) as team_csat_avg,
        count(*) as team_csat_responses
    from csat_recent
    inner join periods on csat_recent.d > ${as_of} - periods.period_days
    group by 1, 2
),

agent_mentions as (
    select mentions.agent_id, periods.period_days, count(*) as mentions_received
    from mentions
    inner join periods on mentions.d > ${as_of} - periods.period_days
    group by 1, 2
),

-- ---------------------------------------------------------------- rows and team
rows_shown as (
    select
        agents.workspace_id,
        periods.period_days,
        agents.agent_id,
        agents.display_name as agent_name,
        agents.role as agent_role,
        agents.status as agent_status,
        coalesce(agent_replies.conversations_handled, 0) as conversations_handled,
        coalesce(agent_replies.replies_sent, 0) as replies_sent,
        coalesce(agent_samples.first_response_samples, 0) as first_response_samples,
        agent_samples.median_first_response_seconds,
        coalesce(agent_csat.csat_responses, 0) as csat_responses,
        agent_csat.csat_avg,
        coalesce(agent_replies.ai_draft_sent_replies, 0) as ai_draft_sent_replies,
        coalesce(agent_replies.ai_draft_edited_replies, 0) as ai_draft_edited_replies,
        coalesce(agent_replies.scratch_replies, 0) as scratch_replies,
        coalesce(agent_mentions.mentions_received, 0) as mentions_received,
        coalesce(agent_replies.prev_conversations_handled, 0) as prev_conversations_handled
    from agents
    cross join periods
    left join agent_replies
        on agents.agent_id = agent_replies.agent_id and periods.period_days = agent_replies.period_days
    left join agent_samples
        on agents.agent_id = agent_samples.agent_id and periods.period_days = agent_samples.period_days
    left join agent_csat
        on agents.agent_id = agent_csat.agent_id and periods.period_days = agent_csat.period_days
    left join agent_mentions
        on agents.agent_id = agent_mentions.agent_id and periods.period_days = agent_mentions.period_days
    where agents.status = 'active'
        or coalesce(agent_replies.replies_sent, 0) > 0
        or agent_samples.first_response_samples > 0
        or agent_csat.csat_responses > 0
        or agent_mentions.mentions_received > 0
),

team_volume as (
    select workspace_id, period_days,
        quantile_cont(conversations_handled, 0.5) as team_median_conversations_handled
    from rows_shown
    group by 1, 2
),

joined as (
    select
        rows_shown.*,
        team_samples.team_median_first_response_seconds,
        team_csat.team_csat_avg,
        team_csat.team_csat_responses,
        team_replies.team_ai_assisted_reply_pct,
        team_volume.team_median_conversations_handled
    from rows_shown
    left join team_samples
        on rows_shown.workspace_id = team_samples.workspace_id
        and rows_shown.period_days = team_samples.period_days
    left join team_csat
        on rows_shown.workspace_id = team_csat.workspace_id
        and rows_shown.period_days = team_csat.period_days
    left join team_replies
        on rows_shown.workspace_id = team_replies.workspace_id
        and rows_shown.period_days = team_replies.period_days
    left join team_volume
        on rows_shown.workspace_id = team_volume.workspace_id
        and rows_shown.period_days = team_volume.period_days
)

select
    workspace_id,
    ${as_of} as as_of_date,
    cast(period_days as integer) as period_days,
    agent_id,
    agent_name,
    agent_role,
    agent_status,
    cast(conversations_handled as bigint) as conversations_handled,
    cast(replies_sent as bigint) as replies_sent,
    cast(first_response_samples as bigint) as first_response_samples,
    cast(median_first_response_seconds as double) as median_first_response_seconds,
    cast(null as double) as median_first_response_business_seconds,
    cast(csat_responses as bigint) as csat_responses,
    cast(csat_avg as double) as csat_avg,
    cast(case when csat_responses > 0 and csat_avg is not null then least(cast(csat_avg as double), greatest(cast(1 as double), least(cast(5 as double),
            1 + 4 * ((((cast(csat_avg as double) - 1) / 4) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (2 * cast(csat_responses as double))) - cast(1.959963984540054 as double) * sqrt(greatest(cast(0 as double), ((cast(csat_avg as double) - 1) / 4) * (1 - ((cast(csat_avg as double) - 1) / 4)) / cast(csat_responses as double) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (4 * cast(csat_responses as double) * cast(csat_responses as double))))) / (1 + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / cast(csat_responses as double))))) end as double) as csat_ci_low,
    cast(case when csat_responses > 0 and csat_avg is not null then greatest(cast(csat_avg as double), greatest(cast(1 as double), least(cast(5 as double),
            1 + 4 * ((((cast(csat_avg as double) - 1) / 4) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (2 * cast(csat_responses as double))) + cast(1.959963984540054 as double) * sqrt(greatest(cast(0 as double), ((cast(csat_avg as double) - 1) / 4) * (1 - ((cast(csat_avg as double) - 1) / 4)) / cast(csat_responses as double) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (4 * cast(csat_responses as double) * cast(csat_responses as double))))) / (1 + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / cast(csat_responses as double))))) end as double) as csat_ci_high,
    cast(ai_draft_sent_replies as bigint) as ai_draft_sent_replies,
    cast(ai_draft_edited_replies as bigint) as ai_draft_edited_replies,
    cast(scratch_replies as bigint) as scratch_replies,
    cast(
        case when replies_sent > 0
            then cast(100 as double) * (ai_draft_sent_replies + ai_draft_edited_replies) / replies_sent
        end as double
    ) as ai_assisted_reply_pct,
    cast(mentions_received as bigint) as mentions_received,
    cast(prev_conversations_handled as bigint) as prev_conversations_handled,
    cast(team_median_first_response_seconds as double) as team_median_first_response_seconds,
    cast(null as double) as team_median_first_response_business_seconds,
    cast(team_csat_avg as double) as team_csat_avg,
    cast(case when team_csat_responses > 0 and team_csat_avg is not null then least(cast(team_csat_avg as double), greatest(cast(1 as double), least(cast(5 as double),
            1 + 4 * ((((cast(team_csat_avg as double) - 1) / 4) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (2 * cast(team_csat_responses as double))) - cast(1.959963984540054 as double) * sqrt(greatest(cast(0 as double), ((cast(team_csat_avg as double) - 1) / 4) * (1 - ((cast(team_csat_avg as double) - 1) / 4)) / cast(team_csat_responses as double) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (4 * cast(team_csat_responses as double) * cast(team_csat_responses as double))))) / (1 + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / cast(team_csat_responses as double))))) end as double) as team_csat_ci_low,
    cast(case when team_csat_responses > 0 and team_csat_avg is not null then greatest(cast(team_csat_avg as double), greatest(cast(1 as double), least(cast(5 as double),
            1 + 4 * ((((cast(team_csat_avg as double) - 1) / 4) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (2 * cast(team_csat_responses as double))) + cast(1.959963984540054 as double) * sqrt(greatest(cast(0 as double), ((cast(team_csat_avg as double) - 1) / 4) * (1 - ((cast(team_csat_avg as double) - 1) / 4)) / cast(team_csat_responses as double) + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / (4 * cast(team_csat_responses as double) * cast(team_csat_responses as double))))) / (1 + (cast(1.959963984540054 as double) * cast(1.959963984540054 as double)) / cast(team_csat_responses as double))))) end as double) as team_csat_ci_high,
    cast(team_ai_assisted_reply_pct as double) as team_ai_assisted_reply_pct,
    cast(team_median_conversations_handled as double) as team_median_conversations_handled,
    case
        when median_first_response_seconds is null then null
        when conversations_handled >= team_median_conversations_handled
            and median_first_response_seconds <= team_median_first_response_seconds
            then 'workhorse'
        when conversations_handled < team_median_conversations_handled
            and median_first_response_seconds <= team_median_first_response_seconds
            then 'underloaded'
        when conversations_handled >= team_median_conversations_handled
            then 'drowning'
        else 'needs_context'
    end as load_quadrant
from joined
