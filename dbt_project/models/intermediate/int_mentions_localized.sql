with

mentions as (
    select * from {{ ref('int_mentions_deduplicated') }}
    where reject_reason is null
),

workspaces as (
    select * from {{ ref('int_workspaces_deduplicated') }}
    where reject_reason is null
),

final as (
    select
        mentions.mention_id,
        mentions.message_id,
        mentions.conversation_id,
        mentions.workspace_id,
        mentions.mentioned_agent_id,
        mentions.created_at,
        {{ local_date('mentions.created_at', "coalesce(workspaces.timezone, 'UTC')") }} as created_date,
        mentions.updated_at
    from mentions
    inner join workspaces
        on mentions.workspace_id = workspaces.workspace_id
)

select * from final
