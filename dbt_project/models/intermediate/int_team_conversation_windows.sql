{#-
    Workspace-level conversation figures per window as of D, shared by
    team_kpis and the team columns of agent_leaderboard.
-#}
with

-- read by several CTEs, each with its own filters (not stored once)
activity as {{ cte_not_materialized() }} (
    {{ fact_rows_to_as_of(ref('fct_conversation_activity')) }}
),

-- per workspace and conversation: replied (AI-handled) in each window, and in its prior window
conversations as (
    select
        workspace_id,
        conversation_id,
        {{ window_columns({
            "replied": "max(case when {in_window} then 1 else 0 end)",
            "ai_handled": "max(case when {in_window} and ai_replies > 0 and (human_takeover_date is null"
                ~ " or human_takeover_date > " ~ as_of_date() ~ ") then 1 else 0 end)",
            "prev_replied": "max(case when {in_prior_window} then 1 else 0 end)",
        }) }}
    from activity
    where human_replies > 0 or ai_replies > 0
    group by 1, 2
),

conversation_counts as (
    select
        workspace_id,
        {{ window_columns({
            "conversations_replied": "sum(replied_{n})",
            "ai_handled_conversations": "sum(ai_handled_{n})",
            "prev_conversations_replied": "sum(prev_replied_{n})",
        }) }}
    from conversations
    group by 1
),

-- per workspace, one column per window
figures as (
    select
        workspace_id,
        {{ window_columns({
            "present": "max(case when {in_window_or_prior} then 1 else 0 end)",
            "median_first_response_seconds":
                exact_median("case when {in_window} then first_response_seconds end"),
            "csat_responses": "sum(case when {in_window} and csat_counted then 1 else 0 end)",
            "csat_avg": "avg(case when {in_window} and csat_counted then csat_score end)",
        }) }}
    from activity
    group by 1
),

-- one row per workspace and window with fact rows in the window or its prior window
final as (
    {{ unpivot_windows("figures left join conversation_counts using (workspace_id)", ["workspace_id"], {
        "conversations_replied": "cast(coalesce(conversations_replied_{n}, 0) as bigint)",
        "ai_handled_conversations": "cast(coalesce(ai_handled_conversations_{n}, 0) as bigint)",
        "median_first_response_seconds": "median_first_response_seconds_{n}",
        "csat_responses": "cast(csat_responses_{n} as bigint)",
        "csat_avg": "csat_avg_{n}",
        "prev_conversations_replied": "cast(coalesce(prev_conversations_replied_{n}, 0) as bigint)",
    }) }}
)

select * from final
