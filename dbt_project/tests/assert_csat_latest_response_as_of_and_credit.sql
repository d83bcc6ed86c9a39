{#-
    CSAT, recounted from the current copies of the CSAT responses and the
    messages, against agent_leaderboard and team_kpis.

    As of D, the response that counts for a conversation is its latest one
    submitted up to the end of D (greatest submitted_at, then response_id): a
    re-rating after D does not hide it. It counts in window N when submitted
    in D-N+1 .. D.
      team:  team_kpis.csat_responses / csat_avg, and
             agent_leaderboard.team_csat_avg (each response once);
      agent: agent_leaderboard.csat_responses / csat_avg, crediting every
             agent with an outbound reply in the conversation before the
             response was submitted.
    Returns every (workspace or agent, window) that differs.
-#}
{{ config(tags=['deep']) }}
with

periods as (
    select period_days from {{ ref('leaderboard_windows') }}
),

clean_csat_responses as (
    select
        copies.*,
        {{ local_date('copies.submitted_at', 'workspaces.timezone') }} as submitted_date
    from {{ ref('int_csat_responses_deduplicated') }} as copies
    inner join {{ ref('workspaces') }} as workspaces
        on copies.workspace_id = workspaces.workspace_id
    where copies.copy_status = 'current'
),
ranked as (
    select
        response_id,
        conversation_id,
        workspace_id,
        score,
        submitted_at,
        submitted_date,
        row_number() over (
            partition by conversation_id
            order by submitted_at desc, response_id desc
        ) as recency
    from clean_csat_responses
    where submitted_date <= {{ as_of_date() }}
),

latest_as_of as (
    select * from ranked
    where recency = 1
),

windowed as (
    select
        latest_as_of.*,
        periods.period_days
    from latest_as_of
    inner join periods
        on latest_as_of.submitted_date >= {{ add_days(as_of_date(), "1 - periods.period_days") }}
),

team_recount as (
    select
        workspace_id,
        period_days,
        count(*) as csat_responses,
        avg(score) as csat_avg
    from windowed
    group by 1, 2
),

credits as (
    select distinct
        replies.author_agent_id as agent_id,
        windowed.period_days,
        windowed.response_id,
        windowed.score
    from windowed
    inner join {{ ref('int_messages_deduplicated') }} as replies
        on windowed.conversation_id = replies.conversation_id
        and replies.copy_status = 'current'
        and replies.message_type = 'reply'
        and replies.author_type = 'agent'
        and replies.created_at < windowed.submitted_at
),

agent_recount as (
    select
        agent_id,
        period_days,
        count(*) as csat_responses,
        avg(score) as csat_avg
    from credits
    group by 1, 2
),

team_kpis as (
    select * from {{ ref('team_kpis') }}
    where as_of_date = {{ as_of_date() }}
),

leaderboard as (
    select * from {{ ref('agent_leaderboard') }}
    where as_of_date = {{ as_of_date() }}
),

team_diffs as (
    select
        'team_kpis' as checked,
        coalesce(team_kpis.workspace_id, team_recount.workspace_id) as id,
        coalesce(team_kpis.period_days, team_recount.period_days) as period_days,
        team_kpis.csat_responses as published_responses,
        team_recount.csat_responses as recounted_responses,
        team_kpis.csat_avg as published_avg,
        team_recount.csat_avg as recounted_avg
    from team_kpis
    full outer join team_recount
        on team_kpis.workspace_id = team_recount.workspace_id
        and team_kpis.period_days = team_recount.period_days
),

team_avg_beside_agents as (
    select
        'agent_leaderboard.team_csat_avg' as checked,
        leaderboard.agent_id as id,
        leaderboard.period_days,
        cast(null as bigint) as published_responses,
        cast(null as bigint) as recounted_responses,
        leaderboard.team_csat_avg as published_avg,
        team_recount.csat_avg as recounted_avg
    from leaderboard
    left join team_recount
        on leaderboard.workspace_id = team_recount.workspace_id
        and leaderboard.period_days = team_recount.period_days
),

agent_diffs as (
    select
        'agent_leaderboard' as checked,
        coalesce(leaderboard.agent_id, agent_recount.agent_id) as id,
        coalesce(leaderboard.period_days, agent_recount.period_days) as period_days,
        leaderboard.csat_responses as published_responses,
        agent_recount.csat_responses as recounted_responses,
        leaderboard.csat_avg as published_avg,
        agent_recount.csat_avg as recounted_avg
    from leaderboard
    full outer join agent_recount
        on leaderboard.agent_id = agent_recount.agent_id
        and leaderboard.period_days = agent_recount.period_days
),

all_diffs as (
    select * from team_diffs
    union all
    select * from team_avg_beside_agents
    union all
    select * from agent_diffs
)

select *
from all_diffs
where coalesce(published_responses, 0) <> coalesce(recounted_responses, 0)
    or (published_avg is null) <> (recounted_avg is null)
    or abs(published_avg - recounted_avg) > 1e-9
