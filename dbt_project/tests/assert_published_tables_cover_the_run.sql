{#-
    Row coverage and dates of the published tables, for the run's as-of date D:
      - team_kpis has one row per workspace and window (7, 14, 30, 90), even
        for a workspace with no activity;
      - agent_leaderboard has a row per active agent and window, even with
        no activity (an empty row is what load balancing needs to see);
      - every table that carries as_of_date holds D only;
      - agent_daily_activity covers D-179 .. D (var daily_activity_days) and
        agent_low_csat_conversations D-89 .. D (var low_csat_days), nothing
        dated after D;
      - conversation_summary holds D only, and its first-response and CSAT
        dates are not after D.
-#}
with

periods as (
    select period_days from {{ ref('leaderboard_windows') }}
),

missing_team_kpis as (
    select
        'team_kpis row missing' as problem,
        workspaces.workspace_id as id,
        periods.period_days
    from {{ ref('workspaces') }} as workspaces
    cross join periods
    left join {{ ref('team_kpis') }} as team_kpis
        on workspaces.workspace_id = team_kpis.workspace_id
        and periods.period_days = team_kpis.period_days
        and team_kpis.as_of_date = {{ as_of_date() }}
    where team_kpis.workspace_id is null
),

missing_leaderboard as (
    select
        'agent_leaderboard row missing for an active agent' as problem,
        agents.agent_id as id,
        periods.period_days
    from {{ ref('agents') }} as agents
    cross join periods
    left join {{ ref('agent_leaderboard') }} as leaderboard
        on agents.agent_id = leaderboard.agent_id
        and periods.period_days = leaderboard.period_days
        and leaderboard.as_of_date = {{ as_of_date() }}
    where agents.agent_status = 'active'
        and leaderboard.agent_id is null
),

{%- set dated = {
    "agent_leaderboard": ["as_of_date", 1],
    "team_kpis": ["as_of_date", 1],
    "agent_daily_activity": ["activity_date", var("daily_activity_days")],
    "agent_low_csat_conversations": ["submitted_date", var("low_csat_days")],
} %}

wrong_dates as (
    {%- for name, date_rule in dated.items() %}
    select
        '{{ name }}: as_of_date is not D or {{ date_rule[0] }} outside its range' as problem,
        cast({{ date_rule[0] }} as {{ landing_sql_type("string") }}) as id,
        cast(null as integer) as period_days
    from {{ ref(name) }}
    where as_of_date <> {{ as_of_date() }}
        or {{ date_rule[0] }} > {{ as_of_date() }}
        or {{ date_rule[0] }} < {{ add_days(as_of_date(), "1 - " ~ date_rule[1]) }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
    union all
    select
        'conversation_summary: as_of_date is not D or a date after D' as problem,
        conversation_id as id,
        cast(null as integer) as period_days
    from {{ ref('conversation_summary') }}
    where as_of_date <> {{ as_of_date() }}
        or first_response_date > {{ as_of_date() }}
        or csat_submitted_date > {{ as_of_date() }}
)

select * from missing_team_kpis
union all
select * from missing_leaderboard
union all
select * from wrong_dates
