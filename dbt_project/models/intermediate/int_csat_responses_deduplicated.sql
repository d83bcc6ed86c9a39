{{ config(**incremental_settings('copies_by_id', 'response_id')) }}

{{ deduplicated_select('csat_responses', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
    {"column": "conversation_id", "parent": "int_conversations_deduplicated", "key": "conversation_id", "reason": "unknown conversation"},
], incremental=true) }}
