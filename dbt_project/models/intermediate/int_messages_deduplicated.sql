{#-
    Every landed copy of a message, once (int_messages_deduplicated.yml).
    Incremental by landing file: a run reads the files this table does not
    hold yet, checks again the copies still waiting for a parent, and ranks
    the new good copies against the stored good copies of their ids.
    The copies whose status a run decides are written again (delete+insert
    on the copy: source_file, line_number).
-#}
{{ config(
    materialized=incremental_or_table(),
    incremental_strategy='delete+insert',
    unique_key=['source_file', 'line_number'],
    on_schema_change='fail',
) }}

with

-- the copies in the landing files this table does not hold yet (every file on a full build)
landed as (
    select * from {{ ref('stg_messages') }}
    {%- if is_incremental() %}
    where source_file in {{ landing_files_not_in(this, 'messages') }}
    {%- endif %}
),

workspaces as (
    select workspace_id from {{ ref('int_workspaces_deduplicated') }}
    where copy_status = 'current'
),

conversations as (
    select conversation_id from {{ ref('int_conversations_deduplicated') }}
    where copy_status = 'current'
),

agents as (
    select agent_id from {{ ref('int_agents_deduplicated') }}
    where copy_status = 'current'
),

candidates as (
    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number,
        reject_reason
    from landed
    {%- if is_incremental() %}

    -- copies rejected earlier because a workspace, conversation or agent they point at had not landed
    union all
    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number,
        cast(null as {{ landing_sql_type('string') }}) as reject_reason
    from {{ this }}
    where reject_reason in ('unknown workspace', 'unknown conversation', 'unknown author agent')
    {%- endif %}
),

-- a copy pointing at a parent without a good copy is rejected, as pointing at an unknown one
checked as (
    select
        candidates.message_id,
        candidates.conversation_id,
        candidates.workspace_id,
        candidates.created_at,
        candidates.author_type,
        candidates.author_agent_id,
        candidates.message_type,
        candidates.ai_assist,
        candidates.updated_at,
        candidates.source_file,
        candidates.line_number,
        coalesce(
            candidates.reject_reason,
            case
                when workspaces.workspace_id is null then 'unknown workspace'
                when conversations.conversation_id is null then 'unknown conversation'
                when
                    candidates.author_agent_id is not null and agents.agent_id is null
                    then 'unknown author agent'
            end
        ) as reject_reason
    from candidates
    left join workspaces
        on candidates.workspace_id = workspaces.workspace_id
    left join conversations
        on candidates.conversation_id = conversations.conversation_id
    left join agents
        on candidates.author_agent_id = agents.agent_id
),

good_copies as (
    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number
    from checked
    where reject_reason is null
    {%- if is_incremental() %}

    -- the stored good copies of these ids compete with them
    union all
    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number
    from {{ this }}
    where copy_status <> 'rejected'
        and message_id in (select message_id from checked where reject_reason is null)
    {%- endif %}
),

-- newest updated_at wins; a tie goes to the later file, then the later line
ranked as (
    select
        *,
        row_number() over (
            partition by message_id
            order by updated_at desc, source_file desc, line_number desc
        ) as copy_rank
    from good_copies
),

final as (
    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number,
        case when copy_rank = 1 then 'current' else 'superseded' end as copy_status,
        cast(null as {{ landing_sql_type('string') }}) as reject_reason,
        {{ run_started_at_literal() }} as _loaded_at
    from ranked

    union all

    select
        message_id,
        conversation_id,
        workspace_id,
        created_at,
        author_type,
        author_agent_id,
        message_type,
        ai_assist,
        updated_at,
        source_file,
        line_number,
        'rejected' as copy_status,
        reject_reason,
        {{ run_started_at_literal() }} as _loaded_at
    from checked
    where reject_reason is not null
)

select * from final
