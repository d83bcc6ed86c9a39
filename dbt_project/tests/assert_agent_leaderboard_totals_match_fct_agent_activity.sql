{#-
    The leaderboard's additive counts reconcile with the fact they come from.

    For every window N (7, 14, 30, 90) and agent: the sums over
    fct_agent_activity rows dated D-N+1 .. D of replies_sent (and its
    ai_assist split), first_response_samples and mentions_received, and the
    distinct conversations with a reply, equal the agent's agent_leaderboard
    row for N. An agent with such activity but no leaderboard row fails too
    (every agent with activity in the window must be shown).
-#}
with

periods as (
    select period_days from {{ ref('leaderboard_windows') }}
),

from_fact as (
    select
        fact.agent_id,
        periods.period_days,
        sum(fact.replies_sent) as replies_sent,
        sum(fact.ai_draft_sent_replies) as ai_draft_sent_replies,
        sum(fact.ai_draft_edited_replies) as ai_draft_edited_replies,
        sum(fact.scratch_replies) as scratch_replies,
        sum(fact.first_response_samples) as first_response_samples,
        sum(fact.mentions_received) as mentions_received,
        count(distinct case when fact.replies_sent > 0 then fact.conversation_id end)
            as conversations_handled
    from {{ ref('fct_agent_activity') }} as fact
    inner join periods
        on fact.activity_date between {{ add_days(as_of_date(), "1 - periods.period_days") }}
        and {{ as_of_date() }}
    group by 1, 2
    having sum(fact.replies_sent) + sum(fact.first_response_samples) + sum(fact.mentions_received) > 0
),

leaderboard as (
    select *
    from {{ ref('agent_leaderboard') }}
    where as_of_date = {{ as_of_date() }}
),

compared as (
    select
        coalesce(from_fact.agent_id, leaderboard.agent_id) as agent_id,
        coalesce(from_fact.period_days, leaderboard.period_days) as period_days,
        leaderboard.agent_id is null as missing_from_leaderboard,
        coalesce(from_fact.replies_sent, 0) as fact_replies_sent,
        coalesce(leaderboard.replies_sent, 0) as leaderboard_replies_sent,
        coalesce(from_fact.ai_draft_sent_replies, 0) as fact_draft_sent,
        coalesce(leaderboard.ai_draft_sent_replies, 0) as leaderboard_draft_sent,
        coalesce(from_fact.ai_draft_edited_replies, 0) as fact_draft_edited,
        coalesce(leaderboard.ai_draft_edited_replies, 0) as leaderboard_draft_edited,
        coalesce(from_fact.scratch_replies, 0) as fact_scratch,
        coalesce(leaderboard.scratch_replies, 0) as leaderboard_scratch,
        coalesce(from_fact.first_response_samples, 0) as fact_samples,
        coalesce(leaderboard.first_response_samples, 0) as leaderboard_samples,
        coalesce(from_fact.mentions_received, 0) as fact_mentions,
        coalesce(leaderboard.mentions_received, 0) as leaderboard_mentions,
        coalesce(from_fact.conversations_handled, 0) as fact_conversations,
        coalesce(leaderboard.conversations_handled, 0) as leaderboard_conversations
    from from_fact
    full outer join leaderboard
        on from_fact.agent_id = leaderboard.agent_id
        and from_fact.period_days = leaderboard.period_days
)

select *
from compared
where missing_from_leaderboard
    or fact_replies_sent <> leaderboard_replies_sent
    or fact_draft_sent <> leaderboard_draft_sent
    or fact_draft_edited <> leaderboard_draft_edited
    or fact_scratch <> leaderboard_scratch
    or fact_samples <> leaderboard_samples
    or fact_mentions <> leaderboard_mentions
    or fact_conversations <> leaderboard_conversations
