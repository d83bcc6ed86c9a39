{{ config(**incremental_settings('by_key', 'response_id')) }}

{{ deduplicated_select('nps_responses', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
], incremental=true) }}
