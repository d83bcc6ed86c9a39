-- depends_on: {{ source('landing', 'agents') }}
{{ staging_select('agents') }}
