{{ config(**incremental_settings('copies_by_id', 'conversation_id')) }}

{{ deduplicated_select('conversations', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
    {"column": "assignee_agent_id", "parent": "int_agents_deduplicated", "key": "agent_id", "reason": "unknown assignee agent"},
], incremental=true) }}
