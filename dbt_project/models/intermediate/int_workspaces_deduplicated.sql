{{ deduplicated_select('workspaces') }}
