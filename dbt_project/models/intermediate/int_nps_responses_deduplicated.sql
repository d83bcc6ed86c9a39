{{ deduplicated_select('nps_responses', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
]) }}
