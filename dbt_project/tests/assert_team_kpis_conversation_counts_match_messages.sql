{#-
    team_kpis' conversation counts, recounted straight from the clean messages
    (the current copies of int_messages_deduplicated), for every workspace and window N as of D:
      conversations_replied       distinct conversations with an outbound
                                  (human) or AI reply dated D-N+1 .. D
      prev_conversations_replied  the same over D-2N+1 .. D-N
      ai_handled_conversations    of the replied ones, those with an AI reply
                                  in the window and, up to the end of D, no
                                  human outbound reply and no handoff
    Returns every (workspace, window) where team_kpis differs.
-#}
{{ config(tags=['deep']) }}
with

periods as (
    select period_days from {{ ref('leaderboard_windows') }}
),

clean_messages as (
    select
        copies.*,
        {{ local_date('copies.created_at', 'workspaces.timezone') }} as created_date
    from {{ ref('int_messages_deduplicated') }} as copies
    inner join {{ ref('workspaces') }} as workspaces
        on copies.workspace_id = workspaces.workspace_id
    where copies.copy_status = 'current'
),

messages as (
    select * from clean_messages
    where created_date <= {{ as_of_date() }}
),

replies as (
    select
        workspace_id,
        conversation_id,
        created_date,
        author_type
    from messages
    where message_type = 'reply' and author_type in ('agent', 'ai_agent')
),

human_takeovers as (
    select distinct conversation_id
    from messages
    where (message_type = 'reply' and author_type = 'agent') or message_type = 'handoff'
),

recounted as (
    select
        replies.workspace_id,
        periods.period_days,
        count(
            distinct case
                when replies.created_date >= {{ add_days(as_of_date(), "1 - periods.period_days") }}
                    then replies.conversation_id
            end
        ) as conversations_replied,
        count(
            distinct case
                when replies.created_date < {{ add_days(as_of_date(), "1 - periods.period_days") }}
                    then replies.conversation_id
            end
        ) as prev_conversations_replied,
        count(
            distinct case
                when replies.created_date >= {{ add_days(as_of_date(), "1 - periods.period_days") }}
                    and replies.author_type = 'ai_agent'
                    and human_takeovers.conversation_id is null
                    then replies.conversation_id
            end
        ) as ai_handled_conversations
    from replies
    inner join periods
        on replies.created_date >= {{ add_days(as_of_date(), "1 - 2 * periods.period_days") }}
    left join human_takeovers
        on replies.conversation_id = human_takeovers.conversation_id
    group by 1, 2
),

team_kpis as (
    select *
    from {{ ref('team_kpis') }}
    where as_of_date = {{ as_of_date() }}
)

select
    coalesce(team_kpis.workspace_id, recounted.workspace_id) as workspace_id,
    coalesce(team_kpis.period_days, recounted.period_days) as period_days,
    team_kpis.workspace_id is null as missing_from_team_kpis,
    team_kpis.conversations_replied,
    recounted.conversations_replied as recounted_conversations_replied,
    team_kpis.prev_conversations_replied,
    recounted.prev_conversations_replied as recounted_prev_conversations_replied,
    team_kpis.ai_handled_conversations,
    recounted.ai_handled_conversations as recounted_ai_handled_conversations
from team_kpis
full outer join recounted
    on team_kpis.workspace_id = recounted.workspace_id
    and team_kpis.period_days = recounted.period_days
where team_kpis.workspace_id is null
    or team_kpis.conversations_replied <> coalesce(recounted.conversations_replied, 0)
    or team_kpis.prev_conversations_replied <> coalesce(recounted.prev_conversations_replied, 0)
    or team_kpis.ai_handled_conversations <> coalesce(recounted.ai_handled_conversations, 0)
