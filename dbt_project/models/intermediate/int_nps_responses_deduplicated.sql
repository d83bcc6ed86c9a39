{{ config(**incremental_settings('copies_by_id', 'response_id')) }}

{{ deduplicated_select('nps_responses', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
], incremental=true) }}
