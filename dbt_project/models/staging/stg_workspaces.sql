-- depends_on: {{ source('landing', 'workspaces') }}
{{ staging_select('workspaces') }}
