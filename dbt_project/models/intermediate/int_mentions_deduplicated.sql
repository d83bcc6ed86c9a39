{{ config(**incremental_settings('copies_by_id', 'mention_id')) }}

{{ deduplicated_select('mentions', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
    {"column": "conversation_id", "parent": "int_conversations_deduplicated", "key": "conversation_id", "reason": "unknown conversation"},
    {"column": "mentioned_agent_id", "parent": "int_agents_deduplicated", "key": "agent_id", "reason": "unknown mentioned agent"},
], incremental=true) }}
