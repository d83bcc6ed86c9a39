{{ deduplicated_select('agents', [
    {"column": "workspace_id", "parent": "int_workspaces_deduplicated", "key": "workspace_id", "reason": "unknown workspace"},
]) }}
